"""Parsing and cleaning an HTML tree, and reading it back as lines of text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from lxml import etree, html
from lxml.cssselect import CSSSelector

BLOCK_TAGS = frozenset(
    "address article aside blockquote body center dd details dialog div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hr html li main nav ol p pre section summary table tbody td tfoot "
    "th thead tr ul".split()
)
_DROP_TAGS = ("script", "style", "noscript", "template", "object", "embed", "svg")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
# XML 1.0 forbids these; lxml refuses text containing them.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_DOCUMENT_END = re.compile(r"</(?:body|html)\s*>", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u3000\xa0\u200b\ufeff]+")

_MAYBE_HIDDEN = etree.XPath("//*[@hidden or @style or @type]")
_selector_cache: dict[str, CSSSelector] = {}


def css(root: etree._Element, selector: str) -> list[etree._Element]:
    compiled = _selector_cache.get(selector)
    if compiled is None:
        compiled = _selector_cache[selector] = CSSSelector(selector)
    return compiled(root)


def first(root: etree._Element, selector: str | None) -> etree._Element | None:
    if not selector:
        return None
    found = css(root, selector)
    return found[0] if found else None


def parse_html(text: str) -> html.HtmlElement:
    # Browsers keep reading after a stray </html> (included fragments end with one);
    # libxml2 stops there, losing the article. Dropping these end tags reads like a browser.
    text = _DOCUMENT_END.sub("", _CONTROL_CHARS.sub("", _XML_DECLARATION.sub("", text, count=1)))
    if not text.strip():
        raise ValueError("empty document")
    return html.document_fromstring(text)


def normalize_space(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def head_meta(root: etree._Element) -> dict[str, str]:
    """<meta name|property=… content=…> of the page, lower-cased keys, first wins."""
    found: dict[str, str] = {}
    for meta in root.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        content = meta.get("content")
        if key and content and key not in found:
            found[key] = content.strip()
    return found


def is_hidden(element: etree._Element) -> bool:
    return (
        element.get("hidden") is not None
        or bool(_HIDDEN_STYLE.search(element.get("style") or ""))
        or (element.get("type") or "").lower() == "hidden"
    )


def clean_tree(root: html.HtmlElement, remove_selectors: Iterable[str] = ()) -> html.HtmlElement:
    """Drop what is never content: scripts, comments, hidden blocks, ruby annotations.

    Ruby pronunciation (<rt>) and its fallback brackets (<rp>) are removed and the
    base characters kept, so 內<rp>(</rp><rt>nèi</rt><rp>)</rp> reads 內.
    """
    doomed = [el for el in root.iter(etree.Comment, etree.ProcessingInstruction)]
    doomed += [el for el in root.iter(*_DROP_TAGS, "rt", "rp")]
    doomed += [el for el in _MAYBE_HIDDEN(root) if is_hidden(el)]
    for selector in remove_selectors:
        doomed += css(root, selector)
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()  # keeps the tail text
    for ruby in list(root.iter("ruby")):
        ruby.drop_tag()
    return root


def iter_lines(
    element: etree._Element,
    skip: etree._Element | None = None,
    marks: set[etree._Element] | frozenset = frozenset(),
) -> Iterator[tuple[str, object]]:
    """Lines of text in document order as ("text", line); block elements and <br> end a line.

    With ``skip`` given, that subtree yields a single ("skip", element) marker
    instead of its text; each element of ``marks`` yields ("start", element) and
    ("end", element) around its lines, so callers can tell what lies where.
    """
    buffer: list[str] = []

    def flush() -> Iterator[tuple[str, object]]:
        line = normalize_space("".join(buffer))
        buffer.clear()
        if line:
            yield "text", line

    walker = etree.iterwalk(element, events=("start", "end"))
    for event, node in walker:
        tag = node.tag if isinstance(node.tag, str) else ""
        if event == "start":
            if node is skip:
                yield from flush()
                yield "skip", node
                walker.skip_subtree()
                continue
            if tag in BLOCK_TAGS or node in marks:
                yield from flush()
            if node in marks:
                yield "start", node
            if node.text and tag:
                buffer.append(node.text)
        else:
            if tag in BLOCK_TAGS or tag == "br" or node is skip or node in marks:
                yield from flush()
            if node in marks:
                yield "end", node
            if node is not element and node.tail:
                buffer.append(node.tail)
    yield from flush()


def text_lines(element: etree._Element) -> list[str]:
    return [line for kind, line in iter_lines(element) if kind == "text"]


def element_text(element: etree._Element | None) -> str:
    return normalize_space(" ".join(text_lines(element))) if element is not None else ""
