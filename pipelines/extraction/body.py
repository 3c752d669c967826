"""The article body: paragraphs from a container, images with their captions,
and the clean-up that keeps metadata, captions and repeats out of the text."""

from __future__ import annotations

import copy
import re
from urllib.parse import urljoin, urlsplit

import trafilatura
from lxml import etree, html

from .bylines import is_byline_line
from .html import BLOCK_TAGS, element_text, normalize_space
from .script import fold
from .types import Image

# A line that is only an image's file name: "QQ图片20250529061729",
# "ScreenShot_2025-11-23_061051_189", "IMG_2034.JPG", "微信图片_20240614.png",
# "20240614075821_001". No spaces, and either a file extension, a known prefix, or a
# long run of digits (a timestamp), so "Calendário 2018" or "第2024号" are not taken.
_FILE_EXTENSION = re.compile(r"\.(?:jpe?g|png|gif|webp|bmp|tiff?|heic)$", re.IGNORECASE)
_FILE_PREFIX = re.compile(r"^(?:QQ图片|微信图片|截图|mmexport|wx_camera|img[_-]|dsc[_-]?|screen_?shot)", re.IGNORECASE)
_FILE_STEM = re.compile(r"^[\w\-.]+$")
_TIMESTAMP = re.compile(r"\d{8,}")
_IMAGE_SRC_ATTRS = ("src", "data-src", "data-original", "original", "data-lazy-src")
_CAPTION_HINT = re.compile(r"caption|pic|photo|img|tu|desc|note|zhu", re.IGNORECASE)
_CAPTION_MAX = 160
_CREDIT_TAIL = 80
_CREDIT = re.compile(
    r"[（(]?\s*(?:本报|本网|新华社|中新社|人民网|新华网)?(?:特约)?(?:摄影记者|记者|摄影|通讯员)?\s*"
    r"([\u4e00-\u9fff·]{2,5}(?:[\s、，,]+[\u4e00-\u9fff·]{2,5})*)\s*摄影?\s*[）)]?\s*$"
)
_SUBTITLE = re.compile(r"^[—－\-]{2}\s*\S")
_LONG_REPEAT = 80  # a paragraph this long said twice is a repeat, not style
_OPENING_LINES, _MIN_OPENING = 3, 10  # the article's first lines, found again, start a copy of it


def is_file_name(line: str) -> bool:
    stripped = line.strip()
    if not stripped or len(stripped) > 80 or not _FILE_STEM.match(stripped):
        return False
    if re.search(r"[\u4e00-\u9fff]{3,}", _FILE_PREFIX.sub("", stripped)):
        return False
    return bool(_FILE_EXTENSION.search(stripped) or _FILE_PREFIX.match(stripped) or _TIMESTAMP.search(stripped))


def is_subtitle(line: str) -> bool:
    return bool(_SUBTITLE.match(line)) and len(line) <= 80


def photographers_in(caption: str) -> list[str]:
    match = _CREDIT.search(caption[-_CREDIT_TAIL:])  # a credit ends the caption; bounds the regex's work
    if not match:
        return []
    return [name for name in re.split(r"[\s、，,]+", match.group(1)) if name]


def container_paragraphs(container: etree._Element) -> list[str]:
    """Paragraphs of one content container, through trafilatura.

    The container is handed over alone, so trafilatura sees no navigation to
    mistake for content; favor_recall keeps paragraphs written as <div>/<br>.
    """
    document = html.Element("html")
    body = etree.SubElement(document, "body")
    body.append(copy.deepcopy(container))
    text = trafilatura.extract(
        document, output_format="txt", include_comments=False, include_tables=True, favor_recall=True, fast=True
    )
    return [normalize_space(line) for line in (text or "").splitlines() if normalize_space(line)]


def _block_of(element: etree._Element, stop: etree._Element) -> etree._Element:
    node = element
    while node is not stop and node.getparent() is not None:
        if node.tag in BLOCK_TAGS:
            return node
        node = node.getparent()
    return node


def _next_block(block: etree._Element) -> etree._Element | None:
    node = block.getnext()
    while node is not None and not isinstance(node.tag, str):
        node = node.getnext()
    return node


def _looks_like_caption(block: etree._Element, text: str, holds_image: bool = False) -> bool:
    """A short, centred (or captioned, or credited) block; ``holds_image`` when it is the image's own block."""
    if not text or len(text) > _CAPTION_MAX or (not holds_image and block.find(".//img") is not None):
        return False
    style = (block.get("style") or "").replace(" ", "").lower()
    return (
        (block.get("align") or "").lower() == "center"
        or "text-align:center" in style
        or bool(_CAPTION_HINT.search(block.get("class") or ""))
        or block.tag in ("figcaption", "center")
        or bool(_CREDIT.search(text[-_CREDIT_TAIL:]))
        or is_file_name(text)
    )


