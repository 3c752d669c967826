"""The body of a page no site template knows: trafilatura first, then a fallback chain.

trafilatura (favor_precision) is right on most pages. Two cheap measurements
tell when it is not: the length of the page's own article-like text (paragraphs
of low link density outside comment, related and sharing blocks) and the length
of what trafilatura returned. Too little (under half) means it missed the body;
too much (over one and a half times) means it took comments or lists along.
Only then are readability-lxml and the text-density extractor run, and the
candidate whose length agrees best with the page's own estimate wins. Every
result goes through the generic boilerplate filter; ``method`` names the winner.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import trafilatura
from lxml import etree, html

from .boilerplate import strip_boilerplate
from .density import best_block, block_lines
from .html import CONTROL_CHARS, clean_tree, iter_lines, normalize_space, parse_html

TOO_SHORT, TOO_LONG = 0.5, 1.5
_MENU_ITEM, _MENU_ITEMS = 12, 5  # five lines of at most twelve characters: maybe a menu
MAX_LINK_SHARE = 0.3
_MIN_ESTIMATE = 200  # below this the estimate says nothing (short items, <br> layouts)
_OUTSIDE = frozenset({"nav", "footer", "aside", "header", "form"})
_NOT_ARTICLE = re.compile(r"comment|reply|respond|disqus|related|sidebar|footer|share|social|newsletter|promo|recommend",
                          re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_TOKEN = re.compile(r"[\u3400-\u9fff]|[^\W_]+")
_AGREE = 0.5  # trafilatura and the density block agreeing this much: trust trafilatura
_SENTENCE = re.compile(r"[。！？；]|[a-z][.!?](\s|$)")


@dataclass
class Body:
    lines: list[str]
    method: str


def _length(text: str) -> int:
    return len(_SPACE.sub("", text))


def _outside_article(element: etree._Element, verdicts: dict) -> bool:
    """True when the element sits in navigation, comments, related lists (memoised per element)."""
    known = verdicts.get(element)
    if known is not None:
        return known
    attributes = f"{element.get('class') or ''} {element.get('id') or ''}"
    verdict = element.tag in _OUTSIDE or bool(attributes.strip() and _NOT_ARTICLE.search(attributes))
    parent = element.getparent()
    if not verdict and parent is not None:
        verdict = _outside_article(parent, verdicts)
    verdicts[element] = verdict
    return verdict


def estimate_length(root: etree._Element) -> int:
    """Characters of paragraph text that looks like an article's (few links, not in a side block)."""
    total = 0
    verdicts: dict = {}
    for paragraph in root.iter("p"):
        text = _length(paragraph.text_content())
        if not text or _outside_article(paragraph, verdicts):
            continue
        links = sum(_length(a.text_content()) for a in paragraph.iter("a"))
        if links / text < 0.3:
            total += text
    return total


def _lines(text: str | None) -> list[str]:
    return [normalize_space(line) for line in (text or "").splitlines() if normalize_space(line)]


# readability-lxml (ours, and trafilatura's built-in copy of it) takes time quadratic in the
# <br> children of one element: 100,000 "字<br>" lines took 90 s. Past this many <br> the page
# is left to trafilatura's own extractor and the density block, both linear.
MAX_BR_FOR_READABILITY = 3000


def _many_breaks(markup: str) -> bool:
    return markup.count("<br") + markup.count("<BR") > MAX_BR_FOR_READABILITY


def _trafilatura(root: etree._Element, url: str, fast: bool = False) -> list[str]:
    # Navigation and footers never hold the body; removing them in C first saves trafilatura
    # a tenth of its time and changes none of its answers (measured on the Zyte set).
    etree.strip_elements(root, "nav", "footer", "iframe", "select", with_tail=False)
    return _lines(trafilatura.extract(root, url=url, favor_precision=True, include_comments=False,
                                      include_tables=True, output_format="txt", fast=fast))


def _readability(markup: str) -> list[str]:
    from readability import Document  # imported on first use: only fallbacks need it

    try:
        # readability refuses the whole page over one control character (lxml's XML rules)
        summary = Document(CONTROL_CHARS.sub("", markup)).summary(html_partial=True)
    except Exception:  # noqa: BLE001 - readability raises bare errors on odd pages; it is only a fallback
        return []
    if not summary:
        return []
    fragment = html.fromstring(summary)
    return [line for kind, line in iter_lines(fragment) if kind == "text"]


