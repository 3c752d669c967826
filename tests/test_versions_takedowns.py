"""The site changes between crawls: every edit, takedown, new article and return is recorded exactly."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from scraper.replica.generate import build_site
from scraper.replica.server import ReplicaServer
from storage.db import open_archive
from storage.models import Article, ArticleEvent, ArticleUrl, ArticleVersion, CrawlRun
from tests.conftest import run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory):
    """Snapshot 1 crawled, then snapshot 2, then snapshot 1 again, into one archive."""
    root = tmp_path_factory.mktemp("snapshots")
    first, second = build_site(root / "s1", snapshot=1), build_site(root / "s2", snapshot=2)
    db = root / "archive.db"
    outputs = []
    for number, site_dir in enumerate(("s1", "s2", "s1")):
        with ReplicaServer(root / site_dir) as server:
            # the replica's articles are years old: the revisit policy would never fetch them again
            again = ["--revisit-all"] if number else []
            result = run_cli("crawl", "qhnews", "--base-url", server.base_url, "--db", str(db), "--fast", *again)
            assert result.returncode == 0, result.stderr
            outputs.append(result)
    _engine, sessions = open_archive(str(db))
    return db, sessions, first, second


def _article(session, url):
    known = session.scalar(select(ArticleUrl).where(ArticleUrl.url == url))
    return session.get(Article, known.article_id) if known else None


def _versions(session, article):
    return session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article.id)
                           .order_by(ArticleVersion.version)).all()


def test_each_edit_adds_exactly_one_version_with_its_summary(snapshots):
    _db, sessions, first, second = snapshots
    expected = {"title_fix": "title changed", "paragraph_added": "1 paragraph added", "correction": "1 paragraph added"}
    by_url = {a["url"]: a for a in second["articles"]}
    with sessions() as session:
        for edit in second["changes"]["edited"]:
            article = _article(session, edit["url"])
            versions = _versions(session, article)
            # snapshot 2 edited it, snapshot 1 again put it back: versions 1, 2, 3
            assert [v.version for v in versions] == [1, 2, 3], edit
            assert expected[edit["kind"]] in versions[1].diff_summary, (edit, versions[1].diff_summary)
            assert versions[1].record["title"] == by_url[edit["url"]]["expected"]["title"]
            assert versions[1].record["text"].split("\n\n") == by_url[edit["url"]]["expected"]["paragraphs"]
            assert versions[0].record == versions[2].record  # the old one is kept whole
            assert article.version == 3


def test_unchanged_articles_add_no_version(snapshots):
    _db, sessions, first, second = snapshots
    touched = {c["url"] for kind in ("edited", "removed") for c in second["changes"][kind]}
    with sessions() as session:
        for entry in first["articles"]:
            if entry["outcome"] != "stored" or entry["url"] in touched or "mojibake" in entry["traits"]:
                continue
            article = _article(session, entry["url"])
            assert len(_versions(session, article)) == 1, entry["url"]


def test_takedowns_are_recorded_with_their_evidence_and_returns_too(snapshots):
    _db, sessions, first, second = snapshots
    reasons = {"removed_404": "not_found", "removed_redirect": "redirected_away", "removed_notice": "removal_notice"}
    with sessions() as session:
        runs = session.scalars(select(CrawlRun.id).order_by(CrawlRun.id)).all()
        for removal in second["changes"]["removed"]:
            article = _article(session, removal["url"])
            events = session.scalars(select(ArticleEvent).where(ArticleEvent.article_id == article.id)
                                     .order_by(ArticleEvent.id)).all()
            assert [(e.kind, e.run_id) for e in events] == [("removed", runs[1]), ("reappeared", runs[2])]
            assert events[0].evidence["reason"] == reasons[removal["kind"]]
            if removal["kind"] == "removed_redirect":
                assert events[0].evidence["final_url"].endswith("/dj/")
            assert article.removed_at is None  # back online after the third crawl
            assert len(_versions(session, article)) == 1  # a takedown is not a new version
        summaries = session.scalars(select(CrawlRun.summary).order_by(CrawlRun.id)).all()
        assert summaries[1]["articles_removed"] == len(second["changes"]["removed"])


def test_new_articles_arrive_in_the_second_crawl_and_nothing_is_lost(snapshots):
    _db, sessions, first, second = snapshots
    with sessions() as session:
        runs = session.scalars(select(CrawlRun.id).order_by(CrawlRun.id)).all()
        for new in second["changes"]["new"]:
            assert _article(session, new["url"]).first_run_id == runs[1]
        stored = {a["story"] for a in first["articles"] if a["outcome"] == "stored"}
        assert session.scalar(select(func.count()).select_from(Article)) == len(stored) + len(second["changes"]["new"])


def test_history_command_and_export_show_it(snapshots, tmp_path):
    db, sessions, _first, second = snapshots
    edit = next(c for c in second["changes"]["edited"] if c["kind"] == "paragraph_added")
    shown = run_cli("history", edit["url"], "--db", str(db))
    assert shown.returncode == 0, shown.stderr
    assert "1 paragraph added" in shown.stdout and "version 1 → 2" in shown.stdout and "+截至记者发稿时" in shown.stdout
    missing = run_cli("history", "http://www.qhnews.com/nothing.shtml", "--db", str(db))
    assert missing.returncode == 2 and "no archived article" in missing.stderr
    out = tmp_path / "dump.jsonl"
    assert run_cli("export", "--db", str(db), "-o", str(out)).returncode == 0
    rows = {r["canonical_url"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert rows[edit["url"]]["version"] == 3
    assert all(r["warc_record_id"] and r["warc_record_id"].startswith("<urn:uuid:") for r in rows.values())
