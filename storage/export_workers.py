"""Exports on every core: chunks of articles encoded by worker processes, written in order.

Building a record is Python work (decoding the stored JSON and times, converting times to
the site's zone, encoding the line): about 80 µs an article on one core, where threads
gain nothing (the GIL). A large JSON Lines or CSV export therefore hands chunks of
``CHUNK`` articles (by id) to worker processes, each with its own connection, and writes
their bytes in id order: the file is byte for byte the one a single process writes.

Each chunk is read in its own transaction. On an archive that a crawl writes to meanwhile,
every selected article is still written exactly once (chunks are disjoint ranges of ids),
each as some chunk read it; a recorded dump's high-water marks are read before any chunk,
so whatever changes meanwhile comes again in the next incremental dump. One record per story
(``--one-per-story``) and Parquet stay in one process: choosing a story's representative
needs one view of the whole selection.
"""

from __future__ import annotations

import collections
import multiprocessing
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from .export import ArticleFilter, iter_records
from .models import Article

WORKERS_ENV = "NEWSARCHIVE_EXPORT_WORKERS"  # worker processes; 0 or 1: export in one process
PARALLEL_MIN = 20_000  # ids spanned (or listed): below, starting the workers costs more than they save
CHUNK = 1000  # articles per chunk: what a worker holds, and the unit of order


def workers_wanted() -> int:
    """From NEWSARCHIVE_EXPORT_WORKERS, else one per core (at most 4); ValueError names the setting."""
    raw = os.environ.get(WORKERS_ENV, "").strip()
    if not raw:
        return min(os.cpu_count() or 1, 4)
    try:
        wanted = int(raw)
    except ValueError:
        raise ValueError(f"{WORKERS_ENV}={raw!r}: give a number of worker processes (0 or 1: none)") from None
    if wanted < 0:
        raise ValueError(f"{WORKERS_ENV}={raw!r}: give a number of worker processes (0 or 1: none)")
    return wanted


@dataclass(frozen=True)
class RecordSource:
    """What an export writes: the selected articles' records, in id order. Iterating gives the
    records in this process; ``encoded`` gives them encoded by worker processes when that pays."""

    sessions: sessionmaker[Session]
    where: ArticleFilter = ArticleFilter()
    one_per_story: bool = False
    ids: frozenset[int] | None = None

    def __iter__(self) -> Iterator[dict]:
        return iter_records(self.sessions, self.where, one_per_story=self.one_per_story, ids=self.ids)

    def encoded(self, encode: Callable[[list[dict]], bytes]) -> Iterator[tuple[bytes, int]] | None:
        """(bytes, records) chunk by chunk in id order, made by worker processes; None when this
        export is better made in one process (small, one per story, or workers switched off).
        ``encode`` must be a module-level function (it is sent to the workers)."""
        workers = workers_wanted()
        if workers < 2 or self.one_per_story:
            return None
        tasks = self._tasks()
        if tasks is None:
            return None
        engine_url = self.sessions.kw["bind"].url
        if engine_url.get_backend_name() == "sqlite" and engine_url.database in (None, "", ":memory:"):
            return None  # an in-memory archive exists in this process only
        url = engine_url.render_as_string(hide_password=False)
        return _run(url, self.where, encode, tasks, workers)

    def _tasks(self) -> list | None:
        """Disjoint id chunks in ascending order: lists of ids, or [low, high) ranges."""
        if self.ids is not None:
            if len(self.ids) < PARALLEL_MIN:
                return None
            ordered = sorted(self.ids)
            return [(ordered[at:at + CHUNK], None) for at in range(0, len(ordered), CHUNK)]
        with self.sessions() as session:
            low, high = session.execute(select(func.min(Article.id), func.max(Article.id))).one()
        if low is None or high - low < PARALLEL_MIN:
            return None
        return [(None, (start, start + CHUNK)) for start in range(low, high + 1, CHUNK)]


def _run(url: str, where: ArticleFilter, encode, tasks: list, workers: int) -> Iterator[tuple[bytes, int]]:
    # spawn, not fork: the exporting process may hold threads (the file's writer) and connections
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=_start, initargs=(url,)) as pool:
        pending: collections.deque = collections.deque()
        queued = iter(tasks)
        for task in queued:  # a few chunks ahead per worker, no more: memory stays flat
            pending.append(pool.apply_async(_chunk, (where, encode, *task)))
            if len(pending) >= 3 * workers:
                break
        while pending:
            done = pending.popleft().get()
            task = next(queued, None)
            if task is not None:
                pending.append(pool.apply_async(_chunk, (where, encode, *task)))
            if done[1]:
                yield done


_SESSIONS: sessionmaker[Session] | None = None


def _start(url: str) -> None:
    """A worker's own engine: a connection never crosses processes."""
    global _SESSIONS
    from .db import make_engine

    _SESSIONS = sessionmaker(make_engine(url))


def _chunk(where: ArticleFilter, encode, ids: list[int] | None, id_range: tuple[int, int] | None) -> tuple[bytes, int]:
    records = list(iter_records(_SESSIONS, where, batch=CHUNK, ids=ids, id_range=id_range))
    return (encode(records) if records else b""), len(records)
