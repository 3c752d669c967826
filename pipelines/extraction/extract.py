"""Pages to Article: the pure function at the centre of the archive.

``extract_article(pages, rules)`` takes the bytes of an article's pages (one, or
several for a multi-page article) and the site's rules, and returns an Article or
raises ExtractionFailed with a reason code. It reads no files, opens no
connections and keeps no state, so the whole archive can be re-extracted offline.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import trafilatura
from lxml import etree, html

from . import bylines as bylines_mod
from .body import clean_paragraphs, container_paragraphs, images_in, is_subtitle
from .dates import META_DATE_KEYS, DateValue, choose, parse_datetime, url_date
from .decode import decode_html
from .html import clean_tree, css, element_text, first, head_meta, iter_lines, parse_html, text_lines
from .quality import quality_flags
from .script import fold, unflatten_ruby
from .types import (
    EXTRACTOR_VERSION,
    Article,
    Decoding,
    Extraction,
    ExtractionFailed,
    Image,
    PageRecord,
    RawPage,
    SiteRules,
    Template,
)
from .urls import canonicalize

_KICKER = re.compile(r"^【([^【】]{1,40})】\s*")
_BREADCRUMB_MARK = re.compile(r"(?:您|当前|當前|现在|現在|所在)[^：:\s]{0,4}位置\s*[：:]?")
_CRUMB_SPLIT = re.compile(r"\s*(?:>|＞|›|»|→|/|\|)\s*")
_FOOTER_LINES = 6
_MAX_REPLACED_SHARE = 0.05  # beyond this the bytes are not text in any charset we tried
_MARKUP = re.compile(r"<(?:!doctype|html|head|body|div|p|table|meta|title|span|a|br|h[1-6])\b", re.IGNORECASE)
_GENERIC_HEADER_LINES = 12
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class _Page:
    raw: RawPage
    root: html.HtmlElement
    decoding: Decoding


@dataclass
class _Layout:
    """Where a page keeps its parts: the title and body elements and the lines around them."""

    title_el: etree._Element | None
    body_el: etree._Element | None
    before_title: list[str]
    header: list[str]  # between the title and the body
    footer: list[str]  # the first lines after the body


def _parse(page: RawPage, rules: SiteRules) -> _Page:
    if not page.body:
        raise ExtractionFailed("no_content", "empty response body")
    text, decoding = decode_html(page.body, page.content_type, rules.default_charset)
    if decoding.replacement_chars > _MAX_REPLACED_SHARE * len(text):
        raise ExtractionFailed("decode_error", f"{decoding.replacement_chars} undecodable characters as {decoding.used_charset}")
    if not _MARKUP.search(text[:65536]):
        raise ExtractionFailed("not_html", "no HTML markup in the response")
    try:
        root = parse_html(text)
    except (ValueError, etree.ParserError) as exc:
        raise ExtractionFailed("not_html", str(exc)) from None
    clean_tree(root, rules.remove_selectors)
    for element in root.iter():  # "內(nèi)": ruby a mirror already flattened into text
        if element.text and "(" in element.text:
            element.text = unflatten_ruby(element.text)
        if element.tail and "(" in element.tail:
            element.tail = unflatten_ruby(element.tail)
    return _Page(page, root, decoding)


def select_template(root: etree._Element, url: str, templates: Sequence[Template]) -> Template | None:
    path = urlsplit(url).path
    for template in templates:
        if template.url_pattern and not re.search(template.url_pattern, path):
            continue
        if css(root, template.signature) and first(root, template.body) is not None:
            return template
    return None


def _layout(root: html.HtmlElement, title_el, body_el) -> _Layout:
    before, header, footer = [], [], []
    zone = "before"
    body = root.find("body")
    if body is None:
        body = root
    marks = {title_el, body_el} - {None}
    for kind, line in iter_lines(body, skip=body_el, marks=marks):
        if kind == "start" and line is title_el:
            zone = "title"
        elif kind == "end" and line is title_el:
            zone = "header"
        elif kind == "skip":
            zone = "footer"
        elif kind == "text":
            if zone == "before":
                before.append(line)
            elif zone == "header":
                header.append(line)
            elif zone == "footer" and len(footer) < _FOOTER_LINES:
                footer.append(line)
    return _Layout(title_el, body_el, before, header, footer)


def _strip_title_suffix(title: str, rules: SiteRules) -> str:
    """"标题_党建_青海新闻网" -> "标题": drop trailing site and section names."""
    noise = sorted(set(rules.site_names) | {name for _, name in rules.sections} | {rules.outlet}, key=len, reverse=True)
    folded = fold(title)
    if len(folded) != len(title):  # t2s maps character for character, almost always
        folded = title
    changed = True
    while changed:
        changed = False
        for name in noise:
            match = re.search(rf"\s*(?:_|\||｜|–|—|-{{1,2}})\s*{re.escape(name)}\s*$", folded)
            if match and match.start() > 0:
                title, folded, changed = title[: match.start()], folded[: match.start()], True
    return title.strip()


def _title(root, title_el, meta: dict[str, str], rules: SiteRules) -> tuple[str, str | None]:
    """(title, column): a leading 【…】 kicker is the column, not part of the title."""
    title = element_text(title_el) if title_el is not None else ""
    if not title:
        title = meta.get("og:title") or element_text(root.find(".//h1")) or element_text(root.find(".//title"))
        title = _strip_title_suffix(title, rules)
    kicker = _KICKER.match(title)
    if kicker and title[kicker.end() :].strip():
        return title[kicker.end() :].strip(), kicker.group(1).strip()
    return title.strip(), None


def _without_site_name(crumb: str, noise: set[str]) -> str:
    """"" for the site itself; "青海新闻网党建" (crumbs a mirror ran together) -> "党建"."""
    folded = fold(crumb)
    for name in sorted(noise, key=len, reverse=True):
        name = fold(name)
        if folded == name:
            return ""
        if folded.startswith(name) and len(folded) == len(crumb):
            return crumb[len(name) :].strip()
    return crumb


def _section(root, url: str, rules: SiteRules, template: Template | None) -> str | None:
    """The last breadcrumb that is not the site itself; else the profile's URL-prefix map."""
    noise = set(rules.site_names) | {rules.outlet, "首页", "正文", "网站首页", "返回首页"}
    given = first(root, template.breadcrumb) if template and template.breadcrumb else None
    for element in [given] if given is not None else root.iter():
        if not isinstance(element.tag, str) or element.tag in ("html", "body"):
            continue
        own = (element.text or "") + "".join((child.tail or "") for child in element)
        if given is None and not _BREADCRUMB_MARK.search(own):
            continue
        crumbs = [element_text(a) for a in element.iter("a")]
        if not crumbs:
            after = _BREADCRUMB_MARK.split(element_text(element), maxsplit=1)[-1]
            crumbs = _CRUMB_SPLIT.split(after)
        crumbs = [_without_site_name(c.strip(" >›»"), noise) for c in crumbs]
        crumbs = [c for c in crumbs if c]
        if crumbs:
            return crumbs[-1]
        break
    path = urlsplit(url).path
    for prefix, name in rules.sections:  # longest prefix first
        if path.startswith(prefix):
            return name
    return None


