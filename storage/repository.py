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

from sqlalchemy import Engine, bindparam, case, func, select
from sqlalchemy.orm import Session, sessionmaker

from . import search
from .authors import index_authors
from .models import Article, ArticleEvent, ArticleUrl, ArticleVersion, CrawlRun, Fetch, Site
from .outcomes import Outcome, Reason
from .state import PageState, mark_walked, note_page
from .stories import StoryIndex, refresh_site
from .versions import diff_summary, record_hash
from .warc import Location, warc_date

_SPACE = re.compile(r"\s+")

# A run whose article failures exceed this share is "partial": worth an operator's look.
# A site profile sets its own ([alerts] partial_failure_share).
PARTIAL_FAILURE_SHARE = 0.2


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
    warc: Location | None = None  # this capture's record (response or revisit)
    payload: Location | None = None  # the record holding the payload's bytes
    etag: str | None = None  # the answer's validators, kept for the next conditional request
    last_modified: str | None = None


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
    def __init__(self, sessions: sessionmaker[Session], stories: StoryIndex | None = None):
        self.sessions = sessions
        self.stories = stories or StoryIndex()

    def site(self, name: str, origin: str, timezone_name: str, outlet: str | None = None) -> int:
        with self.sessions.begin() as session:
            site = session.scalar(select(Site).where(Site.name == name))
            if site is None:
                site = Site(name=name, origin=origin, timezone=timezone_name, outlet=outlet, created_at=now())
                session.add(site)
                session.flush()
            else:
                site.origin, site.timezone = origin, timezone_name
                if outlet and outlet != site.outlet:  # named for the first time (or renamed): originals follow
                    site.outlet = outlet
                    session.flush()
                    refresh_site(session, site.id, now())
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
        removal: Mapping[str, Any] | None = None,
        state_url: str | None = None,
    ) -> tuple[str | None, str | None]:
        """Store one crawled page (all pages of one article) in one transaction.

        ``removal`` is the evidence that the page no longer serves its article
        (a 404/410, a redirect to a list, a deletion notice); an archived article
        at that URL is then marked removed, and stays. ``state_url`` is the URL the
        crawl asked for (on the site's origin): its crawl state is updated in the same
        transaction, so the state never claims more than the archive holds.
        Returns (outcome, article uid) of the article, or (None, None) when there is none.
        """
        with self.sessions.begin() as session:
            outcome, article_row = (None, None)
            seen_at = max(f.fetched_at for f in fetches) if fetches else now()
            if article is not None:
                # the capture's own record (a response, or a revisit naming the bytes it repeats):
                # unique to this capture, unlike the payload, which later captures share
                capture = next((f.warc for f in fetches if f.warc), None)
                outcome, article_row = _store_article(
                    session, run_id, site_id, article, seen_at, capture.record_id if capture else None, self.stories
                )
            elif removal is not None:
                article_row = _mark_removed(session, run_id, [f.site_url for f in fetches], removal, seen_at)
                outcome = Outcome.REMOVED if article_row is not None else None
            elif fetches and fetches[0].status == 304 and fetches[0].outcome == Outcome.UNCHANGED:
                # a revisit the site answered "not modified" (the spider says so only for a conditional request)
                article_row = _not_modified(session, run_id, [state_url or fetches[0].site_url], seen_at)
                outcome = Outcome.UNCHANGED if article_row is not None else None
                if article_row is None:  # "not modified" from what? nothing of it is archived
                    for fetch in fetches:
                        fetch.outcome, fetch.reason = Outcome.FAILED, Reason.HTTP_ERROR
                        fetch.detail = "304 Not Modified for a URL the archive holds no article of"
            for fetch in fetches:
                session.add(_fetch_row(run_id, site_id, fetch, outcome, article_row))
            if state_url is not None and fetches and fetches[0].kind in ("article", "list"):
                first = fetches[0]
                note_page(session, run_id, site_id, PageState(
                    url=state_url, kind=first.kind, fetched_at=first.fetched_at, status=first.status,
                    outcome=outcome if outcome else first.outcome or Outcome.FAILED, reason=first.reason,
                    etag=first.etag, last_modified=first.last_modified,
                    payload_digest=first.warc.payload_digest if first.warc else None,
                ), article_row, outcome in (Outcome.STORED, Outcome.CHANGED))
            return outcome, article_row.uid if article_row is not None else None

    def revise_many(self, results: Sequence[tuple[int, Mapping[str, Any]]], at: datetime,
                    source: str = "reextract") -> list[str]:
        """New readings of archived captures, in one transaction: a new version where the
        result changed (keeping the capture it came from), else only the extraction audit
        is refreshed. Returns each one's outcome, in order."""
        outcomes = []
        with self.sessions.begin() as session:
            rows = {a.id: a for a in session.scalars(select(Article).where(Article.id.in_([i for i, _ in results])))}
            for article_id, record in results:
                row = rows[article_id]
                _backfill_first_version(session, row)
                if record_hash(record) == row.record_hash:
                    row.extraction = record["extraction"]
                    row.extractor_version = record["extraction"]["extractor_version"]
                    outcomes.append(Outcome.UNCHANGED)
                else:
                    _revise(session, row, record, at, None, source, row.warc_record_id, self.stories)
                    outcomes.append(Outcome.CHANGED)
        return outcomes

    def note_reextract_failures(self, failures: Sequence[tuple[int, str, str | None]], at: datetime) -> None:
        """An archived capture that today's extractor cannot read: an event; the article stays as it was."""
        with self.sessions.begin() as session:
            for article_id, reason, detail in failures:
                session.add(ArticleEvent(article_id=article_id, kind="reextract_failed", at=at, run_id=None,
                                         evidence={"reason": reason, "detail": detail}))

    def finish_run(self, run_id: int, interrupted: bool = False, counts: Mapping[str, Any] | None = None,
                   walked: Sequence[str] = (), partial_share: float = PARTIAL_FAILURE_SHARE) -> dict[str, Any]:
        """Close the run with its counts and outcome; returns the summary. ``counts`` are the
        crawler's decisions that left no fetch row (known URLs not due, pagination stopped
        early); ``walked`` the sections whose whole pagination this (finished) run read."""
        with self.sessions.begin() as session:
            summary = run_summary(session, run_id)
            summary.update(counts or {})
            run = session.get(CrawlRun, run_id)
            run.finished_at = now()
            summary["seconds"] = round((run.finished_at - run.started_at).total_seconds(), 2)
            run.outcome = "interrupted" if interrupted else run_outcome(summary, partial_share)
            if walked and not interrupted:
                mark_walked(session, run_id, run.site_id, walked, run.finished_at)
            summary["outcome"] = run.outcome
            run.summary = summary
            return summary


