"""Streaming exports of the archive: one JSON object per article, constant memory.

The record's fields are documented by ``storage/schema/article.schema.json``;
times carry the site's own UTC offset (+08:00 for Qinghai News).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any, NamedTuple
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import String, and_, or_, select, type_coerce
from sqlalchemy.orm import Session, sessionmaker

from .models import Article, ArticleAuthor, ArticleUrl, Site, Story

SCHEMA_PATH = Path(__file__).parent / "schema" / "article.schema.json"
SCHEMA_VERSION = 4
_loads = orjson.loads


@dataclass(frozen=True)
class ArticleFilter:
    """Which articles to read. Dates are calendar days in each site's own time zone, inclusive."""

    site: str | None = None
    section: str | None = None
    since: date | None = None
    until: date | None = None
    column: str | None = None
    source_outlet: str | None = None
    author: str | None = None
    edited: bool | None = None  # True: only articles with more than one version; False: only unedited ones
    removed: bool | None = None  # True: only articles the site took down; False: only those still up

def _local_bounds(site: Site, since: date | None, until: date | None):
    """UTC-comparable bounds; a day at the ends of the calendar (0001-01-01, 9999-12-31) means no bound."""
    tz = ZoneInfo(site.timezone)
    low = datetime.combine(since, time.min, tz) if since and since > date.min else None
    high = datetime.combine(until + timedelta(days=1), time.min, tz) if until and until < date.max else None
    return low, high


def filtered(session: Session, query, where: ArticleFilter):
    """``query`` (over Article) narrowed by the filter."""
    sites = session.scalars(select(Site)).all()
    if where.site:
        sites = [s for s in sites if s.name == where.site]
        query = query.where(Article.site_id.in_([s.id for s in sites]))
    if where.section:
        query = query.where(Article.section == where.section)
    if where.column:
        query = query.where(Article.column == where.column)
    if where.source_outlet:
        query = query.where(Article.source_outlet == where.source_outlet)
    if where.author:
        query = query.where(Article.id.in_(author_articles(where.author)))
    if where.edited is not None:
        query = query.where(Article.version > 1 if where.edited else Article.version <= 1)
    if where.removed is not None:
        query = query.where(Article.removed_at.is_not(None) if where.removed else Article.removed_at.is_(None))
    if where.since or where.until:
        per_site = []
        for site in sites:
            low, high = _local_bounds(site, where.since, where.until)
            conditions = [Article.site_id == site.id]
            if low:
                conditions.append(Article.published_at >= low)
            if high:
                conditions.append(Article.published_at < high)
            per_site.append(and_(*conditions))
        query = query.where(or_(*per_site) if per_site else Article.id.is_(None))
    return query


def author_articles(name: str):
    """The ids of the articles ``name`` wrote (the author index, storage/authors.py): the name
    exactly as the byline gives it."""
    return select(ArticleAuthor.article_id).where(ArticleAuthor.name == name)


def _iso(value: datetime | None, tz: ZoneInfo) -> str | None:
    return value.astimezone(tz).isoformat() if value else None


class StoryRef(NamedTuple):
    """What a record needs of its story (a ``Story`` row has the same attributes)."""

    uid: str
    copies: int
    original_article_id: int | None


def article_record(article, site: Site, aliases: list[str], story: Story | StoryRef | None = None) -> dict[str, Any]:
    """The export record of one article: an ``Article`` or a row of ``ARTICLE_COLUMNS`` (same attribute names).
    The one place a record is built: export (every format) and `search --format jsonl` share it."""
    tz = ZoneInfo(site.timezone)
    return {
        "article_id": article.uid,
        "site": site.name,
        "outlet": site.outlet,
        "story_id": story.uid if story is not None else None,
        "story_copies": story.copies if story is not None else 0,
        "story_original": story is not None and story.original_article_id == article.id,
        "canonical_url": article.canonical_url,
        "url": article.url,
        "aliases": aliases,
        "page_urls": article.page_urls,
        "title": article.title,
        "subtitle": article.subtitle,
        "column": article.column,
        "section": article.section,
        "source_outlet": article.source_outlet,
        "authors": article.authors,
        "correspondents": article.correspondents or [],
        "photographers": article.photographers or [],
        "editor": article.editor,
        "bylines_raw": article.bylines_raw or {},
        "published_at": _iso(article.published_at, tz),
        "published_precision": article.published_precision,
        "updated_at": _iso(article.updated_at, tz),
        "language": article.language,
        "text": article.text,
        "images": article.images,
        "quality_flags": article.quality_flags,
        "extraction": article.extraction,
        "extractor_version": article.extractor_version,
        "warc_record_id": article.warc_record_id,
        "version": article.version,
        "removed_at": _iso(article.removed_at, tz),
        "content_hash": article.content_hash,
        "first_seen_at": _iso(article.first_seen_at, tz),
        "last_seen_at": _iso(article.last_seen_at, tz),
    }


