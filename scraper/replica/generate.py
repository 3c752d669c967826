"""Build the offline replica of Qinghai News from the hand-written corpus.

``build_site(out_dir)`` writes a static site (pages in their real encodings), a
``_manifest.json`` telling the server each path's headers and behaviour, and a
``_truth.json`` with what every page must yield: the ground truth that tests and
benchmarks score against. The same corpus and seed always give the same site.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo

from .corpus import CorpusArticle, load_corpus
from .outlet_sites import build_outlets
from .pages import ArticleView, Block, Link, Picture, article_page, list_page, not_found_page

ORIGIN = "http://www.qhnews.com"
TZ = ZoneInfo("Asia/Shanghai")
SITE_OUTLET = "青海新闻网"
SELF_OUTLET_ALIASES = ("本网",)
DATELINE = "青海新闻网·大美青海客户端讯 "
LIST_PAGE_SIZE = 15
TRACKING_QUERY = "?from=timeline&utm_source=wechat&utm_medium=social"
TRACKING_ONLY_QUERY = "?spm=zm1033-001.0.0.1.a7Xq2B&from=singlemessage&isappinstalled=0"


@dataclass(frozen=True)
class Section:
    name: str
    list_dir: str  # where its list pages live
    article_dir: str  # where its articles live
    crumbs: tuple[tuple[str, str], ...]
    absolute_links: bool  # list pages link articles by absolute URL on the real host


SECTIONS = {
    "党建": Section("党建", "/dj/", "/dj/", (("党建", "/dj/"),), True),
    "新闻中心": Section("新闻中心", "/newscenter/", "/newscenter/", (("新闻中心", "/newscenter/"),), True),
    "本网原创": Section(
        "本网原创", "/newscenter/yc/", "/newscenter/", (("新闻中心", "/newscenter/"), ("本网原创", "/newscenter/yc/")), False
    ),
    "青海旅游": Section("青海旅游", "/qhly/", "/qhly/", (("青海旅游", "/qhly/"),), False),
}


@dataclass(frozen=True)
class Encoding:
    """How a page is encoded, what its meta tag says and what the server's header says."""

    codec: str
    meta: str | None
    content_type: str


ENCODINGS = {
    "gbk": Encoding("gbk", "gb2312", "text/html"),
    "gbk-declared": Encoding("gbk", "gb2312", "text/html; charset=gb2312"),
    "utf-8": Encoding("utf-8", "utf-8", "text/html; charset=utf-8"),
    "header-utf8-body-gbk": Encoding("gbk", "gb2312", "text/html; charset=utf-8"),
    "header-gbk-body-utf8": Encoding("utf-8", "utf-8", "text/html; charset=gbk"),
    "meta-gb2312-body-utf8": Encoding("utf-8", "gb2312", "text/html"),
    "header-latin1-body-gbk": Encoding("gbk", "gb2312", "text/html; charset=ISO-8859-1"),
    "undeclared-gbk": Encoding("gbk", None, "text/html"),
    "gb18030": Encoding("gb18030", "gb2312", "text/html"),
}
# Most pages are GBK declaring gb2312, as on the real site; one in five disagrees with itself.
_ENCODING_CYCLE = [
    "gbk", "gbk-declared", "gbk", "utf-8", "gbk", "gbk-declared", "header-utf8-body-gbk", "gbk",
    "utf-8", "gbk-declared", "header-gbk-body-utf8", "gbk", "utf-8", "gbk", "meta-gb2312-body-utf8",
    "gbk-declared", "header-latin1-body-gbk", "gbk", "utf-8", "undeclared-gbk",
]
_TIME_FORMATS = {"a": "%Y-%m-%d %H:%M:%S", "b": "%Y年%m月%d日 %H:%M", "c": "%Y-%m-%d %H:%M:%S"}
_RUBY = {"內": "nèi", "網": "wǎng", "區": "qū", "現": "xiàn", "與": "yǔ", "發": "fā", "鄉": "xiāng", "這": "zhè",
         "統": "tǒng", "環": "huán", "導": "dǎo", "質": "zhì", "態": "tài", "場": "chǎng"}
