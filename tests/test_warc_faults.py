"""kill -9 while the crawl writes WARC: files stay whole, no fetch points at a missing record, a re-run completes."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from sqlalchemy import func, select

from scraper.replica.server import ReplicaServer
from storage.db import open_archive
from storage.models import Article, CrawlRun, Fetch
from storage.warc import complete_length, read_payload
from tests.conftest import NEWSARCHIVE, REPO, run_cli

pytestmark = pytest.mark.slow


def _crawl(base_url: str, db) -> subprocess.Popen:
    return subprocess.Popen([*NEWSARCHIVE, "crawl", "qhnews", "--base-url", base_url, "--db", str(db), "--fast"],
                            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _kill_when_written(process: subprocess.Popen, warc_dir, run_prefix: str, threshold: int) -> bool:
    """SIGKILL once this run's WARC files hold ``threshold`` bytes; False if the crawl ended first."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        written = sum(p.stat().st_size for p in warc_dir.glob(f"{run_prefix}*.warc.gz")) if warc_dir.exists() else 0
        if written >= threshold:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.005)
    process.wait()
    return False


def test_kill_nine_mid_write_loses_nothing_and_a_rerun_completes(replica, tmp_path):
    site_dir, truth = replica
    db, warc_dir = tmp_path / "a.db", tmp_path / "warc"
    killed = 0
    with ReplicaServer(site_dir) as server:
        for run, threshold in enumerate((60_000, 300_000, 700_000), start=1):
            killed += _kill_when_written(_crawl(server.base_url, db), warc_dir, f"qhnews-{run}-", threshold)
        assert killed >= 2, "the crawl finished before it could be killed: nothing was tested"
        final = run_cli("crawl", "qhnews", "--base-url", server.base_url, "--db", str(db), "--fast")
        assert final.returncode == 0, final.stderr
    for path in warc_dir.glob("*.warc.gz"):
        assert complete_length(path) == path.stat().st_size, f"{path.name} ends in half a record"
    _engine, sessions = open_archive(str(db))
    with sessions() as session:
        rows = session.execute(select(Fetch.payload_file, Fetch.payload_offset, Fetch.payload_record_id)
                               .where(Fetch.payload_file.is_not(None))).all()
        stored = session.scalar(select(func.count()).select_from(Article))
    assert rows
    for file, offset, record_id in rows:
        assert read_payload(warc_dir, file, offset).record_id == record_id
    assert stored == len({a["story"] for a in truth["articles"] if a["outcome"] == "stored"})


def test_a_crawl_stopped_with_ctrl_c_is_recorded_as_interrupted(replica, tmp_path):
    site_dir, _truth = replica
    db, warc_dir = tmp_path / "a.db", tmp_path / "warc"
    with ReplicaServer(site_dir) as server:
        process = _crawl(server.base_url, db)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if warc_dir.exists() and sum(p.stat().st_size for p in warc_dir.glob("*.warc.gz")) > 100_000:
                process.send_signal(signal.SIGINT)  # what Ctrl-C sends: Scrapy shuts down gracefully
                break
            time.sleep(0.005)
        process.wait(timeout=60)
    _engine, sessions = open_archive(str(db))
    with sessions() as session:
        run = session.scalar(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1))
    assert run.outcome == "interrupted" and run.summary["outcome"] == "interrupted"
