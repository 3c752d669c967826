"""An article's life in the archive across captures: a multi-page edit, an alias that goes away,
an article archived before versions existed, and pages that merely mention a deletion."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from pipelines.extraction import RawPage, extract_article, removal_notice
from pipelines.extraction.decode import decode_html
from pipelines.reextract import reextract
from scraper.replica.scoring import raw_pages
from scraper.sites.profile import load_profile
from storage.db import open_archive
from storage.models import Article, ArticleEvent, ArticleUrl, ArticleVersion
from storage.repository import Archive, FetchRecord, now
from storage.warc import Capture, WarcWriter, payload_digest

RULES = load_profile("qhnews").rules


class Crawler:
    """Captures written to real WARC files and stored through the repository, as a crawl does."""

    def __init__(self, folder):
        _engine, self.sessions = open_archive(str(folder / "a.db"))
        self.archive = Archive(self.sessions)
        self.site_id = self.archive.site("qhnews", RULES.origin, RULES.timezone)
        self.warc = folder / "warc"
        self.seen = {}

    def crawl(self, pages):
        run = self.archive.start_run(self.site_id)
        writer = WarcWriter(self.warc, f"qhnews-{run}")
        fetches = []
        for number, page in enumerate(pages, start=1):
            digest = payload_digest(page.body)
            capture = Capture(page.url, "GET", [], 200, "OK", "HTTP/1.1", [("Content-Type", page.content_type)],
                              page.body, now())
            if digest in self.seen:  # the same bytes as an earlier capture: a revisit record
                location = writer.write_capture(capture, revisit_of=self.seen[digest], refers_to_date="2024-06-14T00:00:00Z")
                payload = self.seen[digest]
            else:
                location = payload = self.seen[digest] = writer.write_capture(capture)
            fetches.append(FetchRecord(kind="article", url=page.url, site_url=page.url, fetched_at=now(), final_url=page.url,
                                       status=200, content_type=page.content_type, size=len(page.body),
                                       page_number=number, warc=location, payload=payload))
        writer.close()
        outcome = self.archive.record(run, self.site_id, fetches, extract_article(pages, RULES).to_record())
        self.archive.finish_run(run)
        return outcome[0]

    def article(self):
        with self.sessions() as session:
            return session.scalar(select(Article))


@pytest.fixture
def two_page(replica):
    site_dir, truth = replica
    entry = next(e for e in truth["articles"] if e["outcome"] == "stored" and len(e["expected"]["page_urls"]) == 2)
    return raw_pages(site_dir, truth, entry)


def _edit_page_two(pages):
    first, second = pages
    text, decoding = decode_html(second.body, second.content_type)
    last = extract_article(pages, RULES).text.split("\n\n")[-1]
    at = text.find(last[:12])
    assert at > 0
    edited = (text[:at] + "记者补充：此事仍在进展之中。" + text[at:]).encode(decoding.used_charset)
    return [first, RawPage(second.url, edited, second.content_type)]


def test_reextraction_reads_the_capture_of_the_current_version(tmp_path, two_page):
    crawler = Crawler(tmp_path)
    assert crawler.crawl(two_page) == "stored"
    assert crawler.crawl(_edit_page_two(two_page)) == "changed"  # page 1 the same bytes (a revisit), page 2 edited
    report = reextract(crawler.sessions, crawler.warc, {"qhnews": RULES}, workers=1)
    assert (report.unchanged, report.changed) == (1, 0), report.as_dict()
    article = crawler.article()
    assert article.version == 2 and "记者补充：此事仍在进展之中。" in article.text


def test_an_alias_that_goes_away_does_not_take_the_article_down(tmp_path, two_page):
    crawler = Crawler(tmp_path)
    crawler.crawl(two_page)
    article = crawler.article()
    alias = "http://www.qhnews.com/newscenter/yc/system/2024/06/14/1.shtml"
    with crawler.sessions.begin() as session:
        session.add(ArticleUrl(article_id=article.id, url=alias, kind="alias", first_seen_at=now(), first_run_id=1))
    for _ in range(2):
        run = crawler.archive.start_run(crawler.site_id)
        gone = FetchRecord(kind="article", url=alias, site_url=alias, fetched_at=now(), status=404, outcome="failed",
                           reason="not_found")
        assert crawler.archive.record(run, crawler.site_id, [gone], None, {"reason": "not_found", "status": 404}) == (None, None)
        assert crawler.crawl(two_page) == "unchanged"
    with crawler.sessions() as session:
        assert session.scalars(select(ArticleEvent)).all() == []
    assert crawler.article().removed_at is None
    run = crawler.archive.start_run(crawler.site_id)  # its own URL going away does
    own = FetchRecord(kind="article", url=article.url, site_url=article.url, fetched_at=now(), status=404,
                      outcome="failed", reason="not_found")
    assert crawler.archive.record(run, crawler.site_id, [own], None, {"reason": "not_found", "status": 404})[0] == "removed"


def test_an_article_archived_before_versions_keeps_its_text_as_version_one(tmp_path, two_page):
    crawler = Crawler(tmp_path)
    crawler.crawl(two_page)
    with crawler.sessions.begin() as session:  # what schema 0003 finds in an older archive
        session.query(ArticleVersion).delete()
        session.execute(update(Article).values(record_hash=None, version=1))
    assert crawler.crawl(two_page) == "unchanged"  # the same page is not a change
    assert crawler.crawl(_edit_page_two(two_page)) == "changed"
    with crawler.sessions() as session:
        versions = session.scalars(select(ArticleVersion).order_by(ArticleVersion.version)).all()
    assert [(v.version, v.source) for v in versions] == [(1, "backfill"), (2, "crawl")]
    assert "记者补充" not in versions[0].record["text"] and "1 paragraph" in versions[1].diff_summary


@pytest.mark.parametrize("html, notice", [
    ("<html><head><title>404 页面不存在</title></head><body><h1>对不起，该稿件已删除</h1></body></html>", True),
    ("<html><head><title>市场监管</title></head><body><h1>市场监管部门通报一批案件</h1><div><p>"
     + "近日，市场监管部门集中通报了一批违法案件，涉及食品安全和虚假宣传等问题。" * 3
     + "相关违规信息已删除，涉事商家已被立案调查。</p></div></body></html>", False),
    ("<html><body><p>" + "这是一篇很长的正文，其中提到稿件已删除这件事。" * 3 + "</p></body></html>", False),
])
def test_a_notice_is_a_short_line_of_its_own_not_a_mention(html, notice):
    page = RawPage("http://www.qhnews.com/dj/system/2024/06/14/1.shtml", html.encode("utf-8"), "text/html; charset=utf-8")
    try:
        article = extract_article([page], RULES)
    except Exception:  # noqa: BLE001 - the notice page has no article: the failure path reads the page
        article = None
    assert (removal_notice([page], RULES, article) is not None) == notice
