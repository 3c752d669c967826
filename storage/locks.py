"""One crawl per site at a time, with a lock row in the archive itself.

The row names its owner (host, pid and the process's start time, so a reused pid is not
mistaken for the owner) and is refreshed by a heartbeat. A second run finds it and
refuses, unless the owner is gone: a process of this host that no longer exists, or a
heartbeat older than the stale limit (an owner on another host, or one that hangs).
Taking a lock over marks the runs its dead owner left "running" as interrupted.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from .models import CrawlLock, CrawlRun, Fetch

STALE_AFTER = timedelta(minutes=10)  # a live owner beats every minute


class LockHeld(RuntimeError):
    """Another run of the site is in progress."""

    def __init__(self, site: str, owner: str, run_id: int | None, since: datetime):
        self.owner, self.run_id, self.since = owner, run_id, since
        super().__init__(f"another crawl of {site} is running (run {run_id}, {owner}, since {since:%Y-%m-%d %H:%M:%S} UTC)")


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), '' where unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return ""


def _namespace() -> str:
    """machine.boot.pid-namespace of this process: pids are comparable only within all three (two
    machines cloned from one image share a host name; two containers may share a pid). '' where
    unknown."""
    try:
        with open("/etc/machine-id", encoding="ascii") as machine:
            machine_id = machine.read().strip()[:12]
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as boot:
            boot_id = boot.read().strip()[:8]
        if not machine_id or not boot_id:
            return ""
        return f"{machine_id}.{boot_id}.{os.stat('/proc/self/ns/pid').st_ino}"
    except OSError:
        return ""


def process_owner(pid: int) -> str:
    """The owner string of a process of this host and pid namespace: host:pid:start time:namespace."""
    return f"{socket.gethostname()}:{pid}:{_start_time(pid)}:{_namespace()}"


def this_process() -> str:
    return process_owner(os.getpid())


def owner_alive(owner: str) -> bool | None:
    """True/False for an owner this process can see; None when it cannot be told (another host,
    another pid namespace or boot, a process table it may not read): then the heartbeat decides."""
    parts = owner.split(":")
    if len(parts) != 4 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return None
    _host, pid_text, started, namespace = parts
    ours = _namespace()
    theirs, mine = namespace.split("."), ours.split(".")
    if len(theirs) == 3 and len(mine) == 3 and theirs[0] == mine[0] and theirs[1] != mine[1]:
        return False  # this very machine has rebooted since (a power cut): no process of before lives
    if not namespace or namespace != ours:
        return None
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, another user's
    now_started = _start_time(pid)
    if not started or not now_started:
        return None  # /proc hidden (hidepid): cannot tell a reused pid from the owner
    return now_started == started


@dataclass
class Lock:
    site_id: int
    owner: str
    taken_over: list[int]  # runs left running by a dead owner, now marked interrupted


def acquire(sessions: sessionmaker[Session], site: str, site_id: int, now: datetime,
            stale_after: timedelta = STALE_AFTER) -> Lock:
    owner = this_process()
    for _attempt in range(3):
        try:
            with sessions.begin() as session:
                session.add(CrawlLock(site_id=site_id, owner=owner, acquired_at=now, heartbeat_at=now))
            return Lock(site_id, owner, _close_dead_runs(sessions, site_id, now))
        except IntegrityError:
            pass
        with sessions() as session:
            held = session.get(CrawlLock, site_id)
            if held is None:
                continue  # released meanwhile: try again
            alive = owner_alive(held.owner)
            if alive or (alive is None and now - held.heartbeat_at < stale_after):
                raise LockHeld(site, held.owner, held.run_id, held.acquired_at)
            stale_owner = held.owner
        with sessions.begin() as session:
            # only the row we judged stale: if another process took it over first, we lose the race
            taken = session.execute(
                update(CrawlLock).where(CrawlLock.site_id == site_id, CrawlLock.owner == stale_owner)
                .values(owner=owner, run_id=None, acquired_at=now, heartbeat_at=now)
            ).rowcount
        if taken:
            return Lock(site_id, owner, _close_dead_runs(sessions, site_id, now))
    with sessions() as session:
        held = session.get(CrawlLock, site_id)
        raise LockHeld(site, held.owner if held else "?", held.run_id if held else None, held.acquired_at if held else now)


def _close_dead_runs(sessions: sessionmaker[Session], site_id: int, now: datetime) -> list[int]:
    """Runs still 'running' while we hold the lock belong to a process that died (SIGKILL,
    power loss): they are closed as interrupted, with the counts their fetch rows show."""
    from .repository import run_summary

    closed = []
    with sessions.begin() as session:
        for run in session.scalars(select(CrawlRun).where(CrawlRun.site_id == site_id, CrawlRun.outcome == "running")):
            summary = run_summary(session, run.id)
            # its last sign of life: the last answer it stored (it died some time after)
            run.finished_at = session.scalar(select(func.max(Fetch.fetched_at)).where(Fetch.run_id == run.id))
            summary.update(outcome="interrupted", crashed=True,
                           seconds=round((run.finished_at - run.started_at).total_seconds(), 2) if run.finished_at else None)
            run.outcome, run.summary = "interrupted", summary
            closed.append(run.id)
    return closed


def attach_run(sessions: sessionmaker[Session], lock: Lock, run_id: int) -> None:
    with sessions.begin() as session:
        session.execute(update(CrawlLock).where(CrawlLock.site_id == lock.site_id, CrawlLock.owner == lock.owner)
                        .values(run_id=run_id))


def heartbeat(sessions: sessionmaker[Session], lock: Lock, now: datetime) -> bool:
    """Refresh the lock; False when it is no longer ours (taken over as stale)."""
    with sessions.begin() as session:
        return bool(session.execute(
            update(CrawlLock).where(CrawlLock.site_id == lock.site_id, CrawlLock.owner == lock.owner)
            .values(heartbeat_at=now)
        ).rowcount)


def release(sessions: sessionmaker[Session], lock: Lock) -> None:
    with sessions.begin() as session:
        session.execute(delete(CrawlLock).where(CrawlLock.site_id == lock.site_id, CrawlLock.owner == lock.owner))
