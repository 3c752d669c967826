"""Offline re-extraction: read each article's archived capture back from WARC, extract it
again with today's extractor, and add a version only where the result changed.

No network. The work is split three ways so that both cores stay busy: the parent
plans (one query), worker processes read WARC and extract (the CPU-bound part), and the
parent writes the results in batches while the workers go on. The capture re-read is
the one the article's current version came from (``articles.warc_record_id``), with
every page of it, in order.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipelines.extraction import ExtractionFailed, RawPage, SiteRules, extract_article
from storage.export import ArticleFilter, filtered
from storage.models import Article, Fetch, Site
from storage.outcomes import Outcome, Reason
from storage.repository import Archive
from storage.versions import record_hash
from storage.warc import read_payload

BATCH = 64  # results written per transaction


@dataclass(frozen=True)
class PageRef:
    file: str
    offset: int
    site_url: str
    fetched_at: datetime


@dataclass(frozen=True)
class Job:
    article_id: int
    site: str
    pages: tuple[PageRef, ...]
    known_hash: str | None = None  # what is stored now: a result equal to it need not travel back
    known_extraction: dict[str, Any] | None = None


@dataclass
class Result:
    article_id: int
    record: dict[str, Any] | None = None  # None: unchanged (same fields, same audit), or failed
    reason: str | None = None  # why it failed
    detail: str | None = None
    pages: int = 0


@dataclass
class Report:
    articles: int = 0
    pages: int = 0
    unchanged: int = 0
    changed: int = 0
    failed: Counter = field(default_factory=Counter)  # reason -> count
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"articles": self.articles, "pages": self.pages, "unchanged": self.unchanged, "changed": self.changed,
                "failed": dict(self.failed), "seconds": round(self.seconds, 2)}


def plan(sessions: sessionmaker[Session], where: ArticleFilter = ArticleFilter()) -> list[Job]:
    """One job per article that has an archived capture: its pages' WARC locations, in order."""
    with sessions() as session:
        chosen = filtered(session, select(Article.id), where).scalar_subquery()
        articles = session.execute(
            select(Article.id, Article.warc_record_id, Site.name, Article.record_hash, Article.extraction, Article.url)
            .join(Site, Site.id == Article.site_id).where(Article.id.in_(chosen)).order_by(Article.id)
        ).all()
        rows = session.execute(
            select(Fetch.id, Fetch.article_id, Fetch.run_id, Fetch.page_number, Fetch.warc_record_id,
                   Fetch.payload_file, Fetch.payload_offset, Fetch.site_url, Fetch.fetched_at)
            .where(Fetch.kind == "article", Fetch.article_id.in_(chosen), Fetch.payload_file.is_not(None),
                   Fetch.outcome.in_([Outcome.STORED, Outcome.UNCHANGED, Outcome.CHANGED]))
            .order_by(Fetch.article_id, Fetch.id)
        ).all()
    by_article: dict[int, list] = {}
    for row in rows:
        by_article.setdefault(row.article_id, []).append(row)
    jobs = []
    for article_id, record_id, site, known_hash, known_extraction, url in articles:
        pages = _capture(by_article.get(article_id, []), record_id, url)
        if pages:
            jobs.append(Job(article_id, site, pages, known_hash, known_extraction))
    return jobs


def _capture(rows: list, record_id: str | None, url: str) -> tuple[PageRef, ...]:
    """The pages of the capture the current version was read from: the one whose first page's
    record is ``record_id``; without one (archived before versions were), the latest capture
    of the article's own URL, never an alias's."""
    starts = [i for i, r in enumerate(rows) if r.page_number == 1]
    chosen = next((i for i in starts if record_id and rows[i].warc_record_id == record_id), None)
    if chosen is None:
        own = [i for i in starts if rows[i].site_url == url]
        if not own:
            return ()
        chosen = own[-1]
    pages = [rows[chosen]]
    for row in rows[chosen + 1:]:  # later pages follow their first page in the same run
        if row.run_id != pages[0].run_id or row.page_number != pages[-1].page_number + 1:
            break
        pages.append(row)
    return tuple(PageRef(r.payload_file, r.payload_offset, r.site_url, r.fetched_at) for r in pages)


# -- the worker side: pure but for reading WARC files ----------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(warc_dir: str, rules: dict[str, SiteRules]) -> None:
    _WORKER["warc_dir"] = Path(warc_dir)
    _WORKER["rules"] = rules


def _run(job: Job) -> Result:
    result = Result(job.article_id, pages=len(job.pages))
    try:
        raw = []
        for page in job.pages:
            payload = read_payload(_WORKER["warc_dir"], page.file, page.offset)
            raw.append(RawPage(page.site_url, payload.body, payload.headers.get("content-type"), page.fetched_at))
    except Exception as exc:  # noqa: BLE001 - a missing file, a damaged record (zlib, warcio): reported, nothing changed
        result.reason, result.detail = Reason.WARC_UNREADABLE, f"{type(exc).__name__}: {exc}"[:500]
        return result
    try:
        record = extract_article(raw, _WORKER["rules"][job.site]).to_record()
        if record_hash(record) != job.known_hash or record["extraction"] != job.known_extraction:
            result.record = record  # only what changed crosses back to the parent
    except ExtractionFailed as exc:
        result.reason, result.detail = exc.reason, exc.detail
    except Exception as exc:  # noqa: BLE001 - one bad capture must not stop the others
        result.reason, result.detail = Reason.EXTRACTION_ERROR, f"{type(exc).__name__}: {exc}"[:500]
    return result


def _results(jobs: list[Job], warc_dir: Path, rules: dict[str, SiteRules], workers: int) -> Iterator[Result]:
    if workers <= 1:  # in process: no pickling, nothing to start
        _init_worker(str(warc_dir), rules)
        yield from map(_run, jobs)
        return
    chunk = max(1, min(32, len(jobs) // (workers * 8) or 1))
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(str(warc_dir), rules)) as pool:
        yield from pool.map(_run, jobs, chunksize=chunk)


def _batches(items: Iterable[Result], size: int) -> Iterator[list[Result]]:
    batch: list[Result] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def reextract(
    sessions: sessionmaker[Session],
    warc_dir: Path,
    rules: dict[str, SiteRules],
    where: ArticleFilter = ArticleFilter(),
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Re-extract every matching article of the sites in ``rules`` (site name -> rules) from WARC;
    returns the counts."""
    started = datetime.now(timezone.utc)
    jobs = [job for job in plan(sessions, where) if job.site in rules]  # sites without rules are left out
    report = Report(articles=len(jobs))
    archive = Archive(sessions)
    workers = workers or os.cpu_count() or 1
    done = 0
    for batch in _batches(_results(jobs, warc_dir, rules, workers), BATCH):
        revised = [(r.article_id, r.record) for r in batch if r.record is not None]
        outcomes = archive.revise_many(revised, started) if revised else []
        failures = [(r.article_id, r.reason, r.detail) for r in batch if r.reason is not None]
        if failures:
            archive.note_reextract_failures(failures, started)
        for result in batch:
            report.pages += result.pages
            if result.reason is not None:
                report.failed[result.reason] += 1
            elif result.record is None:
                report.unchanged += 1
        report.unchanged += outcomes.count(Outcome.UNCHANGED)  # the same fields, a refreshed audit
        report.changed += outcomes.count(Outcome.CHANGED)
        done += len(batch)
        if progress:
            progress(done, len(jobs))
    report.seconds = (datetime.now(timezone.utc) - started).total_seconds()
    return report
