"""Incremental, crash-safe, locked crawls of the replica over real HTTP, with the real CLI."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from scraper.replica.server import ReplicaServer
from storage import stats
from storage.db import open_archive
from storage.locks import process_owner
from storage.models import Article, ArticleUrl, CrawlLock, CrawlRun, Fetch
from tests.conftest import NEWSARCHIVE, REPO, run_cli

pytestmark = pytest.mark.slow


def crawl(server, db, *extra, env=None):
    return run_cli("crawl", "qhnews", "--base-url", server.base_url, "--db", str(db), "--fast", *extra, env=env)


def start_crawl(server, db, *extra) -> subprocess.Popen:
    return subprocess.Popen([*NEWSARCHIVE, "crawl", "qhnews", "--base-url", server.base_url, "--db", str(db), *extra],
                            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def count(db: Path, sql: str) -> int:
    """A read of the archive while a crawl writes it (WAL: readers do not block the writer)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as connection:
            return connection.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def wait_for(condition, timeout=120.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def archive_shape(db: Path) -> dict:
    return stats.archive_shape(open_archive(str(db))[1])


def add_pages(site: Path, pages: dict[str, tuple[str, str]]) -> None:
    """Serve more pages from a copied replica: {path: (content, content type)}."""
    manifest = json.loads((site / "_manifest.json").read_text(encoding="utf-8"))
    for path, (content, kind) in pages.items():
        target = site / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        manifest[path] = {"file": path.lstrip("/"), "content_type": kind, "status": 200, "behaviour": None}
    (site / "_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def profile_with(tmp_path: Path, discovery: str) -> Path:
    """qhnews.toml with its start_urls replaced by ``discovery`` (TOML lines of [discovery])."""
    profile = (REPO / "scraper/sites/qhnews.toml").read_text(encoding="utf-8")
    start = profile.index("start_urls = [")
    path = tmp_path / "qhnews.toml"
    path.write_text(profile[:start] + discovery + "\n" + profile[profile.index("]", start) + 2:], encoding="utf-8")
    return path


def article_fetches(db: Path) -> int:
    return count(db, "SELECT COUNT(*) FROM fetches WHERE kind = 'article' AND status IS NOT NULL")


@pytest.fixture(scope="module")
def reference(replica, tmp_path_factory):
    """One uninterrupted crawl, then a second, default (incremental) run, and one as of the
    replica's own time (its newest articles are then young enough to revisit)."""
    db = tmp_path_factory.mktemp("incremental") / "archive.db"
    with ReplicaServer(replica[0]) as server:
        first = crawl(server, db)
        assert first.returncode == 0, first.stderr
        article_requests = sum("/system/" in path for path in server.requested_paths())
        shape = archive_shape(db)
        requested = len(server.requested_paths())
        second = crawl(server, db)
        assert second.returncode == 0, second.stderr
        requested_second = len(server.requested_paths()) - requested
        third = crawl(server, db, "--as-of", "2024-06-13T12:00+08:00")
        assert third.returncode == 0, third.stderr
    return {"db": db, "shape": shape, "requested_first": requested,
            "article_requests_first": article_requests,
            "requested_second": requested_second, "outputs": (first, second, third)}


def runs(db: Path) -> list[CrawlRun]:
    _engine, sessions = open_archive(str(db))
    with sessions() as session:
        return list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))


def test_an_unchanged_site_adds_nothing_and_is_barely_fetched(reference):
    db = reference["db"]
    first, second, third = runs(db)
    assert first.summary["articles_new"] > 150
    assert archive_shape(db) == reference["shape"]  # no article, URL or version added by the later runs
    for run in (second, third):
        assert run.outcome == "ok"
        s = run.summary
        assert s["articles_new"] == s["articles_changed"] == s["duplicates"] == 0
    # the default policy: the replica's articles are years old, none is due; paging stops early
    assert second.summary["article_pages_fetched"] == 0
    assert second.summary["decisions"]["not_due"] >= first.summary["articles_new"]
    assert second.summary["lists_stopped_early"] >= 3
    assert second.summary["list_pages"] < first.summary["list_pages"] / 2
    assert reference["requested_second"] < reference["requested_first"] / 10


def test_due_revisits_are_conditional_and_answered_304(reference):
    db = reference["db"]
    third = runs(db)[2]
    _engine, sessions = open_archive(str(db))
    with sessions() as session:
        statuses = session.execute(select(Fetch.status, func.count()).where(Fetch.run_id == third.id,
                                                                              Fetch.kind == "article")
                                   .group_by(Fetch.status)).all()
        young = session.scalar(select(func.count()).select_from(Article).where(
            Article.published_at >= datetime(2024, 6, 10, 12, tzinfo=timezone(timedelta(hours=8)))))
    # every article younger than 3 days (as of the replica's time) was asked again, and the server said 304;
    # the one other article request is the replica's truncated page, a transient failure retried
    assert dict(statuses).get(304) == young and young > 0
    assert third.summary["articles_not_modified"] == young
    assert third.summary["articles_unchanged"] == young
    assert set(dict(statuses)) <= {304, None}


