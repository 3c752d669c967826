"""Downloader middleware of the project."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware

_REDIRECTS = (301, 302, 303, 307, 308)


class OffsiteRedirectGuard:
    """Keep a redirect that leaves the site as a response, so it is recorded.

    Scrapy drops a redirect to another host silently (the offsite filter never
    calls the errback). Placed before RedirectMiddleware on the way back, this
    marks such a response ``dont_redirect``: the spider then sees the 3xx and
    records the page as redirected off-site, with the target, unfetched.
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response):
        if response.status in _REDIRECTS and b"Location" in response.headers:
            target = urljoin(request.url, response.headers[b"Location"].decode("latin-1"))
            spider = self.crawler.spider
            if hasattr(spider, "fetch_url") and spider.fetch_url(target) is None:
                request.meta["dont_redirect"] = True
        return response


class SafeMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's meta-refresh redirects, minus the crash: a page whose text Scrapy cannot
    decode (charset=hex) or whose <base href> is malformed makes the stock middleware
    raise, and the response is lost as a download error. Such a page is passed on as it
    is; the spider and the extractor read it with their own, tolerant, decoding."""

    def process_response(self, request, response, spider=None):
        try:
            return super().process_response(request, response)
        except (ValueError, LookupError, UnicodeError):
            return response


class SiteHostHeader:
    """Ask the address a crawl fetches from (``--base-url``) for the site by its name.

    Crawling a site from another address (the replica) is like ``curl --resolve``:
    connect to 127.0.0.1:port, but send the profile origin's host in the Host header,
    so a server that holds several sites (the replica's simulated outlets) answers
    with the right one. robots.txt requests pass through here too. A Host header the
    request already has is kept; the one set here is taken off again if a redirect
    carries the request to another address.
    """

    _META = "newsarchive_site_host"

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        spider = self.crawler.spider
        base_url, profile = getattr(spider, "base_url", None), getattr(spider, "profile", None)
        if not base_url or profile is None:
            return None
        ours = request.meta.get(self._META)
        on_base = urlsplit(request.url).netloc.lower() == urlsplit(base_url).netloc.lower()
        if ours is not None and request.headers.get(b"Host") == ours.encode("latin-1") and not on_base:
            del request.headers[b"Host"]  # a redirect copied our header to another address
            return None
        if on_base and b"Host" not in request.headers:
            origin = urlsplit(profile.origin)  # an internationalised host name is sent as its ASCII (IDNA) form
            host = origin.hostname.encode("idna").decode("ascii") + (f":{origin.port}" if origin.port else "")
            request.headers[b"Host"] = host
            request.meta[self._META] = host
        return None
