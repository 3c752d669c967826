"""Writing to the archive: sites, runs, fetches and articles, one transaction per page.

The crawler hands over plain data (``FetchRecord`` and an article record, the
JSON-ready dict of the extractor's Article); this module knows nothing of
Scrapy. An article is found again by any URL it is known under, then by its
exact content within the same site; only then is it new.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from .models import Article, ArticleUrl, CrawlRun, Fetch, Site
from .outcomes import Outcome

_SPACE = re.compile(r"\s+")


def now() -> datetime:
    return datetime.now(timezone.utc)


def content_hash(title: str, text: str) -> str:
    """Exact-duplicate fingerprint: the same words under another URL hash alike."""
    normalized = _SPACE.sub("", title) + "\n" + _SPACE.sub("", text)
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def article_uid(canonical_url: str) -> str:
    """The stable public id of an article: fixed at first capture, never reassigned."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:16]


@dataclass
class FetchRecord:
    """One response, or one link not followed, as the crawler saw it."""

    kind: str  # "list", "article" or "link"
    url: str  # as requested
    site_url: str  # the same page on the site's real origin
    fetched_at: datetime
    final_url: str | None = None
    status: int | None = None
    content_type: str | None = None
    size: int | None = None
    retries: int = 0
    page_number: int = 1
    outcome: str | None = None  # None: decided by storing the article
    reason: str | None = None
    detail: str | None = None


# Article fields copied verbatim from the extractor's record.
_ARTICLE_FIELDS = (
    "url",
    "title",
    "subtitle",
    "column",
    "section",
    "source_outlet",
    "authors",
    "correspondents",
    "photographers",
    "editor",
    "bylines_raw",
    "published_precision",
    "language",
    "text",
    "page_urls",
    "images",
    "quality_flags",
    "extraction",
)


class Archive:
    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def site(self, name: str, origin: str, timezone_name: str) -> int:
        with self.sessions.begin() as session:
            site = session.scalar(select(Site).where(Site.name == name))
            if site is None:
                site = Site(name=name, origin=origin, timezone=timezone_name, created_at=now())
                session.add(site)
                session.flush()
            else:
                site.origin, site.timezone = origin, timezone_name
            return site.id

    def start_run(self, site_id: int, base_url: str | None = None) -> int:
        with self.sessions.begin() as session:
            run = CrawlRun(site_id=site_id, started_at=now(), outcome="running", base_url=base_url)
            session.add(run)
            session.flush()
            return run.id

    def record(
        self,
        run_id: int,
        site_id: int,
        fetches: Sequence[FetchRecord],
        article: Mapping[str, Any] | None = None,
    ) -> tuple[str | None, str | None]:
        """Store one crawled page (all pages of one article) in one transaction.

        Returns (outcome, article uid) of the article, or (None, None) when there is none.
        """
        with self.sessions.begin() as session:
            outcome, article_row = (None, None)
            if article is not None:
                seen_at = max(f.fetched_at for f in fetches) if fetches else now()
                outcome, article_row = _store_article(session, run_id, site_id, article, seen_at)
            for fetch in fetches:
                session.add(
                    Fetch(
                        run_id=run_id,
                        site_id=site_id,
                        kind=fetch.kind,
                        url=fetch.url,
                        site_url=fetch.site_url,
                        final_url=fetch.final_url,
                        status=fetch.status,
                        outcome=fetch.outcome or outcome or Outcome.FAILED,
                        reason=fetch.reason,
                        detail=fetch.detail,
                        article_id=article_row.id if article_row is not None else None,
                        page_number=fetch.page_number,
                        content_type=fetch.content_type,
                        size=fetch.size,
                        retries=fetch.retries,
                        fetched_at=fetch.fetched_at,
                    )
                )
            return outcome, article_row.uid if article_row is not None else None

    def finish_run(self, run_id: int, interrupted: bool = False) -> dict[str, Any]:
        """Close the run with its counts and outcome; returns the summary."""
        with self.sessions.begin() as session:
            summary = run_summary(session, run_id)
            run = session.get(CrawlRun, run_id)
            run.finished_at = now()
            summary["seconds"] = round((run.finished_at - run.started_at).total_seconds(), 2)
            if interrupted:
                run.outcome = "interrupted"
            elif summary["pages_fetched"] == 0:
                run.outcome = "failed"
            else:
                run.outcome = "ok"
            summary["outcome"] = run.outcome
            run.summary = summary
            return summary


