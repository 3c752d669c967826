"""The offline replica: honest text, every row of the seed README, the traps, a real server."""

from __future__ import annotations

import gzip
import http.client
import json
import urllib.error
import urllib.request
from collections import Counter
from datetime import datetime

import pytest

from scraper.replica.corpus import corpus_problems, load_corpus
from scraper.replica.scoring import load_truth


def test_corpus_is_valid_and_no_two_articles_share_more_than_a_fifth_of_their_shingles():
    articles = load_corpus()
    assert len(articles) >= 150
    assert corpus_problems(articles) == []


def test_corpus_problems_catch_a_near_copy():
    articles = load_corpus()
    original = articles[0]
    copy = type(original)(**{**original.__dict__, "slug": "copy-of-" + original.slug})
    problems = corpus_problems([original, copy])
    assert any("share" in p for p in problems)


def test_articles_span_at_least_thirty_days_and_the_required_sections(replica):
    _site, truth = replica
    days = {a["expected"]["published_at"][:10] for a in truth["articles"]}
    first, last = (datetime.fromisoformat(d) for d in (min(days), max(days)))
    assert (last - first).days >= 30
    sections = Counter(a["expected"]["section"] for a in truth["articles"])
    assert {"党建", "新闻中心", "本网原创"} <= set(sections)
    assert truth["stories"] >= 150
    assert all("/system/" in a["url"] and a["url"].endswith(".shtml") for a in truth["articles"])


def test_three_templates_and_the_encodings_of_the_wild(replica):
    _site, truth = replica
    templates = Counter(a["template"] for a in truth["articles"])
    assert set(templates) == {"a", "b", "c"} and min(templates.values()) >= 40
    encodings = Counter(a["encoding"] for a in truth["articles"])
    assert encodings["gbk"] + encodings["gbk-declared"] > len(truth["articles"]) / 2  # most pages GBK, as in the wild
    assert {"utf-8", "header-utf8-body-gbk", "header-gbk-body-utf8", "header-latin1-body-gbk"} <= set(encodings)


def _page(site_dir, truth, trait):
    entry = next(a for a in truth["articles"] if trait in a["traits"])
    manifest = json.loads((site_dir / "_manifest.json").read_text())
    path = entry["url"][len(truth["origin"]) :]
    return entry, (site_dir / manifest[path]["file"]).read_bytes(), manifest[path]


def test_seed_rows_appear_in_the_replica(replica):
    """Every row of ../shared/seeds/README.md has its counterpart in the replica pages."""
    site_dir, truth = replica
    entry, body, _ = _page(site_dir, truth, "traditional_ruby")
    text = body.decode("gb18030")
    assert "<ruby>" in text and "<rt>" in text and "<rp>(</rp>" in text  # ruby annotations
    with pytest.raises(UnicodeEncodeError):  # traditional characters: GBK, not the declared gb2312
        entry["expected"]["paragraphs"][0].encode("gb2312")
    assert 'charset="gb2312"' in text or "charset=gb2312" in text
    _entry, damaged, _ = _page(site_dir, truth, "mojibake")
    with pytest.raises(UnicodeDecodeError):  # a lost GBK byte
        damaged.decode("gbk")
    sample = next(a for a in truth["articles"] if not a["traits"] and a["template"] == "a")
    page = (site_dir / sample["url"][len(truth["origin"]) + 1 :]).read_bytes().decode("gb18030", "replace")
    for piece in ("站内检索", "您当前的位置", "推荐阅读", "24H热点", "热点图片", "互联网新闻信息许可证", "青ICP备",
                  "长按识别二维码查看全文", "来源：", "作者：", "发布时间：", "编辑："):
        assert piece in page, piece
    # the share card repeats the whole article
    first_paragraph = sample["expected"]["paragraphs"][1]
    assert page.count(first_paragraph) == 2
    expected = [a["expected"] for a in truth["articles"]]
    assert any(e["column"] for e in expected) and any(e["subtitle"] for e in expected)
    assert any(p.startswith("青海新闻网·大美青海客户端讯") for e in expected for p in e["paragraphs"][:1])
    assert any(i["photographers"] for e in expected for i in e["images"])  # captions ending in 摄
    assert any(i["caption"] is None for e in expected for i in e["images"])  # file-name "captions"


def test_traps_are_built(replica):
    site_dir, truth = replica
    traits = Counter(t for a in truth["articles"] for t in a["traits"])
    for trait in ("multipage", "two_sections", "truncated", "retry_500", "tracking", "tracking_only", "gb18030"):
        assert traits[trait] >= 1, trait
    multipage = next(a for a in truth["articles"] if "multipage" in a["traits"])
    assert multipage["expected"]["page_urls"][1].endswith("_2.shtml")
    reasons = {t["reason"] for t in truth["traps"]}
    assert reasons == {"robots_forbidden", "not_html", "offsite", "not_found"}
    assert "Disallow: /newscenter/nbgg/" in (site_dir / "robots.txt").read_text()


def _get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_server_serves_headers_as_the_manifest_says_and_misbehaves_on_purpose(replica, replica_server):
    site_dir, truth = replica
    base = replica_server.base_url
    status, headers, body = _get(base + "/dj/")
    assert status == 200 and headers["Content-Type"] == "text/html" and b"charset=gb2312" in body
    conflict = next(a for a in truth["articles"] if a["encoding"] == "header-utf8-body-gbk")
    status, headers, body = _get(conflict["url"].replace(truth["origin"], base))
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    retry = next(a for a in truth["articles"] if "retry_500" in a["traits"])
    url = retry["url"].replace(truth["origin"], base)
    assert _get(url)[0] == 500
    assert _get(url)[0] == 200
    assert _get(base + "/newscenter/system/2024/05/20/030399991.shtml")[0] == 404
    assert _get(base + "/_truth.json")[0] == 404  # ground truth is not part of the site
    status, headers, body = _get(base + "/dj/", {"Accept-Encoding": "gzip"})
    assert headers.get("Content-Encoding") == "gzip" and b"<html" in gzip.decompress(body)


def test_server_cuts_the_truncated_page_short_of_its_content_length(replica, replica_server):
    _site, truth = replica
    truncated = next(a for a in truth["articles"] if "truncated" in a["traits"])
    host, port = replica_server.httpd.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=10)
    connection.request("GET", truncated["url"][len(truth["origin"]) :])
    response = connection.getresponse()
    with pytest.raises(http.client.IncompleteRead):
        response.read()


def test_build_is_deterministic(tmp_path, replica):
    from scraper.replica.generate import build_site

    _site, truth = replica
    again = build_site(tmp_path / "again")
    assert again == truth
    assert load_truth(tmp_path / "again") == truth
