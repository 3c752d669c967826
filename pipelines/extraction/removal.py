"""Pages that say their article is gone ("稿件已删除") instead of showing it."""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from .decode import decode_html
from .html import normalize_space, parse_html
from .types import Article, RawPage, SiteRules

# A notice is a short line of its own ("对不起，该稿件已删除"); an article that mentions a
# deletion ("相关违规信息已删除。") says so inside a longer text, and is not one.
NOTICE_LINE_MAX = 60
_NOTICE_TAGS = ("title", "h1", "h2", "h3", "h4", "p", "div", "span", "td", "strong", "b", "font", "center", "li")
_MAX_ELEMENTS = 3000


def removal_notice(pages: Sequence[RawPage], rules: SiteRules, article: Article | None = None) -> str | None:
    """The deletion notice a page shows instead of its article, if it shows one.

    With an extracted ``article``: its headline carries a marker, or its whole text is one
    short line that does. Without one (extraction found no headline or no text): a short
    line of the page's visible text (a heading, a paragraph, a cell) carries a marker.
    """
    if not pages or not rules.removal_markers:
        return None
    if article is not None:
        lines = [article.title] + ([article.text] if len(article.text) <= NOTICE_LINE_MAX else [])
    else:
        lines = _short_lines(pages[0], rules)
    return next((marker for line in lines for marker in rules.removal_markers if marker in line), None)


def _short_lines(page: RawPage, rules: SiteRules) -> list[str]:
    try:
        root = parse_html(decode_html(page.body, page.content_type, rules.default_charset)[0])
    except (ValueError, etree.ParserError):
        return []
    etree.strip_elements(root, "script", "style", with_tail=False)
    lines = []
    for count, element in enumerate(root.iter(*_NOTICE_TAGS)):
        if count >= _MAX_ELEMENTS:
            break
        text = normalize_space(element.text_content())
        if text and len(text) <= NOTICE_LINE_MAX:
            lines.append(text)
    return lines
