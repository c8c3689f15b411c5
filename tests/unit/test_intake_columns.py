"""Columnar intake admits exactly what `Intake.admit` admits, row by row, with the same words.

The columnar path screens whole columns and sends every row it does not clear to `admit`; it
must never admit a row differently (other values) or admit a row `admit` refuses. These tests
generate lines mixing valid values with every kind of flaw and compare both paths, through
each reader (JSON Lines, CSV, Parquet) and the columns directly.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.test_intake import BODY, LEGACY_ORG, ORG, PERSON, intake
from trustledger.domain.intake import FIELDS, NewRecord, Rejected
from trustledger.services.intake import columnar, ingest

VALUES: dict[str, list[Any]] = {
    "subject": [
        PERSON,
        ORG,
        BODY,
        LEGACY_ORG,
        f" {PERSON}",
        PERSON.lower(),
        "cn-rid:110105194912310021",
        "nobody",
        "",
        None,
    ],
    "type": [
        "court.dishonest_debtor",
        "court.defamation",
        "gov.judgment_unperformed",
        "tax.a_grade",
        "no.such_type",
        " court.dishonest_debtor",
        "",
        None,
    ],
    "reference": [
        "R-1",
        "R-2",
        "(2026)京0105执1号",
        "x" * 200,
        "x" * 201,
        "a\x00b",
        " R-3 ",
        "R-4\u3000",
        "\x85R-5",
        "",
        None,
    ],
    "decided_on": [
        "2026-05-01",
        "2025-12-31",
        "2026-06-02",
        "1899-12-31",
        "20260501",
        "2026-02-30",
        "2026-5-1",
        " 2026-05-01",
        "",
        None,
    ],
    "amount": [
        None,
        "",
        "12500.50",
        "0",
        "0.5",
        "007",
        "1e3",
        "1_000",
        "-1",
        "1.234",
        "9999999999999999.99",
        "10000000000000000",
        "NaN",
        " 12 ",
        "abc",
    ],
    "note": [
        None,
        "",
        "unpaid",
        "  padded  ",
        "x" * 4000,
        "x" * 4001,
        "a\x00b",
        "\u3000",
        "x\u2028",
    ],
    "fulfilled_on": [None, "", "2026-05-20", "2026-04-01", "2026-07-01", "bad"],
    "notified_on": [None, "", "2026-05-02", "2026-04-01", "2030-01-01"],
    "subject_name": [None, "", "Acme Trading Co.", "  "],
}


def answer(value: NewRecord | Rejected) -> Any:
    if isinstance(value, Rejected):
        return ("rejected", str(value))
    return ("admitted", *(getattr(value, name) for name in value.__slots__))


def by_row(rows: list[dict[str, Any]], kind: str = "court") -> list[Any]:
    admit = intake(kind).admit
    out = []
    for r in rows:
        try:
            out.append(answer(admit(r)))
        except Rejected as exc:
            out.append(answer(exc))
    return out


def by_columns(rows: list[dict[str, Any]], kind: str = "court") -> list[Any]:
    present = [name for name in FIELDS if any(name in r for r in rows)]
    part = columnar.Columns(
        list(range(1, len(rows) + 1)),
        {name: pa.array([r.get(name) for r in rows], pa.string()) for name in present},
    )
    answers = columnar.admit_columns(intake(kind), part)
    assert [number for number, _ in answers] == part.numbers
    return [answer(a) for _, a in answers]


rows_strategy = st.lists(
    st.fixed_dictionaries(
        {},
        optional={name: st.sampled_from(values) for name, values in VALUES.items()},
    ),
    min_size=1,
    max_size=40,
)
valid_rows = st.lists(
    st.fixed_dictionaries(
        {
            "subject": st.sampled_from([PERSON, ORG]),
            "type": st.just("court.dishonest_debtor"),
            "reference": st.sampled_from(["R-1", "R-2", "R-3"]),
            "decided_on": st.sampled_from(["2026-05-01", "2025-12-31"]),
        },
        optional={
            "amount": st.sampled_from(["1.5", "12500.50", "0", None]),
            "note": st.sampled_from(["unpaid", None]),
            "fulfilled_on": st.sampled_from(["2026-05-20", None]),
        },
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows_strategy, kind=st.sampled_from(["court", "tax", "government"]))
def test_columns_answer_as_admit_does(rows: list[dict[str, Any]], kind: str) -> None:
    assert by_columns(rows, kind) == by_row(rows, kind)


@settings(max_examples=100, deadline=None)
@given(rows=valid_rows)
def test_valid_lines_take_the_columnar_path_and_match(rows: list[dict[str, Any]]) -> None:
    assert by_columns(rows) == by_row(rows)


def through(reader: Any, data: Any) -> list[tuple[int, Any]]:
    """(line, answer) of each line a file reader gives, admitted in columns where it can."""
    book = intake()
    out: list[tuple[int, Any]] = []
    for part in reader(data).parts():
        if isinstance(part, columnar.Columns):
            out.extend((n, answer(a)) for n, a in columnar.admit_columns(book, part))
        else:
            number, row = part
            try:
                out.append((number, answer(row if isinstance(row, Rejected) else book.admit(row))))
            except Rejected as exc:
                out.append((number, answer(exc)))
    return out


def rowwise(rows: Any) -> list[tuple[int, Any]]:
    book = intake()
    out: list[tuple[int, Any]] = []
    for number, row in rows:
        try:
            out.append((number, answer(row if isinstance(row, Rejected) else book.admit(row))))
        except Rejected as exc:
            out.append((number, answer(exc)))
    return out


JSON_LINES = [
    json.dumps({"subject": PERSON, "type": "court.dishonest_debtor", "reference": "J-1",
                "decided_on": "2026-05-01", "amount": "10.50"}, ensure_ascii=False),
    "",
    "   ",
    json.dumps({"subject": PERSON, "type": "court.dishonest_debtor", "reference": "J-2",
                "decided_on": "2026-05-01", "amount": 10.5}),
    '{"subject": "x"} {"subject": "y"}',
    "[1, 2]",
    "not json",
    '{"subject": "a", "subject": "b"}',
    '{"extra": 1, "subject": "x"}',
    json.dumps({"subject": ORG, "type": "court.dishonest_debtor", "reference": "J-3",
                "decided_on": "2026-05-01", "subject_name": "Acme"}),
    '{"subject": "' + PERSON + '", "type": "court.dishonest_debtor", "reference": "J-4", '
    '"decided_on": "2026-05-01", "note": "tab\there"}',
    '{"subject": null, "type": "court.dishonest_debtor"}',
]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(st.sampled_from(JSON_LINES), min_size=1, max_size=20),
    bom=st.booleans(),
    ending=st.sampled_from(["\n", "\r\n"]),
)
def test_json_lines_read_in_columns_answer_as_read_line_by_line(
    lines: list[str], bom: bool, ending: str
) -> None:
    text = ("\ufeff" if bom else "") + ending.join(lines) + ending
    columns = through(
        lambda s: columnar.read_jsonl_columns(s, ingest.jsonl_rows), io.StringIO(text, newline="")
    )
    assert columns == rowwise(ingest.read_jsonl(io.StringIO(text, newline="")))


def test_a_clean_json_lines_chunk_is_read_in_columns() -> None:
    text = "\n".join(JSON_LINES[:1] * 3) + "\n"
    parts = list(columnar.read_jsonl_columns(io.StringIO(text), ingest.jsonl_rows).parts())
    assert len(parts) == 1 and isinstance(parts[0], columnar.Columns)
    assert parts[0].numbers == [1, 2, 3]


@settings(max_examples=60, deadline=None)
@given(rows=rows_strategy)
def test_csv_read_in_columns_answers_as_read_row_by_row(rows: list[dict[str, Any]]) -> None:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(FIELDS)
    for r in rows:
        writer.writerow(["" if r.get(name) is None else r[name] for name in FIELDS])
    text = out.getvalue()
    columns = through(
        lambda s: columnar.read_csv_columns(s, ingest.read_csv), io.StringIO(text, newline="")
    )
    assert columns == rowwise(ingest.read_csv(io.StringIO(text, newline="")))


@settings(max_examples=40, deadline=None)
@given(rows=rows_strategy)
def test_parquet_read_in_columns_answers_as_read_row_by_row(rows: list[dict[str, Any]]) -> None:
    table = pa.table({name: pa.array([r.get(name) for r in rows], pa.string()) for name in FIELDS})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    buffer.seek(0)
    columns = through(lambda s: columnar.read_parquet_columns(s, ingest.read_parquet), buffer)
    buffer.seek(0)
    assert columns == rowwise(ingest.read_parquet(buffer))


def test_valid_lines_need_no_row_by_row_admission(monkeypatch: Any) -> None:
    """The screens clear plain valid lines (else the columnar path would be no faster)."""
    slow: list[int] = []
    original = columnar._slow

    def counting(book: Any, part: Any, indices: Any) -> Any:
        slow.extend(indices)
        return original(book, part, indices)

    monkeypatch.setattr(columnar, "_slow", counting)
    rows = [
        {"subject": PERSON, "type": "court.dishonest_debtor", "reference": "V-1",
         "decided_on": "2026-05-01", "amount": "12.50", "fulfilled_on": "2026-05-20"},
        {"subject": ORG, "type": "court.dishonest_debtor", "reference": "V-2",
         "decided_on": "2026-05-01", "note": "unpaid", "notified_on": "2026-05-03"},
        {"subject": BODY, "type": "gov.judgment_unperformed", "reference": "V-3",
         "decided_on": "2026-04-30", "amount": "0"},
        {"subject": "nobody", "type": "court.dishonest_debtor", "reference": "V-4",
         "decided_on": "2026-05-01"},
    ]  # fmt: skip
    assert by_columns(rows) == by_row(rows)
    assert slow == [3]


def test_the_screens_know_every_character_python_strips() -> None:
    import sys

    every = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    assert every == columnar.SPACES
