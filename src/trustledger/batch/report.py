"""The simulator's report: `DIR/report.html` (Jinja2) with its charts as PNG files in
`DIR/charts/`, also inlined (base64) so that the HTML stands alone when mailed or archived."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from trustledger.batch.population import PopulationStats
from trustledger.templates import render

COLORS = ("#1f5f8b", "#d07a1f")


def _png(fig: Figure, path: Path) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    data = buffer.getvalue()
    path.write_bytes(data)
    return "data:image/png;base64," + base64.b64encode(data).decode()


def _label(s: dict[str, Any]) -> str:
    return f"{s['rulebook']} {s['version']}"


def _bars(
    ax: Any,
    labels: list[str],
    series: list[tuple[str, list[float]]],
    horizontal: bool = False,
) -> None:
    n = max(len(series), 1)
    width = 0.8 / n
    positions = list(range(len(labels)))
    for i, (name, values) in enumerate(series):
        offsets = [p - 0.4 + width * (i + 0.5) for p in positions]
        if horizontal:
            ax.barh(offsets, values, height=width, label=name, color=COLORS[i % 2])
        else:
            ax.bar(offsets, values, width=width, label=name, color=COLORS[i % 2])
    values = [v for _, vs in series for v in vs if v > 0]
    if values and max(values) > 100 * min(values):  # one huge bar would hide the others
        (ax.set_xscale if horizontal else ax.set_yscale)("log")
    if horizontal:
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
    else:
        ax.set_xticks(positions, labels)
    if len(series) > 1:
        ax.legend()


def _keys(summaries: list[dict[str, Any]], field: str) -> list[str]:
    """The keys of `field` over all summaries, in order of first appearance."""
    keys: list[str] = []
    for s in summaries:
        keys += [k for k in s[field] if k not in keys]
    return keys


def _charts(summaries: list[dict[str, Any]], directory: Path) -> dict[str, str]:
    directory.mkdir(parents=True, exist_ok=True)
    charts: dict[str, str] = {}

    fig = Figure(figsize=(8, 3.6))
    ax = fig.subplots()
    for i, s in enumerate(summaries):
        lo, hi = s["score_range"]
        bins = min(60, max(10, hi - lo))
        values = [v for v, _ in s["scores"]]
        weights = [n for _, n in s["scores"]]
        if values:
            ax.hist(
                values,
                bins=bins,
                range=(lo, hi),
                weights=weights,
                histtype="step" if len(summaries) > 1 else "bar",
                linewidth=1.6,
                color=COLORS[i % 2],
                label=_label(s),
            )
    ax.set_xlabel("score (subjects with a score)")
    ax.set_ylabel("subjects")
    ax.set_yscale("log")
    if len(summaries) > 1:
        ax.legend()
    charts["scores"] = _png(fig, directory / "scores.png")

    fig = Figure(figsize=(8, 3.2))
    ax = fig.subplots()
    tiers = _keys(summaries, "tiers")
    _bars(ax, tiers, [(_label(s), [s["tiers"].get(t, 0) for t in tiers]) for s in summaries])
    ax.set_ylabel("subjects")
    charts["tiers"] = _png(fig, directory / "tiers.png")

    codes = _keys(summaries, "lists")
    actions = _keys(summaries, "restricted_per_year")
    # (chart, its keys, the value of a key in a summary, the axis label, height per bar)
    horizontal: list[tuple[str, list[str], Callable[[dict[str, Any], str], Any], str, float]] = [
        (
            "lists",
            codes,
            lambda s, c: s["lists"].get(c, {}).get("total", 0),
            "subjects on the list on the day",
            0.45,
        ),
        (
            "restricted",
            actions,
            lambda s, a: s["restricted_per_year"].get(a, 0.0),
            "restricted transactions per year",
            0.4,
        ),
        (
            "wrongful",
            codes,
            lambda s, c: s["lists"].get(c, {}).get("wrongful", 0),
            "subjects listed only because of erroneous records",
            0.45,
        ),
    ]
    for name, keys, value, label, height in horizontal:
        fig = Figure(figsize=(8, 0.5 + height * max(len(keys), 1)))
        ax = fig.subplots()
        series = [(_label(s), [value(s, k) for k in keys]) for s in summaries]
        _bars(ax, keys, series, horizontal=True)
        ax.set_xlabel(label)
        charts[name] = _png(fig, directory / f"{name}.png")

    fig = Figure(figsize=(9, 3.6))
    ax = fig.subplots()
    months: list[str] = []
    for i, s in enumerate(summaries):
        series = s["disputes_by_month"]
        months = months or [m for m, _ in series]
        ax.plot(
            [m for m, _ in series],
            [n for _, n in series],
            color=COLORS[i % 2],
            marker=".",
            label=f"disputes, {_label(s)}",
        )
    capacity = summaries[0]["review_capacity_per_month"] if summaries else 0
    ax.axhline(capacity, color="#b22222", linestyle="--", label="reviewer capacity")
    step = max(1, len(months) // 12)
    ax.set_xticks(range(0, len(months), step), months[::step], rotation=45, ha="right")
    ax.set_ylabel("disputes filed per month")
    ax.set_ylim(bottom=0)
    ax.legend()
    charts["disputes"] = _png(fig, directory / "disputes.png")
    return charts


def render_report(
    out: Path,
    *,
    population: PopulationStats,
    summaries: list[dict[str, Any]],
    assumptions: Any,
    error_rate: float,
    years: int,
    seed: int,
    as_of: date,
) -> Path:
    charts = _charts(summaries, out / "charts")
    html = render(
        "batch/report.html",
        population=asdict(population),
        summaries=summaries,
        assumptions=assumptions,
        age_bands=[asdict(b) for b in assumptions.age_bands],
        error_rate=error_rate,
        years=years,
        seed=seed,
        as_of=as_of,
        charts=charts,
        plural={
            "person": "persons",
            "organization": "organizations",
            "public_body": "public bodies",
        },
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    path = out / "report.html"
    path.write_text(html, encoding="utf-8")
    return path