def _language(root, text: str, rules: SiteRules) -> str:
    declared = (root.get("lang") or root.get("xml:lang") or "").strip().lower()
    if declared:
        return declared.split("-")[0]
    if text and len(_CJK.findall(text)) / len(text) > 0.2:
        return "zh"
    return rules.language


def _canonical(root, page_url: str, rules: SiteRules) -> str:
    """The page's rel=canonical when it stays on the same host, else the page URL, canonicalised."""
    link = next((el.get("href") for el in root.iter("link") if (el.get("rel") or "").lower() == "canonical"), None)
    if link:
        candidate = urljoin(page_url, link.strip())
        if urlsplit(candidate).netloc.lower() == urlsplit(page_url).netloc.lower():
            return canonicalize(candidate, rules.tracking_params)
    return canonicalize(page_url, rules.tracking_params)


def _published_at(
    template: Template | None, root, layout: _Layout, found: bylines_mod.Bylines, meta: dict[str, str],
    url: str, tz: ZoneInfo, fetched_at,
) -> DateValue | None:
    from_url = url_date(url)
    year = from_url.year if from_url else None
    candidates: list[DateValue | None] = []
    if template and template.published_at:
        candidates.append(parse_datetime(element_text(first(root, template.published_at)), tz, year, "template"))
    if found.published_at:
        candidates.append(parse_datetime(found.published_at, tz, year, "label"))
    for line in layout.header:
        candidates.append(parse_datetime(line, tz, year, "text"))
    for key in META_DATE_KEYS:
        if key in meta:
            candidates.append(parse_datetime(meta[key], tz, year, f"meta:{key}"))
    return choose([c for c in candidates if c], tz, url, fetched_at)


def _bylines(template: Template | None, root, layout: _Layout) -> bylines_mod.Bylines:
    found = bylines_mod.Bylines()
    if template:
        direct = bylines_mod.Bylines()
        for field_name in ("source", "authors", "editor"):
            selector = getattr(template, field_name)
            element = first(root, selector)
            if element is None:
                continue
            value = element_text(element)
            if field_name == "source":
                direct.source = bylines_mod.clean_outlet(value) or None
            elif field_name == "authors":
                direct.authors = bylines_mod.split_names(value)
            else:
                direct.editor = "、".join(bylines_mod.split_names(value)) or None
        found.merge(direct)
        if template.meta:
            for block in css(root, template.meta):
                found.merge(bylines_mod.parse_lines(text_lines(block)))
    found.merge(bylines_mod.parse_lines(layout.header))
    found.merge(bylines_mod.parse_lines(layout.footer))
    return found


