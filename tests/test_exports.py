"""Exports in every format, read back and validated against the JSON Schema; manifests; incremental
dumps; hostile command lines. Storage tests run on SQLite and PostgreSQL; the CLI runs in a child process."""

from __future__ import annotations

import csv
import errno
import gzip
import hashlib
import io
import json
import os
import subprocess
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from sqlalchemy import func, select

from storage import export_formats
from storage.dumps import MANIFEST_SCHEMA_PATH, Selection, manifest_path, plan, write_dump
from storage.export import SCHEMA_PATH, ArticleFilter, iter_records
from storage.export_formats import arrow_schema, output_kind, read_csv_records, read_parquet_records
from storage.models import Article, ExportDump
from storage.repository import FetchRecord
from tests.conftest import NEWSARCHIVE, REPO, run_cli

T0 = datetime(2024, 6, 14, 8, 0, tzinfo=timezone.utc)
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
MANIFEST_SCHEMA = json.loads(MANIFEST_SCHEMA_PATH.read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".csv", ".csv.gz", ".csv.zst", ".parquet")


def _fetch(url: str, at: datetime = T0, status: int = 200) -> FetchRecord:
    return FetchRecord(kind="article", url=url, site_url=url, final_url=url, status=status, fetched_at=at, size=100)


def _url(sessions) -> str:
    return sessions.kw["bind"].url.render_as_string(hide_password=False)


def _read(path: Path) -> list[dict]:
    """An export's records, read with the ordinary libraries, not the exporter's own code."""
    name = path.name
    if name.endswith(".parquet"):
        return list(read_parquet_records(path))
    raw = path.read_bytes()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    elif name.endswith(".zst"):
        raw = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw)).read()
    body = raw.decode("utf-8")
    if ".csv" in name:
        assert body.startswith("\ufeff")  # Excel's cue that the file is UTF-8
        assert "\r\n" in body
        return list(read_csv_records(io.StringIO(body[1:], newline="")))
    return [json.loads(line) for line in body.splitlines()]


