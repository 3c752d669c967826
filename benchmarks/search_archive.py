"""A synthetic archive of realistic Chinese news for the search benchmark (used by search.py).

Text: sentences drawn from a character-level Markov chain (order 3) trained on the
replica's hand-written corpus of Qinghai news, so the character and pair frequencies
(what the unigram and bigram index holds) are those of real regional news: 的, 青海,
生态, 民族团结, … occur about as often as they do there. Each article is a new draw of
sentences from a pool of 400,000, with its length drawn from the corpus's own article
lengths (median ≈ 800 characters). Metadata: 12 sections with skewed sizes, columns,
source outlets, authors, and publication times spread over 2016–2026 (≈ 270 a day).

Rows go straight into the database through the driver, with the search index built by
the project's own code (``storage.search.streams`` and the backend's index): on SQLite
the FTS5 table, on PostgreSQL the tsvector columns, whose GIN indexes are built once
after loading (as a bulk load would). The archive is kept under ``data/bench`` (and in
a PostgreSQL database of its own) so that a second run measures without generating.
"""

from __future__ import annotations

import collections
import json
import multiprocessing
import random
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from scraper.replica.corpus import load_corpus
from storage.authors import names
from storage.db import open_archive
from storage.search import current_scheme, streams

ORDER = 3
POOL = 400_000
EPOCH = datetime(2016, 1, 1, tzinfo=timezone.utc)
SPAN_MINUTES = 11 * 365 * 24 * 60  # 2016-01-01 .. 2026-12
SECTIONS = ["新闻中心", "时政", "党建", "经济", "社会", "民生", "生态", "本网原创", "青海旅游", "文化", "教育", "法治"]
SECTION_WEIGHTS = [30, 14, 10, 9, 8, 7, 6, 5, 4, 3, 2, 2]
COLUMNS = [None] * 6 + ["【奋进新征程】", "【民族团结一家亲】", "【一线见闻】", "【生态之窗】"]
OUTLETS = [None, "青海日报", "西宁晚报", "新华社", "人民网", "青海新闻网", "海东时报", "中国西藏网", "央视新闻"]
OUTLET_WEIGHTS = [20, 25, 10, 10, 6, 15, 5, 4, 5]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林罗高才索多扎卓拉"
GIVEN = "明华建国海军平文芳娜强磊洋艳勇杰军涛超秀英霞慧静丽德吉措卓玛旦增"

_STATE: dict = {}


def _sentence_pool(seed: int) -> list[str]:
    """Markov sentences (ended by 。！？), as many as POOL, the same for a seed."""
    model = collections.defaultdict(list)
    lengths = []
    for article in load_corpus():
        body = "\x02" * ORDER + "".join(article.paragraphs)
        lengths.append(len("".join(article.paragraphs)))
        for i in range(ORDER, len(body)):
            model[body[i - ORDER : i]].append(body[i])
    starts = [key for key in model if key[-1] in "。！？"]
    rng = random.Random(seed)
    pool, state, current = [], rng.choice(starts), []
    while len(pool) < POOL:
        following = model.get(state)
        if not following:
            state = rng.choice(starts)
            continue
        char = rng.choice(following)
        current.append(char)
        state = (state + char)[-ORDER:]
        if char in "。！？" or len(current) > 120:
            if len(current) >= 6:
                pool.append("".join(current))
            current = []
    return pool, sorted(lengths)


def _init(seed: int) -> None:
    _STATE["pool"], _STATE["lengths"] = _sentence_pool(seed)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _article(rng: random.Random, index: int) -> dict:
    pool, lengths = _STATE["pool"], _STATE["lengths"]
    target = rng.choice(lengths)
    paragraphs, size = [], 0
    while size < target:
        paragraph = "".join(rng.choice(pool) for _ in range(rng.randint(2, 5)))
        paragraphs.append(paragraph)
        size += len(paragraph)
    title = rng.choice(pool).rstrip("。！？")[:28]
    published = EPOCH + timedelta(minutes=int(index * SPAN_MINUTES / 1_000_000) + rng.randint(0, 50))
    return {
        "title": title, "text": "\n\n".join(paragraphs),
        "section": rng.choices(SECTIONS, SECTION_WEIGHTS)[0], "column": rng.choice(COLUMNS),
        "source_outlet": rng.choices(OUTLETS, OUTLET_WEIGHTS)[0],
        "authors": [_name(rng) for _ in range(rng.choice((0, 1, 1, 2)))],
        "editor": _name(rng), "published_at": published,
    }


def _chunk(task: tuple[int, int, int]) -> list[tuple]:
    start, stop, seed = task
    rng = random.Random(seed * 1_000_003 + start)
    rows = []
    for index in range(start, stop):
        article = _article(rng, index)
        rows.append((index, article, *streams(article["title"], article["text"])))
    return rows


