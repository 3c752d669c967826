"""Site profiles: one TOML file per site, read and checked once.

A profile holds everything specific to one site (addresses, URL patterns,
politeness, time zone, page templates); the spider and the extractor are generic.
Every problem in a profile is reported as one ``ProfileError`` line that names
the file, the key and the fix.
"""

from __future__ import annotations

import codecs
import re
import tomllib
import warnings
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cssselect import GenericTranslator, SelectorError

from pipelines.extraction.types import SiteRules, Template

PROFILE_DIR = Path(__file__).parent


class ProfileError(ValueError):
    """A profile that cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class Politeness:
    obey_robots: bool = True
    user_agent: str = "newsarchive/0.1"
    concurrent_requests_per_domain: int = 2
    download_delay: float = 1.0
    autothrottle: bool = True
    autothrottle_target_concurrency: float = 1.0
    retry_times: int = 2


@dataclass(frozen=True)
class Discovery:
    start_urls: tuple[str, ...]
    article_pattern: re.Pattern[str]
    article_page_pattern: re.Pattern[str]
    list_pattern: re.Pattern[str]
    max_list_pages: int = 200
    url_date_pattern: re.Pattern[str] | None = None  # groups year, month, day: an article's date from its URL
    sitemaps: tuple[str, ...] = ()  # sitemap.xml (or sitemap index) addresses read like lists
    feeds: tuple[str, ...] = ()  # RSS / Atom feeds read like lists
    dated_lists: tuple[str, ...] = ()  # list pages per day, "{date:%Y/%m/%d}" in the URL: read by backfills


@dataclass(frozen=True)
class RevisitRule:
    younger_than_days: float
    every_hours: float  # 0: every run


@dataclass(frozen=True)
class Incremental:
    """When a crawl fetches an article it already holds again, and how far it pages back.

    A known article is revisited when the first rule whose age bound it is younger than
    (age from its published time, else from when the crawl first met it) says it is due;
    older than every rule: never, unless asked (--revisit-all). New URLs are always
    fetched, failures that may pass (timeouts, 5xx …) are retried every run.
    """

    revisit: tuple[RevisitRule, ...] = (RevisitRule(3, 0), RevisitRule(30, 24))
    horizon_days: float = 30  # stop paging a section at a page whose articles are all known and older
    partial_failure_share: float = 0.2  # a run with more article failures than this share is "partial"


@dataclass(frozen=True)
class SiteProfile:
    name: str
    path: Path
    domains: tuple[str, ...]
    rules: SiteRules
    discovery: Discovery
    politeness: Politeness = field(default_factory=Politeness)
    incremental: Incremental = field(default_factory=Incremental)

    @property
    def origin(self) -> str:
        return self.rules.origin

    @property
    def timezone(self) -> str:
        return self.rules.timezone


def profile_for_url(url: str, directory: Path = PROFILE_DIR) -> SiteProfile | None:
    """The profile whose domains include the URL's host, if any."""
    host = (urlsplit(url).hostname or "").lower()
    for name in available_profiles(directory):
        try:
            profile = load_profile(name, directory)
        except ProfileError:
            continue
        if host in {d.lower() for d in profile.domains}:
            return profile
    return None


