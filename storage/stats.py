"""Counts about the archive, for `newsarchive stats`, `newsarchive report` and the crawl summary.

``coverage`` aggregates in SQL: every count is a GROUP BY, and articles per calendar day are
grouped on the day in their site's own time zone computed by the database (storage.dialect.
local_day), so nothing is read per article; only the (site, section, day) counts come back.
Gaps are then found in Python from those counts.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, distinct, func, select, true
from sqlalchemy.orm import Session, sessionmaker

from . import dialect
from .export import ArticleFilter, filtered
from .models import Article, ArticleUrl, CrawlRun, Site


def recent_runs(sessions: sessionmaker[Session], site: str | None = None, last: int = 10) -> list[dict[str, Any]]:
    with sessions() as session:
        query = select(CrawlRun, Site.name).join(Site, Site.id == CrawlRun.site_id).order_by(CrawlRun.id.desc()).limit(last)
        if site:
            query = query.where(Site.name == site)
        return [
            {
                "id": run.id,
                "site": name,
                "started_at": run.started_at,
                "finished_at": run.finished_at,
                "outcome": run.outcome,
                "base_url": run.base_url,
                "summary": run.summary or {},
            }
            for run, name in session.execute(query)
        ]


def run_record(sessions: sessionmaker[Session], run_id: int) -> dict[str, Any]:
    with sessions() as session:
        run = session.get(CrawlRun, run_id)
        site = session.get(Site, run.site_id)
        return {"id": run.id, "site": site.name, "outcome": run.outcome, "summary": run.summary or {}}


def archive_shape(sessions: sessionmaker[Session]) -> dict[frozenset[str], tuple[str, int, bool]]:
    """What a researcher gets, independent of ids and of the order pages were fetched in:
    each article as the set of its URLs, with its text hash, number of versions and whether
    it is still on the site. Two archives of the same site are equal when these are."""
    from .models import ArticleVersion

    with sessions() as session:
        urls: dict[int, set[str]] = {}
        for article_id, url in session.execute(select(ArticleUrl.article_id, ArticleUrl.url)):
            urls.setdefault(article_id, set()).add(url)
        versions = dict(session.execute(
            select(ArticleVersion.article_id, func.count()).group_by(ArticleVersion.article_id)).all())
        return {frozenset(urls.get(a.id, ())): (a.content_hash, versions.get(a.id, 0), a.removed_at is None)
                for a in session.scalars(select(Article))}


# -- coverage: counts per bucket, fill rates, gaps, duplicates merged ----------------------------------

BUCKETS = ("day", "section", "outlet", "author")
NONE = "(none)"  # how a missing section or outlet is shown

# Offsets are followed day by day between these; beyond them (no news site printed such dates:
# a misread year) the offset at the edge is kept.
_EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
_LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)


class UnknownSite(ValueError):
    """--site names no site of the archive."""


@dataclass(frozen=True)
class Gap:
    """Consecutive days without any article in one section of one site."""

    site: str
    section: str
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass
class Coverage:
    """What a selection of the archive covers (see ``coverage``)."""

    site: str | None
    since: date | None
    until: date | None
    articles: int = 0  # selected (with --since/--until: dated within the range)
    undated: int = 0  # of the selected sites, without a publication time (no day to count them on)
    sites: list[dict[str, Any]] = field(default_factory=list)  # name, outlet, timezone, articles
    daily: list[tuple[str, str | None, date, int]] = field(default_factory=list)  # (site, section, local day, articles)
    by_section: list[tuple[str | None, int]] = field(default_factory=list)
    by_outlet: list[tuple[str | None, int]] = field(default_factory=list)
    by_author: list[tuple[str, int]] = field(default_factory=list)
    filled: dict[str, int] = field(default_factory=dict)
    quality_flags: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    syndication: list[dict[str, Any]] = field(default_factory=list)  # per site: multi-copy stories carried
    sections: list[dict[str, Any]] = field(default_factory=list)  # per (site, section): its range and gaps
    gaps: list[Gap] = field(default_factory=list)

    @property
    def first_day(self) -> date | None:
        return min((d for *_k, d, _n in self.daily), default=None)

    @property
    def last_day(self) -> date | None:
        return max((d for *_k, d, _n in self.daily), default=None)

    def buckets(self, by: str) -> list[tuple[str, int]]:
        """Articles per bucket: per local day (oldest first), else per section, 来源 outlet or
        author (most articles first; an article counts once for each of its authors)."""
        if by == "day":
            days: Counter[date] = Counter()
            for _site, _section, day, count in self.daily:
                days[day] += count
            return [(day.isoformat(), days[day]) for day in sorted(days)]
        rows = {"section": self.by_section, "outlet": self.by_outlet, "author": self.by_author}[by]
        return [(name if name else NONE, count) for name, count in rows]

    def fill_rates(self) -> dict[str, tuple[int, float]]:
        return {name: (count, count / self.articles if self.articles else 0.0) for name, count in self.filled.items()}

    def facts(self, by: str | None = None) -> dict[str, Any]:
        """Everything as plain JSON values (``stats --json``); with ``by``, its buckets too."""
        facts: dict[str, Any] = {
            "filter": {"site": self.site, "since": _iso(self.since), "until": _iso(self.until)},
            "articles": self.articles,
            "undated": self.undated,
            "first_day": _iso(self.first_day),
            "last_day": _iso(self.last_day),
            "sites": self.sites,
            "fill_rates": {name: {"articles": count, "share": round(share, 4)}
                           for name, (count, share) in self.fill_rates().items()},
            "quality_flags": self.quality_flags,
            "by_section": [{"section": name or NONE, "articles": count} for name, count in self.by_section],
            "by_outlet": [{"source_outlet": name or NONE, "articles": count} for name, count in self.by_outlet],
            "duplicates_merged": self.duplicates,
            "syndication": self.syndication,
            "sections": [{**s, "first": _iso(s["first"]), "last": _iso(s["last"])} for s in self.sections],
            "gaps": [{"site": g.site, "section": g.section, "first": g.first.isoformat(), "last": g.last.isoformat(),
                      "days": g.days} for g in self.gaps],
        }
        if by:
            facts["by"] = by
            facts["buckets"] = [{"bucket": name, "articles": count} for name, count in self.buckets(by)]
        return facts


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def utc_offsets(zone: ZoneInfo, first: datetime, last: datetime) -> list[tuple[datetime | None, int]]:
    """The zone's offsets from UTC over [first, last]: ``[(from, seconds east), …]`` in order, the
    first one ``from`` None (it holds before as well). Offsets are compared a day apart (a
    zone's offset lasts months) and each change is then found to the second."""
    low = min(max(first, _EARLIEST), _LATEST)
    high = max(min(last, _LATEST), low)

    def offset(moment: int) -> int:
        return int(datetime.fromtimestamp(moment, zone).utcoffset().total_seconds())

    start, end = int(low.timestamp()), int(high.timestamp())
    stretches: list[tuple[datetime | None, int]] = [(None, offset(start))]
    while start < end:
        step = min(start + 86_400, end)
        if offset(step) != stretches[-1][1]:
            before, after = start, step  # offset(before) is the current one, offset(after) is not
            while after - before > 1:
                middle = (before + after) // 2
                before, after = (middle, after) if offset(middle) == stretches[-1][1] else (before, middle)
            stretches.append((datetime.fromtimestamp(after, timezone.utc), offset(after)))
        start = step
    return stretches


def missing_runs(days: Iterable[date], first: date, last: date) -> list[tuple[date, date]]:
    """The runs of consecutive days from ``first`` to ``last`` (inclusive) that are not in ``days``."""
    runs, expected = [], first
    for day in sorted(d for d in set(days) if first <= d <= last):
        if day > expected:
            runs.append((expected, day - timedelta(days=1)))
        if day == last:
            return runs
        expected = day + timedelta(days=1)
    runs.append((expected, last))
    return runs


def coverage(sessions: sessionmaker[Session], site: str | None = None, since: date | None = None,
             until: date | None = None) -> Coverage:
    """What the archive (one site's, or all) covers between two days (inclusive, each site's own
    calendar; None or the ends of the calendar: no bound). Raises UnknownSite for a site it lacks."""
    since = since if since and since > date.min else None
    until = until if until and until < date.max else None
    where = ArticleFilter(site=site, since=since, until=until)
    result = Coverage(site=site, since=since, until=until)
    with sessions() as session:
        sites = {s.id: s for s in session.scalars(select(Site).order_by(Site.name)) if site in (None, s.name)}
        if site and not sites:
            raise UnknownSite(f"the archive has no site {site!r}")
        per_site = dict(session.execute(filtered(session, select(Article.site_id, func.count()), where)
                                        .group_by(Article.site_id)).all())
        result.articles = sum(per_site.values())
        result.sites = [{"name": s.name, "outlet": s.outlet, "timezone": s.timezone, "articles": per_site.get(i, 0)}
                        for i, s in sites.items()]
        result.undated = session.scalar(filtered(session, select(func.count()), dataclasses.replace(
            where, since=None, until=None)).where(Article.published_at.is_(None))) or 0
        result.daily = _daily(session, where, sites)
        result.by_section = _grouped(session, where, Article.section)
        result.by_outlet = _grouped(session, where, Article.source_outlet)
        result.by_author = _elements(session, where, Article.authors)
        result.quality_flags = dict(_elements(session, where, Article.quality_flags))
        result.filled = _filled(session, where)
        result.duplicates, result.syndication = _duplicates(session, where, sites)
        known = session.execute(filtered(session, select(Article.site_id, Article.section),
                                         ArticleFilter(site=site)).where(Article.section.is_not(None))
                                .group_by(Article.site_id, Article.section)).all()
        result.sections, result.gaps = section_gaps(
            result.daily, [(sites[i].name, section) for i, section in known], since, until)
    return result


def _daily(session: Session, where: ArticleFilter, sites: dict[int, Site]) -> list[tuple[str, str | None, date, int]]:
    """(site, section, local day, articles) of the dated selected articles, one query per time zone."""
    zones: dict[str, list[int]] = defaultdict(list)
    for site_id, site in sites.items():
        zones[site.timezone].append(site_id)
    rows = []
    for zone, ids in zones.items():
        dated = filtered(session, select(func.min(Article.published_at), func.max(Article.published_at)), where)
        first, last = session.execute(dated.where(Article.site_id.in_(ids))).one()
        if first is None:
            continue
        day = dialect.local_day(session, Article.published_at, zone, utc_offsets(ZoneInfo(zone), first, last))
        # grouped outside a subquery: PostgreSQL wants GROUP BY to repeat the expression, bound values included
        inner = filtered(session, select(Article.site_id, Article.section, day.label("day")), where).where(
            Article.site_id.in_(ids), Article.published_at.is_not(None)).subquery()
        rows += session.execute(select(inner.c.site_id, inner.c.section, inner.c.day, func.count())
                                .group_by(inner.c.site_id, inner.c.section, inner.c.day)).all()
    return sorted(((sites[i].name, section, date.fromisoformat(day), n) for i, section, day, n in rows),
                  key=lambda r: (r[2], r[0], r[1] or ""))


def _grouped(session: Session, where: ArticleFilter, column) -> list[tuple[str | None, int]]:
    counts: Counter[str | None] = Counter()
    for name, n in session.execute(filtered(session, select(column, func.count()), where).group_by(column)):
        counts[name or None] += n  # an empty name is no name
    return sorted(counts.items(), key=lambda r: (-r[1], r[0] or ""))


def _elements(session: Session, where: ArticleFilter, column) -> list[tuple[str, int]]:
    """Articles per element of a JSON list column (authors, flags): each article once per name."""
    elements = dialect.json_elements(session, column)
    query = select(elements.c.value, func.count(distinct(Article.id))).select_from(Article).join(elements, true())
    rows = session.execute(filtered(session, query, where).where(elements.c.value.is_not(None), elements.c.value != "")
                           .group_by(elements.c.value)).all()
    return sorted(((name, n) for name, n in rows), key=lambda r: (-r[1], r[0]))


def _filled(session: Session, where: ArticleFilter) -> dict[str, int]:
    """How many selected articles have each field, in one pass: a text field when not empty, the
    authors when the list names someone."""
    def counted(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    def text(column):
        return counted(and_(column.is_not(None), column != ""))

    columns = {"authors": counted(dialect.json_length(session, Article.authors) > 0),
               "source_outlet": text(Article.source_outlet), "published_at": func.count(Article.published_at),
               "editor": text(Article.editor), "section": text(Article.section), "column": text(Article.column)}
    values = session.execute(filtered(session, select(*columns.values()), where)).one()
    return {name: int(value or 0) for name, value in zip(columns, values)}


def _duplicates(session: Session, where: ArticleFilter, sites: dict[int, Site]):
    """Duplicates merged among the selected articles: alias URLs (same-site duplicate pages
    stored once) and copies grouped into stories that several archived copies share; and, per
    site, how many such stories it carries (as the original or as a copy)."""
    from .models import Story

    aliases, articles_with_aliases = session.execute(filtered(session, select(
        func.count(), func.count(distinct(ArticleUrl.article_id))).select_from(ArticleUrl).join(
        Article, Article.id == ArticleUrl.article_id), where).where(ArticleUrl.kind == "alias")).one()
    shared = (select(Article.story_id).where(Article.story_id.is_not(None)).group_by(Article.story_id)
              .having(func.count() > 1))  # stories of several copies anywhere in the archive
    per_story = filtered(session, select(Article.story_id, func.count().label("copies")), where).where(
        Article.story_id.in_(shared)).group_by(Article.story_id).subquery()
    stories, copies = session.execute(select(func.count(), func.coalesce(func.sum(per_story.c.copies), 0))).one()
    carried = session.execute(filtered(session, select(
        Article.site_id, func.count(distinct(Article.story_id)),
        func.coalesce(func.sum(case((Story.original_article_id == Article.id, 1), else_=0)), 0),
    ).join(Story, Story.id == Article.story_id), where).where(Article.story_id.in_(shared))
        .group_by(Article.site_id)).all()
    syndication = sorted(({"site": sites[i].name, "outlet": sites[i].outlet or sites[i].name, "stories": n,
                           "originals": int(originals), "copies": n - int(originals)} for i, n, originals in carried),
                         key=lambda r: (-r["stories"], r["site"]))
    return {
        "alias_urls": aliases or 0,
        "articles_with_aliases": articles_with_aliases or 0,
        "stories_with_copies": stories or 0,
        "articles_in_those_stories": int(copies or 0),
        "copies_beyond_first": int(copies or 0) - (stories or 0),
    }, syndication


def section_gaps(daily: Iterable[tuple[str, str | None, date, int]], sections: Iterable[tuple[str, str]],
                 since: date | None, until: date | None) -> tuple[list[dict[str, Any]], list[Gap]]:
    """Per (site, section): its range (``since``, else its first day; ``until``, else its last) and
    the runs of days in it without an article. A section without a dated article in the selection
    is missing over the whole range, from ``since`` / to ``until``, else the selection's first / last day."""
    days: dict[tuple[str, str], set[date]] = defaultdict(set)
    every_day = set()
    for site, section, day, _count in daily:
        every_day.add(day)
        if section is not None:
            days[site, section].add(day)
    summaries, gaps = [], []
    for site, section in sorted(set(days) | set(sections)):
        present = days.get((site, section), set())
        first = since or min(present or every_day, default=None)
        last = until or max(present or every_day, default=None)
        if first is None or last is None or first > last:
            continue
        runs = [Gap(site, section, a, b) for a, b in missing_runs(present, first, last)]
        gaps += runs
        summaries.append({"site": site, "section": section, "first": first, "last": last,
                          "days": (last - first).days + 1, "days_with_articles": len(present),
                          "days_missing": sum(g.days for g in runs), "gaps": len(runs),
                          "longest_gap": max((g.days for g in runs), default=0)})
    return summaries, gaps
