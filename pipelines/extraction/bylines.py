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
    "采写": "authors",
    "执笔": "authors",
    "撰文": "authors",
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
# Short or common words are labels only at a boundary (活动时间： and 中文： are no labels);
# distinctive ones (来源, 作者, 责任编辑 …) also right after other characters, as in
# "2019-09-26 12:11来源：证券时报网作者：李在山".
_WEAK = {"文", "图", "圖", "时间", "時間", "日期", "出处", "审核", "審核"}
_STRONG_ALTERNATION = "|".join(sorted((re.escape(k) for k in _LABELS if k not in _WEAK), key=len, reverse=True))
_WEAK_ALTERNATION = "|".join(sorted(map(re.escape, _WEAK), key=len, reverse=True))
_ROLES = "记者|記者|通讯员|通訊員|实习生|摄影|攝影|作者|编辑|編輯|责任编辑|責任編輯"
_LABEL = re.compile(
    rf"(?:本报|本网|新华社|中新社|本報|本網)?(?P<strong>{_STRONG_ALTERNATION})\s*[：:/／|｜]\s*"
    r"|(?<![\u4e00-\u9fff])(?P<both>文/图|图/文|文／图|图／文)[\s：:]*"
    rf"|(?<![\u4e00-\u9fff])(?P<weak>{_WEAK_ALTERNATION})\s*[：:/／|｜]\s*"
    rf"|(?:^|(?<=\s))(?:本报|本网|新华社|中新社|本報|本網)?(?:特约)?(?P<role>{_ROLES})\s+(?=\S)"
)
# "澎湃新闻记者 段彦超 廖艳", "《棱镜》作者 周纯": an outlet's name glued before the role.
_OUTLET_BEFORE_ROLE = re.compile(
    rf"^(?:《[^》]{{1,12}}》|[\u4e00-\u9fff]{{1,10}}(?:新闻|报|網|网|社|台|刊|志|端))(?=(?:特约)?(?:{_ROLES})\s+\S)"
)
_LABELS.update({"文/图": "authors", "图/文": "authors", "文／图": "authors", "图／文": "authors"})
# Links and buttons that sit right after a value on portals: "来源: 新京报 举报".
_TRAILING_JUNK = re.compile(r"\s*(举报|分享到?|字号|评论|打印|收藏|纠错|关闭|大|中|小|\|)+\s*$")
_LEADING_DATE = re.compile(
    r"^(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}日?(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?\s*"
)
# "医技药剂党支部、药剂科供稿 摄影/张艳 编辑/苏芳": who supplied the text, then the credits.
_CONTRIBUTED = re.compile(r"^[^，。！？\s]{1,24}供稿\s+(?=\S)")
_LIST_MARK = re.compile(r"^[-•·*]\s+")  # "- 责任编辑: 刘响": a list item's marker
_EDITOR_CODE = re.compile(r"_[A-Za-z]{1,4}\d{2,}$")  # "杨倩_NF4425": a staff code after the name

# A whole line that credits photographers: "（记者 李娜 魏雅琪 摄）", "李娜 摄".
_PHOTO_CREDIT = re.compile(
    r"^[（(]?\s*(?:本报|本网|本報|本網)?(?:记者|記者|摄影记者|摄影|攝影|通讯员|通訊員)?\s*"
    r"([\u4e00-\u9fff·][\u4e00-\u9fff·\s、，,]{0,40}?)\s*(?:摄影?|攝影?|供图|供圖)\s*[）)]?$"
)
_NAME_PARTS = re.compile(r"\s*[、，,;；/|&＆]+\s*|\s{2,}")
_SENTENCE_MARK = re.compile(r"[。！？!?：:“”\"]|\.\s")
_MAX_CJK_NAME, _MAX_LATIN_NAME, _MAX_OUTLET = 7, 40, 40  # longer "names" are sentences that followed a label
_LATIN_NAME_SPLIT = re.compile(r"\s*(?:[、，,;；/|&＆]|\band\b)\s*")
_ROLE_PREFIX = re.compile(
    r"^(?:本报|本网|新华社|中新社|本報|本網|[\u4e00-\u9fff]{1,8}?)?(?:特约|见习|实习|首席|专栏)?"
    r"(?:记者|記者|通讯员|通訊員|实习生|摄影记者|摄影|攝影|作者)\s*"
)
# Words after the names in a dateline: "（记者陈智 整合）".
_AFTER_NAMES = re.compile(r"\s*(整合|报道|综合|整理|采写|发自\S*|摄影?|供图)\s*$")
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


# Words printed where a name would be that name nobody: placeholders, buttons, notes.
NOT_A_NAME = frozenset({"未知", "佚名", "匿名", "不详", "网络", "网络整理", "综合", "本站", "小编", "编辑", "admin",
                        "我已授权", "举报", "分享", "收藏", "关注", "评论", "点赞", "原创", "转载", "管理员"})


