"""What makes a new version of an article, and how two versions differ.

A version is the article as the site published it at one capture: its words and
its metadata. The address it was read from (URL, section from the breadcrumb, the
pages) and the extractor's working notes (method, decoding, raw labels) are not
part of it, so the same story read through an alias URL, or re-extracted by an
improved extractor with the same result, adds no version.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Mapping
from typing import Any

VERSIONED_FIELDS = (
    "title",
    "subtitle",
    "column",
    "source_outlet",
    "authors",
    "correspondents",
    "photographers",
    "editor",
    "published_at",
    "published_precision",
    "updated_at",
    "text",
    "images",
    "quality_flags",
)


def versioned(record: Mapping[str, Any]) -> dict[str, Any]:
    return {name: record.get(name) for name in VERSIONED_FIELDS}


def record_hash(record: Mapping[str, Any]) -> str:
    canonical = json.dumps(versioned(record), ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _paragraphs(record: Mapping[str, Any]) -> list[str]:
    return [p for p in (record.get("text") or "").split("\n\n") if p]


def diff_summary(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """One line: which fields changed, and how many paragraphs were added, removed or changed."""
    changed = [name for name in VERSIONED_FIELDS if name != "text" and old.get(name) != new.get(name)]
    parts = [f"{name} changed" for name in changed]
    matcher = difflib.SequenceMatcher(a=_paragraphs(old), b=_paragraphs(new), autojunk=False)
    added = removed = edited = 0
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "insert":
            added += b2 - b1
        elif tag == "delete":
            removed += a2 - a1
        elif tag == "replace":
            edited += min(a2 - a1, b2 - b1)
            added += max(0, (b2 - b1) - (a2 - a1))
            removed += max(0, (a2 - a1) - (b2 - b1))
    for count, word in ((added, "added"), (removed, "removed"), (edited, "changed")):
        if count:
            parts.append(f"{count} paragraph{'s' if count > 1 else ''} {word}")
    return "; ".join(parts) or "no visible change"


def text_diff(old: Mapping[str, Any], new: Mapping[str, Any], old_label: str, new_label: str) -> list[str]:
    """A unified diff of the paragraphs, for people to read."""
    return list(difflib.unified_diff(_paragraphs(old), _paragraphs(new), old_label, new_label, lineterm="", n=1))
