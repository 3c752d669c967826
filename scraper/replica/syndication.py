"""Simulated outlets that carry the replica's stories: who prints what, and how each copy differs.

Syndication detection groups every copy of one story across outlets. To measure it,
the replica adds four simulated outlets (hosts under the reserved ``.example`` TLD):
the provincial daily and the evening paper print the originals of the stories the
corpus credits to them, earlier than Qinghai News; the others republish with the
variation real copies show (rewritten titles, trimmed or swapped paragraphs, editor's
notes, other 来源 and reporter lines, datelines, traditional characters, later
times). The hard negatives of ``bulletins`` are added, with the few a second outlet
republishes. Everything is decided by seeded random draws per story and outlet, so
the same corpus always gives the same copies.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from .bulletins import REPUBLISHED, Bulletin, hard_negatives
from .corpus import CorpusArticle

TZ = ZoneInfo("Asia/Shanghai")
PROFILE_DIR = Path(__file__).parent / "outlets"
QHNEWS = "青海新闻网"


@dataclass(frozen=True)
class Outlet:
    name: str  # the site profile's name
    outlet: str  # the outlet's name, as a 来源 line prints it
    host: str
    codec: str  # how its pages are encoded
    meta_charset: str  # what their <meta> declares
    content_type: str  # what the server's header says
    self_alias: str  # what its own stories' 来源 line may say instead of its name
    sections: tuple[tuple[str, str], ...]  # (folder key, name)
    time_format: str  # how it prints a publication time (its precision too)
    editors: tuple[str, ...]
    traditional: bool = False  # prints everything in traditional characters

    @property
    def origin(self) -> str:
        return f"http://{self.host}"

    @property
    def profile(self) -> Path:
        return (PROFILE_DIR / f"{self.name}.toml").resolve()

    def section_name(self, key: str) -> str:
        return dict(self.sections)[key]


OUTLETS = (
    Outlet("qhrb", "青海日报", "www.qhrb.example", "gbk", "gb2312", "text/html", "本报",
           (("yw", "要闻"), ("sz", "时政")), "%Y-%m-%d %H:%M", ("王瑞", "李欣", "张海鹰")),
    Outlet("xnwb", "西宁晚报", "www.xnwb.example", "utf-8", "utf-8", "text/html; charset=utf-8", "本报",
           (("bd", "本地"), ("ms", "民生")), "%Y-%m-%d %H:%M:%S", ("易娜", "刘小兵")),
    Outlet("hdsb", "海东时报", "www.hdsb.example", "utf-8", "utf-8", "text/html; charset=utf-8", "本报",
           (("hdxw", "海东新闻"), ("hhyh", "河湟夜话")), "%Y年%m月%d日 %H:%M", ("马成", "祁晓红")),
    Outlet("gaoyuan", "高原新聞網", "www.gaoyuan.example", "utf-8", "utf-8", "text/html; charset=utf-8", "本網",
           (("qinghai", "青海"),), "%Y/%m/%d %H:%M:%S", ("林思妤",), traditional=True),
)
BY_NAME = {o.name: o for o in OUTLETS}


def outlet_profiles() -> list[Path]:
    """The site profiles of the simulated outlets (a crawl of the replica may take them all)."""
    return [o.profile for o in OUTLETS]


@cache
def _to_traditional():
    import opencc

    return opencc.OpenCC("s2t").convert


@dataclass
class Copy:
    """One outlet's page of one story, as printed."""

    outlet: Outlet
    story: str
    kind: str  # copy, original, hard_negative:<kind>
    section: str  # the outlet's section folder key
    title: str
    paragraphs: list[str]  # as printed, the dateline in the first
    source: str  # the 来源 line's value
    author_label: str | None  # what precedes the reporters' names ("本报记者 ", "记者：", ""); None: no such line
    authors: list[str]
    published: datetime  # as printed (the outlet's precision)
    editor: str
    kicker: str | None = None  # a 【column】 line above the title
    subtitle: str | None = None
    variations: list[str] = field(default_factory=list)
    path: str = ""  # set when the outlet's site is laid out

    @property
    def url(self) -> str:
        return self.outlet.origin + self.path

    @property
    def source_outlet(self) -> str:
        """What an extractor must report: the outlet's own name where the line says 本报."""
        return self.outlet.outlet if self.source in (self.outlet.self_alias, self.outlet.outlet) else self.source

    def expected(self) -> dict:
        return {
            "title": self.title,
            "paragraphs": list(self.paragraphs),
            "published_at": self.published.isoformat(),
            "source_outlet": self.source_outlet,
            "authors": list(self.authors),
        }


