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

from .similarity import fold, to_simplified

MAX_QUERY = 1000  # characters: longer is refused with a clear message
MAX_TERMS = 32
_RUN = re.compile(r"[^\W_]+")  # letters and digits, any script


class QueryError(ValueError):
    """A query that cannot be searched for; the message says why."""


MAX_INDEXED = 60_000  # characters of title and text indexed (PostgreSQL's tsvector holds at most 1 MB)
# What the streams depend on besides this code: a change makes the SQLite index unable to forget
# rows by recomputing them, so it is rebuilt (storage.search.ensure_current)
STREAM_FORMAT = 2


def streams(title: str, text: str) -> tuple[str, str]:
    """(unigrams, bigrams) of an article, space-separated, in text order. After each run of
    letters and digits the bigram stream holds the run's last character alone: a pair can
    then only be adjacent to a pair of the same run, and no term matches across punctuation
    (中国，国家 never matches 中国家), while a quoted phrase can still span runs."""
    unigrams, bigrams = [], []
    for run in _RUN.findall(fold(f"{title}\n{text}"[:MAX_INDEXED])):
        unigrams.extend(run)
        bigrams.extend(_pairs(run))
    return " ".join(unigrams), " ".join(bigrams)


def _pairs(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


@dataclass(frozen=True)
class Term:
    """One searched string, folded: a unigram (one character) or a phrase of bigrams.
    ``words``: the runs of a quoted phrase, which may also match as separate words."""

    text: str
    words: tuple[str, ...] = ()

    @property
    def unigram(self) -> bool:
        return len(self.text) == 1 and len(self.words) <= 1

    @property
    def tokens(self) -> list[str]:
        return [self.text] if self.unigram else _pairs(self.text)[:-1]

    @property
    def alternatives(self) -> list[list[str]]:
        """Token sequences any of which is a match: the term as one run; for a quoted phrase of
        several words also the words in sequence, whatever separates them in the text
        ("COVID 19", "New York")."""
        spans = [self.tokens]
        if len(self.words) > 1:
            spans.append([token for word in self.words for token in _pairs(word)][:-1])
        return spans


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
    try:
        query.encode("utf-8")
    except UnicodeEncodeError:
        raise QueryError("the query holds bytes that are not text (check the terminal's encoding)") from None
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
        if word.startswith('"'):
            words = tuple(t.text for t in _terms(phrase))
            terms = [Term("".join(words), words)]
        else:
            terms = _terms(phrase)
        terms = [t for t in terms if t.text]
        (excluded if negate else groups[-1]).extend(terms)
        negate = False
    groups = [g for g in groups if g]
    if not groups:
        raise QueryError("the query has nothing to find (only punctuation, or only excluded terms)")
    if sum(len(g) for g in groups) + len(excluded) > MAX_TERMS:
        raise QueryError(f"the query has more than {MAX_TERMS} terms")
    return Query(tuple(tuple(g) for g in groups), tuple(excluded))


def _folded_with_map(source: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the source character it came from.
    OpenCC runs over the whole text (its phrase conversions need context) when that keeps one
    character for one, else character by character; NFKC and case folding per character."""
    simplified = to_simplified().convert(source)
    if len(simplified) != len(source):
        simplified = "".join((to_simplified().convert(c) or c)[:1] for c in source)
    folded, origin = [], []
    for index, char in enumerate(simplified):
        piece = unicodedata.normalize("NFKC", char).lower()
        folded.append(piece)
        origin.extend([index] * len(piece))
    return "".join(folded), origin


def snippet(title: str, text: str, query: Query, width: int = 30) -> tuple[str, list[tuple[int, int]]]:
    """A keyword-in-context line from the text (else the title) around the first hit:
    (line, [(start, end) of each hit in it], overlapping hits merged)."""
    terms = sorted({t.text for t in query.terms} | {w for t in query.terms for w in t.words}, key=len, reverse=True)
    for source in (text, title):
        folded, origin = _folded_with_map(source)
        found = sorted((origin[at], origin[at + len(t) - 1] + 1) for t in terms
                       for at in [m.start() for m in re.finditer(re.escape(t), folded)])
        if not found:
            continue
        first = found[0][0]
        start, end = max(0, first - width), min(len(source), first + width + max(len(t) for t in terms))
        line = ("…" if start else "") + source[start:end].replace("\n", " ") + ("…" if end < len(source) else "")
        shift = (1 if start else 0) - start
        merged: list[list[int]] = []
        for a, b in found:
            a, b = max(a, start), min(b, end)
            if a >= b:
                continue
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        return line, [(a + shift, b + shift) for a, b in merged]
    return (text[: 2 * width].replace("\n", " ") + ("…" if len(text) > 2 * width else "")), []


# -- the index and the query, on the archive --------------------------------------------------------


def index_article(session, article, previous: tuple[str, str] | None = None) -> None:
    """(Re)index an article's title and text; ``previous``: the (title, text) indexed before."""
    from . import dialect

    old = streams(*previous) if previous is not None else None
    dialect.search_index(session, article.id, *streams(article.title, article.text), old=old)


def index_missing(sessions, batch: int = 500, limit: int | None = None) -> int:
    """Index archived articles the search index does not hold (an archive from before search,
    or after a rebuild). Each batch takes the write lock before it reads, so a crawl storing a
    new version meanwhile is never overtaken."""
    from sqlalchemy import exists

    from . import dialect
    from .backlog import work_through
    from .models import Article

    with sessions() as session:
        _index, key = dialect.search_table(session)

    def index(session, row) -> None:
        dialect.search_index(session, row.id, *streams(row.title, row.text), missing_only=True)

    return work_through(sessions, ~exists().where(key == Article.id), index, dialect.write_lock, batch, limit)


def current_scheme() -> int:
    """A number for everything the token streams depend on: this code's format, Python's
    Unicode tables (NFKC, letters) and OpenCC's version."""
    import zlib
    from importlib.metadata import version

    return zlib.crc32(f"{STREAM_FORMAT}:{unicodedata.unidata_version}:{version('opencc')}".encode()) & 0x7FFFFFFF


def ensure_current(sessions) -> bool:
    """Rebuild the index if it was built under another scheme (SQLite: it forgets a row by
    being given the row's streams again, which only the same scheme recomputes). Returns
    whether it was emptied (``index_missing`` then fills it)."""
    from . import dialect

    with sessions.begin() as session:
        return dialect.search_scheme(session, current_scheme())


# With a limit, relevance ranks at most this many matches, the most recently archived: a term
# in most articles (a single common character) would otherwise cost a score for every one of
# them, seconds on a million articles. Results say when the window was full; without a limit
# every match is ranked.
RANK_WINDOW = 1000


@dataclass
class Hit:
    article_id: int
    score: float | None
    ranked: int = 0  # sorted by relevance: how many matches were ranked (RANK_WINDOW: the window was full)


def search(session, query: Query, where=None, sort: str = "relevance", limit: int | None = 50) -> list[Hit]:
    """Articles matching ``query`` and the filters (``storage.export.ArticleFilter``), best
    (among the RANK_WINDOW most recently archived matches) or newest first."""
    from sqlalchemy import exists, func, select

    from . import dialect
    from .export import ArticleFilter, filtered
    from .models import Article

    if sort not in ("relevance", "date"):
        raise QueryError(f"sort by relevance or date, not {sort!r}")
    matches, key, condition, relevance = _matching(session, query, where)
    few = dialect.search_few(session, key, condition, FEW) if limit else None
    if few is not None:  # PostgreSQL, a rare term: its matches by id, then the filters and the order on them
        matches = matches.where(Article.id.in_(few))
    if sort == "date":
        newest = (Article.published_at.desc().nulls_last(), Article.id.desc())
        plan = _date_plan(session, key, condition, limit)
        if few is not None:
            matches = filtered(session, select(Article.id).where(Article.id.in_(few)), where or ArticleFilter())
        elif plan == "gather":
            # every match's id first, then the articles newest first (ix_articles_published), keeping
            # those: `+ 0` stops the id list from driving the join (reading each fat row, sorting all)
            ids = select(key).where(condition)
            matches = filtered(session, select(Article.id).where((Article.id + 0).in_(ids)), where or ArticleFilter())
        elif plan == "walk":
            # the newest articles checked against the index one by one: a common term has 20
            # matches among the newest few hundred
            matches = filtered(session, select(Article.id).where(exists().where(key == Article.id, condition)),
                               where or ArticleFilter())
        statement = matches.order_by(*newest)
        if limit:
            statement = statement.limit(limit)
        return [Hit(article_id, None) for article_id in session.scalars(statement)]
    # the index's own order (newest archived first) lets the window stop early instead of sorting every match
    window = matches.add_columns(relevance.label("score"))
    window = (window.order_by(key.desc()).limit(RANK_WINDOW) if limit else window).subquery()
    statement = select(window.c.id, window.c.score, func.count().over()).order_by(window.c.score.desc(), window.c.id.desc())
    if limit:
        statement = statement.limit(limit)
    return [Hit(article_id, score, ranked) for article_id, score, ranked in session.execute(statement)]


def matching_ids(session, query: Query, where=None) -> set[int]:
    """Every article matching ``query`` and the filters, unranked and unsorted (export --query)."""
    return set(session.scalars(_matching(session, query, where)[0]))


def _matching(session, query: Query, where):
    """(SELECT of the matching articles' ids, the index's id column, the match condition, the
    relevance expression)."""
    from sqlalchemy import select

    from . import dialect
    from .export import ArticleFilter, author_articles, filtered
    from .models import Article

    groups = [[(t.unigram, t.alternatives) for t in group] for group in query.groups]
    excluded = [(t.unigram, t.alternatives) for t in query.excluded]
    index, key, condition, relevance = dialect.search_match(session, groups, excluded)
    statement = select(Article.id).select_from(index.join(Article, Article.id == key)).where(condition)
    if where is not None and where.author:
        # the author's articles checked against the index's key, before any article row is read (the
        # filter below checks the row): SQLite walks a common term's matches without reading 700,000
        # articles. `+ 0` keeps the list from driving FTS5, which would rescore the term once per id.
        statement = statement.where((key + 0).in_(author_articles(where.author)))
    return filtered(session, statement, where or ArticleFilter()), key, condition, relevance


# Date order on SQLite, whose planner cannot see how many articles an FTS5 query matches: up
# to JOIN_PLAN_MAX matches are read and sorted; up to DATE_PLAN_CAP their ids are gathered and the
# newest articles kept; more, and the newest articles are checked one by one (measured by
# benchmarks/search.py on a million articles: each plan is the fastest in its range).
JOIN_PLAN_MAX = 2000
DATE_PLAN_CAP = 100_000
FEW = 2000  # PostgreSQL: up to this many matches are read by id first (storage.dialect.search_few)


def _date_plan(session, key, condition, limit: int | None) -> str:
    """"join", "gather" or "walk" (see above); PostgreSQL's planner chooses by itself: "join"."""
    from sqlalchemy import func, select

    if not limit or session.get_bind().dialect.name != "sqlite":
        return "join"
    counted = select(func.count()).select_from(select(key).where(condition).limit(DATE_PLAN_CAP).subquery())
    matches = session.scalar(counted)
    return "join" if matches < JOIN_PLAN_MAX else "gather" if matches < DATE_PLAN_CAP else "walk"


@dataclass
class Result:
    """One search result as shown and exported: the export record, its KWIC snippet with the
    hits' (start, end) in it, and the relevance (None when sorted by date)."""

    record: dict
    snippet: str
    marks: list[tuple[int, int]]
    score: float | None
    ranked: int = 0  # as Hit.ranked


def results(session, query: Query, where=None, sort: str = "relevance", limit: int | None = 50) -> list[Result]:
    """``search`` with each hit's export record (aliases, story) and snippet: what the
    `search` command prints, in its order."""
    from sqlalchemy import select

    from .export import records
    from .models import Article, Site

    hits = search(session, query, where, sort, limit)
    by_id = {a.id: a for a in session.scalars(select(Article).where(Article.id.in_([h.article_id for h in hits])))}
    articles = [by_id[h.article_id] for h in hits]
    sites = {s.id: s for s in session.scalars(select(Site))}
    return [Result(record, *snippet(article.title, article.text, query), hit.score, hit.ranked)
            for hit, article, record in zip(hits, articles, records(session, articles, sites))]
