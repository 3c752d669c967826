"""Stories: copies of one report on several sites become one story; look-alikes do not.

Real SQLite files and the real PostgreSQL (the ``archive`` fixture runs each test on both).
"""

from __future__ import annotations

import json
import multiprocessing
from datetime import datetime, timedelta, timezone

import jsonschema
import pytest
from sqlalchemy import func, select, text

from storage.db import open_archive
from storage.export import SCHEMA_PATH, iter_records
from storage.models import Article, ArticleBand, Story
from storage.repository import Archive, FetchRecord
from storage.similarity import MIN_CHARS, Fingerprint, fingerprint, normalize, resemblance, same_story, shingles
from storage.stories import Member, choose_original, index_missing, list_stories

T0 = datetime(2024, 6, 14, 8, 0, tzinfo=timezone.utc)


def _fetch(url: str, at: datetime = T0) -> FetchRecord:
    return FetchRecord(kind="article", url=url, site_url=url, final_url=url, status=200, fetched_at=at, size=100)


def _copy(record: dict, host: str, **changes) -> dict:
    url = record["url"].replace("www.qhnews.com", host)
    return {**record, "url": url, "canonical_url": url, "page_urls": [url], **changes}


def _trimmed(text_: str, keep_every: int = 4) -> str:
    """A republished copy's body: every ``keep_every``-th paragraph dropped, an editor's note on top."""
    paragraphs = text_.split("\n\n")
    kept = [p for i, p in enumerate(paragraphs) if i % keep_every != keep_every - 1] or paragraphs
    return "\n\n".join(["编者按：本文转载自青海新闻网，有删节。", *kept])


@pytest.fixture
def outlets(archive):
    archive, sessions, qhnews = archive
    evening = archive.site("xnwb", "http://www.xnwb.example", "Asia/Shanghai", "西宁晚报")
    mirror = archive.site("gaoyuan", "http://www.gaoyuan.example", "Asia/Shanghai", "高原新聞網")
    runs = {site: archive.start_run(site) for site in (qhnews, evening, mirror)}
    return archive, sessions, {"qhnews": qhnews, "xnwb": evening, "gaoyuan": mirror}, runs


def _store(archive, runs, site_id, record, at=T0):
    return archive.record(runs[site_id], site_id, [_fetch(record["url"], at)], record)


def _story_of(sessions, uid):
    with sessions() as session:
        return session.scalar(select(Article.story_id).where(Article.uid == uid))


# -- normalisation ---------------------------------------------------------------------------------


def test_normalisation_folds_script_width_punctuation_and_drops_bylines():
    simplified = "本报讯（记者 张三）西宁市今年新建改建农村公路１２０公里，惠及群众３万人。\n\n来源：青海日报\n\n责任编辑：李四"
    traditional = "西寧訊 西寧市今年新建改建農村公路120公里，惠及群眾3萬人。\n\n編輯：王五"
    assert normalize(simplified) == normalize(traditional) == "西宁市今年新建改建农村公路120公里惠及群众3万人"


def test_an_editors_note_and_a_reprint_note_are_not_part_of_the_story():
    body = "青海湖裸鲤资源量恢复到12.6万吨，是保护初期的46倍。"
    noted = f"编者按：今天起本报推出系列报道，敬请关注。\n\n{body}\n\n（本文转载自青海新闻网）"
    assert normalize(noted) == normalize(body)


@pytest.mark.parametrize("hostile", ["", "，。！？……", "\x00" * 50, "😀" * 300, "a" * 1_000_000, "\n\n" * 1000,
                                     "来源：" * 100, "\ufffd" * 200, "𬀩" * 80])
def test_hostile_texts_get_a_fingerprint_not_an_exception(hostile):
    print_ = fingerprint(hostile)
    assert print_.comparable == (len(normalize(hostile)) >= MIN_CHARS)
    if print_.comparable:
        assert len(print_.keys) == 32 and len(print_.signature) == 96 * 4


def test_resemblance_is_exact_jaccard():
    a, b = shingles("青海湖裸鲤资源量恢复"), shingles("青海湖裸鲤资源总量恢复")
    assert resemblance(a, a) == 1.0
    assert resemblance(a, b) == len(a & b) / len(a | b)
    assert resemblance(a, frozenset()) == 0.0


