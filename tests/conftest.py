"""Shared fixtures: the built replica, a real HTTP server for it, and the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scraper.replica.generate import build_site
from scraper.replica.server import ReplicaServer
from scraper.sites.profile import load_profile

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
