"""Where a page keeps its parts: headline, the lines around it, the body, the images.

A ``View`` is what the rest of extraction reads: a site template's selectors give
it directly (``template_view``); otherwise the generic path finds the headline,
extracts the body, and takes the lines just above and below the body as the
places where bylines and dates are printed (``generic_view``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml import etree, html

from . import bylines as bylines_mod
from .body import container_paragraphs, images_in
from .fields import KICKER, find_headline, split_kicker
from .generic import generic_body, is_chinese
from .html import css, element_text, first, iter_lines, text_lines
from .script import fold
from .types import Image, RawPage, SiteRules, Template

FOOTER_LINES = 8
HEADER_LINES = 15
_SENTENCE_END = re.compile(r"[。！？!?]|\.(\s|$)")
_AUTHOR_ELEMENTS = etree.XPath(  # selecting attributes first is the fastest way libxml2 offers
    "//body//@class[contains(.,'author') or contains(.,'writer') or contains(.,'byline')]/.."
    " | //body//@id[contains(.,'author')]/.. | //body//@itemprop[.='author']/.."
)
_MAX_AUTHOR_TEXT = 24
_NAME_LIKE = re.compile(r"^(?:[\u4e00-\u9fffA-Za-z0-9·]{2,10}|[A-Za-z][A-Za-z .'-]{1,40})$")
_EARLY_BYLINE = 8
_HEADLINE_LIKE = re.compile(r"^(?=.{6,60}$)(?=.*[\u4e00-\u9fff].*[\u4e00-\u9fff])[^。|｜<>]+$")
_LATE_BYLINE = 3


@dataclass
class View:
    title: str
    column: str | None
    header: list[str]  # lines between the headline and the body: bylines, dates
    footer: list[str]  # the first lines after the body: editor, "文/图 …"
    paragraphs: list[str]
    method: str
    title_source: str
    subtitle: str | None = None
    images: list[Image] = field(default_factory=list)
    captions: set[str] = field(default_factory=set)  # caption lines, kept out of the text
    direct: bylines_mod.Bylines = field(default_factory=bylines_mod.Bylines)  # read from dedicated elements
    direct_date: str | None = None  # text of the template's date element


@dataclass
class PageTree:
    """A parsed page handed to the layout functions."""

    raw: RawPage
    root: html.HtmlElement
    markup: str


def select_template(root: etree._Element, url: str, templates: Sequence[Template]) -> Template | None:
    path = urlsplit(url).path
    for template in templates:
        if template.url_pattern and not re.search(template.url_pattern, path):
            continue
        if css(root, template.signature) and first(root, template.body) is not None:
            return template
    return None


def _around(root: etree._Element, title_el, body_el) -> tuple[str | None, list[str], list[str]]:
    """(the line above the headline, lines between headline and body, lines after the body)."""
    above, header, footer = None, [], []
    zone = "before"
    body = root.find("body")
    if body is None:
        body = root
    marks = {title_el, body_el} - {None}
    for kind, line in iter_lines(body, skip=body_el, marks=marks):
        if kind == "start" and line is title_el:
            zone = "title"
        elif kind == "end" and line is title_el:
            zone = "header"
        elif kind == "skip":
            zone = "footer"
        elif kind == "text":
            if zone == "before":
                above = line
            elif zone == "header":
                header.append(line)
            elif zone == "footer":
                footer.append(line)
                if len(footer) >= FOOTER_LINES:
                    break
    return above, header, footer


def _column(title_column: str | None, above: str | None) -> str | None:
    if title_column:
        return title_column
    kicker = KICKER.fullmatch(above or "")
    return kicker.group(1).strip() if kicker else None


def template_view(pages: list[PageTree], template: Template, rules: SiteRules) -> View:
    root = pages[0].root
    title_el, body_el = first(root, template.title), first(root, template.body)
    above, header, footer = _around(root, title_el, body_el)
    title, column = split_kicker(element_text(title_el))
    if template.column:
        column = element_text(first(root, template.column)).strip("【】 ") or column
    view = View(title=title, column=_column(column, above), header=header, footer=footer, paragraphs=[],
                method=f"template:{template.name}", title_source=f"template:{template.title}")
    if template.subtitle:
        view.subtitle = element_text(first(root, template.subtitle)) or None
    for page in pages:
        container = first(page.root, template.body)  # later pages share the first page's template
        if container is None:
            continue
        page_images, captions = images_in(container, page.raw.url)
        view.images += page_images
        view.captions |= captions
        view.paragraphs += container_paragraphs(container)
    if template.meta:
        for block in css(root, template.meta):
            view.direct.merge(bylines_mod.parse_lines(text_lines(block)))
    for name in ("source", "authors", "editor"):
        element = first(root, getattr(template, name))
        if element is None:
            continue
        value = element_text(element)
        if name == "source":
            view.direct.source = bylines_mod.clean_outlet(value) or None
        elif name == "authors":
            view.direct.authors = bylines_mod.split_names(value)
        else:
            view.direct.editor = "、".join(bylines_mod.split_names(value)) or None
    if template.published_at:
        view.direct_date = element_text(first(root, template.published_at)) or None
    return view


def _author_elements(root: etree._Element) -> bylines_mod.Bylines:
    """Names in elements the page itself marks as the author (class/id/itemprop).

    Such an element may also hold a biography or a whole byline; only a labelled
    line, or text that is plainly a name (or a short account name), is taken.
    """
    found = bylines_mod.Bylines()
    for element in _AUTHOR_ELEMENTS(root):
        text = element_text(element)
        if not text or len(text) > _MAX_AUTHOR_TEXT:
            continue
        parsed = bylines_mod.parse_line(text)
        if parsed.raw:
            found.merge(parsed)
        elif _NAME_LIKE.match(text):
            found.merge(bylines_mod.Bylines(authors=bylines_mod.split_names(text), raw={"authors": text}))
        if found.authors:
            break
    return found


def _after_title(lines: list[str], title: str) -> list[str]:
    """Navigation that slipped into a generic body ends at the headline: the article starts after it.

    Only lines without a sentence's end (menus, breadcrumbs, kickers) are cut this way.
    """
    wanted = fold(title)
    for index, line in enumerate(lines[: HEADER_LINES * 2]):
        folded = fold(line)
        if wanted and (folded == wanted or (folded.endswith(wanted) and len(folded) - len(wanted) <= 4)):
            before = lines[:index]
            return lines[index + 1 :] if not any(_SENTENCE_END.search(b) for b in before) else lines
    return lines


def _index(lines: list[str], wanted: str, start: int = 0) -> int | None:
    for index in range(start, len(lines)):
        if lines[index] == wanted:
            return index
    return None


def generic_view(pages: list[PageTree], meta: dict[str, str], rules: SiteRules) -> View:
    root = pages[0].root
    headline, title_el = find_headline(root, meta, rules)
    title, column = split_kicker(headline)
    body_root = root.find("body")
    document: list[str] = []
    title_at = None
    marks = {title_el} if title_el is not None else frozenset()
    scope = body_root if body_root is not None else root
    for kind, line in iter_lines(scope, skip=frozenset(scope.iter("nav", "select")), marks=marks):
        if kind == "start" and title_at is None:
            title_at = len(document)
        elif kind == "text":
            document.append(line)
    if title_at is None:
        title_at = _index(document, headline)
    direct = _author_elements(root)
    above = document[title_at - 1] if title_at else None
    view = View(title=title, column=_column(column, above), header=[], footer=[], paragraphs=[], method="",
                title_source="h1" if title_el is not None and title_el.tag == "h1" else "title", direct=direct)
    for page in pages:  # consumes each page's tree: read everything else first
        body = generic_body(page.root, page.raw.url, page.markup, chinese=is_chinese(document))
        view.paragraphs += _after_title(body.lines, title)
        view.method = view.method or body.method
    # A byline line among the first paragraphs starts the article: a summary box ("划重点")
    # or a repeated headline before it is the page's, not the article's.
    early = next((i for i, line in enumerate(view.paragraphs[:_EARLY_BYLINE])
                  if bylines_mod.is_byline_line(line) and len(view.paragraphs) - i > _EARLY_BYLINE), 0)
    leading, trailing = view.paragraphs[:early], []
    view.paragraphs = view.paragraphs[early:]
    while view.paragraphs and bylines_mod.is_byline_line(view.paragraphs[0]):
        leading.append(view.paragraphs.pop(0))
    # A credit line near the end ("责任编辑：…") ends the article: it and what follows are the page's.
    tail = len(view.paragraphs) - _LATE_BYLINE
    late = next((i for i in range(max(1, tail), len(view.paragraphs))
                 if bylines_mod.is_byline_line(view.paragraphs[i])), None)
    if late is not None:
        trailing, view.paragraphs = view.paragraphs[late:], view.paragraphs[:late]
    _frame(view, document, title_at)
    if title_at is None:  # the <title> named the site, not the article: the headline sits just above the body
        for index in range(len(view.header) - 1, max(-1, len(view.header) - 4), -1):
            line = view.header[index]
            if _HEADLINE_LIKE.match(line) and not bylines_mod.is_byline_line(line):
                view.title, view.column = split_kicker(line)
                view.title_source = "text"
                view.header = view.header[index + 1 :]
                break
    view.header += leading
    view.footer = trailing + view.footer
    return view


def _editor_line(lines: list[str]) -> int | None:
    """Index of a 责任编辑 line: on Chinese portals nothing after it is the article."""
    for index, line in enumerate(lines):
        if len(line) <= 40 and bylines_mod.is_byline_line(line) and bylines_mod.parse_line(line).editor:
            return index
    return None


def _frame(view: View, document: list[str], title_at: int | None) -> None:
    """The body's first and last lines, found again in the page, frame the bylines."""
    start = _index(document, view.paragraphs[0], title_at or 0) if view.paragraphs else None
    if start is not None:
        header_from = title_at + 1 if title_at is not None and title_at < start else max(0, start - HEADER_LINES)
        view.header = document[max(header_from, start - HEADER_LINES) : start]
        end = start
        for line in reversed(view.paragraphs):
            found = _index(document, line, start)
            if found is not None:
                end = found
                break
        editor_at = _editor_line(document[start : end + 1])
        if editor_at is not None:  # the extractor ran past the 责任编辑 line: the rest is the portal's
            end = start + editor_at
            kept = set(document[start:end])
            view.paragraphs = [p for p in view.paragraphs if p in kept] or view.paragraphs
        inside = set(view.paragraphs)
        skipped = [line for line in document[start : end + 1] if line not in inside]  # bylines the body left out
        view.footer = skipped + document[end + 1 : end + 1 + FOOTER_LINES]
    elif title_at is not None:
        view.header = document[title_at + 1 : title_at + 1 + HEADER_LINES]