# Columns, not ORM objects: building identity-mapped objects cost more than the rest of an
# export together (and `signature`, a MinHash, is never exported). Attribute names as on Article.
ARTICLE_COLUMNS = (
    Article.id, Article.site_id, Article.story_id, Article.uid, Article.canonical_url, Article.url, Article.page_urls,
    Article.title, Article.subtitle, Article.column, Article.section, Article.source_outlet, Article.authors,
    Article.correspondents, Article.photographers, Article.editor, Article.bylines_raw, Article.published_at,
    Article.published_precision, Article.updated_at, Article.language, Article.text, Article.images,
    Article.quality_flags, Article.extraction, Article.extractor_version, Article.warc_record_id, Article.version,
    Article.removed_at, Article.content_hash, Article.first_seen_at, Article.last_seen_at,
    Story.uid.label("story_uid"), Story.copies.label("story_copies"),
    Story.original_article_id.label("story_original_id"),
)
_JSON = ("page_urls", "authors", "correspondents", "photographers", "bylines_raw", "images", "quality_flags", "extraction")
_TIMES = ("published_at", "updated_at", "removed_at", "first_seen_at", "last_seen_at")
_EMPTY = {"[]": list, "{}": dict}


def _columns(raw: bool):
    """ARTICLE_COLUMNS named by their attributes (Core rows otherwise carry the table's names).
    ``raw`` (SQLite): JSON and times as stored (text), decoded by ``_decoded``: SQLAlchemy's
    per-value processors were a third of an export's time."""
    return tuple(type_coerce(c, String).label(c.key) if raw and (c.key in _JSON or c.key in _TIMES) else c.label(c.key)
                 for c in ARTICLE_COLUMNS)


Row = namedtuple("Row", [c.key for c in ARTICLE_COLUMNS])  # what ``article_record`` reads of a raw SQLite row
_JSON_AT = tuple(Row._fields.index(name) for name in _JSON)
_TIMES_AT = tuple(Row._fields.index(name) for name in _TIMES)


def _decoded(row) -> Row:
    """A raw SQLite row as ``article_record`` reads it (the same values SQLAlchemy's types give).
    Times are stored in UTC without an offset: parsed with one appended, which costs a fifth of
    parsing and then replacing the zone."""
    values = list(row)
    for at in _JSON_AT:
        raw = values[at]
        if raw is not None:
            empty = _EMPTY.get(raw)
            values[at] = empty() if empty else _loads(raw)
    for at in _TIMES_AT:
        raw = values[at]
        if raw is not None:
            values[at] = _fromisoformat(raw + "+00:00")
    return Row._make(values)


_fromisoformat = datetime.fromisoformat


class _Batch(NamedTuple):
    """What a batch of records needs from the archive, read together."""

    rows: list
    aliases: dict[int, list[str]]
    stories: dict[int, StoryRef]
    copies: dict[int, list] | None  # one record per story: each story's copies


def iter_records(sessions: sessionmaker[Session], where: ArticleFilter = ArticleFilter(), batch: int = 1000,
                 one_per_story: bool = False, ids: Iterable[int] | None = None,
                 id_range: tuple[int, int] | None = None) -> Iterator[dict]:
    """Export records in id order, read in batches (memory stays flat), all in one transaction.

    ``ids``: only these articles (ascending; a query's matches, an incremental dump's
    articles), still narrowed by the filter; ``id_range``: only ids in [low, high). ``one_per_story``:
    of the articles selected, one per story: the story's original when selected, else its earliest
    published selected copy; the record then lists every copy of the story (``carried_by``)."""
    with sessions() as session:
        sites = {s.id: s for s in session.scalars(select(Site))}
    for rows, aliases, stories, copies in _read_batches(sessions, where, batch, one_per_story, ids, id_range):
        for row in rows:
            record = article_record(row, sites[row.site_id], aliases.get(row.id, []), stories.get(row.story_id))
            if copies is not None:
                record["carried_by"] = copies.get(row.story_id, [])
            yield record


