"""Item pipeline: one transaction per item - the article, its URLs and its fetch rows.

It opens the run when the spider opens and closes it, with its counts, when the
spider closes; the run id is published in the crawl stats as ``newsarchive/run_id``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from scrapy import signals
from sqlalchemy.exc import SQLAlchemyError

from storage.db import open_archive, resolve_db_url
from storage.outcomes import TAKEDOWN_REASONS, Outcome, Reason, reason_for_status
from storage.repository import Archive, FetchRecord

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
        )
        for number, page in enumerate(item.pages, start=1)
    ]


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.archive: Archive | None = None
        self.run_id: int | None = None
        self.site_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler)
        # the close reason (finished, shutdown, …) is given only to this signal, not to close_spider
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self):
        spider = self.crawler.spider
        _engine, sessions = open_archive(resolve_db_url(self.crawler.settings.get("NEWSARCHIVE_DB_URL")))
        self.archive = Archive(sessions)
        profile = spider.profile
        self.site_id = self.archive.site(profile.name, profile.origin, profile.timezone)
        self.run_id = self.archive.start_run(self.site_id, spider.base_url)
        self.crawler.stats.set_value("newsarchive/run_id", self.run_id)

    def process_item(self, item):
        fetches = fetch_records(item)
        record = item.article.to_record() if item.article is not None else None
        removal = None
        if item.kind == "article" and item.reason in TAKEDOWN_REASONS:
            last = item.pages[-1] if item.pages else None
            removal = {"reason": item.reason, "status": last.status if last else None,
                       "final_url": item.redirect_to or (last.site_url if last else item.site_url), "detail": item.detail}
        try:
            outcome, _uid = self.archive.record(self.run_id, self.site_id, fetches, record, removal)
        except SQLAlchemyError as exc:
            # The page is recorded as failed; nothing stored before is touched.
            logger.error("could not store %s: %s", item.url, exc)
            for fetch in fetches:
                fetch.outcome, fetch.reason = Outcome.FAILED, Reason.STORAGE_ERROR
                fetch.detail = f"{type(exc).__name__}: {exc}"[:500]
            try:
                self.archive.record(self.run_id, self.site_id, fetches, None)
            except SQLAlchemyError as again:  # even the failure rows were refused: say so, keep crawling
                logger.error("could not record the failure of %s either: %s", item.url, again)
            outcome = Outcome.FAILED
        self.crawler.stats.inc_value(f"newsarchive/{item.kind}/{outcome or fetches[0].outcome}")
        return item

    def spider_closed(self, spider, reason):
        if self.archive is None or self.run_id is None:
            return
        summary = self.archive.finish_run(self.run_id, interrupted=reason != "finished")
        logger.info("run %s finished (%s): %s", self.run_id, reason, summary)
