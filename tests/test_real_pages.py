"""The extractor on real pages: Zyte's article benchmark and our gne-zh golden labels.

The pages live in ../shared/datasets (read in place); where that folder is absent
these tests skip and say so. They are the regression suite for the generic path.
"""

from __future__ import annotations

import statistics

import pytest
import trafilatura

from benchmarks.datasets import GNE, GOLDEN, ZYTE, gne_pages, score_golden, zyte_pages
from pipelines.extraction import ExtractionFailed, RawPage, SiteRules, extract_article
from scraper.replica.scoring import body_scores

needs_zyte = pytest.mark.skipif(not ZYTE.exists(), reason=f"{ZYTE} is absent (../shared is not beside the repository)")
needs_gne = pytest.mark.skipif(not GNE.exists(), reason=f"{GNE} is absent (../shared is not beside the repository)")


def _extract(page):
    return extract_article([RawPage(page.url, page.body)], SiteRules.generic(page.url))


@needs_zyte
def test_zyte_body_f1_beats_trafilatura_and_reaches_0_970():
    ours, theirs = [], []
    for page in zyte_pages():
        truth = page.truth["articleBody"]
        ours.append(body_scores(_extract(page).text, truth)[2])  # an ExtractionFailed fails the test
        theirs.append(body_scores(trafilatura.extract(page.body, url=page.url, favor_precision=True) or "", truth)[2])
    assert statistics.mean(ours) >= 0.970
    assert statistics.mean(ours) > statistics.mean(theirs)


@needs_gne
def test_gne_zh_golden_labels():
    assert GOLDEN.exists()
    results: dict[str, list[bool]] = {}
    for page in gne_pages():
        record = _extract(page).to_record()
        for name, ok in score_golden(page.truth, record).items():
            if ok is not None:
                results.setdefault(name, []).append(ok)
    share = {name: sum(values) / len(values) for name, values in results.items()}
    assert share["title"] >= 0.98
    assert share["published_at"] >= 0.95
    assert share["source_outlet"] >= 0.90
    assert share["authors"] >= 0.90
    assert share["body_first"] >= 0.95 and share["body_last"] >= 0.95


@needs_gne
def test_golden_labels_are_well_formed():
    labels = [page.truth for page in gne_pages()]
    assert len(labels) == 40 and len({label["id"] for label in labels}) == 40
    for label in labels:
        assert label["title"] and label["body_first"] and label["body_last"]
        assert label["published_precision"] in ("second", "minute", "day", None)
        assert isinstance(label["authors"], list)


@needs_gne
def test_every_real_page_gives_an_article_or_a_reasoned_failure():
    for page in [*gne_pages(), *(zyte_pages() if ZYTE.exists() else [])]:
        try:
            article = _extract(page)
        except ExtractionFailed as exc:
            pytest.fail(f"{page.id}: {exc.reason}")
        assert article.title and article.text and article.extraction.method in ("trafilatura", "readability", "density")