def _read_batches(sessions: sessionmaker[Session], where: ArticleFilter, batch: int, one_per_story: bool,
                  ids: Iterable[int] | None, id_range: tuple[int, int] | None) -> Iterator[_Batch]:
    """``iter_records``' reading: the selected rows in id order, batch by batch, with their aliases and stories."""
    from .stories import copies_of

    if ids is not None:
        ids = sorted(set(ids))
    allowed = set(ids) if ids is not None and one_per_story else None
    with sessions() as session:
        raw = session.get_bind().dialect.name == "sqlite"
        columns = _columns(raw)
        statement = filtered(session, select(*columns).outerjoin(Story, Story.id == Article.story_id), where)
        if id_range is not None:
            statement = statement.where(Article.id >= id_range[0], Article.id < id_range[1])
        execute = session.connection().execute  # Core rows: the ORM's result layer adds nothing to plain columns
        if ids is None:
            def batches() -> Iterator[list]:
                last_id = 0
                while rows := execute(statement.where(Article.id > last_id).order_by(Article.id).limit(batch)).all():
                    last_id = rows[-1].id
                    yield rows
        else:
            def batches() -> Iterator[list]:
                for chunk in (ids[start:start + batch] for start in range(0, len(ids), batch)):
                    if rows := execute(statement.where(Article.id.in_(chunk)).order_by(Article.id)).all():
                        yield rows
        for rows in batches():
            if raw:
                rows = [_decoded(r) for r in rows]
            stories = {r.story_id: StoryRef(r.story_uid, r.story_copies, r.story_original_id)
                       for r in rows if r.story_uid is not None}
            copies = None
            if one_per_story:
                chosen = _representatives(session, where, stories, allowed)
                rows = [r for r in rows if r.story_id is None or chosen.get(r.story_id) == r.id]
                copies = copies_of(session, {r.story_id: stories[r.story_id].original_article_id for r in rows
                                             if r.story_id in stories})
            yield _Batch(rows, _aliases_of(session, [r.id for r in rows]), stories, copies)


def records(session: Session, rows: list, sites: dict[int, Site],
            stories: dict[int, Story | StoryRef] | None = None) -> list[dict[str, Any]]:
    """The export records of ``rows`` (``Article`` objects or ``ARTICLE_COLUMNS`` rows), in their
    order, with their aliases and stories (read in one query each)."""
    stories = _stories_of(session, rows) if stories is None else stories
    aliases = _aliases_of(session, [r.id for r in rows])
    return [article_record(row, sites[row.site_id], aliases.get(row.id, []), stories.get(row.story_id)) for row in rows]


def _aliases_of(session: Session, article_ids: list[int]) -> dict[int, list[str]]:
    aliases: dict[int, list[str]] = {}
    for article_id, url in session.execute(
        select(ArticleUrl.article_id, ArticleUrl.url)
        .where(ArticleUrl.article_id.in_(article_ids), ArticleUrl.kind == "alias")
        .order_by(ArticleUrl.id)
    ):
        aliases.setdefault(article_id, []).append(url)
    return aliases


def _stories_of(session: Session, rows: list) -> dict[int, Story]:
    story_ids = {r.story_id for r in rows if r.story_id is not None}
    return {s.id: s for s in session.scalars(select(Story).where(Story.id.in_(story_ids)))}


def _representatives(session: Session, where: ArticleFilter, stories: dict, allowed: set[int] | None = None
                     ) -> dict[int, int]:
    """Story id -> the article exported for it: its original if selected, else the earliest
    published copy selected (by the filter, and among ``allowed`` when given)."""
    query = filtered(session, select(Article.id, Article.story_id, Article.published_at, Article.first_seen_at), where)
    chosen: dict[int, tuple] = {}
    for article_id, story_id, published, seen in session.execute(query.where(Article.story_id.in_(list(stories)))):
        if allowed is not None and article_id not in allowed:
            continue
        rank = (stories[story_id].original_article_id != article_id, published or seen, article_id)
        if story_id not in chosen or rank < chosen[story_id]:
            chosen[story_id] = rank
    return {story_id: rank[2] for story_id, rank in chosen.items()}


def write_jsonl(records: Iterable[dict], out: IO[bytes]) -> int:
    """One compact UTF-8 JSON object per line (orjson: the same text as json.dumps with
    ensure_ascii=False and no spaces, several times faster) into a binary stream."""
    count = 0
    dumps, write = orjson.dumps, out.write
    for record in records:
        write(dumps(record, option=orjson.OPT_APPEND_NEWLINE))
        count += 1
    return count
