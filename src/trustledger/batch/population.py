"""A synthetic population written chunk by chunk as a Parquet snapshot (the simulator's input).

Memory stays bounded by the chunk: each chunk of subjects and its records is drawn with numpy,
written as one Parquet part each, and dropped. Subjects are integers (the simulator needs no
real identifiers); `kind` and `type` are dictionary-encoded, so 60 million records cost little.

Records of a type arrive as a Poisson process per subject: a subject of kind `k` (and, for
persons, age band `b`) gets Poisson(rate[k][type] * multiplier[b] * years) records, decided on
days uniform over the `years` before `as_of`. Some are fulfilled later (credit repair), and a
share `error_rate` is wrong: flagged `erroneous`, which the simulator's "truth" treats as voided.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from trustledger.batch.snapshot import RECORD_FACTS, RECORDS, SUBJECTS, Manifest, PartWriter

EPOCH = date(1970, 1, 1)
KINDS = ("person", "organization", "public_body")

SIM_RECORDS = pa.schema(
    [
        ("subject", pa.int64()),
        ("kind", pa.dictionary(pa.int8(), pa.string())),
        ("type", pa.dictionary(pa.int16(), pa.string())),
        *RECORD_FACTS,
        ("erroneous", pa.bool_()),
    ]
)
SIM_SUBJECTS = pa.schema(
    [
        ("subject", pa.int64()),
        ("kind", pa.dictionary(pa.int8(), pa.string())),
        ("consent", pa.bool_()),
        ("age", pa.int16()),
    ]
)


@dataclass(frozen=True)
class AgeBand:
    label: str
    low: int  # inclusive
    high: int  # inclusive
    share: float
    multiplier: float  # on every person record rate


@dataclass(frozen=True)
class PopulationSpec:
    kind_shares: Mapping[str, float]
    consent_share: float
    age_bands: Sequence[AgeBand]
    rates: Mapping[str, Mapping[str, float]]  # kind -> type -> records per subject per year
    fulfilment: Mapping[str, float]  # type -> share later fulfilled
    fulfil_within_days: int
    error_rate: float
    years: int
    as_of: date


@dataclass(frozen=True)
class PopulationStats:
    subjects: int
    records: int
    by_kind: dict[str, int]
    erroneous: int


def _days(day: date) -> int:
    return (day - EPOCH).days


def _dictionary(codes: np.ndarray, values: Sequence[str], index: pa.DataType) -> pa.Array:
    return pa.DictionaryArray.from_arrays(
        pa.array(codes, type=index), pa.array(list(values), type=pa.string())
    )


def _chunk(
    spec: PopulationSpec, rng: np.random.Generator, first: int, size: int, types: list[str]
) -> tuple[pa.Table, pa.Table, int]:
    subject = np.arange(first, first + size, dtype=np.int64)
    shares = np.array([spec.kind_shares.get(k, 0.0) for k in KINDS], dtype=float)
    kind = rng.choice(len(KINDS), size=size, p=shares / shares.sum()).astype(np.int8)
    consent = rng.random(size) < spec.consent_share
    band_shares = np.array([b.share for b in spec.age_bands], dtype=float)
    band = rng.choice(len(spec.age_bands), size=size, p=band_shares / band_shares.sum())
    low = np.array([b.low for b in spec.age_bands])[band]
    high = np.array([b.high for b in spec.age_bands])[band]
    age = (low + rng.random(size) * (high - low + 1)).astype(np.int16)
    is_person = kind == KINDS.index("person")
    multiplier = np.where(is_person, np.array([b.multiplier for b in spec.age_bands])[band], 1.0)
    subjects = pa.table(
        {
            "subject": subject,
            "kind": _dictionary(kind, KINDS, pa.int8()),
            "consent": consent,
            "age": pa.array(age, type=pa.int16(), mask=~is_person),
        },
        schema=SIM_SUBJECTS,
    )

    end = _days(spec.as_of)
    start = _days(spec.as_of - timedelta(days=365 * spec.years))
    parts: list[tuple[np.ndarray, np.ndarray, int]] = []  # (subjects, kind, type index)
    for k_index, k in enumerate(KINDS):
        members = np.flatnonzero(kind == k_index)
        if members.size == 0:
            continue
        for t_code, rate in spec.rates.get(k, {}).items():
            lam = rate * spec.years * multiplier[members]
            counts = rng.poisson(lam)
            total = int(counts.sum())
            if total:
                owners = np.repeat(members, counts)
                parts.append((owners, np.full(total, k_index, np.int8), types.index(t_code)))
    if not parts:
        return subjects, SIM_RECORDS.empty_table(), 0
    owners = np.concatenate([p[0] for p in parts])
    kinds = np.concatenate([p[1] for p in parts])
    type_index = np.concatenate([np.full(p[0].size, p[2], np.int16) for p in parts])
    n = owners.size
    decided = rng.integers(start, end + 1, size=n).astype(np.int32)
    share = np.array([spec.fulfilment.get(t, 0.0) for t in types])[type_index]
    fulfilled = decided + rng.integers(1, spec.fulfil_within_days + 1, size=n).astype(np.int32)
    fulfilled_mask = (rng.random(n) < share) & (fulfilled <= end)
    erroneous = rng.random(n) < spec.error_rate
    no_dates = pa.nulls(n, type=pa.date32())
    records = pa.table(
        {
            "subject": subject[owners],
            "kind": _dictionary(kinds, KINDS, pa.int8()),
            "type": _dictionary(type_index, types, pa.int16()),
            "decided_on": pa.array(decided, type=pa.int32()).cast(pa.date32()),
            "fulfilled_on": pa.array(fulfilled, type=pa.int32(), mask=~fulfilled_mask).cast(
                pa.date32()
            ),
            "notified_on": no_dates,
            "voided": np.zeros(n, dtype=bool),
            "disputed": np.zeros(n, dtype=bool),
            "erroneous": erroneous,
        },
        schema=SIM_RECORDS,
    )
    return subjects, records, int(erroneous.sum())


def write_population(
    spec: PopulationSpec,
    population: int,
    directory: Path,
    *,
    seed: int,
    chunk: int = 1_000_000,
    advance: Callable[[int], None] | None = None,
) -> PopulationStats:
    """Write `population` subjects and their records under `directory`, chunk by chunk.

    The same (spec, population, seed, chunk) always writes the same population.
    """
    types = sorted({t for rates in spec.rates.values() for t in rates})
    seeds = np.random.SeedSequence(seed)
    n_chunks = (population + chunk - 1) // chunk
    by_kind = dict.fromkeys(KINDS, 0)
    records_total = erroneous_total = 0
    with (
        PartWriter(directory / SUBJECTS, SIM_SUBJECTS, rows_per_part=chunk) as subject_parts,
        PartWriter(directory / RECORDS, SIM_RECORDS, rows_per_part=10 * chunk) as record_parts,
    ):
        for i, child in enumerate(seeds.spawn(n_chunks)):
            size = min(chunk, population - i * chunk)
            rng = np.random.default_rng(child)
            subjects, records, erroneous = _chunk(spec, rng, i * chunk, size, types)
            subject_parts.write(subjects)
            record_parts.write(records)
            counts = np.bincount(
                subjects.column("kind").combine_chunks().indices.to_numpy(), minlength=3
            )
            for k, c in zip(KINDS, counts, strict=True):
                by_kind[k] += int(c)
            records_total += records.num_rows
            erroneous_total += erroneous
            if advance is not None:
                advance(size)
    Manifest(
        "trustledger simulate",
        records_total,
        population,
        extra={"seed": seed, "chunk": chunk, "years": spec.years, "as_of": str(spec.as_of)},
    ).save(directory)
    return PopulationStats(population, records_total, by_kind, erroneous_total)
