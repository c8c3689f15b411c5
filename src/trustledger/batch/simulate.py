"""The policy simulator: what would a rulebook do to a city, before the city adopts it?

A synthetic population (kinds, ages, consent, records at the base rates of
`batch.synthetic`) is written chunk by chunk as Parquet, so memory stays bounded however
large the city (22 million subjects run on 2 cores and 24 GiB). Each rulebook is applied with
the same plan `trustledger rescore` uses, twice: to the records as reported, and to the truth
(the records without the erroneous ones), which measures wrongful listings. Everything the
report shows is aggregated in DuckDB; only small tables reach Python.

Every assumption is a field of `Assumptions` and is printed in the report.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from trustledger.batch.engines import DuckDBEngine, default_memory_limit
from trustledger.batch.plan import compile_plan, list_columns, sql_literal
from trustledger.batch.population import AgeBand, PopulationSpec, PopulationStats, write_population
from trustledger.batch.report import render_report
from trustledger.batch.synthetic import CONSENT_SHARE, FULFILMENT, RATES
from trustledger.domain.rulebook import Effect, ListKind, Rulebook
from trustledger.progress import Progress, no_progress

CHUNK = 1_000_000

# Attempts per subject per year of each restricted action, by kind (assumptions, stated in the
# report): how often a person books a flight, a company bids in procurement, and so on.
ACTION_ATTEMPTS: dict[str, dict[str, float]] = {
    "travel.flight": {"person": 2.0},
    "travel.rail_soft_sleeper": {"person": 0.5},
    "travel.ship_cabin_above_second_class": {"person": 0.05},
    "travel.rail_g_train": {"person": 6.0},
    "travel.rail_first_class": {"person": 1.0},
    "travel.holiday": {"person": 1.0},
    "hospitality.star_hotel": {"person": 1.5, "organization": 4.0},
    "leisure.nightclub": {"person": 1.0},
    "leisure.golf": {"person": 0.1},
    "property.purchase": {"person": 0.05, "organization": 0.1},
    "property.luxury_renovation": {"person": 0.02},
    "property.office_lease": {"organization": 0.2},
    "vehicle.purchase": {"person": 0.08, "organization": 0.2},
    "education.private_school_fees": {"person": 0.1},
    "finance.high_premium_insurance": {"person": 0.1},
    "procurement.bid": {"person": 0.01, "organization": 2.0},
    "gov.subsidy": {"organization": 0.3},
    "gov.new_project_approval": {"public_body": 4.0},
}

AGE_BANDS = (
    AgeBand("18-29", 18, 29, 0.18, 1.4),
    AgeBand("30-44", 30, 44, 0.27, 1.1),
    AgeBand("45-59", 45, 59, 0.28, 0.9),
    AgeBand("60-90", 60, 90, 0.27, 0.6),
)


@dataclass(frozen=True)
class Assumptions:
    """What the simulator assumes beyond the rulebook; all of it is written in the report."""

    kind_shares: dict[str, float] = field(
        default_factory=lambda: {"person": 0.90, "organization": 0.0995, "public_body": 0.0005}
    )
    consent_share: float = CONSENT_SHARE
    age_bands: tuple[AgeBand, ...] = AGE_BANDS
    rates: dict[str, dict[str, float]] = field(
        default_factory=lambda: {kind.value: dict(r) for kind, r in RATES.items()}
    )
    fulfilment: dict[str, float] = field(default_factory=lambda: dict(FULFILMENT))
    fulfil_within_days: int = 400
    # Of the adverse records (negative points or entering a black/watch list), the share the
    # subject disputes: a wrong record is noticed and contested far more often.
    dispute_if_wrong: float = 0.5
    dispute_if_right: float = 0.02
    reviewers: int = 50
    cases_per_reviewer_month: int = 150
    attempts: dict[str, dict[str, float]] = field(default_factory=lambda: dict(ACTION_ATTEMPTS))
    default_attempts: float = 1.0  # per subject per year, for actions not listed above

    @property
    def capacity_per_month(self) -> int:
        return self.reviewers * self.cases_per_reviewer_month

    def attempts_of(self, action: str, kind: str) -> float:
        known = self.attempts.get(action)
        if known is None:
            return self.default_attempts
        return known.get(kind, 0.0)


@dataclass
class SimulationResult:
    report: Path
    population: PopulationStats
    summaries: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "report": str(self.report),
            "population": asdict(self.population),
            "rulebooks": self.summaries,
        }


def _deny_actions(book: Rulebook) -> dict[str, list[str]]:
    """action -> the lists whose measures deny it."""
    out: dict[str, list[str]] = {}
    for m in book.measures:
        if m.effect == Effect.DENY and m.list is not None:
            out.setdefault(m.action, [])
            if m.list not in out[m.action]:
                out[m.action].append(m.list)
    return dict(sorted(out.items()))


def _adverse_types(book: Rulebook) -> list[tuple[str, str]]:
    """(type, kind) pairs of records that hurt: negative points or entry to a black/watch list."""
    listing = {
        code
        for spec in book.lists
        if spec.kind != ListKind.RED
        for code in spec.entry.record_types or ()
    }
    return [
        (rt.code, kind.value)
        for rt in book.record_types
        if rt.points < 0 or rt.code in listing
        for kind in rt.subject_kinds
    ]


def _analyse(
    duck: DuckDBEngine,
    book: Rulebook,
    recorded: Path,
    truth: Path,
    assumptions: Assumptions,
) -> dict[str, Any]:
    c = duck.connection
    rec = f"read_parquet({sql_literal(str(recorded / '*.parquet'))})"
    tru = f"read_parquet({sql_literal(str(truth / '*.parquet'))})"
    columns = list_columns(book)
    kinds = ("person", "organization", "public_body")

    scores = c.execute(
        f"SELECT score, count(*) FROM {rec} WHERE score IS NOT NULL GROUP BY score ORDER BY score"
    ).fetchall()
    tier_counts = dict.fromkeys([t.code for t in book.tiers], 0)
    unscored = 0
    for tier, n in c.execute(f"SELECT tier, count(*) FROM {rec} GROUP BY tier").fetchall():
        if tier is None:
            unscored = int(n)
        else:
            tier_counts[tier] = int(n)

    list_sizes: dict[str, dict[str, int]] = {code: dict.fromkeys(kinds, 0) for code in columns}
    if columns:
        select = ", ".join(f"count_if({col})" for col in columns.values())
        for row in c.execute(f"SELECT kind, {select} FROM {rec} GROUP BY kind").fetchall():
            for code, n in zip(columns, row[1:], strict=True):
                list_sizes[code][row[0]] = int(n)

    black = [columns[s.code] for s in book.lists if s.kind != ListKind.RED]

    def any_black(side: str) -> str:
        return " OR ".join(f"{side}.{col}" for col in black) if black else "FALSE"

    deny = _deny_actions(book)
    restricted: dict[str, dict[str, int]] = {}
    wrongful_restricted: dict[str, dict[str, int]] = {}
    wrongful_lists: dict[str, int] = dict.fromkeys(columns, 0)
    joined = f"{rec} AS r JOIN {tru} AS t ON r.subject = t.subject"
    if deny:
        cond = {a: " OR ".join(f"r.{columns[code]}" for code in codes) for a, codes in deny.items()}
        true_cond = {
            a: " OR ".join(f"t.{columns[code]}" for code in codes) for a, codes in deny.items()
        }
        select = ", ".join(f"count_if({cond[a]})" for a in deny)
        wrong = ", ".join(f"count_if(({cond[a]}) AND NOT ({true_cond[a]}))" for a in deny)
        per_kind = c.execute(
            f"SELECT r.kind, {select}, {wrong} FROM {joined} GROUP BY r.kind"
        ).fetchall()
        for a in deny:
            restricted[a] = dict.fromkeys(kinds, 0)
            wrongful_restricted[a] = dict.fromkeys(kinds, 0)
        for row in per_kind:
            for i, a in enumerate(deny):
                restricted[a][row[0]] = int(row[1 + i])
                wrongful_restricted[a][row[0]] = int(row[1 + len(deny) + i])
    summary_row = c.execute(
        f"""SELECT count(*),
            count_if({any_black("r")}),
            count_if(({any_black("r")}) AND NOT ({any_black("t")})),
            count_if(r.tier IS DISTINCT FROM t.tier),
            count_if(r.score < t.score),
            count_if(r.awaiting <> '[]'),
            avg(r.score)
            {"".join(f", count_if(r.{col} AND NOT t.{col})" for col in columns.values())}
        FROM {joined}"""
    ).fetchone()
    assert summary_row is not None
    subjects, listed_black, wrongful_black, tier_changed, score_lowered, awaiting = (
        int(v) for v in summary_row[:6]
    )
    mean_score = float(summary_row[6]) if summary_row[6] is not None else None
    for code, n in zip(columns, summary_row[7:], strict=True):
        wrongful_lists[code] = int(n)

    adverse = _adverse_types(book)
    months: list[tuple[str, float]] = []
    if adverse:
        values = ", ".join(f"({sql_literal(t)}, {sql_literal(k)})" for t, k in adverse)
        by_month = c.execute(
            f"""SELECT strftime(date_trunc('month', r.decided_on), '%Y-%m') AS month,
                   count_if(r.erroneous), count_if(NOT r.erroneous)
            FROM records AS r JOIN (VALUES {values}) AS a(type, kind)
              ON r.type = a.type AND r.kind = a.kind
            GROUP BY month ORDER BY month"""
        ).fetchall()
        months = [
            (
                m,
                wrong * assumptions.dispute_if_wrong + right * assumptions.dispute_if_right,
            )
            for m, wrong, right in by_month
        ]
    full = months[1:-1] if len(months) > 2 else months  # first and last months are partial
    recent = full[-12:]
    disputes_per_month = sum(n for _, n in recent) / len(recent) if recent else 0.0

    per_year = {
        a: sum(n * assumptions.attempts_of(a, k) for k, n in by_kind.items())
        for a, by_kind in restricted.items()
    }
    wrongful_per_year = {
        a: sum(n * assumptions.attempts_of(a, k) for k, n in by_kind.items())
        for a, by_kind in wrongful_restricted.items()
    }
    return {
        "rulebook": book.rulebook,
        "version": book.version,
        "subjects": subjects,
        "unscored": unscored,
        "mean_score": mean_score,
        "score_range": (book.score.min, book.score.max),
        "scores": [(int(s), int(n)) for s, n in scores],
        "tiers": tier_counts,
        "lists": {
            code: {
                "kind": book.index.lists[code].kind.value,
                "review": book.index.lists[code].review,
                "by_kind": sizes,
                "total": sum(sizes.values()),
                "wrongful": wrongful_lists[code],
            }
            for code, sizes in list_sizes.items()
        },
        "listed_black": listed_black,
        "wrongful_listings": wrongful_black,
        "tier_changed_by_errors": tier_changed,
        "score_lowered_by_errors": score_lowered,
        "awaiting_review": awaiting,
        "deny_actions": deny,
        "restricted_subjects": restricted,
        "restricted_per_year": per_year,
        "wrongful_restricted_per_year": wrongful_per_year,
        "disputes_by_month": full,
        "disputes_per_month": disputes_per_month,
        "review_capacity_per_month": assumptions.capacity_per_month,
    }


def simulate(
    book: Rulebook,
    compare: Rulebook | None,
    *,
    population: int,
    years: int,
    error_rate: float,
    seed: int,
    out: Path,
    as_of: date,
    assumptions: Assumptions | None = None,
    chunk: int = CHUNK,
    keep_data: bool = False,
    progress: Progress = no_progress,
) -> SimulationResult:
    """Synthesize, score under each rulebook (as reported and as true), write the report."""
    assumptions = assumptions or Assumptions()
    if not 0.0 <= error_rate <= 1.0:
        raise ValueError(f"error_rate: must lie in [0, 1], got {error_rate}")
    out.mkdir(parents=True, exist_ok=True)
    data = out / "data"
    spec = PopulationSpec(
        kind_shares=assumptions.kind_shares,
        consent_share=assumptions.consent_share,
        age_bands=assumptions.age_bands,
        rates=assumptions.rates,
        fulfilment=assumptions.fulfilment,
        fulfil_within_days=assumptions.fulfil_within_days,
        error_rate=error_rate,
        years=years,
        as_of=as_of,
    )
    synthesized = 0

    def advance(n: int) -> None:
        nonlocal synthesized
        synthesized += n
        progress("synthesizing population", synthesized, population)

    stats = write_population(
        spec, population, data / "population", seed=seed, chunk=chunk, advance=advance
    )
    books = [book] if compare is None else [book, compare]
    summaries: list[dict[str, Any]] = []
    with DuckDBEngine(
        data / "population",
        memory_limit=default_memory_limit(),
        temp_directory=data / "spill",
    ) as duck:
        duck.connection.execute(
            "CREATE VIEW records_true AS SELECT * REPLACE (voided OR erroneous AS voided) "
            "FROM records"
        )
        for i, b in enumerate(books):
            plan = compile_plan(b, as_of)
            recorded, truth = data / f"standings-{i}-recorded", data / f"standings-{i}-true"
            step = f"scoring {b.rulebook} {b.version}"
            progress(step, 0, 3)
            duck.write(plan, recorded)
            progress(step, 1, 3)
            duck.write(plan, truth, records="records_true")
            progress(step, 2, 3)
            summaries.append(_analyse(duck, b, recorded, truth, assumptions))
            progress(step, 3, 3)
    progress("writing report", 0, 1)
    report = render_report(
        out,
        population=stats,
        summaries=summaries,
        assumptions=assumptions,
        error_rate=error_rate,
        years=years,
        seed=seed,
        as_of=as_of,
    )
    progress("writing report", 1, 1)
    if not keep_data:
        shutil.rmtree(data, ignore_errors=True)
    brief = [
        {
            k: s[k]
            for k in (
                "rulebook",
                "version",
                "subjects",
                "unscored",
                "mean_score",
                "tiers",
                "listed_black",
                "wrongful_listings",
                "awaiting_review",
                "restricted_per_year",
                "wrongful_restricted_per_year",
                "disputes_per_month",
                "review_capacity_per_month",
            )
        }
        | {"lists": {code: v["total"] for code, v in s["lists"].items()}}
        for s in summaries
    ]
    return SimulationResult(report, stats, brief)
