"""Crawl state and the crawl lock in the archive, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from storage import locks
from storage.models import CrawlLock, CrawlRun, Fetch, UrlState
from storage.repository import FetchRecord
from storage.state import known_urls, mark_walked, reset_state, walked_sections
from tests.test_storage import T0

URL = "http://www.qhnews.com/dj/system/2024/06/14/1.shtml"


def fetch(status=200, etag='W/"a"', last_modified="Fri, 14 Jun 2024 00:00:00 GMT", at=T0, outcome=None, reason=None):
    return FetchRecord(kind="article", url=URL, site_url=URL, final_url=URL, status=status, fetched_at=at, size=10,
                       etag=etag, last_modified=last_modified, outcome=outcome, reason=reason)


def test_state_follows_each_answer_in_the_page_transaction(archive, records):
    archive, sessions, site_id = archive
    run = archive.start_run(site_id)
    record = {**records[0], "url": URL, "canonical_url": URL}
    archive.record(run, site_id, [fetch()], record, state_url=URL)
    state = known_urls(sessions, site_id)[URL]
    assert (state.status, state.outcome, state.etag, state.failures) == (200, "stored", 'W/"a"', 0)
    assert state.article_id is not None and state.published_at is not None
    # a 304: unchanged, the validators and the article kept
    archive.record(run, site_id, [fetch(status=304, etag=None, last_modified=None, at=T0 + timedelta(hours=1),
                                        outcome="unchanged")], None, state_url=URL)
    state = known_urls(sessions, site_id)[URL]
    assert (state.status, state.outcome, state.etag) == (304, "unchanged", 'W/"a"')
    assert state.last_fetched_at == T0 + timedelta(hours=1)
    with sessions() as session:
        row = session.scalar(select(Fetch).order_by(Fetch.id.desc()).limit(1))
        assert row.outcome == "unchanged" and row.article_id == state.article_id
    # two failures in a row: counted, the validators dropped (they describe an answer no longer given)
    for hours in (2, 3):
        archive.record(run, site_id, [fetch(status=503, etag=None, last_modified=None, at=T0 + timedelta(hours=hours),
                                            outcome="failed", reason="server_error")], None, state_url=URL)
    state = known_urls(sessions, site_id)[URL]
    assert (state.outcome, state.reason, state.failures, state.etag) == ("failed", "server_error", 2, "")
    assert state.article_id is not None  # the article it led to is still known


def test_a_304_for_an_unknown_url_is_an_http_error(archive):
    archive, sessions, site_id = archive
    run = archive.start_run(site_id)
    outcome, _ = archive.record(run, site_id, [fetch(status=304, outcome="unchanged")], None, state_url=URL)
    assert outcome is None
    with sessions() as session:
        row = session.scalar(select(Fetch))
        assert (row.outcome, row.reason) == ("failed", "http_error")


def test_walk_marks_and_resets(archive):
    archive, sessions, site_id = archive
    run = archive.start_run(site_id)
    with sessions.begin() as session:
        mark_walked(session, run, site_id, ["http://www.qhnews.com/dj/"], T0)
        mark_walked(session, run, site_id, ["http://www.qhnews.com/dj/"], T0 + timedelta(days=1))
    assert walked_sections(sessions, site_id) == {"http://www.qhnews.com/dj/": T0 + timedelta(days=1)}
    archive.record(run, site_id, [fetch(status=404, outcome="failed", reason="not_found")], None, state_url=URL)
    assert reset_state(sessions, "qhnews", "failed") == 1
    assert reset_state(sessions, "qhnews", "sections") == 1
    with sessions() as session:
        assert session.scalar(select(UrlState)) is None
    with pytest.raises(LookupError):
        reset_state(sessions, "nosuchsite", "all")
    with pytest.raises(ValueError):
        reset_state(sessions, "qhnews", "everything")


def test_the_lock_refuses_a_live_owner_and_takes_over_a_dead_one(archive):
    archive, sessions, site_id = archive
    now = datetime.now(timezone.utc)
    mine = locks.acquire(sessions, "qhnews", site_id, now)
    run = archive.start_run(site_id)
    locks.attach_run(sessions, mine, run)
    with pytest.raises(locks.LockHeld, match=f"run {run}"):
        locks.acquire(sessions, "qhnews", site_id, now)  # this very process holds it: alive
    assert locks.heartbeat(sessions, mine, now + timedelta(seconds=60))
    # the owner dies (its row now names a process that is gone): the next run takes over
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    gone = locks.Lock(site_id, locks.process_owner(dead.pid), [])  # its start time unreadable now: ''
    gone.owner = gone.owner.replace(f":{dead.pid}::", f":{dead.pid}:1:")  # as it was written while it lived
    with sessions.begin() as session:
        session.get(CrawlLock, site_id).owner = gone.owner
    taken = locks.acquire(sessions, "qhnews", site_id, now)
    assert taken.taken_over == [run]
    with sessions() as session:
        closed = session.get(CrawlRun, run)
        assert closed.outcome == "interrupted" and closed.summary["crashed"] is True
    assert not locks.heartbeat(sessions, gone, now)  # the old owner, were it alive, learns it lost the lock
    locks.release(sessions, taken)
    with sessions() as session:
        assert session.get(CrawlLock, site_id) is None


def test_an_owner_on_another_host_is_stale_only_after_its_heartbeat_stops(archive):
    archive, sessions, site_id = archive
    now = datetime.now(timezone.utc)
    with sessions.begin() as session:
        session.add(CrawlLock(site_id=site_id, owner="elsewhere.example:123:456", acquired_at=now, heartbeat_at=now))
    with pytest.raises(locks.LockHeld, match="elsewhere.example"):
        locks.acquire(sessions, "qhnews", site_id, now + timedelta(minutes=5))
    lock = locks.acquire(sessions, "qhnews", site_id, now + timedelta(minutes=11))
    assert lock.owner == locks.this_process()


def test_a_reused_pid_is_not_mistaken_for_the_owner():
    me = locks.this_process()
    assert locks.owner_alive(me) is True
    host, pid, started, namespace = me.split(":")
    if started and namespace:  # Linux: the start time tells a reused pid apart
        assert locks.owner_alive(f"{host}:{pid}:{int(started) + 1}:{namespace}") is False
        # another pid namespace (a container sharing the host name), or an unreadable process table:
        # cannot tell, the heartbeat decides
        machine, boot, pid_namespace = namespace.split(".")
        assert locks.owner_alive(f"{host}:{pid}:{started}:{machine}.{boot}.1") is None  # another container
        other_boot = ("1" if boot[0] == "0" else "0") + boot[1:]
        assert locks.owner_alive(f"{host}:{pid}:{started}:{machine}.{other_boot}.{pid_namespace}") is False  # rebooted
        # another machine that happens to have the same host name (a cloned VM): alive for all we know
        other_machine = ("1" if machine[0] == "0" else "0") + machine[1:]
        assert locks.owner_alive(f"{host}:{pid}:{started}:{other_machine}.{other_boot}.{pid_namespace}") is None
        assert locks.owner_alive(f"{host}:{pid}::{namespace}") is None
    assert locks.owner_alive(f"other-host:{os.getpid()}:1:x") is None
    assert locks.owner_alive("garbage") is None


def test_captures_a_killed_run_never_recorded_are_found_once(archive, tmp_path):
    from storage.salvage import crashed_runs, mark_salvaged, unrecorded_captures
    from storage.warc import WarcWriter
    from tests.test_warc import _capture

    archive, sessions, site_id = archive
    dead = archive.start_run(site_id, "http://127.0.0.1:8000")
    writer = WarcWriter(tmp_path, f"qhnews-{dead}")
    recorded = writer.write_capture(_capture(b"<html>one</html>", url="http://127.0.0.1:8000/a.shtml"))
    unrecorded = writer.write_capture(_capture(b"<html>two</html>", url="http://127.0.0.1:8000/b.shtml"))
    writer.close()
    archive.record(dead, site_id, [FetchRecord(kind="article", url="http://127.0.0.1:8000/a.shtml",
                                               site_url="http://www.qhnews.com/a.shtml", fetched_at=T0, status=200,
                                               outcome="failed", reason="no_title", warc=recorded)])
    assert crashed_runs(sessions, site_id) == []  # still "running": nobody has found it dead yet
    locks.acquire(sessions, "qhnews", site_id, datetime.now(timezone.utc))  # closes it as crashed
    assert crashed_runs(sessions, site_id) == [(dead, "http://127.0.0.1:8000")]
    found = unrecorded_captures(sessions, tmp_path, "qhnews", crashed_runs(sessions, site_id))
    assert [(c.target_uri, c.location.record_id, c.status) for c in found] == [
        ("http://127.0.0.1:8000/b.shtml", unrecorded.record_id, 200)]
    assert found[0].location.offset == unrecorded.offset and found[0].location.length == unrecorded.length
    later = archive.start_run(site_id)
    mark_salvaged(sessions, [dead], by_run=later)
    assert crashed_runs(sessions, site_id) == []


@pytest.mark.parametrize("outcome, reason", [("failed", "no_title"), ("failed", "removal_notice"),
                                             ("failed", "decode_error")])
def test_no_validators_are_kept_from_an_answer_that_was_not_the_article(archive, outcome, reason):
    """Their 304 on the next visit would read as "unchanged" and hide the failure or the takedown."""
    archive, sessions, site_id = archive
    run = archive.start_run(site_id)
    archive.record(run, site_id, [fetch(outcome=outcome, reason=reason)], None, state_url=URL)
    state = known_urls(sessions, site_id)[URL]
    assert state.etag == "" and state.last_modified == ""


def test_hostile_validators_are_not_kept_and_never_break_storing(archive, records):
    archive, sessions, site_id = archive
    run = archive.start_run(site_id)
    record = {**records[0], "url": URL, "canonical_url": URL}
    outcome, _ = archive.record(run, site_id, [fetch(etag='W/"a\x00b"', last_modified="x" * 5000)], record,
                                state_url=URL)
    assert outcome == "stored"  # PostgreSQL refuses NUL in text: the validator is dropped, not the article
    state = known_urls(sessions, site_id)[URL]
    assert state.etag == "" and state.last_modified == ""


def test_a_multi_page_article_is_never_asked_for_conditionally(archive, records):
    archive, sessions, site_id = archive
    run = archive.start_run(site_id)
    record = {**records[0], "url": URL, "canonical_url": URL, "page_urls": [URL, URL.replace(".shtml", "_2.shtml")]}
    archive.record(run, site_id, [fetch()], record, state_url=URL)
    state = known_urls(sessions, site_id)[URL]
    assert state.etag == "" and state.article_id is not None


def test_a_new_full_answer_without_validators_clears_the_old_ones(archive, records):
    archive, sessions, site_id = archive
    run = archive.start_run(site_id)
    record = {**records[0], "url": URL, "canonical_url": URL}
    archive.record(run, site_id, [fetch()], record, state_url=URL)
    archive.record(run, site_id, [fetch(etag=None, last_modified=None)], record, state_url=URL)
    state = known_urls(sessions, site_id)[URL]
    assert (state.outcome, state.etag, state.last_modified) == ("unchanged", "", "")


def test_a_304_nobody_asked_for_leaves_the_article_alone(archive, records):
    archive, sessions, site_id = archive
    run = archive.start_run(site_id)
    record = {**records[0], "url": URL, "canonical_url": URL}
    archive.record(run, site_id, [fetch()], record, state_url=URL)
    later = archive.start_run(site_id)
    outcome, _ = archive.record(later, site_id, [fetch(status=304, outcome="failed", reason="http_error",
                                                       at=T0 + timedelta(days=1))], None, state_url=URL)
    assert outcome is None
    with sessions() as session:
        from storage.models import Article

        article = session.scalar(select(Article))
        assert article.last_seen_at == T0 and article.last_run_id == run
    assert known_urls(sessions, site_id)[URL].outcome == "failed"


def test_only_captures_newer_than_the_archive_are_read_back():
    from storage.salvage import Unrecorded, replayable
    from storage.warc import Location

    def capture(url, hours, status=200):
        return Unrecorded(1, None, url, Location("f", hours, 1, f"<urn:{url}:{hours}>", "response"),
                          T0 + timedelta(hours=hours), status)

    found = replayable(
        [capture("a", 1), capture("a", 3), capture("b", 1), capture("c", 5), capture("d", 2, status=404)],
        lambda c: c.target_uri,
        {"b": T0 + timedelta(hours=2), "c": T0 + timedelta(hours=4)},
    )
    # a: its newer capture; b: a later run fetched it again, that answer stands; c: newer than the
    # archive's; d: not an answer worth replaying
    assert {url: c.fetched_at for url, c in found.items()} == {"a": T0 + timedelta(hours=3),
                                                              "c": T0 + timedelta(hours=5)}
