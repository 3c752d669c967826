"""The incremental crawl's state, read and written: what is known of every URL of a site.

Rows are written by ``Archive.record`` in the page's own transaction (``note_page``),
read once when a crawl starts (``known_urls``), shown and reset by ``newsarchive state``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from . import dialect
from .models import Article, Site, UrlState
from .outcomes import Outcome

# Columns an answer overwrites; the validators, digest, hash and dates are kept when the
# answer has none (a 304 repeats nothing; a failure does not make the last article unknown).
_UPDATE = ("status", "outcome", "reason", "last_fetched_at", "last_run_id")
_KEEP = ("article_id", "etag", "last_modified", "payload_digest", "record_hash", "published_at", "last_changed_at")


@dataclass(frozen=True)
class KnownUrl:
    """One article URL as the last crawl left it (what the revisit policy decides on)."""

    url: str
    status: int | None
    outcome: str | None
    reason: str | None
    article_id: int | None
    etag: str | None
    last_modified: str | None
    published_at: datetime | None
    first_seen_at: datetime
    last_fetched_at: datetime | None
    failures: int = 0  # failed attempts in a row


@dataclass(frozen=True)
class PageState:
    """What one answer (or one failure to get one) teaches about a URL."""

    url: str
    kind: str
    fetched_at: datetime
    status: int | None
    outcome: str | None
    reason: str | None
    etag: str | None = None
    last_modified: str | None = None
    payload_digest: str | None = None


# Outcomes of an answer that is the archived article itself: only their validators may be
# sent back, since a 304 to them means "still that article". A page that failed to extract,
# a deletion notice, an error page: their validators would turn the same failure into a 304
# "unchanged" on the next visit.
_ARCHIVED_AS_ARTICLE = (Outcome.STORED, Outcome.CHANGED, Outcome.UNCHANGED, Outcome.DUPLICATE)
_MAX_VALIDATOR = 512


def _validator(value: str | None) -> str:
    """A header worth sending back: printable and of reasonable length, else none ("")."""
    if not value or len(value) > _MAX_VALIDATOR or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return ""
    return value


def note_page(session: Session, run_id: int, site_id: int, page: PageState, article: Article | None,
              stored_something: bool) -> None:
    """Record what the crawl now knows of ``page.url``, in the caller's transaction."""
    values: dict[str, Any] = {
        "site_id": site_id,
        "url": page.url,
        "kind": page.kind,
        "status": page.status,
        "outcome": page.outcome,
        "reason": page.reason,
        "article_id": article.id if article is not None else None,
        "etag": "",  # "" clears, None keeps (see _KEEP)
        "last_modified": "",
        "payload_digest": page.payload_digest if page.status == 200 else None,
        "record_hash": article.record_hash if article is not None else None,
        "published_at": article.published_at if article is not None else None,
        "first_seen_at": page.fetched_at,
        "last_fetched_at": page.fetched_at,
        "last_changed_at": page.fetched_at if stored_something else None,
        "last_run_id": run_id,
        "failures": 1 if page.outcome == Outcome.FAILED else 0,
    }
    if page.status == 304 and page.outcome == Outcome.UNCHANGED:
        values.update(etag=None, last_modified=None)  # still the answer they describe
    elif page.status == 200 and page.outcome in _ARCHIVED_AS_ARTICLE and page.kind == "article" \
            and article is not None and len(article.page_urls or ()) <= 1:
        # a multi-page article is asked for in full: a 304 to its first page says nothing of the others
        values.update(etag=_validator(page.etag), last_modified=_validator(page.last_modified))
    table = UrlState.__table__
    failures = table.c.failures + 1 if page.outcome == Outcome.FAILED else 0
    dialect.upsert(session, table, values, ("site_id", "kind", "url"), _UPDATE, _KEEP, {"failures": failures})


