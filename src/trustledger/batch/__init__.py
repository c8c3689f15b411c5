"""Population-scale jobs: one plan compiled from a rulebook and a day, run by DuckDB or Spark.

- `plan`       compiles `(Rulebook, as_of)` into one SQL text both engines run; the semantics
               are those of `trustledger.domain.scoring.evaluate`, held equal by a property test.
- `snapshot`   the Parquet layout of a ledger snapshot (`records/`, `subjects/`).
- `engines`    runs a plan over a snapshot with DuckDB (here) or Spark (`spark`, optional extra).
- `diff`       what changed between two rescores: tiers, list entries and exits, with examples.
- `population` a synthetic population written chunk by chunk (the policy simulator's input).
- `report`     the simulator's HTML report with its charts.
"""
