"""Export throughput and memory: synthetic archives of 25k and 100k articles (by default)
exported to JSON Lines, JSON Lines + zstd, CSV and Parquet through the same code as
`newsarchive export -o FILE` (records, file, manifest, the dump recorded).

The archives are generated straight into SQLite files under data/bench/ (kept: a second run
measures without generating): articles of 1,000-2,000 characters of Chinese text (paragraphs of
a character-level Markov chain trained on the replica's corpus, benchmarks/dedup_scale.py, drawn
from a pool, so compressed sizes are optimistic), with every metadata field filled as the
extractor fills it, each in a story of its own, with its canonical URL row.

Throughput: the median of --rounds exports per format, each format twice in the same run: as
`export` makes it (JSON Lines and CSV encoded by worker processes, storage/export_workers.py)
and in one process (NEWSARCHIVE_EXPORT_WORKERS=1), with their ratio. Memory: each size exported
in a fresh process with tracemalloc on (Python's peak allocations in the writing process), the
growth of its resident set (peak RSS over the RSS before exporting) and the largest worker's
peak RSS, to show all flat from 25k to 100k (both sizes large enough for the workers).

    python -m benchmarks.export [--articles 100000] [--small 25000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from unittest import mock

if __package__ in (None, ""):  # `python benchmarks/export.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select  # noqa: E402

from storage.db import open_archive  # noqa: E402
from storage.export_workers import WORKERS_ENV, workers_wanted  # noqa: E402
from storage.models import Article, ArticleUrl, CrawlRun, Site, Story  # noqa: E402

BENCH = Path("data/bench")
FORMATS = (".jsonl", ".jsonl.zst", ".csv", ".parquet")
TARGET = 20_000  # articles per second to JSON Lines
EPOCH = datetime(2023, 1, 1, tzinfo=timezone.utc)
SECTIONS = ["新闻中心", "党建", "经济", "社会", "文化", "民生", "生态", "海东", "西宁", "体育"]
OUTLETS = ["青海日报", "青海新闻网", "西宁晚报", "海东时报", "新华社", None]
NAMES = ["张三", "李四", "王五", "赵六", "马晓燕", "才让", "卓玛", "韩雪", "刘洋", "祁正贤", "杨柳", "索南"]


def _pool(rng: random.Random, size: int = 4000) -> list[str]:
    from benchmarks.dedup_scale import markov_text

    return [markov_text(rng, rng.randint(80, 220)).replace("\n", "") for _ in range(size)]


def _article(index: int, rng: random.Random, pool: list[str], site_id: int, run_id: int) -> tuple[dict, dict, dict]:
    url = f"http://www.qhnews.com/{rng.choice(['xw', 'dj', 'jj'])}/system/2024/{index // 3000 % 12 + 1:02d}/{index}.shtml"
    paragraphs, length = [], rng.randint(1000, 2000)
    while sum(map(len, paragraphs)) < length:
        paragraphs.append(rng.choice(pool))
    body = "\n\n".join(paragraphs)[:length]
    published = EPOCH + timedelta(minutes=7 * index)
    authors = rng.sample(NAMES, rng.randint(1, 3))
    photographers = rng.sample(NAMES, rng.randint(0, 1))
    images = [{"url": f"http://www.qhnews.com/pic/{index}-{i}.jpg", "caption": rng.choice(pool)[:30],
               "photographers": photographers, "alt": None} for i in range(rng.randint(0, 3))]
    outlet = rng.choice(OUTLETS)
    row = {
        "id": index + 1, "uid": f"{index:016x}", "site_id": site_id, "canonical_url": url, "url": url,
        "title": rng.choice(pool)[: rng.randint(12, 30)], "subtitle": "——" + rng.choice(pool)[:15] if index % 10 == 0 else None,
        "column": rng.choice(["乡村振兴", "基层党建", None, None, None]), "section": rng.choice(SECTIONS),
        "source_outlet": outlet, "authors": authors, "correspondents": rng.sample(NAMES, rng.randint(0, 2)),
        "photographers": photographers, "editor": rng.choice(NAMES),
        "bylines_raw": {"source": f"来源：{outlet or '本网'}", "authors": "记者 " + " ".join(authors)},
        "published_at": published, "published_precision": "minute",
        "updated_at": published + timedelta(hours=2) if index % 7 == 0 else None, "language": "zh", "text": body,
        "images": images, "quality_flags": [],
        "extraction": {"method": "template:article", "extractor_version": "bench", "sources": {
            "title": "template:h1", "published_at": "label", "source_outlet": "label", "authors": "label"},
            "pages": [{"url": url, "decoding": {"http_charset": "gb2312", "meta_charset": "gb2312",
                                                "detected_charset": "gb18030", "used_charset": "gb18030",
                                                "replacement_chars": 0}}]},
        "page_urls": [url], "extractor_version": "bench", "content_hash": f"{index:064x}",
        "first_seen_at": published + timedelta(minutes=30), "last_seen_at": published + timedelta(days=3),
        "first_run_id": run_id, "last_run_id": run_id, "record_hash": f"{index:064x}", "version": 1,
        "warc_record_id": f"<urn:uuid:00000000-0000-4000-8000-{index:012x}>", "story_id": index + 1,
    }
    story = {"id": index + 1, "uid": f"{index + 1:016x}", "original_article_id": index + 1,
             "first_published_at": published, "copies": 1, "outlets": 1, "created_at": published,
             "updated_at": published}
    canonical = {"url": url, "article_id": index + 1, "kind": "canonical", "first_seen_at": published,
                 "first_run_id": run_id}
    return row, story, canonical


def archive(size: int, say=print) -> Path:
    """The synthetic archive of ``size`` articles (generated once, kept under data/bench/)."""
    path = BENCH / f"export-{size}.db"
    done = path.with_name(path.name + ".complete")
    if done.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    engine, sessions = open_archive(str(path))
    rng = random.Random(size)
    pool = _pool(rng)
    started = time.monotonic()
    with sessions.begin() as session:
        site = Site(name="qhnews", origin="http://www.qhnews.com", timezone="Asia/Shanghai", outlet="青海新闻网",
                    created_at=EPOCH)
        session.add(site)
        session.flush()
        run = CrawlRun(site_id=site.id, started_at=EPOCH, finished_at=EPOCH, outcome="ok")
        session.add(run)
        session.flush()
        site_id, run_id = site.id, run.id
    for start in range(0, size, 5000):
        made = [_article(i, rng, pool, site_id, run_id) for i in range(start, min(size, start + 5000))]
        with engine.begin() as connection:
            connection.execute(insert(Story), [m[1] for m in made])
            connection.execute(insert(Article), [m[0] for m in made])
            connection.execute(insert(ArticleUrl), [m[2] for m in made])
        say(f"  generated {start + len(made):,} of {size:,} articles ({time.monotonic() - started:.0f} s)")
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    done.touch()
    return path


def export_once(db: Path, suffix: str, folder: Path) -> tuple[float, int, int]:
    """(seconds, articles, bytes) of one export to a file, as `export -o` makes it."""
    from storage.dumps import Selection, manifest_path, plan, write_dump
    from storage.export_formats import output_kind

    output = folder / f"bench{suffix}"
    for stale in (output, manifest_path(output)):
        stale.unlink(missing_ok=True)
    engine, sessions = open_archive(str(db))
    selection = Selection()
    started = time.perf_counter()
    manifest = write_dump(sessions, output, output_kind(output.name, None), selection, plan(sessions, selection))
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds, manifest["counts"]["articles"], manifest["files"][0]["bytes"]


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def probe(db: Path, suffix: str, folder: Path) -> dict:
    """In a fresh process: Python's peak allocations and the resident set's growth over one export."""
    import tracemalloc

    import storage.dumps  # noqa: F401 - imports done before measuring
    import storage.export_formats

    if suffix == ".parquet":
        storage.export_formats._pyarrow()
    before = _rss_kib("VmRSS")
    tracemalloc.start()
    seconds, count, size = export_once(db, suffix, folder)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    import resource

    return {"articles": count, "peak_kib": peak // 1024, "rss_growth_kib": _rss_kib("VmHWM") - before,
            "worker_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "seconds": seconds}


def _probe_in_child(db: Path, suffix: str, folder: Path, workers: str | None = None) -> dict:
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    if workers is not None:
        env[WORKERS_ENV] = workers
    result = subprocess.run([sys.executable, "-m", "benchmarks.export", "--probe", str(db), suffix, str(folder)],
                            capture_output=True, text=True, check=True, env=env)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000, help="the large archive (default 100,000)")
    parser.add_argument("--small", type=int, default=25_000, help="the small archive, for memory (default 25,000)")
    parser.add_argument("--rounds", type=int, default=3, help="exports per format, median kept (default 3)")
    parser.add_argument("--probe", nargs=3, metavar=("DB", "SUFFIX", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        print(json.dumps(probe(Path(args.probe[0]), args.probe[1], Path(args.probe[2]))))
        return 0

    print(f"synthetic archives of {args.small:,} and {args.articles:,} articles in {BENCH}/")
    small, large = archive(args.small), archive(args.articles)
    _engine, sessions = open_archive(str(large))
    with sessions() as session:
        text_chars = session.scalar(select(func.avg(func.length(Article.text))))
    print(f"mean text: {text_chars:,.0f} characters; database {large.stat().st_size / 2**20:,.0f} MiB")
    folder = BENCH / "export-out"
    folder.mkdir(parents=True, exist_ok=True)
    export_once(large, ".jsonl", folder)  # warm the OS page cache: every round reads the file from memory

    rows = []
    for suffix in FORMATS:
        rates = {}
        for mode, workers in (("workers", None), ("one", "1")):
            with mock.patch.dict(os.environ, {WORKERS_ENV: workers} if workers else {}):
                runs = [export_once(large, suffix, folder) for _ in range(args.rounds)]
            rates[mode] = (runs[0][1] / statistics.median(r[0] for r in runs), runs[0][1], runs[0][2])
        rows.append((suffix, rates["workers"][0], rates["one"][0], rates["workers"][2] / rates["workers"][1]))
    jsonl_rate = rows[0][1]
    print(f"\nexport of {args.articles:,} articles, median of {args.rounds} (manifest and dump record included); "
          f"{os.cpu_count()} cores, workers: {workers_wanted()}")
    print(f"{'format':<12}{'articles/s':>12}{'one process':>13}{'ratio':>8}{'bytes/article':>15}")
    for suffix, rate, single, per in rows:
        print(f"{suffix:<12}{rate:>12,.0f}{single:>13,.0f}{rate / single:>8.2f}{per:>15,.0f}")

    print("\nmemory of one export, each in a fresh process (tracemalloc on: slower than above)")
    print(f"{'format':<12}{'mode':<13}{'articles':>10}{'py peak KiB':>13}{'RSS growth KiB':>16}{'worker peak KiB':>17}")
    flat = True
    for suffix, workers in ((".jsonl", None), (".jsonl", "1"), (".parquet", None)):
        mode = "one process" if workers == "1" or suffix == ".parquet" else "workers"
        measured = [_probe_in_child(db, suffix, folder, workers) for db in (small, large)]
        for m in measured:
            print(f"{suffix:<12}{mode:<13}{m['articles']:>10,}{m['peak_kib']:>13,}{m['rss_growth_kib']:>16,}"
                  f"{m['worker_kib']:>17,}")
        ratios = [measured[1][k] / max(1, measured[0][k]) for k in ("peak_kib", "rss_growth_kib", "worker_kib")]
        print(f"{suffix:<12}{mode:<13}{'ratio':>10}{ratios[0]:>13.2f}{ratios[1]:>16.2f}{ratios[2]:>17.2f}")
        flat &= all(r < 1.5 for r in ratios)
    shutil.rmtree(folder, ignore_errors=True)
    met = jsonl_rate >= TARGET
    print(f"\nJSON Lines: {jsonl_rate:,.0f} articles/s (target >= {TARGET:,}): {'met' if met else 'MISSED'}; "
          f"memory {'flat' if flat else 'NOT flat'} from {args.small:,} to {args.articles:,} articles")
    return 0 if met and flat else 1


if __name__ == "__main__":
    sys.exit(main())
