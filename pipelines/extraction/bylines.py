"""Chinese byline lines: 来源 / 作者 / 记者 / 通讯员 / 摄影 / 编辑 / 发布时间.

A line such as ``来源:西宁晚报 作者:施翔 发布时间:2024-06-14 07:58:21 编辑:易 娜``
holds several labelled fields; each label's value runs to the next label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Label -> field. Longer labels first so 责任编辑 wins over 编辑.
_LABELS = {
    "责任编辑": "editor",
    "责编": "editor",
    "编辑": "editor",
    "审核": "reviewer",
    "来源": "source",
    "稿源": "source",
    "出处": "source",
    "作者": "authors",
    "记者": "authors",
    "撰稿": "authors",
    "文": "authors",
    "通讯员": "correspondents",
    "摄影": "photographers",
    "摄像": "photographers",
    "图": "photographers",
    "发布时间": "published_at",
    "发稿时间": "published_at",
    "发表时间": "published_at",
    "发布日期": "published_at",
    "时间": "published_at",
    "日期": "published_at",
    "更新时间": "updated_at",
}
# The same labels in traditional characters (mirrors and Hong Kong/Taiwan pages).
_LABELS.update(
    {
        "責任編輯": "editor", "責編": "editor", "編輯": "editor", "審核": "reviewer", "來源": "source",
        "記者": "authors", "通訊員": "correspondents", "攝影": "photographers", "攝像": "photographers",
        "圖": "photographers", "發布時間": "published_at", "發佈時間": "published_at", "發稿時間": "published_at",
        "發表時間": "published_at", "發布日期": "published_at", "時間": "published_at", "更新時間": "updated_at",
    }
)
_LABEL_ALTERNATION = "|".join(sorted(map(re.escape, _LABELS), key=len, reverse=True))
# A label followed by a colon (not inside a word: 活动时间： is no label), or a role
# word followed by a space ("本报记者 张三 通讯员 李四", "作者 施翔" at a line start).
_LABEL = re.compile(
    rf"(?<![\u4e00-\u9fff])(?:本报|本网|新华社|中新社|本報|本網)?({_LABEL_ALTERNATION})\s*[：:]\s*"
    r"|(?:^|(?<=\s))(?:本报|本网|新华社|中新社|本報|本網)?(?:特约)?"
    r"(记者|記者|通讯员|通訊員|实习生|摄影|攝影|作者|编辑|編輯|责任编辑|責任編輯)\s+(?=\S)"
)
# A whole line that credits photographers: "（记者 李娜 魏雅琪 摄）", "李娜 摄".
_PHOTO_CREDIT = re.compile(
    r"^[（(]?\s*(?:本报|本网|本報|本網)?(?:记者|記者|摄影记者|摄影|攝影|通讯员|通訊員)?\s*"
    r"([\u4e00-\u9fff·][\u4e00-\u9fff·\s、，,]{0,40}?)\s*(?:摄影?|攝影?|供图|供圖)\s*[）)]?$"
)
_NAME_SPLIT = re.compile(r"[\s、，,;；/|]+")
_ROLE_PREFIX = re.compile(r"^(?:本报|本网|新华社|中新社|本報|本網)?(?:特约)?(?:记者|記者|通讯员|通訊員|实习生|摄影记者|摄影|攝影)\s*")
_BRACKETS = "（）()[]【】<>《》“”\"'"
_CJK_CHAR = re.compile(r"^[\u4e00-\u9fff\u3400-\u4dbf\U00020000-\U0003134f]$")


@dataclass
class Bylines:
    """Fields read from labelled lines; ``raw`` keeps each label's original text."""

    source: str | None = None
    authors: list[str] = field(default_factory=list)
    correspondents: list[str] = field(default_factory=list)
    photographers: list[str] = field(default_factory=list)
    editor: str | None = None
    published_at: str | None = None
    updated_at: str | None = None
    raw: dict[str, str] = field(default_factory=dict)

    def merge(self, other: Bylines) -> None:
        """Fill what is still empty from ``other`` (earlier lines win)."""
        for name in ("source", "editor", "published_at", "updated_at"):
            if getattr(self, name) is None and getattr(other, name) is not None:
                setattr(self, name, getattr(other, name))
        for name in ("authors", "correspondents", "photographers"):
            if not getattr(self, name) and getattr(other, name):
                setattr(self, name, list(getattr(other, name)))
        for key, value in other.raw.items():
            self.raw.setdefault(key, value)


def split_names(value: str) -> list[str]:
    """Person names in a byline value, with typesetting spaces mended.

    Two-character names are often padded to three columns ("易 娜"): a run of
    single characters separated by spaces is one name, not several.
    """
    value = _ROLE_PREFIX.sub("", value.strip().strip(_BRACKETS)).strip()
    tokens = [t.strip(_BRACKETS) for t in _NAME_SPLIT.split(value) if t.strip(_BRACKETS)]
    names: list[str] = []
    pending = ""
    for token in tokens:
        token = _ROLE_PREFIX.sub("", token)
        if not token:
            continue
        if _CJK_CHAR.match(token):
            pending += token
            continue
        if pending:
            names.append(pending)
            pending = ""
        names.append(token)
    if pending:
        names.append(pending)
    return names


def clean_outlet(value: str) -> str:
    value = value.strip().strip(_BRACKETS).strip()
    return re.split(r"\s{2,}|\s*[|｜]\s*", value)[0].strip()


def parse_line(line: str) -> Bylines:
    """Every labelled field found in one line of text."""
    found = Bylines()
    line = line.strip()
    credit = _PHOTO_CREDIT.match(line)
    if credit:
        if not re.search(r"供[图圖]", line):  # "供图" names who supplied a picture, not who took it
            found.photographers = split_names(credit.group(1))
        found.raw["photographers"] = line
        return found
    matches = list(_LABEL.finditer(line))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(line)
        value = line[match.end() : end].strip(" \u3000|｜")
        label = match.group(1) or match.group(2)
        name = _LABELS[label]
        if not value or name == "reviewer":
            continue
        found.raw.setdefault(name, f"{label}：{value}")
        if name == "source" and found.source is None:
            found.source = clean_outlet(value)
        elif name == "editor" and found.editor is None:
            found.editor = "、".join(split_names(value)) or None
        elif name in ("published_at", "updated_at") and getattr(found, name) is None:
            setattr(found, name, value)
        elif name in ("authors", "correspondents", "photographers"):
            getattr(found, name).extend(n for n in split_names(value) if n not in getattr(found, name))
    return found


def is_byline_line(line: str) -> bool:
    """True when the line is nothing but labelled fields (safe to drop from a body edge)."""
    stripped = line.strip().strip(_BRACKETS).strip()
    if not stripped or len(stripped) > 80:
        return False
    if not (_LABEL.match(stripped) or _PHOTO_CREDIT.match(stripped)):
        return False
    return bool(parse_line(stripped).raw)


def parse_lines(lines: list[str]) -> Bylines:
    result = Bylines()
    for line in lines:
        result.merge(parse_line(line))
    return result
