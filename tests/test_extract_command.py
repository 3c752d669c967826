"""`newsarchive extract`: what the extractor makes of one page, from a file or a URL."""

from __future__ import annotations

import json

from tests.conftest import run_cli


def test_extract_a_replica_page_by_url_uses_the_site_profile(replica, replica_server):
    _site, truth = replica
    entry = next(a for a in truth["articles"] if a["template"] == "b" and not a["traits"])
    url = entry["url"].replace(truth["origin"], replica_server.base_url)
    result = run_cli("extract", url, "--site", "qhnews", "--json")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["canonical_url"] == entry["url"]  # the replica's address mapped to the real site's
    assert record["title"] == entry["expected"]["title"]
    assert record["extraction"]["method"] == "template:b"
    assert record["extraction"]["sources"]["published_at"] == "text"
    assert record["extraction"]["pages"][0]["decoding"]["used_charset"] in ("gb18030", "utf-8")


def test_extract_a_file_prints_fields_and_their_sources(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>标题一_新闻网</title></head><body><h1>标题一</h1>"
        "<div>2024-06-14 07:58 来源：西宁晚报 作者：施翔</div>"
        + "".join(f"<p>第{i}段正文，内容足够长以便被提取出来，这是一句完整的话。</p>" for i in range(8))
        + "<p>责任编辑：易娜</p></body></html>",
        encoding="utf-8",
    )
    result = run_cli("extract", str(page), "--url", "http://news.example.cn/2024/06/14/1.html")
    assert result.returncode == 0, result.stderr
    for needle in ("西宁晚报", "施翔", "易娜", "2024-06-14T07:58:00+08:00", "label", "decoding"):
        assert needle in result.stdout, needle


def test_extract_refuses_what_is_no_article(tmp_path):
    page = tmp_path / "empty.html"
    page.write_bytes(b"")
    result = run_cli("extract", str(page))
    assert result.returncode == 1 and "no_content" in result.stderr
    missing = run_cli("extract", str(tmp_path / "nothing.html"))
    assert missing.returncode == 2 and "neither a file nor" in missing.stderr
