"""Parsing and cleaning an HTML tree, and reading it back as lines of text."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

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
_END_TAGS = re.compile(r"</(?:body|html)\s*>", re.IGNORECASE)
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # XML 1.0 forbids these
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


def parse_html(text: str, stray_end_tags: bool = True) -> html.HtmlElement:
    """Parse like a browser would, as far as libxml2 allows.

    Browsers keep reading after a stray </html> (included fragments end with one);
    libxml2 stops there, losing the article, so such end tags are dropped first when
    ``stray_end_tags`` says there may be some (see ``has_stray_end_tags``). Characters
    XML forbids are removed only if lxml refuses the text (they are rare).
    """
    text = _XML_DECLARATION.sub("", text, count=1)
    if stray_end_tags:
        text = _END_TAGS.sub("", text)
    if not text.strip():
        raise ValueError("empty document")
    try:
        return html.document_fromstring(text, parser=_parser())
    except ValueError:
        return html.document_fromstring(CONTROL_CHARS.sub("", text), parser=_parser())


_PARSERS = threading.local()


def _parser() -> html.HTMLParser:
    """libxml2 stops building the tree 255 levels down and drops the rest of the page
    (400 unclosed <font> tags are enough); huge_tree lifts that limit. One parser per
    thread: lxml parsers must not be shared between threads."""
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = html.HTMLParser(huge_tree=True)
    return parser


def has_stray_end_tags(body: bytes) -> bool:
    """An </html> or </body> well before the end of the bytes (searched in C, not by regex)."""
    return any(0 <= body.find(tag) < len(body) - 256 for tag in (b"</html", b"</HTML", b"</body", b"</BODY"))


def normalize_space(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


# Characters that print as nothing, or reorder what follows: never part of a headline.
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def clean_title(text: str) -> str:
    """A headline without control, zero-width or bidi-override characters, spaces collapsed."""
    return normalize_space(_INVISIBLE.sub("", text))


def head_meta(root: etree._Element) -> dict[str, str]:
    """<meta name|property=… content=…> of the page, lower-cased keys, first wins."""
    found: dict[str, str] = {}
    for meta in root.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        content = meta.get("content")
        if key and content and key not in found:
            found[key] = normalize_space(content)
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
    (lxml's strip_* functions do this in C; their tails, the text after them, stay.)
    """
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, *_DROP_TAGS, "rt", "rp", with_tail=False)
    doomed = [el for el in _MAYBE_HIDDEN(root) if is_hidden(el)]
    for selector in remove_selectors:
        doomed += css(root, selector)
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()  # keeps the tail text
    etree.strip_tags(root, "ruby")
    return root


def iter_lines(
    element: etree._Element,
    skip: etree._Element | frozenset | None = None,
    marks: set[etree._Element] | frozenset = frozenset(),
) -> list[tuple[str, object]]:
    """Lines of text in document order as ("text", line); block elements and <br> end a line.

    ``skip`` (an element or a set of them) yields a single ("skip", element) marker
    instead of each such subtree's text; each element of ``marks`` yields ("start",
    element) and ("end", element) around its lines, so callers can tell what lies where.
    (A hot path: written for speed, one pass, no generators.)
    """
    skipped = skip if isinstance(skip, frozenset) else frozenset((skip,)) if skip is not None else frozenset()
    out: list[tuple[str, object]] = []
    buffer: list[str] = []
    space = _SPACES.sub

    def flush() -> None:
        if buffer:
            line = space(" ", "".join(buffer)).strip()
            buffer.clear()
            if line:
                out.append(("text", line))

    walker = etree.iterwalk(element, events=("start", "end"))
    for event, node in walker:
        tag = node.tag
        if not isinstance(tag, str):
            tag = ""
        if event == "start":
            if skipped and node in skipped:
                flush()
                out.append(("skip", node))
                walker.skip_subtree()
                continue
            marked = bool(marks) and node in marks
            if tag in BLOCK_TAGS or marked:
                flush()
            if marked:
                out.append(("start", node))
            if tag and node.text:
                buffer.append(node.text)
        else:
            marked = bool(marks) and node in marks
            if tag in BLOCK_TAGS or tag == "br" or marked or (skipped and node in skipped):
                flush()
            if marked:
                out.append(("end", node))
            if node is not element and node.tail:
                buffer.append(node.tail)
    flush()
    return out


def text_lines(element: etree._Element) -> list[str]:
    return [line for kind, line in iter_lines(element) if kind == "text"]


def element_text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    if len(element) == 0:  # no children: no blocks to separate
        return normalize_space(element.text or "")
    return normalize_space(" ".join(text_lines(element)))
