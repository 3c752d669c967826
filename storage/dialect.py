"""Everything that differs between database backends, in one place."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Table, event, func, text
from sqlalchemy.orm import Session

# SQLite's page cache per connection (KiB). Its default (2 MiB) holds little of a large
# archive's indexes: the near-duplicate index alone is 32 rows per article.
SQLITE_CACHE_KIB = int(os.environ.get("NEWSARCHIVE_SQLITE_CACHE_MB", "64")) * 1024


def configure(engine: Engine) -> None:
    """Per-connection settings: SQLite gets WAL, foreign keys and a busy timeout."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        # WAL lets readers (export, stats) work while a crawl writes.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()


@contextmanager
def schema_change(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction for migrations. On SQLite, changing a column's type
    rebuilds the table (Alembic's batch mode), which foreign key checks would refuse half
    way: they are off for the migration and on again after (a pragma, outside transactions)."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                yield connection
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def upsert(session: Session, table: Table, values: dict[str, Any], keys: Sequence[str], update: Sequence[str],
           keep: Sequence[str] = (), expressions: dict[str, Any] | None = None) -> None:
    """INSERT, or else UPDATE the row with the same ``keys``: ``update`` columns take the new
    value, ``keep`` columns take it only when it is not NULL. One statement, no
    read-then-write window (SQLite and PostgreSQL both have ON CONFLICT). ``expressions``
    set columns of an existing row from SQL expressions (a counter: ``table.c.n + 1``)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the archive supports these two
        raise NotImplementedError(f"no upsert for {name}")
    statement = insert(table).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={**{column: statement.excluded[column] for column in update},
              **{column: func.coalesce(statement.excluded[column], table.c[column]) for column in keep},
              **(expressions or {})},
    )
    session.execute(statement)


# Any fixed number: the key of PostgreSQL's advisory lock around story assignment.
_STORIES_LOCK = 0x6E65777373746F72  # "newsstor"


def serialize_stories(session: Session) -> None:
    """One story assignment at a time, until the transaction ends. Two processes storing two
    copies of one story at once would otherwise each miss the other's uncommitted copy and
    found two stories. PostgreSQL takes an advisory transaction lock (released at commit or
    rollback); SQLite lets one writer at a time, and a write that changes nothing takes its
    lock now, so that what the transaction reads next is not overtaken by another writer."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _STORIES_LOCK})
    else:
        session.execute(text("UPDATE stories SET id = id WHERE 0 = 1"))
