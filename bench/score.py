"""Scoring: the pure engine's `evaluate` of one subject with 50 records, example rulebook.

Builds 1,000 synthetic consenting persons with 50 records each (types a person can have,
decided over three years, some fulfilled), then evaluates every subject on one day, several
rounds. No database: this is the cost of the rules themselves. Prints one JSON line with the
median microseconds per subject (wall clock; CPU time beside it):

    python bench/score.py [--subjects 1000] [--records 50] [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import date, timedelta

from trustledger.domain.identifiers import SubjectKind
from trustledger.domain.rulebook import parse_rulebook
from trustledger.domain.scoring import Record, evaluate
from trustledger.services.admin.rulebooks import example_rulebook_text

AS_OF = date(2026, 6, 1)


def records_of(book_types: list[str], rng: random.Random, n: int) -> list[Record]:
    out = []
    for i in range(n):
        decided = AS_OF - timedelta(days=rng.randrange(3 * 365))
        fulfilled = None
        if rng.random() < 0.2:
            fulfilled = min(AS_OF, decided + timedelta(days=rng.randrange(1, 400)))
        out.append(
            Record(
                reference=f"R-{i:03d}",
                type=rng.choice(book_types),
                decided_on=decided,
                source="bench",
                fulfilled_on=fulfilled,
                notified_on=decided,
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1_000)
    parser.add_argument("--records", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    book = parse_rulebook(example_rulebook_text())
    person_types = [t.code for t in book.record_types if SubjectKind.PERSON in t.subject_kinds]
    rng = random.Random(2026)
    subjects = [records_of(person_types, rng, args.records) for _ in range(args.subjects)]
    kind = SubjectKind.PERSON

    for records in subjects[:100]:  # warm the rulebook's index and the period cache
        evaluate(book, kind, records, AS_OF, consent=True)
    rounds, cpu = [], []
    for _ in range(args.rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        for records in subjects:
            evaluate(book, kind, records, AS_OF, consent=True)
        rounds.append((time.perf_counter() - started) / len(subjects) * 1e6)
        cpu.append((time.process_time() - started_cpu) / len(subjects) * 1e6)
    print(
        json.dumps(
            {
                "bench": "score",
                "records_per_subject": args.records,
                "subjects": args.subjects,
                "rounds": args.rounds,
                "us_per_subject": round(statistics.median(rounds), 1),
                "best_us_per_subject": round(min(rounds), 1),
                # CPU time is what a busy machine changes least.
                "cpu_us_per_subject": round(statistics.median(cpu), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
