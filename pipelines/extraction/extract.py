"""Pages to Article: the pure function at the centre of the archive.

``extract_article(pages, rules)`` takes the bytes of an article's pages (one, or
several for a multi-page article) and the site's rules, and returns an Article or
raises ExtractionFailed with a reason code. It reads no files, opens no
connections and keeps no state, so the whole archive can be re-extracted offline.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from lxml import etree

from . import bylines as bylines_mod
from . import fields
from .body import clean_paragraphs, is_subtitle
from .dates import META_DATE_KEYS, DateValue, choose, json_ld_dates, parse_datetime, script_epoch, url_date
from .decode import decode_html
from .html import clean_title, clean_tree, has_stray_end_tags, head_meta, parse_html
from .layout import PageTree, View, generic_view, select_template, template_view
from .quality import quality_flags
from .script import has_flattened_ruby, unflatten_ruby
from .types import EXTRACTOR_VERSION, Article, Decoding, Extraction, ExtractionFailed, PageRecord, RawPage, SiteRules

_MAX_REPLACED_SHARE = 0.05  # beyond this the bytes are not text in any charset we tried
_MARKUP = re.compile(r"<(?:!doctype|html|head|body|div|p|table|meta|title|span|a|br|h[1-6])\b", re.IGNORECASE)
# "……（文/图 刘玺东 易赛楠）" closing the last paragraph: a byline, not prose.
_CLOSING_CREDIT = re.compile(r"\s*[（(]\s*((?:文/图|图/文|文|记者|作者|撰文|编辑)\s*[/／:：]?\s*[^（）()]{2,30})[）)]\s*$")
_DATELINE = re.compile(r"^.{0,24}?[（(]\s*((?:本报|本网|特约)?(?:记者|通讯员)[^（）()]{1,40})[）)]")
# "2019年11月25日 18:57 参考消息": a portal prints the source outlet after the time, unlabelled.
_DATE_THEN_NAME = re.compile(
    r"^(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}日?\s*(?:\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?\s*"
    r"(?P<name>[\u4e00-\u9fff][\u4e00-\u9fff·\-－]{1,14})\s*(?:\[(?:整理|原创|转载|编译)\])?\s*\d*\s*$"
)


_DATE = r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}日?\s*(?:\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?"
_NAME_THEN_DATE = re.compile(rf"^(?:原创\s+)?(?P<name>[\u4e00-\u9fff][\u4e00-\u9fff·\-－]{{1,14}})\s+{_DATE}\s*$")
_AUTHOR_SLASH_OUTLET = re.compile(r"^(?P<author>[\u4e00-\u9fff]{2,4})\s*[/／]\s*(?P<name>[\u4e00-\u9fff]{2,15})$")
_OUTLET_ALONE = re.compile(r"^(?P<name>[\u4e00-\u9fff]{2,15})$")
_OUTLET_SUFFIX = re.compile(r"(报|社|网|台|新闻|周刊|杂志|频道|客户端|在线|广播|传媒)$")


@dataclass
class _Page:
    tree: PageTree
    decoding: Decoding


def _parse(page: RawPage, rules: SiteRules) -> _Page:
    if not page.body:
        raise ExtractionFailed("no_content", "empty response body")
    text, decoding = decode_html(page.body, page.content_type, rules.default_charset)
    if decoding.replacement_chars > _MAX_REPLACED_SHARE * len(text):
        raise ExtractionFailed("decode_error", f"{decoding.replacement_chars} undecodable characters as {decoding.used_charset}")
    if not _MARKUP.search(text[:65536]):
        raise ExtractionFailed("not_html", "no HTML markup in the response")
    try:
        root = parse_html(text, stray_end_tags=has_stray_end_tags(page.body))
    except (ValueError, etree.ParserError) as exc:
        raise ExtractionFailed("not_html", str(exc)) from None
    clean_tree(root, rules.remove_selectors)
    if has_flattened_ruby(text):  # "內(nèi)": ruby a mirror already flattened into text
        for element in root.iter():
            if element.text and "(" in element.text:
                element.text = unflatten_ruby(element.text)
            if element.tail and "(" in element.tail:
                element.tail = unflatten_ruby(element.tail)
    return _Page(PageTree(page, root, text), decoding)


def _date_candidates(view: View, found: bylines_mod.Bylines, meta: dict[str, str], markup: str, url: str,
                     tz: ZoneInfo, fetched_at) -> DateValue | None:
    """Every date the page offers, most trusted first; the first plausible one wins.

    The sources that cost a scan of the whole markup (JSON-LD, script variables)
    are read only when nothing before them gave a plausible date.
    """
    year = _year_hint(url, meta, fetched_at, tz)

    def candidates() -> Iterator[DateValue | None]:
        if view.direct_date:
            yield parse_datetime(view.direct_date, tz, year, "template")
        if found.published_at:
            yield parse_datetime(found.published_at, tz, year, "label")
        for line in view.header:
            yield parse_datetime(line, tz, year, "text")
        for key in META_DATE_KEYS:
            if key in meta:
                yield parse_datetime(meta[key], tz, year, f"meta:{key}")
        for value in json_ld_dates(markup[:200_000]):
            yield parse_datetime(value, tz, year, "json-ld")
        script_date = script_epoch(markup)
        if script_date is not None:
            yield DateValue(script_date.astimezone(tz), "second", "script")

    # without a fetch time (one page shown by `extract`), "now" is the latest a page can be from
    return choose((c for c in candidates() if c), tz, url, fetched_at or datetime.now(timezone.utc))


def _year_hint(url: str, meta: dict[str, str], fetched_at, tz: ZoneInfo) -> int | None:
    """The year of a date printed without one ("10-08 12:00"): from the URL, a meta date, the fetch."""
    from_url = url_date(url)
    if from_url:
        return from_url.year
    for key in (*META_DATE_KEYS, "dateupdate", "lastmodifiedtime"):
        match = re.search(r"(?:19|20)\d{2}", meta.get(key, ""))
        if match:
            return int(match.group(0))
    return fetched_at.astimezone(tz).year if fetched_at else None


def _bylines(view: View, paragraphs: list[str]) -> bylines_mod.Bylines:
    """Labelled fields: dedicated elements first, then the lines above, then below the body."""
    found = bylines_mod.Bylines()
    found.merge(view.direct)
    found.merge(bylines_mod.parse_lines(view.header))
    found.merge(bylines_mod.parse_lines(view.footer))
    if found.source is None:
        _unlabelled_source(view.header, found)
    if not found.source or not found.authors:
        for line in view.header:
            if "|" in line or "｜" in line:
                found.merge(bylines_mod.segment_labels(line))
    if not found.authors and paragraphs:
        dateline = _DATELINE.match(paragraphs[0])  # "新京报快讯（记者 裴剑飞）今日……"
        if dateline:
            found.merge(bylines_mod.dateline_names(dateline.group(1)))
    return found


def _byline_source(name: str, found: bylines_mod.Bylines, view: View) -> str:
    """Where a byline field came from: a dedicated element, a labelled line, or nowhere."""
    key = {"source_outlet": "source"}.get(name, name)
    value = getattr(found, key)
    if not value:
        return "none"
    if getattr(view.direct, key) == value:
        return "element"
    return "label" if key in found.raw else "text"


def _updated_at(found: bylines_mod.Bylines, meta: dict[str, str], tz: ZoneInfo):
    """When the page says it was updated (更新时间, article:modified_time), if it does."""
    for text in (found.updated_at, meta.get("article:modified_time"), meta.get("og:updated_time")):
        value = parse_datetime(text, tz, None, "updated") if text else None
        if value:
            return value.value
    return None


def _unlabelled_source(header: list[str], found: bylines_mod.Bylines) -> None:
    """Portals print the outlet without a label next to the time, or alone, or after the author."""
    for line in header:
        for pattern in (_DATE_THEN_NAME, _NAME_THEN_DATE, _AUTHOR_SLASH_OUTLET, _OUTLET_ALONE):
            match = pattern.match(line)
            if (match and match.group("name") not in bylines_mod.NOT_A_NAME
                    and (pattern is not _OUTLET_ALONE or _OUTLET_SUFFIX.search(match.group("name")))):
                found.source = match.group("name")
                found.raw.setdefault("source", line)
                if pattern is _AUTHOR_SLASH_OUTLET and not found.authors:
                    found.authors = [match.group("author")]
                return


def _closing_credit(paragraphs: list[str]) -> tuple[list[str], bylines_mod.Bylines]:
    """The last paragraph without a closing "（文/图 …）" credit, and what the credit says."""
    match = _CLOSING_CREDIT.search(paragraphs[-1]) if paragraphs else None
    credit = bylines_mod.parse_line(match.group(1)) if match else bylines_mod.Bylines()
    if not credit.raw:
        return paragraphs, credit
    rest = paragraphs[-1][: match.start()].rstrip()
    return (paragraphs[:-1] + [rest]) if rest else paragraphs[:-1], credit


def extract_article(pages: Sequence[RawPage], rules: SiteRules) -> Article:
    """One article from its pages, in order. Raises ExtractionFailed with a reason code."""
    if not pages:
        raise ExtractionFailed("no_content", "no pages")
    for page in pages:
        try:
            urlsplit(page.url).port  # noqa: B018 - raises on a malformed host or port
            page.url.encode("utf-8")
        except (ValueError, UnicodeError):
            raise ExtractionFailed("extraction_error", f"the page URL {page.url!r} is not an address") from None
    parsed = [_parse(page, rules) for page in pages]
    lead = parsed[0].tree
    url, root = lead.raw.url, lead.root
    meta = head_meta(root)
    tz = ZoneInfo(rules.timezone or fields.infer_zone(root))
    template = select_template(root, url, rules.templates)
    # read from the tree before a generic body extraction consumes it
    canonical = fields.canonical_url(root, url, rules)
    crumbs = fields.breadcrumbs(root, rules, template)
    declared_language = (root.get("lang") or root.get("xml:lang") or "").strip().lower()
    trees = [p.tree for p in parsed]
    view = template_view(trees, template, rules) if template else generic_view(trees, meta, rules)
    view.title = clean_title(view.title or "")
    if not view.title:
        raise ExtractionFailed("no_title", "no headline in a template, <h1>, og:title or <title>")
    section, section_source = fields.section(crumbs, view.title, url, rules)

    subtitle = view.subtitle or next((line for line in view.header if is_subtitle(line)), None)
    paragraphs = view.paragraphs
    if subtitle is None and paragraphs and is_subtitle(paragraphs[0]):
        subtitle = paragraphs[0]
    drop = set(view.captions) | {view.title} | ({f"【{view.column}】"} if view.column else set())
    drop |= {subtitle} if subtitle else set()
    paragraphs = clean_paragraphs(paragraphs, drop=drop, boilerplate_markers=rules.boilerplate_markers)
    paragraphs, credit = _closing_credit(paragraphs)
    if not paragraphs:
        raise ExtractionFailed("no_content", "no body text found")
    text = "\n\n".join(paragraphs)

    found = _bylines(view, paragraphs)
    found.merge(credit)
    updated = _updated_at(found, meta, tz)
    published = _date_candidates(view, found, meta, lead.markup, url, tz, lead.raw.fetched_at)
    replacement_chars = sum(p.decoding.replacement_chars for p in parsed)
    flags = quality_flags(text, replacement_chars)
    if published is None:
        flags.append("no_date")
    photographers = list(dict.fromkeys(found.photographers + [n for i in view.images for n in i.photographers]))
    sources = {
        "title": view.title_source,
        "section": section_source,
        "published_at": published.source if published else "none",
        **{name: _byline_source(name, found, view) for name in ("source_outlet", "authors", "editor")},
    }
    return Article(
        site=rules.site,
        canonical_url=canonical,
        url=url,
        title=view.title,
        subtitle=subtitle,
        column=view.column,
        section=section,
        source_outlet=fields.resolve_outlet(found.source, rules),
        authors=found.authors,
        correspondents=found.correspondents,
        photographers=photographers,
        editor=found.editor,
        bylines_raw=dict(found.raw),
        published_at=published.value if published else None,
        published_precision=published.precision if published else None,
        updated_at=updated,
        language=fields.language(declared_language, text, rules),
        text=text,
        page_urls=[p.tree.raw.url for p in parsed],
        images=view.images,
        quality_flags=flags,
        extraction=Extraction(
            method=view.method,
            extractor_version=EXTRACTOR_VERSION,
            pages=[PageRecord(p.tree.raw.url, p.decoding) for p in parsed],
            sources=sources,
        ),
    )
