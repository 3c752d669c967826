"""Scrapy settings of the project. A site's politeness comes from its profile
(applied by its spider); ``NEWSARCHIVE_*`` settings may also come from the environment."""

import os

BOT_NAME = "newsarchive"
SPIDER_MODULES: list[str] = []  # spiders come from site profiles, through the loader
SPIDER_LOADER_CLASS = "scraper.spiders.loader.ProfileSpiderLoader"

ITEM_PIPELINES = {
    "pipelines.extract.ExtractPipeline": 200,
    "pipelines.store.StorePipeline": 400,
}

EXTENSIONS = {
    "scraper.progress.CrawlProgress": 500,  # a live line on a terminal, a plain line every 30 s in a log
}

DOWNLOADER_MIDDLEWARES = {
    # first on the way out, robots.txt requests included: a crawl from --base-url asks that address for the
    # profile's host by name (the replica serves its simulated outlets by Host header)
    "scraper.middlewares.SiteHostHeader": 90,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "scraper.middlewares.SafeMetaRefreshMiddleware": 580,
    # sees responses before RedirectMiddleware (600): redirects off the site are kept and recorded
    "scraper.middlewares.OffsiteRedirectGuard": 650,
    # next to the downloader: every response as received (compressed, redirects, retried 5xx) goes to WARC
    "scraper.archiving.WarcCaptureMiddleware": 950,
    # after it, on the request's way out: a page a killed run archived but never recorded is read back
    # from its WARC record instead of fetched again (its response then passes the capture as archived)
    "scraper.archiving.WarcReplayMiddleware": 960,
}

# Every response reaches the spider, whatever its status, so a 404 is recorded
# with its reason instead of vanishing in a middleware. 5xx are retried first.
HTTPERROR_ALLOW_ALL = True
RETRY_ENABLED = True
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_FAIL_ON_DATALOSS = True  # a cut-short body is retried, then recorded as truncated
# A news page is far below these. The limit also bounds a compressed body once inflated
# (1 MB of gzip can inflate to 1 GiB): past it, the fetch fails as too_large.
DOWNLOAD_MAXSIZE = int(os.environ.get("NEWSARCHIVE_MAX_PAGE_BYTES", 20 * 1024 * 1024))
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REDIRECT_ENABLED = True
LOG_LEVEL = os.environ.get("NEWSARCHIVE_LOG_LEVEL", "INFO")

NEWSARCHIVE_DB_URL = os.environ.get("NEWSARCHIVE_DB_URL")  # None: sqlite:///data/archive.db
NEWSARCHIVE_BASE_URL = os.environ.get("NEWSARCHIVE_BASE_URL")  # fetch the profile's site from here
NEWSARCHIVE_WARC = os.environ.get("NEWSARCHIVE_WARC", "1") not in ("0", "false", "no", "off")
NEWSARCHIVE_WARC_DIR = os.environ.get("NEWSARCHIVE_WARC_DIR")  # None: `warc` beside a SQLite archive, else data/warc
NEWSARCHIVE_WARC_MAX_BYTES = int(os.environ.get("NEWSARCHIVE_WARC_MAX_BYTES", 1 << 30))
NEWSARCHIVE_LOCK = os.environ.get("NEWSARCHIVE_LOCK", "1") not in ("0", "false", "no", "off")
NEWSARCHIVE_AS_OF = os.environ.get("NEWSARCHIVE_AS_OF")  # ISO date/time: ages measured from it
NEWSARCHIVE_REVISIT_ALL = os.environ.get("NEWSARCHIVE_REVISIT_ALL", "0") not in ("0", "false", "no", "off", "")
NEWSARCHIVE_BACKFILL_FROM = os.environ.get("NEWSARCHIVE_BACKFILL_FROM")  # YYYY-MM-DD
NEWSARCHIVE_PROGRESS = os.environ.get("NEWSARCHIVE_PROGRESS", "1") not in ("0", "false", "no", "off")
NEWSARCHIVE_PROGRESS_SECONDS = float(os.environ.get("NEWSARCHIVE_PROGRESS_SECONDS", 30))
# Responses waiting for the item pipelines (extraction, storage) are held in memory up to this
# many bytes before the downloader waits (Scrapy's default: 5 MB, hundreds of pages). A crawl
# killed at that moment loses them and the next run fetches them again; extraction is the
# slower side, so a short queue costs no speed.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = int(os.environ.get("NEWSARCHIVE_MAX_PENDING_BYTES", 300_000))