_RARE_EDITOR = "李\U0002c029"
EDITS = ("title_fix", "title_fix", "paragraph_added", "paragraph_added", "correction", "correction")
REMOVALS = ("removed_404", "removed_redirect", "removed_notice")
LATE = 6  # the newest articles appear only in the second snapshot  # 𬀩: a name character outside GBK, encodable only in GB18030


@dataclass
class Planned:
    """One article of the replica and the decisions taken for it."""

    article: CorpusArticle
    number: str
    section: Section
    template: str
    encoding: str
    traits: set[str]
    expected_flags: tuple[str, ...] = ()  # what the extractor must flag on this article's text

    @property
    def date(self) -> datetime:
        return datetime.strptime(self.article.published_at, "%Y-%m-%d %H:%M:%S").replace(tzinfo=TZ)

    def path(self, section: Section | None = None, number: str | None = None) -> str:
        d = self.date
        directory = (section or self.section).article_dir
        return f"{directory}system/{d:%Y/%m/%d}/{number or self.number}.shtml"


class ReplicaError(ValueError):
    """The replica cannot be written where asked (the folder holds something else)."""


def _number(index: int) -> str:
    return f"{30300000 + index * 1237 + (index * 7919) % 1000:09d}"


def _stable_pick(items: list[Planned], key: str, taken: set[int], predicate) -> Planned:
    candidates = [p for p in items if id(p) not in taken and predicate(p)]
    if not candidates:
        raise RuntimeError(f"the corpus has no article suitable for the {key!r} trap")
    choice = sorted(candidates, key=lambda p: hashlib.sha1(f"{key}:{p.article.slug}".encode()).hexdigest())[0]
    taken.add(id(choice))
    return choice


def plan(articles: list[CorpusArticle]) -> list[Planned]:
    ordered = sorted(articles, key=lambda a: (a.published_at, a.slug))
    planned = [
        Planned(
            article=a,
            number=_number(i),
            section=SECTIONS[a.section],
            template="abc"[i % 3],
            encoding=_ENCODING_CYCLE[i % len(_ENCODING_CYCLE)],
            traits=set(),
        )
        for i, a in enumerate(ordered)
    ]
    taken: set[int] = set()

    def trait(name: str, predicate, template: str | None = None, encoding: str | None = None) -> None:
        chosen = _stable_pick(planned, name, taken, predicate)
        chosen.traits.add(name)
        if template:
            chosen.template = template
        if encoding:
            chosen.encoding = encoding

    trait("multipage", lambda p: len(p.article.paragraphs) >= 10 and p.article.images, template="a", encoding="gbk")
    trait("two_sections", lambda p: p.article.section == "党建" and 4 <= len(p.article.paragraphs) <= 8)
    trait("traditional_ruby", lambda p: p.article.section == "新闻中心" and len(p.article.body) > 400, encoding="gbk")
    trait("mojibake", lambda p: any(any(c.isdigit() for c in para[8:]) for para in p.article.paragraphs[1:]),
          encoding="gbk")
    trait("gb18030", lambda p: True, encoding="gb18030")
    trait("truncated", lambda p: len(p.article.body) > 600)
    trait("retry_500", lambda p: True)
    trait("tracking_only", lambda p: p.article.section == "本网原创")
    for _ in range(5):
        trait("tracking", lambda p: p.article.section == "新闻中心")
    # The second snapshot of the site: edits, takedowns and articles published since.
    for kind in EDITS + REMOVALS:
        trait(kind, lambda p: not p.traits and len(p.article.paragraphs) >= 3)
    for p in [p for p in reversed(planned) if not p.traits][:LATE]:
        p.traits.add("late")
    return planned


def _as_published(p: Planned, snapshot: int) -> CorpusArticle:
    """The article as the site shows it in ``snapshot`` (edits appear in the second)."""
    a = p.article
    if "title_fix" in p.traits and snapshot == 1:  # a doubled character, fixed later
        middle = len(a.title) // 2
        return dataclasses.replace(a, title=a.title[:middle] + a.title[middle - 1] + a.title[middle:])
    if "paragraph_added" in p.traits and snapshot == 2:
        added = f"截至记者发稿时，围绕“{a.title}”的相关工作仍在推进，本网将持续关注后续进展。"
        return dataclasses.replace(a, paragraphs=(*a.paragraphs, added))
    if "correction" in p.traits and snapshot == 2:
        note = f"（更正：本文首发时第二段中有关数据表述有误，已于{p.date:%m月%d日}更正。特此说明。）"
        return dataclasses.replace(a, paragraphs=(*a.paragraphs, note))
    return a


