"""Deployment settings, from `TRUSTLEDGER_*` environment variables."""

from __future__ import annotations

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
    # The transparency log's Ed25519 signer key (`PRIVATE+KEY+<name>+<id>+<key>`, Go's note
    # format). Set it from a secret store in production; without it, `init` generates one and
    # keeps it in the database (table `log_state`).
    log_signer_key: str | None = None
    # The log's origin (checkpoint first line and key name) for a generated key.
    log_origin: str = "trustledger.example/log"

    def registry(self) -> SchemeRegistry:
        return SchemeRegistry.default(
            legacy_uscc=self.legacy_uscc,
            extra=[pattern_scheme(s.name, s.kind, s.pattern) for s in self.schemes],
        )
