"""One generic spider, driven by a site profile: section lists -> pagination -> articles.

It finds and fetches pages politely and hands over raw responses; it parses no
article text and touches no database. Links it decides not to follow (off-site,
non-HTML files) and requests that fail are handed over too, so every crawl
decision ends up recorded.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit

import scrapy
from parsel import Selector  # not Scrapy's: that one resolves <base href> and raises on a bad one
from scrapy.http import Response
from twisted.python.failure import Failure

from pipelines.extraction.decode import decode_html
from pipelines.extraction.urls import canonicalize, rebase
from scraper.items import FetchedPage, PageItem
from scraper.sites.profile import SiteProfile
from storage.outcomes import Outcome, Reason

from .failures import reason_for_failure
from .feeds import feed_urls, sitemap_urls

# Links to files that are not web pages: never fetched, recorded as not_html.
_BINARY = re.compile(
    r"\.(pdf|docx?|xlsx?|pptx?|zip|rar|7z|gz|tar|jpe?g|png|gif|webp|bmp|mp3|mp4|avi|flv|wmv|mov|apk|exe|wps|txt)$",
    re.IGNORECASE,
)
_LIST_PRIORITY, _ARTICLE_PRIORITY, _CONTINUATION_PRIORITY = 0, 10, 20
_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_REDIRECTS = 5
_MAX_ARTICLE_PAGES = 50
_NEXT_PAGE_TEXTS = {"下一页", "下页", "下一頁", "下頁", "next", "Next", "Next page", "next page", "›", "»"}


def _next_pages(following: list[tuple[str, str, str]]) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(pages to read now, the others) of the list pages a page links: its 下一页 (next page)
    link alone where it has one, so that a section is read page after page and paging can stop
    where nothing new follows; every one where it has none (numbering schemes differ too much
    to guess the order from URLs). The others are read if the next page fails."""
    chosen = [item for item in following if item[2] in _NEXT_PAGE_TEXTS]
    if not chosen:
        return following, []
    return chosen, [item for item in following if item[2] not in _NEXT_PAGE_TEXTS]