class PayloadLookup:
    """Finds the first archived record of a payload, once per response of a crawl: one
    connection kept open, each read in its own short transaction (a long one would pin
    an old snapshot and keep SQLite's WAL from being checkpointed). An archive with no
    archived payload yet (a first crawl) is not asked at all."""

    _QUERY = (
        select(Fetch.payload_file, Fetch.payload_offset, Fetch.payload_record_id, Fetch.final_url, Fetch.fetched_at)
        .where(Fetch.payload_digest == bindparam("digest"), Fetch.payload_file.is_not(None))
        .order_by(Fetch.id)
        .limit(1)
    )

    def __init__(self, engine: Engine):
        self.connection = engine.connect()
        self.empty = self.connection.execute(select(Fetch.id).where(Fetch.payload_file.is_not(None)).limit(1)).first() is None
        self.connection.rollback()

    def find(self, digest: str) -> tuple[Location, str, str] | None:
        """(location, its WARC-Date, its target URI) of the first record holding this payload."""
        if self.empty:
            return None
        try:
            row = self.connection.execute(self._QUERY, {"digest": digest}).first()
        finally:
            self.connection.rollback()
        if row is None:
            return None
        file, offset, record_id, uri, fetched_at = row
        return Location(file, offset, 0, record_id, "response", digest), warc_date(fetched_at), uri

    def close(self) -> None:
        self.connection.close()


