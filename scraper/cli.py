"""The `newsarchive` command: the user's front door. Logic lives in the modules it calls."""

from __future__ import annotations

import errno
import functools
import io
import json
import sys
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from scraper.sites.profile import ProfileError
from storage.db import DatabaseError, open_archive, resolve_db_url

app = typer.Typer(
    help="Crawl regional news sites into a deduplicated, re-processable archive.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
replica_app = typer.Typer(help="The offline replica of Qinghai News (for the demo and the tests).", no_args_is_help=True)
app.add_typer(replica_app, name="replica")

def _terminal(stream) -> bool:
    return stream is not None and stream.isatty()  # None: started with the stream closed (2>&-)


# Piped into a file or a log, tables keep their columns whole instead of the 80 columns Rich assumes.
console = Console(width=None if _terminal(sys.stdout) else 160)
err = Console(stderr=True, width=None if _terminal(sys.stderr) else 160)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="SQLAlchemy URL or SQLite file path [default: $NEWSARCHIVE_DB_URL, else data/archive.db]"),
]
# The article filters, the same wherever articles are selected (storage.export.ArticleFilter)
SiteOption = Annotated[str | None, typer.Option(help="Only this site")]
SectionOption = Annotated[str | None, typer.Option(help="Only this section, e.g. 党建")]
ColumnOption = Annotated[str | None, typer.Option(help="Only this column (the 【…】 kicker)")]
OutletOption = Annotated[str | None, typer.Option(help="Only articles naming this 来源 (source outlet)")]
AuthorOption = Annotated[str | None, typer.Option(help="Only articles by this author")]
SinceOption = Annotated[str | None, typer.Option(help="Published on or after this day (YYYY-MM-DD, site time)")]
UntilOption = Annotated[str | None, typer.Option(help="Published on or before this day (YYYY-MM-DD, site time)")]
EditedOption = Annotated[bool | None, typer.Option(
    "--edited/--unedited", help="Only articles edited since first archived (or never)")]
RemovedOption = Annotated[bool | None, typer.Option(
    "--removed/--present", help="Only articles the site took down (or still up)")]
DEMO_DB = Path("data/demo.db")
DEMO_JSONL = Path("data/demo.jsonl")
DEMO_WARC = Path("data/demo-warc")  # the demo's own: `data/warc` may hold a real archive's captures
REPLICA_DIR = Path("data/replica")


_LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


class UserError(Exception):
    """A problem the user can fix: printed as one line, exit code 2."""


def friendly(command):
    """Known problems become a one-line error and exit code 2, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (UserError, ProfileError, DatabaseError) as exc:
            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper


def _http_address(value: str, option: str, example: str) -> None:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a port out of range or not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(f"{option} {value!r} is not an http(s) address; e.g. {example}")


@contextmanager
def _utf8_stdout(newline: str = "\n"):
    """Standard output as UTF-8 whatever the terminal's locale says: the formats are UTF-8 (README)."""
    if sys.stdout is None:
        raise UserError("standard output is closed")
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline=newline)
    try:
        yield out
    finally:
        out.flush()
        out.detach()


def _article_filter(site, section, column, outlet, author, since, until, edited, removed):
    """The articles `search` and `export` select, from their filter options (days checked)."""
    from storage.export import ArticleFilter

    return ArticleFilter(site=site, section=section, since=_parse_day(since, "--since"), until=_parse_day(until, "--until"),
                         column=column, source_outlet=outlet, author=author, edited=edited, removed=removed)


def _parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{option} {value!r} is not a date; use YYYY-MM-DD") from None


def _build(folder: Path, snapshot: int) -> dict:
    from scraper.replica.generate import ReplicaError, build_site

    try:
        return build_site(folder, snapshot=snapshot)
    except ReplicaError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot write the replica to {folder}: {exc.strerror or exc}") from None


def _start_server(site_dir: Path, port: int):
    from scraper.replica.server import ReplicaServer

    if not site_dir.is_dir():
        raise UserError(f"{site_dir} is not a folder holding a built replica; run `newsarchive replica build` first")
    try:
        return ReplicaServer(site_dir, port=port)
    except ValueError as exc:  # a damaged _manifest.json
        raise UserError(f"{site_dir}/_manifest.json is not a replica manifest ({exc}); rebuild it") from None
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UserError(f"port {port} is in use; choose another with --port (0 picks a free one)") from None
        raise UserError(f"cannot listen on port {port}: {exc.strerror}") from None
    except FileNotFoundError as exc:
        raise UserError(f"{exc}; run `newsarchive replica build` first") from None


