"""URL canonicalisation: one spelling per page, so one page is one article."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

# Parameters that only say where a reader came from, on any site.
DEFAULT_TRACKING_PARAMS = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "utm_id",
    "gclid",
    "fbclid",
    "spm",
    "from",
    "share_token",
    "isappinstalled",
    "wxfrom",
    "scene",
    "clicktime",
)


def canonicalize(url: str, tracking_params: tuple[str, ...] = ()) -> str:
    """Tracking parameters and fragment removed, query sorted, host lower-cased."""
    params = set(DEFAULT_TRACKING_PARAMS) | set(tracking_params)
    cleaned = url_query_cleaner(url, list(params), remove=True, unique=False, keep_fragments=False)
    canonical = canonicalize_url(cleaned, keep_fragments=False)
    parts = urlsplit(canonical)
    netloc = parts.netloc.lower()
    if (parts.scheme == "http" and netloc.endswith(":80")) or (parts.scheme == "https" and netloc.endswith(":443")):
        netloc = netloc.rsplit(":", 1)[0]
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def rebase(url: str, from_origin: str, to_origin: str) -> str:
    """The same path on another origin: maps replica addresses to the real site's and back."""
    source, target = urlsplit(from_origin), urlsplit(to_origin)
    parts = urlsplit(url)
    if (parts.scheme, parts.netloc.lower()) != (source.scheme, source.netloc.lower()):
        return url
    return urlunsplit((target.scheme, target.netloc, parts.path, parts.query, parts.fragment))
