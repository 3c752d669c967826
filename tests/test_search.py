"""Chinese full-text search on the real SQLite FTS5 index and the real PostgreSQL tsvector index:
the same behaviour, the same tests."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from storage import dialect
from storage.export import ArticleFilter
from storage.models import Article
from storage.repository import FetchRecord
from storage.search import QueryError, index_missing, parse, search, snippet, streams
from tests.conftest import run_cli

T0 = datetime(2024, 6, 14, 8, 0, tzinfo=timezone.utc)

TEXTS = {
    "unity": ("民族团结一家亲", "6月12日，海东市举办民族团结进步创建活动，各族群众载歌载舞。\n\n活动现场，乡村振兴成果展吸引了众多市民。"),
    "village": ("鄉村振興看互助", "互助縣的鄉村旅遊持續升溫，農家樂接待遊客3萬人次。"),
    "lake": ("青海湖裸鲤资源量恢复", "青海湖裸鲤资源量恢复到12.6万吨，是保护初期的46倍。G6京藏高速沿线的湖区管护站增加到18个。"),
    "party": ("党建引领基层治理", "西宁市城东区以党建引领社区治理，民族团结进步创建与网格化管理结合。"),
    "weather": ("6月14日天气", "今天白天全省大部多云，西宁地区气温10到24摄氏度。"),
}


def _record(key: str, section: str, published: str, authors: list[str], outlet: str | None = None) -> dict:
    title, body = TEXTS[key]
    url = f"http://www.qhnews.com/dj/system/2024/06/14/{abs(hash(key)) % 10**9}.shtml"
    return {"url": url, "canonical_url": url, "page_urls": [url], "title": title, "subtitle": None, "column": None,
            "section": section, "source_outlet": outlet, "authors": authors, "correspondents": [], "photographers": [],
            "editor": None, "bylines_raw": {}, "published_at": published, "published_precision": "minute",
            "updated_at": None, "language": "zh", "text": body, "images": [], "quality_flags": [],
            "extraction": {"extractor_version": "test"}}


@pytest.fixture
def searchable(archive):
    archive, sessions, site_id = archive
    run = archive.start_run(site_id)
    records = {
        "unity": _record("unity", "党建", "2024-06-12T09:00:00+08:00", ["张三"], "青海日报"),
        "village": _record("village", "新闻中心", "2024-06-13T09:00:00+08:00", ["李四"], "青海新闻网"),
        "lake": _record("lake", "新闻中心", "2024-05-20T09:00:00+08:00", ["王五", "张三丰"]),
        "party": _record("party", "党建", "2024-07-01T00:30:00+08:00", ["赵六"], "西宁晚报"),
        "weather": _record("weather", "天气", "2024-06-14T07:00:00+08:00", []),
    }
    uids = {}
    for key, record in records.items():
        fetch = FetchRecord(kind="article", url=record["url"], site_url=record["url"], status=200, fetched_at=T0)
        uids[key] = archive.record(run, site_id, [fetch], record)[1]
    return archive, sessions, site_id, run, records, uids


def _found(sessions, uids, query, where=None, sort="relevance") -> list[str]:
    back = {v: k for k, v in uids.items()}
    with sessions() as session:
        hits = search(session, parse(query), where, sort)
        by_id = dict(session.execute(select(Article.id, Article.uid)).all())
    return [back[by_id[h.article_id]] for h in hits]


@pytest.mark.parametrize("query, expected", [
    ("党", {"party"}),  # one character
    ("乡", {"unity", "village"}),  # one character, found in traditional text too
    ("民族", {"unity", "party"}),  # two characters
    ("民族团结", {"unity", "party"}),  # four characters: a phrase of bigrams
    ("团结进步创建", {"unity", "party"}),
    ("结进步创建活", {"unity"}),  # exact substring, nothing looser
    ("乡村", {"unity", "village"}),  # simplified finds traditional
    ("鄉村", {"unity", "village"}),  # and back
    ("湖区管护站", {"lake"}),
    ("12.6万吨", {"lake"}),  # digits: "12", "6万吨" both occur
    ("g6", {"lake"}),  # case folded
    ("Ｇ６京藏", {"lake"}),  # full-width folded
    ("民族 乡村", {"unity"}),  # AND
    ("天气 OR 裸鲤", {"weather", "lake"}),  # OR
    ("民族团结 -乡村", {"party"}),  # NOT
    ("民族团结 NOT 乡村", {"party"}),
    ('"民族 团结"', {"unity", "party"}),  # a quoted phrase, its space ignored
    ("团结民族", set()),  # the characters, but not in that order
    ("载歌载舞活动", set()),  # never across punctuation: "…载歌载舞。活动现场…"
    ("互助县的乡村旅游持续升温", {"village"}),  # a long term in traditional text
    ('"载歌载舞 活动现场"', {"unity"}),  # a quoted phrase may span punctuation, in sequence
    ('"青海湖 裸鲤"', {"lake"}),  # or match without the space, as Chinese is written
    ("火星", set()),
])
def test_queries(searchable, query, expected):
    _archive, sessions, _site, _run, _records, uids = searchable
    assert set(_found(sessions, uids, query)) == expected


def test_filters_and_date_order(searchable):
    _archive, sessions, _site, _run, _records, uids = searchable
    assert _found(sessions, uids, "民族", ArticleFilter(section="党建"), sort="date") == ["party", "unity"]
    assert _found(sessions, uids, "民族", ArticleFilter(source_outlet="西宁晚报")) == ["party"]
    assert set(_found(sessions, uids, "湖 OR 民族", ArticleFilter(author="张三"))) == {"unity"}  # not 张三丰
    assert _found(sessions, uids, "湖 OR 民族", ArticleFilter(author="张三丰")) == ["lake"]
    # days in the site's time zone: 2024-07-01 00:30 +08:00 is June 30 in UTC, July 1 here
    assert _found(sessions, uids, "民族", ArticleFilter(since=date(2024, 7, 1))) == ["party"]
    assert _found(sessions, uids, "民族", ArticleFilter(until=date(2024, 6, 30))) == ["unity"]
    assert _found(sessions, uids, "民族", ArticleFilter(edited=True)) == []
    assert _found(sessions, uids, "民族", ArticleFilter(removed=True)) == []
    assert set(_found(sessions, uids, "民族", ArticleFilter(removed=False))) == {"unity", "party"}



def test_the_author_filter_follows_new_versions(searchable):
    """The author index is rewritten with each new version, by a crawl or a re-extraction:
    a corrected byline finds the article under the new name only; a byline that is not a
    list of names (a damaged record) indexes nothing and breaks nothing."""
    archive, sessions, site_id, run, records, uids = searchable
    by_author = lambda name: set(_found(sessions, uids, "民族 OR 湖 OR 乡", ArticleFilter(author=name)))  # noqa: E731
    corrected = {**records["unity"], "authors": ["张三", "马五"], "text": records["unity"]["text"] + "（更正）"}
    fetch = FetchRecord(kind="article", url=corrected["url"], site_url=corrected["url"], status=200, fetched_at=T0)
    archive.record(run, site_id, [fetch], corrected)
    assert by_author("马五") == {"unity"} and by_author("张三") == {"unity"}
    with sessions() as session:
        unity = session.scalar(select(Article.id).where(Article.uid == uids["unity"]))
        lake = session.scalar(select(Article.id).where(Article.uid == uids["lake"]))
    moved = {**corrected, "authors": ["马五"], "extraction": {"extractor_version": "test-2"}}
    damaged = {**records["lake"], "authors": "王五", "text": records["lake"]["text"] + "。"}
    archive.revise_many([(unity, moved), (lake, damaged)], T0 + timedelta(days=1))
    assert by_author("张三") == set() and by_author("马五") == {"unity"}
    assert by_author("王五") == set() and by_author("张三丰") == set()
    assert by_author("李四") == {"village"}  # untouched articles keep theirs

@pytest.fixture
def many(archive):
    """120 articles sharing 高原 (and every other one 湖泊), published over 120 hours, some undated."""
    archive, sessions, site_id = archive
    run = archive.start_run(site_id)
    for i in range(120):
        url = f"http://www.qhnews.com/sz/system/2024/06/01/{i:06d}.shtml"
        published = None if i % 17 == 0 else (T0 + timedelta(hours=(i * 37) % 120)).isoformat()
        record = {**_record("weather", "时政", published, []), "url": url, "canonical_url": url, "page_urls": [url],
                  "title": f"高原第{i}期", "text": f"高原{'湖泊' if i % 2 else '草场'}观测记录{i}号。"}
        fetch = FetchRecord(kind="article", url=url, site_url=url, status=200, fetched_at=T0)
        archive.record(run, site_id, [fetch], record)
    return sessions


@pytest.mark.parametrize("join_max, cap, few, plan", [
    (10**9, 10**9, 2000, "join"), (0, 10**9, 2000, "gather"), (0, 0, 2000, "walk"),
    (0, 0, 0, "walk"),  # on PostgreSQL: not read by id first (search_few), its planner's own plan
])
def test_date_order_is_exact_whichever_way_it_is_read(many, monkeypatch, join_max, cap, few, plan):
    from storage import dialect as dialect_module
    from storage import search as search_module

    monkeypatch.setattr(search_module, "JOIN_PLAN_MAX", join_max)
    monkeypatch.setattr(search_module, "DATE_PLAN_CAP", cap)
    monkeypatch.setattr(search_module, "FEW", few)
    sessions = many
    with sessions() as session:
        sqlite = session.get_bind().dialect.name == "sqlite"
        groups = [[(t.unigram, t.alternatives) for t in parse("高原").terms]]
        _index, key, condition, _relevance = dialect_module.search_match(session, groups, [])
        # SQLite reads the plan the counts call for; PostgreSQL's planner decides
        assert search_module._date_plan(session, key, condition, 5) == (plan if sqlite else "join")
        rows = session.execute(select(Article.id, Article.published_at)).all()
        expected = [i for i, _ in sorted(rows, key=lambda r: (r[1] is None, -(r[1].timestamp() if r[1] else 0), -r[0]))]
        assert [h.article_id for h in search(session, parse("高原"), None, "date", 5)] == expected[:5]
        assert [h.article_id for h in search(session, parse("高原"), None, "date", 200)] == expected
        odd = [i for i in expected if session.get(Article, i).text.startswith("高原湖泊")]
        assert [h.article_id for h in search(session, parse("高原 湖泊"), None, "date", 7)] == odd[:7]
        since = ArticleFilter(since=date(2024, 6, 17))
        dated = [i for i in expected if (p := dict(rows)[i]) and p >= datetime(2024, 6, 16, 16, tzinfo=timezone.utc)]
        assert [h.article_id for h in search(session, parse("高原"), since, "date", 50)] == dated[:50]


@pytest.mark.parametrize("few", [2000, 0])  # PostgreSQL: rare terms are read by id first, others not
def test_relevance_ranks_the_most_recently_archived_matches_when_there_are_many(many, monkeypatch, few):
    from storage import search as search_module

    monkeypatch.setattr(search_module, "RANK_WINDOW", 30)
    monkeypatch.setattr(search_module, "FEW", few)
    with many() as session:
        hits = search(session, parse("高原"), None, "relevance", 10)
        newest = sorted(session.scalars(select(Article.id)).all())[-30:]
        assert len(hits) == 10 and {h.article_id for h in hits} <= set(newest)
        assert all(h.ranked == 30 for h in hits)  # the window was full: the command says so
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        rare = search(session, parse("观测记录7号"), None, "relevance", 10)
        assert [h.ranked for h in rare] == [1]
        every = search(session, parse("高原"), None, "relevance", None)  # no limit: every match ranked
        assert len(every) == 120 and every[0].ranked == 120


def test_an_edited_article_is_found_by_its_new_text_only(searchable):
    archive, sessions, site_id, run, records, uids = searchable
    edited = {**records["weather"], "text": "今天白天全省大部小雨转阴，西宁地区气温8到19摄氏度。"}
    fetch = FetchRecord(kind="article", url=edited["url"], site_url=edited["url"], status=200, fetched_at=T0)
    assert archive.record(run, site_id, [fetch], edited)[0] == "changed"
    assert _found(sessions, uids, "小雨转阴") == ["weather"]
    assert _found(sessions, uids, "多云") == []
    assert _found(sessions, uids, "天气", ArticleFilter(edited=True)) == ["weather"]


def test_an_archive_from_before_search_is_indexed_once(searchable):
    _archive, sessions, *_rest, uids = searchable
    with sessions.begin() as session:  # as migration 0006 leaves an older archive: an empty index
        dialect.search_clear(session)
    assert _found(sessions, uids, "民族") == []
    assert index_missing(sessions) == 5
    assert index_missing(sessions) == 0
    assert set(_found(sessions, uids, "民族")) == {"unity", "party"}


@pytest.mark.parametrize("hostile", [
    '"', '""', "'", "*", "NEAR(a b)", "bi : x", "uni:党 OR", "民族' OR '1'='1", "'; DROP TABLE articles; --",
    "^民族", "民族*", "(民族", "AND", "OR OR", "- -", "\x00党", "党\\", "{uni bi}: 党", "民族 NOT", "NOT",
])
def test_hostile_queries_give_results_or_a_clear_error(searchable, hostile):
    _archive, sessions, _site, _run, _records, uids = searchable
    try:
        found = _found(sessions, uids, hostile)
    except QueryError as exc:
        assert str(exc)
        return
    assert set(found) <= set(uids)
    with sessions() as session:  # nothing was dropped or changed
        assert len(session.scalars(select(Article.id)).all()) == 5


def test_a_very_long_article_is_indexed_on_both_backends(searchable):
    archive, sessions, site_id, run, records, uids = searchable
    long = {**records["lake"], "url": records["lake"]["url"].replace(".shtml", "9.shtml"),
            "text": "前言。\n\n" + "高原生态保护与绿色发展并进，" * 12_000 + "\n\n结尾处的独有词语冰川观测。"}
    long["canonical_url"] = long["url"]
    fetch = FetchRecord(kind="article", url=long["url"], site_url=long["url"], status=200, fetched_at=T0)
    assert archive.record(run, site_id, [fetch], long)[0] == "stored"  # 170,000 characters
    with sessions() as session:
        assert len(search(session, parse("前言"), None)) == 1
        assert search(session, parse("冰川观测"), None) == []  # past the indexed 60,000 characters


def test_an_index_built_under_other_unicode_tables_is_rebuilt(searchable, monkeypatch):
    from storage import search as search_module

    _archive, sessions, *_rest, uids = searchable
    monkeypatch.setattr(search_module, "STREAM_FORMAT", 99)
    emptied = search_module.ensure_current(sessions)
    assert emptied == (sessions.kw["bind"].dialect.name == "sqlite")  # PostgreSQL replaces rows whole
    index_missing(sessions)
    assert set(_found(sessions, uids, "民族")) == {"unity", "party"}


def test_too_long_and_empty_queries_are_refused():
    with pytest.raises(QueryError, match="at most"):
        parse("党" * 10_000)
    with pytest.raises(QueryError, match="nothing to find"):
        parse("，。！")
    with pytest.raises(QueryError, match="nothing to find"):
        parse("-党")
    with pytest.raises(QueryError, match="more than"):
        parse(" ".join("党" for _ in range(40)))
    with pytest.raises(QueryError, match="not text"):
        parse("党\udcff")


def test_streams_and_snippets():
    unigrams, bigrams = streams("鄉村", "民族團結，G6。")
    assert unigrams.split() == ["乡", "村", "民", "族", "团", "结", "g", "6"]
    # each run's last character closes its pairs: no pair spans punctuation
    assert bigrams.split() == ["乡村", "村", "民族", "族团", "团结", "结", "g6", "6"]
    body = "开头" * 40 + "民族团结进步" + "结尾" * 40
    line, marks = snippet("标题", body, parse("民族团结"))
    assert line.startswith("…") and line.endswith("…")
    assert [line[a:b] for a, b in marks] == ["民族团结"]
    line, marks = snippet("鄉村振興", "無關的正文。", parse("乡村"))
    assert [line[a:b] for a, b in marks] == ["鄉村"]  # the hit as printed, found by its folded form
    line, marks = snippet("", "青海湖畔……乾隆年间，气温25℃。", parse("青海 OR 青海湖 OR 乾隆"))
    assert [line[a:b] for a, b in marks] == ["青海湖", "乾隆"]  # overlapping hits merged; 乾隆 stays 乾隆
    line, marks = snippet("", "ﬁ中国e\u0301。", parse("中国"))
    assert [line[a:b] for a, b in marks] == ["中国"]  # a ligature and a combining accent shift nothing


def test_search_command_formats(tmp_path, records):
    db = tmp_path / "archive.db"
    from storage.db import open_archive
    from storage.repository import Archive

    engine, sessions = open_archive(str(db))
    archive = Archive(sessions)
    site = archive.site("qhnews", "http://www.qhnews.com", "Asia/Shanghai", "青海新闻网")
    run = archive.start_run(site)
    for record in records:
        archive.record(run, site, [FetchRecord(kind="article", url=record["url"], site_url=record["url"], status=200,
                                               fetched_at=T0 + timedelta(minutes=1))], record)
    engine.dispose()
    word = records[0]["title"][:2]
    as_json = run_cli("search", word, "--db", str(db), "--format", "jsonl")
    assert as_json.returncode == 0, as_json.stderr
    rows = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert rows and all(word in r["title"] + r["text"] for r in rows)
    assert {"snippet", "score", "canonical_url", "published_at", "story_id"} <= set(rows[0])
    as_csv = run_cli("search", word, "--db", str(db), "--format", "csv", "--sort", "date")
    assert as_csv.returncode == 0 and as_csv.stdout.splitlines()[0].startswith("article_id,published_at")
    assert len(as_csv.stdout.splitlines()) == len(rows) + 1
    table = run_cli("search", word, "--db", str(db))
    assert table.returncode == 0 and word in table.stdout
    two_words = run_cli("search", word, f"-{records[1]['title'][:2]}", "--db", str(db), "--format", "jsonl")
    assert two_words.returncode == 0, two_words.stderr  # several words and a -exclusion, unquoted
    for bad, says in ((["，"], "nothing to find"), ([word, "--sort", "best"], "--sort"), ([word, "--format", "xml"], "--format"),
                      ([word, "--since", "June"], "not a date")):
        done = run_cli("search", *bad, "--db", str(db))
        assert done.returncode == 2 and says in done.stderr, (bad, done.stderr)
