"""The near-duplicate detector's cost per article as the archive grows (used by dedup.py).

Synthetic archives are generated straight into a SQLite file: article rows with text,
their band keys and their stories, as the crawl would have left them. The text is a
character-level Markov chain (order 3) trained on the replica's hand-written corpus:
Chinese news vocabulary and phrasing, each article new. It shares more 5-character
shingles between unrelated articles than real reports do (resemblance p99 ≈ 0.02
against 0.004 on the corpus itself), so it makes more LSH candidates than a real
archive would: a pessimistic background. One in ten generated articles is a trimmed
copy of an earlier one, in the same story, as syndication leaves them.

Band keys are computed with the detector's own fingerprint (two worker processes);
the archive is grown 10k -> 100k -> 1M and kept (``--cache``) so that a second run
measures without regenerating.
"""

from __future__ import annotations

import collections
import multiprocessing
import random
import statistics
import time
import tracemalloc
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, insert, select

from scraper.replica.corpus import load_corpus
from storage.db import open_archive
from storage.models import Article, ArticleBand, CrawlRun, Site, Story
from storage.similarity import fingerprint
from storage.stories import StoryIndex, story_uid

ORDER = 3
EPOCH = datetime(2020, 1, 1, tzinfo=timezone.utc)
_MODEL: tuple[dict[str, list[str]], list[str]] | None = None


def _model() -> tuple[dict[str, list[str]], list[str]]:
    global _MODEL
    if _MODEL is None:
        model = collections.defaultdict(list)
        for article in load_corpus():
            body = "\x02" * ORDER + article.body
            for i in range(ORDER, len(body)):
                model[body[i - ORDER : i]].append(body[i])
        _MODEL = dict(model), list(model)
    return _MODEL


def markov_text(rng: random.Random, length: int) -> str:
    model, keys = _model()
    out, state = [], rng.choice(keys)
    while len(out) < length:
        following = model.get(state)
        if not following:
            state = rng.choice(keys)
            continue
        char = rng.choice(following)
        out.append(char)
        state = (state + char)[-ORDER:]
    # paragraphs as extraction leaves them
    text_ = "".join(out)
    return "\n\n".join(text_[i : i + 160] for i in range(0, len(text_), 160))


def trimmed_copy(rng: random.Random, original: str) -> str:
    """A republished copy: up to 30% of paragraphs dropped, a note added."""
    paragraphs = original.split("\n\n")
    dropped = set(rng.sample(range(len(paragraphs)), int(rng.uniform(0, 0.3) * len(paragraphs))))
    keep = [p for i, p in enumerate(paragraphs) if i not in dropped]
    return "\n\n".join(["编者按：本文转载时有删节。", *keep])


def _generate(task: tuple[int, int, int]) -> list[tuple]:
    """(index, text, index of the article it copies or None, band keys, signature) for one chunk."""
    start, stop, seed = task
    rng = random.Random(seed * 1_000_003 + start)
    rows: list[tuple] = []
    for index in range(start, stop):
        if rows and rng.random() < 0.1:
            source = rng.choice(rows)
            body, copies = trimmed_copy(rng, source[1]), source[2] if source[2] is not None else source[0]
        else:
            body, copies = markov_text(rng, rng.randint(250, 900)), None
        print_ = fingerprint(body)
        rows.append((index, body, copies, print_.keys, print_.signature or None))
    return rows


def _article_row(index: int, body: str, site_id: int, run_id: int, story_id: int | None,
                 signature: bytes | None = None) -> dict:
    url = f"http://synthetic.example/{index}.html"
    seen = EPOCH + timedelta(minutes=index)
    return {
        "id": index + 1, "uid": f"{index:016x}", "site_id": site_id, "canonical_url": url, "url": url,
        "title": body[:20], "language": "zh", "text": body, "authors": [], "page_urls": [url], "images": [],
        "quality_flags": [], "extraction": {}, "extractor_version": "synthetic", "content_hash": f"{index:064x}",
        "first_seen_at": seen, "last_seen_at": seen, "published_at": seen, "first_run_id": run_id,
        "last_run_id": run_id, "story_id": story_id, "signature": signature,
    }


