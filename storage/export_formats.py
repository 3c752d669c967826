"""Export file formats: JSON Lines (plain, gzip, zstd), CSV and Parquet, all streaming.

Every format writes the same records (``storage.export.article_record``); the JSON Schema
(``storage/schema/article.schema.json``) is the single description of them, and the Parquet
schema is derived from it. Writers go through ``HashingSink``, which counts and hashes the
bytes as they reach the file, so a manifest's sha256 costs no second read.
"""

from __future__ import annotations

import csv
import functools
import gzip
import hashlib
import io
import json
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .export_workers import RecordSource

FORMATS = ("jsonl", "csv", "parquet")
COMPRESSIONS = ("gz", "zst")
PARQUET_ROWS = 4096  # rows per Parquet row group: the records held in memory at once
PARQUET_INSTALL = "pip install 'newsarchive[parquet]' (pyarrow)"


class FormatError(ValueError):
    """A format or file name the export cannot write; the message says what would work."""


@dataclass(frozen=True)
class OutputKind:
    format: str
    compression: str | None = None  # gz, zst (JSON Lines and CSV only)

    @property
    def suffix(self) -> str:
        return f".{self.format}" + (f".{self.compression}" if self.compression else "")


def output_kind(name: str | None, format: str | None) -> OutputKind:  # noqa: A002 - the option's name
    """The format and compression: from --format and the file name (.jsonl, .jsonl.gz, .jsonl.zst,
    .csv, .csv.gz, .csv.zst, .parquet). A name that says another format than --format is refused."""
    if format is not None and format not in FORMATS:
        raise FormatError(f"unknown format {format!r}; supported: {', '.join(FORMATS)}")
    suffixes = [s.lower().lstrip(".") for s in Path(name).suffixes[-2:]] if name else []
    compression = suffixes[-1] if suffixes and suffixes[-1] in COMPRESSIONS else None
    inner = suffixes[-2] if compression and len(suffixes) == 2 else (suffixes[-1] if suffixes and not compression else None)
    named = inner if inner in FORMATS else None
    if format and named and named != format:
        raise FormatError(f"--format {format} but the file name {name!r} says {named}; make them agree")
    chosen = format or named
    if chosen is None:
        if name is None:
            chosen = "jsonl"
        else:
            raise FormatError(f"cannot tell the format from the file name {name!r}: end it in .jsonl, .jsonl.gz, "
                              ".jsonl.zst, .csv, .csv.gz, .csv.zst or .parquet, or give --format")
    if chosen == "parquet" and compression:
        raise FormatError("a Parquet file is compressed inside (zstd): name it .parquet, without .gz or .zst")
    return OutputKind(chosen, compression)


class HashingSink(io.RawIOBase):
    """A binary file that hashes (sha256) and counts what is written through it."""

    def __init__(self, raw: IO[bytes]):
        self.raw, self.sha256, self.bytes = raw, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        view = memoryview(data)
        self.raw.write(view)
        self.sha256.update(view)
        self.bytes += view.nbytes
        return view.nbytes

    def tell(self) -> int:
        return self.bytes

    def flush(self) -> None:
        self.raw.flush()


def _compressed(sink: IO[bytes], compression: str | None):
    """(binary stream to write into, closer that finishes the compressed stream)."""
    if compression == "gz":
        stream = gzip.GzipFile(fileobj=sink, mode="wb", compresslevel=6)
        return stream, stream.close
    if compression == "zst":
        import zstandard

        stream = zstandard.ZstdCompressor(level=3).stream_writer(sink, closefd=False)
        return stream, stream.close
    return sink, lambda: None


