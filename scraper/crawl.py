"""Running a crawl in-process: settings, the site's spider, and the run it recorded."""

from __future__ import annotations

import logging

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from scraper.sites.profile import load_profile
from scraper.spiders.loader import spider_for
from storage.db import open_archive, resolve_db_url

# Politeness toward a server we run ourselves (the replica) is pointless; these
# replace the profile's delays when asked (--fast), never by default.
FAST_SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "CONCURRENT_REQUESTS": 16,
}


class CrawlLocked(RuntimeError):
    """Another run of the site holds its crawl lock; nothing was fetched."""


# What a finished run's outcome means to cron and monitoring (README: exit codes).
EXIT_CODES = {"ok": 0, "partial": 3, "failed": 4, "interrupted": 6}
EXIT_LOCKED = 5


def crawl_settings(db_url: str, fast: bool = False, log_level: str = "WARNING", extra: dict | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("scraper.settings", priority="project")
    settings.set("NEWSARCHIVE_DB_URL", db_url, priority="cmdline")
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    if fast:
        settings.setdict(FAST_SETTINGS, priority="cmdline")
    settings.setdict(extra or {}, priority="cmdline")
    return settings


def run_crawl(
    site: str,
    db: str | None = None,
    base_url: str | None = None,
    fast: bool = False,
    log_level: str = "WARNING",
    extra_settings: dict | None = None,
) -> int:
    """Crawl ``site`` (a profile name or a .toml path) into the archive; return the run id. Blocks."""
    return run_crawls([site], db, base_url, fast, log_level, extra_settings)[0]


def run_crawls(
    sites: list[str],
    db: str | None = None,
    base_url: str | None = None,
    fast: bool = False,
    log_level: str = "WARNING",
    extra_settings: dict | None = None,
) -> list[int]:
    """Crawl several sites at once, in one process, into one archive (each with its own run
    and lock); return their run ids in order. Blocks until all have finished."""
    profiles = [load_profile(site) for site in sites]  # a bad name or profile fails here, with its one-line message
    db_url = resolve_db_url(db)
    open_archive(db_url)  # an unusable database fails here, before any request is sent
    process = CrawlerProcess(crawl_settings(db_url, fast, log_level, extra_settings))
    logging.getLogger("scrapy").setLevel(log_level)
    crawlers = []
    for profile in profiles:
        crawler = process.create_crawler(spider_for(profile))
        process.crawl(crawler, base_url=base_url)
        crawlers.append(crawler)
    process.start()
    run_ids = []
    for profile, crawler in zip(profiles, crawlers):
        held = crawler.stats.get_value("newsarchive/lock_held")
        if held:
            raise CrawlLocked(held)
        run_id = crawler.stats.get_value("newsarchive/run_id")
        if run_id is None:
            raise RuntimeError(f"the crawl of {profile.name} ended before the archive recorded a run (see the log above)")
        run_ids.append(run_id)
    return run_ids