def print_run_summary(summary: dict, title: str = "Crawl summary") -> None:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("outcome", str(summary.get("outcome", "")))
    table.add_row("pages fetched", str(summary.get("pages_fetched", 0)))
    table.add_row("list pages", str(summary.get("list_pages", 0)))
    table.add_row("articles stored (new)", str(summary.get("articles_new", 0)))
    table.add_row("articles unchanged", str(summary.get("articles_unchanged", 0)))
    table.add_row("articles changed", str(summary.get("articles_changed", 0)))
    table.add_row("articles removed from the site", str(summary.get("articles_removed", 0)))
    table.add_row("duplicates merged", str(summary.get("duplicates", 0)))
    table.add_row("articles failed", str(summary.get("articles_failed", 0)))
    if summary.get("articles_not_modified"):
        table.add_row("revisits answered 304 (unchanged)", str(summary["articles_not_modified"]))
    decisions = summary.get("decisions") or {}
    if decisions.get("not_due"):
        table.add_row("known articles not due (not fetched)", str(decisions["not_due"]))
    if decisions.get("before_from"):
        table.add_row("articles before --from (not fetched)", str(decisions["before_from"]))
    if summary.get("lists_stopped_early"):
        table.add_row("sections stopped early (nothing new beyond)", str(summary["lists_stopped_early"]))
    for reason, count in sorted(summary.get("failures", {}).items()):
        table.add_row(f"failed: {reason}", str(count))
    for reason, count in sorted(summary.get("skipped", {}).items()):
        table.add_row(f"skipped: {reason}", str(count))
    table.add_row("bytes downloaded", f"{summary.get('bytes', 0):,}")
    table.add_row("time taken", f"{summary.get('seconds', 0):.1f} s")
    console.print(table)


@app.command()
@friendly
def crawl(
    site: Annotated[str, typer.Argument(help="Site profile name (a file scraper/sites/<name>.toml), e.g. qhnews")],
    base_url: Annotated[
        str | None, typer.Option(help="Fetch the site from this address instead of its origin (e.g. the replica)")
    ] = None,
    db: DbOption = None,
    fast: Annotated[bool, typer.Option(help="Drop the profile's delays: only for a server you run yourself")] = False,
    backfill: Annotated[bool, typer.Option(
        help="Page every section back to --from (no early stop, no page limit); resumable: run it again after a stop")] = False,
    from_: Annotated[str | None, typer.Option("--from", help="With --backfill: the oldest day to reach (YYYY-MM-DD)")] = None,
    revisit_all: Annotated[bool, typer.Option(
        help="Fetch every known article again (conditionally), whatever the revisit policy says")] = False,
    as_of: Annotated[str | None, typer.Option(
        help="Measure article ages from this moment instead of now (replaying an old snapshot)")] = None,
    log_level: Annotated[str, typer.Option(help="Scrapy log level")] = "WARNING",
) -> None:
    """Crawl SITE into the archive and print what the run did.

    Incremental: new URLs always, known articles when the profile's revisit policy says so.
    Exit codes: 0 ok, 2 usage error, 3 partial, 4 failed, 5 another run holds the lock, 6 interrupted."""
    from scraper.crawl import EXIT_CODES, EXIT_LOCKED, CrawlLocked, run_crawl
    from storage.stats import run_record

    if log_level.upper() not in _LOG_LEVELS:
        raise UserError(f"--log-level {log_level!r} is not one of {', '.join(_LOG_LEVELS)}")
    if base_url is not None:
        _http_address(base_url, "--base-url", "http://127.0.0.1:8000")
    if backfill and from_ is None:
        raise UserError("--backfill needs --from YYYY-MM-DD (how far back to page)")
    if from_ is not None and not backfill:
        raise UserError("--from goes with --backfill")
    extra = {}
    if backfill:
        extra["NEWSARCHIVE_BACKFILL_FROM"] = _parse_day(from_, "--from").isoformat()
    if revisit_all:
        extra["NEWSARCHIVE_REVISIT_ALL"] = True
    if as_of is not None:
        from scraper.incremental import parse_moment

        try:
            extra["NEWSARCHIVE_AS_OF"] = parse_moment(as_of, "--as-of").isoformat()
        except ValueError as exc:
            raise UserError(str(exc)) from None
    try:
        run_id = run_crawl(site, db=db, base_url=base_url, fast=fast, log_level=log_level.upper(), extra_settings=extra)
    except CrawlLocked as exc:
        err.print(f"[bold red]locked:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_LOCKED) from None
    _engine, sessions = open_archive(db)
    run = run_record(sessions, run_id)
    print_run_summary(run["summary"], title=f"Run {run_id} of {site}")
    code = EXIT_CODES.get(run["outcome"], EXIT_CODES["interrupted"])  # still "running": it never closed
    if code:
        raise typer.Exit(code)


@app.command()
@friendly
def export(
    format: Annotated[str | None, typer.Option(  # noqa: A002
        "--format", help="jsonl, csv or parquet [default: from the file name, else jsonl]")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help=(
        "File to write (.jsonl, .jsonl.gz, .jsonl.zst, .csv, .csv.gz, .csv.zst, .parquet), with FILE.manifest.json "
        "beside it; default stdout (no manifest)"))] = None,
    site: SiteOption = None,
    section: SectionOption = None,
    column: ColumnOption = None,
    outlet: OutletOption = None,
    author: AuthorOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    edited: EditedOption = None,
    removed: RemovedOption = None,
    query: Annotated[str | None, typer.Option(help='Only articles matching this search query (as `search`: terms, OR, -term, "a phrase")')] = None,
    one_per_story: Annotated[bool, typer.Option(
        help="One row per story (its original, with every copy in carried_by), not one per archived copy")] = False,
    after_run: Annotated[int | None, typer.Option(help="Only articles new or changed after this crawl run (`runs` lists them)")] = None,
    since_exported: Annotated[bool, typer.Option(
        help="Only articles new or changed since the previous dump of the same selection and --chain (needs -o)")] = False,
    chain: Annotated[str, typer.Option(help="Name of a series of dumps of one selection, kept apart from others")] = "",
    overwrite: Annotated[bool, typer.Option(help="Replace FILE and its manifest if they exist")] = False,
    db: DbOption = None,
) -> None:
    """Export articles (JSON Lines, CSV or Parquet), streaming; to a file with a manifest, incrementally if asked."""
    from sqlalchemy.exc import OperationalError

    from storage.dumps import DumpError, Selection, plan, write_dump, write_stream
    from storage.export_formats import FormatError, output_kind
    from storage.export_workers import workers_wanted

    try:
        kind = output_kind(str(output) if output else None, format)
        workers_wanted()  # a bad NEWSARCHIVE_EXPORT_WORKERS is said before any work
    except (FormatError, ValueError) as exc:
        raise UserError(str(exc)) from None
    if since_exported and output is None:
        raise UserError("--since-exported needs -o FILE: a dump to standard output is not recorded")
    if len(chain) > 64:
        raise UserError("--chain: at most 64 characters")
    where = _article_filter(site, section, column, outlet, author, since, until, edited, removed)
    selection = Selection(where, query, one_per_story)
    _engine, sessions = open_archive(db)
    try:
        if output is None:
            if kind.format == "parquet" and _terminal(sys.stdout):
                raise UserError("Parquet is binary: give -o FILE.parquet, or redirect standard output")
            if sys.stdout is None:
                raise UserError("standard output is closed: give -o FILE")
            todo = plan(sessions, selection, chain, after_run, since_exported, record=False)
            write_stream(sessions, sys.stdout.buffer, kind, selection, todo)
            sys.stdout.buffer.flush()
            return
        from storage.dumps import check_destination

        check_destination(output, overwrite)
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"cannot write {output}: {exc.strerror}") from None
        todo = plan(sessions, selection, chain, after_run, since_exported)
        manifest = write_dump(sessions, output, kind, selection, todo, overwrite)
    except (DumpError, FormatError) as exc:
        raise UserError(str(exc)) from None
    except OperationalError as exc:  # locked by a long writer, a lock timeout: nothing was replaced
        raise UserError(f"the archive is busy, nothing was written: {exc.orig}") from None
    except OSError as exc:
        raise UserError(f"cannot write {output or 'standard output'}: {exc.strerror or exc}") from None
    basis = manifest["incremental"]
    how = ("" if basis is None else f" (after run {basis['after_run']})" if basis["after_run"] is not None
           else f" (since dump {basis['previous_dump']})" if basis["previous_dump"] else " (no earlier dump: everything)")
    err.print(f"{manifest['counts']['articles']} articles written to {output}{how}; "
              f"manifest {output.name}.manifest.json, dump {manifest['dump_id']}", soft_wrap=True, highlight=False)


