"""One schema for SQLite and PostgreSQL. Alembic migrations under `migrations/` build it."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)

metadata = MetaData()

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for the ledger.
Id = BigInteger().with_variant(Integer(), "sqlite")


def id_column() -> Column[int]:
    """The surrogate key most tables have: autoincrementing on both databases."""
    return Column("id", Id, primary_key=True, autoincrement=True)


def single_row_id() -> Column[int]:
    """The key of a table that holds one row, id = 1 (a head, a state): given, never generated."""
    return Column("id", Integer, primary_key=True, autoincrement=False)


def stamp(name: str) -> Column[object]:
    """When the row was stored, by the database's clock."""
    return Column(name, DateTime(timezone=True), nullable=False, server_default=func.now())


def record_ref() -> Column[int]:
    """The record a row is about."""
    return Column("record_id", Id, ForeignKey("records.id"), nullable=False)


def open_per_record(table: str) -> Index:
    """At most one open case per record, held by the database (0009): of two filings at once,
    one wins."""
    return Index(
        f"uq_{table}_open_record",
        "record_id",
        unique=True,
        sqlite_where=text("status = 'open'"),
        postgresql_where=text("status = 'open'"),
    )


rulebooks = Table(
    "rulebooks",
    metadata,
    id_column(),
    Column("name", String(100), nullable=False),
    Column("version", String(100), nullable=False),
    Column("text", Text, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("active", Boolean, nullable=False, default=False),
    stamp("loaded_at"),
    UniqueConstraint("name", "version", name="uq_rulebooks_name_version"),
)

sources = Table(
    "sources",
    metadata,
    Column("code", String(100), primary_key=True),
    Column("kind", String(100), nullable=False),
    Column("name", Text, nullable=False),
    stamp("created_at"),
)

subjects = Table(
    "subjects",
    metadata,
    Column("id", String(120), primary_key=True),  # scheme:value, normalized
    Column("kind", String(20), nullable=False),
    Column("consent", Boolean, nullable=False, server_default="0"),
    stamp("created_at"),
    # The registered name of an organization or public body (migration 0006); never a person's.
    Column("name", String(200), nullable=True),
)

records = Table(
    "records",
    metadata,
    id_column(),
    Column("subject", String(120), ForeignKey("subjects.id"), nullable=False),
    Column("type", String(100), nullable=False),
    Column("source", String(100), ForeignKey("sources.code"), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("decided_on", Date, nullable=False),
    Column("amount", Numeric(18, 2), nullable=True),
    Column("note", Text, nullable=True),
    Column("fulfilled_on", Date, nullable=True),
    Column("notified_on", Date, nullable=True),  # notice periods count from the notification
    Column("voided", Boolean, nullable=False, server_default="0"),
    Column("disputed", Boolean, nullable=False, server_default="0"),
    stamp("received_at"),
    UniqueConstraint("source", "reference", name="uq_records_source_reference"),
    Index("ix_records_subject", "subject"),
)

record_events = Table(
    "record_events",
    metadata,
    id_column(),
    record_ref(),
    Column("event", String(20), nullable=False),  # fulfilled | voided
    Column("on_date", Date, nullable=False),
    Column("note", Text, nullable=True),
    Column("actor", String(200), nullable=False),
    stamp("recorded_at"),
    Index("ix_record_events_record", "record_id"),
)

api_keys = Table(
    "api_keys",
    metadata,
    id_column(),
    Column("key_id", String(32), nullable=False, unique=True),  # public half, shown in logs
    Column("secret_hash", String(64), nullable=False),  # SHA-256 of the secret half
    Column("role", String(20), nullable=False),
    Column("source", String(100), ForeignKey("sources.code"), nullable=True),  # agency keys
    Column("actions", Text, nullable=True),  # provider keys: JSON list of allowed actions
    Column("subject", String(120), nullable=True),  # subject keys: whom they act for
    Column("name", Text, nullable=False),
    stamp("created_at"),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)


# --- due process (migration 0005) -----------------------------------------------------------


def _decision() -> tuple[Column[object], ...]:
    """Who decided a case, on what day, and why (the reason is shown to the subject)."""
    return (
        Column("decided_on", Date, nullable=True),
        Column("decided_by", String(200), nullable=True),
        Column("reason", Text, nullable=True),
    )


def _filed_case() -> tuple[Column[object], ...]:
    """A case filed on a day and due by another (overdue, it is escalated); its status (open |
    upheld | rejected) and decision."""
    return (
        Column("filed_on", Date, nullable=False),
        Column("due_on", Date, nullable=False),
        Column("status", String(20), nullable=False),
        *_decision(),
    )


disputes = Table(
    "disputes",
    metadata,
    id_column(),
    record_ref(),
    Column("subject", String(120), nullable=False),
    Column("source", String(100), nullable=False),  # the record's source, which sees the dispute
    Column("grounds", Text, nullable=False),
    *_filed_case(),
    stamp("filed_at"),
    Index("ix_disputes_subject", "subject"),
    Index("ix_disputes_status_due", "status", "due_on"),
    open_per_record("disputes"),
)

proposals = Table(
    "proposals",
    metadata,
    id_column(),
    Column("subject", String(120), nullable=False),
    Column("list", String(100), nullable=False),
    Column("because", String(200), nullable=False),  # e.g. tier:D
    Column("proposed_on", Date, nullable=False),
    Column("status", String(20), nullable=False),  # pending | confirmed | rejected | ended
    Column("statement", Text, nullable=True),  # the subject's, before the decision
    *_decision(),
    Column("ended_on", Date, nullable=True),
    Index("ix_proposals_subject", "subject"),
    Index("ix_proposals_status", "status"),
)

repairs = Table(
    "repairs",
    metadata,
    id_column(),
    record_ref(),
    Column("subject", String(120), nullable=False),
    Column("commitment", Text, nullable=False),
    Column("requested_on", Date, nullable=False),
    Column("status", String(20), nullable=False),  # open | approved | rejected
    *_decision(),
    Index("ix_repairs_subject", "subject"),
    open_per_record("repairs"),
)

outbox = Table(
    "outbox",
    metadata,
    id_column(),
    Column("subject", String(120), nullable=False),
    Column("kind", String(40), nullable=False),  # listing | dispute | proposal | repair | expiry
    Column("payload", Text, nullable=False),  # JSON
    stamp("created_at"),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Index("ix_outbox_unsent", "sent_at"),
)


# --- government integrity (migration 0008) --------------------------------------------------

public_bodies = Table(
    "public_bodies",
    metadata,
    Column("id", String(120), ForeignKey("subjects.id"), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("parent", String(120), nullable=True),
)

posts = Table(
    "posts",
    metadata,
    id_column(),
    Column("body", String(120), nullable=False),
    Column("post", String(100), nullable=False),
    Column("holder", String(120), nullable=False),
    Column("from_on", Date, nullable=False),
    Column("to_on", Date, nullable=True),
    Index("ix_posts_body", "body"),
    Index("ix_posts_holder", "holder"),
)

commitments = Table(
    "commitments",
    metadata,
    id_column(),
    Column("source", String(100), ForeignKey("sources.code"), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("body", String(120), nullable=False),
    Column("counterparty", String(120), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("record_type", String(100), nullable=False),
    Column("amount", Numeric(18, 2), nullable=False),
    Column("accepted_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("sme", Boolean, nullable=False, server_default="0"),
    Column("post", String(100), nullable=True),
    stamp("received_at"),
    UniqueConstraint("source", "reference", name="uq_commitments_source_reference"),
    Index("ix_commitments_body", "body"),
    Index("ix_commitments_counterparty", "counterparty"),
)

payments = Table(
    "payments",
    metadata,
    id_column(),
    Column("commitment_id", Id, ForeignKey("commitments.id"), nullable=False),
    Column("on_date", Date, nullable=False),
    Column("amount", Numeric(18, 2), nullable=False),
    Index("ix_payments_commitment", "commitment_id"),
)

complaints = Table(
    "complaints",
    metadata,
    id_column(),
    Column("commitment_id", Id, ForeignKey("commitments.id"), nullable=True),
    Column("subject", String(120), nullable=False),  # the complainant (the counterparty)
    Column("body", String(120), nullable=False),
    Column("commitment_source", String(100), nullable=True),
    Column("reference", String(200), nullable=True),  # the commitment, or the unregistered bill
    Column("supervisor", String(100), nullable=False),  # the source kind that supervises
    Column("grounds", String(20), nullable=False),  # late | unregistered | withheld
    Column("statement", Text, nullable=False),
    *_filed_case(),
    Index("ix_complaints_status_due", "status", "due_on"),
)
