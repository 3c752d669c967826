"""The replica's hand-written article corpus: loading and validation.

Each ``corpus/*.json`` file is a list of article records written for the replica
(not generated from templates). The generator turns them into pages; the tests
and benchmarks use them as ground truth. Run ``python -m scraper.replica.corpus
FILE...`` to check a file before adding it.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

CORPUS_DIR = Path(__file__).parent / "corpus"

SECTIONS = ("党建", "新闻中心", "本网原创", "青海旅游")
# Apart from designed copies, no two articles may share more than this share of
# their character 5-gram shingles, so near-duplicate detection is measured on
# honest data.
MAX_SHINGLE_OVERLAP = 0.20
SHINGLE_SIZE = 5

_CJK = re.compile(r"[\u4e00-\u9fff]")
_DATETIME = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class CorpusImage:
    after_paragraph: int  # index of the paragraph the image follows (-1: before the first)
    file: str
    caption: str
    photographers: tuple[str, ...]


@dataclass(frozen=True)
class CorpusArticle:
    slug: str
    section: str
    title: str
    column: str | None
    subtitle: str | None
    source_outlet: str
    authors: tuple[str, ...]
    editor: str
    published_at: str  # local time, Asia/Shanghai, "YYYY-MM-DD HH:MM:SS"
    paragraphs: tuple[str, ...]
    images: tuple[CorpusImage, ...] = field(default=())

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


def _article(raw: dict) -> CorpusArticle:
    return CorpusArticle(
        slug=raw["slug"],
        section=raw["section"],
        title=raw["title"],
        column=raw.get("column") or None,
        subtitle=raw.get("subtitle") or None,
        source_outlet=raw["source_outlet"],
        authors=tuple(raw["authors"]),
        editor=raw["editor"],
        published_at=raw["published_at"],
        paragraphs=tuple(raw["paragraphs"]),
        images=tuple(
            CorpusImage(
                after_paragraph=int(img["after_paragraph"]),
                file=img["file"],
                caption=img["caption"],
                photographers=tuple(img.get("photographers", ())),
            )
            for img in raw.get("images", ())
        ),
    )


def load_file(path: Path) -> list[CorpusArticle]:
    return [_article(raw) for raw in json.loads(path.read_text(encoding="utf-8"))]


def load_corpus(directory: Path = CORPUS_DIR) -> list[CorpusArticle]:
    articles: list[CorpusArticle] = []
    for path in sorted(directory.glob("*.json")):
        articles.extend(load_file(path))
    return articles


def shingles(text: str, size: int = SHINGLE_SIZE) -> set[str]:
    chars = "".join(_CJK.findall(text)) or text
    return {chars[i : i + size] for i in range(max(1, len(chars) - size + 1))}


def overlap(a: set[str], b: set[str]) -> float:
    """Share of the smaller set found in the other (stricter than Jaccard)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def record_problems(article: CorpusArticle) -> list[str]:
    problems = []
    where = article.slug
    if article.section not in SECTIONS:
        problems.append(f"{where}: section {article.section!r} not in {SECTIONS}")
    try:
        datetime.strptime(article.published_at, _DATETIME)
    except ValueError:
        problems.append(f"{where}: published_at {article.published_at!r} is not {_DATETIME}")
    if not article.title or "【" in article.title:
        problems.append(f"{where}: title empty or carries the 【column】")
    if article.column and ("【" in article.column or "】" in article.column):
        problems.append(f"{where}: column must not carry its brackets")
    if article.subtitle and not article.subtitle.startswith("——"):
        problems.append(f"{where}: subtitle must start with ——")
    if not article.authors or not all(article.authors):
        problems.append(f"{where}: authors missing")
    if len(article.paragraphs) < 2:
        problems.append(f"{where}: fewer than two paragraphs")
    if len(set(article.paragraphs)) != len(article.paragraphs):
        problems.append(f"{where}: a paragraph repeats")
    for img in article.images:
        if not -1 <= img.after_paragraph < len(article.paragraphs):
            problems.append(f"{where}: image {img.file} after_paragraph out of range")
        if img.photographers and not img.caption.rstrip("）)").endswith("摄"):
            problems.append(f"{where}: caption of {img.file} names photographers but lacks 摄")
    for text in (article.title, article.source_outlet, article.editor, *article.paragraphs):
        try:
            text.encode("gb18030")
        except UnicodeEncodeError:
            problems.append(f"{where}: text not encodable in GB18030: {text[:20]!r}")
    return problems


def corpus_problems(articles: list[CorpusArticle]) -> list[str]:
    problems = [p for a in articles for p in record_problems(a)]
    slugs = [a.slug for a in articles]
    problems += [f"duplicate slug {s}" for s in sorted({s for s in slugs if slugs.count(s) > 1})]
    sets = [(a.slug, shingles(a.title + a.body)) for a in articles]
    for (slug_a, sa), (slug_b, sb) in itertools.combinations(sets, 2):
        share = overlap(sa, sb)
        if share > MAX_SHINGLE_OVERLAP:
            problems.append(f"{slug_a} and {slug_b} share {share:.0%} of their 5-gram shingles")
    return problems


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or sorted(CORPUS_DIR.glob("*.json"))
    articles = [a for p in paths for a in load_file(p)]
    problems = corpus_problems(articles)
    for line in problems:
        print(line)
    chars = sum(len(a.body) for a in articles)
    print(f"{len(articles)} articles, {chars} body characters, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
