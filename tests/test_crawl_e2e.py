"""The real spider crawls the replica over real HTTP into a real SQLite file, twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jsonschema
import pytest
from sqlalchemy import func, select

from scraper.replica.server import ReplicaServer
from storage.db import open_archive
from storage.export import SCHEMA_PATH
from storage.models import Article, ArticleUrl, CrawlRun, Fetch
from tests.conftest import REPO, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def crawled(replica, tmp_path_factory):
    """Two crawls of the same replica into one archive, the second revisiting everything:
    (db path, server log, outputs)."""
    site_dir, truth = replica
    db = tmp_path_factory.mktemp("crawl") / "archive.db"
    with ReplicaServer(site_dir) as server:
        first = run_cli("crawl", "qhnews", "--base-url", server.base_url, "--db", str(db), "--fast")
        assert first.returncode == 0, first.stderr
        requested = server.requested_paths()
        # every known article again (conditional requests): the full comparison, not the incremental skip
        second = run_cli("crawl", "qhnews", "--base-url", server.base_url, "--db", str(db), "--fast", "--revisit-all")
        assert second.returncode == 0, second.stderr
    _engine, sessions = open_archive(str(db))
    return db, sessions, requested, first, second


def _stories(truth, outcome="stored"):
    return {a["story"] for a in truth["articles"] if a["outcome"] == outcome}


def test_every_replica_article_is_stored_exactly_once(replica, crawled):
    _site, truth = replica
    _db, sessions, *_ = crawled
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == len(_stories(truth))
        for entry in truth["articles"]:
            if entry["outcome"] != "stored":
                continue
            hits = session.scalars(select(ArticleUrl.article_id).where(ArticleUrl.url == entry["url"])).all()
            assert len(hits) == 1, entry["url"]
            article = session.get(Article, hits[0])
            assert article.title == entry["expected"]["title"]
            assert article.text.split("\n\n") == entry["expected"]["paragraphs"] or "mojibake" in entry["traits"]


def test_the_same_story_in_two_sections_is_one_article_with_an_alias(replica, crawled):
    _site, truth = replica
    _db, sessions, *_ = crawled
    pair = [a["url"] for a in truth["articles"] if "two_sections" in a["traits"]]
    assert len(pair) == 2
    with sessions() as session:
        rows = session.execute(select(ArticleUrl.article_id, ArticleUrl.kind).where(ArticleUrl.url.in_(pair))).all()
        assert len({article_id for article_id, _ in rows}) == 1
        assert sorted(kind for _, kind in rows) == ["alias", "canonical"]


def test_every_bad_page_is_a_fetch_row_with_its_reason(replica, crawled):
    _site, truth = replica
    _db, sessions, *_ = crawled
    with sessions() as session:
        first_run = session.scalar(select(func.min(CrawlRun.id)))

        def rows(url):
            return session.execute(
                select(Fetch.outcome, Fetch.reason).where(Fetch.site_url == url, Fetch.run_id == first_run)
            ).all()

        for trap in truth["traps"]:
            url = trap["href"] if trap["href"].startswith("http") else truth["origin"] + trap["href"]
            assert rows(url) == [(trap["outcome"], trap["reason"])], url
        truncated = next(a for a in truth["articles"] if "truncated" in a["traits"])
        assert rows(truncated["url"]) == [("failed", "truncated")]
        retried = next(a for a in truth["articles"] if "retry_500" in a["traits"])
        retries = session.scalar(select(Fetch.retries).where(Fetch.site_url == retried["url"], Fetch.run_id == first_run))
        assert retries >= 1 and rows(retried["url"]) == [("stored", None)]
        multipage = next(a for a in truth["articles"] if "multipage" in a["traits"])
        pages = session.execute(
            select(Fetch.page_number, Fetch.site_url).where(Fetch.article_id.is_not(None), Fetch.run_id == first_run,
                                                           Fetch.site_url.in_(multipage["expected"]["page_urls"]))
        ).all()
        assert sorted(pages) == list(enumerate(multipage["expected"]["page_urls"], start=1))


def test_politeness_and_canonical_requests(replica, crawled):
    _site, truth = replica
    _db, _sessions, requested, *_ = crawled
    assert not any(p.startswith("/newscenter/nbgg/") for p in requested)  # robots.txt obeyed
    assert not any(p.endswith(".pdf") for p in requested)
    assert not any("utm_" in p or "spm=" in p or "from=" in p for p in requested)  # tracking stripped
    assert "/robots.txt" in requested
    article_paths = [p for p in requested if "/system/" in p]
    asked_again = {p for p in article_paths if article_paths.count(p) > 1}
    retried = {a["url"][len(truth["origin"]) :] for a in truth["articles"] if {"retry_500", "truncated"} & set(a["traits"])}
    assert asked_again == retried  # only retries repeat a request: each page is fetched once


def test_a_second_crawl_adds_nothing(crawled):
    _db, sessions, _requested, _first, second = crawled
    with sessions() as session:
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
        assert [r.outcome for r in runs] == ["ok", "ok"]
        first, again = runs[0].summary, runs[1].summary
        assert first["articles_new"] > 150
        assert again["articles_new"] == 0 and again["duplicates"] == 0 and again["articles_changed"] == 0
        assert again["articles_unchanged"] == first["articles_new"] + first["duplicates"]
        new_urls = session.scalar(select(func.count()).select_from(ArticleUrl).where(ArticleUrl.first_run_id == runs[1].id))
        assert new_urls == 0
    assert "articles stored (new)" in second.stdout


def test_cli_export_is_valid_jsonl(crawled, tmp_path):
    db, *_ = crawled
    out = tmp_path / "dump.jsonl"
    result = run_cli("export", "--format", "jsonl", "--db", str(db), "-o", str(out))
    assert result.returncode == 0, result.stderr
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()), format_checker=jsonschema.FormatChecker())
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 150
    for line in lines:
        assert "\\u" not in line  # UTF-8, unescaped
        validator.validate(json.loads(line))
    dj = run_cli("export", "--db", str(db), "--section", "党建", "--since", "2024-06-01", "--until", "2024-06-14")
    rows = [json.loads(line) for line in dj.stdout.splitlines()]
    assert rows and all(r["section"] == "党建" and "2024-06-01" <= r["published_at"][:10] <= "2024-06-14" for r in rows)


def test_scrapy_crawl_works_the_scrapy_way(replica, tmp_path):
    site_dir, truth = replica
    db = tmp_path / "scrapy.db"
    with ReplicaServer(site_dir) as server:
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "qhnews", "-a", f"base_url={server.base_url}",
             "-s", f"NEWSARCHIVE_DB_URL=sqlite:///{db}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
             "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "LOG_LEVEL=WARNING"],
            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=300,
        )
    assert result.returncode == 0, result.stderr
    _engine, sessions = open_archive(str(db))
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == len(_stories(truth))


def _hostile_site(folder):
    """A site whose list links pages that break every assumption, served by the same real server."""
    folder.mkdir()
    pages = {
        "1": (200, "text/html", b"\x00\x9f\x92\x96" * 4000),  # binary garbage labelled HTML
        "2": (200, "text/html; charset=gbk", b""),  # empty body
        "3": (200, "application/pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n"),
        "4": (200, "text/html", "<html><body><div class=nav><a href='/'>首页</a></div></body></html>".encode("gbk")),
        "5": (403, "text/html", b"<html><body>Forbidden</body></html>"),
        "6": (302, "text/html", b""),  # redirects off the site
        "7": (200, "text/html", ("<html><body>" + "<div>" * 3000 + "层层嵌套" + "</div>" * 3000 + "</body></html>").encode("gbk")),
        "8": (500, "text/html", b"<html><body>500</body></html>"),  # every retry fails too
        "9": (410, "text/html", b"<html><body>Gone</body></html>"),
        "10": (200, "text/html", "<html><body><h1>两页稿件</h1><p>第一页的正文。</p>"  # its page 2 is a 404
               "<a href='10_2.shtml'>下一页</a></body></html>".encode("gbk")),
        "11": (302, "text/html", b""),  # a redirect without a Location
        "12": (206, "text/html", b"<html><body><h1>Partial</h1></body></html>"),
        "13": (200, "text/html", b"\0" * 2_000_000),  # sent gzipped (2 KB), inflates past the 1 MB limit set below
        "14": (200, "text/html; charset=hex", b"<html><body><p>x</p></body></html>"),  # Scrapy cannot decode it
    }
    links = "".join(f'<li><a href="/newscenter/system/2024/06/14/{n}.shtml">稿件{n}</a></li>' for n in pages)
    listing = f"<html><body><ul>{links}</ul></body></html>".encode("gbk")
    manifest = {"/newscenter/": {"file": "list.html", "content_type": "text/html", "status": 200, "behaviour": None},
                "/robots.txt": {"file": "robots.txt", "content_type": "text/plain", "status": 200, "behaviour": None}}
    (folder / "list.html").write_bytes(listing)
    (folder / "robots.txt").write_bytes(b"User-agent: *\nDisallow:\n")
    (folder / "404.html").write_bytes(b"<html><body>404</body></html>")
    for name, (status, content_type, body) in pages.items():
        (folder / f"{name}.bin").write_bytes(body)
        manifest[f"/newscenter/system/2024/06/14/{name}.shtml"] = {
            "file": f"{name}.bin", "content_type": content_type, "status": status, "behaviour": None,
            **({"location": "http://elsewhere.example/landing"} if name == "6" else {}),
        }
    (folder / "_manifest.json").write_text(json.dumps(manifest))
    return folder


def test_hostile_pages_are_recorded_failures_and_nothing_stored_is_lost(crawled, tmp_path):
    import sqlite3

    db, sessions, *_ = crawled
    copy = tmp_path / "copy.db"
    with sqlite3.connect(db) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    _engine, copied = open_archive(str(copy))
    with copied() as session:
        before = session.scalar(select(func.count()).select_from(Article))
    with ReplicaServer(_hostile_site(tmp_path / "hostile")) as server:
        result = run_cli("crawl", "qhnews", "--base-url", server.base_url, "--db", str(copy), "--fast",
                         env={"NEWSARCHIVE_MAX_PAGE_BYTES": "1000000"})
    assert result.returncode == 4, result.stderr  # a failed run, as monitoring should see it; no traceback
    assert "Traceback" not in result.stderr
    with copied() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == before
        run = session.scalar(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1))
        pairs = session.execute(
            select(Fetch.site_url, Fetch.reason).where(Fetch.run_id == run.id, Fetch.kind == "article")
        ).all()
    rows = dict(pairs)
    assert len(rows) == len(pairs)  # one row per URL: nothing recorded twice
    base = "http://www.qhnews.com/newscenter/system/2024/06/14/"
    expected = {"1": "decode_error", "2": "no_content", "3": "not_html", "4": "no_title", "5": "http_error",
                "6": "redirect_offsite", "8": "server_error", "9": "gone", "10": "incomplete_multipage",
                "10_2": "incomplete_multipage",  # page 2 has its row too, counted with page 1
                "11": "http_error", "12": "http_error", "13": "too_large", "14": "no_title"}
    assert {name: rows[f"{base}{name}.shtml"] for name in expected} == expected
    assert rows[base + "7.shtml"] in {"no_content", "no_title"}  # 3,000 levels of nothing: refused, no crash
    # every article failed: the run says so, and counts each failure once
    assert run.outcome == "failed" and run.summary["articles_failed"] == len(rows) - 1
    # the other three start pages, and the archive's one transient failure (a truncated page), retried
    # from the crawl state although no list links it, which this site does not have
    assert run.summary["failures"].get("not_found") == 4