# -- rendering one article ---------------------------------------------------------------------------


def _pad(name: str) -> str:
    """Two-character names are printed padded to three columns ("易 娜")."""
    return f"{name[0]} {name[1]}" if len(name) == 2 else name


def _convert(planned: Planned):
    """Text as printed: traditional characters for the one article published so."""
    if "traditional_ruby" not in planned.traits:
        return lambda text: text
    import opencc

    converter = opencc.OpenCC("s2t")
    return converter.convert


def _with_ruby(html_text: str) -> str:
    for char, pinyin in _RUBY.items():
        html_text = html_text.replace(char, f"<ruby>{char}<rp>(</rp><rt>{pinyin}</rt><rp>)</rp></ruby>")
    return html_text


def _image_caption_is_file_name(file: str) -> bool:
    return int(hashlib.sha1(file.encode()).hexdigest(), 16) % 4 == 0


def _expected(planned: Planned, section: Section, pages: list[str], conv) -> dict:
    a = planned.article
    paragraphs = [conv(p) for p in a.paragraphs]
    if _has_dateline(planned):
        paragraphs[0] = DATELINE + paragraphs[0]
    precision_format = _TIME_FORMATS[planned.template]
    shown = datetime.strptime(planned.date.strftime(precision_format), precision_format).replace(tzinfo=TZ)
    outlet = SITE_OUTLET if a.source_outlet in SELF_OUTLET_ALIASES else conv(a.source_outlet)
    d = planned.date
    images = []
    for img in a.images:
        cms_default = _image_caption_is_file_name(img.file)
        images.append(
            {
                "url": f"{ORIGIN}/pic/{d:%Y/%m/%d}/{img.file}",
                "caption": None if cms_default else conv(img.caption),
                "photographers": [] if cms_default else [conv(n) for n in img.photographers],
            }
        )
    return {
        "title": conv(a.title),
        "column": conv(a.column) if a.column else None,
        "subtitle": conv(a.subtitle) if a.subtitle else None,
        "section": section.name,
        "source_outlet": outlet,
        "authors": [conv(n) for n in a.authors],
        "editor": _RARE_EDITOR if "gb18030" in planned.traits else conv(a.editor),
        "published_at": shown.isoformat(),
        "paragraphs": paragraphs,
        "images": images,
        "quality_flags": list(planned.expected_flags),
        "page_urls": [ORIGIN + p for p in pages],
    }


def _has_dateline(planned: Planned) -> bool:
    a = planned.article
    return a.source_outlet in ("青海新闻网",) + SELF_OUTLET_ALIASES or int(planned.number) % 4 == 0


def _blocks(planned: Planned, paragraphs: list[str], start: int, conv) -> list[Block]:
    """Body blocks for paragraphs[start:start+len]: paragraphs with their images."""
    a = planned.article
    d = planned.date
    blocks = []
    by_position: dict[int, list] = {}
    for img in a.images:
        by_position.setdefault(img.after_paragraph, []).append(img)

    def pictures(position: int) -> list[Block]:
        out = []
        for img in by_position.get(position, []):
            stem = PurePosixPath(img.file).stem
            caption = stem if _image_caption_is_file_name(img.file) else conv(img.caption)
            out.append(Block(picture=Picture(src=f"/pic/{d:%Y/%m/%d}/{img.file}", alt=stem, caption_line=caption)))
        return out

    if start == 0:
        blocks += pictures(-1)
    for offset, text in enumerate(paragraphs):
        index = start + offset
        subheading = len(text) <= 16 and (text.endswith("——") or text[:2] in ("一、", "二、", "三、", "四、", "五、"))
        blocks.append(Block(text=text, subheading=subheading))
        blocks += pictures(index)
    return blocks


