"""Item pipeline: run the pure extractor on an article's pages."""

from __future__ import annotations

import logging

from pipelines.extraction import ExtractionFailed, RawPage, extract_article
from storage.outcomes import Outcome, Reason, reason_for_status

logger = logging.getLogger(__name__)

_HTML_TYPES = ("text/html", "application/xhtml+xml")


class ExtractPipeline:
    """Turns an article item's raw pages into an Article, or records why it could not."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        if item.kind != "article" or item.outcome is not None:
            return item
        first = item.pages[0]
        if first.status != 200:
            item.outcome, item.reason = Outcome.FAILED, reason_for_status(first.status)
            return item
        failed = next((p for p in item.pages[1:] if p.status != 200), None)
        if failed is not None:
            item.outcome, item.reason = Outcome.FAILED, Reason.INCOMPLETE_MULTIPAGE
            item.detail = f"{failed.url}: HTTP {failed.status}"
            return item
        content_type = (first.content_type or "text/html").split(";")[0].strip().lower()
        if content_type not in _HTML_TYPES:
            item.outcome, item.reason, item.detail = Outcome.FAILED, Reason.NOT_HTML, content_type
            return item
        rules = self.crawler.spider.profile.rules
        pages = [RawPage(p.site_url, p.body, p.content_type, p.fetched_at) for p in item.pages]
        try:
            item.article = extract_article(pages, rules)
        except ExtractionFailed as exc:
            item.outcome, item.reason, item.detail = Outcome.FAILED, exc.reason, exc.detail
        except Exception as exc:  # one bad page must never stop the crawl
            logger.exception("extraction failed on %s", first.url)
            item.outcome, item.reason = Outcome.FAILED, Reason.EXTRACTION_ERROR
            item.detail = f"{type(exc).__name__}: {exc}"[:500]
        return item
