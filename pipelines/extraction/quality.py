"""Signs that text is damaged: mojibake from lost or misread bytes.

When a GBK byte is lost, every following character pairs the wrong two bytes
until the stream resynchronises: what comes out is valid but odd - kana, Greek,
box drawing, private-use code points and rare characters in a row ("青;ブ鞍嗣钾i").
UTF-8 read as Latin-1 leaves its own trail ("Ã©", "â€"). Clean Chinese text,
simplified or traditional, is made almost entirely of common characters, so a
dense run of uncommon ones marks the damage.
"""

from __future__ import annotations

import re
from functools import lru_cache

_WINDOW = 8
_MIN_ODD_IN_WINDOW = 4
_LATIN_MOJIBAKE = re.compile(r"[ÃÂ][\x80-\xbf\u2018-\u203a\u0152-\u017e]|â€[\x80-\xbf\u2018-\u203a™œ\"]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# One kana, Greek or Cyrillic letter, box-drawing or private-use character wedged
# between Chinese characters: Japanese text has kana in runs, not alone.
# A half-width comma and a lone Latin letter inside Chinese ("連心橋,F在") is the
# same damage after a mirror's repair.
_STRAY_SYMBOL = re.compile(
    r"(?<=[\u3400-\u9fff“”，。；;])[\u3040-\u30ff\u0370-\u03ff\u0400-\u04ff\u2500-\u257f\ue000-\uf8ff]{1,3}(?=[\u3400-\u9fff])"
    r"|(?<=[\u3400-\u9fff])[,;][A-Za-z](?=[\u3400-\u9fff(（])"
)


@lru_cache(maxsize=1)
def common_hanzi() -> frozenset[str]:
    """GB2312's 3,755 level-1 (frequent) characters and Big5's 5,401 frequent traditional ones."""
    chars: set[str] = set()
    for lead in range(0xB0, 0xD8):
        for trail in range(0xA1, 0xFF):
            try:
                chars.add(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    for lead in range(0xA4, 0xC7):
        for trail in list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)):
            if (lead, trail) >= (0xC6, 0x7F):
                break
            try:
                chars.add(bytes((lead, trail)).decode("big5"))
            except UnicodeDecodeError:
                pass
    return frozenset(chars)


@lru_cache(maxsize=1)
def _ordinary() -> frozenset[str]:
    """Characters never odd by themselves: common hanzi, letters, digits, punctuation, symbols."""
    plain = {chr(c) for c in range(0x20, 0x7F)} | set("\t\n\r\xa0\u00b7\u00d7\u00b0")
    plain |= {chr(c) for c in range(0x3000, 0x3040)} | {chr(c) for c in range(0xFF00, 0xFFF0)}
    plain |= {chr(c) for c in range(0x2010, 0x205F)}
    return frozenset(plain) | common_hanzi()


def mojibake_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of stretches that look like byte-level damage."""
    spans: list[tuple[int, int]] = []
    cjk_share = len(_CJK.findall(text)) / max(1, len(text))
    if cjk_share > 0.2:
        # kana, Greek, Cyrillic, box drawing, private use, replacement char, rare hanzi…
        ordinary = _ordinary()
        odd_positions = [i for i, ch in enumerate(text) if ch not in ordinary and not ch.isspace()]
        start = 0
        for end in range(len(odd_positions)):
            while odd_positions[end] - odd_positions[start] >= _WINDOW:
                start += 1
            if end - start + 1 >= _MIN_ODD_IN_WINDOW:
                span = (odd_positions[start], odd_positions[end] + 1)
                if spans and span[0] <= spans[-1][1]:
                    spans[-1] = (spans[-1][0], span[1])
                else:
                    spans.append(span)
        spans += [m.span() for m in _STRAY_SYMBOL.finditer(text)]
    spans += [m.span() for m in _LATIN_MOJIBAKE.finditer(text)]
    return sorted(spans)


def quality_flags(text: str, replacement_chars: int = 0) -> list[str]:
    flags = []
    if mojibake_spans(text):
        flags.append("mojibake")
    if replacement_chars:  # the decoder's own, not a "�" the page quotes
        flags.append("replacement_chars")
    return flags