def _printable(value: str | None) -> str | None:
    """Text as PostgreSQL can store it: a NUL (a hostile Location header, a URL) is written as \\x00."""
    return value.replace("\x00", "\\x00") if value and "\x00" in value else value


def _fetch_row(run_id: int, site_id: int, fetch: FetchRecord, outcome: str | None, article: Article | None) -> Fetch:
    warc, payload = fetch.warc, fetch.payload or fetch.warc
    return Fetch(
        run_id=run_id,
        site_id=site_id,
        kind=fetch.kind,
        url=_printable(fetch.url),
        site_url=_printable(fetch.site_url),
        final_url=_printable(fetch.final_url),
        status=fetch.status,
        outcome=outcome if outcome == Outcome.REMOVED else fetch.outcome or outcome or Outcome.FAILED,
        reason=fetch.reason,
        detail=_printable(fetch.detail),
        article_id=article.id if article is not None else None,
        page_number=fetch.page_number,
        content_type=_printable(fetch.content_type),
        size=fetch.size,
        retries=fetch.retries,
        fetched_at=fetch.fetched_at,
        warc_file=warc.file if warc else None,
        warc_offset=warc.offset if warc else None,
        warc_length=warc.length if warc else None,
        warc_record_id=warc.record_id if warc else None,
        warc_type=warc.record_type if warc else None,
        payload_digest=warc.payload_digest if warc else None,
        payload_file=payload.file if payload else None,
        payload_offset=payload.offset if payload else None,
        payload_record_id=payload.record_id if payload else None,
    )


def _find_article(
    session: Session, site_id: int, page_url: str, canonical: str, digest: str
) -> tuple[Article | None, str, str]:
    """(article, how it was found, canonical URL to use).

    By the URL the page was read from first, then by the URL its rel=canonical
    names, then by identical content in the site. A canonical link is a hint, not
    an identity: a site that gives every page the same one (its home page, the
    section) must not merge different articles, so a match through it counts only
    when the content is the same too; otherwise the page stands on its own URL.
    """
    known = session.scalar(select(ArticleUrl).where(ArticleUrl.url == page_url))
    if known is not None:
        article = session.get(Article, known.article_id)
        return article, "primary" if _is_own_url(known, article) else "alias", canonical
    if canonical != page_url:
        known = session.scalar(select(ArticleUrl).where(ArticleUrl.url == canonical))
        if known is not None:
            article = session.get(Article, known.article_id)
            if article.content_hash == digest:
                return article, "copy", canonical
            canonical = page_url  # the canonical link names another article: ignore it
    same = session.scalar(
        select(Article).where(Article.site_id == site_id, Article.content_hash == digest).order_by(Article.id).limit(1)
    )
    return same, "copy" if same is not None else "new", canonical


def _is_own_url(known: ArticleUrl, article: Article) -> bool:
    """The article's canonical URL or the one it was first read from; not an alias."""
    return known.kind == "canonical" or known.url == article.url


def _backfill_first_version(session: Session, row: Article) -> None:
    """An article archived before versions existed (schema 0003) has neither a record hash
    nor a version 1: its state as archived becomes version 1 before anything compares with
    it, so an unchanged re-crawl stays unchanged and a changed one keeps the old text."""
    if row.record_hash is not None:
        return
    from .export import article_record  # the record as exported: the same fields a version keeps

    record = article_record(row, session.get(Site, row.site_id), [])
    session.add(ArticleVersion(
        article_id=row.id, version=1, created_at=row.first_seen_at, run_id=row.first_run_id, source="backfill",
        record_hash=record_hash(record), extractor_version=row.extractor_version or "", warc_record_id=row.warc_record_id,
        diff_summary=None, record=record,
    ))
    row.record_hash, row.version = record_hash(record), 1
    session.flush()


