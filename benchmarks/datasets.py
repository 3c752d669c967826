"""The real pages of ../shared/datasets (read in place, never copied into the repository)."""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("NEWSARCHIVE_SHARED_DIR", REPO.parent / "shared"))
ZYTE = SHARED / "datasets" / "zyte-article-benchmark"
GNE = SHARED / "datasets" / "gne-zh" / "pages"
GOLDEN = REPO / "tests" / "golden" / "gne-zh.jsonl"


@dataclass(frozen=True)
class Page:
    id: str
    url: str
    body: bytes
    truth: dict  # the ground truth record


def zyte_pages() -> list[Page]:
    truth = json.loads((ZYTE / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        Page(key, value["url"], gzip.decompress((ZYTE / "html" / f"{key}.html.gz").read_bytes()), value)
        for key, value in sorted(truth.items())
    ]


def golden_labels() -> list[dict]:
    return [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines() if line.strip()]


def gne_pages() -> list[Page]:
    pages = []
    for label in golden_labels():
        url = label["url"] or f"http://{label['id']}.example.invalid/"  # a page without a stated URL
        pages.append(Page(label["id"], url, (GNE / f"{label['id']}.html").read_bytes(), label))
    return pages


def _minute(value: str | None, precision: str | None) -> str | None:
    """An ISO time compared at the label's precision: to the minute, or the day."""
    if value is None:
        return None
    from datetime import datetime

    moment = datetime.fromisoformat(value)
    return f"{moment:%Y-%m-%d}" if precision == "day" else moment.isoformat(timespec="minutes")


def _squeeze(text: str) -> str:
    return "".join(text.split())


def score_golden(label: dict, got: dict) -> dict[str, bool | None]:
    """Per field: True/False, or None where the page has no such thing (not scored).

    ``got`` has the export field names (title, published_at ISO string, source_outlet,
    authors, editor, text). Times are compared to the minute (to the day for labels
    that only show a day); the body by its first and last sentence.
    """
    text = _squeeze(got.get("text") or "")
    first, last = _squeeze(label["body_first"] or ""), _squeeze(label["body_last"] or "")
    # our `title` leaves a 【column】 kicker to `column`; the label is the headline as printed
    shown = {_squeeze(got.get("title") or "")}
    if got.get("column"):
        shown.add(_squeeze(f"【{got['column']}】{got.get('title') or ''}"))
    result: dict[str, bool | None] = {
        "title": _squeeze(label["title"]) in shown,
        "published_at": None,
        "source_outlet": None,
        "authors": None,
        "editor": None,
        "body_first": bool(first) and first in text[: len(first) * 2 + 200],
        "body_last": bool(last) and last in text[-(len(last) * 2 + 200) :],
    }
    if label["published_at"]:
        precision = label["published_precision"]
        result["published_at"] = _minute(got.get("published_at"), precision) == _minute(label["published_at"], precision)
    if label["source_outlet"]:
        result["source_outlet"] = (got.get("source_outlet") or "") == label["source_outlet"]
    if label["authors"]:
        result["authors"] = sorted(got.get("authors") or []) == sorted(label["authors"])
    if label["editor"]:
        result["editor"] = (got.get("editor") or "") == label["editor"]
    return result
