"""WARC files: every response kept byte for byte, as the web archiving world reads them.

Records are WARC/1.1, gzip-compressed one record per member (warcio). The records
of one capture (request, response or revisit) are built in memory and appended to
the file with a single unbuffered write, so a killed process never leaves half a
record behind; a power cut can, and ``complete_length`` finds where the last
complete record ends (``iter_records`` stops there). Files rotate by size and
are named ``<site>-<run>-<seq>.warc.gz``; the database stores the file's name, the
record's offset and length, its WARC-Record-ID and the payload digest.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

DEFAULT_MAX_BYTES = 1 << 30  # 1 GiB
WARC_VERSION = "WARC/1.1"


@dataclass(frozen=True)
class Location:
    """Where a record sits: file name (in the WARC folder), byte offset and length."""

    file: str
    offset: int
    length: int
    record_id: str
    record_type: str  # response, revisit, request, metadata
    payload_digest: str | None = None


@dataclass(frozen=True)
class Capture:
    """One HTTP exchange as it crossed the wire."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    status: int
    reason: str
    protocol: str
    response_headers: list[tuple[str, str]]
    body: bytes  # as received (still compressed when the server sent Content-Encoding)
    fetched_at: datetime


def payload_digest(body: bytes) -> str:
    """sha1, base32, as WARC-Payload-Digest spells it."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def warc_date(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _request_line(capture: Capture) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(capture.url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return f"{capture.method} {target} {capture.protocol}"


def _serialize(writer: WARCWriter, buffer: io.BytesIO, record) -> tuple[int, int]:
    start = buffer.tell()
    writer.write_record(record)
    return start, buffer.tell() - start


class WarcWriter:
    """Appends captures to rotating WARC files in ``directory``."""

    def __init__(self, directory: Path, prefix: str, max_bytes: int = DEFAULT_MAX_BYTES):
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.directory.mkdir(parents=True, exist_ok=True)
        self._seq = 0
        self._fd: int | None = None
        self._name = ""
        self._size = 0
        self._unsynced = False

    def _file(self, incoming: int) -> tuple[int, str, int]:
        if self._fd is not None and self._size and self._size + incoming > self.max_bytes:
            self.close()
        if self._fd is None:
            while True:  # never append to a file this writer did not start (another archive's run 1)
                self._seq += 1
                self._name = f"{self.prefix}-{self._seq:05d}.warc.gz"
                try:
                    self._fd = os.open(self.directory / self._name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                    break
                except FileExistsError:
                    continue
            self._size = 0
        return self._fd, self._name, self._size

    def _append(self, data: bytes) -> tuple[str, int]:
        fd, name, size = self._file(len(data))
        written = 0
        view = memoryview(data)
        while written < len(data):  # one write() for the whole capture; loop only on a short write
            written += os.write(fd, view[written:])
        self._size = size + len(data)
        self._unsynced = True
        return name, size

    def sync(self) -> None:
        """Make what was written durable (fdatasync): called before the database records a page
        whose capture is here, so that no committed row can point at bytes a power cut took."""
        if self._fd is not None and self._unsynced:
            os.fdatasync(self._fd)
            self._unsynced = False

    def write_capture(self, capture: Capture, revisit_of: Location | None = None, refers_to_date: str = "",
                      refers_to_uri: str = "", digest: str | None = None) -> Location:
        """Request + response (or revisit) records of one exchange; returns the response/revisit record.
        ``digest``: the body's payload digest, when the caller already computed it."""
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=True, warc_version=WARC_VERSION)
        date = warc_date(capture.fetched_at)
        http_response = StatusAndHeaders(f"{capture.status} {capture.reason}".strip(), capture.response_headers,
                                         protocol=capture.protocol)
        digest = digest or payload_digest(capture.body)
        if revisit_of is None:
            response = writer.create_warc_record(
                capture.url, "response", payload=io.BytesIO(capture.body), length=len(capture.body),
                http_headers=http_response, warc_headers_dict={"WARC-Date": date},
            )
        else:
            response = writer.create_revisit_record(
                capture.url, digest, refers_to_uri or capture.url, refers_to_date, http_headers=http_response,
                warc_headers_dict={"WARC-Date": date, "WARC-Refers-To": revisit_of.record_id},
            )
        record_id = response.rec_headers.get_header("WARC-Record-ID")
        request = writer.create_warc_record(
            capture.url, "request",
            http_headers=StatusAndHeaders(_request_line(capture), capture.request_headers, is_http_request=True),
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": record_id},
        )
        start, length = _serialize(writer, buffer, response)
        _serialize(writer, buffer, request)
        name, base = self._append(buffer.getvalue())
        kind = "response" if revisit_of is None else "revisit"
        return Location(name, base + start, length, record_id, kind, digest)

    def write_metadata(self, target_uri: str, concurrent_to: str, fields: dict[str, Any], moment: datetime) -> Location:
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=True, warc_version=WARC_VERSION)
        payload = json.dumps(fields, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
        record = writer.create_warc_record(
            target_uri, "metadata", payload=io.BytesIO(payload), length=len(payload),
            warc_content_type="application/json",
            warc_headers_dict={"WARC-Date": warc_date(moment), "WARC-Concurrent-To": concurrent_to},
        )
        start, length = _serialize(writer, buffer, record)
        name, base = self._append(buffer.getvalue())
        return Location(name, base + start, length, record.rec_headers.get_header("WARC-Record-ID"), "metadata")

    def close(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
            self._unsynced = False


@dataclass
class Payload:
    """A response read back from a WARC file."""

    url: str
    status: int
    headers: dict[str, str]  # lower-cased names; Content-Encoding already undone
    body: bytes
    record_id: str
    date: str


def read_payload(directory: Path, file: str, offset: int) -> Payload:
    """The HTTP response stored at ``offset`` of ``file`` (content encoding decoded)."""
    with open(Path(directory) / file, "rb") as stream:
        stream.seek(offset)
        for record in ArchiveIterator(stream):
            if record.rec_type not in ("response", "revisit"):
                raise ValueError(f"{file}@{offset} is a {record.rec_type} record, not a response")
            headers = {name.lower(): value for name, value in record.http_headers.headers}
            headers.pop("content-encoding", None)  # content_stream() undoes it
            body = record.content_stream().read()
            # a record cut short (a truncated file) reads as a shorter body without any error from
            # warcio: its declared length must have been read whole, or the body is not the capture
            record.raw_stream.read()
            if record.raw_stream.limit:
                raise ValueError(f"{file}@{offset}: the record is cut short ({record.raw_stream.limit} bytes missing)")
            return Payload(
                url=record.rec_headers.get_header("WARC-Target-URI"),
                status=int(record.http_headers.get_statuscode() or 0),
                headers=headers,
                body=body,
                record_id=record.rec_headers.get_header("WARC-Record-ID"),
                date=record.rec_headers.get_header("WARC-Date"),
            )
    raise ValueError(f"no record at {file}@{offset}")


@dataclass
class StoredRecord:
    """A record read back: its place in the file, headers and decoded content (b"" when not asked for)."""

    offset: int
    length: int
    rec_type: str
    rec_headers: Any
    http_headers: Any
    content: bytes


def iter_records(path: Path, content: bool = True) -> Iterator[StoredRecord]:
    """Every complete record of a file, in order; an incomplete tail is skipped. Without
    ``content`` each record is still read once, but its content is not kept (a scan of whole files)."""
    limit = complete_length(path)
    with open(path, "rb") as stream:
        iterator = ArchiveIterator(stream)
        try:
            for record in iterator:
                body = record.content_stream().read() if content else b""
                iterator.read_to_end(record)  # the rest of the record: sets its offset and length
                offset, length = iterator.get_record_offset(), iterator.get_record_length()
                if offset + length > limit:
                    return
                yield StoredRecord(offset, length, record.rec_type, record.rec_headers, record.http_headers, body)
        except (EOFError, zlib.error, ValueError, OSError):
            return


def complete_length(path: Path) -> int:
    """Bytes of ``path`` made of whole gzip members, i.e. complete records (read in chunks)."""
    position = 0  # end of the last complete member
    consumed = 0  # bytes fed into the current member so far
    decompressor = zlib.decompressobj(wbits=31)
    with open(path, "rb") as stream:
        pending = b""
        while True:
            chunk = pending or stream.read(1 << 20)
            pending = b""
            if not chunk:
                break
            try:
                decompressor.decompress(chunk)
            except zlib.error:
                break
            if decompressor.eof:
                position += consumed + len(chunk) - len(decompressor.unused_data)
                pending, consumed = decompressor.unused_data, 0
                decompressor = zlib.decompressobj(wbits=31)
            else:
                consumed += len(chunk)
    return position
