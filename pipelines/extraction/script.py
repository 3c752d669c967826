"""Script folding for comparisons, and undoing a mirror's flattened ruby.

Text is stored as published; these are used only to compare (a boilerplate
marker in simplified characters must match the same words in traditional ones).
"""

from __future__ import annotations

import re
from functools import lru_cache

# "內(nèi)": a pinyin annotation in brackets right after a character, which a mirror
# made of <ruby>內<rt>nèi</rt></ruby>. A tone mark is required, so "(A)" or "(2024)" stay.
_FLATTENED_RUBY = re.compile(
    r"(?<=[\u3400-\u9fff])\((?=[a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ])[a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜ]{1,6}\)"
)


@lru_cache(maxsize=1)
def _to_simplified():
    import opencc

    return opencc.OpenCC("t2s").convert


def fold(text: str) -> str:
    """Traditional characters folded to simplified, for comparison only."""
    return _to_simplified()(text) if text else text


def unflatten_ruby(text: str) -> str:
    return _FLATTENED_RUBY.sub("", text)
