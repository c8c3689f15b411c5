"""The rescoring plan: a rulebook and a day compiled into one SQL text for DuckDB and Spark.

`evaluate` (in `trustledger.domain.scoring`) is the reference; this module states the same
semantics for a whole population at once, and a property test holds the three (evaluate,
DuckDB, Spark) equal. The plan is built so that no calendar arithmetic runs in an engine:

- A record counts on `as_of` when `as_of < end`, `end = decided_on + counts_for`. Adding a
  period is monotone in the start day (month ends clamp: 31 Jan + 1m = 28/29 Feb), so
  "`decided_on + counts_for > as_of`" is exactly "`decided_on >= first day`" for one first day
  per record type, found here with the domain's own `Period.after`. Both engines then compare
  dates only: DuckDB's and Spark's interval rules can never drift from the domain's.
- Credit repair: `end = min(decided_on + counts_for, max(fulfilled_on, decided_on + after))`,
  so a fulfilled record still counts when `fulfilled_on > as_of` or `decided_on >= first day`
  of `repair.after`.
- Voided records never count; nor do disputed records of a type with `suspend_when_disputed`.
- A record-based list holds the subject from `max(decided_on, notified_on) + notice_days`
  while an entry record counts: both days `<= as_of - notice_days`, and the record counts.
- Caps: all records of a type carry the same points `p`, so the capped contribution of `n`
  counting records is `sign(p) * min(n * |p|, cap)` (what evaluate's running room gives).
- Tier: the first tier whose `min` the score reaches, worsened to the worst `tier_cap` among
  counting records; no score and no tier without consent for kinds in `requires_consent`.
- Tier-based lists follow the tier. A list with `review: required` holds only while a
  reviewer's confirmation is in force (`confirmed_on <= as_of < ended_on`); without one the
  entry is reported in `awaiting` (evaluate's `awaiting_review`), never in `lists`.

Input tables (the snapshot layout, see `snapshot`): `records(subject, kind, type, decided_on,
fulfilled_on, notified_on, voided, disputed)`, `subjects(subject, kind, consent)` and
`confirmations(subject, list, confirmed_on, ended_on)`. `kind` is denormalized onto records (it
follows from the identifier and never changes) so that the 200-million-row side never joins
the subjects. List membership travels as bits of BIGINT words (`bit_or` per subject), so the
aggregation's state stays narrow however many lists a rulebook has.

Output: one row per subject with `subject, kind, score, tier, lists, awaiting` (JSON arrays of
list codes, sorted) and one boolean column per list (`list_columns`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from trustledger.domain.periods import Period
from trustledger.domain.rulebook import ListSpec, RecordType, Rulebook

# No confirmations at all: the view engines use when a snapshot holds none.
NO_CONFIRMATIONS = (
    "SELECT subject, CAST(NULL AS STRING) AS list, CAST(NULL AS DATE) AS confirmed_on, "
    "CAST(NULL AS DATE) AS ended_on FROM subjects WHERE FALSE"
)


class Dialect(StrEnum):
    """The engines the plan is rendered for. The SQL is written in the subset both accept
    (VALUES tables, CTEs, `count_if`, `bit_or`, `bool_or`, `concat_ws`, DATE literals), so the
    rendering differs only in how a result's sum is typed."""

    DUCKDB = "duckdb"
    SPARK = "spark"


ENGINES = tuple(d.value for d in Dialect)  # the engines a plan runs on


def _after(period: Period, day: date) -> date:
    try:
        return period.after(day)
    except (OverflowError, ValueError):  # past year 9999: later than any day we compare with
        return date.max


def first_counting_day(period: Period, as_of: date) -> date:
    """The earliest `decided_on` with `decided_on + period > as_of`.

    `Period.after` is monotone (non-decreasing) in its start, so the days whose end lies after
    `as_of` are exactly those on or after this one; it is found by bisection over day numbers.
    """
    hi = as_of.toordinal() + 1  # period >= 0, so (as_of + 1) + period > as_of
    reach = {"d": 1, "m": 31, "y": 366}[period.unit] * period.amount + 1
    lo = max(date.min.toordinal(), as_of.toordinal() - reach)
    if _after(period, date.fromordinal(lo)) > as_of:
        return date.fromordinal(lo)  # only when clamped at date.min
    while hi - lo > 1:  # invariant: after(lo) <= as_of < after(hi)
        mid = (lo + hi) // 2
        if _after(period, date.fromordinal(mid)) > as_of:
            hi = mid
        else:
            lo = mid
    return date.fromordinal(hi)


