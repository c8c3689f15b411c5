"""The policy simulator: a small city, two rulebooks, a report with its charts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from tests.batch.ledgers import stricter_rulebook
from tests.conftest import TODAY
from trustledger.batch.population import PopulationSpec, write_population
from trustledger.batch.simulate import AGE_BANDS, Assumptions, simulate
from trustledger.cli import app
from trustledger.domain.rulebook import parse_rulebook
from trustledger.services.admin.rulebooks import example_rulebook_text

CHARTS = ("scores", "tiers", "lists", "restricted", "wrongful", "disputes")


def test_simulate_writes_a_report_comparing_two_rulebooks(tmp_path: Path) -> None:
    base, strict = parse_rulebook(example_rulebook_text()), parse_rulebook(stricter_rulebook())
    result = simulate(
        base,
        strict,
        population=6_000,
        years=2,
        error_rate=0.05,
        seed=11,
        out=tmp_path / "sim",
        as_of=TODAY,
        chunk=2_500,
    )
    html = result.report.read_text()
    assert result.report == tmp_path / "sim" / "report.html"
    assert len(re.findall(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]{100,}"', html)) == 6
    for chart in CHARTS:
        assert (tmp_path / "sim" / "charts" / f"{chart}.png").stat().st_size > 1_000
    assert "example-city 2026.1" in html and "example-city 2026.2" in html
    # The assumed base rates and attempt rates are written in the report.
    assert "traffic.violation" in html and "0.4" in html and "travel.flight" in html
    assert "Assumptions" in html and "reviewer capacity" in html.lower()
    assert not (tmp_path / "sim" / "data").exists()  # synthetic data removed unless kept

    assert result.population.subjects == 6_000
    assert sum(result.population.by_kind.values()) == 6_000
    one, two = result.summaries
    assert one["version"] == "2026.1" and two["version"] == "2026.2"
    assert one["subjects"] == two["subjects"] == 6_000
    assert sum(one["tiers"].values()) + one["unscored"] == 6_000
    # The stricter book lists traffic offenders and restricts more; errors list some wrongly.
    assert two["lists"]["traffic-offenders"] > 0 and "traffic-offenders" not in one["lists"]
    assert (
        two["restricted_per_year"]["travel.rail_g_train"]
        > one["restricted_per_year"]["travel.rail_g_train"]
    )
    assert 0 < two["wrongful_listings"] <= two["listed_black"]
    assert one["disputes_per_month"] > 0
    assert one["review_capacity_per_month"] == Assumptions().capacity_per_month


def test_population_is_written_chunk_by_chunk_and_reproducibly(tmp_path: Path) -> None:
    assumptions = Assumptions()
    spec = PopulationSpec(
        kind_shares=assumptions.kind_shares,
        consent_share=0.6,
        age_bands=AGE_BANDS,
        rates=assumptions.rates,
        fulfilment=assumptions.fulfilment,
        fulfil_within_days=400,
        error_rate=0.1,
        years=3,
        as_of=TODAY,
    )
    first = write_population(spec, 2_500, tmp_path / "a", seed=3, chunk=1_000)
    again = write_population(spec, 2_500, tmp_path / "b", seed=3, chunk=1_000)
    assert first == again and first.subjects == 2_500
    assert len(list((tmp_path / "a" / "subjects").glob("*.parquet"))) == 3
    subjects = pq.read_table(tmp_path / "a" / "subjects")
    assert sorted(subjects.column("subject").to_pylist()) == list(range(2_500))
    records = pq.read_table(tmp_path / "a" / "records")
    assert records.num_rows == first.records > 2_500
    assert pq.read_table(tmp_path / "b" / "records").equals(records)
    days = records.column("decided_on").to_pylist()
    assert min(days) >= TODAY.replace(year=TODAY.year - 3) and max(days) <= TODAY
    share = first.erroneous / first.records
    assert 0.07 < share < 0.13


def test_cli_simulate(tmp_path: Path) -> None:
    rulebook = tmp_path / "strict.yaml"
    rulebook.write_text(stricter_rulebook())
    args = ["simulate", "--population", "2000", "--rulebook", str(rulebook), "--years", "1"]
    args += ["--error-rate", "0.02", "--seed", "5", "--out", str(tmp_path / "out")]
    args += ["--as-of", TODAY.isoformat(), "--chunk", "1000", "--keep-data", "--json"]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["report"] == str(tmp_path / "out" / "report.html")
    assert data["rulebooks"][0]["version"] == "2026.2"
    assert (tmp_path / "out" / "data" / "population" / "manifest.json").exists()
