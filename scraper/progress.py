"""Live progress of a crawl: a Rich status line on a terminal, plain lines in a log.

Settings: NEWSARCHIVE_PROGRESS (on), NEWSARCHIVE_PROGRESS_SECONDS (how often a plain
line is written when stderr is not a terminal; default 30).
"""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.live import Live
from rich.text import Text
from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

_COUNTS = (
    ("pages", "downloader/response_count"),
    ("lists", "newsarchive/list/list"),
    ("new", "newsarchive/article/stored"),
    ("changed", "newsarchive/article/changed"),
    ("unchanged", "newsarchive/article/unchanged"),
    ("removed", "newsarchive/article/removed"),
    ("duplicates", "newsarchive/article/duplicate"),
    ("failed", "newsarchive/article/failed"),
)


def progress_line(site: str, run_id: object, values: dict[str, int], seconds: float) -> str:
    counts = ", ".join(f"{name} {values.get(name, 0)}" for name, _key in _COUNTS)
    return f"{site} run {run_id}: {counts} ({seconds:.0f} s)"


class CrawlProgress:
    def __init__(self, crawler, tty: bool | None = None):
        if not crawler.settings.getbool("NEWSARCHIVE_PROGRESS", True):
            raise NotConfigured
        self.crawler = crawler
        self.interval = crawler.settings.getfloat("NEWSARCHIVE_PROGRESS_SECONDS", 30)
        if sys.stderr is None:  # started with stderr closed: nowhere to show progress
            raise NotConfigured
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.started = time.monotonic()
        self.live: Live | None = None
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def values(self) -> dict[str, int]:
        stats = self.crawler.stats
        return {name: stats.get_value(key, 0) for name, key in _COUNTS}

    def line(self) -> str:
        return progress_line(self.crawler.spider.name, self.crawler.stats.get_value("newsarchive/run_id", "?"),
                             self.values(), time.monotonic() - self.started)

    def spider_opened(self, spider):
        self.started = time.monotonic()
        if self.tty:
            self.live = Live(Text(self.line()), console=Console(stderr=True), refresh_per_second=4, transient=True)
            self.live.start()
            self.loop = task.LoopingCall(lambda: self.live.update(Text(self.line())))
            self.loop.start(0.25)
        else:
            self.loop = task.LoopingCall(self._write)
            self.loop.start(self.interval, now=False)

    def _write(self) -> None:
        try:
            print(self.line(), file=sys.stderr, flush=True)
        except (OSError, ValueError):  # the log went away (a closed pipe): the crawl goes on
            self.loop.stop()

    def spider_closed(self, spider, reason):
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.live is not None:
            self.live.stop()