def _density(root: etree._Element) -> list[str]:
    block = best_block(root)
    return block_lines(block) if block else []


def _menu_like(lines: list[str]) -> bool:
    """Several very short lines: what a list of links looks like once extracted."""
    return sum(1 for line in lines if len(line) <= _MENU_ITEM) >= _MENU_ITEMS


def _link_share(lines: list[str], anchors: set[str]) -> float:
    """Share of the text that is the page's own link texts: menus and "related" lists."""
    if not _menu_like(lines):
        return 0.0
    total = sum(_length(line) for line in lines) or 1
    return sum(_length(line) for line in lines if _SPACE.sub("", line).lstrip("-•·") in anchors) / total


def _fits(lines: list[str], estimate: int, anchors: set[str]) -> bool:
    """Enough text, not much more than the page's estimate, and not a list of links."""
    if not _substantial(lines) or _link_share(lines, anchors) > MAX_LINK_SHARE:
        return False
    length = sum(_length(line) for line in lines)
    return estimate < _MIN_ESTIMATE or TOO_SHORT * estimate <= length <= TOO_LONG * estimate


def _substantial(lines: list[str]) -> bool:
    """Some prose: a sentence, or at least a few dozen characters (not a lone URL or button)."""
    text = "".join(lines)
    return len(text) >= 50 or bool(_SENTENCE.search(text))


def _distance(lines: list[str], estimate: int) -> float:
    length = sum(_length(line) for line in lines)
    return abs(math.log((length + 1) / (estimate + 1)))


def _tokens(lines: list[str]) -> Counter:
    return Counter(_TOKEN.findall("".join(lines)))


def _agreement(a: list[str], b: list[str]) -> float:
    """Token F1 of two candidate bodies (each CJK character one token)."""
    ta, tb = _tokens(a), _tokens(b)
    common = sum((ta & tb).values())
    if not common:
        return 0.0
    precision, recall = common / sum(ta.values()), common / sum(tb.values())
    return 2 * precision * recall / (precision + recall)


def is_chinese(lines: list[str]) -> bool:
    """Mostly CJK text: such characters take three bytes in UTF-8 where letters take one or two."""
    sample = "".join(lines)[:20000]
    return bool(sample) and (len(sample.encode("utf-8")) - len(sample)) > 1.2 * len(sample)


def generic_body(root: html.HtmlElement, url: str, markup: str, chinese: bool) -> Body:
    """Body lines of a page without a template; ``markup`` is the decoded page.

    ``root`` is consumed (trafilatura prunes it in place): read what else you need first.
    On Chinese pages the text-density extractor, cheap and good at their layouts,
    also checks trafilatura: when the two disagree and only the density block agrees
    with the page's estimate, it wins; when both or neither do, readability-lxml is
    asked too and the answer the other two agree with most wins.
    """
    estimate = estimate_length(root)
    anchors = {"".join(a.text_content().split()) for a in root.iter("a")} - {""}  # before trafilatura prunes
    breaks = _many_breaks(markup)
    dense = Body(strip_boilerplate(_density(root)), "density") if chinese else None
    first = Body(strip_boilerplate(_trafilatura(root, url, fast=breaks)), "trafilatura")
    if first.lines and _fits(first.lines, estimate, anchors) and (
        dense is None or not dense.lines or _agreement(first.lines, dense.lines) >= _AGREE
    ):
        return first
    if dense is not None and dense.lines and not (first.lines and _fits(first.lines, estimate, anchors)):
        if _fits(dense.lines, estimate, anchors) and _substantial(dense.lines):
            return dense
    second = Body(strip_boilerplate(_readability(markup)) if not breaks else [], "readability")
    usable = [c for c in (first, second, dense) if c is not None and _substantial(c.lines)
              and _link_share(c.lines, anchors) <= MAX_LINK_SHARE]
    if dense is not None and len(usable) >= 2:
        return max(usable, key=lambda c: sum(_agreement(c.lines, o.lines) for o in usable if o is not c))
    if second.lines and _fits(second.lines, estimate, anchors):
        return second
    measured = [c for c in usable if c.method != "density"]
    if not measured:  # neither found prose: the densest block of text is the last resort
        third = dense or Body(strip_boilerplate(_density(clean_tree(parse_html(markup)))), "density")
        return third if third.lines else first
    return min(measured, key=lambda c: _distance(c.lines, estimate))
