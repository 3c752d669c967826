"""Every way a fetch can fail maps to one reason from the closed set, and a refusing database loses nothing."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.test import get_crawler
from sqlalchemy import func, select
from twisted.internet import error as net
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed
from twisted.web.http import _DataLoss

from pipelines.extract import ExtractPipeline
from pipelines.store import StorePipeline
from scraper.items import FetchedPage, PageItem
from scraper.sites.profile import load_profile
from scraper.spiders.failures import reason_for_failure
from scraper.spiders.loader import spider_for
from storage.db import open_archive
from storage.models import Article, Fetch
from storage.outcomes import Outcome, Reason, reason_for_status


def _failure(exc: BaseException) -> Failure:
    try:
        raise exc
    except BaseException:
        return Failure()


@pytest.mark.parametrize(
    "exc, outcome, reason",
    [
        (net.DNSLookupError("no such host"), Outcome.FAILED, Reason.DNS_ERROR),
        (net.TimeoutError(), Outcome.FAILED, Reason.TIMEOUT),
        (net.TCPTimedOutError(), Outcome.FAILED, Reason.TIMEOUT),
        (net.ConnectionRefusedError(), Outcome.FAILED, Reason.CONNECTION_ERROR),
        (net.ConnectionLost(), Outcome.FAILED, Reason.CONNECTION_ERROR),
        (ResponseFailed([_failure(_DataLoss())]), Outcome.FAILED, Reason.TRUNCATED),
        (IgnoreRequest("Forbidden by robots.txt"), Outcome.SKIPPED, Reason.ROBOTS_FORBIDDEN),
        (IgnoreRequest("Filtered offsite request to 'x.example'"), Outcome.SKIPPED, Reason.OFFSITE),
        (IgnoreRequest("max redirections reached"), Outcome.FAILED, Reason.DOWNLOAD_ERROR),
        (ValueError("something new"), Outcome.FAILED, Reason.DOWNLOAD_ERROR),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_download_failures_map_to_one_reason(exc, outcome, reason):
    got_outcome, got_reason, detail = reason_for_failure(_failure(exc))
    assert (got_outcome, got_reason) == (outcome, reason)
    assert len(detail) <= 500


@pytest.mark.parametrize(
    "status, location, reason",
    [
        (404, None, Reason.NOT_FOUND), (410, None, Reason.GONE), (403, None, Reason.HTTP_ERROR),
        (503, None, Reason.SERVER_ERROR), (206, None, Reason.HTTP_ERROR), (204, None, Reason.HTTP_ERROR),
        (301, "http://elsewhere.example/", Reason.REDIRECT_OFFSITE), (302, None, Reason.HTTP_ERROR),
        (304, "/x", Reason.HTTP_ERROR),
    ],
)
def test_statuses_map_to_one_reason(status, location, reason):
    assert reason_for_status(status, location) == reason


# -- the pipelines, with a real SQLite archive that refuses writes ---------------------------------


def _pipelines(db):
    crawler = get_crawler(spider_for(load_profile("qhnews")), {"NEWSARCHIVE_DB_URL": f"sqlite:///{db}"})
    crawler.spider = crawler._create_spider()
    extract, store = ExtractPipeline(crawler), StorePipeline(crawler)
    store.open_spider()
    return extract, store


def _article_item(replica, story_index=0):
    site_dir, truth = replica
    story = [a for a in truth["articles"] if a["outcome"] == "stored" and not a["traits"]][story_index]
    manifest = json.loads((site_dir / "_manifest.json").read_text())
    body = (site_dir / manifest[story["url"].split("qhnews.com", 1)[1]]["file"]).read_bytes()
    page = FetchedPage(url=story["url"], final_url=story["url"], site_url=story["url"], status=200,
                       headers={"content-type": "text/html"}, body=body, fetched_at=datetime.now(timezone.utc))
    return PageItem(site="qhnews", kind="article", url=story["url"], site_url=story["url"], pages=[page])


def test_an_extractor_crash_is_a_recorded_failure(replica, tmp_path, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug the tests did not foresee")

    monkeypatch.setattr("pipelines.extract.extract_article", broken)  # a real bug cannot be summoned on demand
    extract, store = _pipelines(tmp_path / "a.db")
    item = extract.handle(_article_item(replica))
    store.process_item(item)
    _engine, sessions = open_archive(str(tmp_path / "a.db"))
    with sessions() as session:
        row = session.scalars(select(Fetch)).one()
    assert (row.outcome, row.reason) == ("failed", "extraction_error")
    assert "RuntimeError: a bug the tests did not foresee" in row.detail


def test_a_refusing_database_records_the_failure_and_keeps_what_it_had(replica, tmp_path):
    db = tmp_path / "a.db"
    extract, store = _pipelines(db)
    store.process_item(extract.handle(_article_item(replica, 0)))
    with sqlite3.connect(db) as raw:  # the database itself now refuses new articles
        raw.execute("CREATE TRIGGER no_more BEFORE INSERT ON articles BEGIN SELECT RAISE(ABORT, 'disk quota'); END")
    store.process_item(extract.handle(_article_item(replica, 1)))
    _engine, sessions = open_archive(str(db))
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 1  # the first one is intact
        rows = session.scalars(select(Fetch).order_by(Fetch.id)).all()
    assert [(r.outcome, r.reason) for r in rows] == [("stored", None), ("failed", "storage_error")]
    assert "disk quota" in rows[1].detail


def test_when_even_the_failure_row_is_refused_the_crawl_goes_on(replica, tmp_path):
    db = tmp_path / "a.db"
    extract, store = _pipelines(db)
    with sqlite3.connect(db) as raw:
        raw.execute("CREATE TRIGGER no_fetches BEFORE INSERT ON fetches BEGIN SELECT RAISE(ABORT, 'read-only'); END")
    item = extract.handle(_article_item(replica, 2))
    assert store.process_item(item) is item  # logged, not raised: one bad write must not stop the crawl
