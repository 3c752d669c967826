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
        write_lock(session)


# -- coverage statistics (storage/stats.py) ----------------------------------------------------------


def local_day(session: Session, column: Any, zone: str, stretches: Sequence[tuple[Any, int]]):
    """``column`` (a time stored in UTC) as the text YYYY-MM-DD of its calendar day in the time zone
    ``zone``, in SQL, so that GROUP BY counts articles per local day without reading them.
    PostgreSQL converts with its own time zone database. SQLite has none: ``stretches`` are the
    zone's UTC offsets over the times to bucket, ``[(from, seconds east of UTC), …]`` in order
    (``from`` None for the first; storage.stats.utc_offsets), and each stretch shifts by its
    offset: one CASE branch per offset change (none for Asia/Shanghai, two a year with summer time)."""
    from sqlalchemy import case

    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(zone, column), "YYYY-MM-DD")
    shifted = [func.date(column, f"{seconds:+d} seconds") for _start, seconds in stretches]
    if len(shifted) == 1:
        return shifted[0]
    # a time before the next stretch's start belongs to this stretch
    return case(*((column < start, day) for (start, _), day in zip(stretches[1:], shifted)), else_=shifted[-1])


def _json_list(session: Session, column: Any):
    """``column`` (JSON) where it holds a list, else an empty list: neither backend's list
    functions may meet anything else (PostgreSQL raises on a scalar, SQLite iterates it)."""
    from sqlalchemy import case, literal_column

    if session.get_bind().dialect.name == "postgresql":
        return case((func.json_typeof(column) == "array", column), else_=literal_column("'[]'::json"))
    return case((func.json_type(column) == "array", column), else_=literal_column("'[]'"))


def json_elements(session: Session, column: Any):
    """The elements of a JSON list column as a table with one text column ``value``, one row per
    element, joined to the row holding them with ``join(elements, true())``: SQLite's json_each
    (implicitly lateral), PostgreSQL's json_array_elements_text in a LATERAL join."""
    if session.get_bind().dialect.name == "postgresql":
        return func.json_array_elements_text(_json_list(session, column)).table_valued("value").lateral()
    return func.json_each(_json_list(session, column)).table_valued("value")


def json_length(session: Session, column: Any):
    """The number of elements of a JSON list column (0 where it holds anything but a list)."""
    return func.json_array_length(_json_list(session, column))


# -- full-text search (storage/search.py builds the token streams and parses queries) ---------------