def _check_manifest(output: Path, count: int) -> dict:
    manifest = json.loads(manifest_path(output).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(MANIFEST_SCHEMA, format_checker=jsonschema.FormatChecker()).validate(manifest)
    (entry,) = manifest["files"]
    data = (output.parent / entry["name"]).read_bytes()
    assert entry["bytes"] == len(data) and entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["counts"]["articles"] == count
    assert manifest["schema"] == {"id": SCHEMA["$id"], "version": 4}
    return manifest


@pytest.fixture
def stored(archive, records):
    archive_, sessions, site_id = archive
    run = archive_.start_run(site_id)
    for record in records:
        archive_.record(run, site_id, [_fetch(record["url"])], record)
    archive_.finish_run(run)
    return archive_, sessions, site_id, run


def test_every_format_reads_back_as_the_records_and_validates(stored, tmp_path, monkeypatch):
    _archive, sessions, _site, _run = stored
    monkeypatch.setattr(export_formats, "PARQUET_ROWS", 5)  # several row groups from 12 articles
    expected = list(iter_records(sessions))
    assert len(expected) == 12
    for one_per_story in (False, True):
        selection = Selection(one_per_story=one_per_story)
        wanted = list(iter_records(sessions, one_per_story=True)) if one_per_story else expected
        for suffix in SUFFIXES:
            output = tmp_path / f"dump-{one_per_story}{suffix}"
            write_dump(sessions, output, output_kind(output.name, None), selection,
                       plan(sessions, selection, chain=f"{suffix}-{one_per_story}"))
            rows = _read(output)
            for row in rows:
                VALIDATOR.validate(row)
            assert rows == wanted, suffix
            _check_manifest(output, len(wanted))
    assert pq.ParquetFile(tmp_path / "dump-False.parquet").num_row_groups == 3


def _compatible(spec: dict, arrow) -> bool:
    """Could every value the JSON Schema allows be held by this Arrow type?"""
    if "$ref" in spec:
        return _compatible(SCHEMA["$defs"][spec["$ref"].rsplit("/", 1)[-1]], arrow)
    if "anyOf" in spec:
        return all(_compatible(s, arrow) for s in spec["anyOf"] if s.get("type") != "null")
    if "enum" in spec:
        return pa.types.is_string(arrow)
    kinds = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
    kind = next(k for k in kinds if k != "null")
    if kind == "array":
        return pa.types.is_list(arrow) and _compatible(spec["items"], arrow.value_type)
    if kind == "object" and "properties" in spec:
        return (pa.types.is_struct(arrow) and {f.name for f in arrow} == set(spec["properties"])
                and all(_compatible(spec["properties"][f.name], f.type) for f in arrow))
    if kind == "object":
        return pa.types.is_map(arrow) and pa.types.is_string(arrow.key_type) and pa.types.is_string(arrow.item_type)
    return {"string": pa.types.is_string, "integer": pa.types.is_int64, "number": pa.types.is_float64,
            "boolean": pa.types.is_boolean}[kind](arrow)


def test_parquet_schema_holds_every_field_of_the_json_schema():
    for one_per_story, names in ((False, SCHEMA["required"]), (True, SCHEMA["properties"])):
        schema = arrow_schema(one_per_story)
        assert set(schema.names) == set(names)
        for field in schema:
            assert _compatible(SCHEMA["properties"][field.name], field.type), field.name


def _record(key: str, title: str, text: str, **changes) -> dict:
    url = f"http://www.qhnews.com/xw/system/2024/06/14/{key}.shtml"
    return {"url": url, "canonical_url": url, "page_urls": [url], "title": title, "subtitle": None, "column": None,
            "section": "新闻中心", "source_outlet": "青海日报", "authors": ["张三"], "correspondents": [],
            "photographers": [], "editor": None, "bylines_raw": {"source": "来源：青海日报"},
            "published_at": "2024-06-13T09:00:00+08:00", "published_precision": "minute", "updated_at": None,
            "language": "zh", "text": text, "images": [], "quality_flags": [],
            "extraction": {"method": "template:article", "extractor_version": "test", "pages": [],
                           "sources": {"title": "template:h1"}}, **changes}


def _dump(db: str, output: Path, *args: str) -> dict:
    result = run_cli("export", "--db", db, "-o", str(output), *args)
    assert result.returncode == 0, result.stderr
    rows = _read(output)
    manifest = _check_manifest(output, len(rows))
    return {"rows": rows, "ids": {r["article_id"] for r in rows}, "manifest": manifest}


def test_incremental_dumps_hold_exactly_what_is_new_or_changed(archive, tmp_path):
    archive_, sessions, site_id = archive
    db = _url(sessions)
    first = {k: _record(k, f"第一批报道{k}", f"海东市第{k}条消息。\n\n民族团结进步创建活动持续开展，编号{k}。") for k in "abcdef"}
    run1 = archive_.start_run(site_id)
    uids = {k: archive_.record(run1, site_id, [_fetch(r["url"])], r)[1] for k, r in first.items()}
    archive_.finish_run(run1)

    full = _dump(db, tmp_path / "d1.jsonl.zst", "--since-exported")
    assert full["ids"] == set(uids.values())
    assert full["manifest"]["incremental"] == {"after_run": None, "previous_dump": None, "since_exported": True}
    nothing = _dump(db, tmp_path / "d2.jsonl", "--since-exported")
    assert nothing["ids"] == set() and nothing["manifest"]["incremental"]["previous_dump"] == full["manifest"]["dump_id"]

    later = T0 + timedelta(days=1)
    run2 = archive_.start_run(site_id)
    new = {k: _record(k, f"第二批报道{k}", f"西宁市第{k}条消息。\n\n乡村振兴成果展开幕，编号{k}。") for k in "gh"}
    uids.update({k: archive_.record(run2, site_id, [_fetch(r["url"], later)], r)[1] for k, r in new.items()})
    changed = {**first["a"], "text": first["a"]["text"] + "\n\n（更正：活动时间为6月12日。）"}
    assert archive_.record(run2, site_id, [_fetch(changed["url"], later)], changed)[0] == "changed"
    assert archive_.record(run2, site_id, [_fetch(first["b"]["url"], later, 404)],
                           removal={"reason": "not_found", "status": 404})[0] == "removed"
    alias = {**first["c"], "url": first["c"]["url"].replace("/xw/", "/dj/")}
    archive_.record(run2, site_id, [_fetch(alias["url"], later)], alias)
    assert archive_.record(run2, site_id, [_fetch(first["d"]["url"], later)], first["d"])[0] == "unchanged"
    archive_.finish_run(run2)
    # a re-extraction that reads one differently (no run) is a change too
    revised = {**first["e"], "title": "第一批报道e（修订）"}
    assert archive_.revise_many([(_id(sessions, uids["e"]), revised)], datetime.now(timezone.utc)) == ["changed"]

    expected = {uids[k] for k in "abceg" + "h"}
    since = _dump(db, tmp_path / "d3.parquet", "--since-exported")
    assert since["ids"] == expected
    assert since["manifest"]["incremental"]["previous_dump"] == nothing["manifest"]["dump_id"]
    by_id = {r["article_id"]: r for r in since["rows"]}
    assert by_id[uids["a"]]["version"] == 2 and by_id[uids["b"]]["removed_at"] is not None
    assert by_id[uids["c"]]["aliases"] == [alias["url"]] and by_id[uids["e"]]["title"] == "第一批报道e（修订）"
    for row in since["rows"]:
        VALIDATOR.validate(row)

    assert _dump(db, tmp_path / "r1.csv", "--after-run", str(run1))["ids"] == expected
    assert _dump(db, tmp_path / "r2.csv", "--after-run", str(run2))["ids"] == {uids["e"]}  # the re-extraction came after
    assert _dump(db, tmp_path / "r0.csv", "--after-run", "0")["ids"] == set(uids.values())
    # the same filters and chain follow one another; another chain, or other filters, start afresh
    assert _dump(db, tmp_path / "d4.jsonl", "--since-exported")["ids"] == set()
    assert _dump(db, tmp_path / "c1.jsonl", "--since-exported", "--chain", "team-b")["ids"] == set(uids.values())
    assert _dump(db, tmp_path / "s1.jsonl", "--since-exported", "--removed")["ids"] == {uids["b"]}
    assert _dump(db, tmp_path / "q1.jsonl", "--after-run", str(run1), "--query", "乡村振兴")["ids"] == {uids["g"], uids["h"]}
    # a chain whose only dump is an --after-run one (part of the selection) starts with everything
    assert _dump(db, tmp_path / "p1.jsonl", "--after-run", str(run2), "--chain", "p")["ids"] == {uids["e"]}
    assert _dump(db, tmp_path / "p2.jsonl", "--since-exported", "--chain", "p")["ids"] == set(uids.values())


def test_an_incremental_dump_per_story_gives_the_story_by_its_original(archive, tmp_path):
    archive_, sessions, site_id = archive
    db = _url(sessions)
    mirror = archive_.site("mirror", "http://mirror.example", "Asia/Shanghai", "高原新闻网")
    body = "海东市举办民族团结进步创建活动，各族群众载歌载舞，共庆丰收。\n\n活动现场，乡村振兴成果展吸引了众多市民驻足观看。" * 3
    original = _record("o", "民族团结一家亲", body, published_at="2024-06-12T09:00:00+08:00")
    copy = {**_record("c", "民族团结一家亲（转载）", body), "url": "http://mirror.example/a/1.html",
            "canonical_url": "http://mirror.example/a/1.html", "page_urls": ["http://mirror.example/a/1.html"]}
    run = archive_.start_run(site_id)
    original_uid = archive_.record(run, site_id, [_fetch(original["url"])], original)[1]
    archive_.finish_run(run)
    other = archive_.start_run(mirror)
    copy_uid = archive_.record(other, mirror, [_fetch(copy["url"])], copy)[1]
    archive_.finish_run(other)
    first = _dump(db, tmp_path / "s1.jsonl", "--since-exported", "--one-per-story")
    assert [r["article_id"] for r in first["rows"]] == [original_uid]
    assert first["rows"][0]["story_copies"] == 2
    edited = {**copy, "text": body + "\n\n（编者按：本文有删节。）"}
    again = archive_.start_run(mirror)
    assert archive_.record(again, mirror, [_fetch(copy["url"], T0 + timedelta(days=1))], edited)[0] == "changed"
    archive_.finish_run(again)
    # only the copy changed; the story comes again, by the row a full dump would give: its original
    second = _dump(db, tmp_path / "s2.jsonl", "--since-exported", "--one-per-story")
    assert [r["article_id"] for r in second["rows"]] == [original_uid]
    assert {c["article_id"] for c in second["rows"][0]["carried_by"]} >= {original_uid, copy_uid}


def _id(sessions, uid: str) -> int:
    with sessions() as session:
        return session.scalar(select(Article.id).where(Article.uid == uid))


def test_filters_and_query_select_as_search_does(archive, tmp_path):
    archive_, sessions, site_id = archive
    db = _url(sessions)
    run = archive_.start_run(site_id)
    texts = {
        "unity": ("民族团结一家亲", "海东市举办民族团结进步创建活动。", {"section": "党建", "authors": ["张三"]}),
        "village": ("鄉村振興看互助", "互助縣的鄉村旅遊持續升溫。", {"column": "乡村振兴", "source_outlet": "西宁晚报"}),
        "party": ("党建引领基层治理", "以党建引领社区治理，民族团结进步创建与网格化管理结合。", {"section": "党建", "authors": ["赵六"]}),
        "weather": ("6月14日天气", "今天白天全省大部多云，西宁地区气温10到24摄氏度。", {}),
    }
    uids = {k: archive_.record(run, site_id, [_fetch(_record(k, t, x, **c)["url"])], _record(k, t, x, **c))[1]
            for k, (t, x, c) in texts.items()}

    def ids(*args: str) -> set[str]:
        result = run_cli("export", "--db", db, *args)
        assert result.returncode == 0, result.stderr
        return {json.loads(line)["article_id"] for line in result.stdout.splitlines()}

    assert ids("--query", "民族团结") == {uids["unity"], uids["party"]}
    assert ids("--query", "民族团结", "--section", "党建", "--author", "张三") == {uids["unity"]}
    assert ids("--query", "乡村 OR 天气") == {uids["village"], uids["weather"]}
    assert ids("--query", "民族团结 -党建") == {uids["unity"]}
    assert ids("--column", "乡村振兴") == ids("--outlet", "西宁晚报") == {uids["village"]}
    assert ids("--unedited", "--present") == set(uids.values()) and ids("--edited") == ids("--removed") == set()
    # `search --format jsonl` rows are the export's records, plus snippet and score
    searched = run_cli("search", "民族团结", "--db", db, "--format", "jsonl", "--limit", "0")
    assert searched.returncode == 0, searched.stderr
    exported = {r["article_id"]: r for r in map(json.loads, run_cli("export", "--db", db, "--query", "民族团结").stdout.splitlines())}
    for row in map(json.loads, searched.stdout.splitlines()):
        row.pop("snippet"), row.pop("score")
        assert row == exported[row["article_id"]]


def _assert_refused(result, *fragments: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error:"), result.stderr
    message = " ".join(lines)
    for fragment in fragments:
        assert fragment in message, message


def test_hostile_command_lines_are_refused_and_lose_nothing(stored, tmp_path):
    _archive, sessions, _site, _run = stored
    db = _url(sessions)
    earlier = tmp_path / "dump.jsonl"
    assert run_cli("export", "--db", db, "-o", str(earlier)).returncode == 0
    def files() -> dict[str, bytes]:  # every file but the SQLite archive's own
        return {p.name: p.read_bytes() for p in tmp_path.iterdir() if not p.name.startswith("archive.db")}

    before = files()
    with sessions() as session:
        counts = (session.scalar(select(func.count()).select_from(Article)),
                  session.scalar(select(func.count()).select_from(ExportDump)))
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    cases = [
        (["-o", str(blocker / "out.jsonl")], ["cannot write"]),
        (["--format", "xml"], ["unknown format 'xml'", "jsonl, csv, parquet"]),
        (["-o", str(tmp_path / "out.txt")], ["cannot tell the format", ".parquet"]),
        (["-o", str(tmp_path / "out.csv"), "--format", "jsonl"], ["says csv"]),
        (["-o", str(tmp_path / "out.parquet.gz")], ["compressed inside"]),
        (["--after-run", "999"], ["no crawl run 999", "newsarchive runs"]),
        (["--after-run", "-1"], ["positive"]),
        (["--query", "-民族 NOT 团结"], ["--query", "nothing to find"]),
        (["--query", "，。！"], ["nothing to find"]),
        (["-o", str(earlier)], ["exists", "--overwrite"]),
        (["-o", str(tmp_path / "dump.jsonl.manifest.json"), "--format", "jsonl"], ["manifest"]),
        (["-o", str(tmp_path / "x.jsonl"), "--since-exported", "--after-run", "1"], ["not both"]),
        (["--since-exported"], ["needs -o"]),
        (["-o", str(tmp_path), "--format", "jsonl"], ["folder"]),
        (["--site", "nowhere"], ["no such site", "qhnews"]),
        (["-o", str(tmp_path / "new.jsonl"), "--site", "nowhere"], ["no such site"]),
    ]
    for args, fragments in cases:
        _assert_refused(run_cli("export", "--db", db, *args), *fragments)
    _assert_refused(run_cli("export", "--db", db, "-o", str(tmp_path / "w.jsonl"), env={"NEWSARCHIVE_EXPORT_WORKERS": "many"}),
                    "NEWSARCHIVE_EXPORT_WORKERS", "number of worker processes")
    # the data file is gone but its manifest is still there: it is not overwritten either
    earlier.rename(tmp_path / "moved.jsonl")
    _assert_refused(run_cli("export", "--db", db, "-o", str(earlier)), "dump.jsonl.manifest.json exists")
    (tmp_path / "moved.jsonl").rename(earlier)
    assert {k: v for k, v in files().items() if k != blocker.name} == before
    with sessions() as session:
        assert (session.scalar(select(func.count()).select_from(Article)),
                session.scalar(select(func.count()).select_from(ExportDump))) == counts
    # a manifest that cannot be written (a folder in its place): the earlier data file stays as it was
    blocked = tmp_path / "blocked.jsonl"
    blocked.write_bytes(b"PRECIOUS\n")
    manifest_path(blocked).mkdir()
    _assert_refused(run_cli("export", "--db", db, "-o", str(blocked), "--overwrite"), "is a folder")
    assert blocked.read_bytes() == b"PRECIOUS\n"
    # asked to, it replaces the earlier dump and its manifest
    assert run_cli("export", "--db", db, "-o", str(earlier), "--overwrite", "--section", "无此栏目").returncode == 0
    assert earlier.read_bytes() == b"" and _check_manifest(earlier, 0)["filters"]["section"] == "无此栏目"


def test_parquet_without_pyarrow_says_what_to_install(tmp_path):
    import subprocess
    import sys

    code = ("import sys; sys.modules['pyarrow'] = None; from scraper.cli import main; "
            f"sys.argv = ['newsarchive', 'export', '--db', {str(tmp_path / 'a.db')!r}, '-o', {str(tmp_path / 'x.parquet')!r}]; main()")
    assert NEWSARCHIVE[0] == sys.executable
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    _assert_refused(result, "pyarrow", "newsarchive[parquet]")
    assert not (tmp_path / "x.parquet").exists() and not list(tmp_path.glob(".x.parquet*"))


def test_format_is_told_by_the_file_name():
    assert output_kind("a.jsonl.zst", None).suffix == ".jsonl.zst"
    assert output_kind("a.CSV.GZ", None).suffix == ".csv.gz"
    assert output_kind(None, None).format == "jsonl" and output_kind("a.dat", "csv").suffix == ".csv"
    assert output_kind("a.parquet", "parquet").compression is None


def test_csv_cells_decode_with_the_schema():
    record = next(iter([_record("k", "标题", "正文，含逗号,\n\n和\"引号\"")]))
    row = {name: record.get(name) for name in SCHEMA["required"]}
    row.update(article_id="0123456789abcdef", story_original=False, story_copies=0, version=2, subtitle="", aliases=[])
    out = io.StringIO(newline="")
    export_formats.write_csv([row], out)
    lines = out.getvalue()
    parsed = list(csv.reader(io.StringIO(lines[1:], newline="")))
    assert parsed[1][parsed[0].index("authors")] == '["张三"]' and parsed[1][parsed[0].index("story_original")] == "false"
    back = next(read_csv_records(io.StringIO(lines[1:], newline="")))
    assert back["text"] == record["text"] and back["version"] == 2 and back["story_original"] is False
    assert back["subtitle"] is None  # an empty cell is null: CSV cannot tell "" from null (README)
    assert back["bylines_raw"] == {"source": "来源：青海日报"}


def test_where_filter_dataclass_is_what_the_manifest_lists():
    assert set(MANIFEST_SCHEMA["properties"]["filters"]["required"]) == set(ArticleFilter.__dataclass_fields__)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_a_full_disk_is_an_error_of_the_export_not_a_hang(stored, tmp_path):
    """/dev/full fails every write with ENOSPC: the error reaches the caller from the writing
    thread, for every format, and the command says so; the archive is untouched."""
    _archive, sessions, _site, _run = stored
    for name in ("x.jsonl", "x.jsonl.zst", "x.jsonl.gz", "x.csv"):
        with open("/dev/full", "wb", buffering=0) as full, pytest.raises(OSError) as error:
            export_formats.write_records(iter_records(sessions), export_formats.HashingSink(full), output_kind(name, None))
        assert error.value.errno == errno.ENOSPC, name
    assert not [t for t in threading.enumerate() if t.name.startswith("export-")]
    with open("/dev/full", "w") as full:
        result = subprocess.run([*NEWSARCHIVE, "export", "--db", _url(sessions)], stdout=full, stderr=subprocess.PIPE,
                                text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    assert result.returncode != 0 and "No space left" in result.stderr and "Traceback" not in result.stderr
    assert len(list(iter_records(sessions))) == 12


def test_worker_processes_write_the_same_bytes_as_one_process(stored, tmp_path, monkeypatch):
    """A large export is encoded by worker processes (storage/export_workers.py), chunk by chunk:
    the file must be byte for byte the one process's, in every format they make and for every
    selection (filters, a list of ids); one record per story stays in one process."""
    from storage import export_workers
    from storage.export_workers import RecordSource

    _archive, sessions, _site, _run = stored
    with sessions() as session:
        ids = sorted(session.scalars(select(Article.id)))
    monkeypatch.setattr(export_workers, "PARALLEL_MIN", 1)  # 12 articles count as large
    monkeypatch.setattr(export_workers, "CHUNK", 5)  # in several chunks
    sources = [RecordSource(sessions), RecordSource(sessions, ArticleFilter(section="新闻中心")),
               RecordSource(sessions, ids=frozenset(ids[1::2])), RecordSource(sessions, one_per_story=True)]
    for source in sources:
        for name in ("x.jsonl", "x.csv", "x.jsonl.zst"):
            outputs = {}
            for workers in ("1", "2"):
                monkeypatch.setenv(export_workers.WORKERS_ENV, workers)
                with open(tmp_path / f"{workers}-{name}", "wb", buffering=0) as raw:
                    sink = export_formats.HashingSink(raw)
                    count = export_formats.write_records(source, sink, output_kind(name, None), source.one_per_story)
                outputs[workers] = (count, (tmp_path / f"{workers}-{name}").read_bytes())
            assert outputs["1"] == outputs["2"], (source, name)
            assert outputs["1"][0] == len(list(source)) > 0
    monkeypatch.setenv(export_workers.WORKERS_ENV, "2")
    assert sources[0].encoded(export_formats.encode_jsonl) is not None  # the workers did run
    assert sources[3].encoded(export_formats.encode_jsonl) is None
    monkeypatch.setenv(export_workers.WORKERS_ENV, "many")
    with pytest.raises(ValueError, match="NEWSARCHIVE_EXPORT_WORKERS"):
        sources[0].encoded(export_formats.encode_jsonl)
