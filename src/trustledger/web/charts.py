"""Charts drawn on the server as SVG (matplotlib, no pyplot state): pages need no script.

Each chart is an inline `<svg role="img">` with a title for screen readers; the figures are also
given as a table beside it, so nothing is said by colour or shape alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from io import StringIO

from markupsafe import Markup, escape
from matplotlib.dates import date2num
from matplotlib.figure import Figure

# Dark enough on white for 4.5:1 contrast (WCAG AA): red, green, blue, grey.
NEGATIVE, POSITIVE, NEUTRAL, TOTAL = "#b00020", "#1b5e20", "#0d47a1", "#37474f"
_HEAD = re.compile(r"^.*?(?=<svg)", re.DOTALL)


def _svg(figure: Figure, title: str) -> Markup:
    out = StringIO()
    figure.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    svg = _HEAD.sub("", out.getvalue(), count=1)
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, count=1, flags=re.DOTALL)
    label = escape(title)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
    svg = re.sub(r"(<svg[^>]*>)", rf"\1<title>{label}</title>", svg, count=1)
    return Markup(svg)


def _figure(width: float = 6.4, height: float = 3.0) -> Figure:
    figure = Figure(figsize=(width, height))
    figure.set_facecolor("white")
    return figure


def bars(labels: Sequence[str], values: Sequence[float], title: str) -> Markup:
    """A plain bar chart (counts per tier, per list, per day)."""
    figure = _figure()
    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    axes.bar(positions, values, color=NEUTRAL)
    axes.set_xticks(positions, labels, rotation=30 if len(labels) > 6 else 0, ha="right")
    for x, v in zip(positions, values, strict=True):
        axes.annotate(f"{v:g}", (x, v), ha="center", va="bottom", fontsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure, title)


def waterfall(
    base: int,
    steps: Sequence[tuple[str, int]],
    total: int | None,
    title: str,
) -> Markup:
    """From the base score, each contribution up or down, to the score. The bars are labelled
    with numbers and record references only (the server may have no CJK font): the page says
    in its language what the first and the last bar are."""
    figure = _figure(6.4, 3.2)
    axes = figure.add_subplot()
    end = total if total is not None else base + sum(p for _, p in steps)
    labels = [str(base), *(s[0] for s in steps), f"= {end}"]
    level = base
    axes.bar(0, base, color=TOTAL)
    for i, (_, points) in enumerate(steps, start=1):
        bottom = level if points >= 0 else level + points
        axes.bar(i, abs(points), bottom=bottom, color=POSITIVE if points >= 0 else NEGATIVE)
        axes.annotate(f"{points:+d}", (i, level + max(points, 0)), ha="center", va="bottom")
        level += points
    axes.bar(len(labels) - 1, end, color=TOTAL)
    axes.annotate(str(end), (len(labels) - 1, end), ha="center", va="bottom")
    low = min(base, end, *(base + sum(p for _, p in steps[: i + 1]) for i in range(len(steps))))
    axes.set_ylim(max(0, low - 100), max(base, end, level) + 60)
    axes.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure, title)


def _day(d: date) -> float:
    return float(date2num(d))  # type: ignore[no-untyped-call]


def timeline(rows: Sequence[tuple[str, date, date, bool]], today: date, title: str) -> Markup:
    """Each record as a bar from its decision to the day it stops counting (red when it takes
    points away), with today marked: what ends when, at a glance."""
    figure = _figure(6.4, max(1.6, 0.45 * len(rows) + 0.9))
    axes = figure.add_subplot()
    for i, (_, start, end, negative) in enumerate(rows):
        axes.barh(
            i,
            _day(end) - _day(start),
            left=_day(start),
            color=NEGATIVE if negative else POSITIVE,
            height=0.5,
        )
    axes.axvline(_day(today), color=TOTAL, linestyle="--", linewidth=1)
    axes.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=8)
    axes.invert_yaxis()
    axes.xaxis_date()
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure, title)
