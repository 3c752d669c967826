"""A text-density extractor for layouts other extractors misread.

Chinese portals often hold the article in one <div> or <td> of text separated by
<br>, with few <p> tags and a lot of link lists around it. The block that holds
the most non-link text per tag, weighted by its punctuation (sentences have
punctuation, menus do not), is the article. Statistics are gathered bottom-up
in one pass over the tree, so the cost is linear in the page's size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from .html import iter_lines

_PUNCTUATION = re.compile(r"[，。！？；：、“”‘’（）《》…,.!?;:\"'()]")
_CONTAINERS = frozenset({"div", "td", "article", "section", "main", "body", "center", "font", "span", "li"})
_SKIP = frozenset({"nav", "footer", "header", "aside", "form", "select", "button", "iframe", "ul", "ol"})
_MIN_TEXT = 60
_MIN_CHUNK = 10
_BLOCKS = frozenset({"p", "div", "section", "article", "td", "li", "blockquote", "h1", "h2", "h3", "h4", "h5",
                     "h6", "pre", "main", "body", "center", "dd", "figure", "table", "tr", "ul", "ol"})


@dataclass
class Block:
    element: etree._Element
    text: int  # characters of non-link text
    score: float


def _stats(root: etree._Element) -> dict[etree._Element, list]:
    """Per element: [text chars, link chars, tags, link tags, punctuation], subtree totals."""
    table: dict[etree._Element, list] = {}
    link_depth = 0
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, node in walker:
        tag = node.tag if isinstance(node.tag, str) else ""
        if event == "start":
            if tag == "a":
                link_depth += 1
            continue
        own = (node.text or "") if tag else ""
        totals = [0, 0, 1, 1 if tag == "a" else 0, 0]
        chunks = [own]
        for child in node:
            child_totals = table.get(child)
            if child_totals is not None:
                for i in range(5):
                    totals[i] += child_totals[i]
            if child.tail:
                chunks.append(child.tail)
        text = "".join(chunks)
        length = len(text.strip())
        totals[0] += length
        if link_depth:
            totals[1] += length
        totals[4] += len(_PUNCTUATION.findall(text))
        if tag == "a":
            link_depth -= 1
        table[node] = totals
    return table


def _paragraph_of(element: etree._Element) -> etree._Element:
    """The block a piece of inline text belongs to."""
    node = element
    while node is not None and node.tag not in _BLOCKS:
        node = node.getparent()
    return node if node is not None else element


def best_block(root: etree._Element) -> Block | None:
    """The container whose paragraphs carry the most sentence-like text.

    Each run of text scores by its length and punctuation and awards that score
    to its paragraph's parent (in full) and grandparent (in half), readability's
    way; a container is then discounted by the share of its text that is links.
    """
    body = root.find("body")
    if body is None:
        body = root
    table = _stats(body)
    scores: dict[etree._Element, float] = {}
    for element in body.iter():
        if not isinstance(element.tag, str) or element.tag == "a":
            continue
        chunks = [element.text or ""] + [child.tail or "" for child in element]
        text = "".join(chunks).strip()
        if len(text) < _MIN_CHUNK or any(a.tag == "a" for a in element.iterancestors("a")):
            continue
        score = 1 + len(_PUNCTUATION.findall(text)) + min(len(text) / 100, 3)
        paragraph = _paragraph_of(element)
        has_blocks = any(isinstance(c.tag, str) and c.tag in _BLOCKS for c in paragraph)
        owner = paragraph if has_blocks else paragraph.getparent()  # a <div> of <br> text is a paragraph
        if owner is None:
            continue
        scores[owner] = scores.get(owner, 0.0) + score
        grand = owner.getparent()
        if grand is not None:
            scores[grand] = scores.get(grand, 0.0) + score / 2
    best: Block | None = None
    for element, score in scores.items():
        stats = table.get(element)
        if stats is None or element.tag not in _CONTAINERS:
            continue
        text, link_text = stats[0], stats[1]
        plain = text - link_text
        if plain < _MIN_TEXT:
            continue
        final = score * (1 - link_text / text if text else 0)
        if best is None or final > best.score:
            best = Block(element, plain, final)
    return best


def block_lines(block: Block) -> list[str]:
    """The block's lines, without the link lists and menus that may sit inside it."""
    lines = []
    for kind, line in iter_lines(block.element):
        if kind != "text":
            continue
        lines.append(line)
    skip_links = {(a.text_content() or "").strip() for a in block.element.iter("a")}
    return [line for line in lines if line not in skip_links]
