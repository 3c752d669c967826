"""Item pipeline: one transaction per item - the article, its URLs, its fetch rows and
the crawl state of the URL asked for.

When the spider opens it takes the site's crawl lock (a second run of the site closes
at once, ``newsarchive/lock_held`` in the stats), opens the run, and gives the spider
the run's incremental plan, built from the archive's URL state; when the spider closes
it closes the run with its counts and releases the lock. The run id is published in the
crawl stats as ``newsarchive/run_id``.

Settings: NEWSARCHIVE_LOCK (on), NEWSARCHIVE_AS_OF (measure article ages from this
moment instead of now), NEWSARCHIVE_REVISIT_ALL, NEWSARCHIVE_BACKFILL_FROM (YYYY-MM-DD).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from scrapy import signals
from scrapy.exceptions import CloseSpider
from scrapy.utils.defer import deferred_from_coro
from sqlalchemy.exc import SQLAlchemyError
from twisted.internet import task

from pipelines.extraction.urls import rebase
from scraper.incremental import CrawlPlan, parse_moment
from storage import locks, search
from storage.db import open_archive, resolve_db_url, warc_dir
from storage.outcomes import TAKEDOWN_REASONS, Outcome, Reason, reason_for_status
from storage.repository import Archive, FetchRecord
from storage.salvage import crashed_runs, mark_salvaged, replayable, unrecorded_captures
from storage.state import known_urls, walked_sections
from storage.stories import index_missing

logger = logging.getLogger(__name__)


def fetch_records(item) -> list[FetchRecord]:
    """Fetch rows of an item: one per page, or one for a request that got no response."""
    if not item.pages:
        return [
            FetchRecord(kind=item.kind, url=item.url, site_url=item.site_url, fetched_at=datetime.now(timezone.utc),
                        outcome=item.outcome or Outcome.FAILED, reason=item.reason, detail=item.detail)
        ]
    outcome, reason, detail = item.outcome, item.reason, item.detail
    if item.kind == "list" and outcome is None:
        first = item.pages[0]
        location = first.headers.get("location")
        outcome, reason = (Outcome.LIST, None) if first.status == 200 else (Outcome.FAILED, reason_for_status(first.status, location))
        if reason == Reason.REDIRECT_OFFSITE:
            detail = f"redirected to {location}"
    return [
        FetchRecord(
            kind=item.kind,
            url=page.url,
            site_url=page.site_url,
            final_url=page.final_url,
            status=page.status,
            content_type=page.content_type,
            size=page.wire_bytes if page.wire_bytes is not None else len(page.body),
            retries=page.retries,
            page_number=number,
            fetched_at=page.fetched_at,
            outcome=outcome,
            reason=reason,
            detail=detail,
            warc=page.warc,
            payload=page.payload,
            etag=page.headers.get("etag"),
            last_modified=page.headers.get("last-modified"),
        )
        for number, page in enumerate(item.pages, start=1)
    ]


class StorePipeline:
    HEARTBEAT_SECONDS = 60
    INDEX_PER_RUN = 2000  # articles from before stories indexed when a crawl opens (a few seconds)

    def __init__(self, crawler):
        self.crawler = crawler
        self.archive: Archive | None = None
        self.run_id: int | None = None
        self.site_id: int | None = None
        self.lock: locks.Lock | None = None
        self.salvaged_runs: list[int] = []
        self._heartbeat: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler)
        # the close reason (finished, shutdown, …) is given only to this signal, not to close_spider
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self):
        spider = self.crawler.spider
        settings = self.crawler.settings
        started = datetime.now(timezone.utc)
        try:  # settings given with -s (scrapy crawl, scrapyd) are checked before anything is recorded
            as_of = parse_moment(settings.get("NEWSARCHIVE_AS_OF"), "NEWSARCHIVE_AS_OF") or started
            backfill = settings.get("NEWSARCHIVE_BACKFILL_FROM")
            backfill_from = date.fromisoformat(backfill) if backfill else None
        except ValueError as exc:
            logger.error("not starting: %s", exc)
            raise CloseSpider("bad_setting") from None
        _engine, sessions = open_archive(resolve_db_url(settings.get("NEWSARCHIVE_DB_URL")))
        self.sessions = sessions
        self.archive = Archive(sessions)
        profile = spider.profile
        self.site_id = self.archive.site(profile.name, profile.origin, profile.timezone, profile.rules.outlet)
        if settings.getbool("NEWSARCHIVE_LOCK", True):
            try:
                self.lock = locks.acquire(sessions, profile.name, self.site_id, started)
            except locks.LockHeld as exc:
                logger.error("%s; not starting", exc)
                self.crawler.stats.set_value("newsarchive/lock_held", str(exc))
                raise CloseSpider("lock_held") from None
            if self.lock.taken_over:
                logger.warning("runs %s of %s had died without closing: recorded as interrupted",
                               ", ".join(map(str, self.lock.taken_over)), profile.name)
        try:
            self.run_id = self.archive.start_run(self.site_id, spider.base_url)
        except Exception:
            if self.lock is not None:  # no run to close later: the lock must not outlive this attempt
                locks.release(sessions, self.lock)
            raise
        self.crawler.stats.set_value("newsarchive/run_id", self.run_id)
        if self.lock is not None:
            locks.attach_run(sessions, self.lock, self.run_id)
            self._heartbeat = task.LoopingCall(self._beat)
            self._heartbeat.start(self.HEARTBEAT_SECONDS, now=False)
        # an archive from before stories: its articles join stories a bounded number per run (on the
        # reactor, before any request); `newsarchive stories` indexes all of them at once
        indexed = index_missing(sessions, started, index=self.archive.stories, limit=self.INDEX_PER_RUN)
        if indexed:
            logger.info("%d archived articles without a story indexed for near-duplicates", indexed)
        # the same for the search index (rebuilt first if Python's or OpenCC's tables changed)
        indexed = search.index_missing(sessions, limit=self.INDEX_PER_RUN)
        if indexed:
            logger.info("%d archived articles added to the search index", indexed)
        known = known_urls(sessions, self.site_id)
        self.salvaged_runs, salvage = self._salvage(profile, known)
        self.crawler.newsarchive_plan = CrawlPlan(
            known=known,
            walked=walked_sections(sessions, self.site_id),
            policy=profile.incremental,
            now=started,
            as_of=as_of,
            timezone=ZoneInfo(profile.timezone),
            url_date_pattern=profile.discovery.url_date_pattern,
            revisit_all=settings.getbool("NEWSARCHIVE_REVISIT_ALL", False),
            backfill_from=backfill_from,
            salvage=salvage,
        )

    def _salvage(self, profile, known: dict) -> tuple[list[int], dict]:
        """Article responses killed runs archived but never recorded, by site URL (the newest wins);
        never one older than what the archive already holds for its URL (a later run fetched it)."""
        settings = self.crawler.settings
        if not settings.getbool("NEWSARCHIVE_WARC", True):
            return [], {}
        runs = crashed_runs(self.sessions, self.site_id)
        folder = warc_dir(resolve_db_url(settings.get("NEWSARCHIVE_DB_URL")), settings.get("NEWSARCHIVE_WARC_DIR"))
        found = replayable(
            unrecorded_captures(self.sessions, folder, profile.name, runs),
            lambda c: rebase(c.target_uri, c.base_url, profile.origin) if c.base_url else c.target_uri,
            {url: state.last_fetched_at for url, state in known.items()},
        )
        if found:
            logger.info("%d pages archived by killed runs %s are read back from WARC, not fetched again",
                        len(found), [run for run, _ in runs])
        return [run for run, _ in runs], found

    def _beat(self) -> None:
        try:
            if not locks.heartbeat(self.sessions, self.lock, datetime.now(timezone.utc)):
                logger.error("the crawl lock of %s was taken over by another run; stopping", self.crawler.spider.name)
                deferred_from_coro(self.crawler.engine.close_spider_async(reason="lock_lost"))
        except SQLAlchemyError as exc:  # the next beat tries again; a lock is stale only after minutes
            logger.warning("could not refresh the crawl lock: %s", exc)

    def process_item(self, item):
        fetches = fetch_records(item)
        record = item.article.to_record() if item.article is not None else None
        removal = None
        if item.kind == "article" and item.reason in TAKEDOWN_REASONS:
            last = item.pages[-1] if item.pages else None
            removal = {"reason": item.reason, "status": last.status if last else None,
                       "final_url": item.redirect_to or (last.site_url if last else item.site_url), "detail": item.detail}
        # the crawl state is kept under the URL the crawl asked for, before any redirect
        state_url = self.crawler.spider.site_url(item.pages[0].url) if item.pages else item.site_url
        warc = getattr(self.crawler, "newsarchive_warc", None)
        if warc is not None and item.pages:
            try:
                warc.sync()  # the capture on disk before a committed row says it is archived
            except OSError as exc:
                logger.error("could not sync the WARC file: %s", exc)
        try:
            outcome, _uid = self.archive.record(self.run_id, self.site_id, fetches, record, removal, state_url)
        except SQLAlchemyError as exc:
            # The page is recorded as failed; nothing stored before is touched.
            logger.error("could not store %s: %s", item.url, exc)
            for fetch in fetches:
                fetch.outcome, fetch.reason = Outcome.FAILED, Reason.STORAGE_ERROR
                fetch.detail = f"{type(exc).__name__}: {exc}"[:500]
            try:
                self.archive.record(self.run_id, self.site_id, fetches, None, None, state_url)
            except SQLAlchemyError as again:  # even the failure rows were refused: say so, keep crawling
                logger.error("could not record the failure of %s either: %s", item.url, again)
            outcome = Outcome.FAILED
        outcome = outcome or fetches[0].outcome
        self.crawler.stats.inc_value(f"newsarchive/{item.kind}/{outcome}")
        plan = getattr(self.crawler, "newsarchive_plan", None)
        if item.kind == "article" and outcome == Outcome.FAILED and plan and plan.decided.get(state_url) == "retry":
            self.crawler.stats.inc_value("newsarchive/retries_failed")  # it failed before: reported, not re-alerted
        return item

    def spider_closed(self, spider, reason):
        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
        if self.archive is None or self.run_id is None:
            return
        finished = reason == "finished"
        plan = getattr(self.crawler, "newsarchive_plan", None)
        counts = {"decisions": plan.counts() if plan else {}, "lists_stopped_early": len(spider.stopped_early),
                  "retries_failed": self.crawler.stats.get_value("newsarchive/retries_failed", 0),
                  "salvaged_from_warc": self.crawler.stats.get_value("newsarchive/salvaged_from_warc", 0)}
        try:
            summary = self.archive.finish_run(
                self.run_id, interrupted=not finished, counts=counts,
                walked=spider.walked_sections() if finished else (),
                partial_share=spider.profile.incremental.partial_failure_share,
            )
            logger.info("run %s finished (%s): %s", self.run_id, reason, summary)
            if self.salvaged_runs and finished:  # a run cut short may not have asked for all it found
                mark_salvaged(self.sessions, self.salvaged_runs, self.run_id)
        finally:
            if self.lock is not None:
                locks.release(self.sessions, self.lock)
