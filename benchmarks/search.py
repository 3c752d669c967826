"""Search latency on a synthetic archive of 1,000,000 articles, SQLite and PostgreSQL.

    python -m benchmarks.search [--articles 1000000] [--backend both|sqlite|postgresql] [--rounds 5]

Each query of a fixed set (1-, 2- and 4-character terms, phrases, OR, exclusions,
traditional characters, with and without filters, by relevance and by date) runs
through ``storage.search.results``: what `newsarchive search` prints, i.e. the match,
the filters, the ranking, the top 20 rows with their export records and KWIC snippets.
The first round warms the caches and is reported apart; p50 and p95 are over the
other rounds of every query. Also printed: how many articles each query matches, and
the index size as a ratio of the indexed text's size (UTF-8 bytes of title and text).

The archive (benchmarks/search_archive.py) is generated once into data/bench/ and a
PostgreSQL database of its own (NEWSARCHIVE_BENCH_PG_URL, default the local server),
then reused.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date
from pathlib import Path

from sqlalchemy import text

from storage.db import open_archive
from storage.export import ArticleFilter
from storage.search import matching_ids, parse, results

REPO = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 50.0
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# (label, query, filter, sort): what researchers of regional news type
QUERIES = [
    ("1 char", "藏", None, "relevance"),
    ("1 char", "湖", None, "relevance"),
    ("1 char", "牛", None, "date"),
    ("2 chars", "生态", None, "relevance"),
    ("2 chars", "牦牛", None, "relevance"),
    ("2 chars", "党建", None, "date"),
    ("2 chars, traditional", "鄉村", None, "relevance"),
    ("4 chars", "民族团结", None, "relevance"),
    ("4 chars", "乡村振兴", None, "relevance"),
    ("4 chars", "三江源头", None, "relevance"),
    ("4 chars", "生态保护", None, "date"),
    ("phrase", '"青海湖 旅游"', None, "relevance"),
    ("phrase", '"黄河上游"', None, "relevance"),
    ("AND", "民族团结 进步", None, "relevance"),
    ("OR", "牦牛 OR 藏羊", None, "relevance"),
    ("NOT", "生态 -旅游", None, "relevance"),
    ("filter: section", "民族团结", ArticleFilter(section="党建"), "relevance"),
    ("filter: section + dates", "民族团结", ArticleFilter(section="党建", since=date(2024, 6, 1),
                                                       until=date(2024, 9, 30)), "relevance"),
    ("filter: dates", "生态", ArticleFilter(since=date(2025, 1, 1)), "date"),
    ("filter: outlet", "乡村振兴", ArticleFilter(source_outlet="新华社"), "relevance"),
    ("filter: author", "藏", ArticleFilter(author="卓玛"), "relevance"),
    ("filter: column", "草原", ArticleFilter(column="【生态之窗】"), "date"),
]


def _count(session, query: str, where: ArticleFilter | None) -> int:
    """How many articles the query and filters match (the export's --query reads the same set)."""
    return len(matching_ids(session, parse(query), where))


def measure(url: str, rounds: int, say=print) -> dict:
    engine, sessions = open_archive(url)
    first, warm, rows = [], [], []
    with sessions() as session:
        for label, query, where, sort in QUERIES:
            parsed = parse(query)
            times = []
            for _ in range(rounds):
                started = time.perf_counter()
                found = results(session, parsed, where, sort, 20)
                times.append((time.perf_counter() - started) * 1000)
            matches = _count(session, query, where)
            first.append(times[0])
            warm.extend(times[1:])
            rows.append((label, query, sort, matches, len(found), times[0], statistics.median(times[1:]), max(times[1:])))
        size = _index_ratio(session)
    engine.dispose()
    warm.sort()
    for label, query, sort, matches, shown, cold, median, worst in rows:
        say(f"    {label:<24} {query:<14} {sort:<9} {matches:>9,} matches  first {cold:7.1f} ms  "
            f"median {median:7.1f} ms  max {worst:7.1f} ms")
    return {"p50": statistics.median(warm), "p95": warm[int(0.95 * (len(warm) - 1))], "max": warm[-1],
            "first_p50": statistics.median(first), "first_max": max(first), "ratio": size}


def _index_ratio(session) -> tuple[float, float, float]:
    """(index bytes, text bytes, ratio)."""
    if session.get_bind().dialect.name == "postgresql":
        index = session.execute(text("SELECT pg_total_relation_size('article_search')")).scalar()
        body = session.execute(text("SELECT sum(octet_length(title) + octet_length(text)) FROM articles")).scalar()
    else:
        index = session.execute(text(
            "SELECT (SELECT sum(length(block)) FROM article_search_data) + "
            "(SELECT count(*) * 24 FROM article_search_idx) + (SELECT sum(length(sz)) FROM article_search_docsize)")).scalar()
        body = session.execute(text("SELECT sum(length(CAST(title AS BLOB)) + length(CAST(text AS BLOB))) FROM articles")).scalar()
    return index, body, index / body


def main() -> None:
    from benchmarks.search_archive import SearchArchive

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("both", "sqlite", "postgresql"), default="both")
    parser.add_argument("--rounds", type=int, default=6, help="runs of each query; the first is reported apart")
    parser.add_argument("--cache", type=Path, default=REPO / "data" / "bench")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN)
    args = parser.parse_args()

    args.cache.mkdir(parents=True, exist_ok=True)
    path = args.cache / f"search-{args.articles}.db"
    print(f"Synthetic archive of {args.articles:,} articles: {path}")
    archive = SearchArchive(path)
    archive.grow(args.articles)
    urls = []
    if args.backend in ("both", "sqlite"):
        urls.append(("SQLite", str(path)))
    if args.backend in ("both", "postgresql"):
        urls.append(("PostgreSQL", archive.postgres(args.pg_admin_url, f"newsarchive_bench_search_{args.articles}")))
    summary = []
    for name, url in urls:
        print(f"\n{name}: {len(QUERIES)} queries x {args.rounds} rounds, top 20 with records and snippets")
        figures = measure(url, args.rounds)
        summary.append((name, figures))
    print(f"\n{'backend':<11} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'first-run p50':>14} {'index/text':>11}")
    for name, f in summary:
        index, body, ratio = f["ratio"]
        print(f"{name:<11} {f['p50']:8.1f} {f['p95']:8.1f} {f['max']:8.1f} {f['first_p50']:14.1f} "
              f"{ratio:10.2f}x  ({index / 2**30:.2f} GiB index, {body / 2**30:.2f} GiB text)")
    for name, f in summary:
        verdict = "met" if f["p95"] <= TARGET_P95_MS else "MISSED"
        print(f"{name}: p95 {f['p95']:.1f} ms against a target of <= {TARGET_P95_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