def _coverage(db: str | None, site: str | None, since: str | None, until: str | None):
    """(sessions, storage.stats.Coverage) of the selection, or a UserError naming what is wrong."""
    from storage.stats import UnknownSite, coverage

    first, last = _parse_day(since, "--since"), _parse_day(until, "--until")
    if first and last and first > last:
        raise UserError(f"--since {since} is after --until {until}")
    _engine, sessions = open_archive(db)
    try:
        return sessions, coverage(sessions, site, first, last)
    except UnknownSite as exc:
        raise UserError(f"{exc}; `newsarchive stats` lists the sites it holds") from None


def _table_of(title: str, headers: tuple[str, ...], rows, numeric: int = 1) -> Table:
    """A Rich table whose last ``numeric`` columns are right-aligned; cells are escaped (archive text)."""
    table = Table(title=title, title_justify="left")
    for i, header in enumerate(headers):
        table.add_column(header, justify="right" if i >= len(headers) - numeric else "left")
    for row in rows:
        table.add_row(*(f"{cell:,}" if isinstance(cell, int) else escape(str(cell)) for cell in row))
    return table


@app.command()
@friendly
def stats(
    site: SiteOption = None,
    by: Annotated[str | None, typer.Option(
        help="Articles per bucket: day (the site's calendar day), section, outlet (来源) or author")] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Every figure as one JSON document, for scripts")] = False,
    runs: Annotated[int, typer.Option(help="How many recent runs to list", min=1, max=10_000)] = 5,
    db: DbOption = None,
) -> None:
    """What the archive covers: articles by section and outlet, field fill rates, duplicates merged,
    gaps in coverage, recent runs; with --by, articles per day, section, outlet or author."""
    from storage.stats import BUCKETS, NONE, recent_runs

    if by is not None and by not in BUCKETS:
        raise UserError(f"--by {by!r} is not one of {', '.join(BUCKETS)}")
    sessions, facts = _coverage(db, site, since, until)
    if as_json:
        document = facts.facts(by)
        if by is None:
            document["recent_runs"] = recent_runs(sessions, site, runs)
        with _utf8_stdout() as out:
            out.write(json.dumps(document, ensure_ascii=False, default=str, indent=2) + "\n")
        return
    total = max(1, facts.articles)
    if by is not None:
        rows = facts.buckets(by)
        console.print(_table_of(f"Articles by {by} ({len(rows)} buckets)", (by, "articles", "share"),
                                [(name, f"{n:,}", f"{n / total:.1%}") for name, n in rows], numeric=2))
        if by == "day" and facts.undated:
            console.print(f"{facts.undated:,} undated articles are on no day")
        if by == "author":
            console.print("An article with several authors counts once for each; shares are of all articles.")
        return
    span = f", {facts.first_day} to {facts.last_day}" if facts.first_day else ""
    console.print(f"[bold]{facts.articles:,}[/] articles ({facts.undated:,} undated){span} "
                  f"({escape(resolve_db_url(db))})", highlight=False)
    console.print(_table_of("Articles by section", ("section", "articles"), facts.buckets("section")))
    outlets = facts.buckets("outlet")
    console.print(_table_of("Articles by source outlet (来源)", ("source outlet", "articles"),
                            [*outlets[:15], *([(f"… {len(outlets) - 15} more", "")] if len(outlets) > 15 else [])]))
    fill = [(name, f"{count:,}", f"{share:.1%}") for name, (count, share) in facts.fill_rates().items()]
    fill += [(f"flag: {flag}", f"{count:,}", f"{count / total:.1%}") for flag, count in sorted(facts.quality_flags.items())]
    console.print(_table_of("Field fill rates", ("field", "articles", "share"), fill, numeric=2))
    d = facts.duplicates
    console.print(_table_of("Duplicates merged", ("what", "count"), [
        ("alias URLs (same-site duplicates stored once)", d["alias_urls"]),
        ("stories with more than one copy", d["stories_with_copies"]),
        ("copies beyond the first in those stories", d["copies_beyond_first"])]))
    console.print(_table_of("Gaps in coverage (days without an article)",
                            ("site", "section", "from", "to", "missing days", "gaps", "longest"),
                            [(s["site"], s["section"] or NONE, s["first"], s["last"], s["days_missing"], s["gaps"],
                              s["longest_gap"]) for s in facts.sections], numeric=3))
    table = Table(title="Recent runs", title_justify="left")
    for column in ("run", "site", "started (UTC)", "outcome", "pages", "new", "dupes", "failed"):
        table.add_column(column)
    for run in recent_runs(sessions, site, runs):
        s = run["summary"]
        table.add_row(
            str(run["id"]), run["site"], f"{run['started_at']:%Y-%m-%d %H:%M}", run["outcome"],
            str(s.get("pages_fetched", "")), str(s.get("articles_new", "")), str(s.get("duplicates", "")),
            str(sum(s.get("failures", {}).values())) if s else "",
        )
    console.print(table)


