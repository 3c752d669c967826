"""Coverage statistics (`newsarchive stats`): per-day buckets on each site's own calendar, gaps,
authors, fill rates, duplicates merged; on a real SQLite file and the real PostgreSQL (the
``archive`` fixture), and through the real CLI."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from scraper.replica.corpus import load_corpus
from storage.report import render_report
from storage.repository import FetchRecord
from storage.stats import Gap, coverage, missing_runs, utc_offsets
from tests.conftest import run_cli

T0 = datetime(2024, 11, 1, 8, 0, tzinfo=timezone.utc)
HOSTILE = "<script>alert(\"x\")</script> & 'q'"
BODIES = [article.body for article in load_corpus()]  # different reports, long enough to be compared for stories


def _record(n: int, section: str | None, published: str | None, authors: list[str], host: str = "www.qhnews.com",
            body: int | None = None, **fields) -> dict:
    url = f"http://{host}/a/{n}.shtml"
    return {"url": url, "canonical_url": url, "page_urls": [url], "title": f"标题{n}", "subtitle": None,
            "column": None, "section": section, "source_outlet": None, "authors": authors, "correspondents": [],
            "photographers": [], "editor": None, "bylines_raw": {}, "published_at": published,
            "published_precision": "minute", "updated_at": None, "language": "zh",
            "text": BODIES[n if body is None else body], "images": [], "quality_flags": [],
            "extraction": {"extractor_version": "test"}, **fields}


def _store(archive, site_id: int, record: dict, url: str | None = None) -> str:
    run = archive.start_run(site_id)
    url = url or record["url"]
    fetch = FetchRecord(kind="article", url=url, site_url=url, status=200, fetched_at=T0)
    outcome, _uid = archive.record(run, site_id, [fetch], {**record, "url": url})
    return outcome


@pytest.fixture
def covered(archive):
    """Three sites: qhnews and 西宁晚报 in Asia/Shanghai, one in Europe/Berlin (summer time)."""
    archive, sessions, qhnews = archive
    xnwb = archive.site("xnwb", "http://www.xnwb.example", "Asia/Shanghai", "西宁晚报")
    berlin = archive.site("berlin", "http://www.berlin.example", "Europe/Berlin", "Berliner Beispiel")
    stored = [
        # 23:30 in Xining is 15:30 UTC: still 1 June there
        _store(archive, qhnews, _record(1, "党建", "2024-06-01T23:30:00+08:00", ["张三", "李四"],
                                        source_outlet="青海日报", editor="王五", column="专栏")),
        # 00:10 in Xining is 16:10 UTC on 1 June: 2 June there
        _store(archive, qhnews, _record(2, "党建", "2024-06-02T00:10:00+08:00", ["张三"])),
        _store(archive, qhnews, _record(3, "党建", "2024-06-06T09:00:00+08:00", ["王五"], editor="")),
        _store(archive, qhnews, _record(4, "新闻中心", "2024-06-01T08:00:00+08:00", ["张三", "张三"],
                                        source_outlet="青海日报")),
        _store(archive, qhnews, _record(5, "新闻中心", "2024-06-02T12:00:00+08:00", [], source_outlet="")),
        # the same page under a second URL of the site: merged, an alias
        _store(archive, qhnews, _record(5, "新闻中心", "2024-06-02T12:00:00+08:00", []),
               url="http://www.qhnews.com/a/5.shtml?from=share"),
        _store(archive, qhnews, _record(6, "新闻中心", None, [])),
        _store(archive, qhnews, _record(7, HOSTILE, "2024-06-03T10:00:00+08:00", ["Zoë <b>"])),
        # a copy of article 1 on another site: one story, two copies
        _store(archive, xnwb, _record(8, "要闻", "2024-06-02T07:00:00+08:00", [], host="www.xnwb.example", body=1,
                                      source_outlet="青海新闻网")),
        # Berlin: 23:30 UTC on 30 March is 00:30 CET on the 31st; 22:30 UTC on 26 October is 00:30 CEST
        # on the 27th, and 22:30 UTC on the 27th is 23:30 CET, still the 27th
        _store(archive, berlin, _record(9, "Politik", "2024-03-30T23:30:00+00:00", ["Anna"], host="www.berlin.example")),
        _store(archive, berlin, _record(10, "Politik", "2024-10-26T22:30:00+00:00", [], host="www.berlin.example")),
        _store(archive, berlin, _record(11, "Politik", "2024-10-27T22:30:00+00:00", [], host="www.berlin.example")),
    ]
    assert stored.count("stored") == 11 and stored.count("duplicate") == 1, stored
    return sessions


def test_days_are_calendar_days_of_each_site(covered):
    assert coverage(covered, "qhnews").buckets("day") == [
        ("2024-06-01", 2), ("2024-06-02", 2), ("2024-06-03", 1), ("2024-06-06", 1)]
    assert coverage(covered, "berlin").buckets("day") == [("2024-03-31", 1), ("2024-10-27", 2)]
    assert coverage(covered).buckets("day") == [("2024-03-31", 1), ("2024-06-01", 2), ("2024-06-02", 3),
                                               ("2024-06-03", 1), ("2024-06-06", 1), ("2024-10-27", 2)]
    one_day = coverage(covered, "qhnews", date(2024, 6, 2), date(2024, 6, 2))
    assert one_day.articles == 2 and one_day.buckets("day") == [("2024-06-02", 2)]  # article 2 too: 1 June in UTC
    assert one_day.undated == 1  # undated articles are on no day, whatever the range


def test_the_site_zone_offsets_follow_summer_time():
    berlin = ZoneInfo("Europe/Berlin")
    stretches = utc_offsets(berlin, datetime(2024, 1, 1, tzinfo=timezone.utc), datetime(2024, 12, 31, tzinfo=timezone.utc))
    assert stretches == [(None, 3600), (datetime(2024, 3, 31, 1, 0, tzinfo=timezone.utc), 7200),
                         (datetime(2024, 10, 27, 1, 0, tzinfo=timezone.utc), 3600)]
    shanghai = utc_offsets(ZoneInfo("Asia/Shanghai"), datetime(1, 1, 1, tzinfo=timezone.utc),
                           datetime(9999, 12, 31, tzinfo=timezone.utc))
    assert shanghai[-1] == (datetime(1991, 9, 14, 17, 0, tzinfo=timezone.utc), 28800)  # 02:00 +09:00: China's last summer time ends


def test_missing_runs():
    d = date.fromisoformat
    assert missing_runs([d("2024-06-01"), d("2024-06-02"), d("2024-06-06")], d("2024-05-30"), d("2024-06-07")) == [
        (d("2024-05-30"), d("2024-05-31")), (d("2024-06-03"), d("2024-06-05")), (d("2024-06-07"), d("2024-06-07"))]
    assert missing_runs([], d("2024-06-01"), d("2024-06-01")) == [(d("2024-06-01"), d("2024-06-01"))]
    assert missing_runs([d("2024-06-01")], d("2024-06-01"), d("2024-06-01")) == []
    assert missing_runs([date.max], date.max, date.max) == []  # no day after the last one is asked for


def test_gaps(covered):
    d = date.fromisoformat
    facts = coverage(covered, "qhnews")
    assert facts.gaps == [Gap("qhnews", "党建", d("2024-06-03"), d("2024-06-05"))]
    assert facts.gaps[0].days == 3
    sections = {s["section"]: s for s in facts.sections}
    assert sections["党建"]["first"] == d("2024-06-01") and sections["党建"]["last"] == d("2024-06-06")
    assert (sections["党建"]["days_missing"], sections["新闻中心"]["days_missing"], sections[HOSTILE]["days"]) == (3, 0, 1)

    ranged = coverage(covered, "qhnews", d("2024-05-30"), d("2024-06-07"))
    runs = {(g.section, g.first.isoformat(), g.days) for g in ranged.gaps}
    assert runs == {("党建", "2024-05-30", 2), ("党建", "2024-06-03", 3), ("党建", "2024-06-07", 1),
                    ("新闻中心", "2024-05-30", 2), ("新闻中心", "2024-06-03", 5),
                    (HOSTILE, "2024-05-30", 4), (HOSTILE, "2024-06-04", 4)}
    # no article in the range at all: the whole range is a gap, for every section of the site
    empty = coverage(covered, "qhnews", d("2024-06-04"), d("2024-06-05"))
    assert {(g.section, g.first, g.last) for g in empty.gaps} == {
        (s, d("2024-06-04"), d("2024-06-05")) for s in ("党建", "新闻中心", HOSTILE)}


def test_authors_once_per_article_and_fill_rates(covered):
    facts = coverage(covered, "qhnews")
    assert facts.buckets("author") == [("张三", 3), ("Zoë <b>", 1), ("李四", 1), ("王五", 1)]
    assert facts.articles == 7
    # authors: 1, 2, 3, 4, 7; outlet: 1, 4 (5's is empty); published: all but 6; editor: 1 (3's is empty)
    assert facts.filled == {"authors": 5, "source_outlet": 2, "published_at": 6, "editor": 1, "section": 7, "column": 1}
    assert facts.fill_rates()["authors"] == (5, 5 / 7)
    assert facts.buckets("section") == [("党建", 3), ("新闻中心", 3), (HOSTILE, 1)]  # ties by name
    assert facts.buckets("outlet") == [("(none)", 5), ("青海日报", 2)]  # 5's empty 来源 is none too


def test_duplicates_merged(covered):
    facts = coverage(covered)
    assert facts.duplicates == {"alias_urls": 1, "articles_with_aliases": 1, "stories_with_copies": 1,
                                "articles_in_those_stories": 2, "copies_beyond_first": 1}
    assert facts.syndication == [
        {"site": "qhnews", "outlet": "青海新闻网", "stories": 1, "originals": 1, "copies": 0},
        {"site": "xnwb", "outlet": "西宁晚报", "stories": 1, "originals": 0, "copies": 1}]
    one_site = coverage(covered, "qhnews").duplicates
    assert (one_site["stories_with_copies"], one_site["copies_beyond_first"]) == (1, 0)  # its copy is elsewhere


def test_an_empty_archive(archive):
    _archive, sessions, _site = archive
    facts = coverage(sessions)
    assert (facts.articles, facts.undated, facts.daily, facts.gaps, facts.first_day) == (0, 0, [], [], None)
    assert all(facts.buckets(by) == [] for by in ("day", "section", "outlet", "author"))
    page = render_report(facts, source="test")
    assert 'id="empty"' in page and "<svg" not in page
    json.dumps(facts.facts("day"))  # plain JSON values


def test_hostile_text_is_escaped_in_the_report(covered):
    page = render_report(coverage(covered), source="<db>")
    assert "<script" not in page.lower() and "<b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;q&#x27;" in page
    assert "Zoë &lt;b&gt;" in page and "&lt;db&gt;" in page


def test_stats_and_report_commands(covered, tmp_path):
    db = covered.kw["bind"].url.render_as_string(hide_password=False)
    as_json = run_cli("stats", "--db", db, "--by", "day", "--json", "--site", "qhnews")
    assert as_json.returncode == 0, as_json.stderr
    facts = json.loads(as_json.stdout)
    assert [(b["bucket"], b["articles"]) for b in facts["buckets"]][:2] == [("2024-06-01", 2), ("2024-06-02", 2)]
    assert facts["undated"] == 1 and facts["gaps"] == [
        {"site": "qhnews", "section": "党建", "first": "2024-06-03", "last": "2024-06-05", "days": 3}]
    overview = run_cli("stats", "--db", db)
    assert overview.returncode == 0, overview.stderr
    for says in ("11 articles (1 undated)", "Duplicates merged", "Gaps in coverage", "党建", "Recent runs"):
        assert says in overview.stdout, (says, overview.stdout)
    authors = run_cli("stats", "--db", db, "--by", "author")
    assert authors.returncode == 0 and "张三" in authors.stdout and "Zoë <b>" in authors.stdout
    for bad, says in ((["--by", "week"], "--by 'week' is not one of day, section, outlet, author"),
                      (["--since", "June"], "--since 'June' is not a date"),
                      (["--since", "2024-06-05", "--until", "2024-06-01"], "is after --until"),
                      (["--site", "nosuch"], "no site 'nosuch'")):
        done = run_cli("stats", "--db", db, *bad)
        assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr, (bad, done.stderr)
    page = tmp_path / "out" / "report.html"
    made = run_cli("report", "-o", str(page), "--db", db, "--since", "2024-06-01", "--until", "2024-06-30")
    assert made.returncode == 0, made.stderr
    assert "Archive coverage" in page.read_text(encoding="utf-8")
    refused = run_cli("report", "-o", str(page), "--db", db, "--until", "someday")
    assert refused.returncode == 2 and "--until 'someday' is not a date" in refused.stderr
