"""The README's tables of outcomes and reasons say exactly what storage/outcomes.py says."""

from __future__ import annotations

import re
from pathlib import Path

from storage.outcomes import REASON_DESCRIPTIONS, Outcome, Reason

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _table(first_header: str) -> set[str]:
    """Every `name` in the first column of the README table whose header starts with ``first_header``."""
    start = README.index(f"| {first_header} | meaning |")
    names: set[str] = set()
    for line in README[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        names |= set(re.findall(r"`([a-z_]+)`", line.split("|")[1]))
    return names


def test_every_outcome_is_documented_and_no_other():
    assert _table("outcome") == {o.value for o in Outcome}


def test_every_reason_is_documented_and_no_other():
    assert _table("reason") == {r.value for r in Reason}
    assert set(REASON_DESCRIPTIONS) == set(Reason)
