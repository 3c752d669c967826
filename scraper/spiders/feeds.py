"""Article addresses from sitemaps and feeds, where a site profile lists them."""

from __future__ import annotations

from lxml import etree
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

_MAX_XML_BYTES = 50 * 1024 * 1024  # the sitemap protocol's own limit, uncompressed


def _inflate(body: bytes) -> bytes:
    if body[:2] == b"\x1f\x8b":  # sitemap.xml.gz
        try:
            return gunzip(body, max_size=_MAX_XML_BYTES)
        except (OSError, EOFError, ValueError):
            return b""
    return body


def sitemap_urls(body: bytes) -> tuple[str, list[str]]:
    """(``urlset`` or ``sitemapindex``, the <loc> addresses); ("", []) for anything else."""
    body = _inflate(body)
    if not body.strip():
        return "", []
    try:
        sitemap = Sitemap(body)
        if sitemap.type not in ("urlset", "sitemapindex"):
            return "", []
        return sitemap.type, [entry["loc"] for entry in sitemap if entry.get("loc")]
    except Exception:  # noqa: BLE001 - anything but a sitemap (HTML, text, broken XML) yields no links
        return "", []


def feed_urls(body: bytes) -> list[str]:
    """The item links of an RSS 2.0 / RSS 1.0 / Atom feed; [] when the body is not one."""
    body = _inflate(body)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except (etree.XMLSyntaxError, ValueError):
        return []
    if root is None:
        return []
    links = root.xpath("//*[local-name()='item']/*[local-name()='link']/text()")
    links += root.xpath("//*[local-name()='entry']/*[local-name()='link'][not(@rel) or @rel='alternate']/@href")
    return [link.strip() for link in links if link.strip()]