def _minus_days(day: date, n: int) -> date | None:
    try:
        return day - timedelta(days=n)
    except OverflowError:
        return None


def _date(day: date | None) -> str:
    return "CAST(NULL AS DATE)" if day is None else f"DATE '{day.isoformat()}'"


def sql_literal(text: str) -> str:
    """A SQL string literal: the one quoting helper of the plan, the engines and the diff."""
    return "'" + text.replace("'", "''") + "'"


def _str(text: str | None) -> str:
    return "CAST(NULL AS STRING)" if text is None else sql_literal(text)


def _json_code(code: str) -> str:
    # List codes match [a-zA-Z0-9][a-zA-Z0-9_.-]*: nothing to escape in JSON or SQL.
    return _str(f'"{code}"')


BITS = 61  # list flags per BIGINT word (powers of two up to 2**60 stay positive)


@dataclass(frozen=True)
class TypeRow:
    """One (record type, subject kind) the rulebook scores, with its day thresholds."""

    type: str
    kind: str
    slot: int  # the type's position; capped types are counted per slot
    free_points: int  # points of an uncapped type (0 for capped types)
    tier_cap_rank: int  # -1 without tier_cap
    counts_from: date
    repair_from: date | None  # None without repair
    suspend: bool  # suspend_when_disputed
    bits: tuple[int, ...]  # per (notice group, flag word): the record lists this type enters


@dataclass(frozen=True)
class Plan:
    """A rulebook compiled for one day. Render it with `sql(dialect)`."""

    book: Rulebook
    as_of: date
    rows: tuple[TypeRow, ...]
    record_lists: tuple[ListSpec, ...]  # lists entered by records (any review); k-th = bit k
    notice_until: tuple[date | None, ...]  # per notice group: latest notified day in effect
    list_columns: dict[str, str]  # list code -> output column, for every list of the book

    @property
    def version(self) -> str:
        return self.book.version

    @property
    def words(self) -> int:
        return (len(self.record_lists) + BITS - 1) // BITS

    @property
    def capped(self) -> tuple[tuple[int, RecordType], ...]:
        """(slot, type) of each record type with a cap: its counting records are counted per slot
        (the cap and the points are the type's own)."""
        return tuple(
            (slot, rt) for slot, rt in enumerate(self.book.record_types) if rt.cap is not None
        )

    @property
    def reviewed_lists(self) -> tuple[ListSpec, ...]:
        return tuple(s for s in self.book.lists if s.review == "required")

    def sql(
        self,
        dialect: Dialect = Dialect.DUCKDB,
        records: str = "records",
        subjects: str = "subjects",
        confirmations: str = "confirmations",
    ) -> str:
        return _render(self, Dialect(dialect), records, subjects, confirmations)


def _type_kinds(rt: RecordType) -> list[str]:
    return [k.value for k in dict.fromkeys(rt.subject_kinds)]


def list_columns(book: Rulebook) -> dict[str, str]:
    """The output column holding each list's membership (`list_0`, `list_1`, ... in book order)."""
    return {s.code: f"list_{i}" for i, s in enumerate(book.lists)}


