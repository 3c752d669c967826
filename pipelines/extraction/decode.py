"""Bytes to text, with the decision recorded.

Chinese sites declare ``gb2312`` while serving GBK or GB18030 characters, and
their servers often send a default ``charset`` that contradicts the page's own
meta tag. The rules, in order:

1. a byte-order mark wins;
2. bytes that are valid UTF-8 and not pure ASCII are UTF-8, whatever is declared
   (GBK text is practically never valid UTF-8, the converse is not true);
3. otherwise the declared charsets (HTTP header, then meta) are tried, the GB
   family read as GB18030 (its superset); a multi-byte CJK charset that decodes
   cleanly beats a single-byte Western one, which decodes anything;
4. with nothing usable declared, the site's default, then a detector.
"""

from __future__ import annotations

import codecs
import re

from .types import Decoding

_META_SCAN_BYTES = 16384
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE
)
_HTTP_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
# Read the GB family as its superset; read Latin-1 labels as browsers do.
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "cp936": "gb18030",
    "euc_cn": "gb18030",
    "hz": "gb18030",
    "latin_1": "cp1252",
    "iso8859_1": "cp1252",
    "ascii": "cp1252",
    "utf_8": "utf-8",
    "utf_8_sig": "utf-8",
}
# Text codecs Python has that no browser decodes a page with (labels a hostile page may declare).
_NOT_PAGE_CHARSETS = {"undefined", "idna", "punycode", "unicode_escape", "raw_unicode_escape", "utf_7", "mbcs", "oem"}
_SINGLE_BYTE = {"cp1252", "iso8859_15", "cp1251", "koi8_r", "mac_roman"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# A CJK decoding is "clean" when at most this share of characters were replaced.
_CLEAN_SHARE = 0.005


def normalize_charset(label: str | None) -> str | None:
    """A charset label as Python's codec name, GB family folded to gb18030."""
    if not label:
        return None
    try:
        info = codecs.lookup(label.strip().strip("\"'").lower())
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name.replace("-", "_") in _NOT_PAGE_CHARSETS:
        return None  # base64, zlib, rot13, idna …: Python codecs, never a web page's charset
    return _ALIASES.get(info.name.replace("-", "_"), info.name)


def http_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _HTTP_CHARSET.search(content_type)
    return match.group(1).lower() if match else None


def meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:_META_SCAN_BYTES])
    return match.group(1).decode("ascii", "replace").lower() if match else None


def _utf8(body: bytes) -> str | None:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if len(text) != len(body) else None  # pure ASCII proves nothing


def _detect(body: bytes) -> str | None:
    from charset_normalizer import from_bytes  # imported lazily: rarely needed

    best = from_bytes(body[:65536]).best()
    return normalize_charset(best.encoding) if best else None


def _replaced(text: str, body: bytes, codec: str) -> int:
    """U+FFFD the decoder put in: those in the text less those the page itself wrote (an
    article about mojibake may quote "�" a hundred times)."""
    found = text.count("\ufffd")
    if not found:
        return 0
    try:
        literal = "\ufffd".encode(codec.replace("-sig", ""))
    except (UnicodeError, LookupError):
        return found
    if codec.startswith("utf-16"):
        literal = literal[2:]  # no BOM inside the text
    return max(0, found - body.count(literal))


def decode_html(body: bytes, content_type: str | None = None, default: str | None = None) -> tuple[str, Decoding]:
    declared_http = http_charset(content_type)
    declared_meta = meta_charset(body)

    def result(text: str, used: str, detected: str | None) -> tuple[str, Decoding]:
        return text, Decoding(
            http_charset=declared_http,
            meta_charset=declared_meta,
            detected_charset=detected,
            used_charset=used,
            replacement_chars=_replaced(text, body, used),
        )

    for bom, codec in _BOMS:
        if body.startswith(bom):
            return result(body.decode(codec, errors="replace"), codec, codec)

    text = _utf8(body)
    if text is not None:
        return result(text, "utf-8", "utf-8")

    candidates = []
    for label in (declared_http, declared_meta, default):
        name = normalize_charset(label)
        if name and name != "utf-8" and name not in candidates:
            candidates.append(name)
    decoded: dict[str, str] = {}

    def clean(name: str) -> bool:
        if name not in decoded:  # decoded lazily: most pages stop at the first candidate
            decoded[name] = body.decode(name, errors="replace")
        return decoded[name].count("\ufffd") <= _CLEAN_SHARE * max(1, len(decoded[name]))

    for name in candidates:
        if name not in _SINGLE_BYTE and clean(name):
            return result(decoded[name], name, name)
    detected = _detect(body)
    # A multi-byte charset the detector finds, decoding cleanly, beats a Latin-1 label:
    # Latin-1 decodes any bytes at all, so its lack of errors proves nothing.
    if detected and detected != "utf-8" and detected not in _SINGLE_BYTE and clean(detected):
        return result(decoded[detected], detected, detected)
    for name in candidates:
        clean(name)
    if detected and detected != "utf-8":
        clean(detected)
    if not decoded:
        return result(body.decode("utf-8", errors="replace"), "utf-8", detected)
    # Nothing decoded cleanly: the fewest replacements, declared ones first.
    used = min(decoded, key=lambda name: decoded[name].count("\ufffd"))
    return result(decoded[used], used, detected)
