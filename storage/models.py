"""The archive's schema, in portable SQLAlchemy types (SQLite and PostgreSQL alike).

Times are stored in UTC and come back time-zone aware; a site's local zone lives
in ``sites.timezone`` and is applied on the way out. Articles carry a stable
``uid`` (derived from the first canonical URL) that never changes, so ids in a
researcher's exports stay valid across dumps and databases.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the archive stores only time-zone aware times")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


# Values that come from pages or servers (sections, outlets, headers…) are Text: PostgreSQL
# enforces VARCHAR lengths that SQLite ignores, and a page may print anything there.
class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    origin: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64))
    outlet: Mapped[str | None] = mapped_column(Text)  # the outlet the site is (青海新闻网): who carried a story
    created_at: Mapped[datetime]


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(16))  # running, ok, partial, failed, interrupted
    base_url: Mapped[str | None] = mapped_column(Text)  # where the site was fetched from, if not its origin
    summary: Mapped[dict[str, Any] | None]  # counts written when the run ends


class Fetch(Base):
    """One response (or one decision not to fetch), with what became of it."""

    __tablename__ = "fetches"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(16))  # list, article, link
    url: Mapped[str] = mapped_column(Text)  # the URL requested (on the replica when crawling one)
    site_url: Mapped[str] = mapped_column(Text, index=True)  # the same page on the site's real origin
    final_url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[int | None]  # HTTP status; None when nothing was fetched
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)
    page_number: Mapped[int] = mapped_column(Integer, default=1)
    content_type: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int | None]  # body bytes
    retries: Mapped[int] = mapped_column(Integer, default=0)
    fetched_at: Mapped[datetime]
    # The WARC record of this capture (response, or revisit when the payload was archived before)
    warc_file: Mapped[str | None] = mapped_column(String(255))
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    warc_length: Mapped[int | None] = mapped_column(BigInteger)
    warc_record_id: Mapped[str | None] = mapped_column(String(64), index=True)  # salvage asks which captures are recorded
    warc_type: Mapped[str | None] = mapped_column(String(16))
    payload_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    # Where the payload's bytes are: this record, or the one a revisit refers to
    payload_file: Mapped[str | None] = mapped_column(String(255))
    payload_offset: Mapped[int | None] = mapped_column(BigInteger)
    payload_record_id: Mapped[str | None] = mapped_column(String(64))


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    canonical_url: Mapped[str] = mapped_column(Text, unique=True)
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    subtitle: Mapped[str | None] = mapped_column(Text)
    column: Mapped[str | None] = mapped_column("article_column", Text)  # "column" is an SQL keyword
    section: Mapped[str | None] = mapped_column(Text)
    source_outlet: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[Any]]
    correspondents: Mapped[list[Any]] = mapped_column(JSON, server_default="[]")
    photographers: Mapped[list[Any]] = mapped_column(JSON, server_default="[]")
    editor: Mapped[str | None] = mapped_column(Text)
    bylines_raw: Mapped[dict[str, Any]] = mapped_column(JSON, server_default="{}")
    published_at: Mapped[datetime | None]
    published_precision: Mapped[str | None] = mapped_column(String(8))  # second, minute, day
    updated_at: Mapped[datetime | None]
    language: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    page_urls: Mapped[list[Any]]
    images: Mapped[list[Any]]
    quality_flags: Mapped[list[Any]]
    extraction: Mapped[dict[str, Any]]
    extractor_version: Mapped[str] = mapped_column(String(32))
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    first_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"))
    last_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"))
    record_hash: Mapped[str | None] = mapped_column(String(64))  # of the versioned fields (see versions.py)
    version: Mapped[int] = mapped_column(Integer, server_default="1")  # the current version's number
    warc_record_id: Mapped[str | None] = mapped_column(String(64))  # the capture the current version was read from
    removed_at: Mapped[datetime | None]  # set while the site no longer serves the article
    removal_evidence: Mapped[dict[str, Any] | None]
    # The story this article is a copy of (every article has one, alone in it or not; None: not yet indexed)
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id"), index=True)
    story_similarity: Mapped[float | None] = mapped_column(Float)  # resemblance to the copy it was matched with; None: it founded the story
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)  # its text's MinHash (storage.similarity): candidates are screened by it

    __table_args__ = (
        Index("ix_articles_site_hash", "site_id", "content_hash"),
        Index("ix_articles_site_published", "site_id", "published_at"),
        # ix_articles_published (newest first, undated last) is backend-specific: migration 0008
    )


class Story(Base):
    """One story and every archived copy of it, on whatever site (articles.story_id).

    A story found later to be the same as an older one is merged into it and kept as a
    row pointing there (``merged_into_id``), so a story id a researcher exported still
    resolves. The original is chosen by ``storage.stories.choose_original``.
    """

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)  # the public id, from its first copy's URL
    original_article_id: Mapped[int | None] = mapped_column(Integer)  # no FK: articles refer here already
    first_published_at: Mapped[datetime | None]
    copies: Mapped[int] = mapped_column(Integer, server_default="1")
    outlets: Mapped[int] = mapped_column(Integer, server_default="1")  # distinct sites carrying it
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id"))

    __table_args__ = (Index("ix_stories_copies_published", "copies", "first_published_at"),)


class ArticleBand(Base):
    """The near-duplicate index: one row per LSH band key of an article's text
    (``pipelines.similarity``). Articles sharing a key are candidates; the index lives
    in the database so detection works across runs, processes and machines."""

    __tablename__ = "article_bands"

    band_key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True, index=True)

    # on SQLite the primary key is the table (no rowid): half the pages for the same index
    __table_args__ = ({"sqlite_with_rowid": False},)


class ArticleAuthor(Base):
    """Who wrote an article: one row per name in its current ``authors`` (storage/authors.py).
    The filter ``--author`` reads it: the JSON list itself has no index, so a search filtered by
    an author read every match's row."""

    __tablename__ = "article_authors"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True, index=True)

    __table_args__ = ({"sqlite_with_rowid": False},)


