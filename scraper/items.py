"""What the spider hands to the pipelines: raw responses, never parsed articles."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class FetchedPage:
    """One HTTP response, kept whole."""

    url: str  # as requested (before redirects)
    final_url: str  # after redirects
    site_url: str  # final_url on the site's real origin (differs when crawling a replica)
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: datetime
    retries: int = 0
    warc: Any = None  # storage.warc.Location of this capture's record, when archiving is on
    payload: Any = None  # the record holding the payload (itself, or what a revisit refers to)
    wire_bytes: int | None = None  # the body's size as received (compressed, if the server compressed it)

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


@dataclass
class PageItem:
    """A list page, an article (all its pages, in order), or a link the spider did not follow."""

    site: str
    kind: str  # "list", "article" or "link"
    url: str  # the first page's requested URL
    site_url: str
    pages: list[FetchedPage] = field(default_factory=list)
    outcome: str | None = None  # set when the spider already knows (skipped, failed)
    reason: str | None = None
    detail: str | None = None
    redirect_to: str | None = None  # where an article URL now sends readers (site address)
    article: Any = None  # the extracted Article, set by the extract pipeline
