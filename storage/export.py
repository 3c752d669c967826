"""Streaming exports of the archive: one JSON object per article, constant memory.

The record's fields are documented by ``storage/schema/article.schema.json``;
times carry the site's own UTC offset (+08:00 for Qinghai News).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Text, and_, cast, or_, select
from sqlalchemy.orm import Session, sessionmaker

from .models import Article, ArticleUrl, Site, Story

SCHEMA_PATH = Path(__file__).parent / "schema" / "article.schema.json"
SCHEMA_VERSION = 4


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
    if where.author:  # the JSON list as stored holds the name as json.dumps writes it
        needle = json.dumps(where.author).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(cast(Article.authors, Text).like(f"%{needle}%", escape="\\"))
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


def _iso(value: datetime | None, tz: ZoneInfo) -> str | None:
    return value.astimezone(tz).isoformat() if value else None


def article_record(article: Article, site: Site, aliases: list[str], story: Story | None = None) -> dict[str, Any]:
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


def iter_records(sessions: sessionmaker[Session], where: ArticleFilter = ArticleFilter(), batch: int = 500,
                 one_per_story: bool = False) -> Iterator[dict]:
    """Export records in id order, read in keyset-paginated batches (memory stays flat).

    ``one_per_story``: of the articles the filter selects, one per story: the story's
    original when the filter selects it, else its earliest published selected copy; the
    record then lists every copy of the story (``carried_by``)."""
    from .stories import copies_of

    last_id = 0
    with sessions() as session:
        sites = {s.id: s for s in session.scalars(select(Site))}
        while True:
            query = filtered(session, select(Article), where).where(Article.id > last_id).order_by(Article.id).limit(batch)
            rows = session.scalars(query).all()
            if not rows:
                return
            last_id = rows[-1].id
            stories = _stories_of(session, rows)
            if one_per_story:
                chosen = _representatives(session, where, stories)
                rows = [r for r in rows if r.story_id is None or chosen.get(r.story_id) == r.id]
            copies = copies_of(session, {r.story_id: stories[r.story_id].original_article_id for r in rows
                                         if r.story_id in stories}) if one_per_story else {}
            for row, record in zip(rows, records(session, rows, sites, stories)):
                if one_per_story:
                    record["carried_by"] = copies.get(row.story_id, [])
                yield record
            session.expunge_all()


def records(session: Session, rows: list[Article], sites: dict[int, Site],
            stories: dict[int, Story] | None = None) -> list[dict[str, Any]]:
    """The export records of ``rows``, in their order, with their aliases and stories (read in one query each)."""
    stories = _stories_of(session, rows) if stories is None else stories
    aliases: dict[int, list[str]] = {}
    for article_id, url in session.execute(
        select(ArticleUrl.article_id, ArticleUrl.url)
        .where(ArticleUrl.article_id.in_([r.id for r in rows]), ArticleUrl.kind == "alias")
        .order_by(ArticleUrl.id)
    ):
        aliases.setdefault(article_id, []).append(url)
    return [article_record(row, sites[row.site_id], aliases.get(row.id, []), stories.get(row.story_id)) for row in rows]


def _stories_of(session: Session, rows: list[Article]) -> dict[int, Story]:
    story_ids = {r.story_id for r in rows if r.story_id is not None}
    return {s.id: s for s in session.scalars(select(Story).where(Story.id.in_(story_ids)))}


def _representatives(session: Session, where: ArticleFilter, stories: dict[int, Story]) -> dict[int, int]:
    """Story id -> the article exported for it: its original if the filter selects it,
    else the earliest published copy the filter selects."""
    query = filtered(session, select(Article.id, Article.story_id, Article.published_at, Article.first_seen_at), where)
    chosen: dict[int, tuple] = {}
    for article_id, story_id, published, seen in session.execute(query.where(Article.story_id.in_(list(stories)))):
        rank = (stories[story_id].original_article_id != article_id, published or seen, article_id)
        if story_id not in chosen or rank < chosen[story_id]:
            chosen[story_id] = rank
    return {story_id: rank[2] for story_id, rank in chosen.items()}


def write_jsonl(records: Iterator[dict], out: IO[str]) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        out.write("\n")
        count += 1
    return count
