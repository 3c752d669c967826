"""Migrations: the same history builds both backends, matches the models, and keeps data."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

from storage.db import _alembic_config, ensure_schema, make_engine, resolve_db_url
from storage.models import Base
from tests.services import fresh_postgres_database


def _context(connection) -> MigrationContext:
    """The search index (FTS5, tsvector) and the date order index are backend-specific and so
    not among the models."""
    return MigrationContext.configure(connection, opts={
        "include_name": lambda name, kind, _parent: not (kind == "table" and name.startswith("article_search")
                                                         or kind == "index" and name == "ix_articles_published")})


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return resolve_db_url(str(tmp_path / "m.db"))
    databases = fresh_postgres_database()
    url = next(databases)
    request.addfinalizer(lambda: next(databases, None))
    return url


def test_migrations_match_the_models(database_url):
    engine = make_engine(database_url)
    ensure_schema(engine)
    with engine.connect() as connection:
        differences = compare_metadata(_context(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_upgrading_an_old_archive_keeps_its_articles(database_url):
    engine = create_engine(database_url)
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(text(
            "INSERT INTO sites (id, name, origin, timezone, created_at) VALUES (1, 'qhnews', 'http://www.qhnews.com',"
            " 'Asia/Shanghai', '2024-06-14 00:00:00')"))
        connection.execute(text(
            "INSERT INTO crawl_runs (id, site_id, started_at, outcome) VALUES (1, 1, '2024-06-14 00:00:00', 'ok')"))
        connection.execute(text(
            "INSERT INTO articles (id, uid, site_id, canonical_url, url, title, authors, language, text, page_urls,"
            " images, quality_flags, extraction, extractor_version, content_hash, first_seen_at, last_seen_at,"
            " first_run_id, last_run_id) VALUES (1, 'abc', 1, 'http://www.qhnews.com/a.shtml',"
            " 'http://www.qhnews.com/a.shtml', '标题', '[\"施翔\"]', 'zh', '正文', '[]', '[]', '[]', '{}', '1.0.0',"
            " 'h', '2024-06-14 00:00:00', '2024-06-14 00:00:00', 1, 1)"))
        connection.execute(text(
            "INSERT INTO fetches (id, run_id, site_id, kind, url, site_url, status, outcome, article_id, page_number,"
            " retries, fetched_at) VALUES (1, 1, 1, 'article', 'http://www.qhnews.com/a.shtml',"
            " 'http://www.qhnews.com/a.shtml', 200, 'stored', 1, 1, 0, '2024-06-14 00:00:00')"))
    engine.dispose()
    upgraded = make_engine(database_url)
    ensure_schema(upgraded)
    with upgraded.connect() as connection:
        row = connection.execute(text("SELECT title, text, correspondents, bylines_raw FROM articles")).one()
        # the articles it holds are known crawl state at once: its next crawl is incremental
        state = connection.execute(text("SELECT url, kind, article_id, outcome FROM url_state")).all()
        # its bylines are in the author index
        authors = connection.execute(text("SELECT name, article_id FROM article_authors")).all()
        # an upgraded archive is the same schema as a new one (column types included)
        assert compare_metadata(_context(connection), Base.metadata) == []
    upgraded.dispose()
    assert row[0] == "标题" and row[1] == "正文"
    assert [tuple(r) for r in state] == [("http://www.qhnews.com/a.shtml", "article", 1, "stored")]
    assert [tuple(r) for r in authors] == [("施翔", 1)]
    assert row[2] in ([], "[]") and row[3] in ({}, "{}")
