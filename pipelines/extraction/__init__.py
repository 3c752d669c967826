"""Pure extraction: bytes + URL + site rules -> Article. No scrapy, no files, no database."""

from .extract import extract_article
from .layout import select_template
from .removal import removal_notice
from .types import (
    EXTRACTOR_VERSION,
    Article,
    Decoding,
    Extraction,
    ExtractionFailed,
    Image,
    PageRecord,
    RawPage,
    SiteRules,
    Template,
)

__all__ = [
    "EXTRACTOR_VERSION",
    "Article",
    "Decoding",
    "Extraction",
    "ExtractionFailed",
    "Image",
    "PageRecord",
    "RawPage",
    "SiteRules",
    "Template",
    "extract_article",
    "removal_notice",
    "select_template",
]
