"""Offline re-extraction from WARC alone: the same extractor changes nothing; a changed one
adds versions exactly where its output differs; a damaged archive is reported, never destructive."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from pipelines.reextract import plan, reextract
from scraper.replica.generate import build_site
from scraper.replica.server import ReplicaServer
from scraper.sites.profile import load_profile
from storage.db import open_archive
from storage.export import ArticleFilter
from storage.models import Article, ArticleEvent, ArticleVersion
from tests.conftest import run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two_snapshots(tmp_path_factory):
    """Snapshot 1, then snapshot 2 (edits, removals, new stories) crawled into one archive; servers gone."""
    root = tmp_path_factory.mktemp("reextract")
    build_site(root / "s1", snapshot=1)
    second = build_site(root / "s2", snapshot=2)
    for site_dir in ("s1", "s2"):
        with ReplicaServer(root / site_dir) as server:
            again = ["--revisit-all"] if site_dir == "s2" else []  # years-old articles: never due by the policy
            result = run_cli("crawl", "qhnews", "--base-url", server.base_url, "--db", str(root / "a.db"), "--fast",
                             *again)
            assert result.returncode == 0, result.stderr
    return root, second


def _copy(two_snapshots, tmp_path):
    root, second = two_snapshots
    shutil.copy(root / "a.db", tmp_path / "a.db")
    shutil.copytree(root / "warc", tmp_path / "warc")
    return open_archive(str(tmp_path / "a.db"))[1], tmp_path / "warc", second


def _counts(sessions):
    with sessions() as session:
        return (session.scalar(select(func.count()).select_from(ArticleVersion)),
                dict(session.execute(select(Article.uid, Article.record_hash)).all()))


RULES = {"qhnews": load_profile("qhnews").rules}


@pytest.mark.parametrize("workers", [1, 2])
def test_the_same_extractor_changes_nothing_and_reads_the_current_capture(two_snapshots, tmp_path, workers):
    sessions, warc_dir, _second = _copy(two_snapshots, tmp_path)
    versions_before, hashes_before = _counts(sessions)
    report = reextract(sessions, warc_dir, RULES, workers=workers)
    # edited articles have two captures: re-reading the older one would show up as "changed" here
    assert report.articles == len(hashes_before) and report.unchanged == report.articles, report.as_dict()
    assert report.changed == 0 and not report.failed
    assert report.pages > report.articles  # the multi-page article is read whole
    assert _counts(sessions) == (versions_before, hashes_before)


def test_a_changed_extractor_adds_versions_exactly_where_its_output_differs(two_snapshots, tmp_path):
    sessions, warc_dir, second = _copy(two_snapshots, tmp_path)
    target = next(a for a in second["articles"] if a["outcome"] == "stored" and len(a["expected"]["paragraphs"]) > 2)
    last = target["expected"]["paragraphs"][-1]
    # a new boilerplate marker: that paragraph, whole (a marker cuts where a line is the marker)
    rules = replace(RULES["qhnews"], boilerplate_markers=(*RULES["qhnews"].boilerplate_markers, last))
    versions_before, hashes_before = _counts(sessions)
    report = reextract(sessions, warc_dir, {"qhnews": rules}, workers=2)
    with sessions() as session:
        changed = session.scalars(select(ArticleVersion).where(ArticleVersion.source == "reextract")).all()
        article = session.get(Article, changed[0].article_id)
        previous = session.scalar(select(ArticleVersion).where(ArticleVersion.article_id == article.id,
                                                               ArticleVersion.version == article.version - 1))
    assert report.changed == len(changed) >= 1 and report.unchanged == report.articles - report.changed
    assert target["url"] in {session_url for v in changed for session_url in [v.record["url"]]}
    assert all(last[:12] in previous.record["text"] and last[:12] not in v.record["text"] for v in changed)
    assert changed[0].run_id is None and changed[0].warc_record_id == previous.warc_record_id  # traced to its bytes
    assert "paragraph" in changed[0].diff_summary
    assert article.text == changed[0].record["text"]
    # and running it again with the same rules changes nothing more
    again = reextract(sessions, warc_dir, {"qhnews": rules}, workers=1)
    assert again.changed == 0 and _counts(sessions)[0] == versions_before + report.changed


def test_filters_choose_the_articles(two_snapshots, tmp_path):
    sessions, _warc_dir, _second = _copy(two_snapshots, tmp_path)
    everything = plan(sessions)
    june = plan(sessions, ArticleFilter(site="qhnews", since=__import__("datetime").date(2024, 6, 1)))
    assert 0 < len(june) < len(everything)
    assert plan(sessions, ArticleFilter(site="elsewhere")) == []


def test_a_damaged_archive_is_reported_and_nothing_stored_is_lost(two_snapshots, tmp_path):
    sessions, warc_dir, _second = _copy(two_snapshots, tmp_path)
    versions_before, hashes_before = _counts(sessions)
    files = sorted(warc_dir.glob("*.warc.gz"))
    files[0].unlink()  # the first crawl's file is gone
    files[-1].write_bytes(files[-1].read_bytes()[: files[-1].stat().st_size // 3])  # and the last is cut short
    report = reextract(sessions, warc_dir, RULES, workers=2)
    assert report.failed.get("warc_unreadable", 0) > 0
    assert report.unchanged + report.changed + sum(report.failed.values()) == report.articles
    assert report.changed == 0
    assert _counts(sessions) == (versions_before, hashes_before)
    with sessions() as session:
        events = session.scalars(select(ArticleEvent).where(ArticleEvent.kind == "reextract_failed")).all()
    assert len(events) == sum(report.failed.values()) and events[0].evidence["reason"] == "warc_unreadable"


def test_a_record_damaged_in_the_middle_of_a_file_costs_only_its_article(two_snapshots, tmp_path):
    sessions, warc_dir, _second = _copy(two_snapshots, tmp_path)
    versions_before, hashes_before = _counts(sessions)
    victim = plan(sessions)[10].pages[0]  # bit rot inside one article's response record
    target = warc_dir / victim.file
    data = bytearray(target.read_bytes())
    start = victim.offset + 200
    data[start:start + 300] = bytes(b ^ 0x5A for b in data[start:start + 300])
    target.write_bytes(bytes(data))
    report = reextract(sessions, warc_dir, RULES, workers=2)
    assert report.failed.get("warc_unreadable", 0) == 1, report.as_dict()
    assert report.unchanged + sum(report.failed.values()) == report.articles
    assert _counts(sessions) == (versions_before, hashes_before)


def test_the_command_reports_counts_and_refuses_a_missing_warc_folder(two_snapshots, tmp_path):
    _sessions, warc_dir, _second = _copy(two_snapshots, tmp_path)
    result = run_cli("reextract", "--db", str(tmp_path / "a.db"), "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert "unchanged" in result.stdout and "changed (new version)" in result.stdout
    shutil.rmtree(warc_dir)
    result = run_cli("reextract", "--db", str(tmp_path / "a.db"))
    assert result.returncode == 2 and "no WARC folder" in result.stderr and "Traceback" not in result.stderr
    result = run_cli("reextract", "--db", str(tmp_path / "a.db"), "--site", "nosuch", "--warc-dir", str(tmp_path))
    assert result.returncode == 2 and "no site 'nosuch'" in result.stderr


def test_removed_articles_stay_in_the_export_with_when_they_went(two_snapshots, tmp_path):
    root, second = two_snapshots
    out = tmp_path / "dump.jsonl"
    assert run_cli("export", "--db", str(root / "a.db"), "-o", str(out)).returncode == 0
    rows = {r["canonical_url"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    removed = {c["url"] for c in second["changes"]["removed"]}
    assert removed <= set(rows)
    for url, row in rows.items():
        if url in removed:
            assert row["removed_at"] and row["removed_at"].endswith("+08:00") and row["text"]
        else:
            assert row["removed_at"] is None, url


def test_a_site_without_a_profile_of_its_name_is_skipped_or_read_with_profile(two_snapshots, tmp_path):
    _sessions, _warc_dir, _second = _copy(two_snapshots, tmp_path)
    import sqlite3

    with sqlite3.connect(tmp_path / "a.db") as raw:  # as if crawled from a .toml path with another name
        raw.execute("UPDATE sites SET name = 'qhnews-test'")
    skipped = run_cli("reextract", "--db", str(tmp_path / "a.db"))
    assert skipped.returncode == 0 and "skipping site 'qhnews-test'" in skipped.stderr
    profile = tmp_path / "p.toml"
    from scraper.sites.profile import PROFILE_DIR

    profile.write_text((PROFILE_DIR / "qhnews.toml").read_text(encoding="utf-8").replace('name = "qhnews"', 'name = "qhnews-test"', 1),
                       encoding="utf-8")
    read = run_cli("reextract", "--db", str(tmp_path / "a.db"), "--profile", str(profile))
    assert read.returncode == 0, read.stderr
    assert "Re-extraction (0 articles" in skipped.stdout and "Re-extraction (0 articles" not in read.stdout
