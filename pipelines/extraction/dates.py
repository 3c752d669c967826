"""Publication dates from page text, meta tags and URLs, always time-zone aware.

A time without a zone is local to the site (its profile's zone). Each parsed value
keeps its precision (minute, second or day) and where it came from, so a
researcher can tell a real timestamp from a date guessed off the URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

_FULL = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*[T\s-]?\s*(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{1,2})(?:\s*[:：分]\s*(?P<S>\d{1,2})\s*秒?)?"
    r"(?:[.,]\d{1,9})?(?:\s*(?P<tz>Z|[+-]\d{2}:?\d{2}))?)?"
)
# "06-14 07:58" with no year: the year comes from the URL (or is unknown).
_NO_YEAR = re.compile(r"(?<![\d-])(?P<m>\d{1,2})[-/月](?P<d>\d{1,2})日?\s*(?P<H>\d{1,2})[:：](?P<M>\d{2})(?!\d)")
_SHORT_YEAR = re.compile(
    r"(?<![\d-])(?P<y>\d{2})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\s*(?P<H>\d{1,2})[:：](?P<M>\d{2})(?::(?P<S>\d{2}))?(?!\d)"
)
# Times pages keep only in their scripts, as seconds since 1970: WeChat's `var ct = "1581517074"`.
_EPOCH_KEYS = ("var ct", "publish_time", "publishTime", "pubtime")
_SCRIPT_EPOCH = re.compile(r"""\b(?:var\s+ct|publish_time|publishTime|pubtime)\s*[=:]\s*["']?(1[0-9]{9})\b""")
_URL_DATE = re.compile(
    r"/(?P<y>(?:19|20)\d{2})[-/_]?(?P<m>0[1-9]|1[0-2])[-/_]?(?P<d>0[1-9]|[12]\d|3[01])(?:/|_|\b)"
    r"|/t(?P<y2>(?:19|20)\d{2})(?P<m2>0[1-9]|1[0-2])(?P<d2>0[1-9]|[12]\d|3[01])_"
)

META_DATE_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "og:time",
    "og:release_date",
    "publishdate",
    "pubdate",
    "publish_date",
    "ptime",
    "firstpublishedtime",
    "datepublished",
    "dc.date.issued",
    "dc.date",
    "sailthru.date",
    "parsely-pub-date",
    "weibo: article:create_at",
    "date",
)
_LD_DATE = re.compile(r'"datePublished"\s*:\s*"([^"]{8,40})"')


def script_epoch(markup: str) -> datetime | None:
    if not any(key in markup for key in _EPOCH_KEYS):  # a substring test is far cheaper than the regex
        return None
    match = _SCRIPT_EPOCH.search(markup)
    return datetime.fromtimestamp(int(match.group(1)), timezone.utc) if match else None


def json_ld_dates(markup: str) -> list[str]:
    """datePublished values of the page's JSON-LD (read from the markup: scripts are dropped later)."""
    values = []
    for block in re.finditer(r"<script[^>]{0,300}application/ld\+json[^>]{0,300}>(.*?)</script>", markup, re.S | re.I):
        values += _LD_DATE.findall(block.group(1))
    return values


@dataclass(frozen=True)
class DateValue:
    value: datetime
    precision: str  # "second", "minute" or "day"
    source: str  # e.g. "template", "label", "text", "meta:article:published_time", "url"


def _build(parts: dict, tz: ZoneInfo) -> tuple[datetime, str] | None:
    try:
        y, m, d = int(parts["y"]), int(parts["m"]), int(parts["d"])
        hour = int(parts["H"]) if parts.get("H") else 0
        minute = int(parts["M"]) if parts.get("M") else 0
        second = int(parts["S"]) if parts.get("S") else 0
        zone = tz
        offset = parts.get("tz")
        if offset:
            if offset == "Z":
                zone = timezone.utc
            else:
                sign = 1 if offset[0] == "+" else -1
                hh, mm = int(offset[1:3]), int(offset[-2:])
                zone = timezone(sign * timedelta(hours=hh, minutes=mm))
        value = datetime(y, m, d, hour, minute, second, tzinfo=zone)
    except (ValueError, TypeError):
        return None
    precision = "second" if parts.get("S") else "minute" if parts.get("H") else "day"
    return value, precision


def url_date(url: str) -> date | None:
    match = _URL_DATE.search(url)
    if not match:
        return None
    y = match.group("y") or match.group("y2")
    m = match.group("m") or match.group("m2")
    d = match.group("d") or match.group("d2")
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def parse_datetime(text: str, tz: ZoneInfo, year_hint: int | None = None, source: str = "text") -> DateValue | None:
    """The first date (with time where given) in ``text``."""
    match = _FULL.search(text)
    if match:
        built = _build(match.groupdict(), tz)
        if built:
            return DateValue(built[0], built[1], source)
    match = _SHORT_YEAR.search(text)  # "18-03-08 23:16": only with a time, so "06-14-2024" style is not misread
    if match:
        built = _build({**match.groupdict(), "y": 2000 + int(match.group("y"))}, tz)
        if built:
            return DateValue(built[0], built[1], source)
    if year_hint:
        match = _NO_YEAR.search(text)
        if match:
            built = _build({**match.groupdict(), "y": year_hint}, tz)
            if built:
                return DateValue(built[0], built[1], source)
    return None


def plausible(value: DateValue, now: datetime | None, from_url: date | None, tz: ZoneInfo | None = None) -> bool:
    """Not after the page was fetched, and within a day of the URL's date path (a day in the site's zone)."""
    if now is not None and value.value > now + timedelta(hours=1):
        return False
    if from_url is not None:
        local = value.value.astimezone(tz).date() if tz else value.value.date()
        if abs((local - from_url).days) > 1:
            return False
    return True


def choose(candidates: Iterable[DateValue], tz: ZoneInfo, url: str, now: datetime | None = None) -> DateValue | None:
    """The first plausible candidate (callers order them by trust); the URL date last.

    ``now`` is when the page was fetched, so re-extraction years later decides alike.
    """
    from_url = url_date(url)
    for candidate in candidates:
        if candidate and plausible(candidate, now, from_url, tz):
            return candidate
    if from_url is not None:
        return DateValue(datetime(from_url.year, from_url.month, from_url.day, tzinfo=tz), "day", "url")
    return None
