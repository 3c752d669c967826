"""Full-text search that works for Chinese: every query of one character or more matches.

Chinese has no spaces to split words on, and any word segmenter misses the terms a
researcher cares about (place names, 党建 slogans, new coinages). The index therefore
holds, per article, two token streams of its title and text: every character
(unigrams) and every pair of adjacent characters (bigrams), after folding traditional
characters to simplified (OpenCC) and full-width to half-width (NFKC), lower-cased, so
乡村 finds 鄉村 and back. A one-character term is a unigram; a longer term is the
phrase of its bigrams, which matches exactly where the term occurs (runs of letters and
digits; punctuation and spaces never join two runs).

Query language: terms separated by spaces must all occur (AND); ``OR`` between terms;
``-term`` or ``NOT term`` excludes; ``"a phrase"`` is one term (its spaces ignored).
The index is backend-specific (``storage.dialect``): an FTS5 table on SQLite, tsvector
columns with GIN indexes on PostgreSQL; this module only builds token streams and
parses queries, and the same tests run on both.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

MAX_QUERY = 1000  # characters: longer is refused with a clear message
MAX_TERMS = 32

_RUN = re.compile(r"[^\W_]+")  # letters and digits, any script


class QueryError(ValueError):
    """A query that cannot be searched for; the message says why."""


@cache
def _opencc():
    import opencc

    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """Text as the index sees it: simplified characters, half-width, lower case."""
    return unicodedata.normalize("NFKC", _opencc().convert(text)).lower()


def streams(title: str, text: str) -> tuple[str, str]:
    """(unigrams, bigrams) of an article, space-separated, in text order."""
    unigrams, bigrams = [], []
    for run in _RUN.findall(fold(f"{title}\n{text}")):
        unigrams.extend(run)
        bigrams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return " ".join(unigrams), " ".join(bigrams)


@dataclass(frozen=True)
class Term:
    """One searched string, folded: matched as a unigram (one character) or a bigram phrase."""

    text: str

    @property
    def unigram(self) -> bool:
        return len(self.text) == 1

    @property
    def tokens(self) -> list[str]:
        return [self.text] if self.unigram else [self.text[i : i + 2] for i in range(len(self.text) - 1)]


@dataclass(frozen=True)
class Query:
    """Disjunctive normal form: any group matches when all its terms occur; none of ``excluded`` may."""

    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...]

    @property
    def terms(self) -> list[Term]:
        return [t for group in self.groups for t in group]


def _terms(raw: str) -> list[Term]:
    """A query word may hold several runs ("G6京藏高速"): each run is a term (all must occur)."""
    return [Term(run) for run in _RUN.findall(fold(raw))]


def parse(query: str) -> Query:
    """The query, or QueryError with the reason (empty, too long, only exclusions)."""
    if len(query) > MAX_QUERY:
        raise QueryError(f"the query is {len(query):,} characters long; at most {MAX_QUERY:,}")
    words = re.findall(r'-?"[^"]*"?|\S+', query)
    groups: list[list[Term]] = [[]]
    excluded: list[Term] = []
    negate = False
    for word in words:
        if word == "OR":
            if groups[-1]:
                groups.append([])
            continue
        if word in ("NOT", "AND"):
            negate = word == "NOT"
            continue
        if word.startswith("-") and len(word) > 1:
            negate, word = True, word[1:]
        phrase = word.strip('"')
        terms = [Term("".join(t.text for t in _terms(phrase)))] if word.startswith('"') else _terms(phrase)
        terms = [t for t in terms if t.text]
        (excluded if negate else groups[-1]).extend(terms)
        negate = False
    groups = [g for g in groups if g]
    if not groups:
        raise QueryError("the query has nothing to find (only punctuation, or only excluded terms)")
    if sum(len(g) for g in groups) + len(excluded) > MAX_TERMS:
        raise QueryError(f"the query has more than {MAX_TERMS} terms")
    return Query(tuple(tuple(g) for g in groups), tuple(excluded))


def snippet(title: str, text: str, query: Query, width: int = 30) -> tuple[str, list[tuple[int, int]]]:
    """A keyword-in-context line from the text (else the title) around the first hit:
    (line, [(start, end) of each hit in it]). Positions are found on the folded text;
    folding keeps one character for one (checked), else the title and text are folded
    character by character."""
    terms = sorted({t.text for t in query.terms}, key=len, reverse=True)
    for source in (text, title):
        folded = fold(source)
        if len(folded) != len(source):
            folded = "".join(fold(c)[:1] or " " for c in source)
        flat = source.replace("\n", " ")
        first = min((i for i in (folded.find(t) for t in terms) if i >= 0), default=-1)
        if first < 0:
            continue
        start, end = max(0, first - width), min(len(source), first + width + max(len(t) for t in terms))
        line = ("…" if start else "") + flat[start:end] + ("…" if end < len(source) else "")
        offset = start - (1 if start else 0)
        hits = []
        for t in terms:
            at = folded.find(t, start)
            while 0 <= at < end:
                if at + len(t) <= end:
                    hits.append((at - offset, at - offset + len(t)))
                at = folded.find(t, at + 1)
        return line, sorted(set(hits))
    return (text[: 2 * width].replace("\n", " ") + ("…" if len(text) > 2 * width else "")), []


# -- the index and the query, on the archive --------------------------------------------------------


def index_article(session, article, previous: tuple[str, str] | None = None) -> None:
    """(Re)index an article's title and text; ``previous``: the (title, text) indexed before."""
    from . import dialect

    old = streams(*previous) if previous is not None else None
    dialect.search_index(session, article.id, *streams(article.title, article.text), old=old)


def index_missing(sessions, batch: int = 500, limit: int | None = None) -> int:
    """Index archived articles the search index does not hold (an archive from before search)."""
    from sqlalchemy import select

    from . import dialect
    from .models import Article

    done, last_id = 0, 0
    while limit is None or done < limit:
        size = batch if limit is None else min(batch, limit - done)
        with sessions.begin() as session:
            _index, key = dialect.search_table(session)
            rows = session.execute(
                select(Article.id, Article.title, Article.text)
                .where(Article.id > last_id, Article.id.not_in(select(key)))
                .order_by(Article.id).limit(size)
            ).all()
            for article_id, title, text_ in rows:
                dialect.search_index(session, article_id, *streams(title, text_))
            done += len(rows)
        if len(rows) < size:
            return done
        last_id = rows[-1][0]
    return done


@dataclass
class Hit:
    article_id: int
    score: float | None


def search(session, query: Query, where=None, sort: str = "relevance", limit: int | None = 50) -> list[Hit]:
    """Articles matching ``query`` and the filters (``storage.export.ArticleFilter``), best or newest first."""
    from sqlalchemy import select

    from . import dialect
    from .export import ArticleFilter, filtered
    from .models import Article

    if sort not in ("relevance", "date"):
        raise QueryError(f"sort by relevance or date, not {sort!r}")
    groups = [[(t.unigram, t.tokens) for t in group] for group in query.groups]
    excluded = [(t.unigram, t.tokens) for t in query.excluded]
    index, key, condition, relevance = dialect.search_match(session, groups, excluded)
    statement = select(Article.id, relevance.label("score")).select_from(index.join(Article, Article.id == key))
    statement = filtered(session, statement.where(condition), where or ArticleFilter())
    if sort == "date":
        statement = statement.order_by(Article.published_at.desc().nulls_last(), Article.id.desc())
    else:
        statement = statement.order_by(relevance.desc(), Article.id.desc())
    if limit:
        statement = statement.limit(limit)
    return [Hit(article_id, score) for article_id, score in session.execute(statement)]
