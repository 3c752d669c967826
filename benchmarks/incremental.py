"""What an incremental crawl saves, and what a crash costs.

    python benchmarks/incremental.py [--rounds 3] [--kills 10] [--seed 1]

The replica is served over its real local HTTP server and crawled with the real CLI
(``newsarchive crawl qhnews --fast``, one process per run), into fresh SQLite archives.

1. First crawl vs second run of the unchanged site, ``--rounds`` times: new rows and
   versions added by the second run, article pages it fetched (from the server's own
   request log) and its time, against the first's, with the profile's policy as it is
   (the replica's articles are from 2024: none is due) and as of the replica's own time
   (one day after its newest article: the young ones are due, and answered 304).
   Times: the run's own (spider open to close) and the whole process (imports included).
2. Crash test: ``--kills`` crawls, each killed with SIGKILL at a random moment of its
   expected life (seeded; startup plus the share of the work still undone), then one normal run. The archive must equal that of one uninterrupted crawl (the same
   articles with the same URLs, texts and versions), and the article pages requested over
   all runs are compared with the uninterrupted crawl's.

Targets: second run 0 new rows and versions, article pages fetched <= 5% and time <= 10%
of the first run's (the replay as of the replica's time must add no rows; its fetches and
time are shown in brackets, not counted); after the crashes, the same archive and article
pages <= 1.2x.
Exit status: 0 when every target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from scraper.replica.generate import build_site  # noqa: E402
from scraper.replica.server import ReplicaServer  # noqa: E402
from storage.db import open_archive  # noqa: E402
from storage.models import Article, ArticleUrl, ArticleVersion, CrawlRun  # noqa: E402
from storage.stats import archive_shape  # noqa: E402

console = Console(width=120)
CLI = [sys.executable, "-m", "scraper.cli", "crawl", "qhnews", "--fast", "--log-level", "CRITICAL"]


def article_requests(server: ReplicaServer, since: int) -> int:
    return sum(1 for path in server.requested_paths()[since:] if "/system/" in path)


def crawl(server: ReplicaServer, db: Path, *extra: str) -> dict:
    """One run; its counts, times and the article pages the server was asked for."""
    before = len(server.requested_paths())
    started = time.monotonic()
    result = subprocess.run([*CLI, "--base-url", server.base_url, "--db", str(db), *extra],
                            capture_output=True, text=True, env={**os.environ, "NEWSARCHIVE_PROGRESS": "0"})
    wall = time.monotonic() - started
    if result.returncode not in (0, 3):  # 3: partial (a run left little to do but the replica's traps)
        raise SystemExit(f"crawl exited {result.returncode}: {result.stderr[-2000:]}")
    _engine, sessions = open_archive(str(db))
    with sessions() as session:
        run = session.scalar(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1))
        rows = {name: session.scalar(select(func.count()).select_from(model))
                for name, model in (("articles", Article), ("urls", ArticleUrl), ("versions", ArticleVersion))}
    return {"seconds": float(run.summary["seconds"]), "wall": wall, "rows": rows, "summary": run.summary,
            "article_requests": article_requests(server, before)}


def _count(db: Path, sql: str) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as connection:
            return connection.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:  # no archive yet
        return 0


def replica_now(truth: dict) -> str:
    """One day after the replica's newest article, in its time zone: 'as of the replica's own time'."""
    newest = max(datetime.fromisoformat(a["expected"]["published_at"]) for a in truth["articles"]
                 if a["outcome"] == "stored" and a["expected"].get("published_at"))
    return (newest + timedelta(days=1)).isoformat()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="newsarchive-incremental-"))
    truth = build_site(work / "site")
    as_of = replica_now(truth)
    firsts, seconds, replays = [], [], []
    for number in range(args.rounds):
        db = work / f"round{number}" / "archive.db"
        with ReplicaServer(work / "site") as server:
            firsts.append(crawl(server, db))
            seconds.append(crawl(server, db))
            replays.append(crawl(server, db, "--as-of", as_of))
    reference = archive_shape(open_archive(str(work / "round0" / "archive.db"))[1])

    rng = random.Random(args.seed)
    wall_first = statistics.median(r["wall"] for r in firsts)
    startup = wall_first - statistics.median(r["seconds"] for r in firsts)  # imports, opening the archive
    total = statistics.median(r["rows"]["articles"] for r in firsts)
    db = work / "crashes" / "archive.db"
    kills = []
    with ReplicaServer(work / "site") as server:
        for _ in range(args.kills):
            before = len(server.requested_paths())
            # a random moment of this run's expected life (startup, then the work that remains), so
            # that kills keep landing mid-crawl rather than after a crawl that had little left to do
            stored = _count(db, "SELECT COUNT(*) FROM articles")
            remaining = max(0.0, 1 - stored / total) * (wall_first - startup)
            delay = rng.uniform(0.5, startup + remaining)
            process = subprocess.Popen([*CLI, "--base-url", server.base_url, "--db", str(db)],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                       env={**os.environ, "NEWSARCHIVE_PROGRESS": "0"})
            time.sleep(delay)
            finished_first = process.poll() is not None
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills.append((delay, finished_first, article_requests(server, before)))
        last = crawl(server, db)
        total_requests = sum(k[2] for k in kills) + last["article_requests"]
    crashed = archive_shape(open_archive(str(db))[1])

    def med(values):
        return statistics.median(values)

    first_pages = med([r["article_requests"] for r in firsts])
    table = Table(title=f"Incremental crawls of the replica ({args.rounds} rounds, medians)", title_justify="left")
    for column in ("run", "run time (s)", "process time (s)", "article pages asked", "304", "new articles",
                   "new URLs", "new versions"):
        table.add_column(column, justify="right" if column != "run" else "left")
    table.add_row("first crawl", f"{med([r['seconds'] for r in firsts]):.2f}", f"{wall_first:.2f}",
                  f"{first_pages:.0f}", "0", f"{med([r['rows']['articles'] for r in firsts]):.0f}",
                  f"{med([r['rows']['urls'] for r in firsts]):.0f}", f"{med([r['rows']['versions'] for r in firsts]):.0f}")
    results = {}
    for name, runs, previous in (("second run (policy as is)", seconds, firsts),
                                 (f"second run as of {as_of[:10]}", replays, seconds)):
        added = {key: max(b["rows"][key] - a["rows"][key] for a, b in zip(previous, runs)) for key in ("articles", "urls", "versions")}
        pages = med([r["article_requests"] for r in runs])
        results[name] = (added, pages / first_pages, med([r["seconds"] for r in runs]) / med([r["seconds"] for r in firsts]),
                         med([r["wall"] for r in runs]) / wall_first)
        table.add_row(name, f"{med([r['seconds'] for r in runs]):.2f}", f"{med([r['wall'] for r in runs]):.2f}",
                      f"{pages:.0f}", f"{med([r['summary'].get('articles_not_modified', 0) for r in runs]):.0f}",
                      *(f"+{added[k]}" for k in ("articles", "urls", "versions")))
    console.print(table)

    ok = True
    checks = Table(title="Targets", title_justify="left")
    for column in ("measure", "figure", "target", "met"):
        checks.add_column(column)
    for number, (name, (added, pages, run_ratio, wall_ratio)) in enumerate(results.items()):
        # the targets are the unchanged site's second run; the replay as of the replica's own time
        # (young articles due every run, every list page inside the horizon) is shown beside it
        target = number == 0
        rows_ok = added == {"articles": 0, "urls": 0, "versions": 0}

        def verdict(met: bool, counted: bool = True) -> str:
            return ("yes" if met else "NO") if counted else ("(yes)" if met else "(no)")

        checks.add_row(f"{name}: rows added", str(added), "0", verdict(rows_ok))
        checks.add_row(f"{name}: article pages vs first", f"{pages:.1%}", "<= 5%", verdict(pages <= 0.05, target))
        checks.add_row(f"{name}: run time vs first", f"{run_ratio:.1%}", "<= 10%", verdict(run_ratio <= 0.10, target))
        checks.add_row(f"{name}: process time vs first", f"{wall_ratio:.1%}", "(imports included)", "-")
        ok &= rows_ok and (not target or (pages <= 0.05 and run_ratio <= 0.10))
    same = crashed == reference
    ratio = total_requests / first_pages
    checks.add_row(f"{args.kills} crawls killed (SIGKILL), then one run: same archive", "yes" if same else
                   f"no ({len(set(crashed) ^ set(reference))} articles differ)", "same", "yes" if same else "NO")
    checks.add_row("article pages asked over all those runs vs one crawl", f"{total_requests} / {first_pages:.0f} = {ratio:.2f}x",
                   "<= 1.2x", "yes" if ratio <= 1.2 else "NO")
    ok &= same and ratio <= 1.2
    console.print(checks)
    console.print("kills (seconds after start, crawl already over?, article pages asked): "
                  + ", ".join(f"{d:.1f}s/{'done' if f else 'killed'}/{n}" for d, f, n in kills))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
