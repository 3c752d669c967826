"""How long `newsarchive stats` and `newsarchive report` take on a large archive.

A synthetic archive is written straight into a fresh database (SQLite file, or a new
PostgreSQL database with --pg): articles over five years on three sites (two in
Asia/Shanghai, one in Europe/Berlin, whose summer time makes SQLite's day bucketing use
several offsets), eight sections, authors, 来源 outlets, 3% undated, one in ten a copy
of an earlier article in the same story, one in twenty with an alias URL. Then
``storage.stats.coverage`` and the report's rendering are timed.

    python -m benchmarks.stats --articles 100000 [--pg]

Exits 1 when the whole coverage takes more than TARGET_SECONDS.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert

from storage.db import open_archive
from storage.models import Article, ArticleUrl, CrawlRun, Site, Story
from storage.stats import BUCKETS, coverage

EPOCH = datetime(2020, 1, 1, tzinfo=timezone.utc)
TARGET_SECONDS = 3.0  # for 100,000 articles: "well under a few seconds"
SECTIONS = ["党建", "新闻中心", "本网原创", "青海旅游", "经济", "社会", "体育", "文化"]
SITES = [("synthetic", "Asia/Shanghai", "合成报"), ("evening", "Asia/Shanghai", "合成晚报"),
         ("berlin", "Europe/Berlin", "Berliner Beispiel")]


def generate(sessions, articles: int, seed: int = 7, chunk: int = 10_000) -> None:
    rng = random.Random(seed)
    authors = [f"作者{i}" for i in range(2000)]
    outlets = [f"来源{i}" for i in range(50)]
    with sessions.begin() as session:
        site_ids = []
        for name, zone, outlet in SITES:
            site = Site(name=name, origin=f"http://{name}.example", timezone=zone, outlet=outlet, created_at=EPOCH)
            session.add(site)
            session.flush()
            site_ids.append(site.id)
        run = CrawlRun(site_id=site_ids[0], started_at=EPOCH, outcome="ok")
        session.add(run)
        session.flush()
        run_id = run.id
    story_of: list[int] = []
    for start in range(0, articles, chunk):
        rows, stories, aliases = [], [], []
        for index in range(start, min(start + chunk, articles)):
            url = f"http://synthetic.example/{index}.html"
            seen = EPOCH + timedelta(minutes=index * (5 * 365 * 24 * 60) // articles)
            copy = story_of and rng.random() < 0.1
            story = rng.choice(story_of) if copy else index + 1
            if not copy:
                stories.append({"id": story, "uid": f"s{index:015x}", "original_article_id": index + 1,
                                "first_published_at": seen, "copies": 1, "outlets": 1, "created_at": seen,
                                "updated_at": seen})
            story_of.append(story)
            rows.append({
                "id": index + 1, "uid": f"{index:016x}", "site_id": rng.choice(site_ids), "canonical_url": url,
                "url": url, "title": f"标题{index}", "language": "zh", "text": "正文", "page_urls": [url],
                "authors": rng.sample(authors, rng.choice((0, 1, 1, 2, 3))), "images": [], "quality_flags": [],
                "extraction": {}, "extractor_version": "synthetic", "content_hash": f"{index:064x}",
                "first_seen_at": seen, "last_seen_at": seen, "first_run_id": run_id, "last_run_id": run_id,
                "published_at": None if rng.random() < 0.03 else seen, "section": rng.choice(SECTIONS),
                "source_outlet": rng.choice(outlets) if rng.random() < 0.7 else None,
                "editor": "编辑" if rng.random() < 0.5 else None, "story_id": story,
            })
            if rng.random() < 0.05:
                aliases.append({"url": url + "?from=share", "article_id": index + 1, "kind": "alias",
                                "first_seen_at": seen, "first_run_id": run_id})
        with sessions.begin() as session:
            if stories:
                session.execute(insert(Story), stories)
            session.execute(insert(Article), rows)
            if aliases:
                session.execute(insert(ArticleUrl), aliases)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--pg", action="store_true", help="a fresh PostgreSQL database ($NEWSARCHIVE_TEST_PG_URL)")
    args = parser.parse_args()
    from storage.report import render_report

    with tempfile.TemporaryDirectory() as folder:
        if args.pg:
            from tests.services import fresh_postgres_database

            databases = fresh_postgres_database()
            url = next(databases)
        else:
            url = str(Path(folder) / "archive.db")
        engine, sessions = open_archive(url)
        started = time.monotonic()
        generate(sessions, args.articles)
        print(f"{args.articles:,} synthetic articles written in {time.monotonic() - started:.1f} s "
              f"({engine.dialect.name})")
        took = 0.0
        for attempt in range(2):  # the second with the database's cache warm
            started = time.monotonic()
            facts = coverage(sessions)
            took = time.monotonic() - started
            print(f"coverage of the whole archive: {took:.2f} s ({'warm' if attempt else 'cold'}): "
                  f"{facts.articles:,} articles, {len(facts.daily):,} (site, section, day) counts, "
                  f"{len(facts.gaps):,} gaps, {len(facts.by_author):,} authors")
        for by in BUCKETS:
            started = time.monotonic()
            rows = facts.buckets(by)
            print(f"  buckets by {by}: {len(rows):,} ({(time.monotonic() - started) * 1000:.0f} ms from the facts)")
        started = time.monotonic()
        page = render_report(facts, source="benchmark")
        print(f"report rendered in {time.monotonic() - started:.2f} s ({len(page.encode()) / 1024:.0f} KiB)")
        engine.dispose()
        if args.pg:
            next(databases, None)
    limit = TARGET_SECONDS * args.articles / 100_000
    print(f"target: coverage within {limit:.1f} s: {'met' if took <= limit else 'MISSED'}")
    raise SystemExit(0 if took <= limit else 1)


if __name__ == "__main__":
    main()
