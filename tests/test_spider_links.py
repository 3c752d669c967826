"""The spider's link decisions, on real Scrapy responses built in memory."""

from __future__ import annotations

from scrapy.http import HtmlResponse, Request

from scraper.sites.profile import load_profile
from scraper.spiders.loader import spider_for

BASE = "http://127.0.0.1:8765"


def _spider():
    return spider_for(load_profile("qhnews"))(base_url=BASE)


def _response(url: str, body: str, meta: dict | None = None) -> HtmlResponse:
    return HtmlResponse(url=url, body=body.encode("utf-8"), encoding="utf-8", request=Request(url, meta=meta or {}))


def test_links_are_canonical_and_mapped_to_the_replica():
    spider = _spider()
    page = _response(BASE + "/dj/", '<a href="http://www.qhnews.com/dj/system/2024/06/14/1.shtml?utm_source=x">a</a>'
                     '<a href="http://www.xinhuanet.com/x.htm">b</a><a href="javascript:void(0)">c</a>')
    links = [link for link, _ in spider._links(page)]
    assert links == ["http://www.qhnews.com/dj/system/2024/06/14/1.shtml", "http://www.xinhuanet.com/x.htm"]
    assert spider.fetch_url(links[0]) == BASE + "/dj/system/2024/06/14/1.shtml"
    assert spider.fetch_url(links[1]) is None
    assert spider.site_url(BASE + "/dj/index_1.shtml") == "http://www.qhnews.com/dj/index_1.shtml"


def test_next_page_by_pattern_and_by_its_label():
    spider = _spider()
    first = BASE + "/newscenter/system/2024/06/14/030321475.shtml"
    by_pattern = _response(first, '<a href="030321475_2.shtml">2</a><a href="030321475_3.shtml">3</a>')
    assert spider._next_page(by_pattern, spider._links(by_pattern), 2) == BASE + "/newscenter/system/2024/06/14/030321475_2.shtml"
    by_label = _response(first, '<a href="030321475.shtml?page=2">下一页</a><a href="/dj/other.shtml">下一页</a>')
    assert spider._next_page(by_label, spider._links(by_label), 2) == first + "?page=2"
    none = _response(first, '<a href="/newscenter/system/2024/06/14/030329999.shtml">下一篇</a>')
    assert spider._next_page(none, spider._links(none), 2) is None


def test_pagination_stays_in_its_section_and_binaries_are_recorded_not_fetched():
    spider = _spider()
    listing = _response(BASE + "/dj/index.shtml", '<a href="index_1.shtml">2</a><a href="/gn/">国内</a>'
                        '<a href="/uploads/a.pdf">PDF</a><a href="/newscenter/system/2024/06/14/1.shtml">x</a>')
    out = list(spider.parse_list(listing))
    requests = [o.url for o in out if isinstance(o, Request)]
    items = [o for o in out if not isinstance(o, Request)]
    assert BASE + "/dj/index_1.shtml" in requests and BASE + "/gn/" not in requests
    assert BASE + "/newscenter/system/2024/06/14/1.shtml" in requests
    assert [(i.kind, i.reason) for i in items if i.kind == "link"] == [("link", "not_html")]
