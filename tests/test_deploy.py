"""Scheduled-crawl deployment (deploy/): the crontab line, the systemd units, and scrapyd.

The scrapyd test deploys with the real ``scrapyd-deploy`` to a real scrapyd that
runs in a Python environment holding the project's dependencies but not the
project, so the crawl can only work from the uploaded egg.
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import os
import re
import shlex
import shutil
import socket
import sqlite3
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.parse
import urllib.request
import venv
from contextlib import closing
from pathlib import Path

import pytest

from scraper.replica.server import ReplicaServer
from tests.conftest import REPO
from tests.services import REQUIRED

DEPLOY = REPO / "deploy"
CRONTAB = DEPLOY / "cron" / "newsarchive.crontab"
SERVICE = DEPLOY / "systemd" / "newsarchive-crawl@.service"
TIMER = DEPLOY / "systemd" / "newsarchive-crawl@.timer"
BIN = Path(sys.executable).parent  # the environment's scripts: newsarchive, scrapyd-deploy
PROJECT_ENTRIES = {"scraper", "pipelines", "storage", "newsarchive_scrapyd.py"}


def missing(what: str, hint: str) -> None:
    """Skip, or fail when CI requires everything (NEWSARCHIVE_REQUIRE_SERVICES=1)."""
    message = f"{what} is not available ({hint})"
    if REQUIRED:
        pytest.fail(f"NEWSARCHIVE_REQUIRE_SERVICES=1 but {message}")
    pytest.skip(message)


def command(name: str) -> Path:
    path = BIN / name
    if path.exists():
        return path
    found = shutil.which(name)
    if not found:
        missing(f"the {name} command", f"not next to {sys.executable} nor on PATH; pip install -e '.[test]'")
    return Path(found)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without the test run's project settings or import paths."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("NEWSARCHIVE_") and k not in ("PYTHONPATH", "PYTHONHOME")}
    return {**env, **extra}


def run(args: list, **options) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], check=False, capture_output=True, text=True, **options)


def unit_file(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)  # repeated keys; %i specifiers
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    return parser


def crontab_entries() -> list[tuple[list[str], str]]:
    """(five schedule fields, command) of each job line."""
    entries = []
    for line in CRONTAB.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or re.match(r"^[A-Za-z_][A-Za-z0-9_]*\s*=", line):
            continue  # blank, comment, VAR=value
        fields = line.split(None, 5)
        assert len(fields) == 6, f"not a crontab job line: {line!r}"
        entries.append((fields[:5], fields[5]))
    return entries


# -- cron ---------------------------------------------------------------------------------------


def test_crontab_line_is_an_hourly_qhnews_crawl():
    entries = crontab_entries()
    assert len(entries) == 1, entries
    (minute, hour, day, month, weekday), line = entries[0]
    assert minute.isdigit() and 0 <= int(minute) <= 59, minute
    assert (hour, day, month, weekday) == ("*", "*", "*", "*")  # every hour
    assert "%" not in line  # cron turns % into a newline
    assert re.fullmatch(r"cd (/\S+) && \.venv/bin/newsarchive crawl qhnews >> logs/qhnews\.log 2>&1", line), line
    text = CRONTAB.read_text(encoding="utf-8")
    for code in ("0", "2", "3", "4", "5", "6"):  # the documented exit codes
        assert re.search(rf"^#\s+{code} \S", text, re.MULTILINE), f"exit code {code} not documented"


@pytest.mark.slow
def test_crontab_command_crawls_the_replica(replica, tmp_path):
    """The job line as cron runs it (/bin/sh, its cd and log redirection), with only the
    folder moved to a temp dir and the replica's address and --fast added."""
    newsarchive = command("newsarchive")
    (_schedule, line), = crontab_entries()
    folder = re.match(r"cd (/\S+) &&", line).group(1)
    home = tmp_path / "srv"
    (home / ".venv" / "bin").mkdir(parents=True)
    (home / ".venv" / "bin" / "newsarchive").symlink_to(newsarchive)
    (home / "logs").mkdir()
    db = tmp_path / "archive.db"
    site_dir, _truth = replica
    with ReplicaServer(site_dir) as server:
        extra = f"--base-url {shlex.quote(server.base_url)} --fast --db {shlex.quote(str(db))}"
        job = line.replace(f"cd {folder} ", f"cd {shlex.quote(str(home))} ", 1)
        job = job.replace("newsarchive crawl qhnews", f"newsarchive crawl qhnews {extra}", 1)
        assert job.count(extra) == 1 and str(home) in job
        result = run(["/bin/sh", "-c", job], env=clean_env(), cwd=tmp_path, timeout=180)
    log = (home / "logs" / "qhnews.log").read_text(encoding="utf-8")
    assert result.returncode == 0, f"exit code {result.returncode}\n{result.stderr}\n--- logs/qhnews.log ---\n{log}"
    assert result.stdout == "" and result.stderr == ""  # everything went to the log
    assert "qhnews" in log, log  # the run summary went to the log
    with closing(sqlite3.connect(db)) as connection:
        (articles,) = connection.execute("SELECT count(*) FROM articles").fetchone()
        outcomes = [row[0] for row in connection.execute("SELECT outcome FROM crawl_runs")]
    assert articles > 100, articles
    assert outcomes == ["ok"]


