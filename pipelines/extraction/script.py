"""Script folding for comparisons, and undoing a mirror's flattened ruby.

Text is stored as published; these are used only to compare (a boilerplate
marker in simplified characters must match the same words in traditional ones).
"""

from __future__ import annotations

import re
from functools import lru_cache

# "內(nèi)": a pinyin annotation in brackets right after a character, which a mirror
# made of <ruby>內<rt>nèi</rt></ruby>. A tone mark is required, so "(A)" or "(2024)" stay.
# Matched from the literal "(" (fast to scan for); the character before it is checked apart.
_FLATTENED_RUBY = re.compile(r"\((?=[a-zü]{0,5}[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ])[a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜ]{1,6}\)")
_HANZI = re.compile(r"[\u3400-\u9fff]")


@lru_cache(maxsize=1)
def _to_simplified():
    import opencc

    return opencc.OpenCC("t2s").convert


def fold(text: str) -> str:
    """Traditional characters folded to simplified, for comparison only."""
    if not text or text.isascii():  # nothing to fold: skip the converter
        return text
    return _to_simplified()(text)


def _after_hanzi(text: str, match: re.Match) -> bool:
    return match.start() > 0 and bool(_HANZI.match(text, match.start() - 1))


def has_flattened_ruby(text: str) -> bool:
    return any(_after_hanzi(text, m) for m in _FLATTENED_RUBY.finditer(text))


def unflatten_ruby(text: str) -> str:
    return _FLATTENED_RUBY.sub(lambda m: "" if _after_hanzi(text, m) else m.group(0), text)
