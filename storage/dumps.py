"""Dumps: an export written to a file with its manifest, recorded in the archive, and
incremental dumps (what is new or changed after a crawl run, or since the previous dump).

What counts as a change of an article (both kinds of incremental dump):

- it is new (stored after the basis);
- it has a new version (a crawl saw the site change it, or a re-extraction read it differently);
- it was taken down or came back (``removed`` / ``reappeared`` events);
- it gained an alias URL (the ``aliases`` field).

Not a change: being seen again unchanged (only ``last_seen_at`` moves), a re-extraction that
finds the same fields (only the ``extraction`` audit and ``extractor_version`` are refreshed),
an unreadable capture (``reextract_failed``: the article stays as it was), and its story
gaining or losing copies or choosing another original (``story_copies``, ``story_original``,
``carried_by``): a full export gives those as they are now.

``--since-exported`` compares ids with the high-water marks the previous dump read before it
began (the largest id of articles, versions, events and URLs). They are read before anything
is exported, in a transaction of their own that on PostgreSQL first waits for every writer
under way (a SHARE lock on the four tables, released at once), so every row at or below a mark
is committed and visible to the export: a change stored while a dump runs is above the marks
and goes into the next dump too. At least once, never lost.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from .export import SCHEMA_PATH, SCHEMA_VERSION, ArticleFilter
from .export_formats import HashingSink, OutputKind, write_records
from .export_workers import RecordSource
from .models import Article, ArticleEvent, ArticleUrl, ArticleVersion, CrawlRun, ExportDump

MANIFEST_SCHEMA_PATH = SCHEMA_PATH.with_name("manifest.schema.json")
MANIFEST_VERSION = 1
MANIFEST_SUFFIX = ".manifest.json"
CHANGE_EVENTS = ("removed", "reappeared")  # reextract_failed leaves the article as it was


class DumpError(ValueError):
    """A dump that cannot be made as asked; the message says why and what would work."""


@dataclass(frozen=True)
class Marks:
    """The largest id of each table when a dump began."""

    articles: int
    versions: int
    events: int
    urls: int


@dataclass(frozen=True)
class Selection:
    """What a dump selects: the filters, a search query, one row per story."""

    where: ArticleFilter = ArticleFilter()
    query: str | None = None
    one_per_story: bool = False

    def as_json(self) -> dict[str, Any]:
        filters = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self.where).items()}
        return {"filters": filters, "query": self.query, "one_per_story": self.one_per_story}

    def key(self, chain: str) -> str:
        """Dumps of the same selection in the same chain follow one another (``--since-exported``)."""
        canonical = json.dumps({"selection": self.as_json(), "chain": chain}, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def high_water_marks(sessions: sessionmaker[Session]) -> Marks:
    """The marks, read in a transaction of their own before the export reads anything. SQLite has
    one writer at a time, so what is committed is always every id up to the largest. PostgreSQL
    hands out ids before commit: a SHARE lock waits for the transactions writing these tables
    to end (and holds new ones back for the instant of the reads), so no row at or below a mark
    can appear later. Tables in the order writers take them (articles first), against deadlocks."""
    with sessions.begin() as session:
        if session.get_bind().dialect.name == "postgresql":
            # a writer holding on (a long re-extraction) makes the dump fail with a clear message, not wait for ever
            session.execute(text("SET LOCAL lock_timeout = '60s'"))
            session.execute(text("LOCK TABLE articles, article_urls, article_versions, article_events IN SHARE MODE"))
        return Marks(*(session.scalar(select(func.coalesce(func.max(column), 0)))
                       for column in (Article.id, ArticleVersion.id, ArticleEvent.id, ArticleUrl.id)))


def changed_since(session: Session, marks: Marks) -> set[int]:
    """Articles new or changed after the marks (ids)."""
    return _changed(session, Article.id > marks.articles, ArticleVersion.id > marks.versions,
                    ArticleEvent.id > marks.events, ArticleUrl.id > marks.urls)


def changed_after_run(session: Session, run_id: int) -> set[int]:
    """Articles new or changed after crawl run ``run_id``: first stored by a later run, given a
    version, an event or an alias by a later run, or a new version by a re-extraction after it."""
    run = session.get(CrawlRun, run_id)
    if run is None and run_id != 0:
        raise DumpError(f"--after-run {run_id}: the archive has no crawl run {run_id}; `newsarchive runs` lists them")
    # a re-extraction has no run: it counts as after the run when made since the run started, or
    # stored after the last version of the run and the runs before it (either says so: at least once)
    last_version = session.scalar(select(func.coalesce(func.max(ArticleVersion.id), 0))
                                  .where(ArticleVersion.run_id <= run_id))
    reextracted = ArticleVersion.run_id.is_(None) & (
        (ArticleVersion.id > last_version) | (ArticleVersion.created_at >= run.started_at if run is not None else True))
    return _changed(session, Article.first_run_id > run_id, (ArticleVersion.run_id > run_id) | reextracted,
                    ArticleEvent.run_id > run_id, ArticleUrl.first_run_id > run_id)


def _changed(session: Session, new, version, event, url) -> set[int]:
    ids = set(session.scalars(select(Article.id).where(new)))
    ids.update(session.scalars(select(ArticleVersion.article_id).where(version)))
    ids.update(session.scalars(select(ArticleEvent.article_id).where(event, ArticleEvent.kind.in_(CHANGE_EVENTS))))
    ids.update(session.scalars(select(ArticleUrl.article_id).where(url, ArticleUrl.kind == "alias")))
    return ids


def previous_dump(session: Session, key: str) -> ExportDump | None:
    """The latest dump of the selection and chain that held all of it up to its marks: a full dump
    or a ``--since-exported`` one. An ``--after-run`` dump is skipped: it left out whatever its run
    boundary did, which the chain would then never see."""
    for dump in session.scalars(select(ExportDump).where(ExportDump.selection_key == key).order_by(ExportDump.id.desc())):
        if not dump.basis or "after_run" not in dump.basis:
            return dump
    return None


def query_ids(sessions: sessionmaker[Session], query: str, where: ArticleFilter) -> set[int]:
    """Every article matching a search query and the filters (ids only). Articles not yet in
    the search index (an archive from before search) are indexed first, as `search` does."""
    from .search import QueryError, index_missing, matching_ids, parse

    try:
        parsed = parse(query)
    except QueryError as exc:
        raise DumpError(f"--query cannot be searched for: {exc}") from None
    index_missing(sessions)
    with sessions() as session:
        return matching_ids(session, parsed, where)


@dataclass
class Plan:
    """Which articles a dump exports and on what basis."""

    ids: set[int] | None  # None: every article the filters select
    basis: dict[str, Any] | None
    marks: Marks | None  # None: not to be recorded (standard output)
    chain: str = ""


def plan(sessions: sessionmaker[Session], selection: Selection, chain: str = "", after_run: int | None = None,
         since_exported: bool = False, record: bool = True) -> Plan:
    """The marks (read first, for a dump to be recorded), then the articles: the query's matches,
    those changed after the run or the previous dump of this selection and chain (the whole
    selection when there is none)."""
    from .models import Site

    if after_run is not None and since_exported:
        raise DumpError("give --after-run or --since-exported, not both")
    if after_run is not None and after_run < 0:
        raise DumpError(f"--after-run {after_run}: a run id is a positive number (`newsarchive runs`)")
    if since_exported and not record:
        raise DumpError("--since-exported needs a dump that is recorded (-o FILE)")
    marks = high_water_marks(sessions) if record else None
    ids: set[int] | None = None
    basis: dict[str, Any] | None = None
    with sessions() as session:
        if selection.where.site and session.scalar(select(Site.id).where(Site.name == selection.where.site)) is None:
            known = ", ".join(session.scalars(select(Site.name).order_by(Site.name))) or "none yet"
            raise DumpError(f"--site {selection.where.site}: the archive holds no such site (it holds: {known})")
        if after_run is not None:
            ids, basis = changed_after_run(session, after_run), {"after_run": after_run}
        elif since_exported:
            previous = previous_dump(session, selection.key(chain))
            basis = {"previous_dump": previous.id if previous else None}
            if previous is not None:
                ids = changed_since(session, Marks(previous.max_article_id, previous.max_version_id,
                                                   previous.max_event_id, previous.max_url_id))
    if selection.query:
        matches = query_ids(sessions, selection.query, selection.where)
        ids = matches if ids is None else ids & matches
    return Plan(ids, basis, marks, chain)


def manifest_path(output: Path) -> Path:
    return output.with_name(output.name + MANIFEST_SUFFIX)


def check_destination(output: Path, overwrite: bool) -> None:
    """Refuse to replace an earlier dump (its data file or manifest) unless asked to."""
    if output.name.endswith(MANIFEST_SUFFIX):
        raise DumpError(f"{output.name} is a manifest's name: name the data file, its manifest is written beside it")
    if output.is_dir():
        raise DumpError(f"{output} is a folder: name a file in it")
    if manifest_path(output).is_dir():
        raise DumpError(f"{manifest_path(output)} is a folder: the manifest cannot be written beside {output.name}")
    taken = [p for p in (output, manifest_path(output)) if p.exists()]
    if taken and not overwrite:
        raise DumpError(f"{taken[0]} exists (an earlier dump?); choose another name, or --overwrite to replace it")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newsarchive")
    except PackageNotFoundError:
        return "unknown"


def _temporary_write(path: Path, write) -> tuple[Path, int, str, Any]:
    """Write through ``write(sink)`` into a temporary file beside ``path`` (synced), to be renamed
    into place once everything else has succeeded. (temporary, bytes, sha256, result)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with open(temporary, "xb") as raw:
            sink = HashingSink(raw)
            result = write(sink)
            raw.flush()
            os.fsync(raw.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary, sink.bytes, sink.sha256.hexdigest(), result


def dump_source(sessions: sessionmaker[Session], selection: Selection, the_plan: Plan) -> RecordSource:
    """The dump's records (iterate), which a large export encodes on several cores (storage/export_workers.py)."""
    ids = the_plan.ids
    if ids is not None and selection.one_per_story:
        ids = _with_their_stories(sessions, ids)
    return RecordSource(sessions, selection.where, selection.one_per_story, None if ids is None else frozenset(ids))


def _with_their_stories(sessions: sessionmaker[Session], ids: set[int]) -> set[int]:
    """``ids`` and every other copy of their stories: a story one of whose copies changed is
    given again, by the copy a full dump would choose (its original), not by the changed one."""
    found, chunk = set(ids), 5000
    ordered = sorted(ids)
    with sessions() as session:
        stories: set[int] = set()
        for start in range(0, len(ordered), chunk):
            stories.update(session.scalars(select(Article.story_id).where(
                Article.id.in_(ordered[start:start + chunk]), Article.story_id.is_not(None))))
        ordered_stories = sorted(stories)
        for start in range(0, len(ordered_stories), chunk):
            found.update(session.scalars(select(Article.id).where(
                Article.story_id.in_(ordered_stories[start:start + chunk]))))
    return found


def write_stream(sessions: sessionmaker[Session], out: IO[bytes], kind: OutputKind, selection: Selection,
                 the_plan: Plan) -> int:
    """A dump to a stream (standard output): no manifest, not recorded."""
    return write_records(dump_source(sessions, selection, the_plan), out, kind, selection.one_per_story)


def write_dump(sessions: sessionmaker[Session], output: Path, kind: OutputKind, selection: Selection,
               the_plan: Plan, overwrite: bool = False) -> dict[str, Any]:
    """Write the data file and its manifest under temporary names, record the dump (which takes
    the archive's write lock), then rename both into place and commit: an export or a database
    that fails leaves the earlier files as they were. Should the commit itself fail after the
    renames, the next ``--since-exported`` starts from the dump before (at least once)."""
    if the_plan.marks is None:
        raise ValueError("a recorded dump needs the plan's high-water marks (plan(..., record=True))")
    check_destination(output, overwrite)
    started = datetime.now(timezone.utc)
    data, size, digest, count = _temporary_write(output, lambda sink: write_records(
        dump_source(sessions, selection, the_plan), sink, kind, selection.one_per_story))
    written = [data]
    try:
        files = [{"name": output.name, "bytes": size, "sha256": digest}]
        with sessions.begin() as session:
            row = ExportDump(chain=the_plan.chain, selection_key=selection.key(the_plan.chain),
                             selection=selection.as_json(), format=kind.suffix.lstrip("."), output=str(output.resolve()),
                             files=files, basis=the_plan.basis, articles=count, max_article_id=the_plan.marks.articles,
                             max_version_id=the_plan.marks.versions, max_event_id=the_plan.marks.events,
                             max_url_id=the_plan.marks.urls, started_at=started, finished_at=datetime.now(timezone.utc))
            session.add(row)
            session.flush()
            manifest = build_manifest(row.id, kind, selection, the_plan.chain, the_plan, count, files, started)
            notes, *_ = _temporary_write(manifest_path(output), lambda sink: sink.write(
                (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")))
            written.append(notes)
            os.replace(data, output)
            os.replace(notes, manifest_path(output))
    finally:
        for temporary in written:
            temporary.unlink(missing_ok=True)
    return manifest


def build_manifest(dump_id: int, kind: OutputKind, selection: Selection, chain: str, the_plan: Plan, count: int,
                   files: list[dict], created_at: datetime) -> dict[str, Any]:
    """The manifest (storage/schema/manifest.schema.json): what the dump holds and how to check it."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    incremental = None
    if the_plan.basis is not None:
        incremental = {"after_run": the_plan.basis.get("after_run"), "previous_dump": the_plan.basis.get("previous_dump"),
                       "since_exported": "previous_dump" in the_plan.basis}
    return {
        "manifest_version": MANIFEST_VERSION,
        "dump_id": dump_id,
        "created_at": created_at.isoformat(),
        "newsarchive_version": _version(),
        "schema": {"id": schema["$id"], "version": SCHEMA_VERSION},
        "format": kind.format,
        "compression": kind.compression,
        **selection.as_json(),
        "chain": chain,
        "incremental": incremental,
        "high_water_marks": asdict(the_plan.marks),
        "counts": {"articles": count},
        "files": files,
    }