def write_records(records: Iterable[dict], sink: IO[bytes], kind: OutputKind, one_per_story: bool = False) -> int:
    """Write the records to a binary sink in ``kind``'s format; returns how many."""
    if kind.format == "parquet":
        return write_parquet(records, sink, one_per_story)
    stream, finish = _compressed(sink, kind.compression)
    # a large buffer: one write per ~1 MB, not per record; compressing, hashing and writing that
    # megabyte happen in a thread (they release the GIL) while the next records are built
    behind = _WrittenBehind(stream)
    buffered = io.BufferedWriter(behind, 1 << 20)
    try:
        chunks = records.encoded(encode_jsonl if kind.format == "jsonl" else encode_csv) \
            if isinstance(records, RecordSource) else None
        if chunks is not None:  # encoded by worker processes (storage/export_workers.py), in order
            if kind.format == "csv":
                buffered.write(_csv_header(one_per_story))
            count = 0
            for data, records_in_chunk in chunks:
                buffered.write(data)
                count += records_in_chunk
            buffered.flush()
        elif kind.format == "jsonl":
            from .export import write_jsonl

            count = write_jsonl(records, buffered)
            buffered.flush()
        else:
            text = io.TextIOWrapper(buffered, encoding="utf-8", newline="", write_through=False)
            try:
                count = write_csv(records, text, one_per_story)
                text.flush()
            finally:
                text.detach()
    finally:
        try:
            buffered.detach()  # flushes what is left into the thread
        finally:
            behind.finish()
    finish()
    return count