def available_profiles(directory: Path = PROFILE_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.toml"))


def load_profile(name: str, directory: Path = PROFILE_DIR) -> SiteProfile:
    """The profile called ``name`` (a file ``<name>.toml``), or a path to a TOML file."""
    path = Path(name)
    if path.suffix != ".toml":
        path = directory / f"{name}.toml"
        if not path.exists():
            known = ", ".join(available_profiles(directory)) or "none"
            raise ProfileError(f"unknown site {name!r}: no profile {path.name} (known sites: {known})")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError(f"profile file {path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"profile {path} is not valid TOML: {exc}") from None
    return parse_profile(raw, path)


class _Reader:
    """Typed access to one table of the TOML document, with errors that name the key."""

    def __init__(self, path: Path, table: str, data: object):
        self.path, self.table = path, table
        if not isinstance(data, dict):
            raise ProfileError(f"{path.name}: [{table}] is missing; add the table")
        self.data = data

    def fail(self, key: str, problem: str) -> ProfileError:
        return ProfileError(f"{self.path.name}: [{self.table}] {key} {problem}")

    def get(self, key: str, kind: type | tuple[type, ...], default: object = ...):
        if key not in self.data:
            if default is ...:
                raise self.fail(key, "is required")
            return default
        value = self.data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise self.fail(key, f"must be a {names}, not {type(value).__name__}")
        return value

    def strings(self, key: str, default: object = ...) -> tuple[str, ...]:
        value = self.get(key, list, default)
        if not all(isinstance(item, str) for item in value):
            raise self.fail(key, "must be a list of strings")
        return tuple(value)

    def regex(self, key: str, default: object = ...) -> re.Pattern[str]:
        value = self.get(key, str, default)
        try:
            with warnings.catch_warnings():  # a FutureWarning is not the user's problem to read
                warnings.simplefilter("ignore")
                return re.compile(value)
        except re.error as exc:
            raise self.fail(key, f"is not a valid regular expression ({exc})") from None


def _url(reader: _Reader, key: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise reader.fail(key, f"must hold absolute http(s) URLs, not {value!r}")
    return value


def _dated(reader: _Reader, template: str) -> str:
    """A URL with the day in it as {date:<strftime format>}, e.g. …/system/{date:%Y/%m/%d}/."""
    try:
        example = template.format(date=date(2024, 6, 14))
    except (KeyError, IndexError, ValueError, AttributeError):
        example = None
    if example is None or example == template or "{date:" not in template:
        raise reader.fail("dated_lists", f"entries need the day as {{date:%Y/%m/%d}} (or another strftime format), "
                                         f"not {template!r}")
    return _url(reader, "dated_lists", example) and template


def _templates(path: Path, raw: object) -> tuple[Template, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ProfileError(f"{path.name}: templates must be an array of tables ([[templates]])")
    names = {f.name for f in fields(Template)}
    templates = []
    for index, table in enumerate(raw):
        reader = _Reader(path, f"templates #{index + 1}", table)
        unknown = set(table) - names
        if unknown:
            raise reader.fail(", ".join(sorted(unknown)), f"unknown; allowed keys: {', '.join(sorted(names))}")
        values = {key: reader.get(key, str) for key in table}
        if "url_pattern" in values:
            reader.regex("url_pattern")
        for key, value in values.items():
            if key not in ("name", "url_pattern"):
                try:
                    GenericTranslator().css_to_xpath(value)
                except SelectorError as exc:
                    raise reader.fail(key, f"is not a valid CSS selector ({exc})") from None
        for key in ("name", "signature", "title", "body"):
            if key not in values:
                raise reader.fail(key, "is required")
        templates.append(Template(**values))
    return tuple(templates)


_KEYS = {
    "site": {"name", "outlet", "self_outlet_aliases", "site_names", "origin", "domains", "timezone", "language",
             "default_charset"},
    "politeness": {f.name for f in fields(Politeness)},
    "discovery": {"start_urls", "article_pattern", "article_page_pattern", "list_pattern", "max_list_pages",
                  "tracking_params", "url_date_pattern", "sitemaps", "feeds", "dated_lists"},
    "incremental": {"revisit", "horizon_days"},
    "alerts": {"partial_failure_share"},
    "extraction": {"remove", "boilerplate_markers", "removal_markers"},
}


def _no_typos(raw: dict, path: Path) -> None:
    """A misspelt table or key would be silently ignored (robots obeyed or not!): refuse it."""
    unknown = set(raw) - set(_KEYS) - {"sections", "templates"}
    if unknown:
        raise ProfileError(f"{path.name}: unknown table(s) {', '.join(sorted(unknown))}; "
                           f"known: {', '.join(sorted([*_KEYS, 'sections', 'templates']))}")
    for table, allowed in _KEYS.items():
        if isinstance(raw.get(table), dict):
            extra = set(raw[table]) - allowed
            if extra:
                raise ProfileError(f"{path.name}: [{table}] unknown key(s) {', '.join(sorted(extra))}; "
                                   f"allowed: {', '.join(sorted(allowed))}")


def parse_profile(raw: dict, path: Path) -> SiteProfile:
    _no_typos(raw, path)
    site = _Reader(path, "site", raw.get("site"))
    name = site.get("name", str)
    origin = _url(site, "origin", site.get("origin", str)).rstrip("/")
    timezone = site.get("timezone", str, "Asia/Shanghai")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise site.fail("timezone", f"{timezone!r} is not an IANA time zone (e.g. Asia/Shanghai)") from None
    domains = site.strings("domains", (urlsplit(origin).hostname,))

    discovery_reader = _Reader(path, "discovery", raw.get("discovery"))
    start_urls = tuple(_url(discovery_reader, "start_urls", u) for u in discovery_reader.strings("start_urls"))
    if not start_urls:
        raise discovery_reader.fail("start_urls", "must list at least one section page")
    url_date = discovery_reader.regex("url_date_pattern", None) if "url_date_pattern" in discovery_reader.data else None
    if url_date is not None and not {"year", "month", "day"} <= set(url_date.groupindex):
        raise discovery_reader.fail("url_date_pattern", "needs named groups (?P<year>…), (?P<month>…) and (?P<day>…)")
    discovery = Discovery(
        start_urls=start_urls,
        article_pattern=discovery_reader.regex("article_pattern"),
        article_page_pattern=discovery_reader.regex("article_page_pattern", r"^(?!)"),
        list_pattern=discovery_reader.regex("list_pattern"),
        max_list_pages=discovery_reader.get("max_list_pages", int, 200),
        url_date_pattern=url_date,
        sitemaps=tuple(_url(discovery_reader, "sitemaps", u) for u in discovery_reader.strings("sitemaps", ())),
        feeds=tuple(_url(discovery_reader, "feeds", u) for u in discovery_reader.strings("feeds", ())),
        dated_lists=tuple(_dated(discovery_reader, u) for u in discovery_reader.strings("dated_lists", ())),
    )
    if "base" not in discovery.article_page_pattern.groupindex and discovery.article_page_pattern.pattern != r"^(?!)":
        raise discovery_reader.fail("article_page_pattern", "needs a named group (?P<base>…) for the article's first page")
    if discovery.max_list_pages < 1:
        raise discovery_reader.fail("max_list_pages", "must be at least 1")

    politeness_reader = _Reader(path, "politeness", raw.get("politeness", {}))
    defaults = Politeness()
    politeness = Politeness(
        **{
            f.name: politeness_reader.get(f.name, type(getattr(defaults, f.name)), getattr(defaults, f.name))
            for f in fields(Politeness)
        }
    )
    for key in ("concurrent_requests_per_domain", "download_delay", "retry_times", "autothrottle_target_concurrency"):
        if getattr(politeness, key) < 0 or (key == "concurrent_requests_per_domain" and politeness.concurrent_requests_per_domain < 1):
            raise politeness_reader.fail(key, "must not be negative (and at least 1 request at a time)")
    default_charset = site.get("default_charset", str, None)
    if default_charset:
        try:
            codecs.lookup(default_charset)
        except LookupError:
            raise site.fail("default_charset", f"{default_charset!r} is not a known charset (e.g. gb18030)") from None

    sections_raw = raw.get("sections", {})
    if not isinstance(sections_raw, dict) or not all(isinstance(v, str) for v in sections_raw.values()):
        raise ProfileError(f"{path.name}: [sections] must map URL path prefixes to section names")
    extraction = _Reader(path, "extraction", raw.get("extraction", {}))
    rules = SiteRules(
        site=name,
        outlet=site.get("outlet", str),
        origin=origin,
        timezone=timezone,
        language=site.get("language", str, "zh"),
        self_outlet_aliases=site.strings("self_outlet_aliases", ("本网", "本站")),
        site_names=site.strings("site_names", ()),
        sections=tuple(sorted(sections_raw.items(), key=lambda kv: -len(kv[0]))),
        templates=_templates(path, raw.get("templates")),
        boilerplate_markers=extraction.strings("boilerplate_markers", ()),
        remove_selectors=extraction.strings("remove", ()),
        tracking_params=discovery_reader.strings("tracking_params", ()),
        default_charset=default_charset,
        **({"removal_markers": extraction.strings("removal_markers")} if "removal_markers" in extraction.data else {}),
    )
    return SiteProfile(
        name=name, path=path, domains=domains, rules=rules, discovery=discovery, politeness=politeness,
        incremental=_incremental(path, raw.get("incremental", {}), raw.get("alerts", {})),
    )


def _incremental(path: Path, raw: object, alerts_raw: object) -> Incremental:
    reader, alerts = _Reader(path, "incremental", raw), _Reader(path, "alerts", alerts_raw)
    defaults = Incremental()
    rules = defaults.revisit
    if "revisit" in reader.data:
        value = reader.get("revisit", list)
        rules = []
        for index, rule in enumerate(value):
            if not isinstance(rule, dict) or set(rule) != {"younger_than_days", "every_hours"}:
                raise reader.fail(f"revisit #{index + 1}", "must be {younger_than_days = N, every_hours = N}")
            item = _Reader(path, f"incremental] [revisit #{index + 1}", rule)
            young, every = item.get("younger_than_days", float), item.get("every_hours", float)
            if young <= 0 or every < 0:
                raise reader.fail(f"revisit #{index + 1}", "needs younger_than_days > 0 and every_hours >= 0")
            rules.append(RevisitRule(young, every))
        if [r.younger_than_days for r in rules] != sorted(r.younger_than_days for r in rules):
            raise reader.fail("revisit", "rules must go from the youngest articles to the oldest")
        rules = tuple(rules)
    horizon = reader.get("horizon_days", float, defaults.horizon_days)
    share = alerts.get("partial_failure_share", float, defaults.partial_failure_share)
    if horizon < 0:
        raise reader.fail("horizon_days", "must not be negative")
    if not 0 <= share <= 1:
        raise alerts.fail("partial_failure_share", "must be between 0 and 1")
    return Incremental(revisit=rules, horizon_days=horizon, partial_failure_share=share)
