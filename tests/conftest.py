"""Shared fixtures: the built replica, a real HTTP server for it, and the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.extraction import extract_article
from scraper.replica.generate import build_site
from scraper.replica.scoring import raw_pages
from scraper.replica.server import ReplicaServer
from scraper.sites.profile import load_profile
from storage.db import open_archive
from storage.repository import Archive
from tests.services import fresh_postgres_database

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("NEWSARCHIVE_SHARED_DIR", REPO.parent / "shared"))  # real pages, read-only
NEWSARCHIVE = [sys.executable, "-m", "scraper.cli"]


@pytest.fixture(scope="session")
def replica(tmp_path_factory) -> tuple[Path, dict]:
    """The replica site built once per test session: (folder, ground truth)."""
    site_dir = tmp_path_factory.mktemp("replica") / "site"
    truth = build_site(site_dir)
    return site_dir, truth


@pytest.fixture
def replica_server(replica):
    """A fresh server (its 500-once state reset) on a free port."""
    site_dir, _truth = replica
    with ReplicaServer(site_dir) as server:
        yield server


@pytest.fixture(scope="session")
def rules():
    return load_profile("qhnews").rules


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run the real `newsarchive` command in a child process."""
    return subprocess.run(
        [*NEWSARCHIVE, *args],
        cwd=cwd or REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def archive(request, tmp_path):
    """The same tests on a SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = str(tmp_path / "archive.db")
    else:
        databases = fresh_postgres_database()
        url = next(databases)
        request.addfinalizer(lambda: next(databases, None))
    engine, sessions = open_archive(url)
    request.addfinalizer(engine.dispose)
    archive = Archive(sessions)
    site_id = archive.site("qhnews", "http://www.qhnews.com", "Asia/Shanghai", "青海新闻网")
    return archive, sessions, site_id


@pytest.fixture(scope="module")
def records(replica, rules):
    site_dir, truth = replica
    plain = [a for a in truth["articles"] if not a["traits"]][:12]
    return [extract_article(raw_pages(site_dir, truth, entry), rules).to_record() for entry in plain]
