"""The closed sets of fetch outcomes and failure reasons.

Every response, and every off-site, non-HTML or robots-forbidden link, becomes a
``fetches`` row with one outcome and, unless it succeeded, one reason from here.
A test keeps the README's reason table in step with these descriptions.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    STORED = "stored"  # a new article
    UNCHANGED = "unchanged"  # an article already archived, same content
    CHANGED = "changed"  # an article already archived whose content changed
    DUPLICATE = "duplicate"  # the same content under another URL: recorded as an alias
    REMOVED = "removed"  # an archived article the site no longer serves (reason says how it went)
    LIST = "list"  # a section list page, read for links
    SKIPPED = "skipped"  # not fetched, on purpose
    FAILED = "failed"  # fetched (or tried) and no article came of it


class Reason(StrEnum):
    NOT_FOUND = "not_found"
    GONE = "gone"
    HTTP_ERROR = "http_error"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection_error"
    DNS_ERROR = "dns_error"
    TRUNCATED = "truncated"
    TOO_LARGE = "too_large"
    DOWNLOAD_ERROR = "download_error"
    ROBOTS_FORBIDDEN = "robots_forbidden"
    OFFSITE = "offsite"
    REDIRECT_OFFSITE = "redirect_offsite"
    REDIRECTED_AWAY = "redirected_away"
    REMOVAL_NOTICE = "removal_notice"
    NOT_HTML = "not_html"
    DECODE_ERROR = "decode_error"
    NO_TITLE = "no_title"
    NO_CONTENT = "no_content"
    EXTRACTION_ERROR = "extraction_error"
    INCOMPLETE_MULTIPAGE = "incomplete_multipage"
    STORAGE_ERROR = "storage_error"
    WARC_UNREADABLE = "warc_unreadable"


REASON_DESCRIPTIONS: dict[Reason, str] = {
    Reason.NOT_FOUND: "the server answered 404",
    Reason.GONE: "the server answered 410",
    Reason.HTTP_ERROR: "another answer than 200 (403, 401, 451, 204, 206, a 304 not asked for, a redirect without Location …)",
    Reason.SERVER_ERROR: "a 5xx answer that persisted through every retry",
    Reason.TIMEOUT: "no complete answer within the download timeout, after retries",
    Reason.CONNECTION_ERROR: "connection refused, reset or lost, after retries",
    Reason.DNS_ERROR: "the host name did not resolve",
    Reason.TRUNCATED: "the body ended before its Content-Length (data loss), after retries",
    Reason.TOO_LARGE: "the body, or its decompressed size, exceeded the download limit (NEWSARCHIVE_MAX_PAGE_BYTES)",
    Reason.DOWNLOAD_ERROR: "any other download failure (the detail column says which)",
    Reason.ROBOTS_FORBIDDEN: "robots.txt disallows the URL; it was not fetched",
    Reason.OFFSITE: "a link outside the profile's domains; not fetched",
    Reason.REDIRECT_OFFSITE: "the page redirected outside the profile's domains; the target was not fetched",
    Reason.REDIRECTED_AWAY: "an article URL redirected to a section list or the home page (a takedown)",
    Reason.REMOVAL_NOTICE: "the page shows a deletion notice (稿件已删除 …) instead of the article",
    Reason.NOT_HTML: "a link to a PDF, image, archive or other non-HTML file, or a response that is not HTML",
    Reason.DECODE_ERROR: "the bytes are not text in any declared or detected charset (over 5% undecodable)",
    Reason.NO_TITLE: "no headline found (template, <h1>, og:title, <title>): not an article page",
    Reason.NO_CONTENT: "the page held no article text (empty body, no content block)",
    Reason.EXTRACTION_ERROR: "the extractor raised an unexpected error (the detail column has it)",
    Reason.INCOMPLETE_MULTIPAGE: "a later page of a multi-page article failed; the article was not stored in part",
    Reason.STORAGE_ERROR: "the database refused the article (the detail column has it)",
    Reason.WARC_UNREADABLE: "re-extraction only: the archived record could not be read back (file missing or damaged)",
}

# Reasons that, for a URL of an archived article, mean the site took the article down.
TAKEDOWN_REASONS = (Reason.NOT_FOUND, Reason.GONE, Reason.REDIRECTED_AWAY, Reason.REMOVAL_NOTICE)


def reason_for_status(status: int, location: str | None = None) -> Reason:
    """The reason for a response the crawler could not use (any status but 200)."""
    if 300 <= status < 400 and status != 304 and location:
        # on-site redirects are followed: one that reaches us left the site
        return Reason.REDIRECT_OFFSITE
    if status == 404:
        return Reason.NOT_FOUND
    if status == 410:
        return Reason.GONE
    if status >= 500:
        return Reason.SERVER_ERROR
    return Reason.HTTP_ERROR