def _print(parts: set[str], figures: set[str]) -> Fingerprint:
    return Fingerprint(len(parts), frozenset(parts), frozenset(figures), b"", (1,))


def test_look_alikes_must_agree_on_their_numbers_unless_nearly_identical():
    skeleton = {f"s{i}" for i in range(60)}
    day_one, day_two = skeleton | {f"a{i}" for i in range(40)}, skeleton | {f"b{i}" for i in range(40)}
    # resemblance 60/140 = 0.43: below the threshold whatever the numbers
    assert same_story(_print(day_one, {"3", "15", "4"}), _print(day_two, {"3", "15", "4"})) is None
    close_one, close_two = skeleton | {"a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "a10", "a11", "a12"}, \
        skeleton | {"b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8", "b9", "b10", "b11", "b12"}
    score = 60 / 84  # above CERTAIN: one story, numbers or not
    assert same_story(_print(close_one, {"1", "2", "3"}), _print(close_two, {"7", "8", "9"})) == pytest.approx(score)
    ambiguous_one, ambiguous_two = skeleton | {f"a{i}" for i in range(20)}, skeleton | {f"b{i}" for i in range(20)}
    # 60/100 = 0.6: one story only if the figures agree (a trimmed copy keeps a subset of them)
    assert same_story(_print(ambiguous_one, {"2024", "6", "4", "15", "22"}),
                      _print(ambiguous_two, {"2024", "6", "8", "12", "19"})) is None
    assert same_story(_print(ambiguous_one, {"2024", "6", "4", "15", "22"}),
                      _print(ambiguous_two, {"2024", "6", "4", "15"})) == pytest.approx(0.6)
    # too few figures to judge by: the resemblance decides
    assert same_story(_print(ambiguous_one, {"6"}), _print(ambiguous_two, {"8"})) == pytest.approx(0.6)


def test_keys_are_the_same_in_another_process(records):
    """The band index lives in the database: a key computed by another process must match."""
    text_ = records[0]["text"]
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        keys = pool.apply(_keys_of, (text_,))
    assert keys == fingerprint(text_).keys


def _keys_of(text_: str) -> tuple[int, ...]:
    return fingerprint(text_).keys


# -- the original ----------------------------------------------------------------------------------


def _member(i, outlet, source, hour):
    """A copy published ``hour`` hours after T0 (None: undated), archived a day after T0."""
    return Member(i, outlet, source, T0 + timedelta(hours=hour) if hour is not None else None, T0 + timedelta(days=1))


def test_the_original_is_the_outlet_the_copies_name_as_source_even_when_published_later():
    members = [_member(1, "青海新闻网", "青海日报", 0), _member(2, "青海日报", "青海日报", 2),
               _member(3, "西宁晚报", "青海日报", 5)]
    assert choose_original(members).article_id == 2


def test_without_a_named_source_the_original_is_the_earliest_published():
    members = [_member(1, "青海新闻网", "青海新闻网", 3), _member(2, "西宁晚报", None, 1), _member(3, "高原新聞網", None, None)]
    assert choose_original(members).article_id == 2


def test_a_source_in_traditional_characters_names_the_same_outlet():
    members = [_member(1, "高原新聞網", "青海日報", 0), _member(2, "青海日报", "本报", 4)]
    assert choose_original(members).article_id == 2


# -- the detector in the archive -------------------------------------------------------------------


def test_copies_on_other_sites_join_one_story_and_each_stays_an_article(outlets, records):
    archive, sessions, sites, runs = outlets
    original = records[0]
    assert _store(archive, runs, sites["qhnews"], original)[0] == "stored"
    copy = _copy(original, "www.xnwb.example", title="【关注】" + original["title"], text=_trimmed(original["text"]),
                 source_outlet="青海新闻网")
    import opencc

    mirror = _copy(original, "www.gaoyuan.example", title=opencc.OpenCC("s2t").convert(original["title"]),
                   text=opencc.OpenCC("s2t").convert(original["text"]), source_outlet="青海新聞網")
    uids = [_store(archive, runs, sites["qhnews"], original)[1],
            _store(archive, runs, sites["xnwb"], copy, T0 + timedelta(hours=3))[1],
            _store(archive, runs, sites["gaoyuan"], mirror, T0 + timedelta(hours=5))[1]]
    assert len(set(uids)) == 3  # three articles, their own URLs and titles
    assert len({_story_of(sessions, uid) for uid in uids}) == 1
    with sessions() as session:
        [view] = list_stories(session, min_copies=2)
    assert view.copies == 3 and view.outlets == 3
    assert [c["outlet"] for c in view.carried_by][0] == "青海新闻网"
    assert view.original["article_id"] == uids[0]
    assert all(c["similarity"] is None or c["similarity"] >= 0.5 for c in view.carried_by)


def test_different_reports_stay_apart(outlets, records):
    archive, sessions, sites, runs = outlets
    uids = [_store(archive, runs, sites["qhnews"], r)[1] for r in records[:8]]
    assert len({_story_of(sessions, uid) for uid in uids}) == 8
    with sessions() as session:
        assert list_stories(session, min_copies=2) == []
        assert session.scalar(select(func.count()).select_from(ArticleBand)) == 8 * 32


def test_bulletins_with_one_skeleton_and_other_numbers_are_not_one_story(outlets):
    archive, sessions, sites, runs = outlets
    places = ["西宁", "海东", "海北", "黄南", "海南", "果洛", "玉树", "海西"]
    skies = ["晴", "多云", "阴", "小雨", "阵雨", "雷阵雨", "晴转多云", "多云转阴"]

    def bulletin(day: int) -> dict:
        lines = [f"据青海省气象台{6}月{day}日发布的预报，今天白天到夜间，全省大部地区天气以{skies[day % 8]}为主。"]
        for i, place in enumerate(places):
            low, high = (day * 3 + i * 5) % 12, 14 + (day * 7 + i * 3) % 15
            lines.append(f"{place}地区{skies[(day + i) % 8]}，气温{low}到{high}摄氏度，{['东', '西', '南', '北'][(day + i) % 4]}风{(day + i) % 4 + 2}到{(day + i) % 4 + 3}级。")
        lines.append("气象部门提醒，早晚温差较大，请注意适时增减衣物，出行注意交通安全。")
        url = f"http://www.xnwb.example/html/2024/06{day:02d}/{day}.html"
        return {"url": url, "canonical_url": url, "page_urls": [url], "title": f"6月{day}日全省天气预报",
                "subtitle": None, "column": None, "section": "天气", "source_outlet": "西宁晚报", "authors": [],
                "correspondents": [], "photographers": [], "editor": None, "bylines_raw": {},
                "published_at": f"2024-06-{day:02d}T07:00:00+08:00", "published_precision": "minute",
                "updated_at": None, "language": "zh", "text": "\n\n".join(lines), "images": [], "quality_flags": [],
                "extraction": {"extractor_version": "test"}}

    uids = [_store(archive, runs, sites["xnwb"], bulletin(day))[1] for day in range(1, 9)]
    assert len({_story_of(sessions, uid) for uid in uids}) == 8


def test_a_bridging_copy_merges_two_stories_and_the_old_id_still_resolves(outlets, records):
    archive, sessions, sites, runs = outlets
    original = records[1]
    paragraphs = original["text"].split("\n\n")
    assert len(paragraphs) >= 4
    half = len(paragraphs) // 2
    # two copies that share only half the story each (too little to be matched with each other)
    first = _copy(original, "www.xnwb.example", text="\n\n".join(paragraphs[:half + 1]))
    second = _copy(original, "www.gaoyuan.example", text="\n\n".join(paragraphs[half - 1:]))
    uid_a = _store(archive, runs, sites["xnwb"], first)[1]
    uid_b = _store(archive, runs, sites["gaoyuan"], second)[1]
    a, b = _story_of(sessions, uid_a), _story_of(sessions, uid_b)
    assert a != b, "the halves matched each other directly: this record no longer makes a bridge"
    with sessions() as session:
        old_uid = session.get(Story, max(a, b)).uid
    uid_c = _store(archive, runs, sites["qhnews"], original)[1]  # the whole story: the same as both
    stories = {_story_of(sessions, uid) for uid in (uid_a, uid_b, uid_c)}
    assert stories == {min(a, b)}
    with sessions() as session:
        [view] = list_stories(session, min_copies=0, uid=old_uid)
        assert view.copies == 3
        assert session.get(Story, max(a, b)).merged_into_id == min(a, b)


def test_an_edited_article_keeps_its_story_and_its_band_keys_follow_the_text(outlets, records):
    archive, sessions, sites, runs = outlets
    record = records[2]
    _outcome, uid = _store(archive, runs, sites["qhnews"], record)
    story = _story_of(sessions, uid)
    edited = {**record, "text": record["text"] + "\n\n（更正：本文第二段数据有误，已更正。）"}
    assert _store(archive, runs, sites["qhnews"], edited)[0] == "changed"
    assert _story_of(sessions, uid) == story
    with sessions() as session:
        article_id = session.scalar(select(Article.id).where(Article.uid == uid))
        keys = set(session.scalars(select(ArticleBand.band_key).where(ArticleBand.article_id == article_id)))
    assert keys == set(fingerprint(edited["text"]).keys)


def test_an_exact_duplicate_on_one_site_is_still_one_article(outlets, records):
    archive, sessions, sites, runs = outlets
    record = records[3]
    _store(archive, runs, sites["qhnews"], record)
    alias = {**record, "url": record["url"].replace(".shtml", "_copy.shtml")}
    alias["canonical_url"] = alias["url"]
    assert _store(archive, runs, sites["qhnews"], alias)[0] == "duplicate"
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 1
        assert session.scalar(select(func.count()).select_from(Story)) == 1


def test_articles_from_before_stories_are_indexed_oldest_first(outlets, records):
    archive, sessions, sites, runs = outlets
    original = records[4]
    uid_a = _store(archive, runs, sites["qhnews"], original)[1]
    uid_b = _store(archive, runs, sites["xnwb"], _copy(original, "www.xnwb.example", text=_trimmed(original["text"])))[1]
    with sessions.begin() as session:  # as an archive migrated from schema 0004 holds them
        session.execute(text("UPDATE articles SET story_id = NULL, story_similarity = NULL, signature = NULL"))
        session.execute(text("DELETE FROM article_bands"))
        session.execute(text("DELETE FROM stories"))
    assert index_missing(sessions, T0) == 2
    assert _story_of(sessions, uid_a) == _story_of(sessions, uid_b) is not None
    assert index_missing(sessions, T0) == 0


def test_export_carries_the_story_and_one_row_per_story(outlets, records):
    archive, sessions, sites, runs = outlets
    original = records[5]
    _store(archive, runs, sites["qhnews"], original, T0)
    _store(archive, runs, sites["xnwb"], _copy(original, "www.xnwb.example", text=_trimmed(original["text"]),
                                               published_at="2024-06-15T09:00:00+08:00"), T0 + timedelta(days=1))
    _store(archive, runs, sites["qhnews"], records[6])
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    every = list(iter_records(sessions))
    assert len(every) == 3
    for record in every:
        jsonschema.validate(record, schema, format_checker=jsonschema.FormatChecker())
    assert every[0]["story_id"] == every[1]["story_id"] != every[2]["story_id"]
    assert [r["story_original"] for r in every] == [True, False, True]
    assert [r["story_copies"] for r in every] == [2, 2, 1]
    assert every[1]["outlet"] == "西宁晚报"
    once = list(iter_records(sessions, one_per_story=True))
    for record in once:
        jsonschema.validate(record, schema, format_checker=jsonschema.FormatChecker())
    assert [r["article_id"] for r in once] == [every[0]["article_id"], every[2]["article_id"]]
    assert [c["outlet"] for c in once[0]["carried_by"]] == ["青海新闻网", "西宁晚报"]


def test_two_processes_storing_copies_at_once_make_one_story(archive, records, tmp_path):
    """The band index is in the database: writers in separate processes see each other's copies."""
    _archive, sessions, _site = archive
    url = str(sessions.kw["bind"].url.render_as_string(hide_password=False))
    original = records[7]
    copies = [_copy(original, f"www.outlet{i}.example", text=_trimmed(original["text"], 3 + i)) for i in range(4)]
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        pool.starmap(_store_in_process, [(url, f"outlet{i}", copy) for i, copy in enumerate(copies)])
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 4
        assert session.scalar(select(func.count(func.distinct(Article.story_id)))) == 1
        assert session.scalar(select(func.count()).select_from(Story).where(Story.merged_into_id.is_(None))) == 1


def _store_in_process(url: str, name: str, record: dict) -> None:
    engine, sessions = open_archive(url)
    archive = Archive(sessions)
    site = archive.site(name, f"http://www.{name}.example", "Asia/Shanghai", name)
    run = archive.start_run(site)
    archive.record(run, site, [_fetch(record["url"])], record)
    engine.dispose()


# -- found in review ------------------------------------------------------------------------------


def test_a_body_paragraph_that_opens_with_a_label_word_is_kept():
    assert normalize("记者从省气象局获悉，今年以来全省平均气温偏高1.2摄氏度。") == "记者从省气象局获悉今年以来全省平均气温偏高12摄氏度"
    assert normalize("（记者 张三）今年以来全省平均气温偏高1.2摄氏度。") == "今年以来全省平均气温偏高12摄氏度"
    assert normalize("文化是旅游的灵魂。\n\n图/新华社") == "文化是旅游的灵魂"


def test_a_huge_text_is_compared_by_its_beginning_only():
    from storage.similarity import MAX_CHARS

    huge = "青海湖裸鲤资源量恢复到12.6万吨。" * 200_000  # 3.4 million characters
    assert len(normalize(huge)) == MAX_CHARS
    assert fingerprint(huge).comparable


def test_a_new_version_that_changes_date_or_source_chooses_the_original_again(outlets, records):
    archive, sessions, sites, runs = outlets
    record = records[8]
    _store(archive, runs, sites["qhnews"], {**record, "published_at": "2024-06-10T08:00:00+08:00",
                                             "source_outlet": "青海新闻网"})
    copy = _copy(record, "www.xnwb.example", text=_trimmed(record["text"]), source_outlet="西宁晚报",
                 published_at="2024-06-11T08:00:00+08:00")
    _outcome, copy_uid = _store(archive, runs, sites["xnwb"], copy)
    with sessions() as session:
        [view] = list_stories(session)
    assert view.original["site"] == "qhnews"
    # the site corrects its copy: it came from 西宁晚报, a day later than first shown
    corrected = {**record, "published_at": "2024-06-11T20:00:00+08:00", "source_outlet": "西宁晚报",
                 "text": record["text"] + "\n\n（更正：本文来源应为西宁晚报。）"}
    assert _store(archive, runs, sites["qhnews"], corrected)[0] == "changed"
    with sessions() as session:
        [view] = list_stories(session)
    assert view.original["article_id"] == copy_uid


def test_an_outlet_named_later_chooses_the_originals_again(archive, records):
    """An archive from before outlets were recorded: its sites have none until crawled again."""
    archive, sessions, qhnews = archive
    daily = archive.site("qhrb", "http://www.qhrb.example", "Asia/Shanghai")  # no outlet yet
    runs = {qhnews: archive.start_run(qhnews), daily: archive.start_run(daily)}
    record = records[9]
    _store(archive, runs, qhnews, {**record, "source_outlet": "青海日报", "published_at": "2024-06-10T08:00:00+08:00"})
    _outcome, original_uid = _store(archive, runs, daily, _copy(record, "www.qhrb.example", text=_trimmed(record["text"]),
                                                                source_outlet="青海日报",
                                                                published_at="2024-06-10T12:00:00+08:00"))
    with sessions() as session:
        assert list_stories(session)[0].original["site"] == "qhnews"  # nobody names "qhrb" as 来源
    archive.site("qhrb", "http://www.qhrb.example", "Asia/Shanghai", "青海日报")
    with sessions() as session:
        assert list_stories(session)[0].original["article_id"] == original_uid


def test_two_processes_indexing_an_upgraded_archive_at_once_do_not_collide(archive, records):
    archive, sessions, site_id = archive
    run = archive.start_run(site_id)
    for record in records[:10]:
        archive.record(run, site_id, [_fetch(record["url"])], record)
    with sessions.begin() as session:  # as an archive migrated from schema 0004 holds them
        session.execute(text("UPDATE articles SET story_id = NULL, story_similarity = NULL, signature = NULL"))
        session.execute(text("DELETE FROM article_bands"))
        session.execute(text("DELETE FROM stories"))
    url = str(sessions.kw["bind"].url.render_as_string(hide_password=False))
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        done = pool.map(_index_in_process, [url, url])
    assert sum(done) == 10
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Article).where(Article.story_id.is_(None))) == 0
        assert session.scalar(select(func.count()).select_from(Story)) == 10


def _index_in_process(url: str) -> int:
    engine, sessions = open_archive(url)
    try:
        return index_missing(sessions, T0, batch=1)
    finally:
        engine.dispose()
