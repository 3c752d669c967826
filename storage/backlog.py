"""Indexes built after the articles they cover: the stories and the search index of an
archive from before them are filled in batches, oldest article first."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from .models import Article


def work_through(sessions: sessionmaker[Session], missing, handle: Callable[[Session, Article], None],
                 lock: Callable[[Session], None], batch: int, limit: int | None) -> int:
    """Hand every article matching ``missing`` (a condition on articles) to ``handle``, in id
    order, at most ``limit``; one transaction per batch, which takes ``lock`` before it reads,
    so two processes working through the same backlog never take one article twice."""
    done, last_id = 0, 0
    while limit is None or done < limit:
        size = batch if limit is None else min(batch, limit - done)
        with sessions.begin() as session:
            lock(session)
            rows = session.scalars(select(Article).where(missing, Article.id > last_id).order_by(Article.id).limit(size)).all()
            for row in rows:
                handle(session, row)
            done += len(rows)
        if len(rows) < size:
            break
        last_id = rows[-1].id
    return done