def compile_plan(book: Rulebook, as_of: date) -> Plan:
    record_lists = tuple(s for s in book.lists if s.entry.record_types)
    notices = sorted({s.notice_days for s in record_lists})
    words = (len(record_lists) + BITS - 1) // BITS
    rows: list[TypeRow] = []
    for slot, rt in enumerate(book.record_types):
        counts_from = first_counting_day(rt.counts_for, as_of)
        repair_from = first_counting_day(rt.repair.after, as_of) if rt.repair else None
        bits = [0] * (len(notices) * words)
        for k, spec in enumerate(record_lists):
            if rt.code in (spec.entry.record_types or ()):
                bits[notices.index(spec.notice_days) * words + k // BITS] |= 1 << (k % BITS)
        for kind in _type_kinds(rt):
            rows.append(
                TypeRow(
                    type=rt.code,
                    kind=kind,
                    slot=slot,
                    free_points=rt.points if rt.cap is None else 0,
                    tier_cap_rank=book.index.tier_rank[rt.tier_cap] if rt.tier_cap else -1,
                    counts_from=counts_from,
                    repair_from=repair_from,
                    suspend=rt.suspend_when_disputed,
                    bits=tuple(bits),
                )
            )
    return Plan(
        book=book,
        as_of=as_of,
        rows=tuple(rows),
        record_lists=record_lists,
        notice_until=tuple(_minus_days(as_of, n) for n in notices),
        list_columns=list_columns(book),
    )


def _bigint(n: int) -> str:
    return f"CAST({n} AS BIGINT)"


def _values(plan: Plan) -> str:
    n_bits = len(plan.notice_until) * plan.words
    lines = []
    for r in plan.rows:
        cells = [
            _str(r.type),
            _str(r.kind),
            str(r.slot),
            _bigint(r.free_points),
            str(r.tier_cap_rank),
            _date(r.counts_from),
            _date(r.repair_from),
            "TRUE" if r.suspend else "FALSE",
            *(_bigint(b) for b in r.bits),
        ]
        lines.append("(" + ", ".join(cells) + ")")
    # A row that never joins (NULL type) keeps the VALUES table well-typed, even when empty.
    blank = ["CAST(NULL AS STRING)"] * 2 + ["-1", _bigint(0), "-1"]
    blank += ["CAST(NULL AS DATE)"] * 2 + ["FALSE"] + [_bigint(0)] * n_bits
    lines.append("(" + ", ".join(blank) + ")")
    columns = ["type", "kind", "slot", "free_points", "tier_cap_rank", "counts_from"]
    columns += ["repair_from", "suspend", *(f"bits_{i}" for i in range(n_bits))]
    return (
        "SELECT * FROM (VALUES\n    " + ",\n    ".join(lines) + f"\n  ) AS v({', '.join(columns)})"
    )


def _json_array(flags: list[tuple[str, str]]) -> str:
    """A JSON array of the codes whose flag expression is true, in the order given."""
    if not flags:
        return "'[]'"
    items = ", ".join(f"CASE WHEN {flag} THEN {_json_code(code)} END" for code, flag in flags)
    anything = " OR ".join(flag for _, flag in flags)
    return f"CASE WHEN {anything} THEN concat('[', concat_ws(',', {items}), ']') ELSE '[]' END"


def _render(plan: Plan, dialect: Dialect, records: str, subjects: str, confirmations: str) -> str:
    """The plan's SQL: one pass over the records, one GROUP BY subject, one join to the
    subjects (kind, consent). List membership travels as bits of BIGINT words, OR-ed per
    subject, so the aggregate's state stays narrow however many lists a rulebook has."""
    book, as_of = plan.book, _date(plan.as_of)
    words = plan.words
    reviewed = {spec.code: i for i, spec in enumerate(plan.reviewed_lists)}

    # Per record: the bits of the lists it holds its subject on today (notice passed).
    flags = []
    for w in range(words):
        terms = []
        for g, until in enumerate(plan.notice_until):
            if until is None:  # a notice reaching before year 1: never passed
                continue
            notified = (
                f"r.decided_on <= {_date(until)} AND "
                f"(r.notified_on IS NULL OR r.notified_on <= {_date(until)})"
            )
            terms.append(f"CASE WHEN {notified} THEN t.bits_{g * words + w} ELSE 0 END")
        flags.append(" + ".join(terms) if terms else _bigint(0))
    suspend = " AND NOT (r.disputed AND t.suspend)" if any(r.suspend for r in plan.rows) else ""

    # DuckDB widens SUM(BIGINT) to HUGEINT; Spark keeps BIGINT. Both end as BIGINT.
    total = "SUM(f.points)"
    if dialect == Dialect.DUCKDB:
        total = f"CAST({total} AS BIGINT)"
    aggregates = [
        f"{total} AS points",
        "MAX(f.cap_rank) AS cap_rank",
    ]
    aggregates += [f"count_if(f.slot = {slot}) AS n_{slot}" for slot, _ in plan.capped]
    aggregates += [f"bit_or(f.flags_{w}) AS flags_{w}" for w in range(words)]

    points = ["COALESCE(p.points, 0)"]
    for slot, rt in plan.capped:
        if rt.points:
            sign = "+" if rt.points > 0 else "-"
            n = f"COALESCE(p.n_{slot}, 0)"
            points.append(f"{sign} LEAST({n} * {abs(rt.points)}, {rt.cap})")
    s = book.score
    score = f"LEAST({s.max}, GREATEST({s.min}, {s.base} + {' '.join(points)}))"
    needs = ", ".join(_str(k) for k in dict.fromkeys(k.value for k in s.requires_consent))
    scored = f"(s.kind NOT IN ({needs}) OR COALESCE(s.consent, FALSE))" if needs else "TRUE"
    rank = " ".join(f"WHEN score >= {t.min} THEN {i}" for i, t in enumerate(book.tiers))
    tier = " ".join(f"WHEN {i} THEN {_str(t.code)}" for i, t in enumerate(book.tiers))

    # Per list: does the entry condition hold, and is the list in force (confirmed if needed)?
    record_index = {spec.code: k for k, spec in enumerate(plan.record_lists)}
    entry: dict[str, str] = {}
    for spec in book.lists:
        if spec.code in record_index:
            bit = record_index[spec.code]
            entry[spec.code] = f"((flags_{bit // BITS} & {1 << (bit % BITS)}) <> 0)"
        else:
            ranks = sorted(
                {
                    book.index.tier_rank[t]
                    for t in spec.entry.tiers or ()
                    if t in book.index.tier_rank
                }
            )
            in_tiers = ", ".join(map(str, ranks))
            entry[spec.code] = f"(scored AND tier_rank IN ({in_tiers}))" if ranks else "FALSE"
    on_list = {
        code: f"({cond} AND conf_{reviewed[code]})" if code in reviewed else cond
        for code, cond in entry.items()
    }
    awaiting = {code: f"({entry[code]} AND NOT conf_{i})" for code, i in reviewed.items()}

    confirmed_cte = conf_join = ""
    conf_cols: list[str] = []
    if reviewed:
        found = [f"bool_or(k.list = {_str(code)}) AS conf_{i}" for code, i in reviewed.items()]
        confirmed_cte = f"""
confirmed AS (
  SELECT k.subject AS subject{"".join(f",{chr(10)}    {f}" for f in found)}
  FROM {confirmations} AS k
  WHERE k.confirmed_on <= {as_of} AND (k.ended_on IS NULL OR k.ended_on > {as_of})
  GROUP BY k.subject
),"""
        conf_join = "\n  LEFT JOIN confirmed AS q ON q.subject = s.subject"
        conf_cols = [f"COALESCE(q.conf_{i}, FALSE) AS conf_{i}" for i in reviewed.values()]
    carried = [f"flags_{w}" for w in range(words)] + [f"conf_{i}" for i in reviewed.values()]

    list_select = [f"{on_list[spec.code]} AS {plan.list_columns[spec.code]}" for spec in book.lists]
    list_select += [f"{cond} AS wait_{reviewed[code]}" for code, cond in awaiting.items()]
    lists_json = _json_array([(code, plan.list_columns[code]) for code in sorted(on_list)])
    awaiting_json = _json_array([(code, f"wait_{reviewed[code]}") for code in sorted(awaiting)])
    list_cols = [plan.list_columns[spec.code] for spec in book.lists]

    def cols(items: list[str], indent: str = "    ") -> str:
        return "".join(f",\n{indent}{item}" for item in items)

    return f"""-- trustledger plan: rulebook {book.rulebook} {book.version}, as of {plan.as_of}
WITH rule_types AS (
  {_values(plan)}
),
facts AS (
  SELECT r.subject AS subject, t.free_points AS points, t.tier_cap_rank AS cap_rank,
    t.slot AS slot{cols([f"{flag} AS flags_{w}" for w, flag in enumerate(flags)])}
  FROM {records} AS r
  JOIN rule_types AS t ON r.type = t.type AND r.kind = t.kind
  WHERE NOT r.voided{suspend}
    AND r.decided_on <= {as_of}
    AND r.decided_on >= t.counts_from
    AND (t.repair_from IS NULL OR r.fulfilled_on IS NULL
         OR r.fulfilled_on > {as_of} OR r.decided_on >= t.repair_from)
),
per_subject AS (
  SELECT f.subject AS subject{cols(aggregates)}
  FROM facts AS f
  GROUP BY f.subject
),{confirmed_cte}
standing AS (
  SELECT s.subject AS subject, s.kind AS kind,
    {scored} AS scored,
    {score} AS score,
    COALESCE(p.cap_rank, -1) AS cap_rank{
        cols([f"COALESCE(p.flags_{w}, 0) AS flags_{w}" for w in range(words)] + conf_cols)
    }
  FROM {subjects} AS s
  LEFT JOIN per_subject AS p ON p.subject = s.subject{conf_join}
),
ranked AS (
  SELECT subject, kind, scored, score,
    GREATEST(CASE {rank} END, cap_rank) AS tier_rank{cols(carried)}
  FROM standing
),
listed AS (
  SELECT subject, kind, scored, score, tier_rank{cols(list_select)}
  FROM ranked
)
SELECT subject, kind,
  CASE WHEN scored THEN score END AS score,
  CASE WHEN scored THEN CASE tier_rank {tier} END END AS tier,
  {lists_json} AS lists,
  {awaiting_json} AS awaiting{cols(list_cols, "  ")}
FROM listed
"""