class SyntheticArchive:
    """A SQLite archive grown to a number of synthetic articles (kept between runs)."""

    def __init__(self, path: Path, seed: int = 1):
        self.path, self.seed = path, seed
        self.engine, self.sessions = open_archive(str(path))
        with self.engine.begin() as connection:
            connection.exec_driver_sql("PRAGMA cache_size=-1000000")  # 1 GB while generating
        with self.sessions.begin() as session:
            site = session.scalar(select(Site).where(Site.name == "synthetic"))
            if site is None:
                site = Site(name="synthetic", origin="http://synthetic.example", timezone="Asia/Shanghai",
                            outlet="合成报", created_at=EPOCH)
                session.add(site)
                session.flush()
                session.add(CrawlRun(site_id=site.id, started_at=EPOCH, outcome="ok"))
            self.site_id = site.id
            self.run_id = session.scalar(select(CrawlRun.id).where(CrawlRun.site_id == site.id).limit(1))

    def size(self) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(Article).where(Article.site_id == self.site_id))

    def grow(self, target: int, chunk: int = 5000, workers: int = 2, say=print) -> None:
        have = self.size()
        if have >= target:
            return
        started = time.monotonic()
        tasks = [(s, min(s + chunk, target), self.seed) for s in range(have, target, chunk)]
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for done, rows in enumerate(pool.imap(_generate, tasks), start=1):
                self._insert(rows)
                if done % 20 == 0 or done == len(tasks):
                    say(f"  generated {rows[-1][0] + 1:,} articles ({time.monotonic() - started:.0f} s)")

    def _insert(self, rows) -> None:
        """One chunk in one transaction, through the driver: SQLAlchemy's per-row work would
        make generation, not the detector, the slow part of this benchmark."""
        stories, articles, bands = [], [], []
        for index, body, copies, keys, signature in rows:
            story = (copies if copies is not None else index) + 1
            seen = _sqlite_time(EPOCH + timedelta(minutes=index))
            if copies is None:
                stories.append((story, story_uid(f"http://synthetic.example/{index}.html"), index + 1, seen, seen, seen))
            url = f"http://synthetic.example/{index}.html"
            articles.append((index + 1, f"{index:016x}", self.site_id, url, url, body[:20], body, url, seen, seen, seen,
                             self.run_id, self.run_id, story, signature, f"{index:064x}"))
            bands.extend((key, index + 1) for key in set(keys))
        bands.sort()
        copied = collections.Counter(c + 1 for _i, _b, c, _k, _s in rows if c is not None)
        with self.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO stories (id, uid, original_article_id, first_published_at, copies, outlets, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, 1, 1, ?, ?)", stories)
            connection.exec_driver_sql(
                "INSERT INTO articles (id, uid, site_id, canonical_url, url, title, text, language, authors, page_urls, "
                "images, quality_flags, extraction, extractor_version, first_seen_at, last_seen_at, published_at, "
                "first_run_id, last_run_id, story_id, signature, content_hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'zh', '[]', json_array(?), '[]', '[]', '{}', 'synthetic', ?, ?, ?, ?, ?, ?, ?, ?)",
                articles)
            connection.exec_driver_sql("INSERT INTO article_bands (band_key, article_id) VALUES (?, ?)", bands)
            connection.exec_driver_sql("UPDATE stories SET copies = copies + ? WHERE id = ?",
                                       [(extra, story) for story, extra in copied.items()])


def _sqlite_time(moment: datetime) -> str:
    """As the archive's UTCDateTime stores it on SQLite."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass
class AddCost:
    size: int
    median_ms: float
    p95_ms: float
    fingerprint_ms: float
    copies_found: int
    copies_added: int
    false_merges: int
    python_peak_kib: float


def measure_adds(archive: SyntheticArchive, adds: int, seed: int, warm: int = 0, trace_memory: bool = False) -> AddCost:
    """Add ``adds`` articles through the real detector, one transaction each, timed; half
    new texts, half copies of archived ones. They are deleted again afterwards. The first
    ``warm`` adds are not timed: a crawl's connection is long-lived, its page cache warm.
    ``trace_memory``: also the peak of Python allocations over the adds (slower: untimed run)."""
    size = archive.size()
    rng = random.Random(seed)
    engine, sessions = open_archive(str(archive.path))  # the crawl's own settings
    index = StoryIndex()
    total = warm + adds
    with sessions() as session:
        sources = [session.get(Article, rng.randint(1, size)) for _ in range(total // 2 + 1)]
        sources = [(a.id, a.story_id, a.text) for a in sources]
        last_story = session.scalar(select(func.max(Story.id)))
    new_ids, times, prints = [], [], []
    found = merged_wrong = 0
    for i in range(total):
        if trace_memory and i == warm:
            tracemalloc.start()
        copy_of = sources[i // 2] if i % 2 == 0 and i // 2 < len(sources) else None
        body = trimmed_copy(rng, copy_of[2]) if copy_of else markov_text(rng, rng.randint(250, 900))
        article_id = 10_000_000 + i
        row = _article_row(article_id - 1, body, archive.site_id, archive.run_id, None)
        with sessions.begin() as session:
            session.execute(insert(Article), [row])
            article = session.get(Article, article_id)
            t0 = time.perf_counter()
            print_ = fingerprint(body)
            t1 = time.perf_counter()
            assignment = index.add(session, article, row["first_seen_at"], print_)
            story_id = assignment.story_id
        t2 = time.perf_counter()
        new_ids.append(article_id)
        if i < warm:
            continue
        times.append((t2 - t0) * 1000)
        prints.append((t1 - t0) * 1000)
        if copy_of:
            found += story_id == copy_of[1]
        else:
            merged_wrong += assignment.similarity is not None
    peak = 0
    if trace_memory:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    with sessions.begin() as session:  # leave the kept archive as generated
        stories = set(session.scalars(select(Article.story_id).where(Article.id.in_(new_ids))))
        session.execute(ArticleBand.__table__.delete().where(ArticleBand.article_id.in_(new_ids)))
        session.execute(Article.__table__.delete().where(Article.id.in_(new_ids)))
        session.execute(Story.__table__.delete().where(Story.id > last_story))
        for story_id in stories:
            if story_id <= last_story:
                count = session.scalar(select(func.count()).select_from(Article).where(Article.story_id == story_id))
                session.execute(Story.__table__.update().where(Story.id == story_id).values(copies=count))
    engine.dispose()
    times.sort()
    return AddCost(size, statistics.median(times), times[int(0.95 * (len(times) - 1))], statistics.median(prints),
                   found, (adds + 1) // 2, merged_wrong, peak / 1024)


