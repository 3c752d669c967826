"""The author index: ``article_authors`` holds each name of an article's current ``authors``.

Written wherever an article's fields change (a new article, a new version), beside the
search index; read by the ``--author`` filter (``storage.export.filtered``).
"""

from __future__ import annotations

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from .models import Article, ArticleAuthor


def names(authors) -> list[str]:
    """The distinct names of an ``authors`` value, in order: only non-empty strings of a list."""
    if not isinstance(authors, list):
        return []
    return list(dict.fromkeys(a for a in authors if isinstance(a, str) and a))


def index_authors(session: Session, article: Article, previous: list | None = None) -> None:
    """Make the index hold ``article``'s current authors; ``previous``: the authors it held
    before (None for a new article), so an unchanged byline costs no write."""
    now = names(article.authors)
    if previous is not None:
        if names(previous) == now:
            return
        session.execute(delete(ArticleAuthor).where(ArticleAuthor.article_id == article.id))
    if now:
        session.execute(insert(ArticleAuthor), [{"name": name, "article_id": article.id} for name in now])
