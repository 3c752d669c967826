"""Counts about the archive, for `newsarchive stats` and the crawl summary."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from .models import Article, ArticleUrl, CrawlRun, Site

FILLED_FIELDS = ("published_at", "source_outlet", "authors", "editor", "column", "section")


def archive_stats(sessions: sessionmaker[Session], site: str | None = None) -> dict[str, Any]:
    with sessions() as session:
        where = []
        if site:
            site_id = session.scalar(select(Site.id).where(Site.name == site))
            where.append(Article.site_id == (site_id or -1))
        total = session.scalar(select(func.count()).select_from(Article).where(*where)) or 0
        by_section = session.execute(
            select(Article.section, func.count()).where(*where).group_by(Article.section).order_by(func.count().desc())
        ).all()
        by_outlet = session.execute(
            select(Article.source_outlet, func.count())
            .where(*where)
            .group_by(Article.source_outlet)
            .order_by(func.count().desc())
            .limit(15)
        ).all()
        filled = {}
        for name in FILLED_FIELDS:
            column = getattr(Article, name)
            if name == "authors":
                rows = session.scalars(select(Article.authors).where(*where))
                filled[name] = sum(1 for authors in rows if authors)
            else:
                filled[name] = session.scalar(select(func.count(column)).where(*where)) or 0
        flags: dict[str, int] = {}
        for row in session.scalars(select(Article.quality_flags).where(*where, Article.quality_flags.is_not(None))):
            for flag in row or []:
                flags[flag] = flags.get(flag, 0) + 1
        aliases = session.scalar(
            select(func.count())
            .select_from(ArticleUrl)
            .join(Article, Article.id == ArticleUrl.article_id)
            .where(ArticleUrl.kind == "alias", *where)
        )
        return {
            "articles": total,
            "aliases": aliases or 0,
            "by_section": [(s or "(none)", n) for s, n in by_section],
            "by_outlet": [(o or "(none)", n) for o, n in by_outlet],
            "filled": {name: (count, count / total if total else 0.0) for name, count in filled.items()},
            "quality_flags": flags,
        }


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