def write_lock(session: Session) -> None:
    """Take the database's write lock now, before reading (SQLite: one writer at a time, and
    reads after this see every committed write). PostgreSQL rows are locked as written."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE stories SET id = id WHERE 0 = 1"))


def search_scheme(session: Session, scheme: int) -> bool:
    """Empty the SQLite search index if it was built under another scheme (recorded in the
    file's user_version, otherwise unused); True when emptied. PostgreSQL replaces rows
    without recomputing old ones: nothing to do."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    stored = session.execute(text("PRAGMA user_version")).scalar()
    if stored == scheme:
        return False
    write_lock(session)
    emptied = session.execute(text("SELECT 1 FROM article_search LIMIT 1")).first() is not None
    if emptied:
        search_clear(session)
    session.execute(text(f"PRAGMA user_version = {int(scheme)}"))
    return emptied


def search_index(session: Session, article_id: int, unigrams: str, bigrams: str,
                 old: tuple[str, str] | None = None, missing_only: bool = False) -> None:
    """Index one article's token streams (replacing ``old``, its previous streams, if any;
    ``missing_only``: leave an article already indexed alone). SQLite: a contentless FTS5
    table, whose rows are removed by giving back what was indexed; PostgreSQL: tsvector
    columns (parser 'simple': one lexeme per token, positions kept)."""
    if session.get_bind().dialect.name == "postgresql":
        on_conflict = "DO NOTHING" if missing_only else "DO UPDATE SET uni = excluded.uni, bi = excluded.bi"
        session.execute(text(
            "INSERT INTO article_search (article_id, uni, bi) "
            f"VALUES (:id, to_tsvector('simple', :uni), to_tsvector('simple', :bi)) ON CONFLICT (article_id) {on_conflict}"),
            {"id": article_id, "uni": unigrams, "bi": bigrams})
        return
    held = session.execute(text("SELECT 1 FROM article_search WHERE rowid = :id"), {"id": article_id}).first()
    if held is not None:
        if missing_only:
            return
        if old is None:
            raise ValueError(f"article {article_id} is indexed already: its previous streams are needed to replace them")
        # a contentless table forgets a row when given back exactly what it indexed: the streams of
        # the previous title and text, recomputed (the same as indexed: storage.search.ensure_current)
        session.execute(text("INSERT INTO article_search (article_search, rowid, uni, bi) "
                             "VALUES ('delete', :id, :uni, :bi)"), {"id": article_id, "uni": old[0], "bi": old[1]})
    session.execute(text("INSERT INTO article_search (rowid, uni, bi) VALUES (:id, :uni, :bi)"),
                    {"id": article_id, "uni": unigrams, "bi": bigrams})


def search_clear(session: Session) -> None:
    """Empty the search index (to build it again)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("DELETE FROM article_search"))
    else:  # a contentless FTS5 table forgets everything at once, or one row given back whole
        session.execute(text("INSERT INTO article_search (article_search) VALUES ('delete-all')"))


def search_table(session: Session):
    """The search index as a table, and its column holding the article id."""
    from sqlalchemy import column, table

    if session.get_bind().dialect.name == "postgresql":
        index = table("article_search", column("article_id"), column("uni"), column("bi"))
        return index, index.c.article_id
    index = table("article_search", column("rowid"))
    return index, index.c.rowid


def search_match(session: Session, groups: list[list[tuple[bool, list[str]]]],
                 excluded: list[tuple[bool, list[str]]]):
    """(the index as a table, its column holding the article id, the match condition, the
    relevance, higher is better) for a parsed query: ``groups`` of terms that must all occur
    (any group), ``excluded`` terms that must not; each term is (unigram?, token sequences any
    of which matches). Every token is a bound parameter, or part of a double-quoted FTS5
    string of letters and digits only: the query text never becomes SQL."""
    from sqlalchemy import bindparam, literal_column

    index, key = search_table(session)
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import and_, func, not_, or_

        def query(tokens: list[str]):
            return func.phraseto_tsquery("simple", bindparam(None, " ".join(tokens), unique=True))

        def term(is_uni: bool, alternatives: list[list[str]]):
            column_ = index.c.uni if is_uni else index.c.bi
            return or_(*(column_.op("@@")(query(tokens)) for tokens in alternatives))

        condition = or_(*(and_(*(term(*t) for t in group)) for group in groups))
        if excluded:
            condition = and_(condition, *(not_(term(*t)) for t in excluded))
        positive = [t for group in groups for t in group][:8]
        relevance = sum((func.ts_rank(index.c.uni if is_uni else index.c.bi, query(alternatives[0]))
                         for is_uni, alternatives in positive), literal_column("0"))
        return index, key, condition, relevance

    def phrase(is_uni: bool, alternatives: list[list[str]]) -> str:
        column_ = "uni" if is_uni else "bi"
        return "(" + " OR ".join(f'{column_} : "' + " ".join(tokens) + '"' for tokens in alternatives) + ")"

    expression = " OR ".join("(" + " AND ".join(phrase(*t) for t in group) + ")" for group in groups) or '""'
    if excluded:
        expression = f"({expression}) NOT (" + " OR ".join(phrase(*t) for t in excluded) + ")"
    condition = text("article_search MATCH :expression").bindparams(expression=expression)
    return index, key, condition, literal_column("-bm25(article_search)")  # bm25: lower is better


def search_few(session: Session, key, condition, cap: int) -> list[int] | None:
    """PostgreSQL: the ids of every match if there are at most ``cap``, else None; SQLite: None.
    Read through the GIN indexes alone (a bitmap scan): PostgreSQL's planner takes a phrase of
    common pairs for a common phrase and would otherwise read the whole table newest first,
    checking every article's tsvector, for a phrase that occurs nowhere (seconds on a million)."""
    from sqlalchemy import select

    if session.get_bind().dialect.name != "postgresql":
        return None
    # for this one statement (SET LOCAL ends with the transaction anyway, should it fail)
    session.execute(text("SET LOCAL enable_seqscan = off"))
    session.execute(text("SET LOCAL enable_indexscan = off"))
    ids = list(session.scalars(select(key).where(condition).limit(cap + 1)))
    session.execute(text("RESET enable_seqscan"))
    session.execute(text("RESET enable_indexscan"))
    return ids if len(ids) <= cap else None