def _outlet(source: str | None, rules: SiteRules) -> str | None:
    if not source:
        return None
    if source in rules.self_outlet_aliases:
        return rules.outlet
    return source


_TITLE_TAGS = ("h1", "h2", "h3", "p", "div", "span", "td", "strong", "b", "font")


def _generic_layout(root: html.HtmlElement, meta: dict[str, str], rules: SiteRules) -> _Layout:
    """Without a template: the title is the <h1>, or the element that repeats the <title>."""
    title_el = root.find(".//h1")
    if title_el is None or not element_text(title_el):
        wanted = fold(_strip_title_suffix(meta.get("og:title") or element_text(root.find(".//title")), rules))
        body = root.find("body")
        candidates = body.iter(*_TITLE_TAGS) if wanted and body is not None else ()
        title_el = next((el for el in candidates if fold(element_text(el)) == wanted), None)
    if title_el is None:
        return _Layout(None, None, [], [], [])
    layout = _layout(root, title_el, None)
    layout.header = layout.header[:_GENERIC_HEADER_LINES]
    return layout


def _generic_body(page: _Page, title: str) -> list[str]:
    text = trafilatura.extract(
        page.root, url=page.raw.url, output_format="txt", include_comments=False, include_tables=True
    )
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    # Navigation that slipped in ends at the headline: the article starts after it.
    wanted = fold(title)
    for index, line in enumerate(lines[:_GENERIC_HEADER_LINES * 2]):
        if wanted and fold(line) == wanted:
            return lines[index + 1 :]
    return lines


def extract_article(pages: Sequence[RawPage], rules: SiteRules) -> Article:
    """One article from its pages, in order. Raises ExtractionFailed with a reason code."""
    if not pages:
        raise ExtractionFailed("no_content", "no pages")
    tz = ZoneInfo(rules.timezone)
    parsed = [_parse(page, rules) for page in pages]
    lead = parsed[0]
    url = lead.raw.url
    root = lead.root
    meta = head_meta(root)
    template = select_template(root, url, rules.templates)

    if template:
        layout = _layout(root, first(root, template.title), first(root, template.body))
    else:
        layout = _generic_layout(root, meta, rules)
    title, column = _title(root, layout.title_el, meta, rules)
    if not title:
        raise ExtractionFailed("no_title", "no headline in a template, <h1>, og:title or <title>")
    if template and template.column:
        column = element_text(first(root, template.column)).strip("【】 ") or column
    elif column is None and layout.before_title:
        kicker = _KICKER.fullmatch(layout.before_title[-1])
        column = kicker.group(1).strip() if kicker else None

    subtitle = None
    if template and template.subtitle:
        subtitle = element_text(first(root, template.subtitle)) or None
    if subtitle is None:
        subtitle = next((line for line in layout.header if is_subtitle(line)), None)

    found = _bylines(template, root, layout)
    published = _published_at(template, root, layout, found, meta, url, tz, lead.raw.fetched_at)

    paragraphs: list[str] = []
    images: list[Image] = []
    drop: set[str] = {title, f"【{column}】" if column else title}
    for page in parsed:
        page_template = select_template(page.root, page.raw.url, rules.templates) if page is not lead else template
        container = first(page.root, page_template.body) if page_template else None
        if container is not None:
            page_images, caption_lines = images_in(container, page.raw.url)
            images += page_images
            drop |= caption_lines
            paragraphs += container_paragraphs(container)
        else:
            paragraphs += _generic_body(page, title)
    if subtitle:
        drop.add(subtitle)
    elif paragraphs and is_subtitle(paragraphs[0]):
        subtitle = paragraphs[0]
        drop.add(subtitle)
    paragraphs = clean_paragraphs(paragraphs, drop=drop, boilerplate_markers=rules.boilerplate_markers)
    if not paragraphs:
        raise ExtractionFailed("no_content", "no body text found")
    text = "\n\n".join(paragraphs)

    replacement_chars = sum(p.decoding.replacement_chars for p in parsed)
    flags = quality_flags(text, replacement_chars)
    if published is None:
        flags.append("no_date")
    return Article(
        site=rules.site,
        canonical_url=_canonical(root, url, rules),
        url=url,
        title=title,
        subtitle=subtitle,
        column=column,
        section=_section(root, url, rules, template),
        source_outlet=_outlet(found.source, rules),
        authors=found.authors,
        editor=found.editor,
        published_at=published.value if published else None,
        language=_language(root, text, rules),
        text=text,
        page_urls=[p.raw.url for p in parsed],
        images=images,
        quality_flags=flags,
        extraction=Extraction(
            method=f"template:{template.name}" if template else "trafilatura",
            extractor_version=EXTRACTOR_VERSION,
            pages=[PageRecord(p.raw.url, p.decoding) for p in parsed],
        ),
    )
