"""Raw capture: every response the crawl receives goes to WARC before anything reads it.

``WarcCaptureMiddleware`` sits next to the downloader (priority 950), so it sees
each response as it arrived: still compressed, before redirects are followed and
before a 500 is retried - every one of them is a response the crawl received. It
writes the request and response records (or a revisit record when the same
payload is already archived, the identical-payload-digest profile) and leaves the
record's location in ``request.meta["warc"]`` for the spider and the pipelines.
The item pipelines add a metadata record per page once it has been read.

Settings: NEWSARCHIVE_WARC (on by default), NEWSARCHIVE_WARC_DIR (default: a
``warc`` folder beside a SQLite archive, else ``data/warc``), NEWSARCHIVE_WARC_MAX_BYTES
(rotation size, default 1 GiB).
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timezone
from http import HTTPStatus

from scrapy import signals
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes

from storage.db import open_archive, resolve_db_url, warc_dir
from storage.repository import PayloadLookup
from storage.warc import DEFAULT_MAX_BYTES, Capture, Location, WarcWriter, payload_digest, read_payload, warc_date

logger = logging.getLogger(__name__)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class WarcCaptureMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.enabled = settings.getbool("NEWSARCHIVE_WARC", True)
        db_url = resolve_db_url(settings.get("NEWSARCHIVE_DB_URL"))
        self.directory = warc_dir(db_url, settings.get("NEWSARCHIVE_WARC_DIR"))
        self.max_bytes = settings.getint("NEWSARCHIVE_WARC_MAX_BYTES", DEFAULT_MAX_BYTES)
        self.db_url = db_url
        self.writer: WarcWriter | None = None
        self.earlier: PayloadLookup | None = None
        self.seen: dict[str, tuple[Location, str, str]] = {}  # digest -> (location, date, uri), this run
        crawler.newsarchive_warc = self  # the pipelines write their metadata records through it

    @classmethod
    def from_crawler(cls, crawler):
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def _open(self) -> WarcWriter:
        if self.writer is None:
            run_id = self.crawler.stats.get_value("newsarchive/run_id") or 0
            self.writer = WarcWriter(self.directory, f"{self.crawler.spider.name}-{run_id}", self.max_bytes)
            engine, _sessions = open_archive(self.db_url)
            self.earlier = PayloadLookup(engine)
        return self.writer

    def spider_closed(self, spider):
        if self.writer is not None:
            self.writer.close()
        if self.earlier is not None:
            self.earlier.close()

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one middleware per crawl: the cache lives as long as it
    def _file_present(self, name: str) -> bool:
        return (self.directory / name).exists()

    def _archived(self, digest: str) -> tuple[Location, str, str] | None:
        """An earlier record with this payload, in this run or in the archive (with its file present)."""
        known = self.seen.get(digest)
        if known is None and self.earlier is not None:
            found = self.earlier.find(digest)
            if found and self._file_present(found[0].file):
                known = found
        return known

    def process_response(self, request, response):
        replayed = request.meta.get("newsarchive_replayed")
        if replayed is not None:  # read back from a killed run's WARC record: archived already, not fetched
            request.meta["wire_bytes"] = 0
            request.meta["warc"] = {"record": replayed.location, "payload": replayed.location,
                                    "fetched_at": replayed.fetched_at}
            return response
        request.meta["wire_bytes"] = len(response.body)  # as received: still compressed here
        if not self.enabled:
            return response
        writer = self._open()
        fetched_at = datetime.now(timezone.utc)
        capture = Capture(
            url=response.url,
            method=request.method,
            request_headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, vs in request.headers.items() for v in vs],
            status=response.status,
            reason=_reason(response.status),
            protocol=getattr(response, "protocol", None) or "HTTP/1.1",
            response_headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, vs in response.headers.items() for v in vs],
            body=response.body,
            fetched_at=fetched_at,
        )
        digest = payload_digest(response.body)
        earlier = self._archived(digest) if response.body else None
        if earlier is not None:
            location = writer.write_capture(capture, revisit_of=earlier[0], refers_to_date=earlier[1],
                                            refers_to_uri=earlier[2], digest=digest)
            payload = earlier[0]
        else:
            location = payload = writer.write_capture(capture, digest=digest)
            self.seen[digest] = (location, warc_date(fetched_at), capture.url)
        request.meta["warc"] = {"record": location, "payload": payload, "fetched_at": fetched_at}
        return response

    def sync(self) -> None:
        if self.writer is not None:
            self.writer.sync()

    def write_metadata(self, target_uri: str, concurrent_to: str, fields: dict, moment: datetime) -> None:
        if self.writer is not None:
            self.writer.write_metadata(target_uri, concurrent_to, fields, moment)


class WarcReplayMiddleware:
    """Answers an article request from the WARC record a killed run captured and never
    recorded (storage.salvage), instead of the network: what a crawl fetched before it
    died is not fetched again. The response keeps its original record and fetch time."""

    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.directory = warc_dir(resolve_db_url(settings.get("NEWSARCHIVE_DB_URL")), settings.get("NEWSARCHIVE_WARC_DIR"))

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        plan = getattr(self.crawler, "newsarchive_plan", None)
        if plan is None or not plan.salvage or request.meta.get("kind") != "article" or request.method != "GET":
            return None
        capture = plan.salvage.pop(self.crawler.spider.site_url(request.url), None)
        if capture is None:
            return None
        try:
            payload = read_payload(self.directory, capture.location.file, capture.location.offset)
        except (OSError, ValueError) as exc:  # the file went away or is damaged: fetch as usual
            logger.warning("cannot read back %s from %s: %s", request.url, capture.location.file, exc)
            return None
        headers = {k: v for k, v in payload.headers.items() if k not in ("content-length", "transfer-encoding")}
        response_class = responsetypes.from_args(headers=Headers(headers), url=request.url, body=payload.body)
        request.meta["newsarchive_replayed"] = capture
        self.crawler.stats.inc_value("newsarchive/salvaged_from_warc")
        return response_class(url=request.url, status=payload.status, headers=headers, body=payload.body,
                              request=request)
