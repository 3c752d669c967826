"""Engines and schema: where the archive lives and making sure it is up to date.

``--db`` takes a SQLAlchemy URL or a plain file path (a SQLite file); without
it, ``NEWSARCHIVE_DB_URL``, else ``sqlite:///data/archive.db``.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.exc import DatabaseError as SQLAlchemyDatabaseError
from sqlalchemy.orm import Session, sessionmaker

from . import dialect

DEFAULT_DB_URL = "sqlite:///data/archive.db"
_MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseError(RuntimeError):
    """The archive cannot be opened; the message says why and what to do."""


def resolve_db_url(db: str | None = None) -> str:
    """A SQLAlchemy URL from ``--db`` (URL or file path), the environment, or the default."""
    value = db or os.environ.get("NEWSARCHIVE_DB_URL") or DEFAULT_DB_URL
    if "://" not in value:
        value = f"sqlite:///{Path(value).expanduser()}"
    try:
        make_url(value)
    except ArgumentError:
        raise DatabaseError(f"{value!r} is not a database URL; give a file path or e.g. postgresql+psycopg://host/db") from None
    return value


def warc_dir(db_url: str, chosen: str | Path | None = None) -> Path:
    """Where an archive's WARC files are: ``chosen`` (an option or setting), else
    $NEWSARCHIVE_WARC_DIR, else a ``warc`` folder beside a SQLite archive, else ``data/warc``."""
    if chosen or os.environ.get("NEWSARCHIVE_WARC_DIR"):
        return Path(chosen or os.environ["NEWSARCHIVE_WARC_DIR"]).expanduser().resolve()
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).expanduser().resolve().parent / "warc"
    return Path("data/warc").resolve()


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if not database or database == ":memory:":
        return
    path = Path(database)
    blocking = next((p for p in path.parents if p.exists()), None)
    if blocking is not None and not blocking.is_dir():
        raise DatabaseError(f"cannot create {path}: {blocking} is a file, not a folder; choose another --db")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"cannot create the folder for {path}: {exc.strerror}; choose another --db") from None
    if path.exists() and not os.access(path, os.W_OK):
        raise DatabaseError(f"{path} is not writable; fix its permissions or choose another --db")
    if not path.exists() and not os.access(path.parent, os.W_OK):
        raise DatabaseError(f"cannot create {path}: folder {path.parent} is not writable; choose another --db")
    if path.exists() and path.stat().st_size:
        _refuse_foreign_sqlite(path)


def _refuse_foreign_sqlite(path: Path) -> None:
    """Look at an existing file read-only before anything writes to it (even the WAL pragma
    does): a database of another application is refused untouched."""
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as connection:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} is not an archive database ({exc}); choose another --db") from None
    _refuse_foreign_tables(str(path), tables)


def _refuse_foreign_tables(where: str, tables: set[str]) -> None:
    if tables and "alembic_version" not in tables:
        shown = ", ".join(sorted(tables)[:5])
        raise DatabaseError(f"{where} holds another application's tables ({shown}), not an archive; "
                            "choose another --db")


def make_engine(url: str) -> Engine:
    if make_url(url).get_backend_name() == "sqlite":
        _prepare_sqlite_file(url)
    try:
        engine = create_engine(url)
    except (NoSuchModuleError, ImportError) as exc:
        raise DatabaseError(f"no database driver for {make_url(url).drivername!r} ({exc}); check the URL") from None
    dialect.configure(engine)
    return engine


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def ensure_schema(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration."""
    config = _alembic_config()
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    try:
        with dialect.schema_change(engine) as connection:
            current = MigrationContext.configure(connection).get_current_revision()
            if current == head:
                return
            if current is None:  # a new archive, or someone else's database: never migrate the latter
                _refuse_foreign_tables(repr(engine.url), set(inspect(connection).get_table_names()))
            if current is not None and current not in {rev.revision for rev in script.walk_revisions()}:
                raise DatabaseError(f"the archive at {engine.url!r} has schema revision {current}, newer than this "
                                    f"newsarchive knows ({head}); upgrade newsarchive to open it")
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except OperationalError as exc:
        raise DatabaseError(f"cannot open the archive at {engine.url!r}: {exc.orig}") from None
    except SQLAlchemyDatabaseError as exc:
        raise DatabaseError(f"{engine.url!r} is not an archive database ({exc.orig}); choose another --db") from None


def open_archive(db: str | None = None) -> tuple[Engine, sessionmaker[Session]]:
    engine = make_engine(resolve_db_url(db))
    ensure_schema(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    from .search import ensure_current  # an index built under other Unicode or OpenCC tables is emptied

    ensure_current(sessions)
    return engine, sessions
