"""An article's versions and events, for `newsarchive history`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from .models import Article, ArticleEvent, ArticleUrl, ArticleVersion


@dataclass
class History:
    article: Article
    versions: list[ArticleVersion]
    events: list[ArticleEvent]
    urls: list[str]


def find_article(session: Session, key: str) -> Article | None:
    """By stable id, database id, or any URL the article is known under."""
    key = key.strip()
    article = session.scalar(select(Article).where(or_(Article.uid == key, Article.canonical_url == key)))
    if article is None:
        known = session.scalar(select(ArticleUrl).where(ArticleUrl.url == key))
        if known is not None:
            article = session.get(Article, known.article_id)
    if article is None and key.isdigit():
        article = session.get(Article, int(key))
    return article


def article_history(sessions: sessionmaker[Session], key: str) -> History | None:
    with sessions() as session:
        article = find_article(session, key)
        if article is None:
            return None
        versions = session.scalars(
            select(ArticleVersion).where(ArticleVersion.article_id == article.id).order_by(ArticleVersion.version)
        ).all()
        events = session.scalars(
            select(ArticleEvent).where(ArticleEvent.article_id == article.id).order_by(ArticleEvent.at, ArticleEvent.id)
        ).all()
        urls = session.scalars(select(ArticleUrl.url).where(ArticleUrl.article_id == article.id)).all()
        session.expunge_all()
        return History(article, list(versions), list(events), list(urls))

