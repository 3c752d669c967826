"""What WARC capture costs a crawl: time with archiving on vs off, and bytes stored.

    python benchmarks/warc_overhead.py [--rounds 7]

Each round crawls the replica (over its real local HTTP server, with the real spider,
``--fast``) into a fresh archive twice, once with NEWSARCHIVE_WARC=1 and once with
NEWSARCHIVE_WARC=0, in alternating order so that machine noise hits both alike. The
time compared is the crawl's own (the run's ``seconds``: spider open to close); the
overhead is the median of the rounds' on/off ratios (each round's pair ran back to back,
so drift in the machine's speed cancels out), with the medians of each side beside it.
Each round also re-crawls the site into a copy of an archive holding the first crawl,
with ``--revisit-all`` from a server that sends no validators, so every page comes back in
full: the case where capture looks payloads up and writes revisit records, not copies
(an incremental re-crawl of an unchanged site fetches next to nothing).
Target: overhead <= 10%.

Exit status: 0 when the target is met, 1 when it is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from scraper.replica.generate import build_site  # noqa: E402
from scraper.replica.server import ReplicaServer  # noqa: E402
from storage.db import open_archive  # noqa: E402
from storage.models import Article, CrawlRun, Fetch  # noqa: E402

console = Console(width=120)
TARGET = 0.10


def crawl(base_url: str, db: Path, warc: bool, *extra: str) -> float:
    env = {**os.environ, "NEWSARCHIVE_WARC": "1" if warc else "0", "NEWSARCHIVE_WARC_DIR": str(db.parent / "warc"),
           "NEWSARCHIVE_PROGRESS": "0"}
    result = subprocess.run([sys.executable, "-m", "scraper.cli", "crawl", "qhnews", "--base-url", base_url,
                             "--db", str(db), "--fast", "--log-level", "ERROR", *extra],
                            capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise SystemExit(f"crawl failed: {result.stderr[-2000:]}")
    _engine, sessions = open_archive(str(db))
    with sessions() as session:
        run = session.scalar(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1))
        return float(run.summary["seconds"])


def _paired(seconds: dict[bool, list[float]]) -> float:
    """Median of the rounds' on/off ratios, less one: each pair ran back to back."""
    return statistics.median(a / b for a, b in zip(seconds[True], seconds[False])) - 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    first: dict[bool, list[float]] = {True: [], False: []}  # a crawl into a fresh archive
    again: dict[bool, list[float]] = {True: [], False: []}  # a re-crawl into an archive holding the first
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build_site(root / "site")
        # A server without validators (no 304s) and --revisit-all: the re-crawl fetches every page again in
        # full, the case where archiving writes revisit records (an incremental re-crawl fetches next to nothing)
        with ReplicaServer(root / "site", validators=False) as server:
            base = root / "base"
            base.mkdir()
            crawl(server.base_url, base / "archive.db", True)
            for number in range(args.rounds):
                for warc in ((True, False) if number % 2 == 0 else (False, True)):
                    folder = root / f"round{number}-{'on' if warc else 'off'}"
                    folder.mkdir()
                    first[warc].append(crawl(server.base_url, folder / "archive.db", warc))
                    copy = root / f"round{number}-{'on' if warc else 'off'}-again"
                    shutil.copytree(base, copy)  # payload lookups and revisits happen only here
                    again[warc].append(crawl(server.base_url, copy / "archive.db", warc, "--revisit-all"))
            first_warc = sum(p.stat().st_size for p in (base / "warc").glob("*.warc.gz"))
            recrawled = root / "round0-on-again"
            both_warc = sum(p.stat().st_size for p in (recrawled / "warc").glob("*.warc.gz"))
        _engine, sessions = open_archive(str(base / "archive.db"))
        with sessions() as session:
            articles = session.scalar(select(func.count()).select_from(Article))
            pages = session.scalar(select(func.count()).select_from(Fetch).where(Fetch.status.is_not(None)))
            article_pages = session.scalar(select(func.count()).select_from(Fetch).where(
                Fetch.kind == "article", Fetch.status.is_not(None)))
        db_bytes = (base / "archive.db").stat().st_size

    table = Table(title=f"Replica crawl, {args.rounds} rounds, capture on and off back to back", title_justify="left")
    for column in ("crawl", "archiving", "median s", "all rounds (s)"):
        table.add_column(column)
    for name, seconds in (("first (fresh archive)", first), ("again (archive holds the first)", again)):
        for warc in (False, True):
            table.add_row(name, "on" if warc else "off", f"{statistics.median(seconds[warc]):.2f}",
                          ", ".join(f"{s:.2f}" for s in seconds[warc]))
    console.print(table)
    met = True
    for name, seconds in (("first crawl", first), ("re-crawl", again)):
        overhead = _paired(seconds)
        met &= overhead <= TARGET
        console.print(f"WARC overhead, {name}: {overhead:+.1%} (median of paired rounds; of the medians: "
                      f"{statistics.median(seconds[True]) / statistics.median(seconds[False]) - 1:+.1%}), target <= "
                      f"{TARGET:.0%}: " + ("[green]met[/]" if overhead <= TARGET else "[red]missed[/]"))
    console.print(f"storage after one crawl: {first_warc / 1024:.0f} KiB of WARC for {pages} responses "
                  f"({first_warc / pages / 1024:.1f} KiB per response, {first_warc / article_pages / 1024:.1f} KiB "
                  f"per article page including its share of list pages); "
                  f"database {db_bytes / articles / 1024:.1f} KiB per article ({articles} articles)")
    console.print(f"an unchanged re-crawl added {(both_warc - first_warc) / 1024:.0f} KiB of WARC "
                  f"({(both_warc - first_warc) / first_warc:.0%} of the first): revisit records, not copies")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
