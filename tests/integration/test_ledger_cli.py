"""The ledger through its command line, on SQLite and on PostgreSQL.

Every test drives `trustledger` as a user would (`--db URL --json`) and reads back what the
interface promises: the exact JSON of `score` and `check`, exit codes, and the time travel that
`--as-of` allows (notice periods, expiry, credit repair, tier caps, caps, consent).
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import Result
from sqlalchemy import inspect
from typer.testing import CliRunner

from trustledger.batch.synthetic import SOURCES, organization_id, person_id
from trustledger.cli import app
from trustledger.services.context import Ledger
from trustledger.store.database import make_engine
from trustledger.store.tables import metadata

EXAMPLE = Path(__file__).parents[2] / "rulebooks" / "example-city.yaml"
DEBTOR = "cn-rid:11010519491231002X"
ORG = organization_id(random.Random(1), public_body=False)
BODY = organization_id(random.Random(2), public_body=True)

runner = CliRunner()


def run(*args: str, db: str | None, expect: int = 0, env: dict[str, str] | None = None) -> Result:
    """Invoke `trustledger ARGS --db DB`; a crash (a traceback) is never an expected outcome."""
    argv = [*args, "--db", db] if db else list(args)
    result = runner.invoke(app, argv, env=env)
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, f"{argv} crashed: {result.exception!r}\n{result.stderr}"
    assert result.exit_code == expect, (argv, result.stdout, result.stderr)
    return result


def run_json(*args: str, db: str | None) -> Any:
    return json.loads(run(*args, "--json", db=db).stdout)


def errors_of(result: Result) -> str:
    """stderr as one line: Rich wraps long messages to the terminal width."""
    return " ".join(result.stderr.split())


def write_jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def record(
    subject: str, type_: str, reference: str, decided_on: str, **more: str | None
) -> dict[str, str]:
    """A line as a source sends it; unless told otherwise the subject was notified that day.

    (A listing's notice period counts from `notified_on`; without it, from the day received.)
    """
    line = {
        "subject": subject,
        "type": type_,
        "reference": reference,
        "decided_on": decided_on,
        "notified_on": decided_on,
        **more,
    }
    return {k: v for k, v in line.items() if v is not None}


def give_consent(db: str, *people: str) -> None:
    """Record consent through the store (the consent command and its audit are tested apart)."""
    ledger = Ledger.open(db)
    try:
        with ledger.uow() as uow:
            uow.subjects.set_consent([(p, "person") for p in people], True)
            uow.commit()
    finally:
        ledger.close()


def check_cli(db: str, subject: str, action: str, day: str) -> tuple[str, list[tuple[str, ...]]]:
    """`check --json`: exactly decision and measures; each measure names code, action, effect.

    (A measure may say more, e.g. its reason and legal basis; those are the API's to pin.)
    """
    data = run_json("check", subject, action, "--as-of", day, db=db)
    assert set(data) == {"decision", "measures"}
    assert data["decision"] in ("deny", "allow", "incentive")
    return data["decision"], [(m["code"], m["action"], m["effect"]) for m in data["measures"]]


ALLOW: tuple[str, list[tuple[str, ...]]] = ("allow", [])


@pytest.fixture
def db(database_url: str) -> str:
    """An initialized ledger (example rulebook) with the example city's sources, via the CLI."""
    run("init", db=database_url)
    for code, kind, name in SOURCES:
        run("sources", "add", code, "--kind", kind, "--name", name, db=database_url)
    return database_url


def import_rows(db: str, tmp_path: Path, source: str, rows: list[dict[str, str]]) -> Any:
    path = write_jsonl(tmp_path / f"{source}-{len(list(tmp_path.iterdir()))}.jsonl", rows)
    report = run_json("import", str(path), "--source", source, db=db)
    assert report["rejected"] == [], report
    return report


# --- init ---------------------------------------------------------------------------------


def test_init_creates_the_schema_and_activates_the_example_rulebook(database_url: str) -> None:
    assert run_json("init", db=database_url) == {
        "rulebook": "example-city",
        "version": "2026.1",
        "added": True,
    }
    engine = make_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(metadata.tables) <= tables
    # Running it again migrates nothing and keeps the active version.
    assert run_json("init", db=database_url)["added"] is False
    assert run_json("init", "--rulebook", str(EXAMPLE), db=database_url)["added"] is False
    human = run("init", db=database_url)
    assert "example-city 2026.1" in human.stdout


def test_init_refuses_an_invalid_rulebook(database_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("counts_for: 1y", "counts_for: 1 year", 1))
    result = run("init", "--rulebook", str(bad), db=database_url, expect=1)
    assert "counts_for" in errors_of(result)


def test_db_comes_from_the_environment(database_url: str) -> None:
    env = {"TRUSTLEDGER_DATABASE_URL": database_url}
    result = run("init", "--json", db=None, env=env)
    assert json.loads(result.stdout)["version"] == "2026.1"
    result = run(
        "sources", "add", "c", "--kind", "court", "--name", "C", "--json", db=None, env=env
    )
    assert json.loads(result.stdout) == {"code": "c", "kind": "court", "name": "C"}
    assert json.loads(run("sources", "list", "--json", db=database_url).stdout) == [
        {"code": "c", "kind": "court", "name": "C"}
    ]


# --- rulebook validate --------------------------------------------------------------------


def test_validate_accepts_the_example() -> None:
    result = run("rulebook", "validate", str(EXAMPLE), db=None)
    assert "valid" in result.stdout
    assert run_json("rulebook", "validate", str(EXAMPLE), db=None) == {
        "valid": True,
        "rulebook": "example-city",
        "version": "2026.1",
    }


def _broken(tmp_path: Path, name: str, change: Any) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text())
    change(data)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def _shape_errors(data: dict[str, Any]) -> None:
    data["record_types"][0]["pionts"] = data["record_types"][0].pop("points")
    del data["record_types"][1]["legal_basis"]
    data["record_types"][2]["counts_for"] = "forever"
    data["lists"][0]["kind"] = "grey"


def _lawfulness_errors(data: dict[str, Any]) -> None:
    honor = next(m for m in data["measures"] if m.get("tier") == "AAA")
    honor["effect"] = "deny"  # a tier may never restrict
    watch = next(x for x in data["lists"] if x["code"] == "credit-watch")
    watch["review"] = "none"  # a watch list entered by tiers needs review
    data["lists"][0]["entry"]["record_types"].append("court.no_such_type")
    data["tiers"][2]["min"] = data["tiers"][1]["min"]  # B overlaps A


def test_validate_reports_every_shape_error_with_its_path(tmp_path: Path) -> None:
    path = _broken(tmp_path, "shape.yaml", _shape_errors)
    report = run_json_expecting_failure("rulebook", "validate", str(path))
    by_path = {e["path"]: e["message"] for e in report["errors"]}
    assert by_path == {
        "record_types[0].pionts": "unknown key",
        "record_types[0].points": "required field is missing",
        "record_types[1].legal_basis": "required field is missing",
        "record_types[2].counts_for": by_path["record_types[2].counts_for"],
        "lists[0].kind": by_path["lists[0].kind"],
    }
    assert "'forever' is not a period" in by_path["record_types[2].counts_for"]
    assert all(isinstance(e["line"], int) and e["line"] > 1 for e in report["errors"])
    human = run("rulebook", "validate", str(path), db=None, expect=1)
    text = errors_of(human)
    for error_path in by_path:
        assert f"{error_path}:" in text
    assert "5 error(s)" in text
    assert human.stdout == ""


def test_validate_reports_every_lawfulness_error_with_its_path(tmp_path: Path) -> None:
    path = _broken(tmp_path, "unlawful.yaml", _lawfulness_errors)
    report = run_json_expecting_failure("rulebook", "validate", str(path))
    data = yaml.safe_load(path.read_text())
    honor = next(i for i, m in enumerate(data["measures"]) if m.get("tier") == "AAA")
    watch = next(i for i, x in enumerate(data["lists"]) if x["code"] == "credit-watch")
    entries = len(data["lists"][0]["entry"]["record_types"]) - 1
    paths = [e["path"] for e in report["errors"]]
    assert sorted(paths) == sorted(
        [
            "tiers[2].min",
            f"lists[{watch}].review",
            f"lists[0].entry.record_types[{entries}]",
            f"measures[{honor}].effect",
        ]
    )
    messages = " | ".join(e["message"] for e in report["errors"])
    assert "never deny" in messages
    assert "review: required" in messages
    assert "unknown record type 'court.no_such_type'" in messages
    assert "overlaps" in messages
    run("rulebook", "validate", str(path), db=None, expect=1)


def run_json_expecting_failure(*args: str) -> Any:
    result = run(*args, "--json", db=None, expect=1)
    report = json.loads(result.stdout)
    assert report["valid"] is False
    return report


# --- sources ------------------------------------------------------------------------------


def test_sources_add_registers_an_authorized_source(database_url: str) -> None:
    run("init", db=database_url)
    added = run_json(
        "sources", "add", "city-court", "--kind", "court", "--name", "Court", db=database_url
    )
    assert added == {"code": "city-court", "kind": "court", "name": "Court"}
    # The same registration again is a no-op; a different kind under the same code is refused.
    again = run_json(
        "sources", "add", "city-court", "--kind", "court", "--name", "Court", db=database_url
    )
    assert again == added
    clash = run(
        "sources",
        "add",
        "city-court",
        "--kind",
        "lender",
        "--name",
        "Bank",
        db=database_url,
        expect=1,
    )
    assert "already registered as court" in errors_of(clash)
    # A kind that reports nothing under the rulebook cannot be registered.
    unknown = run(
        "sources", "add", "cctv", "--kind", "camera", "--name", "Cam", db=database_url, expect=1
    )
    assert "'camera' reports nothing" in errors_of(unknown)
    assert run_json("sources", "list", db=database_url) == [added]


# --- score and check ----------------------------------------------------------------------


SCORE_KEYS = {
    "subject",
    "score",
    "tier",
    "contributions",
    "lists",
    "measures",
    "pending",
    "tier_cap",
}


LIBRARY = {
    "code": "a-tier-library-no-deposit",
    "action": "library.borrow",
    "effect": "waive_deposit",
    "reason": "tier:A",
    "legal_basis": "Rongcheng Measures on Joint Incentives for the Trustworthy, art. 7",
    "until": None,
}


def test_score_json_explains_every_point(db: str, tmp_path: Path) -> None:
    import_rows(db, tmp_path, "city-tax", [record(ORG, "tax.a_grade", "TAX-1", "2026-03-01")])
    import_rows(
        db, tmp_path, "city-market", [record(ORG, "admin.penalty_general", "MKT-1", "2026-02-01")]
    )
    data = run_json("score", ORG, "--as-of", "2026-06-01", db=db)
    assert data == {
        "subject": ORG,
        "score": 1010,
        "tier": "A",
        "contributions": [
            {
                "reference": "MKT-1",
                "type": "admin.penalty_general",
                "points": -20,
                "counts_until": "2027-02-01",
            },
            {
                "reference": "TAX-1",
                "type": "tax.a_grade",
                "points": 30,
                "counts_until": "2027-03-01",
            },
        ],
        "lists": ["a-grade-taxpayers"],
        "measures": [
            {
                "code": "a-grade-green-channel",
                "action": "tax.invoice_approval",
                "effect": "green_channel",
                "reason": "list:a-grade-taxpayers",
                "legal_basis": "SAT Tax Credit Management Measures, art. 29",
                "until": "2027-03-01",
            },
            {
                "code": "a-grade-bank-tax-loans",
                "action": "loan.application",
                "effect": "discount",
                "reason": "list:a-grade-taxpayers",
                "legal_basis": "SAT Tax Credit Management Measures, art. 29 (bank-tax interaction)",
                "until": "2027-03-01",
            },
            LIBRARY,
        ],
        "pending": [],
        "tier_cap": None,
    }
    assert set(data) == SCORE_KEYS
    for c in data["contributions"]:
        assert set(c) == {"reference", "type", "points", "counts_until"}
    for m in data["measures"]:
        # One measure shape everywhere: the check's.
        assert set(m) == {"code", "action", "effect", "reason", "legal_basis", "until"}
    # Before any record was decided the subject stands at the base score, on no list.
    before = run_json("score", ORG, "--as-of", "2026-01-31", db=db)
    assert (before["score"], before["tier"], before["contributions"], before["lists"]) == (
        1000,
        "A",
        [],
        [],
    )
    human = run("score", ORG, "--as-of", "2026-06-01", db=db)
    assert "1010" in human.stdout and "TAX-1" in human.stdout


def test_check_json_gives_the_decision_and_its_measures(db: str, tmp_path: Path) -> None:
    import_rows(db, tmp_path, "city-tax", [record(ORG, "tax.a_grade", "TAX-1", "2026-03-01")])
    assert check_cli(db, ORG, "loan.application", "2026-06-01") == (
        "incentive",
        [("a-grade-bank-tax-loans", "loan.application", "discount")],
    )
    assert check_cli(db, ORG, "travel.flight", "2026-06-01") == ALLOW
    human = run("check", ORG, "loan.application", "--as-of", "2026-06-01", db=db)
    assert "incentive" in human.stdout


def test_unknown_subject_has_the_base_standing(db: str) -> None:
    """A subject nobody reported on is unknown, not suspicious: base score, no list."""
    data = run_json("score", ORG, "--as-of", "2026-06-01", db=db)
    assert data == {
        "subject": ORG,
        "score": 1000,
        "tier": "A",
        "contributions": [],
        "lists": [],
        "measures": [LIBRARY],
        "pending": [],
        "tier_cap": None,
    }
    # A person gets no score at all without consent.
    assert run_json("score", DEBTOR, db=db) == {
        "subject": DEBTOR,
        "score": None,
        "tier": None,
        "contributions": [],
        "lists": [],
        "measures": [],
        "pending": [],
        "tier_cap": None,
    }


@pytest.mark.parametrize(
    ("subject", "message"),
    [
        ("cn-rid:11010519491231002Y", "check character expected X, got Y"),
        ("cn-rid:123", "must be 18 characters long"),
        ("11010519491231002X", "must be written scheme:value"),
        ("passport:E12345678", "unknown identifier scheme 'passport'"),
        ("cn-uscc:91110000ZZZZZZZZZZ", "not in the code alphabet"),
    ],
)
def test_a_bad_identifier_is_refused_with_a_clear_message(
    db: str, subject: str, message: str
) -> None:
    for args in (("score", subject), ("check", subject, "travel.flight")):
        result = run(*args, "--json", db=db, expect=1)
        assert result.stdout == ""
        assert message in errors_of(result)
        assert errors_of(result).startswith("error:")


def test_a_bad_date_or_version_is_refused(db: str) -> None:
    bad_date = run("score", ORG, "--as-of", "2026-02-30", db=db, expect=2)
    assert "--as-of" in errors_of(bad_date)
    unknown = run("score", ORG, "--rulebook-version", "1999.9", db=db, expect=1)
    assert "'1999.9' is not stored" in errors_of(unknown)


def test_consent_decides_whether_a_person_has_a_score(db: str, tmp_path: Path) -> None:
    person = person_id(random.Random(7))
    import_rows(
        db,
        tmp_path,
        "city-civil-affairs",
        [record(person, "civic.heroic_act", "HERO-1", "2026-01-05")]
        + [
            record(person, "civic.volunteer_hours", f"VOL-{i:02d}", f"2026-02-{i + 1:02d}")
            for i in range(12)
        ],
    )
    unscored = run_json("score", person, "--as-of", "2026-06-01", db=db)
    assert (unscored["score"], unscored["tier"], unscored["contributions"]) == (None, None, [])
    assert unscored["lists"] == [] and unscored["measures"] == []
    assert check_cli(db, person, "rental.deposit", "2026-06-01") == ALLOW

    give_consent(db, person)
    scored = run_json("score", person, "--as-of", "2026-06-01", db=db)
    # Twelve volunteer records give 60 points, capped at 50; the heroic act gives 30.
    assert scored["score"] == 1080
    assert scored["tier"] == "AAA"
    volunteer = [
        c["points"] for c in scored["contributions"] if c["type"] == "civic.volunteer_hours"
    ]
    assert volunteer == [5] * 10 + [0, 0]
    assert scored["lists"] == ["honor-roll"]
    assert check_cli(db, person, "approval.permit", "2026-06-01") == (
        "incentive",
        [
            ("honor-green-channel", "approval.permit", "green_channel"),
            ("aaa-priority-approvals", "approval.permit", "priority"),
        ],
    )
    assert check_cli(db, person, "rental.deposit", "2026-06-01") == (
        "incentive",
        [("honor-deposit-free-rental", "rental.deposit", "waive_deposit")],
    )
    # A year on, the volunteer hours have stopped counting: 1030, tier A, off the honor roll.
    later = run_json("score", person, "--as-of", "2027-03-01", db=db)
    assert (later["score"], later["tier"], later["lists"]) == (1030, "A", [])


# --- time travel --------------------------------------------------------------------------


def test_a_listing_takes_effect_after_the_notice_period(db: str, tmp_path: Path) -> None:
    import_rows(
        db,
        tmp_path,
        "city-court",
        [record(DEBTOR, "court.dishonest_debtor", "(2026)执1号", "2026-05-01")],
    )

    def flight(day: str) -> tuple[str, list[tuple[str, ...]]]:
        return check_cli(db, DEBTOR, "travel.flight", day)

    assert flight("2026-04-30") == ALLOW
    assert flight("2026-05-10") == ALLOW  # 10 days' notice
    assert flight("2026-05-11") == ("deny", [("no-flights", "travel.flight", "deny")])
    listed = run_json("score", DEBTOR, "--as-of", "2026-05-11", db=db)
    assert listed["score"] is None and listed["tier"] is None  # no consent, yet listed
    assert listed["lists"] == ["dishonest-debtors"]
    assert len(listed["measures"]) == 15
    assert {m["effect"] for m in listed["measures"]} == {"deny"}
    # The listing lasts two years, then ends by itself.
    assert flight("2028-04-30")[0] == "deny"
    assert flight("2028-05-01") == ALLOW


def test_the_notice_period_counts_from_the_notification(db: str, tmp_path: Path) -> None:
    late = person_id(random.Random(21))
    import_rows(
        db,
        tmp_path,
        "city-court",
        [
            record(
                late,
                "court.dishonest_debtor",
                "(2026)执3号",
                "2026-05-01",
                notified_on="2026-05-04",
            )
        ],
    )
    assert check_cli(db, late, "travel.flight", "2026-05-13") == ALLOW
    assert check_cli(db, late, "travel.flight", "2026-05-14")[0] == "deny"


def test_without_a_notification_date_the_notice_counts_from_receipt(
    db: str, tmp_path: Path
) -> None:
    """trustledger notifies the subject when the record arrives: the notice starts then."""
    received = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the example rulebook's zone
    unnotified = person_id(random.Random(22))
    import_rows(
        db,
        tmp_path,
        "city-court",
        [
            record(
                unnotified, "court.dishonest_debtor", "(2026)执4号", "2026-05-01", notified_on=None
            )
        ],
    )

    def flight(day: date) -> str:
        return check_cli(db, unnotified, "travel.flight", day.isoformat())[0]

    assert flight(date(2026, 5, 11)) == "allow"  # ten days after the decision: not yet
    assert flight(received + timedelta(days=9)) == "allow"
    assert flight(received + timedelta(days=10)) == "deny"


def test_fulfilment_repairs_a_record_early(db: str, tmp_path: Path) -> None:
    import_rows(
        db,
        tmp_path,
        "city-court",
        [
            record(
                DEBTOR,
                "court.dishonest_debtor",
                "(2026)执2号",
                "2026-03-01",
                fulfilled_on="2026-04-15",
            )
        ],
    )
    give_consent(db, DEBTOR)
    during = run_json("score", DEBTOR, "--as-of", "2026-04-14", db=db)
    assert during["score"] == 850
    assert during["contributions"] == [
        {
            "reference": "(2026)执2号",
            "type": "court.dishonest_debtor",
            "points": -150,
            "counts_until": "2026-04-15",
        }
    ]
    assert check_cli(db, DEBTOR, "leisure.golf", "2026-04-14")[0] == "deny"
    after = run_json("score", DEBTOR, "--as-of", "2026-04-15", db=db)
    assert (after["score"], after["contributions"], after["lists"]) == (1000, [], [])
    assert check_cli(db, DEBTOR, "leisure.golf", "2026-04-15") == ALLOW


def test_repair_never_ends_a_record_before_its_minimum(db: str, tmp_path: Path) -> None:
    """admin.penalty_general may be repaired, but only 3 months after the decision."""
    import_rows(
        db,
        tmp_path,
        "city-market",
        [record(ORG, "admin.penalty_general", "MKT-9", "2026-01-10", fulfilled_on="2026-01-20")],
    )
    on = run_json("score", ORG, "--as-of", "2026-04-09", db=db)
    assert on["score"] == 980
    assert on["contributions"][0]["counts_until"] == "2026-04-10"
    assert run_json("score", ORG, "--as-of", "2026-04-10", db=db)["score"] == 1000


def test_a_tier_cap_holds_while_its_record_counts(db: str, tmp_path: Path) -> None:
    person = person_id(random.Random(11))
    import_rows(
        db,
        tmp_path,
        "city-traffic",
        [record(person, "traffic.drunk_driving", "DD-1", "2025-12-31")],
    )
    import_rows(
        db,
        tmp_path,
        "city-civil-affairs",
        [record(person, "civic.heroic_act", "HERO-2", "2025-12-01")],
    )
    give_consent(db, person)
    capped = run_json("score", person, "--as-of", "2026-06-01", db=db)
    assert (capped["score"], capped["tier"]) == (980, "C")  # 980 is tier A by points
    assert capped["measures"] == []  # tier C grants nothing, and never restricts
    # Drunk driving counts two years (to 2027-12-31); the heroic act three.
    freed = run_json("score", person, "--as-of", "2027-12-31", db=db)
    assert (freed["score"], freed["tier"]) == (1030, "A")


def test_a_low_score_alone_never_restricts(db: str, tmp_path: Path) -> None:
    person = person_id(random.Random(12))
    import_rows(
        db,
        tmp_path,
        "city-court",
        [
            record(person, "court.defamation", "DEF-1", "2026-01-01"),
            record(person, "court.defamation", "DEF-2", "2026-01-02"),
            record(person, "court.defamation", "DEF-3", "2026-01-03"),
            record(person, "court.defamation", "DEF-4", "2026-01-04"),
            record(person, "court.defamation", "DEF-5", "2026-01-05"),
        ],
    )
    give_consent(db, person)
    data = run_json("score", person, "--as-of", "2026-06-01", db=db)
    assert (data["score"], data["tier"]) == (500, "D")
    # Tier D proposes the credit-watch list, which needs a reviewer: nothing applies by itself.
    assert data["lists"] == [] and data["measures"] == []
    for action in ("travel.flight", "loan.application", "procurement.bid"):
        assert check_cli(db, person, action, "2026-06-01") == ALLOW


def test_a_public_body_is_scored_by_the_same_engine(db: str, tmp_path: Path) -> None:
    import_rows(
        db,
        tmp_path,
        "city-integrity",
        [record(BODY, "gov.overdue_commitment", "GOV-1", "2026-02-01", fulfilled_on="2026-05-01")],
    )
    assert check_cli(db, BODY, "gov.new_project_approval", "2026-04-30") == (
        "deny",
        [("arrears-no-new-projects", "gov.new_project_approval", "deny")],
    )
    kept = run_json("score", BODY, "--as-of", "2026-05-01", db=db)
    assert (kept["score"], kept["lists"]) == (1000, [])


def test_today_is_the_default_day(db: str, tmp_path: Path) -> None:
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    import_rows(db, tmp_path, "city-tax", [record(ORG, "tax.a_grade", "TAX-T", yesterday)])
    assert run_json("score", ORG, db=db)["score"] == 1030