@app.command()
@friendly
def report(
    output: Annotated[Path, typer.Option("-o", "--output", help="The HTML file to write (replaced)")],
    site: SiteOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    db: DbOption = None,
) -> None:
    """Write the coverage figures as one self-contained HTML page (tables and charts; opens offline)."""
    from sqlalchemy.engine import make_url

    from storage.report import render_report

    _sessions, facts = _coverage(db, site, since, until)
    page = render_report(facts, source=make_url(resolve_db_url(db)).render_as_string(hide_password=True))
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {output}: {exc.strerror or exc}") from None
    err.print(f"report of {facts.articles:,} articles written to {output}")


@app.command()
@friendly
def runs(
    site: SiteOption = None,
    last: Annotated[int, typer.Option(help="How many recent runs", min=1, max=100_000)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per run (for monitoring)")] = False,
    db: DbOption = None,
) -> None:
    """Recent crawl runs, newest first: outcome, counts, failures by reason, time taken."""

    from storage.stats import recent_runs

    _engine, sessions = open_archive(db)
    found = recent_runs(sessions, site, last)
    if as_json:
        for run in found:
            console.print_json(json.dumps(run, default=str, ensure_ascii=False), indent=None)
        return
    table = Table(title=f"Runs ({resolve_db_url(db)})", title_justify="left")
    for column in ("run", "site", "started (UTC)", "secs", "outcome", "lists", "new", "changed", "unchanged",
                   "304", "removed", "dupes", "not due", "failed", "MB"):
        table.add_column(column, justify="right" if column not in ("site", "started (UTC)", "outcome", "failed") else "left")
    styles = {"ok": "green", "partial": "yellow", "failed": "red", "interrupted": "magenta", "running": "cyan"}
    for run in found:
        s = run["summary"]
        failures = ", ".join(f"{reason} {count}" for reason, count in sorted((s.get("failures") or {}).items()))
        outcome = run["outcome"] + (" (killed)" if s.get("crashed") else "")
        seconds = s.get("seconds")
        table.add_row(
            str(run["id"]), run["site"], f"{run['started_at']:%Y-%m-%d %H:%M}",
            "" if seconds is None else f"{seconds:.0f}", f"[{styles.get(run['outcome'], '')}]{outcome}[/]",
            *(str(s.get(key, "")) for key in ("list_pages", "articles_new", "articles_changed", "articles_unchanged",
                                               "articles_not_modified", "articles_removed", "duplicates")),
            str((s.get("decisions") or {}).get("not_due", "")), escape(failures),
            f"{s['bytes'] / 1e6:.1f}" if "bytes" in s else "",
        )
    console.print(table)


@app.command(context_settings={"ignore_unknown_options": True})  # `search -中国 …`: an exclusion, not an option
@friendly
def search(
    words: Annotated[list[str], typer.Argument(
        metavar="QUERY", help='What to find: terms (all must occur), OR, -term or NOT term, "a phrase"')],
    site: SiteOption = None,
    section: SectionOption = None,
    column: ColumnOption = None,
    outlet: OutletOption = None,
    author: AuthorOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    edited: EditedOption = None,
    removed: RemovedOption = None,
    sort: Annotated[str, typer.Option(help="relevance or date (newest first)")] = "relevance",
    format: Annotated[str, typer.Option("--format", help="table, jsonl or csv")] = "table",  # noqa: A002
    limit: Annotated[int, typer.Option(help="How many results (0: all)", min=0)] = 20,
    db: DbOption = None,
) -> None:
    """Full-text search: any term of one character or more, traditional and simplified alike.
    jsonl rows are the export's records plus snippet and score."""
    import csv

    from storage.search import RANK_WINDOW, QueryError, index_missing, parse, results

    if format not in ("table", "jsonl", "csv"):
        raise UserError(f"--format {format!r} is not one of table, jsonl, csv")
    query = " ".join(words)
    if sort not in ("relevance", "date"):
        raise UserError(f"--sort {sort!r} is not one of relevance, date")
    try:
        parsed = parse(query)
    except QueryError as exc:
        raise UserError(f"cannot search for that: {exc}") from None
    where = _article_filter(site, section, column, outlet, author, since, until, edited, removed)
    _engine, sessions = open_archive(db)
    count = index_missing(sessions)
    if count:
        err.print(f"{count} archived articles added to the search index first")
    with sessions() as session:
        shown = results(session, parsed, where, sort, limit or None)
    found = [(r.record, r.snippet, r.marks, r.score) for r in shown]
    if shown and shown[0].ranked >= RANK_WINDOW:
        err.print(f"{RANK_WINDOW:,} or more articles match: ranked by relevance among the {RANK_WINDOW:,} most "
                  "recently archived; narrow the query, or --sort date, or --limit 0 to rank every match")
    if format == "jsonl":
        with _utf8_stdout() as out:
            for record, line, _marks, score in found:
                out.write(json.dumps({**record, "snippet": line, "score": score}, ensure_ascii=False) + "\n")
        return
    if format == "csv":
        with _utf8_stdout(newline="") as out:  # csv writes its own line ends
            writer = csv.writer(out)
            writer.writerow(["article_id", "published_at", "site", "section", "source_outlet", "title", "canonical_url",
                             "score", "snippet"])
            for record, line, _marks, score in found:
                writer.writerow([record["article_id"], record["published_at"] or "", record["site"],
                                 record["section"] or "", record["source_outlet"] or "", record["title"],
                                 record["canonical_url"], "" if score is None else f"{score:.4f}", line])
        return
    if not found:
        console.print("no article matches")
        return
    table = Table(title=f"{len(found)} result(s) for {escape(query)}", title_justify="left")
    for name in ("published", "site", "section", "title", "in context"):
        table.add_column(name, overflow="fold")
    for record, line, marks, _score in found:
        context, at = Text(), 0
        for start, end in marks:
            context.append(line[at:start])
            context.append(line[start:end], style="bold red")
            at = end
        context.append(line[at:])
        table.add_row((record["published_at"] or "")[:16].replace("T", " "), record["site"], record["section"] or "",
                      escape(record["title"]), context)
    console.print(table)


@app.command()
@friendly
def stories(
    since: Annotated[str | None, typer.Option(help="First published on or after this day (YYYY-MM-DD, the first site's time zone)")] = None,
    min_copies: Annotated[int, typer.Option(help="Only stories carried this many times or more (1: every article)", min=1)] = 2,
    limit: Annotated[int, typer.Option(help="How many stories, newest first (0: all)", min=0)] = 50,
    story_id: Annotated[str | None, typer.Option("--id", help="Only this story (an id from an export's story_id; other filters ignored)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per story")] = False,
    rebuild: Annotated[bool, typer.Option(help="Forget all stories and index the whole archive again")] = False,
    db: DbOption = None,
) -> None:
    """Stories carried by several outlets (near-duplicates of one report), each with every copy:
    outlet, when published, title, URL, similarity; the original marked."""
    from datetime import datetime, timezone
    from datetime import time as day_time
    from zoneinfo import ZoneInfo

    from sqlalchemy import select

    from storage.models import Site
    from storage.stories import index_missing, list_stories
    from storage.stories import rebuild as rebuild_stories

    day = _parse_day(since, "--since")
    _engine, sessions = open_archive(db)
    now = datetime.now(timezone.utc)
    if rebuild:
        count = rebuild_stories(sessions, now)
        err.print(f"{count} articles indexed again")
    else:
        count = index_missing(sessions, now)
        if count:
            err.print(f"{count} articles without a story indexed first")
    with sessions() as session:
        zone = ZoneInfo(session.scalar(select(Site.timezone).order_by(Site.id).limit(1)) or "UTC")
        low = datetime.combine(day, day_time.min, zone) if day and day > date.min else None  # 0001-01-01: no bound
        found = list_stories(session, since=low, min_copies=min_copies, limit=limit or None, uid=story_id)
    if story_id is not None and not found:
        raise UserError(f"no story {story_id!r} in {resolve_db_url(db)}")
    if as_json:
        for view in found:
            first = view.first_published_at.astimezone(zone).isoformat() if view.first_published_at else None
            console.print_json(json.dumps({"story_id": view.uid, "copies": view.copies, "outlets": view.outlets,
                                           "first_published_at": first, "original": view.original,
                                           "carried_by": view.carried_by}, ensure_ascii=False), indent=None)
        return
    if not found:
        console.print(f"no story with {min_copies} copies or more" + (f" since {day}" if day else ""))
        return
    for view in found:
        table = Table(title=f"story {view.uid}: {view.copies} {'copy' if view.copies == 1 else 'copies'}, "
                            f"{view.outlets} {'outlet' if view.outlets == 1 else 'outlets'}", title_justify="left")
        for column in ("", "outlet", "published", "title", "来源", "similarity", "url"):
            table.add_column(column, overflow="fold")
        for copy in view.carried_by:
            table.add_row("original" if copy["original"] else "", escape(copy["outlet"]),
                          (copy["published_at"] or "")[:16].replace("T", " "), escape(copy["title"]),
                          escape(copy["source_outlet"] or ""),
                          "" if copy["similarity"] is None else f"{copy['similarity']:.2f}", escape(copy["url"]))
        console.print(table)


@app.command()
@friendly
def state(
    site: Annotated[str | None, typer.Option(help="Only this site (required with --reset)")] = None,
    url: Annotated[list[str] | None, typer.Option(help="Show (or with --reset, forget) this URL's state; repeatable")] = None,
    reset: Annotated[str | None, typer.Option(
        help="Forget state so the next crawl treats it as new: all, failed, sections (walk marks), lists; "
             "with --url, those URLs. The archive itself is kept.")] = None,
    db: DbOption = None,
) -> None:
    """The incremental crawl's state: what is known of each URL, and resetting it."""
    from storage.state import RESETS, reset_state, state_overview, url_state

    _engine, sessions = open_archive(db)
    if reset is not None or (url and reset is not None):
        if not site:
            raise UserError("--reset needs --site (which site's state to forget)")
        if reset not in RESETS and not url:
            raise UserError(f"--reset {reset!r} is not one of {', '.join(RESETS)} (or give --url)")
        try:
            count = reset_state(sessions, site, reset, url or ())
        except LookupError as exc:
            raise UserError(str(exc)) from None
        console.print(f"forgot the state of {count} URLs of {site}; the next crawl treats them as new")
        return
    if url:
        for one in url:
            rows = url_state(sessions, one)
            if not rows:
                console.print(f"{escape(one)}: unknown (the next crawl fetches it as new)")
            for row in rows:
                console.print_json(json.dumps({c.name: getattr(row, c.name) for c in row.__table__.columns},
                                              default=str, ensure_ascii=False))
        return
    table = Table(title="Crawl state", title_justify="left")
    for column in ("site", "kind", "last outcome", "reason", "URLs", "with ETag", "with Last-Modified",
                   "last fetched (UTC)", "walked (UTC)"):
        table.add_column(column)
    for row in state_overview(sessions, site):
        table.add_row(row["site"], row["kind"], row["outcome"] or "", row["reason"] or "", str(row["urls"]),
                      str(row["etag"]), str(row["last_modified"]),
                      f"{row['last_fetched_at']:%Y-%m-%d %H:%M}" if row["last_fetched_at"] else "",
                      f"{row['walked_at']:%Y-%m-%d %H:%M}" if row["walked_at"] else "")
    console.print(table)


def _read_page(source: str) -> tuple[bytes, str | None, str]:
    """(body, Content-Type, URL) of a file or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(source, timeout=30) as response:
                return response.read(), response.headers.get("Content-Type"), response.geturl()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise UserError(f"cannot fetch {source}: {getattr(exc, 'reason', exc)}") from None
    path = Path(source)
    if not path.is_file():
        raise UserError(f"{source} is neither a file nor an http(s) URL")
    return path.read_bytes(), None, path.resolve().as_uri()


@app.command()
@friendly
def extract(
    source: Annotated[str, typer.Argument(help="An HTML file or an http(s) URL (e.g. a replica page)")],
    site: Annotated[str | None, typer.Option(help="Site profile to use (default: by the URL's host, else generic)")] = None,
    url: Annotated[str | None, typer.Option(help="The page's URL on its site, when SOURCE is a file or a replica")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole record as JSON")] = False,
) -> None:
    """Show what the extractor makes of one page: fields, method, decoding, where each field came from."""

    from pipelines.extraction import ExtractionFailed, RawPage, SiteRules, extract_article
    from pipelines.extraction.urls import rebase
    from scraper.sites.profile import load_profile, profile_for_url

    if url is not None:
        _http_address(url, "--url", "http://www.qhnews.com/dj/system/2024/06/14/030321475.shtml")
    body, content_type, fetched_url = _read_page(source)
    profile = load_profile(site) if site else profile_for_url(url or fetched_url)
    page_url = url or fetched_url
    if profile and not url and profile_for_url(fetched_url) is None and fetched_url.startswith("http"):
        parts = fetched_url.split("/", 3)
        page_url = rebase(fetched_url, "/".join(parts[:3]), profile.origin)  # a replica page: its real address
    rules = profile.rules if profile else SiteRules.generic(page_url)
    try:
        article = extract_article([RawPage(page_url, body, content_type)], rules)
    except ExtractionFailed as exc:
        err.print(f"[bold red]no article:[/] {exc.reason} ({escape(exc.detail)})", highlight=False)
        raise typer.Exit(1) from None
    record = article.to_record()
    if as_json:
        console.print_json(json.dumps(record, ensure_ascii=False))
        return
    sources = record["extraction"]["sources"]
    table = Table(title=f"{page_url} ({'profile ' + profile.name if profile else 'no profile: generic'})",
                  title_justify="left", show_lines=False)
    for column in ("field", "value", "from"):
        table.add_column(column, overflow="fold")
    for name in ("title", "subtitle", "column", "section", "source_outlet", "authors", "correspondents",
                 "photographers", "editor", "published_at", "published_precision", "updated_at", "language",
                 "canonical_url", "quality_flags"):
        value = record[name]
        shown = ", ".join(value) if isinstance(value, list) else ("" if value is None else str(value))
        table.add_row(name, escape(shown), sources.get(name, ""))
    table.add_row("method", record["extraction"]["method"], "")
    for page in record["extraction"]["pages"]:
        d = page["decoding"]
        table.add_row("decoding", f"http={d['http_charset']} meta={d['meta_charset']} detected={d['detected_charset']} "
                      f"used={d['used_charset']} replaced={d['replacement_chars']}", page["url"])
    for raw_name, raw in record["bylines_raw"].items():
        table.add_row(f"label {raw_name}", escape(raw), "")
    console.print(table)
    paragraphs = article.text.split("\n\n")
    console.print(f"[bold]text[/]: {len(paragraphs)} paragraphs, {len(article.text)} characters, "
                  f"{len(article.images)} images")
    for paragraph in paragraphs[:3]:
        console.print(f"  {escape(paragraph[:160])}")


@app.command()
@friendly
def reextract(
    site: SiteOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes [default: one per core]", min=1)] = None,
    profile: Annotated[str | None, typer.Option(
        help="Site profile (name or .toml path) to read the archive's site with [default: the profile named like each site]",
    )] = None,
    warc_dir: Annotated[Path | None, typer.Option(
        help="Where the crawl wrote its WARC files [default: $NEWSARCHIVE_WARC_DIR, else `warc` beside a SQLite archive]",
    )] = None,
    db: DbOption = None,
) -> None:
    """Re-run extraction over the archived WARC captures (no network); a new version only where the result changed."""

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
    from sqlalchemy import select

    from pipelines.reextract import reextract as run_reextract
    from scraper.sites.profile import load_profile
    from storage.db import warc_dir as archive_warc_dir
    from storage.export import ArticleFilter
    from storage.models import Site

    where = ArticleFilter(site=site, since=_parse_day(since, "--since"), until=_parse_day(until, "--until"))
    url = resolve_db_url(db)
    _engine, sessions = open_archive(url)
    folder = archive_warc_dir(url, warc_dir)
    if not folder.is_dir():
        raise UserError(f"no WARC folder at {folder}; pass --warc-dir (where the crawl wrote its .warc.gz files)")
    with sessions() as session:
        names = [name for name in session.scalars(select(Site.name).order_by(Site.name)) if site in (None, name)]
    if site and not names:
        raise UserError(f"the archive has no site {site!r}")
    rules = {}
    if profile is not None:
        chosen = load_profile(profile)
        if chosen.name not in names:
            raise UserError(f"profile {profile!r} is for site {chosen.name!r}, which this archive does not hold")
        rules[chosen.name] = chosen.rules
    else:
        for name in names:
            try:
                rules[name] = load_profile(name).rules
            except ProfileError:
                if site:
                    raise
                err.print(f"skipping site {name!r}: no profile of that name (crawled from a .toml path? pass --profile)")
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task("re-extracting", total=None)
        report = run_reextract(sessions, folder, rules, where, workers,
                               progress=lambda done, total: bar.update(task, completed=done, total=total))
    table = Table(title=f"Re-extraction ({report.articles} articles, {report.pages} pages, {report.seconds:.1f} s)",
                  title_justify="left")
    table.add_column("result")
    table.add_column("articles", justify="right")
    table.add_row("unchanged", str(report.unchanged))
    table.add_row("changed (new version)", str(report.changed))
    for reason, count in sorted(report.failed.items()):
        table.add_row(f"failed: {reason}", str(count))
    console.print(table)


@app.command()
@friendly
def history(
    article: Annotated[str, typer.Argument(help="Article id (from exports) or any URL it was seen under")],
    db: DbOption = None,
) -> None:
    """An article's versions (with what changed and a diff of its text), removals and reappearances."""
    from storage.history import article_history
    from storage.versions import text_diff

    _engine, sessions = open_archive(db)
    found = article_history(sessions, article)
    if found is None:
        raise UserError(f"no archived article has the id or URL {article!r}")
    a = found.article
    console.print(f"[bold]{escape(a.title)}[/]  ({a.uid}, {a.canonical_url})", highlight=False)
    if a.removed_at:
        console.print(f"[red]removed from the site since {a.removed_at:%Y-%m-%d %H:%M} UTC[/]: "
                      f"{escape(str(a.removal_evidence))}", highlight=False)
    table = Table(title="Versions", title_justify="left")
    for column in ("version", "captured (UTC)", "from", "extractor", "what changed"):
        table.add_column(column)
    for version in found.versions:
        source = f"run {version.run_id}" if version.run_id else version.source
        table.add_row(str(version.version), f"{version.created_at:%Y-%m-%d %H:%M:%S}", source,
                      version.extractor_version, escape(version.diff_summary or "first capture"))
    console.print(table)
    if found.events:
        events = Table(title="Events", title_justify="left")
        for column in ("when (UTC)", "event", "evidence"):
            events.add_column(column)
        for event in found.events:
            events.add_row(f"{event.at:%Y-%m-%d %H:%M:%S}", event.kind, escape(str(event.evidence or "")))
        console.print(events)
    for before, after in zip(found.versions, found.versions[1:]):
        console.print(f"[bold]version {before.version} → {after.version}[/]")
        if before.record.get("title") != after.record.get("title"):
            console.print(f"[red]- title: {escape(str(before.record.get('title')))}[/]")
            console.print(f"[green]+ title: {escape(str(after.record.get('title')))}[/]")
        for line in text_diff(before.record, after.record, f"v{before.version}", f"v{after.version}"):
            style = "green" if line.startswith("+") else "red" if line.startswith("-") else "cyan" if line.startswith("@@") else ""
            console.print(f"[{style}]{escape(line)}[/]" if style else escape(line), highlight=False, soft_wrap=True)


@replica_app.command("build")
@friendly
def replica_build(
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder to write the site into (replaced)")] = REPLICA_DIR,
    snapshot: Annotated[int, typer.Option(help="1: the site; 2: the same site later (edits, takedowns, new articles)")] = 1,
) -> None:
    """Write the replica site (pages, server manifest, ground truth) into a folder."""

    if snapshot not in (1, 2):
        raise UserError(f"--snapshot must be 1 or 2, not {snapshot}")
    truth = _build(output, snapshot)
    outlets = truth.get("outlets", [])
    console.print(f"{len(truth['articles'])} article URLs ({truth['stories']} stories) of Qinghai News and "
                  f"{sum(len(o['articles']) for o in outlets)} of {len(outlets)} simulated outlets "
                  f"({', '.join(o['host'] for o in outlets)}) written to {output}")


@replica_app.command("serve")
@friendly
def replica_serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one)", min=0, max=65535)] = 8000,
    site_dir: Annotated[Path, typer.Option(help="A built replica (built afresh when it is the default folder)")] = REPLICA_DIR,
    snapshot: Annotated[int, typer.Option(help="Which snapshot to build into the default folder (1 or 2)")] = 1,
) -> None:
    """Serve the replica on 127.0.0.1 until interrupted."""

    if snapshot not in (1, 2):
        raise UserError(f"--snapshot must be 1 or 2, not {snapshot}")
    if site_dir == REPLICA_DIR:
        _build(site_dir, snapshot)
    server = _start_server(site_dir, port)
    console.print(f"replica of Qinghai News at {server.base_url}/, and its simulated outlets by Host header "
                  f"(crawl them with --base-url {server.base_url}; Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()


@app.command()
@friendly
def demo(
    port: Annotated[int, typer.Option(help="Port for the replica (0 picks a free one)", min=0, max=65535)] = 0,
) -> None:
    """Serve the offline replica (Qinghai News and the simulated outlets that republish its stories), crawl them
    all with the real spider into data/demo.db, export data/demo.jsonl."""
    from scraper.crawl import run_crawls
    from scraper.replica.syndication import outlet_profiles
    from storage.export import iter_records, write_jsonl
    from storage.stats import run_record
    from storage.stories import list_stories

    _build(REPLICA_DIR, 1)
    for stale in (DEMO_DB, DEMO_DB.with_name(DEMO_DB.name + "-wal"), DEMO_DB.with_name(DEMO_DB.name + "-shm"),
                  *DEMO_WARC.glob("*.warc.gz")):
        stale.unlink(missing_ok=True)
    server = _start_server(REPLICA_DIR, port)
    server.start()
    sites = ["qhnews", *map(str, outlet_profiles())]
    console.print(f"replica serving at {server.base_url}/ (Qinghai News and {len(sites) - 1} simulated outlets, "
                  f"by Host header); crawling them into {DEMO_DB} …")
    started = time.monotonic()
    try:
        # The replica's traps (a truncated page, a 500) would log alarming retries: the summary reports them.
        run_ids = run_crawls(sites, db=str(DEMO_DB), base_url=server.base_url, fast=True, log_level="CRITICAL",
                             extra_settings={"NEWSARCHIVE_WARC_DIR": str(DEMO_WARC.resolve())})
    finally:
        server.stop()
    _engine, sessions = open_archive(str(DEMO_DB))
    with DEMO_JSONL.open("wb") as out:
        count = write_jsonl(iter_records(sessions), out)
    runs = [run_record(sessions, run_id) for run_id in run_ids]
    summary = _sum_summaries([run["summary"] for run in runs])
    summary["outcome"] = ", ".join(f"{run['site']} {run['outcome']}" for run in runs)
    summary["seconds"] = time.monotonic() - started
    print_run_summary(summary, title=f"Demo crawl of the replica: Qinghai News and {len(sites) - 1} outlets")
    with sessions() as session:
        syndicated = list_stories(session, min_copies=2)
    console.print(f"{count} articles exported to {DEMO_JSONL}; {len(syndicated)} stories with several copies. "
                  f"Try: newsarchive stories --db {DEMO_DB}   newsarchive stats --db {DEMO_DB}", soft_wrap=True)


def _sum_summaries(summaries: list[dict]) -> dict:
    """Several runs' counts added up (numbers, and the per-reason counts)."""
    total: dict = {}
    for summary in summaries:
        for key, value in summary.items():
            if isinstance(value, bool) or key == "seconds":
                continue
            if isinstance(value, (int, float)):
                total[key] = total.get(key, 0) + value
            elif isinstance(value, dict):
                bucket = total.setdefault(key, {})
                for name, count in value.items():
                    if isinstance(count, (int, float)):
                        bucket[name] = bucket.get(name, 0) + count
    return total


def main() -> None:
    app()


if __name__ == "__main__":
    main()
