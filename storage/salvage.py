"""Captures a killed crawl wrote to WARC but never got to record: the next run reads them
from the file instead of fetching them again.

A crawl writes each response to WARC as it arrives and records it in the database once
extracted; a crawl killed in between leaves responses that are archived but unknown to
the archive's tables (and to the crawl state). Runs closed as ``crashed`` (storage.locks)
are searched for such ``response`` records; the run that uses them marks those runs
``salvaged_by`` itself when it ends, so they are searched once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from .models import CrawlRun, Fetch
from .warc import Location, iter_records


@dataclass(frozen=True)
class Unrecorded:
    run_id: int
    base_url: str | None  # where that run fetched the site from (None: its origin)
    target_uri: str  # as fetched
    location: Location
    fetched_at: datetime
    status: int


def crashed_runs(sessions: sessionmaker[Session], site_id: int) -> list[tuple[int, str | None]]:
    """Killed runs of the site whose captures no later run has searched yet."""
    with sessions() as session:
        rows = session.execute(select(CrawlRun.id, CrawlRun.base_url, CrawlRun.summary)
                               .where(CrawlRun.site_id == site_id, CrawlRun.outcome == "interrupted")
                               .order_by(CrawlRun.id)).all()
    return [(run_id, base) for run_id, base, summary in rows
            if summary and summary.get("crashed") and not summary.get("salvaged_by")]


def unrecorded_captures(sessions: sessionmaker[Session], warc_dir: Path, site: str,
                        runs: list[tuple[int, str | None]]) -> list[Unrecorded]:
    """The response records of ``runs`` that no fetch row points at, oldest first."""
    if not runs:
        return []
    found = []
    for run_id, base_url in runs:
        # <site>-<run>-<5-digit sequence>.warc.gz: the sequence's shape keeps site "qh" off "qh-1"'s files
        for path in sorted(Path(warc_dir).glob(f"{site}-{run_id}-[0-9][0-9][0-9][0-9][0-9].warc.gz")):
            for record in iter_records(path, content=False):
                if record.rec_type != "response":
                    continue
                record_id = record.rec_headers.get_header("WARC-Record-ID")
                found.append(Unrecorded(
                    run_id=run_id, base_url=base_url, target_uri=record.rec_headers.get_header("WARC-Target-URI"),
                    location=Location(path.name, record.offset, record.length, record_id, "response",
                                      record.rec_headers.get_header("WARC-Payload-Digest")),
                    fetched_at=datetime.fromisoformat(record.rec_headers.get_header("WARC-Date").replace("Z", "+00:00")),
                    status=int(record.http_headers.get_statuscode() or 0),
                ))
    recorded: set[str] = set()  # by the run itself, or by a later one that read it back
    ids = [capture.location.record_id for capture in found]
    with sessions() as session:
        for start in range(0, len(ids), 500):
            recorded.update(session.scalars(select(Fetch.warc_record_id).where(
                Fetch.warc_record_id.in_(ids[start:start + 500]))))
    return [capture for capture in found if capture.location.record_id not in recorded]


def replayable(captures: list[Unrecorded], site_url: Callable[[Unrecorded], str],
               last_fetched: Mapping[str, datetime | None]) -> dict[str, Unrecorded]:
    """The captures worth reading back, by site URL: answers (200) newer than the archive's last
    fetch of their URL (a later run may have fetched the page again: its answer stands), the
    newest of several."""
    found: dict[str, Unrecorded] = {}
    for capture in captures:
        if capture.status != 200:
            continue
        url = site_url(capture)
        last = last_fetched.get(url)
        if (last is None or capture.fetched_at > last) and (url not in found or capture.fetched_at > found[url].fetched_at):
            found[url] = capture
    return found


def mark_salvaged(sessions: sessionmaker[Session], run_ids: list[int], by_run: int) -> None:
    with sessions.begin() as session:
        for run in session.scalars(select(CrawlRun).where(CrawlRun.id.in_(run_ids))):
            run.summary = {**(run.summary or {}), "salvaged_by": by_run}