class ArticleVersion(Base):
    """Every state an article has been seen in, whole; version 1 is the first capture."""

    __tablename__ = "article_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    version: Mapped[int]
    created_at: Mapped[datetime]  # when the capture it came from was fetched
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))  # None: from re-extraction
    source: Mapped[str] = mapped_column(String(16))  # crawl, reextract, backfill (archived before versions)
    record_hash: Mapped[str] = mapped_column(String(64))
    extractor_version: Mapped[str] = mapped_column(String(32))
    warc_record_id: Mapped[str | None] = mapped_column(String(64))
    diff_summary: Mapped[str | None] = mapped_column(Text)
    record: Mapped[dict[str, Any]]  # the versioned fields, as exported

    __table_args__ = (UniqueConstraint("article_id", "version", name="uq_article_versions_article_version"),)


class ArticleEvent(Base):
    """An article leaving the site (removed), coming back (reappeared), or an archived capture
    the current extractor could not read (reextract_failed), with the evidence."""

    __tablename__ = "article_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # removed, reappeared, reextract_failed
    at: Mapped[datetime]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    evidence: Mapped[dict[str, Any] | None]


class ArticleUrl(Base):
    """Every URL known to lead to an article: its canonical URL and its aliases."""

    __tablename__ = "article_urls"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # canonical, alias
    first_seen_at: Mapped[datetime]
    first_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"))


class UrlState(Base):
    """What the crawl knows of one URL of a site: the incremental crawl's memory.

    One row per article URL (canonical or alias, as requested), list page and section
    walk, written in the same transaction as the page it describes, so a killed crawl's
    state is exactly what it stored. A row can be deleted (``newsarchive state --reset``):
    the URL is then new again to the next crawl; the archive itself is untouched.
    """

    __tablename__ = "url_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    url: Mapped[str] = mapped_column(Text)  # on the site's real origin
    kind: Mapped[str] = mapped_column(String(16))  # article, list, section
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)
    status: Mapped[int | None]  # last HTTP status (None: no answer)
    outcome: Mapped[str | None] = mapped_column(String(16))  # last fetch outcome (storage.outcomes.Outcome)
    reason: Mapped[str | None] = mapped_column(String(32))
    etag: Mapped[str | None] = mapped_column(Text)  # validators of the last full answer, for conditional requests
    last_modified: Mapped[str | None] = mapped_column(Text)
    payload_digest: Mapped[str | None] = mapped_column(String(64))  # of the last answer's body
    record_hash: Mapped[str | None] = mapped_column(String(64))  # of the article as last extracted
    published_at: Mapped[datetime | None]  # the article's, for the revisit policy's age
    first_seen_at: Mapped[datetime]
    last_fetched_at: Mapped[datetime | None]
    last_changed_at: Mapped[datetime | None]  # last answer that stored something new (new article, new version)
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    failures: Mapped[int] = mapped_column(Integer, server_default="0")  # failed attempts in a row
    walked_at: Mapped[datetime | None]  # section rows: when a finished run last walked all its pagination

    # a start page is both a list page and the folder of its section: two rows, one per kind
    __table_args__ = (UniqueConstraint("site_id", "kind", "url", name="uq_url_state_site_kind_url"),)


class CrawlLock(Base):
    """One row while a crawl of a site runs: a second run of the site refuses to start."""

    __tablename__ = "crawl_locks"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    owner: Mapped[str] = mapped_column(Text)  # host:pid:process start time
    acquired_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]


class ExportDump(Base):
    """One finished export to a file (storage/dumps.py): what it selected, what it wrote, and the
    archive's high-water marks read before it, from which the next ``--since-exported`` starts."""

    __tablename__ = "export_dumps"

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(64), server_default="")  # --chain: independent series of one selection
    selection_key: Mapped[str] = mapped_column(String(64), index=True)  # sha256 of the selection and the chain
    selection: Mapped[dict[str, Any]]  # filters, query, one per story
    format: Mapped[str] = mapped_column(String(16))
    output: Mapped[str] = mapped_column(Text)  # the file as given (absolute)
    files: Mapped[list[Any]]  # [{name, bytes, sha256}] of the data file (its manifest is beside it)
    basis: Mapped[dict[str, Any] | None]  # {"after_run": N}, {"previous_dump": id}, or None (everything)
    articles: Mapped[int]
    # the largest id of each table when the dump began: what the next incremental dump compares with
    max_article_id: Mapped[int] = mapped_column(Integer)
    max_version_id: Mapped[int] = mapped_column(Integer)
    max_event_id: Mapped[int] = mapped_column(Integer)
    max_url_id: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
