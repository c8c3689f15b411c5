"""Deployment settings, from `TRUSTLEDGER_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict

from trustledger.domain.identifiers import SchemeRegistry, SubjectKind, pattern_scheme

DEFAULT_DATABASE_URL = "sqlite:///trustledger.db"


class SchemeSetting(BaseModel):
    """A deployment's own identifier scheme, e.g. {"name": "passport", "kind": "person", ...}."""

    name: str
    kind: SubjectKind
    pattern: str


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRUSTLEDGER_")

    database_url: str = DEFAULT_DATABASE_URL
    # Early USCC codes that are legally valid although their check character fails.
    legacy_uscc: list[str] = []
    schemes: list[SchemeSetting] = []
    import_batch_size: int = 10_000
    # Signs the web pages' session cookies and CSRF tokens; generated per process when unset
    # (sessions then end when the process restarts). Set it when several processes serve.
    session_secret: str | None = None
    # Reliability (docs/reliability.md): the largest request body (a batch of 10,000 records
    # with notes fits), refused with 413 before parsing or authentication.
    max_body_bytes: int = 16 * 2**20
    # PostgreSQL: every statement and every lock wait is bounded (0: unbounded), so a stuck
    # database answers 503 instead of holding workers; long jobs (migrations, imports,
    # rescoring snapshots, ANALYZE) lift both for their own transactions.
    statement_timeout_ms: int = 5_000
    lock_timeout_ms: int = 2_000
    connect_timeout_s: int = 5
    # `trustledger serve` (uvicorn): idle keep-alive connections closed after this many
    # seconds; at most this many connections and requests at once (503 beyond, 0: no limit);
    # the largest request head (h11), bytes; the listen backlog; seconds to finish requests on
    # shutdown; a repeated log message passes once per this many seconds.
    timeout_keep_alive_s: int = 5
    limit_concurrency: int = 1_000
    max_header_bytes: int = 16 * 1024
    backlog: int = 2_048
    timeout_graceful_shutdown_s: int = 30
    log_repeat_every_s: float = 60.0
    # Rate limits (token buckets, per process): requests a second and burst per API key, and
    # per address for callers without a key (0: no limit); a failed authentication is logged
    # at most once per address per `auth_log_every_s` seconds (the metric counts them all).
    rate_per_key: float = 200.0
    burst_per_key: int = 1_000
    rate_per_address: float = 50.0
    burst_per_address: int = 500
    auth_log_every_s: float = 60.0
    # SQLite: how long a writer waits for the database's write lock before giving up (503).
    sqlite_timeout_s: float = 30.0
    # SQLite durability: FULL (a commit survives power loss) or NORMAL (about 25 times more
    # commits a second on a plain disk; the last commits may be lost on power loss).
    sqlite_synchronous: str = "FULL"
    # The transparency log's Ed25519 signer key (`PRIVATE+KEY+<name>+<id>+<key>`, Go's note
    # format). Set it from a secret store in production; without it, `init` generates one and
    # keeps it in the database (table `log_state`).
    log_signer_key: str | None = None
    # The log's origin (checkpoint first line and key name) for a generated key.
    log_origin: str = "trustledger.example/log"
    # A witness outside the database: every checkpoint signed is appended to this file (JSON
    # Lines), and `trustledger log verify` checks the database's checkpoints against it. Put it
    # where the database's administrators cannot rewrite it (another disk, host or account).
    witness: Path | None = None

    def registry(self) -> SchemeRegistry:
        return SchemeRegistry.default(
            legacy_uscc=self.legacy_uscc,
            extra=[pattern_scheme(s.name, s.kind, s.pattern) for s in self.schemes],
        )