def _when(value: str | datetime | None) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _apply(row: Article, record: Mapping[str, Any]) -> None:
    """The article's current state becomes ``record``'s (its URL stays the one it was first read from)."""
    for name in _ARTICLE_FIELDS:
        if name != "url":  # the URL it was first read from stays: it is the one versions come from
            setattr(row, name, record.get(name))
    row.published_at, row.updated_at = _when(record.get("published_at")), _when(record.get("updated_at"))
    row.content_hash = content_hash(record["title"], record["text"])
    row.extractor_version = record["extraction"]["extractor_version"]
    row.record_hash = record_hash(record)


def _new_version(session: Session, row: Article, record: Mapping[str, Any], at: datetime, run_id: int | None,
                 source: str, warc_record_id: str | None) -> None:
    previous = session.scalar(
        select(ArticleVersion).where(ArticleVersion.article_id == row.id).order_by(ArticleVersion.version.desc()).limit(1)
    )
    number = (previous.version if previous else 0) + 1
    session.add(
        ArticleVersion(
            article_id=row.id,
            version=number,
            created_at=at,
            run_id=run_id,
            source=source,
            record_hash=record_hash(record),
            extractor_version=record["extraction"]["extractor_version"],
            warc_record_id=warc_record_id,
            diff_summary=diff_summary(previous.record, record) if previous else None,
            record=dict(record),
        )
    )
    _apply(row, record)
    row.version, row.warc_record_id = number, warc_record_id


def _revise(session: Session, row: Article, record: Mapping[str, Any], at: datetime, run_id: int | None,
            source: str, warc_record_id: str | None, stories: StoryIndex) -> None:
    """A new version of an archived article, and the indexes that follow it: search (given the
    text it replaces), authors, and its story's band keys."""
    previous, authors = (row.title, row.text), row.authors
    _new_version(session, row, record, at, run_id, source, warc_record_id)
    search.index_article(session, row, previous)
    index_authors(session, row, authors)
    if row.story_id is not None:  # a story-less article is indexed whole later
        stories.replace(session, row, at)


def _store_article(
    session: Session, run_id: int, site_id: int, record: Mapping[str, Any], seen_at: datetime,
    warc_record_id: str | None, stories: StoryIndex,
) -> tuple[str, Article]:
    """Insert, version or alias one extracted article; a new one joins its story (a new
    version keeps its story, and its band keys follow the new text).

    Only the article's own URL can change it: an alias that still serves an older
    text (the same story in a second section) must not flip the archive back and forth.
    """
    digest = content_hash(record["title"], record["text"])
    existing, how, canonical = _find_article(session, site_id, record["url"], record["canonical_url"], digest)
    urls = list(dict.fromkeys([canonical, record["url"]]))

    if existing is None:
        row = Article(
            uid=article_uid(canonical),
            site_id=site_id,
            canonical_url=canonical,
            url=record["url"],
            first_seen_at=seen_at,
            last_seen_at=seen_at,
            first_run_id=run_id,
            last_run_id=run_id,
        )
        _apply(row, record)
        session.add(row)
        session.flush()
        _new_version(session, row, record, seen_at, run_id, "crawl", warc_record_id)
        _add_urls(session, row, urls, run_id, seen_at)
        stories.add(session, row, seen_at)
        search.index_article(session, row)
        index_authors(session, row)
        return Outcome.STORED, row

    existing.last_seen_at = max(existing.last_seen_at, seen_at)
    existing.last_run_id = run_id
    _backfill_first_version(session, existing)
    _add_urls(session, existing, urls, run_id, seen_at)
    if how == "copy":
        return Outcome.DUPLICATE, existing
    if existing.removed_at is not None:  # it came back
        session.add(ArticleEvent(article_id=existing.id, kind="reappeared", at=seen_at, run_id=run_id,
                                 evidence={"url": record["url"]}))
        existing.removed_at, existing.removal_evidence = None, None
    if how == "alias" or record_hash(record) == existing.record_hash:
        return Outcome.UNCHANGED, existing
    _revise(session, existing, record, seen_at, run_id, "crawl", warc_record_id, stories)
    return Outcome.CHANGED, existing