# -- systemd ------------------------------------------------------------------------------------


def test_systemd_units_fit_together():
    service, timer = unit_file(SERVICE), unit_file(TIMER)
    assert service["Service"]["Type"] == "oneshot"
    workdir = service["Service"]["WorkingDirectory"]
    assert workdir.startswith("/"), workdir
    exec_start = service["Service"]["ExecStart"]
    # The instance name is the site profile; the binary is the deployment's own virtualenv.
    assert re.fullmatch(rf"{re.escape(workdir)}/\.venv/bin/newsarchive crawl %i", exec_start), exec_start
    assert re.search(r"^Environment=NEWSARCHIVE_DB_URL=\S+://\S+$", SERVICE.read_text(encoding="utf-8"), re.MULTILINE)
    assert "%i" in service["Unit"]["Description"]

    assert timer["Timer"]["OnCalendar"] == "hourly"
    assert re.fullmatch(r"\d+(min|s|h)?", timer["Timer"]["RandomizedDelaySec"])
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Timer"]["Unit"] == SERVICE.name.replace("@.", "@%i.")
    assert (SERVICE.parent / timer["Timer"]["Unit"].replace("%i", "")).resolve() == SERVICE.resolve()
    assert timer["Install"]["WantedBy"] == "timers.target"

    # The command the unit runs exists and takes a site profile name.
    crawl_help = run([command("newsarchive"), "crawl", "--help"], env=clean_env(), timeout=60)
    assert crawl_help.returncode == 0 and "SITE" in crawl_help.stdout, crawl_help.stdout + crawl_help.stderr


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_analyze_verifies_the_units(tmp_path):
    """systemd's own parser: no unknown keys, no bad values. The paths of a real deployment
    (/srv/newsarchive) are moved to ones that exist here, as verify checks ExecStart's binary."""
    newsarchive = command("newsarchive")
    workdir = unit_file(SERVICE)["Service"]["WorkingDirectory"]
    for unit in (SERVICE, TIMER):
        text = unit.read_text(encoding="utf-8")
        text = text.replace(f"{workdir}/.venv/bin/newsarchive", str(newsarchive)).replace(workdir, str(tmp_path))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    instances = [tmp_path / "newsarchive-crawl@qhnews.timer", tmp_path / "newsarchive-crawl@qhnews.service"]
    result = run(["systemd-analyze", "verify", "--man=no", *instances], timeout=60)
    # verify exits 0 on unknown keys and unparsable values, only warning about them: both must be silent.
    assert result.returncode == 0 and not result.stderr.strip() and not result.stdout.strip(), result.stderr


# -- scrapyd ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(url, data=body, timeout=30) as response:
        return json.load(response)


