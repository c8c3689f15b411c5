"""The one Jinja environment: every HTML page and report trustledger renders comes from it.

Templates live beside the code that owns them and are named by that package:
`web/report.html` (the subject's printable report) and `batch/report.html` (the policy
simulator's report). Autoescaping is on for all of them.

Translations (`jinja2.ext.i18n`): `_()` and `{% trans %}` resolve `gettext` and `ngettext` from
the render context, so a page passes its request's catalog (`web/i18n.py`) and concurrent
requests in different languages never share state. Without them the text stays as written.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, PrefixLoader, select_autoescape

ENV = Environment(
    loader=PrefixLoader(
        {
            "web": PackageLoader("trustledger.web", "templates"),
            "batch": PackageLoader("trustledger.batch", "templates"),
        }
    ),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)
ENV.install_null_translations()  # type: ignore[attr-defined]
ENV.filters["num"] = lambda v: f"{v:,.0f}" if isinstance(v, int | float) else str(v)
ENV.filters["pct"] = lambda v: f"{100 * v:.2f}%"


def render(name: str, **context: Any) -> str:
    return ENV.get_template(name).render(**context)
