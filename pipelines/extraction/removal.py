"""Pages that say their article is gone ("稿件已删除") instead of showing it."""

from __future__ import annotations

from collections.abc import Sequence

from .decode import decode_html
from .types import Article, RawPage, SiteRules

NOTICE_MAX_TEXT = 300  # a real article that mentions deletion is longer than a notice


def removal_notice(pages: Sequence[RawPage], rules: SiteRules, article: Article | None = None) -> str | None:
    """The deletion notice a page shows instead of its article, if it shows one.

    With an extracted ``article``, only a short one whose headline or text carries a
    marker counts (an article may well mention that something "已被删除"); without
    one (extraction failed), a marker anywhere in the page does.
    """
    if not pages or not rules.removal_markers:
        return None
    if article is not None:
        if len(article.text) > NOTICE_MAX_TEXT:
            return None
        visible = f"{article.title}\n{article.text}"
    else:
        visible = decode_html(pages[0].body, pages[0].content_type, rules.default_charset)[0][:200_000]
    return next((marker for marker in rules.removal_markers if marker in visible), None)
