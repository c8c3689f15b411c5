"""What the store tells the layers above when the database refuses or is away.

Services may not import SQLAlchemy, so the store turns its exceptions into these (re-exported
by `services.context`); the API maps them to 409 and 503.
"""

from __future__ import annotations


class Duplicate(Exception):
    """A write that a unique constraint refused (e.g. a second open dispute on one record)."""


class StoreUnavailable(Exception):
    """The database cannot be reached, or did not answer in time: try again later."""


def unavailable(exc: BaseException) -> bool:
    """Whether a database error means "away or stuck" (connection refused or lost, a
    statement or lock timeout, SQLite's write lock not had in time, the pool exhausted), as
    opposed to a refused write (an integrity error) or a bug."""
    from sqlalchemy import exc as sa

    if isinstance(exc, sa.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, sa.OperationalError | sa.InterfaceError | sa.TimeoutError)