def _time(moment: datetime) -> str:
    """As the archive's UTCDateTime stores it on SQLite."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


class SearchArchive:
    """A SQLite file (and optionally a PostgreSQL database) grown to ``target`` articles."""

    def __init__(self, path: Path, seed: int = 1):
        self.path, self.seed = path, seed
        self.engine, self.sessions = open_archive(str(path))
        with self.engine.begin() as connection:
            site = connection.exec_driver_sql("SELECT id FROM sites WHERE name = 'synthetic'").scalar()
            if site is None:
                connection.exec_driver_sql(
                    "INSERT INTO sites (name, origin, timezone, outlet, created_at) "
                    "VALUES ('synthetic', 'http://synthetic.example', 'Asia/Shanghai', '合成报', ?)", (_time(EPOCH),))
                site = connection.exec_driver_sql("SELECT id FROM sites WHERE name = 'synthetic'").scalar()
                connection.exec_driver_sql("INSERT INTO crawl_runs (site_id, started_at, outcome) VALUES (?, ?, 'ok')",
                                           (site, _time(EPOCH)))
            self.site_id = site
            self.run_id = connection.exec_driver_sql("SELECT min(id) FROM crawl_runs").scalar()

    def size(self) -> int:
        with self.engine.connect() as connection:
            return connection.exec_driver_sql("SELECT count(*) FROM articles").scalar()

    def grow(self, target: int, chunk: int = 4000, workers: int = 2, say=print) -> None:
        have = self.size()
        if have >= target:
            return
        started = time.monotonic()
        tasks = [(s, min(s + chunk, target), self.seed) for s in range(have, target, chunk)]
        with self.engine.begin() as connection:  # the index is current: opening the archive must not rebuild it
            connection.exec_driver_sql(f"PRAGMA user_version = {current_scheme()}")
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, initializer=_init, initargs=(self.seed,)) as pool:
            # a few chunks ahead of the inserts, in order: pool.imap would keep every chunk the
            # workers make faster than SQLite takes them (gigabytes at a million articles)
            pending: collections.deque = collections.deque()
            for done, task in enumerate(tasks + [None] * (2 * workers), start=1 - 2 * workers):
                if task is not None:
                    pending.append(pool.apply_async(_chunk, (task,)))
                if done < 1:
                    continue
                rows = pending.popleft().get()
                self._insert(rows)
                if done % 25 == 0 or done == len(tasks):
                    say(f"  SQLite: {rows[-1][0] + 1:,} articles ({time.monotonic() - started:.0f} s)")

    def _insert(self, rows) -> None:
        articles, index, authors = [], [], []
        for i, a, uni, bi in rows:
            url = f"http://synthetic.example/{i}.html"
            seen = _time(a["published_at"] + timedelta(minutes=30))
            articles.append((i + 1, f"{i:016x}", self.site_id, url, url, a["title"], a["text"], a["section"], a["column"],
                             a["source_outlet"], json.dumps(a["authors"], ensure_ascii=False), a["editor"],
                             _time(a["published_at"]), url, seen, seen, self.run_id, self.run_id, f"{i:064x}"))
            index.append((i + 1, uni, bi))
            authors.extend((name, i + 1) for name in names(a["authors"]))
        with self.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO articles (id, uid, site_id, canonical_url, url, title, text, section, article_column, "
                "source_outlet, authors, editor, published_at, published_precision, language, page_urls, images, "
                "quality_flags, extraction, extractor_version, first_seen_at, last_seen_at, first_run_id, last_run_id, "
                "content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'minute', 'zh', json_array(?), '[]', '[]', "
                "'{}', 'synthetic', ?, ?, ?, ?, ?)", articles)
            connection.exec_driver_sql("INSERT INTO article_search (rowid, uni, bi) VALUES (?, ?, ?)", index)
            connection.exec_driver_sql("INSERT INTO article_authors (name, article_id) VALUES (?, ?)", authors)

    # -- PostgreSQL: the same articles, copied --------------------------------------------------

    def postgres(self, admin_url: str, name: str, say=print) -> str:
        return load_postgres(self.path, admin_url, name, self.size(), say)


def load_postgres(path: Path, admin_url: str, name: str, want: int, say=print) -> str:
    """A PostgreSQL database holding the SQLite file's ``want`` articles and its own index
    (made once, kept). It may run while the file is still being generated: each batch
    waits for its articles."""
    import sqlite3

    with sqlite3.connect(path) as source:
        site_id, run_id = source.execute("SELECT site_id, id FROM crawl_runs ORDER BY id LIMIT 1").fetchone()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine, _sessions = open_archive(url)
    with engine.connect() as connection:
        have = connection.exec_driver_sql("SELECT count(*) FROM article_search").scalar()
    if have == want:
        engine.dispose()
        return url
    say(f"  PostgreSQL: copying {want:,} articles into {name}")
    started = time.monotonic()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("TRUNCATE article_search, articles, crawl_runs, sites CASCADE")
        cursor.execute("DROP INDEX IF EXISTS ix_article_search_uni")
        cursor.execute("DROP INDEX IF EXISTS ix_article_search_bi")
        cursor.execute("INSERT INTO sites (id, name, origin, timezone, outlet, created_at) "
                       "VALUES (%s, 'synthetic', 'http://synthetic.example', 'Asia/Shanghai', '合成报', %s)",
                       (site_id, EPOCH))
        cursor.execute("INSERT INTO crawl_runs (id, site_id, started_at, outcome) VALUES (%s, %s, %s, 'ok')",
                       (run_id, site_id, EPOCH))
        tasks = [(str(path), start, min(start + 20_000, want + 1)) for start in range(1, want + 1, 20_000)]
        with multiprocessing.get_context("fork").Pool(2) as pool:  # streams computed while PostgreSQL indexes
            for rows, index, authors in pool.imap(_pg_rows, tasks):
                with cursor.copy(f"COPY articles ({PG_COLUMNS}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                with cursor.copy("COPY article_search (article_id, uni, bi) FROM STDIN") as copy:
                    for row in index:
                        copy.write_row(row)
                with cursor.copy("COPY article_authors (name, article_id) FROM STDIN") as copy:
                    for row in authors:
                        copy.write_row(row)
                raw.commit()
                if rows and rows[-1][0] % 100_000 < 20_000:
                    say(f"  PostgreSQL: {rows[-1][0]:,} articles ({time.monotonic() - started:.0f} s)")
        # the literals must be what the archive's own indexing (to_tsvector) makes of the streams
        cursor.execute("SELECT count(*) FROM (SELECT a.id FROM articles a JOIN article_search s ON s.article_id = a.id "
                       "WHERE a.id % 997 = 0) sample")
        sampled = cursor.fetchone()[0]
        mismatched = 0
        for article_id, title, body in cursor.execute("SELECT id, title, text FROM articles WHERE id % 997 = 0").fetchall():
            uni, bi = streams(title, body)
            cursor.execute("SELECT to_tsvector('simple', %s) = uni AND to_tsvector('simple', %s) = bi "
                           "FROM article_search WHERE article_id = %s", (uni, bi, article_id))
            mismatched += not cursor.fetchone()[0]
        if mismatched:
            raise RuntimeError(f"{mismatched} of {sampled} sampled articles indexed unlike the archive would")
        say(f"  PostgreSQL: {sampled} sampled articles indexed exactly as to_tsvector does; building the GIN indexes")
        cursor.execute("SET maintenance_work_mem = '2GB'")
        cursor.execute("CREATE INDEX ix_article_search_uni ON article_search USING GIN (uni)")
        cursor.execute("CREATE INDEX ix_article_search_bi ON article_search USING GIN (bi)")
        cursor.execute("SELECT setval(pg_get_serial_sequence('articles', 'id'), (SELECT max(id) FROM articles))")
        raw.commit()
    finally:
        raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE articles")
        connection.exec_driver_sql("VACUUM ANALYZE article_search")
    engine.dispose()
    say(f"  PostgreSQL: ready ({time.monotonic() - started:.0f} s)")
    return url


PG_COLUMNS = ("id, uid, site_id, canonical_url, url, title, text, section, article_column, source_outlet, authors, "
           "editor, published_at, published_precision, language, page_urls, images, quality_flags, extraction, "
           "extractor_version, first_seen_at, last_seen_at, first_run_id, last_run_id, content_hash")
TIMES = (12, 20, 21)  # published_at, first_seen_at, last_seen_at in PG_COLUMNS


def _pg_rows(task: tuple[str, int, int]) -> tuple[list[list], list[tuple], list[tuple]]:
    """Articles with ids in [start, stop) as PostgreSQL's COPY takes them, their streams and their
    author index rows."""
    import sqlite3

    path, start, stop = task
    while True:
        with sqlite3.connect(path, timeout=60) as source:
            rows = source.execute(f"SELECT {PG_COLUMNS} FROM articles WHERE id >= ? AND id < ? ORDER BY id",
                                  (start, stop)).fetchall()
        if len(rows) == stop - start:
            break
        time.sleep(5)  # not generated yet
    return ([[_utc(v) if at in TIMES else v for at, v in enumerate(row)] for row in rows],
            [(row[0], *map(_tsvector, streams(row[5], row[6]))) for row in rows],
            [(name, row[0]) for row in rows for name in names(json.loads(row[10]))])


def _tsvector(stream: str) -> str:
    """The tsvector literal of a stream as to_tsvector('simple', …) makes it (one lexeme per
    token, positions from 1, at most 255 per lexeme, none past 16,383): loading literals is
    many times faster than parsing a million articles (checked on a sample after loading)."""
    positions: dict[str, list[str]] = {}
    for at, token in enumerate(stream.split(" "), start=1):
        held = positions.setdefault(token, [])
        if len(held) < 255:
            held.append(str(min(at, 16383)))
    return " ".join(f"'{token}':{','.join(held)}" for token, held in positions.items())


def _utc(value: str | None) -> str | None:
    """A time as SQLite holds it (UTC, no offset), for PostgreSQL's timestamptz."""
    return None if value is None else value + "+00"
