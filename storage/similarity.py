"""Near-duplicate fingerprints of article text: pure functions, no database.

Two copies of one story differ in script (a traditional-character mirror), width
(full-width digits), punctuation, datelines and byline lines, boilerplate already
removed by extraction, and a few paragraphs trimmed, moved or added. Comparison
therefore reads a *normalised* text (the stored text stays as published):
traditional folded to simplified (OpenCC), NFKC (full-width to half-width), byline,
source and editor's-note paragraphs and the leading dateline dropped, then
everything but letters and digits removed.

The normalised text is cut into character shingles; a MinHash signature of the
shingle set (datasketch) is cut into bands, and each band hashed to one 64-bit key.
Two texts that share a band key are candidates; a candidate is confirmed by the
exact resemblance of the two shingle sets (``resemblance``), never by the estimate.
The parameters were chosen by measurement (``benchmarks/dedup.py``); changing any of
them changes every key: an archive must then be re-indexed (``newsarchive stories
--rebuild``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from dataclasses import dataclass
from functools import cache

import numpy as np

SHINGLE = 5  # characters; background resemblance of unrelated reports stays below 0.01 from 5 on
NUM_PERM = 96
BANDS = 32
ROWS = NUM_PERM // BANDS  # 3: P(candidate) ≈ 0.99 at resemblance 0.5, ≈ 4e-7 per pair at 0.01
THRESHOLD = 0.5  # default: two texts this resembling are one story (see resemblance)
# Below this resemblance two texts must also agree on their numbers (see same_story)
CERTAIN = 0.7
NUMBERS_AGREE = 0.8
MIN_CHARS = 40  # shorter normalised texts (a caption, a one-line brief) are not compared
MAX_CHARS = 50_000  # only this much of a text is compared: a 20 MB page must not take a gigabyte of shingles
SCHEME = f"norm2-minhash-{SHINGLE}c-{BANDS}x{ROWS}-crc32-affine32"  # normalisation and keys: a new one needs `stories --rebuild`

# Paragraphs that say who wrote, edited or supplied a story, not what it says: a label,
# then a colon, a slash, a space or nothing ("记者从省气象局获悉…" is the story itself).
_LABEL = re.compile(
    r"^[(（【\[]?\s*(?:来源|作者|文字|文|图|图文|记者|本报记者|特约记者|通讯员|实习生|编辑|责任编辑|责编|编审|审核|审校|"
    r"校对|终审|初审|复审|监制|摄影|摄像|视频|原标题|编者按|编者的话|编后|转载|本文转载|本文来源|转自|稿源)"
    r"\s*(?:[:：/|｜]|\s|[)）】\]]|$)"
)
# A whole paragraph in brackets that names where the story came from: （本文转载自青海新闻网）
_NOTE = re.compile(r"^[(（【\[][^)）】\]]{0,100}(?:转载|来源|转自|原标题|编辑|作者|记者)[^)）】\]]*[)）】\]]$")
# A dateline opening the first paragraph: 本报讯（记者 …）, 新华社西宁6月14日电（记者 …）, 西宁讯 …
_DATELINE = re.compile(r"^[^，。、；：,.;:]{0,30}?(?:讯|电)(?:\s*[(（][^）)]{0,40}[）)])?(?=\s|[(（]|$)\s*")
_REPORTER = re.compile(r"^[(（]\s*(?:本报)?记者[^）)]{0,30}[）)]\s*")
_NOT_WORD = re.compile(r"[\W_]+")
_NUMBER = re.compile(r"\d+")


@cache
def to_simplified():
    import opencc

    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """Simplified characters, half-width, lower case: what search sees (``normalize`` lowers
    case last, after dropping what is not a letter or digit)."""
    return unicodedata.normalize("NFKC", to_simplified().convert(text)).lower()


def normalize(text: str) -> str:
    """The text as compared: simplified, half-width, no bylines or dateline, letters and digits only, lower case."""
    text = unicodedata.normalize("NFKC", to_simplified().convert(text[: MAX_CHARS * 4]))
    kept = []
    for paragraph in re.split(r"\n+", text):
        paragraph = _REPORTER.sub("", paragraph.strip(), count=1)  # （记者 张三）今年以来… : the story follows
        if not paragraph:
            continue
        if len(paragraph) <= 80 and _LABEL.match(paragraph) or paragraph.startswith(("编者按", "编者的话")):
            continue
        if _NOTE.match(paragraph) and len(paragraph) <= 120:
            continue
        if not kept:  # the dateline leads the story's first paragraph only
            paragraph = _REPORTER.sub("", _DATELINE.sub("", paragraph, count=1), count=1)
            if not paragraph:
                continue
        kept.append(paragraph)
    return _NOT_WORD.sub("", "".join(kept)).lower()[:MAX_CHARS]


def shingles(normalized: str, size: int = SHINGLE) -> frozenset[str]:
    if len(normalized) < size:
        return frozenset((normalized,)) if normalized else frozenset()
    return frozenset(normalized[i : i + size] for i in range(len(normalized) - size + 1))


def resemblance(a: frozenset[str], b: frozenset[str]) -> float:
    """Exact Jaccard resemblance of two shingle sets: the confirmation of a candidate pair."""
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


@cache
def _permutations():
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=1).permutations  # fixed seed: the same keys in every process


def signature(parts: frozenset[str]) -> np.ndarray:
    """MinHash of a shingle set (``NUM_PERM`` 32-bit values). CRC-32 is the shingle hash:
    stable across processes and machines (Python's ``hash`` is not), and the affine32
    scheme mixes it before permuting."""
    from datasketch import MinHash

    minhash = MinHash(num_perm=NUM_PERM, hashfunc=zlib.crc32, permutations=_permutations(), scheme="affine32")
    minhash.update_batch([p.encode("utf-8") for p in parts])
    return minhash.hashvalues


def band_keys(values: np.ndarray) -> list[int]:
    """One signed 64-bit key per band (band number included, so one index serves all bands)."""
    keys = []
    for band in range(BANDS):
        chunk = values[band * ROWS : (band + 1) * ROWS].astype("<u4").tobytes()
        digest = hashlib.blake2b(bytes((band,)) + chunk, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


def numbers(normalized: str) -> frozenset[str]:
    return frozenset(_NUMBER.findall(normalized))


def same_story(a: Fingerprint, b: Fingerprint, threshold: float = THRESHOLD) -> float | None:
    """The resemblance of two texts if they are copies of one story, else None.

    At or above ``CERTAIN`` resemblance they are. Between the threshold and it they must
    also agree on their numbers: a story's figures, dates and counts are its facts, and
    copies keep them (a trimmed copy keeps a subset), while reports written on one
    skeleton (the weather, market prices, a meeting of another day) differ in exactly
    those. Agreement: the smaller set of distinct numbers mostly found in the larger,
    when both texts have at least three."""
    score = resemblance(a.shingles, b.shingles)
    if score < threshold:
        return None
    if score < CERTAIN and len(a.numbers) >= 3 and len(b.numbers) >= 3:
        shared = len(a.numbers & b.numbers) / min(len(a.numbers), len(b.numbers))
        if shared < NUMBERS_AGREE:
            return None
    return score


def estimate(a: bytes, b: bytes) -> float:
    """Resemblance estimated from two stored signatures (the share of equal MinHash values):
    a screen before the exact comparison, within ±0.05 (one standard deviation) at 0.5."""
    x, y = np.frombuffer(a, dtype="<u4"), np.frombuffer(b, dtype="<u4")
    return float(np.count_nonzero(x == y)) / len(x) if len(x) == len(y) and len(x) else 0.0


SCREEN_MARGIN = 0.2  # four standard deviations of the estimate at 0.5: no copy is screened out


@dataclass(frozen=True)
class Fingerprint:
    """What the detector knows of one text."""

    normalized_length: int
    shingles: frozenset[str]
    numbers: frozenset[str]  # distinct digit runs of the normalised text
    signature: bytes  # NUM_PERM little-endian 32-bit MinHash values; empty: too short to compare
    keys: tuple[int, ...]  # its band keys; empty: too short to compare

    @property
    def comparable(self) -> bool:
        return bool(self.keys)


def fingerprint(text: str, indexed: bool = True) -> Fingerprint:
    """``indexed`` False: only what the exact comparison needs (a candidate's text), no MinHash."""
    normalized = normalize(text)
    parts = shingles(normalized)
    figures = numbers(normalized)
    if len(normalized) < MIN_CHARS or not indexed:
        return Fingerprint(len(normalized), parts, figures, b"", ())
    values = signature(parts)
    return Fingerprint(len(normalized), parts, figures, values.astype("<u4").tobytes(), tuple(band_keys(values)))
