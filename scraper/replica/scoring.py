"""Scoring the extractor against the replica's ground truth.

Body text is scored as in the public article-extraction benchmarks: bag-of-tokens
precision, recall and F1 per page, where every CJK character is one token and
other tokens are runs of letters and digits (punctuation dropped).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.extraction import Article, ExtractionFailed, RawPage, SiteRules, extract_article

_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]|[^\W_]+", re.UNICODE)
METADATA_FIELDS = ("title", "column", "subtitle", "section", "source_outlet", "authors", "editor", "published_at")
# Text that is never article body on the replica (navigation, lists, footer, share card).
LEAK_MARKERS = ("推荐阅读", "24H热点", "热点图片", "站内检索", "您当前的位置", "长按识别二维码", "青海门户 主流媒体",
                "版权所有", "互联网新闻信息许可证", "青ICP备", "关于我们", "来源：", "来源:", "编辑：", "编辑:")


def tokens(text: str) -> Counter:
    return Counter(m.group(0) for m in _TOKEN.finditer(text))


def body_scores(extracted: str, expected: str) -> tuple[float, float, float]:
    """(precision, recall, F1) of bag-of-tokens overlap."""
    got, want = tokens(extracted), tokens(expected)
    common = sum((got & want).values())
    if not got and not want:
        return 1.0, 1.0, 1.0
    if not common:
        return 0.0, 0.0, 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def duplicated_paragraphs(text: str) -> int:
    paragraphs = [p.strip() for p in text.split("\n\n") if len(p.strip()) >= 6]
    return len(paragraphs) - len(set(paragraphs))


def leaks(text: str) -> list[str]:
    return [marker for marker in LEAK_MARKERS if marker in text]


def load_truth(site_dir: Path) -> dict:
    return json.loads((site_dir / "_truth.json").read_text(encoding="utf-8"))


def raw_pages(site_dir: Path, truth: dict, entry: dict) -> list[RawPage]:
    """The bytes the server would send for an article's pages, read straight from the built site."""
    manifest = json.loads((site_dir / "_manifest.json").read_text(encoding="utf-8"))
    pages = []
    for url in entry["expected"]["page_urls"]:
        item = manifest[url[len(truth["origin"]) :]]
        pages.append(RawPage(url, (site_dir / item["file"]).read_bytes(), item["content_type"]))
    return pages


@dataclass
class PageScore:
    url: str
    template: str
    encoding: str
    f1: float
    mismatches: dict[str, tuple] = field(default_factory=dict)  # field -> (got, expected)
    leaks: list[str] = field(default_factory=list)
    duplicated: int = 0
    error: str | None = None


def extract_or_failure(pages: list[RawPage], rules: SiteRules) -> Article | ExtractionFailed:
    try:
        return extract_article(pages, rules)
    except ExtractionFailed as exc:
        return exc


def score_entry(entry: dict, pages: list[RawPage], rules: SiteRules,
                extracted: Article | ExtractionFailed | None = None) -> PageScore:
    """How one replica article came out against its ground truth (``extracted``: a result already made)."""
    expected = entry["expected"]
    score = PageScore(entry["url"], entry["template"], entry["encoding"], 0.0)
    article = extract_or_failure(pages, rules) if extracted is None else extracted
    if isinstance(article, ExtractionFailed):
        score.error = str(article)
        return score
    record = article.to_record()
    score.f1 = body_scores(article.text, "\n\n".join(expected["paragraphs"]))[2]
    for name in (*METADATA_FIELDS, "quality_flags", "page_urls"):
        if record[name] != expected[name]:
            score.mismatches[name] = (record[name], expected[name])
    got_images = [(i["url"], i["caption"], i["photographers"]) for i in record["images"]]
    want_images = [(i["url"], i["caption"], i["photographers"]) for i in expected["images"]]
    if got_images != want_images:
        score.mismatches["images"] = (got_images, want_images)
    score.leaks = leaks(article.text)
    score.duplicated = duplicated_paragraphs(article.text)
    return score


def score_replica(site_dir: Path, rules: SiteRules) -> list[PageScore]:
    truth = load_truth(site_dir)
    return [score_entry(entry, raw_pages(site_dir, truth, entry), rules) for entry in truth["articles"]]


def outlet_raw_page(site_dir: Path, outlet: dict, entry: dict) -> RawPage:
    """The bytes the server sends for a simulated outlet's article (``outlet``: an entry of truth["outlets"])."""
    root = site_dir / "_hosts" / outlet["host"]
    manifest = json.loads((root / "_manifest.json").read_text(encoding="utf-8"))
    item = manifest[entry["url"][len(outlet["origin"]) :]]
    return RawPage(entry["url"], (root / item["file"]).read_bytes(), item["content_type"])


def outlet_mismatches(article: Article, expected: dict) -> dict[str, tuple]:
    """Fields of an outlet page's ground truth the extracted article gets wrong: field -> (got, expected)."""
    record = article.to_record()
    got = {"title": record["title"], "paragraphs": article.text.split("\n\n"), "published_at": record["published_at"],
           "source_outlet": record["source_outlet"], "authors": record["authors"]}
    return {name: (got[name], want) for name, want in expected.items() if got[name] != want}
