"""Writing the simulated outlets' sites and their ground truth.

Each outlet is a folder ``<hosts_dir>/<host>/`` with its pages in its own URL scheme
and encoding, section lists paged by a 下一页 link, a home page, robots.txt, a 404 page
and a ``_manifest.json`` in the main site's format, so the replica server answers
requests for that host from it.
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from pathlib import Path

from .corpus import CorpusArticle
from .outlet_pages import ROBOTS, OutletArticleView, article_page, home_page, list_page, not_found_page
from .pages import Link
from .syndication import OUTLETS, TZ, Copy, Outlet, plan_copies

PAGE_SIZE = 10
RELATED = 5


def article_path(outlet: Outlet, when: datetime, index: int) -> str:
    """Where the outlet's ``index``-th article (in publication order) lives, by its URL scheme."""
    if outlet.name == "qhrb":
        return f"/content/{when:%Y-%m}/{when:%d}/content_{1180000 + index * 13 + (index * 7) % 10}.htm"
    if outlet.name == "xnwb":
        return f"/html/{when:%Y}/{when:%m%d}/{52000 + index * 3}.html"
    if outlet.name == "hdsb":
        return f"/news/{when:%Y%m%d}/{0xa1b20 + index * 0x35:x}.shtml"
    return f"/news/{when:%Y-%m-%d}/n{880000 + index * 11}.html"


def list_files(outlet: Outlet, key: str, pages: int) -> tuple[str, list[str]]:
    """(section folder, the path of each list page): the first is the folder itself."""
    folder = f"/node_{key}/" if outlet.name == "qhrb" else f"/{key}/"
    later = {"qhrb": "index_{n}.htm", "xnwb": "list_{n}.html", "hdsb": "index_{n}.shtml", "gaoyuan": "p{n}.html"}
    return folder, [folder] + [folder + later[outlet.name].format(n=n) for n in range(2, pages + 1)]


def _index_file(outlet: Outlet) -> str:
    return {"qhrb": "index.htm", "hdsb": "index.shtml"}.get(outlet.name, "index.html")


def _pager(paths: list[str], current: int) -> list[tuple[str, str | None]]:
    pager: list[tuple[str, str | None]] = []
    if current > 0:
        pager += [("首页", paths[0]), ("上一页", paths[current - 1])]
    pager += [(str(n + 1), None if n == current else path) for n, path in enumerate(paths)]
    if current + 1 < len(paths):
        pager += [("下一页", paths[current + 1]), ("尾页", paths[-1])]
    return pager


class _Site:
    """One outlet's folder and manifest, written page by page."""

    def __init__(self, root: Path, outlet: Outlet):
        self.root, self.outlet = root, outlet
        self.manifest: dict[str, dict] = {}
        root.mkdir(parents=True)

    def write(self, path: str, text: str, content_type: str | None = None) -> None:
        relative = path.lstrip("/")
        if relative == "" or relative.endswith("/"):
            relative += _index_file(self.outlet)
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode(self.outlet.codec, errors="xmlcharrefreplace"))
        self.manifest[path] = {"file": relative, "content_type": content_type or self.outlet.content_type,
                               "status": 200, "behaviour": None}

    def close(self) -> None:
        (self.root / "_manifest.json").write_text(json.dumps(self.manifest, ensure_ascii=False, indent=1),
                                                  encoding="utf-8")


def _link(copy: Copy) -> Link:
    return Link(title=copy.title, href=copy.url, date=f"{copy.published:%Y-%m-%d}")


def write_outlet(root: Path, outlet: Outlet, copies: list[Copy]) -> list[dict]:
    """Write one outlet's site; return the truth of its article pages."""
    site = _Site(root, outlet)
    ordered = sorted(copies, key=lambda c: (c.published, c.story))
    for index, copy in enumerate(ordered):
        copy.path = article_path(outlet, copy.published, index)
    sections = []
    for key, name in outlet.sections:
        entries = sorted((c for c in ordered if c.section == key), key=lambda c: (c.published, c.story), reverse=True)
        pages = [entries[i : i + PAGE_SIZE] for i in range(0, len(entries), PAGE_SIZE)] or [[]]
        folder, paths = list_files(outlet, key, len(pages))
        sections.append((name, folder))
        for number, (path, items) in enumerate(zip(paths, pages, strict=True)):
            html = list_page(outlet.name, (name, folder), [_link(c) for c in items], _pager(paths, number))
            site.write(path, html)
            if number == 0:
                site.write(folder + _index_file(outlet), html)
        for position, copy in enumerate(entries):  # newest first: the previous article is the next entry
            rng = random.Random(f"related:{outlet.name}:{copy.story}")
            others = [c for c in ordered if c is not copy]
            view = OutletArticleView(
                title=copy.title, section=(name, folder), source=copy.source, author_label=copy.author_label,
                authors=copy.authors, time_line=copy.published.strftime(outlet.time_format), editor=copy.editor,
                paragraphs=copy.paragraphs, kicker=copy.kicker, subtitle=copy.subtitle,
                related=[_link(c) for c in rng.sample(others, min(RELATED, len(others)))],
                previous=_link(entries[position + 1]) if position + 1 < len(entries) else None,
                following=_link(entries[position - 1]) if position > 0 else None,
            )
            site.write(copy.path, article_page(outlet.name, view))
    site.write("/", home_page(outlet.name, outlet.outlet, sections))
    site.write("/robots.txt", ROBOTS[outlet.name], "text/plain")
    site.write("/404.html", not_found_page(outlet.name, outlet.outlet))
    site.close()
    return [{"url": c.url, "story": c.story, "kind": c.kind, "variations": list(c.variations), "expected": c.expected()}
            for c in ordered]


def build_outlets(hosts_dir: Path, stories: list[tuple[CorpusArticle, str]]) -> tuple[list[dict], dict]:
    """Write every outlet under ``hosts_dir``; ``stories`` are the Qinghai News articles that may be
    syndicated, with their URLs. Returns (truth["outlets"], truth["syndication"])."""
    qhnews = {article.slug: (url, article.published_at) for article, url in stories}
    copies = plan_copies([article for article, _url in stories])
    outlets = []
    for outlet in OUTLETS:
        articles = write_outlet(hosts_dir / outlet.host, outlet, [c for c in copies if c.outlet is outlet])
        outlets.append({"name": outlet.name, "outlet": outlet.outlet, "host": outlet.host, "origin": outlet.origin,
                        "profile": str(outlet.profile), "articles": articles})
    carried: dict[str, list[tuple[str, str]]] = {}
    for copy in copies:
        carried.setdefault(copy.story, []).append((copy.published.isoformat(), copy.url))
    for slug, entries in carried.items():
        if slug in qhnews:
            url, published = qhnews[slug]
            when = datetime.strptime(published, "%Y-%m-%d %H:%M:%S").replace(tzinfo=TZ)
            entries.append((when.isoformat(), url))
    stories_urls = {slug: [url for _when, url in sorted(entries)] for slug, entries in sorted(carried.items())}
    return outlets, {"stories": stories_urls}