def split_names(value: str) -> list[str]:
    """Person names in a byline value, with typesetting spaces mended.

    Explicit separators (、，/ …, or a run of spaces) part names first. Inside one
    part, single characters separated by a space pair up: two-character names are
    padded to three columns ("易 娜"), so "施 翔 李 娜" is 施翔 and 李娜. What cannot be
    a name - a sentence, a placeholder such as 未知 - is left out.
    """
    value = _ROLE_PREFIX.sub("", value.strip().strip(_BRACKETS)).strip()
    if value and not re.search(r"[\u4e00-\u9fff]", value):  # "Demi Xia": Latin names keep their spaces
        return [t.strip() for t in _LATIN_NAME_SPLIT.split(value) if _plausible_name(t.strip())]
    names: list[str] = []
    for part in _NAME_PARTS.split(value):
        pending = ""
        for token in part.split():
            token = _EDITOR_CODE.sub("", _ROLE_PREFIX.sub("", token.strip(_BRACKETS)))
            if not token:
                continue
            if _CJK_CHAR.match(token):
                pending += token
                if len(pending) == 2:
                    names.append(pending)
                    pending = ""
                continue
            if pending:
                names.append(pending)
                pending = ""
            names.append(token)
        if pending:
            names.append(pending)
    return [name for name in names if _plausible_name(name)]


def _plausible_name(name: str) -> bool:
    if not name or name in NOT_A_NAME or _SENTENCE_MARK.search(name):
        return False
    return len(name) <= (_MAX_CJK_NAME if re.search(r"[\u4e00-\u9fff]", name) else _MAX_LATIN_NAME)


def clean_outlet(value: str) -> str:
    """The outlet's name alone: a CJK name ends at the first space ("新京报 举报" -> 新京报)."""
    # an outlet is a name: 200 characters is plenty, and keeps the junk pattern below linear
    value = _TRAILING_JUNK.sub("", value.strip()[:200].strip(_BRACKETS).strip())
    if value[:1] and re.match(r"[\u4e00-\u9fff《]", value):
        value = value.split()[0] if value.split() else value
    value = re.split(r"\s{2,}|\s*[|｜]\s*|[。，,；;！!？?]", value)[0].strip().strip(_BRACKETS)
    return "" if value in NOT_A_NAME or len(value) > _MAX_OUTLET else value


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
    line = _OUTLET_BEFORE_ROLE.sub("", line, count=1)
    matches = list(_LABEL.finditer(line))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(line)
        value = line[match.end() : end].strip(" \u3000|｜")
        label = match.group("strong") or match.group("weak") or match.group("both") or match.group("role")
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
    """True when the line is nothing but labelled fields, maybe after a date (safe to drop from a body edge)."""
    stripped = _LIST_MARK.sub("", line.strip())
    if stripped[:1] in "（(【[" and stripped[-1:] in "）)】]":  # "（记者 李娜 摄）"
        stripped = stripped[1:-1].strip()
    stripped = _OUTLET_BEFORE_ROLE.sub("", _LEADING_DATE.sub("", stripped, count=1), count=1)
    stripped = _CONTRIBUTED.sub("", stripped, count=1)
    if not stripped or len(stripped) > 80:
        return False
    if not (_LABEL.match(stripped) or _PHOTO_CREDIT.match(stripped)):
        return False
    return bool(parse_line(stripped).raw)


def parse_lines(lines: list[str]) -> Bylines:
    """Fields of a block of lines; editors named on several lines ("编辑|A", "责编|B") are joined."""
    result = Bylines()
    editors: list[str] = []
    for line in lines:
        parsed = parse_line(_LIST_MARK.sub("", line))
        if parsed.editor:
            editors += [e for e in parsed.editor.split("、") if e not in editors]
        result.merge(parsed)
    if len(editors) > 1:
        result.editor = "、".join(editors)
    return result


def dateline_names(text: str) -> Bylines:
    """Names in a dateline's bracket: "记者陈智 整合", "记者 张三、李四", "本报记者张三 通讯员李四"."""
    found = Bylines()
    for role, names in re.findall(r"(记者|通讯员|記者|通訊員)\s*([^记通記]+)", text):
        names = _AFTER_NAMES.sub("", names.strip())
        target = found.authors if role in ("记者", "記者") else found.correspondents
        target += [n for n in split_names(names) if 2 <= len(n) <= 4 or not re.search(r"[\u4e00-\u9fff]", n)]
    if found.authors or found.correspondents:
        found.raw["authors"] = text
    return found


def segment_labels(line: str) -> Bylines:
    """"来源CSDN| 0 条评论| 作者魏星": labels glued to their values, in |-separated segments."""
    found = Bylines()
    for segment in re.split(r"\s*[|｜]\s*", line):
        match = re.match(r"^(来源|作者|编辑|责任编辑)\s*([^\s：:]{2,20})$", segment.strip())
        if match:
            found.merge(parse_line(f"{match.group(1)}：{match.group(2)}"))
    return found