def _printed(outlet: Outlet, moment: datetime) -> datetime:
    """The time as the outlet prints it: a format without seconds drops them."""
    return datetime.strptime(moment.strftime(outlet.time_format), outlet.time_format).replace(tzinfo=TZ)


def _traditional(copy: Copy) -> Copy:
    convert = _to_traditional()
    copy.title = convert(copy.title)
    copy.paragraphs = [convert(p) for p in copy.paragraphs]
    copy.source = convert(copy.source)
    copy.author_label = convert(copy.author_label) if copy.author_label else copy.author_label
    copy.authors = [convert(n) for n in copy.authors]
    copy.kicker = convert(copy.kicker) if copy.kicker else None
    copy.subtitle = convert(copy.subtitle) if copy.subtitle else None
    copy.variations.append("traditional")
    return copy


# -- which stories, on which outlets ----------------------------------------------------------------

# How many stories of each origin are syndicated: the originals of the daily and the
# evening paper, Qinghai News' own stories, and stories of other papers.
_QUOTAS = {"青海日报": 20, "西宁晚报": 12, "qhnews": 20, "other": 8}
# Besides Qinghai News: (outlets that must carry it, outlets that may, how many of those).
_CARRIERS = {
    "青海日报": (("qhrb",), ("xnwb", "hdsb", "gaoyuan"), (0, 1, 1, 2, 3)),
    "西宁晚报": (("xnwb",), ("hdsb", "gaoyuan"), (0, 1, 1, 2)),
    "qhnews": ((), ("xnwb", "hdsb", "gaoyuan"), (1, 1, 2, 2, 3)),
    "other": ((), ("xnwb", "hdsb", "gaoyuan"), (1, 1, 2, 3)),
}


def _origin(article: CorpusArticle) -> str:
    if article.source_outlet in ("青海日报", "西宁晚报"):
        return article.source_outlet
    return "qhnews" if article.source_outlet in (QHNEWS, "本网") else "other"


def _key(*parts: str) -> str:
    return hashlib.sha1(":".join(parts).encode()).hexdigest()


def choose_stories(articles: list[CorpusArticle]) -> list[tuple[CorpusArticle, tuple[str, ...]]]:
    """(story, outlets carrying it besides Qinghai News) for the syndicated stories, by publication."""
    taken: dict[str, int] = {}
    chosen = []
    for article in sorted(articles, key=lambda a: _key("syndicate", a.slug)):
        origin = _origin(article)
        if taken.get(origin, 0) >= _QUOTAS[origin]:
            continue
        taken[origin] = taken.get(origin, 0) + 1
        must, may, counts = _CARRIERS[origin]
        rng = random.Random(_key("carriers", article.slug))
        extra = set(rng.sample(may, rng.choice(counts)))
        chosen.append((article, tuple(o.name for o in OUTLETS if o.name in must or o.name in extra)))
    return sorted(chosen, key=lambda c: (c[0].published_at, c[0].slug))


# -- how a copy differs --------------------------------------------------------------------------------

_ENDINGS = (("见闻", "纪实"), ("开工", "开建"), ("投用", "投入使用"), ("启动", "开启"), ("贯通", "全线贯通"),
            ("升温", "持续升温"), ("回落", "有所回落"), ("上市", "陆续上市"), ("预警", "预警信息"))
_NOTE_TAILS = ("这篇报道在读者中引起不少反响，本报今日予以转发，以飨读者。",
               "本报今日转发这篇报道，与读者一同关注。")


def _clauses(title: str) -> list[str]:
    return [c for c in re.split(r"\s+|，|：", title) if c]


def retitle(article: CorpusArticle, rng: random.Random) -> tuple[str, str]:
    """(variation, new title) by one of the rewrites editors apply, chosen among those that fit."""
    title = article.title
    options = [("title_prefix", ("关注：" if title.startswith(("青海", "西宁")) else "青海：") + title)]
    parts = _clauses(title)
    longest = max(parts, key=len)
    if len(parts) >= 2 and len(longest) >= 6:
        options.append(("title_shortened", longest))
    if len(parts) == 2:
        options.append(("title_reordered", f"{parts[1]}，{parts[0]}"))
    if article.subtitle and "系列报道" not in article.subtitle and rng.random() < 0.5:  # the subtitle is the news
        return "title_from_subtitle", article.subtitle.lstrip("—")
    ending = next(((old, new) for old, new in _ENDINGS if title.endswith(old) and not title.endswith(new)), None)
    if ending:
        options.append(("title_reworded", title[: -len(ending[0])] + ending[1]))
    if article.images:
        options.append(("title_suffix", title + "（图）"))
    return rng.choice(options)


