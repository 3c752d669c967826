"""WARC capture: records written, read back with warcio, checked by warcio's own tools."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from scraper.replica.server import ReplicaServer
from storage.db import open_archive
from storage.models import Fetch
from storage.warc import Capture, WarcWriter, complete_length, iter_records, payload_digest, read_payload
from tests.conftest import run_cli

WARCIO = [sys.executable, "-m", "warcio.cli"]
T0 = datetime(2024, 6, 14, tzinfo=timezone.utc)


def _capture(body: bytes, url: str = "http://www.qhnews.com/a.shtml", encoding: str | None = "gzip") -> Capture:
    payload = gzip.compress(body, mtime=0) if encoding else body
    headers = [("Content-Type", "text/html"), ("Content-Length", str(len(payload)))]
    if encoding:
        headers.append(("Content-Encoding", encoding))
    return Capture(url, "GET", [("User-Agent", "newsarchive")], 200, "OK", "HTTP/1.1", headers, payload, T0)


def _warcio(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*WARCIO, *args], capture_output=True, text=True)


def test_records_round_trip_and_pass_warcio_check(tmp_path):
    writer = WarcWriter(tmp_path, "qhnews-1", max_bytes=4000)
    body = "<html><body><p>青海新闻 测试</p></body></html>".encode("gbk")
    first = writer.write_capture(_capture(body))
    writer.write_metadata("http://www.qhnews.com/a.shtml", first.record_id,
                          {"run_id": 1, "decoding": {"used_charset": "gb18030"}}, T0)
    revisit = writer.write_capture(_capture(body), revisit_of=first, refers_to_date="2024-06-14T00:00:00Z",
                                   refers_to_uri="http://www.qhnews.com/a.shtml")
    for i in range(12):  # enough to rotate past 4,000 bytes
        writer.write_capture(_capture(f"<html><body>{i}</body></html>".encode() * 20))
    writer.close()
    files = sorted(tmp_path.glob("*.warc.gz"))
    assert len(files) >= 2 and files[0].name == "qhnews-1-00001.warc.gz"
    for path in files:
        assert _warcio("check", str(path)).returncode == 0, path
        assert _warcio("index", str(path)).returncode == 0
    back = read_payload(tmp_path, first.file, first.offset)
    assert back.body == body and back.status == 200 and "content-encoding" not in back.headers  # decoded
    assert first.payload_digest == payload_digest(gzip.compress(body, mtime=0))  # the payload as sent
    records = {record.offset: record for record in iter_records(tmp_path / revisit.file)}
    revisit_record = records[revisit.offset]
    assert revisit_record.rec_type == "revisit"
    assert revisit_record.rec_headers.get_header("WARC-Refers-To") == first.record_id
    assert revisit_record.rec_headers.get_header("WARC-Payload-Digest") == first.payload_digest
    kinds = [r.rec_type for r in iter_records(files[0])]
    assert kinds[:3] == ["response", "request", "metadata"]


def test_a_cut_off_tail_is_detected_and_skipped(tmp_path):
    writer = WarcWriter(tmp_path, "qhnews-2")
    for i in range(3):
        writer.write_capture(_capture(f"<p>{i}</p>".encode() * 50))
    writer.close()
    path = next(tmp_path.glob("*.warc.gz"))
    whole = path.stat().st_size
    assert complete_length(path) == whole
    complete = len(list(iter_records(path)))
    path.write_bytes(path.read_bytes()[:-37])  # a power cut in the middle of the last record
    assert complete_length(path) < whole - 37
    assert len(list(iter_records(path))) == complete - 1  # the request record of the last capture is gone


@pytest.mark.parametrize("encoding", [None, "gzip"])
def test_a_record_cut_short_is_never_read_as_a_shorter_body(tmp_path, encoding):
    """A file cut inside a response record (a damaged copy of an archive): reading it back is an
    error, never a shorter page that re-extraction would store as a new version."""
    body = ("<html><body>" + "青海新闻网的正文。" * 3000 + "</body></html>").encode()
    writer = WarcWriter(tmp_path, "qhnews-3")
    location = writer.write_capture(_capture(body, encoding=encoding))
    writer.close()
    path = tmp_path / location.file
    whole = path.read_bytes()
    assert read_payload(tmp_path, location.file, location.offset).body == body
    end = location.offset + location.length
    for cut in range(end - 60, end, 7):  # anywhere in the last part of the record's gzip member
        path.write_bytes(whole[:cut])
        try:
            read = read_payload(tmp_path, location.file, location.offset).body
        except Exception as exc:  # noqa: BLE001 - warcio's or ours: the point is that it is refused
            assert str(exc)
            continue
        assert read == body, f"cut at {cut}: {len(read)} of {len(body)} bytes read back as if whole"


@pytest.fixture(scope="module")
def archived(replica, tmp_path_factory):
    """Two crawls of the replica with archiving on, the second fetching every article again in
    full (a server without validators: no 304s): (db path, warc folder, sessions)."""
    site_dir, _truth = replica
    folder = tmp_path_factory.mktemp("warc-crawl")
    with ReplicaServer(site_dir, validators=False) as server:
        for again in ([], ["--revisit-all"]):
            result = run_cli("crawl", "qhnews", "--base-url", server.base_url, "--db", str(folder / "a.db"), "--fast",
                             *again)
            assert result.returncode == 0, result.stderr
    _engine, sessions = open_archive(str(folder / "a.db"))
    return folder / "a.db", folder / "warc", sessions


def test_every_fetched_response_is_archived_and_reads_back(archived):
    _db, warc_dir, sessions = archived
    with sessions() as session:
        rows = session.execute(select(Fetch).where(Fetch.status.is_not(None))).scalars().all()
    assert rows and all(r.warc_file for r in rows), [r.url for r in rows if not r.warc_file]
    for row in rows:
        payload = read_payload(warc_dir, row.payload_file, row.payload_offset)
        assert payload.record_id == row.payload_record_id
        assert payload.status == row.status
    for path in sorted(warc_dir.glob("*.warc.gz")):
        assert _warcio("check", str(path)).returncode == 0, path
        index = _warcio("index", str(path))
        assert index.returncode == 0, index.stderr
        assert len(index.stdout.splitlines()) == len(list(iter_records(path)))  # warcio sees every record we wrote


def test_the_second_crawl_writes_revisits_not_copies(archived):
    _db, warc_dir, sessions = archived
    with sessions() as session:
        runs = sorted(set(session.scalars(select(Fetch.run_id))))
        second = session.execute(select(Fetch).where(Fetch.run_id == runs[1], Fetch.status == 200)).scalars().all()
    assert second and all(r.warc_type == "revisit" for r in second)
    assert sum(r.kind == "article" for r in second) > 150  # articles as well as lists
    assert all(r.payload_file.startswith(f"qhnews-{runs[0]}-") for r in second)
    first_bytes = sum(p.stat().st_size for p in warc_dir.glob(f"qhnews-{runs[0]}-*.warc.gz"))
    second_bytes = sum(p.stat().st_size for p in warc_dir.glob(f"qhnews-{runs[1]}-*.warc.gz"))
    assert second_bytes < first_bytes / 2


def test_metadata_records_describe_each_page(archived):
    _db, warc_dir, _sessions = archived
    path = sorted(warc_dir.glob("*.warc.gz"))[0]
    metadata = [json.loads(r.content) for r in iter_records(path) if r.rec_type == "metadata"]
    assert metadata
    articles = [m for m in metadata if m["kind"] == "article" and m["method"]]
    assert articles and all(m["decoding"]["used_charset"] and m["run_id"] and m["extractor_version"] for m in articles)


def test_archiving_can_be_turned_off(replica, tmp_path):
    site_dir, _truth = replica
    with ReplicaServer(site_dir) as server:
        result = run_cli("crawl", "qhnews", "--base-url", server.base_url, "--db", str(tmp_path / "a.db"), "--fast",
                         env={"NEWSARCHIVE_WARC": "0"})
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "warc").exists() or not list((tmp_path / "warc").iterdir())
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_a_writer_never_appends_to_a_file_it_did_not_start(tmp_path):
    first = WarcWriter(tmp_path, "qhnews-1")
    first.write_capture(_capture(b"<p>one archive</p>"))
    first.close()
    before = (tmp_path / "qhnews-1-00001.warc.gz").read_bytes()
    second = WarcWriter(tmp_path, "qhnews-1")  # another archive in the same folder, also on its run 1
    location = second.write_capture(_capture(b"<p>another archive</p>"))
    second.close()
    assert location.file == "qhnews-1-00002.warc.gz"
    assert (tmp_path / "qhnews-1-00001.warc.gz").read_bytes() == before