def known_urls(sessions: sessionmaker[Session], site_id: int) -> dict[str, KnownUrl]:
    """Every article URL of the site the archive has met, by URL."""
    with sessions() as session:
        rows = session.execute(
            select(UrlState.url, UrlState.status, UrlState.outcome, UrlState.reason, UrlState.article_id,
                   UrlState.etag, UrlState.last_modified, UrlState.published_at, UrlState.first_seen_at,
                   UrlState.last_fetched_at, UrlState.failures)
            .where(UrlState.site_id == site_id, UrlState.kind == "article")
        ).all()
    return {row.url: KnownUrl(*row) for row in rows}


def walked_sections(sessions: sessionmaker[Session], site_id: int) -> dict[str, datetime]:
    """Section list folders (site URLs) whose whole pagination a finished run has walked, and when."""
    with sessions() as session:
        rows = session.execute(
            select(UrlState.url, UrlState.walked_at).where(UrlState.site_id == site_id, UrlState.kind == "section",
                                                           UrlState.walked_at.is_not(None))
        ).all()
    return dict(rows)


def mark_walked(session: Session, run_id: int, site_id: int, sections: Iterable[str], at: datetime) -> None:
    for url in sections:
        dialect.upsert(
            session, UrlState.__table__,
            {"site_id": site_id, "url": url, "kind": "section", "outcome": Outcome.LIST, "first_seen_at": at,
             "last_fetched_at": at, "last_run_id": run_id, "walked_at": at},
            ("site_id", "kind", "url"), ("outcome", "last_fetched_at", "last_run_id", "walked_at"),
        )


# -- showing and resetting ------------------------------------------------------------------------

RESETS = ("all", "failed", "sections", "lists")


def state_overview(sessions: sessionmaker[Session], site: str | None = None) -> list[dict[str, Any]]:
    """Per site: known URLs by kind and last outcome, validators held, when last fetched."""
    with sessions() as session:
        query = (
            select(Site.name, UrlState.kind, UrlState.outcome, UrlState.reason, func.count(),
                   func.sum(case((UrlState.etag.is_not(None) & (UrlState.etag != ""), 1), else_=0)),
                   func.sum(case((UrlState.last_modified.is_not(None) & (UrlState.last_modified != ""), 1), else_=0)),
                   func.max(UrlState.last_fetched_at), func.min(UrlState.walked_at))
            .join(Site, Site.id == UrlState.site_id)
            .group_by(Site.name, UrlState.kind, UrlState.outcome, UrlState.reason)
            .order_by(Site.name, UrlState.kind, func.count().desc())
        )
        if site:
            query = query.where(Site.name == site)
        return [
            {"site": name, "kind": kind, "outcome": outcome, "reason": reason, "urls": count, "etag": int(etags or 0),
             "last_modified": int(dated or 0), "last_fetched_at": last, "walked_at": walked}
            for name, kind, outcome, reason, count, etags, dated, last, walked in session.execute(query)
        ]


def url_state(sessions: sessionmaker[Session], url: str) -> list[UrlState]:
    with sessions() as session:
        return list(session.scalars(select(UrlState).where(UrlState.url == url)))


def reset_state(sessions: sessionmaker[Session], site: str, what: str, urls: Sequence[str] = ()) -> int:
    """Forget state so the next crawl treats those URLs as new: ``all``, ``failed`` (URLs whose
    last fetch failed), ``sections`` (walk markers: the next crawl walks every page of every
    section), ``lists``, or the given URLs. The archive (articles, versions, fetches) is kept.
    Returns the number of rows forgotten."""
    with sessions.begin() as session:
        site_id = session.scalar(select(Site.id).where(Site.name == site))
        if site_id is None:
            raise LookupError(f"the archive has no site {site!r}")
        query = delete(UrlState).where(UrlState.site_id == site_id)
        if urls:
            query = query.where(UrlState.url.in_(list(urls)))
        elif what == "failed":  # failures, and links refused (robots): worth another try after a fix
            query = query.where(UrlState.outcome.in_([Outcome.FAILED, Outcome.SKIPPED]))
        elif what == "sections":
            query = query.where(UrlState.kind == "section")
        elif what == "lists":
            query = query.where(UrlState.kind == "list")
        elif what != "all":
            raise ValueError(f"unknown reset {what!r}; one of {', '.join(RESETS)} or URLs")
        return session.execute(query).rowcount