def _view(planned: Planned, section: Section, paragraphs: list[str], start: int, conv, related) -> ArticleView:
    a = planned.article
    template = planned.template
    authors_sep = "、" if template == "b" else " "
    editor = _RARE_EDITOR if "gb18030" in planned.traits else conv(a.editor)
    return ArticleView(
        template=template,
        meta_charset=ENCODINGS[planned.encoding].meta,
        title=conv(a.title),
        column=conv(a.column) if a.column else None,
        subtitle=conv(a.subtitle) if a.subtitle else None,
        crumbs=list(section.crumbs),
        section=section.name,
        source_line=conv(a.source_outlet),
        author_line=authors_sep.join(conv(n) for n in a.authors),
        editor_line=_pad(editor) if template in "ab" else editor,
        time_line=planned.date.strftime(_TIME_FORMATS[template]),
        blocks=_blocks(planned, paragraphs, start, conv),
        recommend=related[0],
        hot=related[1],
        hot_pictures=related[2],
        share_text=paragraphs,
        share_date=planned.date.strftime("%Y-%m-%d %H:%M"),
        br_paragraphs=template == "b" and int(planned.number) % 4 == 1,
    )


def _encode(text: str, encoding: Encoding) -> bytes:
    return text.encode(encoding.codec, errors="xmlcharrefreplace")


def _lose_a_byte(body: bytes, paragraph: str, codec: str) -> bytes:
    """Drop the lead byte of a character shortly before an ASCII digit: GBK byte loss."""
    encoded = paragraph.encode(codec)
    at = body.find(encoded)
    digit = next(i for i, c in enumerate(paragraph) if i >= 8 and c.isdigit())
    prefix = paragraph[: digit - 5].encode(codec)
    position = at + len(prefix)
    return body[:position] + body[position + 1 :]


# -- the whole site ----------------------------------------------------------------------------------


def _href(section: Section, path: str, query: str = "") -> str:
    return (ORIGIN + path if section.absolute_links else path) + query


def _related(planned: list[Planned], index: int, snapshot: int) -> tuple[list[Link], list[Link], list[Link]]:
    rng = random.Random(f"related:{planned[index].article.slug}")
    others = [p for i, p in enumerate(planned) if i != index and (snapshot == 2 or "late" not in p.traits)]
    picks = rng.sample(others, 26)

    def link(p: Planned, with_column: bool = False) -> Link:
        title = f"【{p.article.column}】{p.article.title}" if with_column and p.article.column else p.article.title
        href = ORIGIN + p.path() if rng.random() < 0.5 else p.path()
        return Link(title=title, href=href)

    return [link(p) for p in picks[:8]], [link(p, True) for p in picks[8:18]], [link(p) for p in picks[18:26]]


