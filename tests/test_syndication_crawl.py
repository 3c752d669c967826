"""`newsarchive demo` crawls Qinghai News and the simulated outlets that republish its stories,
over real HTTP with the real spider; the archive's stories must be the generator's, exactly."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from sqlalchemy import func, select

from scraper.replica.server import ReplicaServer
from storage.db import open_archive
from storage.models import Article, ArticleUrl, Site, Story
from tests.conftest import run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo, run as a user runs it, in a folder of its own: (folder, truth, sessions)."""
    folder = tmp_path_factory.mktemp("demo")
    done = run_cli("demo", cwd=folder, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "stories with several copies" in done.stdout
    truth = json.loads((folder / "data" / "replica" / "_truth.json").read_text(encoding="utf-8"))
    _engine, sessions = open_archive(str(folder / "data" / "demo.db"))
    return folder, truth, sessions, done.stdout


def _truth_story_of(truth) -> dict[str, str]:
    """Every stored article URL (on its real origin) -> its story in the ground truth."""
    story = {a["url"]: a["story"] for a in truth["articles"] if a["outcome"] == "stored"}
    for outlet in truth["outlets"]:
        story.update({a["url"]: a["story"] for a in outlet["articles"]})
    return story


def test_the_archive_groups_copies_exactly_as_the_ground_truth(demo):
    _folder, truth, sessions, _out = demo
    expected = _truth_story_of(truth)
    with sessions() as session:
        rows = session.execute(select(ArticleUrl.url, Article.id, Article.story_id)
                               .join(Article, Article.id == ArticleUrl.article_id)).all()
    found = {url: (article, story) for url, article, story in rows if url in expected}
    assert set(found) == set(expected), "every article of every outlet archived"
    # one archived article per URL group; compare partitions of archived articles
    truth_groups, archive_groups = defaultdict(set), defaultdict(set)
    for url, (article, story) in found.items():
        truth_groups[expected[url]].add(article)
        archive_groups[story].add(article)
    assert sorted(map(sorted, truth_groups.values())) == sorted(map(sorted, archive_groups.values()))


def test_every_syndicated_story_lists_its_outlets_and_its_original(demo):
    folder, truth, _sessions, _out = demo
    done = run_cli("stories", "--db", str(folder / "data" / "demo.db"), "--json", "--limit", "0", cwd=folder)
    assert done.returncode == 0, done.stderr
    listed = [json.loads(line) for line in done.stdout.splitlines()]
    syndicated = {slug: urls for slug, urls in truth["syndication"]["stories"].items() if len(urls) > 1}
    assert len(listed) == len(syndicated)  # every story carried twice or more, nothing else
    by_urls = {frozenset(c["url"] for c in story["carried_by"]): story for story in listed}
    originals = {a["url"] for o in truth["outlets"] for a in o["articles"] if a["kind"] == "original"}
    for slug, urls in syndicated.items():
        story = by_urls[frozenset(urls)]
        assert story["copies"] == len(urls) and story["outlets"] == len(urls), slug
        original = story["original"]["url"]
        # the outlet the copies name as 来源 when it carried the story, else the earliest published copy
        named = [u for u in urls if u in originals]
        assert original == (named[0] if named else urls[0]), slug


def test_export_one_row_per_story_and_story_ids_everywhere(demo):
    folder, _truth, sessions, _out = demo
    rows = [json.loads(line) for line in (folder / "data" / "demo.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows and all(r["story_id"] for r in rows)
    out = folder / "once.jsonl"
    done = run_cli("export", "--db", str(folder / "data" / "demo.db"), "--one-per-story", "-o", str(out), cwd=folder)
    assert done.returncode == 0, done.stderr
    once = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(once) == len({r["story_id"] for r in rows})
    assert len({r["story_id"] for r in once}) == len(once)
    assert all(r["story_original"] for r in once)
    assert sum(len(r["carried_by"]) for r in once) == len(rows)
    with sessions() as session:
        outlets = set(session.scalars(select(Site.outlet)))
        assert outlets == {"青海新闻网", "青海日报", "西宁晚报", "海东时报", "高原新聞網"}


def test_a_second_crawl_of_an_outlet_adds_no_story_and_moves_no_copy(demo):
    folder, truth, sessions, _out = demo
    with sessions() as session:
        before = dict(session.execute(select(Article.id, Article.story_id)).all())
        stories = session.scalar(select(func.count()).select_from(Story))
    outlet = next(o for o in truth["outlets"] if o["name"] == "gaoyuan")
    with ReplicaServer(folder / "data" / "replica") as server:
        done = run_cli("crawl", outlet["profile"], "--base-url", server.base_url, "--db", str(folder / "data" / "demo.db"),
                       "--fast", "--revisit-all", cwd=folder)
    assert done.returncode == 0, done.stdout + done.stderr
    with sessions() as session:
        assert dict(session.execute(select(Article.id, Article.story_id)).all()) == before
        assert session.scalar(select(func.count()).select_from(Story)) == stories


def test_stories_command_filters_and_errors(demo):
    folder, _truth, _sessions, _out = demo
    db = str(folder / "data" / "demo.db")
    every = run_cli("stories", "--db", db, "--json", "--limit", "0", cwd=folder)
    listed = [json.loads(line) for line in every.stdout.splitlines()]
    unbounded = run_cli("stories", "--db", db, "--json", "--limit", "0", "--since", "0001-01-01", cwd=folder)
    assert unbounded.returncode == 0, unbounded.stderr
    assert len(unbounded.stdout.splitlines()) == len(listed)
    assert all(story["first_published_at"].endswith("+08:00") for story in listed)
    later = run_cli("stories", "--db", db, "--json", "--limit", "0", "--since", "2024-06-10", cwd=folder)
    assert 0 < len(later.stdout.splitlines()) < len(listed)
    one = run_cli("stories", "--db", db, "--json", "--id", listed[-1]["story_id"], "--since", "2099-01-01", cwd=folder)
    assert [json.loads(line)["story_id"] for line in one.stdout.splitlines()] == [listed[-1]["story_id"]]
    table = run_cli("stories", "--db", db, "--limit", "1", cwd=folder)
    assert table.returncode == 0 and "original" in table.stdout
    for bad, says in ((["--id", "0000000000000000"], "no story"), (["--since", "June"], "not a date"),
                      (["--min-copies", "0"], "min-copies")):
        done = run_cli("stories", "--db", db, *bad, cwd=folder)
        assert done.returncode == 2 and says in done.stderr, (bad, done.stderr)
