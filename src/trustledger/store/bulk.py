"""Bulk inserts through the driver, for the ingest hot path.

SQLAlchemy Core spends several microseconds per row building parameters; an import of a
million records cannot afford that. These writes go straight to the DBAPI connection that the
caller's `Connection` holds, so they run inside its transaction: a batch still commits whole
or not at all. Values are converted by the same SQLAlchemy type processors a Core insert
would use, so what is stored is identical.

`insert_ignoring` skips rows whose key is already stored and counts the new ones:
- SQLite: one `executemany` of INSERT ... ON CONFLICT DO NOTHING (its rowcount sums the rows
  actually inserted);
- PostgreSQL: COPY into a temporary table, then one INSERT ... SELECT ... ON CONFLICT DO
  NOTHING in the rows' order (the first of two rows with the same key wins, as it would row
  by row). Small batches use a plain multi-row insert, which costs fewer round trips.

`insert_new` does the same and returns the keys and ids of the rows it inserted, taken from the
insert itself (PostgreSQL `RETURNING`; on SQLite, whose `executemany` returns no rows, the ids
above the largest id read after the transaction took the database's write lock, which no other
writer can take before this transaction ends). A count or a list of "new" rows read before the
write would be wrong as soon as two writers send the same keys.

`insert_all` inserts every row (SQLite `executemany`, PostgreSQL COPY), e.g. for an outbox.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    DateTime,
    MetaData,
    Table,
    func,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql

from trustledger.domain.intake import ColumnRows

# Below this many rows a PostgreSQL COPY's extra round trips cost more than they save.
COPY_THRESHOLD = 64

Converter = tuple[int, Callable[[Any], Any]]


def insert_ignoring(
    conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str]
) -> int:
    """Insert `rows` (dicts with the same keys) unless their `keys` are stored; count the new."""
    if not rows:
        return 0
    columns = list(rows[0])
    if conn.dialect.name == "sqlite":
        return _sqlite(conn, table, rows, columns, keys)
    if _copies(conn, rows):
        return int(_postgres_copy(conn, table, rows, columns, keys))
    statement = postgresql.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    # psycopg batches the rows into multi-VALUES statements: count what RETURNING gives back.
    pk = next(iter(table.primary_key.columns))
    return len(conn.execute(statement.returning(pk), list(rows)).all())


def insert_new(
    conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str]
) -> list[tuple[Any, ...]]:
    """Insert `rows` unless their `keys` are stored; return (id, *keys) of each inserted row."""
    if not rows:
        return []
    columns = list(rows[0])
    pk = next(iter(table.primary_key.columns))
    if conn.dialect.name == "sqlite":
        # The caller's transaction must already hold the write lock (it wrote before this),
        # so no other writer can insert between this read and the insert.
        before = conn.execute(select(func.max(pk))).scalar() or 0
        _sqlite(conn, table, rows, columns, keys)
        key_columns = [table.c[k] for k in keys]
        return [tuple(r) for r in conn.execute(select(pk, *key_columns).where(pk > before))]
    if _copies(conn, rows):
        return list(_postgres_copy(conn, table, rows, columns, keys, returning=True))
    statement = postgresql.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    returning = statement.returning(pk, *(table.c[k] for k in keys))
    return [tuple(r) for r in conn.execute(returning, list(rows))]


def insert_all(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys), e.g. notices into the outbox."""
    if not rows:
        return
    columns = list(rows[0])
    if conn.dialect.name == "sqlite":
        _sqlite(conn, table, rows, columns, None)
    elif _copies(conn, rows):
        name, names = _names(conn, table, columns)
        with _cursor(conn) as cursor, cursor.copy(f"COPY {name} ({names}) FROM STDIN") as copy:
            write = copy.write_row
            for values in _tuples(conn, table, rows, columns):
                write(values)
    else:
        conn.execute(insert(table), list(rows))


def _copies(conn: Connection, rows: Sequence[Any]) -> bool:
    return conn.dialect.driver == "psycopg" and len(rows) >= COPY_THRESHOLD


