"""Single fields of an article: headline, section, canonical URL, language, time zone."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from lxml import etree

from .html import element_text, first, normalize_space
from .script import fold
from .types import SiteRules, Template
from .urls import canonicalize

KICKER = re.compile(r"^【([^【】]{1,40})】\s*")
_BREADCRUMB_MARK = re.compile(r"(?:您|当前|當前|现在|現在|所在)[^：:\s]{0,4}位置\s*[：:]?")
# 位置 is written alike in both scripts; XPath finds the few candidates in C
_BREADCRUMB_CANDIDATES = etree.XPath("//body//*[text()[contains(., '位置')]]")
_CRUMB_SPLIT = re.compile(r"\s*(?:>|＞|›|»|→|/|\|)\s*")
_TITLE_SEPARATOR = re.compile(r"\s*(?:_{1,2}|\||｜|–|—|-{1,2}| - )\s*")
_HEADLINE_TAGS = ("h1", "h2", "h3", "p", "div", "span", "td", "strong", "b", "font")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_BADGE = 4
_MAX_SECTION = 20  # a longer "crumb" is a headline or a sentence  # characters of a badge (原创, 独家, 置顶) an element may add to the headline
_SQUEEZE = re.compile(r"\s+")


def _squeeze(text: str) -> str:
    return _SQUEEZE.sub("", fold(text))


def strip_title_suffix(title: str, rules: SiteRules) -> str:
    """"标题_党建_青海新闻网" -> "标题": drop trailing site and section names the profile knows."""
    noise = sorted(set(rules.site_names) | {name for _, name in rules.sections} | {rules.outlet} - {""},
                   key=len, reverse=True)
    title = normalize_space(title)  # a run of 30,000 spaces made each search below quadratic
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


def split_kicker(title: str) -> tuple[str, str | None]:
    """(title, column): a leading 【…】 kicker is the column, not part of the title."""
    kicker = KICKER.match(title)
    if kicker and title[kicker.end() :].strip():
        return title[kicker.end() :].strip(), kicker.group(1).strip()
    return title.strip(), None


def find_headline(root: etree._Element, meta: dict[str, str], rules: SiteRules) -> tuple[str, etree._Element | None]:
    """(headline, its element) on a page without a template.

    The <title> and og:title name the article among other things (the site, the
    channel); an <h1> may be the article's headline or the site's logo. An <h1>
    that the <title> contains is the headline; else the longest part of the
    <title>, found again in the page; else the first <h1>, else the <title>.
    """
    page_title = element_text(root.find(".//title"))
    reference = meta.get("og:title") or meta.get("twitter:title") or page_title
    references = [_squeeze(r) for r in (reference, page_title) if r]
    headings = [h for h in root.iter("h1", "h2") if element_text(h)]
    for heading in headings:
        text = _squeeze(element_text(heading))
        if len(text) >= 4 and any(text in ref for ref in references):
            return element_text(heading), heading
    stripped = strip_title_suffix(page_title or reference, rules)
    parts = [p for p in _TITLE_SEPARATOR.split(stripped) if p.strip()]
    longest = max(parts, key=len) if parts else stripped
    wanted = _squeeze(longest)
    body = root.find("body")
    if wanted and body is not None:
        prefix_match: tuple[int, etree._Element] | None = None
        for element in body.iter(*_HEADLINE_TAGS):
            raw = element.text_content()  # C-level; most elements are ruled out by length alone
            if not raw or len(raw) > 4 * len(wanted) + 200:
                continue
            text = _squeeze(raw)
            if not text or len(text) > len(wanted) + _BADGE:
                continue
            if text == wanted:
                return element_text(element), element
            if wanted in text and len(text) <= len(wanted) + _BADGE:  # "原创" badge before the headline
                return longest.strip(), element
            if len(text) >= 0.6 * len(wanted) and wanted.startswith(text):  # <title> adds the site unseparated
                if prefix_match is None or len(text) > prefix_match[0]:
                    prefix_match = (len(text), element)
        if prefix_match:
            return element_text(prefix_match[1]), prefix_match[1]
    if len(longest) >= 4:
        return longest.strip(), None
    first_h1 = root.find(".//h1")
    if first_h1 is not None and element_text(first_h1):
        return element_text(first_h1), first_h1
    return stripped or reference or "", None


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


def breadcrumbs(root: etree._Element, rules: SiteRules, template: Template | None) -> list[str]:
    """The page's breadcrumb trail ("您当前的位置：首页 > 党建 > …"), without the site's own name."""
    noise = set(rules.site_names) | {rules.outlet, "首页", "正文", "网站首页", "返回首页"} - {""}
    given = first(root, template.breadcrumb) if template and template.breadcrumb else None
    for element in [given] if given is not None else _BREADCRUMB_CANDIDATES(root):
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
        return [c for c in crumbs if c]
    return []


def section(crumbs: list[str], title: str, url: str, rules: SiteRules) -> tuple[str | None, str]:
    """(section, source): the last crumb that names a section, not the article (breadcrumbs often
    end with the headline); else the profile's URL-prefix map."""
    headline = _squeeze(title)
    for crumb in reversed(crumbs):
        squeezed = _squeeze(crumb)
        if len(crumb) <= _MAX_SECTION and not (squeezed and (squeezed in headline or headline.startswith(squeezed))):
            return crumb, "breadcrumb"
    path = urlsplit(url).path
    for prefix, name in rules.sections:  # longest prefix first
        if path.startswith(prefix):
            return name, "url"
    return None, "none"


def language(declared: str, text: str, rules: SiteRules) -> str:
    if declared:
        return declared.split("-")[0]
    if text and len(_CJK.findall(text)) / len(text) > 0.2:
        return "zh"
    return rules.language


def canonical_url(root: etree._Element, page_url: str, rules: SiteRules) -> str:
    """The page's rel=canonical when it stays on the same host and names a page, not a section
    or the home page (a template's site-wide canonical); else the page URL, canonicalised."""
    link = next((el.get("href") for el in root.iter("link") if (el.get("rel") or "").lower() == "canonical"), None)
    if link:
        try:
            candidate = urljoin(page_url, link.strip())
            target, page = urlsplit(candidate), urlsplit(page_url)
        except ValueError:
            return canonicalize(page_url, rules.tracking_params)
        folder_like = target.path in ("", "/") or (target.path.endswith("/") and not page.path.endswith("/"))
        if target.netloc.lower() == page.netloc.lower() and not folder_like:
            return canonicalize(candidate, rules.tracking_params)
    return canonicalize(page_url, rules.tracking_params)


def infer_zone(root: etree._Element) -> str:
    """A page whose site has no profile: Chinese text means China's zone (one zone, no DST)."""
    sample = element_text(root.find(".//title")) + element_text(root.find(".//h1"))
    declared = (root.get("lang") or "").lower()
    if declared.startswith("zh") or (sample and len(_CJK.findall(sample)) / len(sample) > 0.3):
        return "Asia/Shanghai"
    return "UTC"


def resolve_outlet(source: str | None, rules: SiteRules) -> str | None:
    """本网 and the site's other names for itself resolve to its own outlet."""
    if not source:
        return None
    if rules.outlet and source in rules.self_outlet_aliases:
        return rules.outlet
    return source