def python_without_project(folder: Path) -> Path:
    """A virtualenv with every package of this one except the project: its site-packages
    entries are symlinks to ours, minus the project's packages and editable-install hooks."""
    venv.EnvBuilder(with_pip=False, symlinks=True).create(folder)
    python = folder / "bin" / "python"
    target = Path(subprocess.check_output(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
    sources = {Path(sysconfig.get_paths()[key]) for key in ("purelib", "platlib")}
    for source in sources:
        for entry in sorted(source.iterdir()):
            name = entry.name
            if (name in PROJECT_ENTRIES or "newsarchive" in name.lower()
                    or (name.endswith(".pth") and str(REPO) in entry.read_text(errors="replace"))
                    or (target / name).exists()):
                continue
            (target / name).symlink_to(entry)
    probe = run([python, "-c", "import scraper"], cwd=folder, env=clean_env())
    assert probe.returncode != 0, "the project is importable without the egg: the test would prove nothing"
    probe = run([python, "-c", "import scrapy, scrapyd, sqlalchemy, pkg_resources"], cwd=folder, env=clean_env())
    assert probe.returncode == 0, probe.stderr
    return python


class Scrapyd:
    """A scrapyd of its own: a temp working dir with its scrapyd.conf, a free port on 127.0.0.1."""

    def __init__(self, home: Path, python: Path):
        self.home, self.python = home, python
        self.env = clean_env(HOME=str(home), NEWSARCHIVE_EGG_CACHE=str(home / "egg-cache"))
        self.process: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> None:
        for _attempt in range(3):  # another process may take the free port before scrapyd binds it
            port = free_port()
            self.url = f"http://127.0.0.1:{port}/"
            (self.home / "scrapyd.conf").write_text(
                "[scrapyd]\n"
                "bind_address = 127.0.0.1\n"
                f"http_port = {port}\n"
                f"eggs_dir = {self.home / 'eggs'}\n"
                f"logs_dir = {self.home / 'logs'}\n"
                f"dbs_dir = {self.home / 'dbs'}\n"
                # Items are raw responses (bytes), not records: the archive is the output. A feed of
                # them would fail to serialise; scrapyd's default is no feed too.
                "items_dir =\n"
                "poll_interval = 0.2\n"
                "max_proc = 2\n",
                encoding="utf-8",
            )
            with open(self.home / "scrapyd.out", "wb") as out:
                self.process = subprocess.Popen([self.python, "-m", "scrapyd"], cwd=self.home, env=self.env,
                                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    if get_json(self.url + "daemonstatus.json")["status"] == "ok":
                        return
                except (OSError, ValueError):
                    time.sleep(0.2)
            self.stop()
        pytest.fail(f"scrapyd did not answer on {self.url}:\n{self.output()}")

    def output(self) -> str:
        return (self.home / "scrapyd.out").read_text(errors="replace")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 15)  # scrapyd and any crawl it still runs
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()

    def job_log(self, job: str) -> str:
        path = self.home / "logs" / "newsarchive" / "qhnews" / f"{job}.log"
        return path.read_text(errors="replace") if path.exists() else f"(no job log at {path})"


@pytest.fixture
def scrapyd_server(tmp_path):
    if importlib.util.find_spec("scrapyd") is None:
        missing("scrapyd", "pip install -e '.[test]'")
    home = tmp_path / "scrapyd"
    home.mkdir()
    server = Scrapyd(home, python_without_project(tmp_path / "scrapyd-venv"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def deployable_copy(folder: Path) -> Path:
    """The project folder as an operator has it, without what the build leaves behind in it."""
    top_level = {".git", ".venv", "data", "build", "dist", ".pytest_cache", ".ruff_cache"}

    def ignore(directory: str, names: list[str]) -> set[str]:
        ignored = {n for n in names if n == "__pycache__" or n.endswith(".egg-info")}
        if Path(directory) == REPO:
            ignored |= top_level & set(names)
        return ignored

    shutil.copytree(REPO, folder, ignore=ignore, symlinks=True)
    return folder


@pytest.mark.slow
def test_scrapyd_deploy_and_scheduled_crawl(scrapyd_server, replica, tmp_path):
    if importlib.util.find_spec("scrapyd_client") is None:
        missing("scrapyd-client", "pip install -e '.[test]'")
    deploy = command("scrapyd-deploy")
    project = deployable_copy(tmp_path / "project")
    # A deploy target of this machine's own, as an operator would keep it in ~/.config/scrapy.cfg.
    config = tmp_path / "xdg"
    config.mkdir()
    (config / "scrapy.cfg").write_text(f"[deploy:test]\nurl = {scrapyd_server.url}\n", encoding="utf-8")
    result = run([deploy, "test", "--version", "r1"], cwd=project, timeout=180,
                 env=clean_env(XDG_CONFIG_HOME=str(config), HOME=str(tmp_path)))
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\n--- scrapyd ---\n{scrapyd_server.output()}"
    answer = json.loads(result.stdout)
    assert answer["status"] == "ok" and answer["project"] == "newsarchive", answer
    # A spider per profile TOML found in the egg (an egg imported as a zip lists none: [""]).
    spiders = get_json(scrapyd_server.url + "listspiders.json?project=newsarchive")
    assert spiders["spiders"] == ["qhnews"], f"{spiders}\n--- scrapyd ---\n{scrapyd_server.output()}"
    egg = scrapyd_server.home / "eggs" / "newsarchive" / "r1.egg"
    assert egg.exists(), sorted(p.name for p in (scrapyd_server.home / "eggs").rglob("*"))

    site_dir, _truth = replica
    db, warc = tmp_path / "archive.db", tmp_path / "warc"
    with ReplicaServer(site_dir) as server:
        started = time.monotonic()
        scheduled = get_json(scrapyd_server.url + "schedule.json", [
            ("project", "newsarchive"),
            ("spider", "qhnews"),
            ("setting", f"NEWSARCHIVE_DB_URL=sqlite:///{db}"),
            ("setting", f"NEWSARCHIVE_BASE_URL={server.base_url}"),
            ("setting", f"NEWSARCHIVE_WARC_DIR={warc}"),
            # scrapyd passes these as `scrapy crawl -s`, priority "cmdline": above the profile's
            # politeness, which the spider sets at priority "spider".
            ("setting", "DOWNLOAD_DELAY=0"),
            ("setting", "AUTOTHROTTLE_ENABLED=False"),
            ("setting", "CONCURRENT_REQUESTS_PER_DOMAIN=8"),
        ])
        assert scheduled["status"] == "ok", scheduled
        job = scheduled["jobid"]
        deadline = started + 180
        while True:
            jobs = get_json(scrapyd_server.url + "listjobs.json?project=newsarchive")
            if any(j["id"] == job for j in jobs["finished"]):
                break
            assert time.monotonic() < deadline, \
                f"job {job} not finished after 180 s: {jobs}\n{scrapyd_server.job_log(job)}"
            time.sleep(0.5)
        took = time.monotonic() - started

    log = scrapyd_server.job_log(job)
    assert db.exists(), f"no archive at {db}\n--- job log ---\n{log}\n--- scrapyd ---\n{scrapyd_server.output()}"
    with closing(sqlite3.connect(db)) as connection:
        (articles,) = connection.execute("SELECT count(*) FROM articles").fetchone()
        runs = connection.execute("SELECT outcome, base_url FROM crawl_runs").fetchall()
    assert articles > 100, f"{articles} articles stored\n--- job log ---\n{log}"
    assert runs == [("ok", server.base_url)], f"{runs}\n--- job log ---\n{log}"
    assert list(warc.glob("*.warc.gz")), f"no WARC file in {warc}\n--- job log ---\n{log}"

    # The crawl ran from the egg, unpacked by its settings module (no copy of the project is importable).
    unpacked = list((scrapyd_server.home / "egg-cache").glob("newsarchive-*.egg/scraper/sites/qhnews.toml"))
    assert len(unpacked) == 1, unpacked
    # The fast settings won over the profile's (1.0 s delay, AutoThrottle on, 2 per domain): Scrapy
    # lists the values in force, and -s values are the strings given.
    overridden = re.search(r"Overridden settings:\n?(.*?)\n\d{4}-", log, re.DOTALL)
    assert overridden, log
    for setting in ("'DOWNLOAD_DELAY': '0'", "'AUTOTHROTTLE_ENABLED': 'False'",
                    "'CONCURRENT_REQUESTS_PER_DOMAIN': '8'"):
        assert setting in overridden.group(1), overridden.group(1)
    assert took < 120, f"the crawl took {took:.0f} s: were the profile's delays applied?"