@contextmanager
def _cursor(conn: Connection) -> Iterator[Any]:
    """A cursor of the connection's own DBAPI connection: inside its transaction."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        yield cursor
    finally:
        cursor.close()


def _converters(conn: Connection, table: Table, columns: list[str]) -> list[Converter]:
    """(position, converter) for each column whose values the driver cannot take as they are."""
    dialect = conn.dialect
    converters: list[Converter] = []
    for i, name in enumerate(columns):
        impl = table.c[name].type.dialect_impl(dialect)
        process = impl.bind_processor(dialect)
        if process is None:
            continue
        if dialect.name == "sqlite" and isinstance(impl, Date) and not isinstance(impl, DateTime):
            # SQLAlchemy stores a SQLite DATE as YYYY-MM-DD, which is what isoformat() gives
            # for a plain date, at a fraction of the cost; anything else takes its processor.
            converters.append((i, _sqlite_date(process)))
        else:
            converters.append((i, process))
    return converters


def _sqlite_date(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    iso = date.isoformat

    def convert(value: Any) -> Any:
        return iso(value) if value.__class__ is date else process(value)

    return convert


def _tuples(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    columns: list[str],
    numbered: bool = False,
) -> list[Any]:
    """The rows as parameter tuples, each value converted as a Core insert would convert it
    (`numbered`: each tuple starts with the row's position). Column by column: a converter
    runs over one list, not once per row and column."""
    if isinstance(rows, ColumnRows):  # already columns
        values = [rows.columns[name] for name in columns]
    else:
        values = [[row[name] for row in rows] for name in columns]
    for i, convert in _converters(conn, table, columns):
        values[i] = [None if v is None else convert(v) for v in values[i]]
    if numbered:
        values.insert(0, list(range(len(rows))))
    return list(zip(*values, strict=True))


def _names(conn: Connection, table: Table, columns: Sequence[str]) -> tuple[str, str]:
    quote = conn.dialect.identifier_preparer.quote
    return conn.dialect.identifier_preparer.format_table(table), ", ".join(map(quote, columns))


def _sqlite(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    columns: list[str],
    keys: Sequence[str] | None,
) -> int:
    name, names = _names(conn, table, columns)
    marks = ", ".join("?" * len(columns))
    sql = f"INSERT INTO {name} ({names}) VALUES ({marks})"
    if keys is not None:
        sql += f" ON CONFLICT ({_names(conn, table, keys)[1]}) DO NOTHING"
    with _cursor(conn) as cursor:
        cursor.executemany(sql, _tuples(conn, table, rows, columns))
        return int(cursor.rowcount)


def _postgres_copy(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    columns: list[str],
    keys: Sequence[str],
    returning: bool = False,
) -> Any:
    """COPY into a staging table, then insert the new rows; their count, or (id, *keys)."""
    staging = stage(conn, table, rows, columns)
    try:
        return insert_staged(conn, table, staging, columns, keys, returning=returning)
    finally:
        unstage(conn, staging)


STAGE_ORDER = "incoming_order"


def stage(
    conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], columns: list[str]
) -> Table:
    """A temporary table `incoming_<table>` holding `rows` (their `columns`, with the target's
    types, and `incoming_order`, each row's position), in the caller's transaction: written by
    COPY on PostgreSQL, by one `executemany` on SQLite. `unstage` drops it (PostgreSQL drops
    it at commit in any case; a rollback drops it on both)."""
    name, names = _names(conn, table, columns)
    staging = Table(
        f"incoming_{table.name}",
        MetaData(),
        Column(STAGE_ORDER, BigInteger),
        *(Column(c, table.c[c].type) for c in columns),
        prefixes=["TEMPORARY"],
    )
    quoted = conn.dialect.identifier_preparer.quote(staging.name)
    params = _tuples(conn, table, rows, columns, numbered=True)
    with _cursor(conn) as cursor:
        # Same column types (SQLite: same affinities) as the target, no constraints.
        if conn.dialect.name == "sqlite":
            cursor.execute(
                f"CREATE TEMPORARY TABLE {quoted} AS "
                f"SELECT 0 AS {STAGE_ORDER}, {names} FROM {name} WHERE 0"
            )
            marks = ", ".join("?" * (len(columns) + 1))
            cursor.executemany(f"INSERT INTO {quoted} VALUES ({marks})", params)
        else:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {quoted} ON COMMIT DROP AS "
                f"SELECT 0::bigint AS {STAGE_ORDER}, {names} FROM {name} WITH NO DATA"
            )
            with cursor.copy(f"COPY {quoted} ({STAGE_ORDER}, {names}) FROM STDIN") as copy:
                write = copy.write_row
                for values in params:
                    write(values)
    return staging


def insert_staged(
    conn: Connection,
    table: Table,
    staging: Table,
    columns: list[str],
    keys: Sequence[str],
    returning: bool = True,
) -> Any:
    """Insert the staged rows whose `keys` are not stored, in their order (the first of two
    rows with the same key wins, as row by row); (id, *keys) of each row inserted, from the
    insert's own `RETURNING` (or their count)."""
    tail = f" RETURNING {_names(conn, table, _returned(table, keys))[1]}" if returning else ""
    with _cursor(conn) as cursor:
        cursor.execute(_insert_staged_sql(conn, table, staging, columns, keys) + tail)
        return [tuple(r) for r in cursor.fetchall()] if returning else int(cursor.rowcount)


def insert_staged_rows(
    conn: Connection, table: Table, staging: Table, columns: list[str], keys: Sequence[str]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """`insert_staged`, returning each inserted row whole as the database now holds it (its
    defaults included), typed as a Core select of the table would type it: (column names,
    rows). What was written is known without reading it back."""
    names = [c.name for c in table.columns]
    sql = _insert_staged_sql(conn, table, staging, columns, keys)
    with _cursor(conn) as cursor:
        cursor.execute(f"{sql} RETURNING {_names(conn, table, names)[1]}")
        raw = cursor.fetchall()
        codes = [d[1] for d in cursor.description]
    values: list[Any] = list(zip(*raw, strict=True)) or [() for _ in names]
    dialect = conn.dialect
    for i, name in enumerate(names):
        process = table.c[name].type.dialect_impl(dialect).result_processor(dialect, codes[i])
        if process is not None:
            values[i] = [None if v is None else process(v) for v in values[i]]
    return names, list(zip(*values, strict=True))


def _returned(table: Table, keys: Sequence[str]) -> list[str]:
    return [next(iter(table.primary_key.columns)).name, *keys]


def _insert_staged_sql(
    conn: Connection, table: Table, staging: Table, columns: list[str], keys: Sequence[str]
) -> str:
    name, names = _names(conn, table, columns)
    _, key_names = _names(conn, table, keys)
    quoted = conn.dialect.identifier_preparer.quote(staging.name)
    # (SQLite needs a WHERE to read ON CONFLICT as the insert's clause)
    return (
        f"INSERT INTO {name} ({names}) SELECT {names} FROM {quoted} WHERE true "
        f"ORDER BY {STAGE_ORDER} ON CONFLICT ({key_names}) DO NOTHING"
    )


def unstage(conn: Connection, staging: Table) -> None:
    with _cursor(conn) as cursor:
        cursor.execute(f"DROP TABLE {conn.dialect.identifier_preparer.quote(staging.name)}")


def fetch(conn: Connection, statement: Any) -> list[Any]:
    """The rows of a Core select as the driver returns them, without SQLAlchemy's per-row
    processing: for many rows of plain numbers (ids, positions, flags), not for dates or
    decimals, which each driver returns its own way."""
    compiled = statement.compile(dialect=conn.dialect)
    params = compiled.construct_params()
    if conn.dialect.paramstyle in ("qmark", "numeric"):
        values: Any = tuple(params[name] for name in compiled.positiontup)
    else:
        values = params
    with _cursor(conn) as cursor:
        cursor.execute(compiled.string, values)
        return cursor.fetchall()  # type: ignore[no-any-return]