def test_state_command_shows_and_resets(reference, tmp_path):
    db = tmp_path / "copy.db"
    with sqlite3.connect(reference["db"]) as source, sqlite3.connect(db) as target:
        source.backup(target)
    shown = run_cli("state", "--db", str(db))
    assert shown.returncode == 0, shown.stderr
    assert "article" in shown.stdout and "section" in shown.stdout and "stored" in shown.stdout
    one = run_cli("state", "--db", str(db), "--url", "http://www.qhnews.com/dj/system/2024/05/01/030300000.shtml")
    assert '"etag": "W/' in one.stdout and '"article_id"' in one.stdout
    refused = run_cli("state", "--db", str(db), "--reset", "all")
    assert refused.returncode == 2 and "--reset needs --site" in refused.stderr
    bad = run_cli("state", "--db", str(db), "--site", "qhnews", "--reset", "everything")
    assert bad.returncode == 2 and "is not one of" in bad.stderr
    reset = run_cli("state", "--db", str(db), "--site", "qhnews", "--reset", "sections")
    assert reset.returncode == 0 and "forgot the state of 4 URLs" in reset.stdout, reset.stdout
    assert count(db, "SELECT COUNT(*) FROM url_state WHERE kind = 'section'") == 0
    assert count(db, "SELECT COUNT(*) FROM articles") > 150  # the archive is untouched


def test_runs_command_lists_every_run(reference):
    shown = run_cli("runs", "--db", str(reference["db"]), "--last", "2")
    assert shown.returncode == 0, shown.stderr
    assert "ok" in shown.stdout and "Runs" in shown.stdout
    as_json = run_cli("runs", "--db", str(reference["db"]), "--json")
    rows = [json.loads(line) for line in as_json.stdout.splitlines() if line.strip()]
    assert [r["id"] for r in rows] == [3, 2, 1]
    assert rows[-1]["summary"]["articles_new"] > 150 and rows[0]["outcome"] == "ok"


def test_a_crawl_killed_at_any_moment_loses_nothing_and_the_next_run_finishes_the_work(replica, reference, tmp_path):
    db = tmp_path / "archive.db"
    with ReplicaServer(replica[0]) as server:
        for threshold in (1, 60):  # killed early (few stored), then in the middle of the articles
            process = start_crawl(server, db, "--fast")
            wait_for(lambda: count(db, "SELECT COUNT(*) FROM articles") >= threshold or process.poll() is not None,
                     what=f"{threshold} articles")
            process.send_signal(signal.SIGKILL)
            process.wait()
        stored_before = count(db, "SELECT COUNT(*) FROM articles")
        assert 0 < stored_before < len(reference["shape"])
        # the second crawl took the first one's stale lock over and closed its run; its own is left open
        assert count(db, "SELECT COUNT(*) FROM crawl_runs WHERE outcome = 'running'") == 1
        resumed = crawl(server, db)
        assert resumed.returncode == 0, resumed.stderr
        article_requests = sum("/system/" in path for path in server.requested_paths())
    assert archive_shape(db) == reference["shape"]  # the same articles, URLs, texts and versions
    killed, last = runs(db)[:2], runs(db)[2]
    assert [r.outcome for r in killed] == ["interrupted", "interrupted"]
    assert all(r.summary["crashed"] for r in killed)
    assert all(r.summary.get("salvaged_by") for r in killed)  # their archived captures were searched, once
    # finished work is not fetched again: what a killed run archived but had not recorded is read back
    # from its WARC; only downloads under way when it died (at most 16 at a time) are asked again. The
    # truncated page, a transient failure, is retried by each run that reaches it (3 requests each).
    assert article_requests <= reference["article_requests_first"] + 2 * (16 + 3), article_requests
    assert "salvaged_from_warc" in last.summary
    assert count(db, "SELECT COUNT(*) FROM crawl_locks") == 0