class NewsSpider(scrapy.Spider):
    """Subclassed once per site profile by the spider loader (``name`` = the site's name)."""

    name = "news"
    profile: SiteProfile

    def __init__(self, *args, base_url: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.base_url = base_url.rstrip("/") if base_url else None
        self.fetch_origin = self.base_url or self.profile.origin
        fetch_host = urlsplit(self.fetch_origin).hostname or ""
        self.allowed_domains = [fetch_host]
        self._fetch_netloc = urlsplit(self.fetch_origin).netloc.lower()
        self._site_hosts = {d.lower() for d in self.profile.domains}
        self._reported_links: set[str] = set()
        self._list_pages: dict[str, set[str]] = {}  # section folder -> list pages requested
        self._sections: set[str] = set()  # section folders whose lists were read
        self._broken_sections: set[str] = set()  # ... and those where a list page failed
        self.stopped_early: set[str] = set()  # list pages after which paging stopped (nothing new beyond)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        if not kwargs.get("base_url"):
            kwargs["base_url"] = crawler.settings.get("NEWSARCHIVE_BASE_URL") or None
        return super().from_crawler(crawler, *args, **kwargs)

    @classmethod
    def update_settings(cls, settings) -> None:
        super().update_settings(settings)
        polite = cls.profile.politeness
        for key, value in {
            "ROBOTSTXT_OBEY": polite.obey_robots,
            "USER_AGENT": polite.user_agent,
            "CONCURRENT_REQUESTS_PER_DOMAIN": polite.concurrent_requests_per_domain,
            "DOWNLOAD_DELAY": polite.download_delay,
            "AUTOTHROTTLE_ENABLED": polite.autothrottle,
            "AUTOTHROTTLE_TARGET_CONCURRENCY": polite.autothrottle_target_concurrency,
            "RETRY_TIMES": polite.retry_times,
        }.items():
            settings.set(key, value, priority="spider")

    # -- addresses -----------------------------------------------------------------------------

    def site_url(self, fetched_url: str) -> str:
        """Where a fetched page lives on the real site (identity unless crawling a replica)."""
        if not self.base_url:
            return fetched_url
        return rebase(fetched_url, self.base_url, self.profile.origin)

    def fetch_url(self, url: str) -> str | None:
        """The URL to request for a link, or None when it is off-site."""
        parts = urlsplit(url)
        netloc = parts.netloc.lower()
        if netloc == self._fetch_netloc:
            return url
        if parts.hostname and parts.hostname.lower() in self._site_hosts:
            return rebase(url, f"{parts.scheme}://{parts.netloc}", self.fetch_origin)
        return None

    @property
    def plan(self):
        """The run's incremental plan (scraper.incremental.CrawlPlan), set by the store pipeline;
        None: every article is new (a crawl without an archive)."""
        return getattr(getattr(self, "crawler", None), "newsarchive_plan", None)

    def section_url(self, fetched_url: str) -> str:
        """The section a list page belongs to: its folder, on the site's origin."""
        path = urlsplit(fetched_url).path or "/"
        return self.profile.origin + path[: path.rfind("/") + 1]

    def walked_sections(self) -> list[str]:
        """Sections whose every list page this run read without a failure."""
        return sorted(self.section_url(self.fetch_origin + folder) for folder in self._sections - self._broken_sections)

    def _max_list_pages(self) -> int:
        plan = self.plan
        return 1_000_000 if plan is not None and plan.backfill_from is not None else self.profile.discovery.max_list_pages

    def _article_request(self, target: str, headers: dict[str, str] | None = None) -> scrapy.Request:
        return scrapy.Request(target, callback=self.parse_article, errback=self.on_error, headers=headers,
                              meta={"kind": "article", "dont_redirect": True}, priority=_ARTICLE_PRIORITY)

    def _planned_article_request(self, target: str) -> scrapy.Request | None:
        """The request for an article link, or None when the plan says it is not due."""
        headers = {}
        if self.plan is not None:
            decision, headers = self.plan.article(self.site_url(target))
            if decision in ("not_due", "before_from"):
                return None
        return self._article_request(target, headers)

    # -- requests ------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        discovery = self.profile.discovery
        for url, callback in [*((u, self.parse_list) for u in discovery.start_urls),
                              *((u, self.parse_sitemap) for u in discovery.sitemaps),
                              *((u, self.parse_feed) for u in discovery.feeds)]:
            target = self.fetch_url(url)
            yield scrapy.Request(target, callback=callback, errback=self.on_error,
                                 meta={"kind": "list"}, priority=_LIST_PRIORITY)
        # a backfill reads the site's lists by day, where the profile has them (newest day first)
        plan = self.plan
        if plan is not None and plan.backfill_from is not None and discovery.dated_lists:
            day = plan.as_of.astimezone(plan.timezone).date()
            while day >= plan.backfill_from:
                for template in discovery.dated_lists:
                    target = self.fetch_url(template.format(date=day))
                    if target is not None:
                        yield scrapy.Request(target, callback=self.parse_list, errback=self.on_error,
                                             meta={"kind": "list", "dated": True}, priority=_LIST_PRIORITY)
                day -= timedelta(days=1)
        # known articles due again and failures to retry, whether or not a list read this run links them
        for url, headers in self.plan.due() if self.plan is not None else ():
            target = self.fetch_url(url)
            if target is not None:
                yield self._article_request(target, headers)

    def _page(self, response: Response) -> FetchedPage:
        redirects = response.meta.get("redirect_urls") or []
        warc = response.meta.get("warc") or {}
        return FetchedPage(
            url=redirects[0] if redirects else response.url,
            final_url=response.url,
            site_url=self.site_url(response.url),
            status=response.status,
            headers={k.decode("latin-1").lower(): v[0].decode("latin-1") for k, v in response.headers.items() if v},
            body=response.body,
            fetched_at=warc.get("fetched_at") or datetime.now(timezone.utc),
            retries=response.meta.get("retry_times", 0),
            warc=warc.get("record"),
            payload=warc.get("payload"),
            wire_bytes=response.meta.get("wire_bytes"),
        )

    @staticmethod
    def _selector(response: Response) -> Selector | None:
        """The page as a selector; None for a body that is not text. Scrapy's own decoding
        raises on labels like charset=hex: the project's decoder reads such pages instead."""
        if response.status != 200:
            return None
        try:
            return response.selector
        except AttributeError:  # not a text response (a PDF, an image)
            return None
        except (LookupError, UnicodeError, ValueError):
            content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
            return Selector(text=decode_html(response.body, content_type)[0])

    def _links(self, response: Response) -> list[tuple[str, str]]:
        """(canonical URL, link text) of every followable link on the page."""
        selector = self._selector(response)
        if selector is None:
            return []
        base = selector.css("base::attr(href)").get() or response.url
        try:
            urljoin(base, "x")
            urlsplit(base).port  # noqa: B018 - a malformed <base href>: browsers use the page's URL
        except ValueError:
            base = response.url
        links = []
        for anchor in selector.css("a[href]"):
            href = anchor.attrib["href"].strip()
            if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
                continue
            try:
                absolute = urljoin(base, href)
                if urlsplit(absolute).scheme not in ("http", "https"):
                    continue
                link = canonicalize(absolute, self.profile.rules.tracking_params)
                urlsplit(link).port  # noqa: B018 - raises on a port like ":8o", which would fail later
            except ValueError:  # a malformed href must not cost the page it sits on
                continue
            links.append((link, "".join(anchor.css("::text").getall()).strip()))
        return links

    def _skipped(self, url: str, reason: Reason) -> Iterator[PageItem]:
        if url in self._reported_links:
            return
        self._reported_links.add(url)
        yield PageItem(site=self.name, kind="link", url=url, site_url=self.site_url(url),
                       outcome=Outcome.SKIPPED, reason=reason)

    def _follow(self, response: Response, links: list[tuple[str, str]], from_list: bool,
                paginate: bool = True) -> Iterator[scrapy.Request | PageItem]:
        discovery = self.profile.discovery
        here = urlsplit(response.url).path
        following: list[tuple[str, str, str]] = []  # (path, target, link text) of this section's other list pages
        for link, text in links:
            target = self.fetch_url(link)
            if target is None:
                yield from self._skipped(link, Reason.OFFSITE)
                continue
            path = urlsplit(target).path
            if _BINARY.search(path):
                yield from self._skipped(target, Reason.NOT_HTML)
            elif discovery.article_page_pattern.match(path):
                continue  # a later page of an article: reached through its first page
            elif discovery.article_pattern.match(path):
                request = self._planned_article_request(target)
                if request is not None:
                    yield request
            elif from_list and discovery.list_pattern.match(path) and self._same_list(here, path):
                following.append((path, target, text))
        if not following:
            return
        if not paginate:  # nothing new beyond this page: the pages it links are not read
            self.stopped_early.add(self.site_url(response.url))
            return
        chosen, others = _next_pages(following)
        yield from self._list_requests(here, chosen, [target for _path, target, _text in others])

    def _list_requests(self, here: str, pages_to_read, siblings: list[str]) -> Iterator[scrapy.Request]:
        """Requests for list pages of ``here``'s section not requested yet; ``siblings`` are read
        instead if one of them fails (a broken page 2 must not hide pages 3 and 4)."""
        pages = self._list_pages.setdefault(here[: here.rfind("/") + 1], {here})
        for path, target, *_ in pages_to_read:
            if path not in pages and len(pages) < self._max_list_pages():  # distinct pages per section
                pages.add(path)
                yield scrapy.Request(target, callback=self.parse_list, errback=self.on_error,
                                     meta={"kind": "list", "siblings": siblings}, priority=_LIST_PRIORITY)

    def _read_siblings(self, request) -> Iterator[scrapy.Request]:
        """A list page failed: read the other pages the page before it linked."""
        siblings = request.meta.get("siblings") or []
        here = urlsplit(request.url).path
        yield from self._list_requests(here, [(urlsplit(t).path, t) for t in siblings], [])

    def _list_like(self, url: str) -> bool:
        path = urlsplit(url).path or "/"
        return path == "/" or bool(self.profile.discovery.list_pattern.match(path)) or path.endswith("/index.html")

    @staticmethod
    def _same_list(here: str, path: str) -> bool:
        """Pagination stays within the section list it started from (same folder)."""
        return here[: here.rfind("/") + 1] == path[: path.rfind("/") + 1]

    # -- callbacks -----------------------------------------------------------------------------

    def parse_list(self, response: Response) -> Iterator[scrapy.Request | PageItem]:
        page = self._page(response)
        yield PageItem(site=self.name, kind="list", url=page.url, site_url=page.site_url, pages=[page])
        path = urlsplit(response.url).path or "/"
        folder = path[: path.rfind("/") + 1]
        if not response.meta.get("dated"):  # a day's list is not a section to walk again
            self._sections.add(folder)
            if response.status != 200:
                self._broken_sections.add(folder)
        if response.status != 200:
            yield from self._read_siblings(response.request)
        links = self._links(response)
        paginate = True
        if self.plan is not None:
            articles = [self.site_url(target) for link, _ in links
                        if (target := self.fetch_url(link)) and self.profile.discovery.article_pattern.match(urlsplit(target).path)]
            # everything beyond this page was read before (or is older than --from)
            paginate = not self.plan.stop_paging(self.section_url(response.url), articles)
        yield from self._follow(response, links, from_list=True, paginate=paginate)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request | PageItem]:
        """A sitemap (or sitemap index) of the site: its article URLs, like a list page's links."""
        page = self._page(response)
        yield PageItem(site=self.name, kind="list", url=page.url, site_url=page.site_url, pages=[page])
        kind, urls = sitemap_urls(response.body) if response.status == 200 else ("", [])
        if kind == "sitemapindex":
            for url in urls:
                target = self.fetch_url(url)
                if target:
                    yield scrapy.Request(target, callback=self.parse_sitemap, errback=self.on_error,
                                         meta={"kind": "list"}, priority=_LIST_PRIORITY)
            return
        yield from self._follow(response, self._canonical_links(response, urls), from_list=False)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request | PageItem]:
        """An RSS or Atom feed of the site: the links of its items."""
        page = self._page(response)
        yield PageItem(site=self.name, kind="list", url=page.url, site_url=page.site_url, pages=[page])
        urls = feed_urls(response.body) if response.status == 200 else []
        yield from self._follow(response, self._canonical_links(response, urls), from_list=False)

    def _canonical_links(self, response: Response, urls: list[str]) -> list[tuple[str, str]]:
        """Addresses from a sitemap or feed, made absolute (against the site's origin: the feed
        may be fetched from a replica) and stripped of tracking parameters."""
        links = []
        base = self.site_url(response.url)
        for url in urls:
            try:
                absolute = urljoin(base, url)
                if urlsplit(absolute).scheme in ("http", "https"):
                    links.append((canonicalize(absolute, self.profile.rules.tracking_params), ""))
            except ValueError:
                continue
        return links

    def parse_article(self, response: Response) -> Iterator[scrapy.Request | PageItem]:
        pages = [*response.meta.get("pages", []), self._page(response)]
        first = pages[0]
        conditional = b"If-None-Match" in response.request.headers or b"If-Modified-Since" in response.request.headers
        if response.status == 304 and len(pages) == 1 and conditional:  # a revisit: the archived article is current
            yield PageItem(site=self.name, kind="article", url=first.url, site_url=first.site_url, pages=pages,
                           outcome=Outcome.UNCHANGED, detail="304 Not Modified")
            return
        if response.status in _REDIRECTS:
            # Article requests follow redirects here, not in Scrapy's middleware: a redirect to a
            # list the crawl has already read would be dropped there as a duplicate, unrecorded.
            yield from self._redirected(response, pages)
            return
        links = self._links(response)
        following = self._next_page(response, links, len(pages) + 1) if links else None
        if following and len(pages) >= _MAX_ARTICLE_PAGES:  # an endless 下一页 chain is a trap, not an article
            yield PageItem(site=self.name, kind="article", url=first.url, site_url=first.site_url, pages=pages,
                           outcome=Outcome.FAILED, reason=Reason.INCOMPLETE_MULTIPAGE,
                           detail=f"more than {_MAX_ARTICLE_PAGES} pages; next would be {following}")
        elif following:
            yield scrapy.Request(following, callback=self.parse_article, errback=self.on_error,
                                 meta={"kind": "article", "pages": pages, "dont_redirect": True},
                                 priority=_CONTINUATION_PRIORITY)
        else:  # the article is whole: hand it over before anything else can go wrong
            yield PageItem(site=self.name, kind="article", url=first.url, site_url=first.site_url, pages=pages)
        yield from self._follow(response, links, from_list=False)  # the links of every page of it

    def _redirected(self, response: Response, pages: list[FetchedPage]) -> Iterator[scrapy.Request | PageItem]:
        """An article URL answered with a redirect: follow it, or record where it went."""
        first = pages[0]
        location = response.headers.get(b"Location", b"").decode("latin-1")
        target = urljoin(response.url, location) if location else ""
        fetchable = self.fetch_url(target) if target else None
        item = {"site": self.name, "kind": "article", "url": first.url, "site_url": first.site_url, "pages": pages,
                "outcome": Outcome.FAILED}
        if not target:
            yield PageItem(**item, reason=Reason.HTTP_ERROR, detail=f"HTTP {response.status} without a Location")
        elif fetchable is None and len(pages) > 1:  # a later page left the site: the article is not whole
            yield PageItem(**item, reason=Reason.INCOMPLETE_MULTIPAGE, detail=f"{response.url}: redirected to {target}")
        elif fetchable is None:
            yield PageItem(**item, reason=Reason.REDIRECT_OFFSITE, detail=f"redirected to {target}")
        elif self._list_like(fetchable):  # an article that now leads to a section list or the home page
            yield PageItem(**item, reason=Reason.REDIRECTED_AWAY, detail=f"redirected to {self.site_url(fetchable)}",
                           redirect_to=self.site_url(fetchable))
        elif len(response.meta.get("redirect_urls", [])) >= _MAX_REDIRECTS:
            yield PageItem(**item, reason=Reason.DOWNLOAD_ERROR, detail=f"more than {_MAX_REDIRECTS} redirects")
        else:
            meta = {key: value for key, value in response.meta.items() if key in ("kind", "pages", "dont_redirect")}
            meta["pages"] = pages[:-1]  # the redirect itself is archived, not part of the article
            meta["redirect_urls"] = [*response.meta.get("redirect_urls", []), response.url]
            yield scrapy.Request(fetchable, callback=self.parse_article, errback=self.on_error, meta=meta,
                                 dont_filter=True, priority=_CONTINUATION_PRIORITY)

    def _next_page(self, response: Response, links: list[tuple[str, str]], number: int) -> str | None:
        """Page ``number`` of this article: …/123_2.shtml by the profile's pattern, or a 下一页 link
        to a URL that extends the first page's (…/123_2.html, …/123.html?page=2)."""
        pattern = self.profile.discovery.article_page_pattern
        first = (response.meta.get("pages") or [None])[0]  # empty after a redirect
        first_path = urlsplit(first.final_url if first else response.url).path
        stem = first_path.rsplit(".", 1)[0]
        seen = {p.final_url for p in response.meta.get("pages", [])} | {response.url}
        for link, text in links:
            target = self.fetch_url(link)
            if not target or target in seen:
                continue
            path = urlsplit(target).path
            match = pattern.match(path)
            if match and match.group("base") == stem and int(match.group("page")) == number:
                return target
            another_article = path != first_path and self.profile.discovery.article_pattern.match(path)
            if text in _NEXT_PAGE_TEXTS and path.startswith(stem) and not another_article:
                return target
        return None

    def on_error(self, failure: Failure) -> Iterator[PageItem]:
        request = failure.request
        outcome, reason, detail = reason_for_failure(failure)
        pages = request.meta.get("pages", [])
        kind = request.meta.get("kind", "article")
        if kind == "list" and not request.meta.get("dated"):  # the section's walk is not whole: walk it again
            path = urlsplit(request.url).path or "/"
            self._broken_sections.add(path[: path.rfind("/") + 1])
        if kind == "list":
            yield from self._read_siblings(request)
        if pages:  # a later page of an article failed: the whole article did
            first = pages[0]
            yield PageItem(site=self.name, kind=kind, url=first.url, site_url=first.site_url, pages=pages,
                           outcome=Outcome.FAILED, reason=Reason.INCOMPLETE_MULTIPAGE,
                           detail=f"{request.url}: {reason} {detail}".strip())
            return
        redirects = request.meta.get("redirect_urls") or []
        url = redirects[0] if redirects else request.url  # a redirect's failure belongs to the link followed
        if redirects:
            detail = f"redirected to {request.url}; {detail}".strip("; ")
        yield PageItem(site=self.name, kind=kind, url=url, site_url=self.site_url(url),
                       outcome=outcome, reason=reason, detail=detail)