def build_site(out_dir: Path, articles: list[CorpusArticle] | None = None, snapshot: int = 1,
               outlets: bool = True) -> dict:
    """Write the replica into ``out_dir`` (replacing it) and return its ground truth.

    ``snapshot`` 2 is the same site later: some articles edited (a title fixed, a
    paragraph added, a correction note), some taken down (404, a redirect to their
    section, a deletion notice; lists still link them), some newly published.
    ``outlets`` adds the simulated outlets that carry its stories (served by Host
    header from ``_hosts/<host>/``, the same in both snapshots), with their truth in
    ``truth["outlets"]`` and every copy of each story in ``truth["syndication"]``.
    """
    if snapshot not in (1, 2):
        raise ValueError(f"snapshot must be 1 or 2, not {snapshot!r}")
    articles = load_corpus() if articles is None else articles
    planned = plan(articles)
    changes: dict[str, list] = {"edited": [], "removed": [], "new": []}
    if out_dir.exists():
        if not out_dir.is_dir():
            raise ReplicaError(f"{out_dir} is a file, not a folder; choose another folder for the replica")
        if any(out_dir.iterdir()) and not (out_dir / "_manifest.json").exists():
            raise ReplicaError(f"{out_dir} exists and is not a replica (no _manifest.json); "
                               "choose another folder or empty it: it is replaced, not merged")
        shutil.rmtree(out_dir)  # an earlier replica: replaced whole
    out_dir.mkdir(parents=True)
    manifest: dict[str, dict] = {}
    truth_articles: list[dict] = []

    def write(path: str, body: bytes, content_type: str, status: int = 200, behaviour: str | None = None) -> None:
        relative = path.lstrip("/")
        if relative == "" or relative.endswith("/"):
            relative += "index.shtml"
        target = out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        manifest[path] = {"file": relative, "content_type": content_type, "status": status, "behaviour": behaviour}
        if status == 302:
            manifest[path]["location"] = path.split("/system/")[0] + "/"  # the article's section list

    listed: dict[str, list[tuple[Planned, Link]]] = {name: [] for name in SECTIONS}
    for index, p in enumerate(planned):
        if "late" in p.traits and snapshot == 1:
            continue
        p.article = _as_published(p, snapshot)
        conv = _convert(p)
        encoding = ENCODINGS[p.encoding]
        related = _related(planned, index, snapshot)
        removal = next(iter(p.traits & set(REMOVALS)), None) if snapshot == 2 else None
        if removal:
            _write_removed(write, p, removal)
            changes["removed"].append({"url": ORIGIN + p.path(), "kind": removal})
            listed[p.section.name].append((p, Link(title=p.article.title, href=_href(p.section, p.path()),
                                                   date=f"{p.date:%Y-%m-%d}")))  # lists still link it
            continue
        if snapshot == 2:
            edit = next(iter(p.traits & set(EDITS)), None)
            if edit:
                changes["edited"].append({"url": ORIGIN + p.path(), "kind": edit})
            if "late" in p.traits:
                changes["new"].append({"url": ORIGIN + p.path()})
        placements = [(p.section, p.number)]
        if "two_sections" in p.traits:
            placements.append((SECTIONS["新闻中心"], _number(len(planned) + 1)))
        for section, number in placements:
            paragraphs = [conv(x) for x in p.article.paragraphs]
            if _has_dateline(p):
                paragraphs[0] = DATELINE + paragraphs[0]
            path = p.path(section, number)
            if "multipage" in p.traits:
                half = len(paragraphs) // 2
                second = path.replace(".shtml", "_2.shtml")
                parts = [(path, paragraphs[:half], 0), (second, paragraphs[half:], half)]
                name = PurePosixPath(path).name
                pager_for = {
                    path: [("1", None), ("2", PurePosixPath(second).name), ("下一页", PurePosixPath(second).name)],
                    second: [("上一页", name), ("1", name), ("2", None)],
                }
            else:
                parts = [(path, paragraphs, 0)]
                pager_for = {}
            for page_path, page_paragraphs, start in parts:
                view = _view(p, section, page_paragraphs, start, conv, related)
                view.pager = pager_for.get(page_path, [])
                html_text = article_page(view)
                if "traditional_ruby" in p.traits:
                    html_text = _with_ruby(html_text)
                body = _encode(html_text, encoding)
                if "mojibake" in p.traits and page_path == path:
                    target = next(x for x in page_paragraphs[1:] if any(c.isdigit() for c in x[8:]))
                    body = _lose_a_byte(body, target, encoding.codec)
                    damaged = body.decode(encoding.codec, errors="replace")
                    p.expected_flags = ("mojibake", "replacement_chars") if "\ufffd" in damaged else ("mojibake",)
                behaviour = "truncate" if "truncated" in p.traits else "fail_once" if "retry_500" in p.traits else None
                write(page_path, body, encoding.content_type, behaviour=behaviour)
            expected_outcome = {"truncated": ("failed", "truncated")}.get(
                next(iter(p.traits & {"truncated"}), ""), ("stored", None)
            )
            truth_articles.append(
                {
                    "url": ORIGIN + path,
                    "story": p.article.slug,
                    "template": p.template,
                    "encoding": p.encoding,
                    "traits": sorted(p.traits),
                    "outcome": expected_outcome[0],
                    "reason": expected_outcome[1],
                    "expected": _expected(p, section, [pp for pp, _, _ in parts], conv),
                }
            )
            query = ""
            if "tracking" in p.traits:
                query = TRACKING_QUERY
            if "tracking_only" in p.traits:
                query = TRACKING_ONLY_QUERY
            listed[section.name].append(
                (p, Link(title=conv(p.article.title), href=_href(section, path, query), date=f"{p.date:%Y-%m-%d}"))
            )

    traps = _write_traps(write)
    for name, entries in listed.items():
        _write_lists(write, SECTIONS[name], entries, traps)
    write("/", _encode(_home_page(), ENCODINGS["gbk"]), "text/html")
    write("/robots.txt", b"User-agent: *\nDisallow: /newscenter/nbgg/\nDisallow: /search/\n", "text/plain")
    write("/404.html", not_found_page().encode("gbk"), "text/html")
    truth = {
        "origin": ORIGIN,
        "snapshot": snapshot,
        "changes": changes if snapshot == 2 else None,
        "articles": truth_articles,
        "traps": traps,
        "stories": len({a["story"] for a in truth_articles}),
    }
    if outlets:  # only articles without traps are syndicated: their pages are the same in both snapshots
        candidates = [(p.article, ORIGIN + p.path()) for p in planned if not p.traits]
        truth["outlets"], truth["syndication"] = build_outlets(out_dir / "_hosts", candidates)
    (out_dir / "_manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    (out_dir / "_truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    return truth


def _write_removed(write, p: Planned, how: str) -> None:
    """A taken-down article: gone (404), sent to its section's list, or a deletion notice."""
    if how == "removed_404":
        return  # no file: the server answers 404
    if how == "removed_redirect":
        write(p.path(), b"<html><body>Moved</body></html>", "text/html", status=302)
        return
    notice = not_found_page().replace("对不起，您访问的页面不存在或已被删除", "对不起，该稿件已删除")
    write(p.path(), _encode(notice, ENCODINGS["gbk"]), "text/html")


def _write_traps(write) -> list[dict]:
    """Pages and links that must not become articles, each with the outcome it must get."""
    robots_path = "/newscenter/nbgg/system/2024/06/03/030500001.shtml"
    write(robots_path, _encode(not_found_page().replace("对不起，您访问的页面不存在或已被删除", "内部公告"),
                               ENCODINGS["gbk"]), "text/html")
    pdf_path = "/uploads/2024/06/13/qinghai-2023-tongjigongbao.pdf"
    write(pdf_path, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf")
    return [
        {"section": "新闻中心", "title": "内部公告：关于调整办公区域的通知", "href": ORIGIN + robots_path,
         "outcome": "skipped", "reason": "robots_forbidden"},
        {"section": "新闻中心", "title": "青海省2023年国民经济和社会发展统计公报（PDF全文）", "href": pdf_path,
         "outcome": "skipped", "reason": "not_html"},
        {"section": "党建", "title": "新华社：坚持和发展新时代“枫桥经验”", "href":
         "http://www.xinhuanet.com/politics/2024-06/10/c_1130159981.htm", "outcome": "skipped", "reason": "offsite"},
        {"section": "新闻中心", "title": "西宁市区部分路段临时交通管制的通告", "href":
         ORIGIN + "/newscenter/system/2024/05/20/030399991.shtml", "outcome": "failed", "reason": "not_found"},
    ]


def _write_lists(write, section: Section, entries: list[tuple[Planned, Link]], traps: list[dict]) -> None:
    entries = sorted(entries, key=lambda e: (e[0].date, e[0].number), reverse=True)
    links = [link for _, link in entries]
    pages = [links[i : i + LIST_PAGE_SIZE] for i in range(0, len(links), LIST_PAGE_SIZE)] or [[]]
    names = ["index.shtml"] + [f"index_{i}.shtml" for i in range(1, len(pages))]
    trap_links = [Link(t["title"], t["href"], "2024-06-13") for t in traps if t["section"] == section.name]
    for i, items in enumerate(pages):
        pager: list[tuple[str, str | None]] = []
        if i > 0:
            pager += [("首页", names[0]), ("上一页", names[i - 1])]
        pager += [(str(n + 1), None if n == i else names[n]) for n in range(len(pages))]
        if i + 1 < len(pages):
            pager += [("下一页", names[i + 1]), ("尾页", names[-1])]
        html_text = list_page(section.name, list(section.crumbs), items, pager, "gb2312",
                              extra=trap_links if i == 0 else None)
        path = section.list_dir + ("" if i == 0 else names[i])
        write(path, _encode(html_text, ENCODINGS["gbk"]), "text/html")
        if i == 0:
            write(section.list_dir + names[0], _encode(html_text, ENCODINGS["gbk"]), "text/html")


def _home_page() -> str:
    links = "".join(f'<li><a href="{s.list_dir}">{s.name}</a></li>' for s in SECTIONS.values())
    return (
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        f"<title>青海新闻网</title></head><body><h1>青海新闻网</h1><ul>{links}</ul></body></html>\n"
    )