def images_in(container: etree._Element, base_url: str) -> tuple[list[Image], set[str]]:
    """Images of the body with captions, and the caption lines to keep out of the text."""
    images: list[Image] = []
    caption_lines: set[str] = set()
    blocks: dict[etree._Element, tuple[str, int]] = {}  # block -> (its text, its images): once per block
    for img in container.iter("img"):
        src = next((img.get(a) for a in _IMAGE_SRC_ATTRS if img.get(a)), None)
        if not src or src.startswith("data:"):
            continue
        if any((img.get(dim) or "").isdigit() and int(img.get(dim)) <= 32 for dim in ("width", "height")):
            continue  # icons and spacers
        alt = normalize_space(img.get("alt") or "") or None
        caption = None
        figure = next((a for a in img.iterancestors("figure")), None)
        if figure is not None and figure.find(".//figcaption") is not None:
            caption = element_text(figure.find(".//figcaption"))
        else:
            block = _block_of(img, container)
            if block not in blocks:
                blocks[block] = (element_text(block) if block is not container else "",
                                 sum(1 for _ in block.iter("img")))
            own, images_in_block = blocks[block]
            if own and images_in_block == 1 and _looks_like_caption(block, own, holds_image=True):
                caption = own
            else:
                following = _next_block(block) if block is not container else None
                if following is not None:
                    text = element_text(following)
                    if _looks_like_caption(following, text):
                        caption = text
        if caption:
            caption_lines.add(caption)
            if is_file_name(caption):
                caption = None  # the CMS filled the caption with the upload's file name
        if alt and is_file_name(alt):
            caption_lines.add(alt)
        try:
            url = urljoin(base_url, src.strip())
            urlsplit(url).port  # noqa: B018 - raises on a malformed host or port
        except ValueError:
            continue  # "http://[::1/a.jpg": not an address; the article stands without it
        images.append(
            Image(
                url=url,
                caption=caption,
                photographers=photographers_in(caption) if caption else [],
                alt=alt,
            )
        )
    return images, caption_lines


_COPY_SHARE = 0.8  # of the long lines after a repeated opening, already said: a copy, not a refrain


def _without_repeats(lines: list[str]) -> list[str]:
    """Drop a second copy of the article (a share card, a careless CMS) and long repeated paragraphs.

    The copy is found where the article's opening lines occur again, in order, and
    what follows them is (nearly) all text already said: a chorus or a quotation
    repeated inside the article is followed by new text, and stays. Short lines and
    lists may legitimately repeat ("1 cup rice", "一、"), so only a paragraph of some
    length said twice is dropped on its own.
    """
    keys = [re.sub(r"\s+", "", line) for line in lines]
    long_at = [i for i, k in enumerate(keys) if len(k) >= _MIN_OPENING]
    opening = [keys[i] for i in long_at[:_OPENING_LINES]]
    if len(opening) == _OPENING_LINES:
        for position in range(_OPENING_LINES, len(long_at) - _OPENING_LINES + 1):
            if [keys[i] for i in long_at[position:position + _OPENING_LINES]] != opening:
                continue
            start = long_at[position]
            said = set(keys[:start])
            rest = [keys[i] for i in long_at[position:]]
            if sum(k in said for k in rest) >= _COPY_SHARE * len(rest):
                lines, keys = lines[:start], keys[:start]
                break
    seen: set[str] = set()
    kept = []
    for line, key in zip(lines, keys):
        if key in seen and len(key) >= _LONG_REPEAT:
            continue
        seen.add(key)
        kept.append(line)
    return kept


def _starts_with_marker(line: str, markers: tuple[str, ...]) -> bool:
    """The line is a marker, or starts with one that is not the beginning of a longer
    word: "关于我们", "推荐阅读：", "青ICP备05000957号" end the article; "关于我们社区的
    改造计划……" is a sentence and does not."""
    if not line.startswith(markers):
        return False
    for marker in markers:
        if line.startswith(marker):
            rest = line[len(marker):]
            if not rest.strip() or not rest[0].isalpha():  # nothing, a space, a digit, punctuation
                return True
    return False


def clean_paragraphs(
    lines: list[str],
    *,
    drop: set[str],
    boilerplate_markers: tuple[str, ...],
) -> list[str]:
    """Body lines without captions, file names, byline lines at the edges, boilerplate and repeats."""
    candidates: list[str] = []
    markers = tuple(boilerplate_markers)
    for line in lines:
        if line in drop or is_file_name(line):
            continue
        if markers and _starts_with_marker(fold(line), markers):
            break  # a list of links or the footer: nothing after it is the article
        candidates.append(line)
    kept = _without_repeats(candidates)
    while kept and is_byline_line(kept[-1]):
        kept.pop()
    while kept and is_byline_line(kept[0]):
        kept.pop(0)
    return kept