def _mark_removed(session: Session, run_id: int, urls: list[str], evidence: Mapping[str, Any],
                  at: datetime) -> Article | None:
    """The archived article whose own URL is one of ``urls``, marked removed (once) with the
    evidence; None if none. An alias that goes away (one section drops its copy) does not
    take the article down: like edits, takedowns are read from the article's own URL."""
    for known in session.scalars(select(ArticleUrl).where(ArticleUrl.url.in_(urls))):
        article = session.get(Article, known.article_id)
        if _is_own_url(known, article):
            break
    else:
        return None
    if article.removed_at is None:
        article.removed_at, article.removal_evidence = at, dict(evidence)
        session.add(ArticleEvent(article_id=article.id, kind="removed", at=at, run_id=run_id, evidence=dict(evidence)))
    return article


def _not_modified(session: Session, run_id: int, urls: list[str], at: datetime) -> Article | None:
    """The archived article at one of ``urls``, seen again unchanged (a 304 to a conditional request)."""
    known = session.scalar(select(ArticleUrl).where(ArticleUrl.url.in_(urls)).limit(1))
    if known is None:
        return None
    article = session.get(Article, known.article_id)
    if article.removed_at is None:  # a 304 to a removal notice's validators: still removed, not seen
        article.last_seen_at, article.last_run_id = max(article.last_seen_at, at), run_id
    return article


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


def run_outcome(summary: dict[str, Any], partial_share: float = PARTIAL_FAILURE_SHARE) -> str:
    """ok, partial or failed, from a finished run's counts."""
    succeeded = sum(summary[k] for k in ("articles_new", "articles_unchanged", "articles_changed", "duplicates",
                                         "articles_removed"))
    # a URL that failed in an earlier run and failed again was alerted on then: counted, not re-alerted
    failed = summary["articles_failed"] - summary.get("retries_failed", 0)
    if summary["pages_fetched"] == 0 or summary["list_pages"] == 0:
        return "failed"  # nothing answered, or no section could be read (unreachable, robots forbids all)
    if failed >= 3 and not succeeded:
        return "failed"  # every article tried failed: a redesign, a block page
    if failed > partial_share * (failed + succeeded):
        return "partial"
    return "ok"


def run_summary(session: Session, run_id: int) -> dict[str, Any]:
    """Counts of one run, from its fetch rows. Articles are counted once however many pages they span."""
    answered = case((Fetch.status.is_not(None), 1), else_=0)  # a response, not a link left alone
    rows = session.execute(
        select(Fetch.kind, Fetch.outcome, Fetch.reason, Fetch.page_number, func.count(), func.sum(Fetch.size),
               func.sum(answered), func.sum(case((Fetch.status == 304, 1), else_=0)))
        .where(Fetch.run_id == run_id)
        .group_by(Fetch.kind, Fetch.outcome, Fetch.reason, Fetch.page_number)
    ).all()
    counters = {
        Outcome.STORED: "articles_new",
        Outcome.UNCHANGED: "articles_unchanged",
        Outcome.CHANGED: "articles_changed",
        Outcome.DUPLICATE: "duplicates",
        Outcome.REMOVED: "articles_removed",
        Outcome.LIST: "list_pages",
    }
    summary: dict[str, Any] = {name: 0 for name in counters.values()}
    summary.update(pages_fetched=0, article_pages_fetched=0, articles_not_modified=0, bytes=0, articles_failed=0,
                   skipped={}, failures={})
    for kind, outcome, reason, page_number, count, size, fetched, not_modified in rows:
        summary["bytes"] += int(size or 0)
        summary["pages_fetched"] += int(fetched or 0)
        if kind == "article":
            summary["article_pages_fetched"] += int(fetched or 0)
            summary["articles_not_modified"] += int(not_modified or 0)
        if kind == "article" and page_number != 1:
            continue  # later pages of an article: it is counted once, by its first page
        if outcome in counters:
            summary[counters[outcome]] += count
        elif outcome in (Outcome.SKIPPED, Outcome.FAILED):
            if kind == "article" and outcome == Outcome.FAILED:
                summary["articles_failed"] += count
            bucket = summary["skipped" if outcome == Outcome.SKIPPED else "failures"]
            bucket[reason] = bucket.get(reason, 0) + count
    return summary
