"""Item pipeline: run the pure extractor on an article's pages, and note each page's reading in WARC."""

from __future__ import annotations

import functools
import logging
import threading

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads
from twisted.python.threadpool import ThreadPool

from pipelines.extraction import EXTRACTOR_VERSION, ExtractionFailed, RawPage, extract_article, removal_notice
from pipelines.extraction.decode import http_charset, meta_charset
from storage.outcomes import Outcome, Reason, reason_for_status

logger = logging.getLogger(__name__)

_HTML_TYPES = ("text/html", "application/xhtml+xml")


class ExtractPipeline:
    """Turns an article item's raw pages into an Article, or records why it could not.

    Extraction runs on one worker thread, not on the reactor's: a page that takes
    seconds to read must not stop every download meanwhile. One thread keeps the
    extractor's objects (parsers, compiled selectors) out of concurrent use and the
    items in order; WARC metadata is written back on the reactor's thread, beside the
    downloader's own records.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self._pool: ThreadPool | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self):
        self._pool = ThreadPool(1, 1, "newsarchive-extract")
        # a daemon: a second Ctrl-C ends the process at once instead of waiting on a page being read
        self._pool.threadFactory = functools.partial(threading.Thread, daemon=True)
        self._pool.start()

    def close_spider(self):
        if self._pool is not None:
            self._pool.stop()
            self._pool = None

    async def process_item(self, item):
        if self._pool is not None and self._pending(item):
            from twisted.internet import reactor

            await maybe_deferred_to_future(threads.deferToThreadPool(reactor, self._pool, self._extract, item))
        return self.handle(item)

    def handle(self, item):
        """Extract (in line, unless the worker thread already did) and write the metadata records."""
        if self._pending(item):
            self._extract(item)
        self._write_metadata(item)
        return item

    @staticmethod
    def _pending(item) -> bool:
        return item.kind == "article" and item.outcome is None and item.article is None

    def _extract(self, item) -> None:
        first = item.pages[0]
        if first.status != 200:
            item.outcome, item.reason = Outcome.FAILED, reason_for_status(first.status, first.headers.get("location"))
            return
        failed = next((p for p in item.pages[1:] if p.status != 200), None)
        if failed is not None:
            item.outcome, item.reason = Outcome.FAILED, Reason.INCOMPLETE_MULTIPAGE
            item.detail = f"{failed.url}: HTTP {failed.status}"
            return
        content_type = (first.content_type or "text/html").split(";")[0].strip().lower()
        if content_type not in _HTML_TYPES:
            item.outcome, item.reason, item.detail = Outcome.FAILED, Reason.NOT_HTML, content_type
            return
        rules = self.crawler.spider.profile.rules
        pages = [RawPage(p.site_url, p.body, p.content_type, p.fetched_at) for p in item.pages]
        try:
            article = extract_article(pages, rules)
        except ExtractionFailed as exc:
            # a notice page has no article: only then is it worth looking for one
            notice = removal_notice(pages, rules) if exc.reason in (Reason.NO_TITLE, Reason.NO_CONTENT) else None
            item.outcome = Outcome.FAILED
            item.reason, item.detail = (Reason.REMOVAL_NOTICE, notice) if notice else (exc.reason, exc.detail)
            return
        except Exception as exc:  # one bad page must never stop the crawl
            logger.exception("extraction failed on %s", first.url)
            item.outcome, item.reason = Outcome.FAILED, Reason.EXTRACTION_ERROR
            item.detail = f"{type(exc).__name__}: {exc}"[:500]
            return
        notice = removal_notice(pages, rules, article)
        if notice:
            item.outcome, item.reason, item.detail = Outcome.FAILED, Reason.REMOVAL_NOTICE, notice
            return
        item.article = article

    def _write_metadata(self, item) -> None:
        """A WARC metadata record beside each page's response: how it was read and what came of it."""
        archive = getattr(self.crawler, "newsarchive_warc", None)
        if archive is None:
            return
        decodings = {p.url: vars(p.decoding) for p in item.article.extraction.pages} if item.article else {}
        for page in item.pages:
            if page.warc is None:
                continue
            # the extractor's decision where it read the page; else what the page declares (cheap: this
            # runs on the reactor's thread, and decoding a large page here would stall the downloads)
            decoding = decodings.get(page.site_url) or {"http_charset": http_charset(page.content_type),
                                                         "meta_charset": meta_charset(page.body)}
            archive.write_metadata(page.final_url, page.warc.record_id, {
                "run_id": self.crawler.stats.get_value("newsarchive/run_id"),
                "site": item.site,
                "kind": item.kind,
                "site_url": page.site_url,
                "extractor_version": EXTRACTOR_VERSION,
                "method": item.article.extraction.method if item.article else None,
                "decoding": decoding,
                "outcome": item.outcome,
                "reason": item.reason,
            }, page.fetched_at)