def trim(paragraphs: list[str], rng: random.Random) -> list[str] | None:
    """The story cut from the end by 10-30% (a subheading is not left last); None when it is too short."""
    n = len(paragraphs)
    if n < 4:
        return None
    end = n - max(1, int(n * rng.uniform(0.1, 0.3)))
    while end > 1 and len(paragraphs[end - 1]) <= 16:
        end -= 1
    return paragraphs[:end] if 0 < n - end <= 0.3 * n else None


def swap(paragraphs: list[str], rng: random.Random) -> list[str] | None:
    """Two neighbouring paragraphs of the middle in the other order; None when there are none."""
    candidates = [i for i in range(1, len(paragraphs) - 2) if min(len(paragraphs[i]), len(paragraphs[i + 1])) > 16]
    if not candidates:
        return None
    i = rng.choice(candidates)
    return [*paragraphs[:i], paragraphs[i + 1], paragraphs[i], *paragraphs[i + 2:]]


def _names(authors) -> str:
    return " ".join(authors)


def original_copy(article: CorpusArticle, outlet: Outlet) -> Copy:
    """The outlet's own story, as it printed it first: minutes to a day before Qinghai News."""
    rng = random.Random(_key("original", article.slug, outlet.name))
    qhnews_time = datetime.strptime(article.published_at, "%Y-%m-%d %H:%M:%S").replace(tzinfo=TZ)
    variations = ["published_earlier"]
    dateline = rng.choice(["", "本报讯 ", f"本报讯（记者 {_names(article.authors)}）"])
    if dateline:
        variations.append("dateline")
    source = outlet.outlet
    if rng.random() < 0.4:
        source = outlet.self_alias
        variations.append("source_self_alias")
    paragraphs = list(article.paragraphs)
    paragraphs[0] = dateline + paragraphs[0]
    return Copy(
        outlet=outlet, story=article.slug, kind="original", section=outlet.sections[0][0], title=article.title,
        paragraphs=paragraphs, source=source, author_label="本报记者 ",
        authors=list(article.authors), editor=rng.choice(outlet.editors), subtitle=article.subtitle,
        kicker=article.column if outlet.name == "qhrb" else None,  # the daily prints it as the 引题
        published=_printed(outlet, qhnews_time - timedelta(minutes=rng.randint(15, 22 * 60))),
        variations=variations,
    )


def _republished_source(article: CorpusArticle, rng: random.Random) -> tuple[str, list[str]]:
    """The outlet a republisher names: where the story came from, or Qinghai News, whence it took it."""
    if _origin(article) == "qhnews":
        return QHNEWS, []
    if rng.random() < 0.4:
        return QHNEWS, ["source_via_qhnews"]
    return article.source_outlet, []


def republished_copy(article: CorpusArticle, outlet: Outlet) -> Copy:
    """Another outlet's copy of a story: minutes to two days after Qinghai News, with a mix of changes."""
    rng = random.Random(_key("copy", article.slug, outlet.name))
    qhnews_time = datetime.strptime(article.published_at, "%Y-%m-%d %H:%M:%S").replace(tzinfo=TZ)
    variations = ["published_later"]
    title = article.title
    if outlet.name == "xnwb" or rng.random() < 0.5:  # the evening paper always writes its own headline
        rewrite, title = retitle(article, rng)
        variations.append(rewrite)
    paragraphs = list(article.paragraphs)
    if rng.random() < 0.45:
        trimmed = trim(paragraphs, rng)
        if trimmed:
            paragraphs = trimmed
            variations.append("paragraphs_trimmed")
    if rng.random() < 0.25:
        swapped = swap(paragraphs, rng)
        if swapped:
            paragraphs = swapped
            variations.append("paragraphs_swapped")
    source, named = _republished_source(article, rng)
    variations += named
    author_label: str | None = rng.choice({"xnwb": ("记者 ", "记者："), "hdsb": ("记者：", "作者：", "记者 "),
                                           "gaoyuan": ("记者", "作者", "")}[outlet.name])
    dateline = ""
    draw = rng.random()
    if outlet.name == "hdsb" and draw < 0.3:  # the reporters named only in the dateline
        dateline, author_label = f"西宁讯（记者 {_names(article.authors)}）", None
        variations.append("authors_in_dateline")
    elif draw < 0.55:
        dateline = "西宁讯 "
        variations.append("dateline")
    paragraphs[0] = dateline + paragraphs[0]
    # (not above a dateline that alone names the reporters: the extractor reads those in the first paragraph only)
    if outlet.name in ("xnwb", "hdsb") and rng.random() < 0.2 and author_label is not None:
        paragraphs.insert(0, f"编者按：{article.title}——{rng.choice(_NOTE_TAILS)}")
        variations.append("editor_note")
    if outlet.name != "xnwb" and rng.random() < 0.3:
        retitled = f"，原题为《{article.title}》" if title != article.title else ""
        paragraphs.append(f"（本文转载自{source}{retitled}）")
        variations.append("reprint_note")
    if author_label is not None and not author_label.startswith("记者"):  # 作者：…, or the names alone
        variations.append("reporter_line")
    copy = Copy(
        outlet=outlet, story=article.slug, kind="copy", section=outlet.sections[0][0], title=title,
        paragraphs=paragraphs, source=source, author_label=author_label, authors=list(article.authors),
        editor=rng.choice(outlet.editors),
        published=_printed(outlet, qhnews_time + timedelta(minutes=rng.randint(5, 48 * 60))),
        variations=variations,
    )
    return _traditional(copy) if outlet.traditional else copy


