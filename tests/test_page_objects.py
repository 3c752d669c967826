"""Saved pages per qhnews template (web-poet's fixture layout), extracted as they were saved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.extraction import RawPage, extract_article

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "qhnews").glob("template-*/*"))


def test_every_template_has_fixtures():
    assert {path.parent.name for path in FIXTURES} == {"template-a", "template-b", "template-c"}


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture(fixture, rules):
    info = json.loads((fixture / "inputs" / "HttpResponse-info.json").read_text())
    content_type = next(h["value"] for h in info["headers"] if h["name"].lower() == "content-type")
    body = (fixture / "inputs" / "HttpResponse-body.html").read_bytes()
    article = extract_article([RawPage(info["url"], body, content_type)], rules)
    expected = json.loads((fixture / "output.json").read_text(encoding="utf-8"))
    record = article.to_record()
    assert article.extraction.method == f"template:{fixture.parent.name[-1]}"
    for name, value in expected.items():
        if name == "text" and "mojibake" in expected["quality_flags"]:
            continue  # the damaged bytes cannot give the clean text back; the flag is what matters
        assert record[name] == value, name