def test_a_second_run_of_the_site_is_refused_while_the_first_lives(replica, tmp_path):
    db = tmp_path / "archive.db"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        _engine, sessions = open_archive(str(db))
        from storage.repository import Archive

        site_id = Archive(sessions).site("qhnews", "http://www.qhnews.com", "Asia/Shanghai")

        now = datetime.now(timezone.utc)
        with sessions.begin() as session:
            session.add(CrawlLock(site_id=site_id, owner=process_owner(sleeper.pid),
                                  acquired_at=now, heartbeat_at=now))
        with ReplicaServer(replica[0]) as server:
            locked = crawl(server, db)
            assert locked.returncode == 5, locked.stderr
            assert "another crawl of qhnews is running" in locked.stderr
            assert server.requested_paths() == []  # nothing fetched
            assert count(db, "SELECT COUNT(*) FROM crawl_runs") == 0
            sleeper.kill()
            sleeper.wait()
            # its owner is gone: the stale lock is taken over
            taken = crawl(server, db)
            assert taken.returncode == 0, taken.stderr
    finally:
        sleeper.kill()
    assert count(db, "SELECT COUNT(*) FROM articles") > 150
    assert count(db, "SELECT COUNT(*) FROM crawl_locks") == 0


def test_sigterm_stops_gracefully_and_records_the_run_as_interrupted(replica, tmp_path):
    db = tmp_path / "archive.db"
    with ReplicaServer(replica[0]) as server:
        process = start_crawl(server, db)  # the profile's politeness: one page a second or so
        wait_for(lambda: count(db, "SELECT COUNT(*) FROM articles") >= 1, what="a first article")
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=120)
    assert process.returncode == 6, err
    (run,) = runs(db)
    assert run.outcome == "interrupted" and run.finished_at is not None and not run.summary.get("crashed")
    assert count(db, "SELECT COUNT(*) FROM crawl_locks") == 0
    assert count(db, "SELECT COUNT(*) FROM url_state WHERE kind = 'section'") == 0  # a cut walk marks nothing


def test_backfill_pages_back_to_a_date_and_resumes(replica, reference, tmp_path):
    db = tmp_path / "archive.db"
    _site, truth = replica
    with ReplicaServer(replica[0]) as server:
        refused = crawl(server, db, "--backfill")
        assert refused.returncode == 2 and "--backfill needs --from" in refused.stderr
        recent = crawl(server, db, "--backfill", "--from", "2024-06-01")
        assert recent.returncode == 0, recent.stderr
        _engine, sessions = open_archive(str(db))
        with sessions() as session:
            urls = set(session.scalars(select(Article.url)))
        assert urls and all(url.split("/system/")[1][:10] >= "2024/06/01" for url in urls)
        expected = {a["url"] for a in truth["articles"] if a["outcome"] == "stored"
                    and a["url"].split("/system/")[1][:10] >= "2024/06/01"}
        assert expected <= {u for urls_ in archive_shape(db) for u in urls_}
        first_fetches = article_fetches(db)
        everything = crawl(server, db, "--backfill", "--from", "2024-01-01")
        assert everything.returncode == 0, everything.stderr
    assert archive_shape(db) == reference["shape"]
    # the second backfill fetched only what the first did not hold
    assert article_fetches(db) - first_fetches <= len(reference["shape"]) - len(urls) + 3


def test_sitemaps_and_feeds_lead_to_articles_no_list_links(replica, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(replica[0], site)
    manifest = json.loads((site / "_manifest.json").read_text(encoding="utf-8"))
    qhly = sorted(path for path in manifest if path.startswith("/qhly/system/"))
    add_pages(site, {
        "/sitemap.xml": ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                         + "".join(f"<url><loc>http://www.qhnews.com{p}</loc></url>" for p in qhly[:3]) + "</urlset>",
                         "application/xml"),
        "/rss.xml": ('<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
                     + "".join(f"<item><link>http://www.qhnews.com{p}?utm_source=rss</link></item>" for p in qhly[3:5])
                     + f"<item><link>{qhly[5]}</link></item>"  # relative: resolved against the feed's address
                     + "</channel></rss>", "application/rss+xml"),
    })
    path = profile_with(tmp_path, 'start_urls = ["http://www.qhnews.com/dj/"]\n'
                                  'sitemaps = ["http://www.qhnews.com/sitemap.xml"]\nfeeds = ["http://www.qhnews.com/rss.xml"]')
    db = tmp_path / "archive.db"
    with ReplicaServer(site) as server:
        result = run_cli("crawl", str(path), "--base-url", server.base_url, "--db", str(db), "--fast")
        assert result.returncode == 0, result.stderr
    _engine, sessions = open_archive(str(db))
    with sessions() as session:
        stored = set(session.scalars(select(ArticleUrl.url)))
        lists = set(session.scalars(select(Fetch.site_url).where(Fetch.kind == "list")))
    assert {f"http://www.qhnews.com{p}" for p in qhly[:6]} <= stored  # no /qhly/ list was read
    assert not any("/qhly/" in url for url in lists)
    assert {"http://www.qhnews.com/sitemap.xml", "http://www.qhnews.com/rss.xml"} <= lists