# -- hard negatives ------------------------------------------------------------------------------------

_BULLETIN_AUTHOR_LABEL = {"meeting": None, "weather": "记者：", "price": "记者：", "column": "作者："}


def bulletin_copy(bulletin: Bulletin) -> Copy:
    outlet = BY_NAME[bulletin.outlet]
    rng = random.Random(_key("bulletin", bulletin.slug))
    paragraphs = list(bulletin.paragraphs)
    paragraphs[0] = bulletin.dateline + paragraphs[0]
    return Copy(
        outlet=outlet, story=bulletin.slug, kind=f"hard_negative:{bulletin.kind}", section=bulletin.section,
        title=bulletin.title, paragraphs=paragraphs, source=outlet.outlet, kicker=bulletin.column,
        author_label=_BULLETIN_AUTHOR_LABEL[bulletin.kind],
        authors=list(bulletin.authors), published=_printed(outlet, bulletin.published),
        editor=rng.choice(outlet.editors),
    )


def _bulletin_title(bulletin: Bulletin) -> tuple[str, str]:
    if bulletin.kind == "meeting":
        return "title_prefix", "青海" + bulletin.title
    if bulletin.kind == "weather":
        return "title_reworded", bulletin.title.replace("天气：", "天气预报：")
    if bulletin.kind == "price":
        return "title_reworded", bulletin.title.replace("市场价格监测", "“菜篮子”价格")
    return "title_prefix", f"{bulletin.column}｜{bulletin.title}"


def republished_bulletin(bulletin: Bulletin, outlet: Outlet) -> Copy:
    """A second outlet's copy of a hard negative, the same day: lightly changed, the same story."""
    original = BY_NAME[bulletin.outlet]
    rng = random.Random(_key("bulletin-copy", bulletin.slug, outlet.name))
    rewrite, title = _bulletin_title(bulletin)
    variations = ["published_later", rewrite, "source_named"]
    paragraphs = list(bulletin.paragraphs)
    if rng.random() < 0.5:  # one paragraph of the middle left out (never a column's intro or outro)
        del paragraphs[len(paragraphs) - 2]
        variations.append("paragraphs_trimmed")
    dateline = bulletin.dateline.replace("本报讯", f"{original.outlet}讯")
    if dateline != bulletin.dateline:
        variations.append("dateline")
    paragraphs[0] = dateline + paragraphs[0]
    label = None if not bulletin.authors else "作者：" if bulletin.kind == "column" else "记者 "
    copy = Copy(
        outlet=outlet, story=bulletin.slug, kind=f"hard_negative:{bulletin.kind}", section=outlet.sections[0][0],
        title=title, paragraphs=paragraphs, source=original.outlet,
        author_label=label,
        authors=list(bulletin.authors), editor=rng.choice(outlet.editors),
        published=_printed(outlet, bulletin.published + timedelta(minutes=rng.randint(40, 5 * 60))),
        variations=variations,
    )
    return _traditional(copy) if outlet.traditional else copy


def plan_copies(articles: list[CorpusArticle]) -> list[Copy]:
    """Every outlet page: syndicated stories (``articles`` are the candidates), hard negatives and their copies."""
    copies = []
    for article, carriers in choose_stories(articles):
        origin = _origin(article)
        for name in carriers:
            outlet = BY_NAME[name]
            is_original = outlet.outlet == origin
            copies.append(original_copy(article, outlet) if is_original else republished_copy(article, outlet))
    for bulletin in hard_negatives():
        copies.append(bulletin_copy(bulletin))
        if bulletin.slug in REPUBLISHED:
            copies.append(republished_bulletin(bulletin, BY_NAME[REPUBLISHED[bulletin.slug]]))
    return copies
