"""Stories: every archived copy of one report, on every site that carried it.

Each article is indexed once, in the transaction that stores it: its band keys
(``storage.similarity``) find candidates among all archived articles through the
``article_bands`` index, each candidate is screened by its stored signature and
confirmed on the two texts (``same_story``), and the article joins the oldest story
among its confirmed copies' (a story of its own when there is none). A new copy that confirms two stories proves them one:
the younger is merged into the older and keeps pointing there. The detector holds
nothing in memory between articles: its cost and memory do not grow with the
archive beyond the index lookups.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from . import dialect
from .backlog import work_through
from .models import Article, ArticleBand, Site, Story
from .similarity import SCREEN_MARGIN, THRESHOLD, Fingerprint, estimate, fingerprint, same_story, to_simplified

logger = logging.getLogger(__name__)

MAX_CANDIDATES = 32  # the candidates sharing most bands; more is a sign of boilerplate, not of copies


def story_uid(canonical_url: str) -> str:
    """A story's public id: fixed by the URL of the copy that founded it, never reassigned."""
    return hashlib.sha256(("story:" + canonical_url).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Member:
    """What choosing a story's original needs to know of one copy."""

    article_id: int
    outlet: str  # the site's own outlet name
    source_outlet: str | None  # the outlet the copy names as 来源
    published_at: datetime | None
    first_seen_at: datetime


def _same_outlet(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    fold = to_simplified().convert
    return fold(a.strip()) == fold(b.strip())


def choose_original(members: Sequence[Member]) -> Member:
    """The story's original: among the copies whose outlet another copy names as its
    来源, the earliest published; when no copy names another's outlet, the earliest
    published copy. Undated copies count as published when first archived."""
    def when(m: Member) -> tuple[datetime, int]:
        return (m.published_at or m.first_seen_at, m.article_id)

    named = {m.source_outlet for m in members if m.source_outlet and not _same_outlet(m.source_outlet, m.outlet)}
    credited = [m for m in members if any(_same_outlet(m.outlet, n) for n in named)]
    return min(credited or members, key=when)


@dataclass(frozen=True)
class Assignment:
    story_id: int
    similarity: float | None  # to its closest confirmed copy; None: it founded the story


class StoryIndex:
    """Assigns archived articles to stories, inside the caller's transaction."""

    def __init__(self, threshold: float = THRESHOLD):
        self.threshold = threshold

    def add(self, session: Session, article: Article, at: datetime, print_: Fingerprint | None = None) -> Assignment:
        """Index a newly stored article (flushed, with an id) and give it its story."""
        print_ = print_ or fingerprint(article.text)
        dialect.serialize_stories(session)  # PostgreSQL: one story assignment at a time across processes
        matches = self._confirmed(session, article.id, print_) if print_.comparable else []
        stories = sorted({story_id for _score, _id, story_id in matches if story_id is not None})
        if not stories:  # a story of its own (its copies, if any, are not indexed yet: they will join it)
            story_id = session.execute(insert(Story.__table__).values(
                uid=story_uid(article.canonical_url), created_at=at, updated_at=at, original_article_id=article.id,
                first_published_at=article.published_at, copies=1, outlets=1,
            ).returning(Story.__table__.c.id)).scalar_one()
        else:  # the oldest story among its confirmed copies'; any other is the same story: merged into it
            story_id = stories[0]
            for other in stories[1:]:
                _merge(session, other, story_id, at)
        article.story_id = story_id
        article.story_similarity = round(max(m[0] for m in matches), 4) if matches else None
        _write_bands(session, article, print_)
        session.flush()
        if stories:
            refresh(session, session.get(Story, story_id), at)
        return Assignment(story_id, article.story_similarity)

    def replace(self, session: Session, article: Article, at: datetime, print_: Fingerprint | None = None) -> None:
        """A new version of an article: its band keys follow the new text; it stays in its
        story, whose original and first publication are chosen again (its date or 来源 may
        have changed)."""
        session.execute(delete(ArticleBand).where(ArticleBand.article_id == article.id))
        _write_bands(session, article, print_ or fingerprint(article.text))
        session.flush()
        refresh(session, session.get(Story, article.story_id), at)

    def _confirmed(self, session: Session, article_id: int, print_: Fingerprint) -> list[tuple[float, int, int | None]]:
        """(resemblance, article id, story id) of every archived copy at or above the threshold:
        articles sharing a band key, screened by their stored signature, confirmed on their text."""
        shared = func.count().label("shared")
        candidates = (
            select(ArticleBand.article_id)
            .where(ArticleBand.band_key.in_(set(print_.keys)), ArticleBand.article_id != article_id)
            .group_by(ArticleBand.article_id)
            .order_by(shared.desc(), ArticleBand.article_id)
            .limit(MAX_CANDIDATES)
            .subquery()
        )
        screened = [
            article_id for article_id, signature in session.execute(
                select(Article.id, Article.signature).where(Article.id.in_(select(candidates.c.article_id))))
            if signature is None or estimate(print_.signature, signature) >= self.threshold - SCREEN_MARGIN
        ]
        if not screened:
            return []
        matches = []
        for article_id, text, story_id in session.execute(
                select(Article.id, Article.text, Article.story_id).where(Article.id.in_(screened))):
            score = same_story(print_, fingerprint(text, indexed=False), self.threshold)
            if score is not None:
                matches.append((score, article_id, story_id))
        return matches


def _write_bands(session: Session, article: Article, print_: Fingerprint) -> None:
    article.signature = print_.signature or None
    if print_.comparable:  # Core, not the ORM: 32 plain rows per article
        session.execute(ArticleBand.__table__.insert(), [{"band_key": k, "article_id": article.id} for k in set(print_.keys)])


def _merge(session: Session, source: int, target: int, at: datetime) -> None:
    session.execute(update(Article).where(Article.story_id == source).values(story_id=target))
    session.execute(update(Story).where(Story.merged_into_id == source).values(merged_into_id=target))
    session.execute(update(Story).where(Story.id == source).values(merged_into_id=target, copies=0, outlets=0,
                                                                  updated_at=at))
    logger.info("story %s merged into story %s (a new copy confirmed both)", source, target)


def members(session: Session, story_id: int) -> list[Member]:
    rows = session.execute(
        select(Article.id, Site.outlet, Site.name, Article.source_outlet, Article.published_at, Article.first_seen_at)
        .join(Site, Site.id == Article.site_id)
        .where(Article.story_id == story_id)
    ).all()
    return [Member(i, outlet or name, source, published, seen) for i, outlet, name, source, published, seen in rows]


def refresh(session: Session, story: Story, at: datetime) -> Story:
    """Recount a story's copies and outlets and choose its original again."""
    copies = members(session, story.id)
    if copies:
        original = choose_original(copies)
        story.original_article_id = original.article_id
        story.first_published_at = min((m.published_at for m in copies if m.published_at), default=None)
        story.copies = len(copies)
        story.outlets = len({m.outlet for m in copies})
    story.updated_at = at
    return story


def index_missing(sessions: sessionmaker[Session], at: datetime, batch: int = 200, index: StoryIndex | None = None,
                  limit: int | None = None) -> int:
    """Give a story to archived articles that have none (an archive from before stories, or
    after ``rebuild``), oldest first, at most ``limit``. Returns how many were indexed.
    Each batch holds the story lock from its first read, so two processes indexing at once
    (two crawls starting) never take the same article twice."""
    index = index or StoryIndex()
    return work_through(sessions, Article.story_id.is_(None), lambda session, row: index.add(session, row, at),
                        dialect.serialize_stories, batch, limit)


def refresh_site(session: Session, site_id: int, at: datetime) -> int:
    """A site's outlet name changed (an archive from before outlets were recorded): the
    originals of the stories it carries with others are chosen again. Returns how many."""
    stories = session.scalars(
        select(Story).where(Story.copies > 1, Story.id.in_(select(Article.story_id).where(Article.site_id == site_id)))
    ).all()
    for story in stories:
        refresh(session, story, at)
    return len(stories)


def rebuild(sessions: sessionmaker[Session], at: datetime, threshold: float = THRESHOLD) -> int:
    """Forget every story and band key and index the whole archive again (after the
    detector's parameters changed). Story ids are recomputed: old exports' ids may not resolve."""
    with sessions.begin() as session:
        session.execute(update(Article).values(story_id=None, story_similarity=None))
        session.execute(delete(ArticleBand))
        session.execute(delete(Story))
    return index_missing(sessions, at, index=StoryIndex(threshold))


@dataclass
class StoryView:
    uid: str
    copies: int
    outlets: int
    first_published_at: datetime | None
    original: dict[str, Any] | None
    carried_by: list[dict[str, Any]]


def list_stories(session: Session, since: datetime | None = None, min_copies: int = 2, limit: int | None = None,
                 uid: str | None = None) -> list[StoryView]:
    """Stories with at least ``min_copies`` copies, newest first, each with every copy
    (outlet, URL, title, published and first archived), earliest first. ``uid``: that story
    alone (or the one it was merged into), whatever the other filters say."""
    if uid is not None:
        found = session.scalar(select(Story).where(Story.uid == uid))
        if found is None:
            return []
        query = select(Story).where(Story.id == (found.merged_into_id or found.id))
    else:
        query = select(Story).where(Story.merged_into_id.is_(None), Story.copies >= min_copies)
        if since is not None:
            query = query.where(Story.first_published_at >= since)
        query = query.order_by(Story.first_published_at.desc().nulls_last(), Story.id.desc())
        if limit:
            query = query.limit(limit)
    stories = session.scalars(query).all()
    copies = copies_of(session, {s.id: s.original_article_id for s in stories})
    return [StoryView(uid=s.uid, copies=s.copies, outlets=s.outlets, first_published_at=s.first_published_at,
                      original=next((c for c in copies.get(s.id, []) if c["original"]), None),
                      carried_by=copies.get(s.id, []))
            for s in stories]


def copies_of(session: Session, originals: dict[int, int | None]) -> dict[int, list[dict[str, Any]]]:
    """Story id -> every copy of it (earliest published first), for many stories in one query;
    ``originals`` maps each story id to its original article's id."""
    from zoneinfo import ZoneInfo

    if not originals:
        return {}
    rows = session.execute(
        select(Article.id, Article.story_id, Article.uid, Article.canonical_url, Article.title, Article.source_outlet,
               Article.published_at, Article.first_seen_at, Article.story_similarity, Site.name, Site.outlet,
               Site.timezone)
        .join(Site, Site.id == Article.site_id)
        .where(Article.story_id.in_(list(originals)))
    ).all()
    found: dict[int, list] = {}
    for row in sorted(rows, key=lambda r: (r.published_at or r.first_seen_at, r.id)):
        tz = ZoneInfo(row.timezone)
        found.setdefault(row.story_id, []).append({
            "article_id": row.uid,
            "site": row.name,
            "outlet": row.outlet or row.name,
            "url": row.canonical_url,
            "title": row.title,
            "source_outlet": row.source_outlet,
            "published_at": row.published_at.astimezone(tz).isoformat() if row.published_at else None,
            "first_seen_at": row.first_seen_at.astimezone(tz).isoformat(),
            "similarity": row.story_similarity,
            "original": row.id == originals[row.story_id],
        })
    return found