def test_commands_run_with_their_output_streams_closed(reference, tmp_path):
    """cron jobs are sometimes started with 2>&- or >&-: no crash at start-up, whatever is closed."""
    command = " ".join([*NEWSARCHIVE, "runs", "--db", str(reference["db"])])
    for redirect in ("2>&-", ">&- 2>/dev/null"):
        result = subprocess.run(["sh", "-c", f"{command} {redirect}"], cwd=REPO, capture_output=True, text=True,
                                env={**os.environ, "PYTHONPATH": str(REPO)})
        assert result.returncode == 0, (redirect, result.stderr)


def test_backfill_reads_the_lists_by_day_a_profile_names(replica, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(replica[0], site)
    manifest = json.loads((site / "_manifest.json").read_text(encoding="utf-8"))
    days = {"2024/06/11": [], "2024/06/12": []}
    for path in manifest:
        for day in days:
            if f"/system/{day}/" in path and "_" not in path.rsplit("/", 1)[1]:
                days[day].append(path)
    assert all(days.values())
    add_pages(site, {f"/newscenter/system/{day}/index.shtml": (
        "<html><body>" + "".join(f'<a href="{p}">{p}</a>' for p in paths) + "</body></html>",
        "text/html; charset=utf-8") for day, paths in days.items()})
    path = profile_with(tmp_path, 'start_urls = ["http://www.qhnews.com/qhly/"]\n'
                                  'dated_lists = ["http://www.qhnews.com/newscenter/system/{date:%Y/%m/%d}/index.shtml"]')
    db = tmp_path / "archive.db"
    with ReplicaServer(site) as server:
        result = run_cli("crawl", str(path), "--base-url", server.base_url, "--db", str(db), "--fast",
                         "--backfill", "--from", "2024-06-10", "--as-of", "2024-06-12T12:00+08:00")
        assert result.returncode == 0, result.stderr
        asked = server.requested_paths()
    # one list per day from the as-of day back to --from (the 10th has none here: a 404, recorded)
    assert sorted(p for p in asked if p.endswith("/index.shtml") and "/system/" in p) == [
        "/newscenter/system/2024/06/10/index.shtml", "/newscenter/system/2024/06/11/index.shtml",
        "/newscenter/system/2024/06/12/index.shtml"]
    _engine, sessions = open_archive(str(db))
    with sessions() as session:
        stored = set(session.scalars(select(ArticleUrl.url)))
        walked = count(db, "SELECT COUNT(*) FROM url_state WHERE kind = 'section' AND url LIKE '%/system/%'")
    assert {f"http://www.qhnews.com{p}" for paths in days.values() for p in paths} <= stored
    assert walked == 0  # a day's list is not a section to mark walked


def test_a_list_page_that_fails_does_not_hide_the_pages_after_it(replica, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(replica[0], site)
    manifest = json.loads((site / "_manifest.json").read_text(encoding="utf-8"))
    later = sorted(p for p in manifest if p.startswith("/newscenter/index_"))
    assert len(later) >= 3, later
    manifest[later[0]]["status"] = 500  # page 2 of the section is broken for good
    (site / "_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    db = tmp_path / "archive.db"
    with ReplicaServer(site) as server:
        result = crawl(server, db)
        assert result.returncode == 0, result.stderr
        asked = set(server.requested_paths())
    assert set(later[1:]) <= asked  # read through the links of the page before the broken one
    assert count(db, "SELECT COUNT(*) FROM url_state WHERE kind = 'section' AND url LIKE '%/newscenter/'") == 0
    assert count(db, "SELECT COUNT(*) FROM url_state WHERE kind = 'section' AND url LIKE '%/dj/'") == 1


def test_a_second_ctrl_c_ends_the_crawl_at_once_and_the_next_run_takes_over(replica, tmp_path):
    db = tmp_path / "archive.db"
    with ReplicaServer(replica[0]) as server:
        process = start_crawl(server, db)  # the profile's politeness: slow enough to interrupt
        wait_for(lambda: count(db, "SELECT COUNT(*) FROM articles") >= 1, what="a first article")
        process.send_signal(signal.SIGINT)
        time.sleep(0.2)
        process.send_signal(signal.SIGINT)  # "force unclean shutdown": must not hang on the extraction thread
        _out, err = process.communicate(timeout=60)
        assert process.returncode == 6, err
        again = crawl(server, db)  # whatever the forced stop left behind, the next run is not locked out
        assert again.returncode == 0, again.stderr
    assert [r.outcome for r in runs(db)] == ["interrupted", "ok"]
