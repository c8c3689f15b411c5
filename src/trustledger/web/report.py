"""The printable credit report a subject downloads: the same data as `/v1/me`, for people."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

_env = Environment(
    loader=PackageLoader("trustledger.web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_report(access: dict[str, Any]) -> str:
    return _env.get_template("report.html").render(r=access)