def _find_article(session: Session, site_id: int, urls: list[str], digest: str) -> tuple[Article | None, bool]:
    """(article, found_by_url): by any known URL first, then by identical content in the site."""
    known = session.scalar(select(ArticleUrl).where(ArticleUrl.url.in_(urls)).limit(1))
    if known is not None:
        return session.get(Article, known.article_id), True
    same = session.scalar(
        select(Article).where(Article.site_id == site_id, Article.content_hash == digest).order_by(Article.id).limit(1)
    )
    return same, False


def _store_article(
    session: Session, run_id: int, site_id: int, record: Mapping[str, Any], seen_at: datetime
) -> tuple[str, Article]:
    canonical = record["canonical_url"]
    digest = content_hash(record["title"], record["text"])
    urls = list(dict.fromkeys([canonical, record["url"]]))
    existing, by_url = _find_article(session, site_id, urls, digest)
    published_at, updated_at = (_when(record.get(name)) for name in ("published_at", "updated_at"))

    if existing is None:
        row = Article(
            uid=article_uid(canonical),
            site_id=site_id,
            canonical_url=canonical,
            published_at=published_at,
            updated_at=updated_at,
            extractor_version=record["extraction"]["extractor_version"],
            content_hash=digest,
            first_seen_at=seen_at,
            last_seen_at=seen_at,
            first_run_id=run_id,
            last_run_id=run_id,
            **{name: record.get(name) for name in _ARTICLE_FIELDS},
        )
        session.add(row)
        session.flush()
        _add_urls(session, row, urls, run_id, seen_at)
        return Outcome.STORED, row

    existing.last_seen_at = max(existing.last_seen_at, seen_at)
    existing.last_run_id = run_id
    if not by_url:
        _add_urls(session, existing, urls, run_id, seen_at)
        return Outcome.DUPLICATE, existing
    if existing.content_hash == digest:
        _add_urls(session, existing, urls, run_id, seen_at)
        return Outcome.UNCHANGED, existing
    # Changed content under a known URL: the archive keeps the newest text here.
    for name in _ARTICLE_FIELDS:
        if name != "url":
            setattr(existing, name, record.get(name))
    existing.published_at, existing.updated_at = published_at, updated_at
    existing.content_hash = digest
    existing.extractor_version = record["extraction"]["extractor_version"]
    return Outcome.CHANGED, existing


def _when(value: str | datetime | None) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _add_urls(session: Session, article: Article, urls: list[str], run_id: int, seen_at: datetime) -> None:
    known = set(session.scalars(select(ArticleUrl.url).where(ArticleUrl.url.in_(urls))))
    for url in urls:
        if url not in known:
            session.add(
                ArticleUrl(
                    url=url,
                    article_id=article.id,
                    kind="canonical" if url == article.canonical_url else "alias",
                    first_seen_at=seen_at,
                    first_run_id=run_id,
                )
            )


def run_summary(session: Session, run_id: int) -> dict[str, Any]:
    """Counts of one run, from its fetch rows. Articles are counted once however many pages they span."""
    rows = session.execute(
        select(Fetch.kind, Fetch.outcome, Fetch.reason, Fetch.page_number, func.count(), func.sum(Fetch.size))
        .where(Fetch.run_id == run_id)
        .group_by(Fetch.kind, Fetch.outcome, Fetch.reason, Fetch.page_number)
    ).all()
    fetched = session.scalar(
        select(func.count()).select_from(Fetch).where(Fetch.run_id == run_id, Fetch.status.is_not(None))
    )
    counters = {
        Outcome.STORED: "articles_new",
        Outcome.UNCHANGED: "articles_unchanged",
        Outcome.CHANGED: "articles_changed",
        Outcome.DUPLICATE: "duplicates",
        Outcome.LIST: "list_pages",
    }
    summary: dict[str, Any] = {name: 0 for name in counters.values()}
    summary.update(pages_fetched=fetched or 0, bytes=0, skipped={}, failures={})
    for kind, outcome, reason, page_number, count, size in rows:
        summary["bytes"] += int(size or 0)
        if outcome in counters and (kind != "article" or page_number == 1):
            summary[counters[outcome]] += count
        elif outcome in (Outcome.SKIPPED, Outcome.FAILED):
            bucket = summary["skipped" if outcome == Outcome.SKIPPED else "failures"]
            bucket[reason] = bucket.get(reason, 0) + count
    return summary
