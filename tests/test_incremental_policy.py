"""The revisit policy and the paging decisions: pure functions, every branch."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from scraper.incremental import CrawlPlan, Decision, conditional_headers, decide, url_day
from scraper.sites.profile import Incremental, ProfileError, RevisitRule, load_profile
from storage.state import KnownUrl

NOW = datetime(2026, 11, 27, 12, tzinfo=timezone.utc)
POLICY = Incremental(revisit=(RevisitRule(3, 0), RevisitRule(30, 24)), horizon_days=30)
URL = "http://www.qhnews.com/dj/system/2026/11/20/1.shtml"


def known(published_days_ago=None, fetched_hours_ago=1.0, outcome="stored", reason=None, article_id=1, status=200,
          etag='W/"x"', last_modified="Fri, 20 Nov 2026 08:00:00 GMT", failures=0, first_seen_days_ago=100):
    return KnownUrl(
        url=URL, status=status, outcome=outcome, reason=reason, article_id=article_id, etag=etag,
        last_modified=last_modified,
        published_at=None if published_days_ago is None else NOW - timedelta(days=published_days_ago),
        first_seen_at=NOW - timedelta(days=first_seen_days_ago),
        last_fetched_at=None if fetched_hours_ago is None else NOW - timedelta(hours=fetched_hours_ago),
        failures=failures,
    )


@pytest.mark.parametrize("state, expected", [
    (None, Decision.NEW),
    (known(published_days_ago=1), Decision.REVISIT),  # young: every run
    (known(published_days_ago=10, fetched_hours_ago=2), Decision.NOT_DUE),  # daily, fetched 2 h ago
    (known(published_days_ago=10, fetched_hours_ago=25), Decision.REVISIT),  # daily, due
    (known(published_days_ago=400), Decision.NOT_DUE),  # old: never
    (known(published_days_ago=None, first_seen_days_ago=1), Decision.REVISIT),  # no date: age from first seen
    (known(outcome="failed", reason="timeout", article_id=None, failures=1), Decision.RETRY),
    (known(outcome="failed", reason="server_error", failures=3, fetched_hours_ago=2), Decision.NOT_DUE),  # backs off
    (known(outcome="failed", reason="server_error", failures=3, fetched_hours_ago=25), Decision.RETRY),
    (known(outcome="failed", reason="not_found", article_id=None, published_days_ago=None, first_seen_days_ago=0),
     Decision.NOT_DUE),  # a dead link never archived: not fetched every run
    (known(published_days_ago=5, outcome="removed", reason="not_found"), Decision.NOT_DUE),
    (known(published_days_ago=1, outcome="removed", reason="not_found"), Decision.REVISIT),  # may come back
])
def test_decide(state, expected):
    assert decide(state, POLICY, NOW, NOW) == expected


def test_revisit_all_and_as_of():
    old = known(published_days_ago=400)
    assert decide(old, POLICY, NOW, NOW, revisit_all=True) == Decision.REVISIT
    # replaying a snapshot: ages are measured from as_of, intervals from now
    assert decide(old, POLICY, NOW, NOW - timedelta(days=399)) == Decision.REVISIT
    dead = known(outcome="failed", reason="not_found", article_id=None)
    assert decide(dead, POLICY, NOW, NOW, revisit_all=True) == Decision.REVISIT


def test_conditional_headers_only_for_archived_full_answers():
    assert conditional_headers(known()) == {"If-None-Match": 'W/"x"',
                                            "If-Modified-Since": "Fri, 20 Nov 2026 08:00:00 GMT"}
    assert conditional_headers(known(etag="", last_modified="")) == {}  # cleared after a failure
    assert conditional_headers(known(article_id=None)) == {}
    assert conditional_headers(known(status=404)) == {}
    assert conditional_headers(None) == {}


def plan(**kwargs) -> CrawlPlan:
    profile = load_profile("qhnews")
    return CrawlPlan(known=kwargs.pop("known", {}), walked=kwargs.pop("walked", {}), policy=POLICY, now=NOW, as_of=NOW,
                     timezone=ZoneInfo("Asia/Shanghai"), url_date_pattern=profile.discovery.url_date_pattern, **kwargs)


def test_stop_paging_needs_a_walked_section_and_old_known_articles():
    section = "http://www.qhnews.com/dj/"
    old = {URL: known(published_days_ago=60)}
    assert not plan(known=old).stop_paging(section, [URL])  # never walked whole: a crash left it half read
    walked = {section: NOW - timedelta(hours=1)}
    assert plan(known=old, walked=walked).stop_paging(section, [URL])
    assert not plan(known=old, walked=walked).stop_paging(section, [URL, URL + "x"])  # one new article
    young = {URL: known(published_days_ago=3)}
    assert not plan(known=young, walked=walked).stop_paging(section, [URL])  # inside the horizon
    failed = {URL: known(published_days_ago=60, outcome="failed", reason="timeout")}
    assert not plan(known=failed, walked=walked).stop_paging(section, [URL])
    assert not plan(known=old, walked=walked).stop_paging(section, [])


def test_backfill_pages_back_to_its_date_and_skips_older_articles():
    backfill = plan(backfill_from=date(2026, 11, 1))
    older = "http://www.qhnews.com/dj/system/2026/10/31/9.shtml"
    assert backfill.article(older) == (Decision.BEFORE_FROM, {})
    assert backfill.article(URL)[0] == Decision.NEW
    assert backfill.stop_paging("http://www.qhnews.com/dj/", [older])
    assert not backfill.stop_paging("http://www.qhnews.com/dj/", [older, URL])
    assert backfill.counts()["before_from"] == 1 and backfill.counts()["new"] == 1


def test_due_lists_retries_and_revisits_from_the_state():
    state = {
        "a": known(published_days_ago=1),
        "b": known(published_days_ago=400),
        "c": known(outcome="failed", reason="timeout", article_id=None),
    }
    due = dict(plan(known=state).due())
    assert set(due) == {"a", "c"}
    assert due["a"]["If-None-Match"] == 'W/"x"' and due["c"] == {}


def test_url_day():
    pattern = re.compile(r"/system/(?P<year>\d{4})/(?P<month>\d{2})/(?P<day>\d{2})/")
    assert url_day(URL, pattern) == date(2026, 11, 20)
    assert url_day("http://www.qhnews.com/dj/system/2026/13/45/1.shtml", pattern) is None
    assert url_day(URL, None) is None


@pytest.mark.parametrize("table, message", [
    ("[incremental]\nrevisit = [{younger_than_days = 3}]", "revisit #1 must be"),
    ("[incremental]\nrevisit = [{younger_than_days = 30, every_hours = 24}, {younger_than_days = 3, every_hours = 0}]",
     "from the youngest"),
    ("[incremental]\nrevisit = [{younger_than_days = -1, every_hours = 0}]", "younger_than_days > 0"),
    ("[incremental]\nhorizon_days = -2", "horizon_days must not be negative"),
    ("[incremental]\nhorzon_days = 2", "unknown key(s) horzon_days"),
    ("[alerts]\npartial_failure_share = 2", "between 0 and 1"),
    ("[discovery_extra]\nx = 1", "unknown table"),
])
def test_profile_policy_errors_name_the_key(tmp_path: Path, table, message):
    source = (Path(__file__).parent.parent / "scraper/sites/qhnews.toml").read_text(encoding="utf-8")
    source = source.replace("[incremental]", "[incremental_old]").replace("[alerts]", "[alerts_old]")
    source = source.split("[incremental_old]")[0] + source.split("[alerts_old]")[1].split("\n", 2)[2]
    path = tmp_path / "site.toml"
    path.write_text(source + "\n" + table + "\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=re.escape(message)):
        load_profile(str(path))


def test_the_qhnews_policy():
    incremental = load_profile("qhnews").incremental
    assert incremental.revisit == (RevisitRule(3, 0), RevisitRule(30, 24))
    assert incremental.horizon_days == 30 and incremental.partial_failure_share == 0.2


@pytest.mark.parametrize("body", [b"", b"User-agent: *\nDisallow: /\n", b"<html><body>not a sitemap</body></html>",
                                  b"<?xml version='1.0'?><urlset><url><loc>", b"\x1f\x8b\x08garbage",
                                  b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'><!ENTITY b '&a;&a;&a;'>]><urlset>&b;</urlset>"])
def test_anything_but_a_sitemap_or_feed_yields_no_links(body):
    from scraper.spiders.feeds import feed_urls, sitemap_urls

    assert sitemap_urls(body)[1] == []
    assert feed_urls(body) == []


def test_list_pages_are_read_by_their_next_page_link_where_there_is_one():
    from scraper.spiders.news import _next_pages

    linked = [("/dj/index_1.shtml", "a1", "2"), ("/dj/index_2.shtml", "a2", "3"), ("/dj/index_1.shtml", "a1", "下一页"),
              ("/dj/index_9.shtml", "a9", "尾页")]
    chosen, others = _next_pages(linked)
    assert chosen == [("/dj/index_1.shtml", "a1", "下一页")]
    assert [o[1] for o in others] == ["a1", "a2", "a9"]  # read instead if the next page fails
    # no next-page link (a category number in the name, pages numbered downwards …): every page, as before
    plain = [("/news/list_23_2.html", "b2", "2"), ("/news/list_23_3.html", "b3", "3")]
    assert _next_pages(plain) == (plain, [])


def test_dated_lists_need_the_day_in_them(tmp_path: Path):
    source = (Path(__file__).parent.parent / "scraper/sites/qhnews.toml").read_text(encoding="utf-8")
    for bad in ('"http://www.qhnews.com/x/"', '"http://www.qhnews.com/{day}/"', '"ftp://x/{date:%Y}/"'):
        path = tmp_path / "site.toml"
        path.write_text(source.replace("max_list_pages = 200", f"max_list_pages = 200\ndated_lists = [{bad}]"),
                        encoding="utf-8")
        with pytest.raises(ProfileError, match="dated_lists"):
            load_profile(str(path))
    path.write_text(source.replace("max_list_pages = 200",
                                   'max_list_pages = 200\ndated_lists = ["http://www.qhnews.com/{date:%Y/%m/%d}/"]'),
                    encoding="utf-8")
    assert load_profile(str(path)).discovery.dated_lists == ("http://www.qhnews.com/{date:%Y/%m/%d}/",)
