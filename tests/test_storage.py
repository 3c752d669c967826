"""The archive on a real SQLite file: dedup by URL and content, aliases, runs, exports."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import jsonschema
import pytest
from sqlalchemy import func, select

from storage.db import DatabaseError, open_archive, resolve_db_url
from storage.export import SCHEMA_PATH, ArticleFilter, iter_records
from storage.models import Article, ArticleUrl, ArticleVersion, Fetch
from storage.repository import FetchRecord, run_outcome

T0 = datetime(2024, 6, 14, 8, 0, tzinfo=timezone.utc)


def _fetch(url: str) -> FetchRecord:
    return FetchRecord(kind="article", url=url, site_url=url, final_url=url, status=200, fetched_at=T0, size=100)


def test_store_then_find_again_by_url_and_by_content(archive, records):
    archive, sessions, site_id = archive
    run = archive.start_run(site_id)
    first = records[0]
    assert archive.record(run, site_id, [_fetch(first["url"])], first)[0] == "stored"
    assert archive.record(run, site_id, [_fetch(first["url"])], first)[0] == "unchanged"
    elsewhere = {**first, "url": "http://www.qhnews.com/newscenter/system/2024/06/14/99.shtml",
                 "canonical_url": "http://www.qhnews.com/newscenter/system/2024/06/14/99.shtml", "section": "新闻中心"}
    outcome, uid = archive.record(run, site_id, [_fetch(elsewhere["url"])], elsewhere)
    assert outcome == "duplicate"
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 1
        urls = dict(session.execute(select(ArticleUrl.url, ArticleUrl.kind)).all())
        assert urls == {first["canonical_url"]: "canonical", elsewhere["url"]: "alias"}
        assert session.scalar(select(Article.uid)) == uid
    # a second pass over both URLs adds nothing
    archive.record(run, site_id, [_fetch(elsewhere["url"])], elsewhere)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ArticleUrl)) == 2


def test_a_changed_article_keeps_its_id(archive, records):
    archive, sessions, site_id = archive
    run = archive.start_run(site_id)
    first = records[0]
    _outcome, uid = archive.record(run, site_id, [_fetch(first["url"])], first)
    edited = {**first, "text": first["text"] + "\n\n（更正：文中数据已更新。）"}
    assert archive.record(run, site_id, [_fetch(first["url"])], edited) == ("changed", uid)


def test_naive_datetimes_are_refused(archive):
    archive, _sessions, site_id = archive
    run = archive.start_run(site_id)
    naive = FetchRecord(kind="list", url="http://x/", site_url="http://x/", fetched_at=datetime(2024, 6, 14),
                        status=200, outcome="list")
    with pytest.raises(Exception, match="naive datetime"):
        archive.record(run, site_id, [naive])


def test_run_summary_counts_articles_once_and_failures_by_reason(archive, records):
    archive, _sessions, site_id = archive
    run = archive.start_run(site_id)
    for record in records[:3]:
        pages = [_fetch(record["url"]), _fetch(record["url"] + "?p=2")]
        pages[1].page_number = 2
        archive.record(run, site_id, pages, record)
    archive.record(run, site_id, [FetchRecord(kind="article", url="http://x/404", site_url="http://x/404",
                                              fetched_at=T0, status=404, outcome="failed", reason="not_found")])
    archive.record(run, site_id, [FetchRecord(kind="link", url="http://gov.cn/", site_url="http://gov.cn/",
                                              fetched_at=T0, outcome="skipped", reason="offsite")])
    archive.record(run, site_id, [FetchRecord(kind="list", url="http://x/", site_url="http://x/",
                                              fetched_at=T0, status=200, outcome="list")])
    summary = archive.finish_run(run)
    assert summary["articles_new"] == 3 and summary["list_pages"] == 1
    assert summary["pages_fetched"] == 8
    assert summary["failures"] == {"not_found": 1} and summary["skipped"] == {"offsite": 1}
    assert summary["articles_failed"] == 1
    assert summary["outcome"] == "partial"  # 1 article of 4 failed: more than 20%


@pytest.mark.parametrize(
    "counts, outcome",
    [
        ({"articles_new": 9, "articles_failed": 1}, "ok"),
        ({"articles_unchanged": 4, "articles_failed": 1}, "ok"),  # exactly 20%
        ({"articles_new": 3, "articles_failed": 1}, "partial"),
        ({"articles_failed": 5}, "failed"),  # a redesign: nothing extracts
        ({"articles_removed": 2}, "ok"),  # takedowns noticed are a success of the crawl
        ({"pages_fetched": 0}, "failed"),  # nothing answered
        ({"list_pages": 0}, "failed"),  # no section list could be read (robots forbids, blocked)
        ({"list_pages": 3}, "ok"),  # lists read, no new links: nothing wrong
        ({"articles_failed": 1}, "partial"),  # an incremental run whose one new article failed: look, not alarm
        ({"articles_failed": 3}, "failed"),
    ],
)
def test_run_outcome(counts, outcome):
    summary = {"articles_new": 0, "articles_unchanged": 0, "articles_changed": 0, "duplicates": 0,
               "articles_removed": 0, "articles_failed": 0, "list_pages": 1, "pages_fetched": 10, **counts}
    assert run_outcome(summary) == outcome


def test_partial_threshold_comes_from_the_caller():
    summary = {"articles_new": 3, "articles_unchanged": 0, "articles_changed": 0, "duplicates": 0,
               "articles_removed": 0, "articles_failed": 1, "list_pages": 1, "pages_fetched": 10}
    assert run_outcome(summary, 0.2) == "partial" and run_outcome(summary, 0.5) == "ok"


def test_export_validates_against_the_schema_and_filters_in_site_time(archive, records):
    archive, sessions, site_id = archive
    run = archive.start_run(site_id)
    for record in records:
        archive.record(run, site_id, [_fetch(record["url"])], record)
    schema = json.loads(SCHEMA_PATH.read_text())
    exported = list(iter_records(sessions, batch=5))  # several batches
    assert len(exported) == len(records)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for row in exported:
        validator.validate(row)
        assert row["published_at"].endswith("+08:00")
    day = exported[0]["published_at"][:10]
    same_day = [r for r in exported if r["published_at"][:10] == day]
    only = list(iter_records(sessions, ArticleFilter(since=date.fromisoformat(day), until=date.fromisoformat(day))))
    assert {r["article_id"] for r in only} == {r["article_id"] for r in same_day}
    section = exported[0]["section"]
    assert all(r["section"] == section for r in iter_records(sessions, ArticleFilter(section=section)))
    assert list(iter_records(sessions, ArticleFilter(site="elsewhere"))) == []


def test_schema_documents_exactly_the_exported_fields(archive, records):
    archive, sessions, site_id = archive
    run = archive.start_run(site_id)
    archive.record(run, site_id, [_fetch(records[0]["url"])], records[0])
    schema = json.loads(SCHEMA_PATH.read_text())
    row = next(iter_records(sessions))
    assert set(row) == set(schema["required"])
    # one row per story adds the story's copies, and only then
    assert set(next(iter_records(sessions, one_per_story=True))) == set(schema["properties"]) == {*row, "carried_by"}


def test_db_argument_takes_paths_and_urls_and_reports_unusable_ones(tmp_path, monkeypatch):
    monkeypatch.delenv("NEWSARCHIVE_DB_URL", raising=False)
    assert resolve_db_url(None) == "sqlite:///data/archive.db"
    assert resolve_db_url(str(tmp_path / "a.db")) == f"sqlite:///{tmp_path / 'a.db'}"
    monkeypatch.setenv("NEWSARCHIVE_DB_URL", "sqlite:////tmp/x.db")
    assert resolve_db_url(None) == "sqlite:////tmp/x.db"
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    with pytest.raises(DatabaseError, match="is a file, not a folder"):
        open_archive(str(not_a_folder / "a.db"))
    with pytest.raises(DatabaseError, match="no database driver"):
        open_archive("nonsense://")


def test_a_failing_store_leaves_earlier_articles_intact(archive, records):
    """A failure inside the transaction, after the article row was written, takes the whole page back."""
    from sqlalchemy.exc import IntegrityError

    archive, sessions, site_id = archive
    run = archive.start_run(site_id)
    archive.record(run, site_id, [_fetch(records[0]["url"])], records[0])
    broken = _fetch(records[1]["url"])
    broken.kind = None  # NOT NULL: fails when the fetch row is flushed, after the article insert
    with pytest.raises(IntegrityError):
        archive.record(run, site_id, [broken], records[1])
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 1
        assert session.scalar(select(func.count()).select_from(Fetch)) == 1
        assert session.scalar(select(func.count()).select_from(ArticleVersion)) == 1


def test_a_site_wide_canonical_link_does_not_merge_different_articles(archive, records):
    archive, sessions, site_id = archive
    run = archive.start_run(site_id)
    shared = "http://www.qhnews.com/dj/"  # some CMSs give every page the section as rel=canonical
    outcomes = [archive.record(run, site_id, [_fetch(r["url"])], {**r, "canonical_url": shared})[0] for r in records[:3]]
    assert outcomes == ["stored", "stored", "stored"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 3
        assert session.scalar(select(func.count()).select_from(Article).where(Article.canonical_url == shared)) == 1


def test_an_alias_serving_old_text_does_not_flip_a_corrected_article(archive, records):
    archive, sessions, site_id = archive
    run = archive.start_run(site_id)
    first = records[0]
    alias = {**first, "url": "http://www.qhnews.com/newscenter/system/2024/06/14/99.shtml",
             "canonical_url": "http://www.qhnews.com/newscenter/system/2024/06/14/99.shtml"}
    archive.record(run, site_id, [_fetch(first["url"])], first)
    assert archive.record(run, site_id, [_fetch(alias["url"])], alias)[0] == "duplicate"
    corrected = {**first, "text": first["text"] + "\n\n（更正：数据已更新。）"}
    assert archive.record(run, site_id, [_fetch(first["url"])], corrected)[0] == "changed"
    assert archive.record(run, site_id, [_fetch(alias["url"])], alias)[0] == "unchanged"
    with sessions() as session:
        article = session.scalar(select(Article))
        assert article.text.endswith("（更正：数据已更新。）") and article.version == 2


def test_a_nul_in_a_hostile_header_keeps_the_real_reason(archive):
    archive, sessions, site_id = archive
    run = archive.start_run(site_id)
    target = "http://elsewhere.example/a\x00b"
    archive.record(run, site_id, [FetchRecord(kind="article", url="http://x/1", site_url="http://x/1", fetched_at=T0,
                                              status=302, outcome="failed", reason="redirect_offsite",
                                              detail=f"redirected to {target}", final_url=target)])
    with sessions() as session:
        row = session.scalars(select(Fetch)).one()
    assert (row.reason, row.detail) == ("redirect_offsite", "redirected to http://elsewhere.example/a\\x00b")
