"""The data types that cross the extraction boundary.

Extraction is a pure function ``pages + site rules -> Article``; these types are
all it knows about the rest of the project.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

EXTRACTOR_VERSION = "2.0.0"


@dataclass(frozen=True)
class RawPage:
    """One fetched HTTP response, as the extractor sees it."""

    url: str  # the page's address as the site knows it (after redirects)
    body: bytes
    content_type: str | None = None  # the HTTP Content-Type header, if any
    fetched_at: datetime | None = None  # dates after this are implausible


@dataclass(frozen=True)
class Template:
    """A declarative page object: where one page template keeps each field.

    Selectors are CSS. ``signature`` must match for the template to apply, so a
    site that changes its layout falls back to the generic path instead of
    extracting garbage.
    """

    name: str
    signature: str
    title: str
    body: str
    meta: str | None = None  # a block of labelled lines: 来源 / 作者 / 发布时间 / 编辑
    column: str | None = None
    subtitle: str | None = None
    source: str | None = None
    authors: str | None = None
    editor: str | None = None
    published_at: str | None = None
    breadcrumb: str | None = None
    url_pattern: str | None = None  # optional regex on the URL path


@dataclass(frozen=True)
class SiteRules:
    """What extraction needs to know about a site (a slice of its profile)."""

    site: str
    outlet: str  # the site's own outlet name, e.g. 青海新闻网
    origin: str  # scheme://host of the real site
    timezone: str | None = "Asia/Shanghai"  # None: Asia/Shanghai for Chinese pages, else UTC
    language: str = "zh"
    self_outlet_aliases: tuple[str, ...] = ("本网", "本站")
    site_names: tuple[str, ...] = ()  # names stripped from <title> suffixes
    sections: tuple[tuple[str, str], ...] = ()  # (URL path prefix, section name)
    templates: tuple[Template, ...] = ()
    boilerplate_markers: tuple[str, ...] = ()
    remove_selectors: tuple[str, ...] = ()
    tracking_params: tuple[str, ...] = ()
    default_charset: str | None = None
    removal_markers: tuple[str, ...] = (
        "稿件已删除", "该稿件已删除", "文章已删除", "内容已删除", "信息已删除", "该文章不存在", "页面不存在",
        "This article has been removed", "This article is no longer available",
    )

    @classmethod
    def generic(cls, url: str) -> SiteRules:
        """Rules for a page of a site without a profile: no templates, zone inferred from the text."""
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError:  # not an address: extract_article says so with a reason
            return cls(site="unknown", outlet="", origin="", timezone=None, language="und")
        return cls(site=host or "unknown", outlet="", origin=f"{parts.scheme}://{parts.netloc}",
                   timezone=None, language="und")


class ExtractionFailed(Exception):
    """A page that yields no article; ``reason`` is a code from the closed set."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class Image:
    url: str
    caption: str | None = None
    photographers: list[str] = field(default_factory=list)
    alt: str | None = None


@dataclass
class Decoding:
    """How one page's bytes became text, so a wrong decision can be audited."""

    http_charset: str | None
    meta_charset: str | None
    detected_charset: str | None
    used_charset: str
    replacement_chars: int


@dataclass
class PageRecord:
    url: str
    decoding: Decoding


@dataclass
class Extraction:
    method: str  # e.g. "template:a", "trafilatura", "readability", "density"
    extractor_version: str
    pages: list[PageRecord]
    sources: dict[str, str] = field(default_factory=dict)  # field -> where its value came from


@dataclass
class Article:
    site: str
    canonical_url: str
    url: str
    title: str
    text: str
    language: str
    extraction: Extraction
    subtitle: str | None = None
    column: str | None = None
    section: str | None = None
    source_outlet: str | None = None
    authors: list[str] = field(default_factory=list)
    correspondents: list[str] = field(default_factory=list)  # 通讯员
    photographers: list[str] = field(default_factory=list)  # 摄影, and the photographers of the images
    editor: str | None = None
    bylines_raw: dict[str, str] = field(default_factory=dict)  # field -> the labelled text as printed
    published_at: datetime | None = None
    published_precision: str | None = None  # second, minute or day
    updated_at: datetime | None = None
    page_urls: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    quality_flags: list[str] = field(default_factory=list)

    def to_record(self) -> dict[str, Any]:
        """Plain JSON-ready dict: the article's fields, times in ISO 8601 with offset."""
        record = asdict(self)
        for name in ("published_at", "updated_at"):
            value = getattr(self, name)
            record[name] = value.isoformat() if value else None
        return record
