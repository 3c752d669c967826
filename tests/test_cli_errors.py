"""Bad input at the front door: one line naming the problem and the fix, exit code 2, no traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from scraper.sites.profile import PROFILE_DIR, ProfileError, load_profile
from tests.conftest import run_cli

GOOD = (PROFILE_DIR / "qhnews.toml").read_text(encoding="utf-8")


def _assert_one_line_error(result, *needles: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) <= 2 and lines[0].startswith("error:"), result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)


def test_unknown_site():
    _assert_one_line_error(run_cli("crawl", "nosuchsite", "--db", "/tmp/x.db"), "unknown site 'nosuchsite'", "qhnews")


@pytest.mark.parametrize(
    "edit, needle",
    [
        (lambda t: t.replace("[discovery]", "[discovery_typo]"), "unknown table(s) discovery_typo"),
        (lambda t: t[: t.index("[discovery]")] + t[t.index("# URL path prefix"):], "[discovery] is missing"),
        (lambda t: t.replace('timezone = "Asia/Shanghai"', 'timezone = "Asia/Xining"'), "timezone"),
        (lambda t: t.replace(r"article_pattern = '^/", "article_pattern = '^/(["), "not a valid regular expression"),
        (lambda t: t.replace('origin = "http://www.qhnews.com"', 'origin = "www.qhnews.com"'), "absolute http(s) URLs"),
        (lambda t: t.replace('signature = "h1#ArticleTitle"', 'signature = "h1##"'), "not a valid CSS selector"),
        (lambda t: t.replace("concurrent_requests_per_domain = 2", 'concurrent_requests_per_domain = "two"'),
         "must be a int"),
        (lambda t: t + "\n[site\n", "not valid TOML"),
        (lambda t: t.replace('name = "qhnews"\n', ""), "name is required"),
        (lambda t: t.replace("obey_robots = true", "obey_robot = false"), "unknown key(s) obey_robot"),
        (lambda t: t.replace("[extraction]", "[extration]"), "unknown table(s) extration"),
        (lambda t: t.replace('default_charset = "gb18030"', 'default_charset = "gb-18030x"'), "not a known charset"),
        (lambda t: t.replace("retry_times = 2", "retry_times = -5"), "must not be negative"),
        (lambda t: t.replace('name = "a"\n', 'name = "a"\nurl_pattern = "(["\n'), "not a valid regular expression"),
    ],
    ids=["misspelt-table", "missing-table", "bad-timezone", "bad-regex", "relative-origin", "bad-selector", "wrong-type", "broken-toml",
         "missing-key", "typo-key", "typo-table", "bad-charset", "negative", "bad-url-pattern"],
)
def test_malformed_profiles_name_the_key(tmp_path, edit, needle):
    path = tmp_path / "broken.toml"
    path.write_text(edit(GOOD), encoding="utf-8")
    with pytest.raises(ProfileError, match=None) as raised:
        load_profile(str(path))
    assert needle in str(raised.value)
    _assert_one_line_error(run_cli("crawl", str(path), "--db", str(tmp_path / "a.db")), needle)


def test_the_shipped_profile_keeps_its_own_name():
    profile = load_profile("qhnews")
    assert profile.name == profile.rules.site == "qhnews"
    assert profile.politeness.autothrottle_target_concurrency > 0


def test_unwritable_db(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    _assert_one_line_error(run_cli("crawl", "qhnews", "--db", str(blocker / "archive.db")), "choose another --db")
    _assert_one_line_error(run_cli("stats", "--db", str(blocker / "archive.db")), "choose another --db")


def test_port_in_use(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("replica", "serve", "--port", str(port), "--site-dir", str(_built(tmp_path)))
    _assert_one_line_error(result, f"port {port} is in use", "--port")


def _built(tmp_path: Path) -> Path:
    from scraper.replica.generate import build_site

    build_site(tmp_path / "site")
    return tmp_path / "site"


def test_bad_dates_and_formats(tmp_path):
    db = str(tmp_path / "a.db")
    _assert_one_line_error(run_cli("export", "--db", db, "--since", "June"), "--since", "YYYY-MM-DD")
    _assert_one_line_error(run_cli("export", "--db", db, "--format", "xml"), "unknown format 'xml'")


def test_help_lists_every_command():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("crawl", "export", "stats", "replica", "demo"):
        assert command in result.stdout


def test_bad_options_and_foreign_databases(tmp_path):
    _assert_one_line_error(run_cli("crawl", "qhnews", "--db", str(tmp_path / "a.db"), "--log-level", "bogus"),
                           "--log-level")
    _assert_one_line_error(run_cli("crawl", "qhnews", "--db", str(tmp_path / "a.db"), "--base-url", "127.0.0.1:9"),
                           "not an http(s) address")
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("these are my notes, not an archive\n" * 100)
    _assert_one_line_error(run_cli("stats", "--db", str(not_a_db)), "not an archive database")
    _assert_one_line_error(run_cli("extract", "http://[::1"), "cannot fetch")


def test_an_archive_from_a_newer_version_is_refused_not_broken(tmp_path):
    import sqlite3

    db = tmp_path / "a.db"
    assert run_cli("stats", "--db", str(db)).returncode == 0
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    _assert_one_line_error(run_cli("stats", "--db", str(db)), "newer than this newsarchive")


def test_export_to_stdout_is_utf8_whatever_the_locale(tmp_path):
    db = tmp_path / "a.db"
    assert run_cli("stats", "--db", str(db)).returncode == 0
    result = run_cli("export", "--db", str(db), env={"PYTHONIOENCODING": "latin-1"})
    assert result.returncode == 0 and result.stdout == ""
