"""Lines that are never article text on any site, in English and Chinese.

Generic extractors keep some of the page around an article: comment headers,
"related" lists, newsletter pitches, share prompts. A line matching ``CUT`` in
the second part of a text starts what follows the article (all of it goes);
a line matching ``DROP`` goes alone.
"""

from __future__ import annotations

import re

CUT = re.compile(
    r"^(\d+\s+)?(comments?|kommentare|comentários?|comentarios?|commentaires?|leave a (reply|comment)|"
    r"post a comment|comments are closed\.?|loading comments\.*|comments powered by disqus|"
    r"you must log in to post a comment\.?|related (articles|stories|posts|content|coverage)|read more|"
    r"more from .{0,40}|you (may|might) also like.*|recommended( for you)?|tinggalkan balasan|"
    r"deixe um comentário|相关(阅读|新闻|推荐|文章|链接|报道)|推荐阅读|延伸阅读|热门推荐|猜你喜欢|"
    r"发表评论|网友评论|全部评论|相关稿件|更多精彩|热点推荐|(小编|作者)最近文章|作者最新文章|为您推荐)\s*[:：]?$",
    re.IGNORECASE,
)
DROP = re.compile(
    r"^(advertisement|ad|sponsored|share( this( article)?)?:?|like this:?|don'?t miss|related:.*|see also:.*|"
    r"also:|(image|photo|picture) (source|copyright|credit|caption)s?\b.*|"
    r"follow .{0,60} on (twitter|facebook|instagram|youtube).*|.*\bsign up (for|to)\b.*newsletter.*|"
    r".*\bnewsletter\b.*(inbox|sign up|subscribe).*|.*\[(insight|news|pics|video|watch)\]\|?|"
    r"email .{0,60}@.{0,60}|reach the reporters? .*|tell us what you think.*|.{0,40}@\w+\.(com|org|net)\s*$|"
    r"updated( at)? \d.*|(\d{1,2}:\d{2} ?(am|pm) .{0,20})?\d{1,2}/\d{1,2}/\d{4}.{0,40}|"
    r"分享到[:：]?.*|点击(进入|查看)?(专题|原文|全文|下载).*|(本文)?来源[:：].{0,30}|扫一扫.*|"
    r"打开.{0,10}(客户端|app).{0,20}|责任编辑[:：].{0,20}|"
    r"[|\s]*(您的|当前|您现在的)?位置\s*[:：].{0,60}[>›»].{0,60}|"
    r"[（(]?\s*(原标题|原题为?|本文原标题)\s*[:：《].{0,80}|[（(]本文来自.{0,40}[)）])$",
    re.IGNORECASE,
)

# Boilerplate lines are short; a paragraph longer than this is text (and the patterns'
# ".*" alternatives stay cheap).
_DROP_MAX = 300


def strip_boilerplate(lines: list[str]) -> list[str]:
    kept = []
    cut_after = len(lines) * 0.3  # a "Comments" line near the top is more likely a heading of the article
    for index, line in enumerate(lines):
        stripped = line.strip()
        if index > cut_after and CUT.match(stripped):
            break
        if len(stripped) <= _DROP_MAX and DROP.match(stripped):
            continue
        kept.append(line)
    return kept
