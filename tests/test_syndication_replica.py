"""The replica's simulated outlets: syndicated copies, hard negatives, served by Host header, crawled."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import opencc
import pytest
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from pipelines.extraction import extract_article
from scraper.replica.generate import build_site
from scraper.replica.scoring import outlet_mismatches, outlet_raw_page
from scraper.replica.server import ReplicaServer
from scraper.replica.syndication import outlet_profiles
from scraper.sites.profile import load_profile
from storage.db import open_archive
from storage.models import Article, Site
from tests.conftest import run_cli

HARD_NEGATIVES = {"meeting": 6, "weather": 8, "price": 8, "column": 6}


def _outlet(truth: dict, name: str) -> dict:
    return next(o for o in truth["outlets"] if o["name"] == name)


def _pages(truth: dict):
    return [(outlet, entry) for outlet in truth["outlets"] for entry in outlet["articles"]]


def _tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# -- the build -----------------------------------------------------------------------------------------


def test_outlets_are_built_alike_every_time_and_in_both_snapshots(replica, tmp_path):
    site_dir, truth = replica
    second = build_site(tmp_path / "s2", snapshot=2)
    assert second["outlets"] == truth["outlets"] and second["syndication"] == truth["syndication"]
    assert _tree_digest(tmp_path / "s2" / "_hosts") == _tree_digest(site_dir / "_hosts")


def test_the_qhnews_truth_is_untouched_by_the_outlets(replica, tmp_path):
    _site, truth = replica
    alone = build_site(tmp_path / "alone", outlets=False)
    assert not (tmp_path / "alone" / "_hosts").exists()
    assert {k: v for k, v in truth.items() if k not in ("outlets", "syndication")} == alone


def test_each_outlet_has_its_host_profile_and_folder(replica):
    site_dir, truth = replica
    names = [o["name"] for o in truth["outlets"]]
    assert names == ["qhrb", "xnwb", "hdsb", "gaoyuan"]
    assert [Path(o["profile"]) for o in truth["outlets"]] == outlet_profiles()
    for outlet in truth["outlets"]:
        assert outlet["host"].endswith(".example") and outlet["origin"] == "http://" + outlet["host"]
        profile = load_profile(outlet["profile"])
        assert (profile.name, profile.origin, profile.rules.outlet) == (outlet["name"], outlet["origin"], outlet["outlet"])
        assert (site_dir / "_hosts" / outlet["host"] / "_manifest.json").exists()
        assert all(e["url"].startswith(outlet["origin"] + "/") for e in outlet["articles"])
        assert "simulated outlet" in Path(outlet["profile"]).read_text(encoding="utf-8").splitlines()[0].lower()


def test_sixty_stories_each_carried_by_two_to_five_outlets(replica):
    _site, truth = replica
    qhnews = {a["url"]: a for a in truth["articles"]}
    stories = truth["syndication"]["stories"]
    syndicated = {slug: urls for slug, urls in stories.items() if not slug.startswith("hn-")}
    assert len(syndicated) >= 60
    for slug, urls in syndicated.items():
        hosts = [re.match(r"http://([^/]+)/", u).group(1) for u in urls]
        assert 2 <= len(set(hosts)) == len(hosts) <= 5, slug
        home = [u for u in urls if u in qhnews]
        assert len(home) == 1 and qhnews[home[0]]["story"] == slug and not qhnews[home[0]]["traits"], slug
    by_url = {e["url"]: (o, e) for o, e in _pages(truth)}
    assert set(by_url) | {u for urls in syndicated.values() for u in urls if u in qhnews} == \
        {u for urls in stories.values() for u in urls}
    for slug, urls in syndicated.items():
        qhnews_time = datetime.fromisoformat(next(qhnews[u] for u in urls if u in qhnews)["expected"]["published_at"])
        for url in urls:
            if url in qhnews:
                continue
            outlet, entry = by_url[url]
            when = datetime.fromisoformat(entry["expected"]["published_at"])
            if entry["kind"] == "original":  # the daily and the evening paper print their own stories first
                assert outlet["outlet"] == qhnews[next(u for u in urls if u in qhnews)]["expected"]["source_outlet"]
                assert 0 < (qhnews_time - when).total_seconds() <= 24 * 3600, url
            else:
                assert entry["kind"] == "copy" and 0 < (when - qhnews_time).total_seconds() <= 2 * 24 * 3600 + 60, url


def test_copies_vary_as_real_ones_do(replica):
    _site, truth = replica
    counts = Counter(v for _o, e in _pages(truth) for v in e["variations"])
    for variation in ("title_prefix", "title_shortened", "title_from_subtitle", "title_reordered", "title_reworded",
                      "paragraphs_trimmed", "paragraphs_swapped", "editor_note", "reprint_note", "source_via_qhnews",
                      "source_self_alias", "authors_in_dateline", "dateline", "reporter_line", "traditional",
                      "published_earlier", "published_later"):
        assert counts[variation] >= 1, variation
    copies = [e for _o, e in _pages(truth) if e["kind"] == "copy"]
    assert 0 < sum("paragraphs_trimmed" in e["variations"] for e in copies) < len(copies)  # mixed, not all
    assert {e["expected"]["source_outlet"] for e in copies} >= {"青海新闻网", "青海日报", "西宁晚报", "青海新聞網"}


def test_copies_keep_the_facts_and_trim_at_most_thirty_percent(replica):
    _site, truth = replica
    qhnews = {a["story"]: a["expected"] for a in truth["articles"]}
    to_simplified = opencc.OpenCC("t2s").convert
    for outlet, entry in _pages(truth):
        if entry["kind"] not in ("copy", "original"):
            continue
        original = qhnews[entry["story"]]
        copied = [to_simplified(p) if outlet["name"] == "gaoyuan" else p for p in entry["expected"]["paragraphs"]]
        kept = [p for p in original["paragraphs"][1:] if p in copied]  # the first carries datelines
        assert len(kept) >= 0.7 * (len(original["paragraphs"]) - 1) - 1, entry["url"]
        numbers = lambda texts: Counter(re.findall(r"\d+(?:\.\d+)?", "".join(texts)))  # noqa: E731
        assert not numbers(copied) - numbers(original["paragraphs"]) - numbers([entry["expected"]["title"]]), entry["url"]


def test_hard_negatives_are_template_heavy_and_each_its_own_story(replica):
    _site, truth = replica
    negatives = [(o, e) for o, e in _pages(truth) if e["kind"].startswith("hard_negative:")]
    stories: dict[str, set[str]] = {}
    for outlet, entry in negatives:
        stories.setdefault(entry["kind"].split(":")[1], set()).add(entry["story"])
        assert len("".join(entry["expected"]["paragraphs"])) >= 250, entry["url"]
    for kind, minimum in HARD_NEGATIVES.items():
        assert len(stories[kind]) >= minimum, kind
        republished = [s for s in stories[kind] if len(truth["syndication"]["stories"][s]) == 2]
        assert len(republished) >= 2, kind
    meetings = [e for o, e in negatives if e["kind"] == "hard_negative:meeting" and o["name"] == "qhrb"]
    for entry in meetings:
        text = "".join(entry["expected"]["paragraphs"])
        for phrase in ("省委常委会召开会议", "主持会议并讲话", "会议强调", "会议指出", "会议还研究了其他事项"):
            assert phrase in text
    assert len({e["expected"]["title"] for e in meetings}) == len(meetings)
    columns = [e for o, e in negatives if e["kind"] == "hard_negative:column" and o["name"] == "hdsb"]
    assert len({e["expected"]["paragraphs"][0] for e in columns}) == 1  # the shared intro
    assert all(e["expected"]["paragraphs"][-1].startswith("（《河湟夜话》第") for e in columns)  # and outro


def test_the_mirror_prints_traditional_characters(replica):
    site_dir, truth = replica
    to_traditional, to_simplified = opencc.OpenCC("s2t").convert, opencc.OpenCC("t2s").convert
    simplified = {a["story"]: a["expected"]["paragraphs"] for a in truth["articles"]}
    simplified |= {e["story"]: e["expected"]["paragraphs"] for _o, e in _pages(truth)
                   if e["kind"].startswith("hard_negative:") and not e["variations"]}  # as first printed
    gaoyuan = _outlet(truth, "gaoyuan")
    assert gaoyuan["articles"]
    for entry in gaoyuan["articles"]:
        paragraphs = entry["expected"]["paragraphs"]
        converted = {to_traditional(p) for p in simplified[entry["story"]]}
        # every paragraph as OpenCC writes it, but the first (a dateline) and the last (a reprint note)
        assert sum(p in converted for p in paragraphs) >= len(paragraphs) - 2, entry["url"]
        assert to_simplified(entry["expected"]["title"]) != entry["expected"]["title"], entry["url"]
        page = outlet_raw_page(site_dir, gaoyuan, entry).body.decode("utf-8")
        assert paragraphs[0] in page and "來源" in page and "来源" not in page


def test_one_outlet_is_gbk_declaring_gb2312(replica):
    site_dir, truth = replica
    qhrb = _outlet(truth, "qhrb")
    page = outlet_raw_page(site_dir, qhrb, qhrb["articles"][0])
    assert b"charset=gb2312" in page.body and page.content_type == "text/html"
    assert qhrb["articles"][0]["expected"]["title"] in page.body.decode("gbk")


# -- the server ----------------------------------------------------------------------------------------


def _get(server: ReplicaServer, path: str, host: str | None, headers: dict | None = None):
    address, port = server.httpd.server_address[:2]
    connection = http.client.HTTPConnection(address, port, timeout=10)
    connection.putrequest("GET", path, skip_host=host is not None, skip_accept_encoding=True)
    if host is not None:
        connection.putheader("Host", host)
    for name, value in (headers or {}).items():
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), body


def test_the_server_answers_by_host_header(replica, replica_server):
    _site, truth = replica
    port = replica_server.httpd.server_address[1]
    xnwb, hdsb = _outlet(truth, "xnwb"), _outlet(truth, "hdsb")
    status, _, evening = _get(replica_server, "/robots.txt", "www.xnwb.example")
    assert status == 200 and b"/member/" in evening
    status, _, east = _get(replica_server, "/robots.txt", f"WWW.HDSB.EXAMPLE:{port}")  # port and case ignored
    assert status == 200 and b"/e/" in east and east != evening
    for host in (None, f"127.0.0.1:{port}", "www.qhnews.com", "www.unknown.example"):
        status, _, body = _get(replica_server, "/robots.txt", host)
        assert status == 200 and b"/newscenter/nbgg/" in body, host
    article = xnwb["articles"][0]
    path = article["url"][len(xnwb["origin"]) :]
    status, headers, body = _get(replica_server, path, xnwb["host"])
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert article["expected"]["title"].encode("utf-8") in body
    status, _, missing = _get(replica_server, path, hdsb["host"])  # another outlet: its own 404 page
    assert status == 404 and "信息不存在".encode() in missing
    assert _get(replica_server, path, None)[0] == 404
    assert _get(replica_server, "/_manifest.json", xnwb["host"])[0] == 404
    status, headers, body = _get(replica_server, path, xnwb["host"], {"Accept-Encoding": "gzip"})
    assert headers.get("Content-Encoding") == "gzip" and article["expected"]["title"].encode() in gzip.decompress(body)
    assert _get(replica_server, path, xnwb["host"], {"If-None-Match": headers["ETag"]})[0] == 304
    assert replica_server.requested_paths(host="www.xnwb.example").count(path) == 3
    assert "/robots.txt" in replica_server.requested_paths(host="www.hdsb.example")
    assert replica_server.requested_paths() == ["/robots.txt"] * 4 + [path]  # the main site's requests alone


# -- the extractor, with each outlet's profile ---------------------------------------------------------


@pytest.mark.parametrize("name", ["qhrb", "xnwb", "hdsb", "gaoyuan"])
def test_the_extractor_reads_every_outlet_page_exactly(replica, name):
    site_dir, truth = replica
    outlet = _outlet(truth, name)
    rules = load_profile(outlet["profile"]).rules
    mismatches = {}
    for entry in outlet["articles"]:
        article = extract_article([outlet_raw_page(site_dir, outlet, entry)], rules)
        assert article.extraction.method == f"template:{name}", entry["url"]
        found = outlet_mismatches(article, entry["expected"])
        if found:
            mismatches[entry["url"]] = found
    assert mismatches == {}


# -- a real crawl of an outlet -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", ["qhrb", "gaoyuan"])
def test_a_crawl_of_an_outlet_stores_exactly_its_articles(replica, tmp_path, name):
    site_dir, truth = replica
    outlet = _outlet(truth, name)
    db = tmp_path / "archive.db"
    with ReplicaServer(site_dir) as server:
        result = run_cli("crawl", outlet["profile"], "--base-url", server.base_url, "--db", str(db), "--fast")
        assert result.returncode == 0, result.stderr
        assert server.requested_paths() == []  # nothing asked of Qinghai News: every request named the outlet
        asked = server.requested_paths(host=outlet["host"])
    assert asked[0] == "/robots.txt"
    _engine, sessions = open_archive(str(db))
    with sessions() as session:
        site = session.scalar(select(Site))
        assert (site.name, site.origin) == (name, outlet["origin"])
        stored = session.execute(select(Article.url, Article.title)).all()
    assert len(stored) == len(outlet["articles"])
    assert dict(stored) == {e["url"]: e["expected"]["title"] for e in outlet["articles"]}
    hosts = set()
    for warc in (tmp_path / "warc").glob("*.warc.gz"):  # the request records show the Host asked for
        with warc.open("rb") as stream:
            hosts |= {r.http_headers.get_header("Host") for r in ArchiveIterator(stream) if r.rec_type == "request"}
    assert hosts == {outlet["host"]}