class _WrittenBehind(io.RawIOBase):
    """Writes into ``stream`` from a thread of its own, a few chunks behind the caller. An error
    of the stream (a full disk, a closed pipe) is raised by the next ``write`` or by ``finish``."""

    def __init__(self, stream, depth: int = 4):
        self.stream, self.chunks, self.error = stream, queue.Queue(depth), None
        self.thread = threading.Thread(target=self._run, name="export-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (chunk := self.chunks.get()) is not None:
            if self.error is None:
                try:
                    self.stream.write(chunk)
                except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread
                    self.error = exc

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if self.error is not None:
            raise self.error
        chunk = bytes(data)  # the caller reuses its buffer once this returns
        self.chunks.put(chunk)
        return len(chunk)

    def finish(self) -> None:
        """Wait for every chunk to be written; raise the stream's error, if any."""
        if self.thread.is_alive():
            self.chunks.put(None)
            self.thread.join()
        if self.error is not None:
            raise self.error


# -- CSV ------------------------------------------------------------------------------------------------

@functools.cache
def _schema() -> dict:
    from .export import SCHEMA_PATH

    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def columns(one_per_story: bool = False) -> list[str]:
    """Every field of the record in the schema's order (``carried_by`` only for one row per story)."""
    schema = _schema()
    return [*schema["required"], *(["carried_by"] if one_per_story else [])]


def write_csv(records: Iterable[dict], out: IO[str], one_per_story: bool = False, header: bool = True) -> int:
    """One row per article, a header of the field names. Excel reads UTF-8 only after a byte order
    mark, so the file starts with one. Lists and objects are JSON text in their cell; null is an
    empty cell; booleans are true/false. ``header=False``: the rows alone (a chunk of a parallel export)."""
    names = columns(one_per_story)
    if header:
        out.write(_csv_header(one_per_story).decode("utf-8"))
    writer = csv.writer(out, lineterminator="\r\n")
    count = 0
    for record in records:
        writer.writerow([_cell(record.get(name)) for name in names])
        count += 1
    return count


def _csv_header(one_per_story: bool) -> bytes:
    """The byte order mark and the header row."""
    out = io.StringIO()
    out.write("\ufeff")
    csv.writer(out, lineterminator="\r\n").writerow(columns(one_per_story))
    return out.getvalue().encode("utf-8")


def encode_csv(records: list[dict]) -> bytes:
    """Rows as ``write_csv`` writes them, without the header (a chunk of a parallel export)."""
    out = io.StringIO()
    write_csv(records, out, header=False)
    return out.getvalue().encode("utf-8")


def encode_jsonl(records: list[dict]) -> bytes:
    """Lines as ``storage.export.write_jsonl`` writes them (a chunk of a parallel export)."""
    from .export import write_jsonl

    out = io.BytesIO()
    write_jsonl(records, out)
    return out.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def read_csv_records(lines: Iterable[str]) -> Iterator[dict]:
    """The records back from an export's CSV (text without its BOM): cells decoded by the
    schema's type of each field. For readers in Python; the mapping is in the README."""
    properties = _schema()["properties"]
    reader = csv.reader(lines)
    header = next(reader)
    for row in reader:
        yield {name: _decode(cell, properties[name]) for name, cell in zip(header, row)}


def _types(spec: dict) -> set[str]:
    schema = _schema()
    if "$ref" in spec:
        spec = schema["$defs"][spec["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in spec:
        return set().union(*(_types(s) for s in spec["anyOf"]))
    if "enum" in spec:
        return {"null" if v is None else "string" for v in spec["enum"]}
    kinds = spec.get("type", "string")
    return set(kinds) if isinstance(kinds, list) else {kinds}


def _decode(cell: str, spec: dict) -> Any:
    kinds = _types(spec)
    if cell == "" and "null" in kinds:
        return None
    if kinds & {"array", "object"}:
        return json.loads(cell)
    if "integer" in kinds:
        return int(cell)
    if "number" in kinds:
        return float(cell)
    if "boolean" in kinds:
        return cell == "true"
    return cell


# -- Parquet --------------------------------------------------------------------------------------------

def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401 - the writer
    except ImportError:
        raise FormatError(f"Parquet needs pyarrow, an optional extra: {PARQUET_INSTALL}") from None
    return pyarrow


def arrow_type(spec: dict, defs: dict):
    """The Arrow type of a JSON Schema property: strings (times too: ISO 8601 with the site's
    offset, as in JSON Lines; Arrow keeps one time zone per column), int64, float64, bool, lists,
    structs of fixed properties, and maps for objects of free keys (bylines_raw, sources)."""
    pa = _pyarrow()
    if "$ref" in spec:
        return arrow_type(defs[spec["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in spec:
        options = [s for s in spec["anyOf"] if s.get("type") != "null"]
        return arrow_type(options[0], defs)
    if "enum" in spec:
        return pa.string()
    kinds = spec.get("type")
    kinds = [k for k in (kinds if isinstance(kinds, list) else [kinds]) if k != "null"]
    kind = kinds[0] if kinds else "string"
    if kind == "array":
        return pa.list_(arrow_type(spec.get("items", {"type": "string"}), defs))
    if kind == "object":
        if "properties" in spec:
            return pa.struct([pa.field(name, arrow_type(sub, defs)) for name, sub in spec["properties"].items()])
        return pa.map_(pa.string(), arrow_type(spec.get("additionalProperties", {"type": "string"}), defs))
    return {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_()}[kind]


def arrow_schema(one_per_story: bool = False):
    """The Parquet file's schema, derived from the JSON Schema, fields in the CSV's order."""
    pa = _pyarrow()
    schema = _schema()
    return pa.schema([pa.field(name, arrow_type(schema["properties"][name], schema["$defs"]))
                      for name in columns(one_per_story)],
                     metadata={"newsarchive.schema": schema["$id"]})


def write_parquet(records: Iterable[dict], sink: IO[bytes], one_per_story: bool = False) -> int:
    """Row groups of ``PARQUET_ROWS`` records, zstd-compressed: memory holds one group."""
    pa = _pyarrow()
    import pyarrow.parquet as pq

    schema = arrow_schema(one_per_story)
    count = 0
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        group: list[dict] = []
        for record in records:
            group.append(record)
            if len(group) == PARQUET_ROWS:
                writer.write_table(pa.Table.from_pylist(group, schema=schema))
                count += len(group)
                group = []
        if group or count == 0:  # an empty export is still a file with the schema
            writer.write_table(pa.Table.from_pylist(group, schema=schema))
            count += len(group)
    return count


def from_arrow(value: Any, type_) -> Any:
    """A value read back with ``to_pylist()``, as JSON has it: a map comes back as a list of pairs."""
    pa = _pyarrow()
    if value is None:
        return None
    if pa.types.is_map(type_):
        return {k: from_arrow(v, type_.item_type) for k, v in value}
    if pa.types.is_list(type_):
        return [from_arrow(v, type_.value_type) for v in value]
    if pa.types.is_struct(type_):
        return {field.name: from_arrow(value.get(field.name), field.type) for field in type_}
    return value


def read_parquet_records(path) -> Iterator[dict]:
    """The records back from an export's Parquet file, a row group at a time."""
    _pyarrow()
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    schema = parquet.schema_arrow
    for group in range(parquet.num_row_groups):
        for row in parquet.read_row_group(group).to_pylist():
            yield {name: from_arrow(row[name], schema.field(name).type) for name in schema.names}
