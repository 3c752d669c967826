"""HTML of the simulated outlets: one page template per outlet, none like Qinghai News'.

Pure rendering, as in ``pages``: plain data in, a ``str`` out. Each outlet has its
own markup (ids, classes, tables or HTML5), header, navigation, footer with its
copyright line, a related-links box, and its own arrangement of the 来源 / 记者 /
发布时间 / 编辑 labels; the traditional-character mirror prints its chrome in
traditional characters too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from .pages import Link


@dataclass
class OutletArticleView:
    """An outlet article page's content, already as printed."""

    title: str
    section: tuple[str, str]  # (name, href of its list)
    source: str
    author_label: str | None  # None: no reporter line
    authors: list[str]
    time_line: str
    editor: str
    paragraphs: list[str]
    kicker: str | None = None
    subtitle: str | None = None
    related: list[Link] = field(default_factory=list)
    previous: Link | None = None
    following: Link | None = None


def _e(text: str) -> str:
    return escape(text, quote=True)


def _reporters(view: OutletArticleView) -> str:
    return f"{view.author_label}{' '.join(view.authors)}" if view.author_label is not None else ""


def _links(links: list[Link], dated: bool = False) -> str:
    return "".join(
        f'<li><a href="{_e(link.href)}">{_e(link.title)}</a>' + (f"<span>{_e(link.date)}</span>" if dated else "") + "</li>"
        for link in links
    )


def _pager(pager: list[tuple[str, str | None]], current: str = "span") -> str:
    return " ".join(f"<{current} class=\"on\">{_e(label)}</{current}>" if href is None
                    else f'<a href="{_e(href)}">{_e(label)}</a>' for label, href in pager)


# -- 青海日报: a newspaper's site of the old school, GBK, <div> blocks with short class names ------------

_QHRB_NAV = (
    '<div id="qhrb_top"><div class="logo"><a href="/">青海日报</a></div>'
    '<div class="daohang"><a href="/">首页</a> | <a href="/node_yw/">要闻</a> | <a href="/node_sz/">时政</a> | '
    '<a href="/epaper/">数字报</a> | <a href="/epaper/search/">检索</a> | '
    '<a href="http://www.qhnews.com/" target="_blank">青海新闻网</a></div></div>\n'
)
_QHRB_FOOT = (
    '<div id="qhrb_foot"><p><a href="/about/">报社简介</a> | <a href="/ad/">广告刊例</a> | <a href="/tougao/">投稿信箱</a></p>'
    "<p>青海日报社主办　版权所有　未经书面授权不得转载、摘编或建立镜像</p>"
    "<p>地址：西宁市城西区同仁路10号　青ICP备05000123号-1</p></div>\n"
)


def _qhrb_article(view: OutletArticleView) -> str:
    reporters = _reporters(view)
    info = f"来源：{_e(view.source)}" + (f"\u3000\u3000{_e(reporters)}" if reporters else "") + \
        f"\u3000\u3000发布时间：{_e(view.time_line)}"
    body = "".join(f"<p>\u3000\u3000{_e(p)}</p>\n" for p in view.paragraphs)
    return (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><head>\n'
        '<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />\n'
        f"<title>{_e(view.title)}-青海日报</title>\n"
        '<link href="/css/qhrb.css" rel="stylesheet" type="text/css" />\n</head>\n<body>\n'
        + _QHRB_NAV
        + f'<div class="dqwz">当前位置：<a href="/">首页</a> &gt; <a href="{view.section[1]}">{_e(view.section[0])}</a> &gt; 正文</div>\n'
        + '<div id="qhrb_article">\n<div class="art_hd">\n'
        + (f'<p class="yt">{_e(view.kicker)}</p>\n' if view.kicker else "")
        + f'<h1 class="bt">{_e(view.title)}</h1>\n'
        + (f'<p class="ft">{_e(view.subtitle)}</p>\n' if view.subtitle else "")
        + f'<div class="art_info">{info}</div>\n</div>\n'
        + f'<div id="ozoom" class="art_bd">\n{body}</div>\n'
        + f'<div class="art_ft">责任编辑：{_e(view.editor)}</div>\n</div>\n'
        + f'<div class="xgwz"><h3>相关文章</h3><ul>{_links(view.related, dated=True)}</ul></div>\n'
        + _QHRB_FOOT
        + "</body>\n</html>\n"
    )


def _qhrb_list(section: tuple[str, str], items: list[Link], pager: list[tuple[str, str | None]]) -> str:
    rows = "".join(f'<tr><td class="bt"><a href="{_e(i.href)}">{_e(i.title)}</a></td><td class="rq">{_e(i.date)}</td></tr>\n'
                   for i in items)
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312" />'
        f"<title>{_e(section[0])}-青海日报</title></head>\n<body>\n" + _QHRB_NAV
        + f'<div class="dqwz">当前位置：<a href="/">首页</a> &gt; {_e(section[0])}</div>\n'
        + f'<table class="lb" width="960">\n{rows}</table>\n<div class="fy">{_pager(pager, "b")}</div>\n'
        + _QHRB_FOOT + "</body></html>\n"
    )


# -- 西宁晚报: a modern HTML5 site, UTF-8 ---------------------------------------------------------------

_XNWB_HEADER = (
    '<header class="xw-header"><a class="xw-logo" href="/">西宁晚报</a>'
    '<nav class="xw-nav"><a href="/">首页</a><a href="/bd/">本地</a><a href="/ms/">民生</a>'
    '<a href="/member/login">登录</a><a href="/search?q=">搜索</a></nav></header>\n'
)
_XNWB_FOOTER = (
    '<footer class="xw-footer"><p>西宁晚报社 版权所有 · <a href="/about">联系我们</a> · <a href="/ad">广告服务</a></p>'
    "<p>本网站所刊登的西宁晚报各种新闻、信息和专栏资料，未经协议授权，禁止下载使用</p>"
    "<p>青ICP备09000456号 · 互联网新闻信息服务许可证63120170002</p></footer>\n"
)


def _xnwb_paragraph(text: str) -> str:
    if text.startswith("编者按："):
        return f'<p class="xw-note"><strong>编者按：</strong>{_e(text[4:])}</p>\n'
    return f"<p>{_e(text)}</p>\n"


def _xnwb_article(view: OutletArticleView) -> str:
    reporters = _reporters(view)
    meta = (f'<span class="xw-time">{_e(view.time_line)}</span> <span class="xw-source">来源：{_e(view.source)}</span>'
            + (f' <span class="xw-author">{_e(reporters)}</span>' if reporters else ""))
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(view.title)}_西宁晚报</title>\n"
        f'<meta name="description" content="{_e(view.paragraphs[0][:60])}">\n'
        '<link rel="stylesheet" href="/static/css/xw.css">\n</head>\n<body>\n'
        + _XNWB_HEADER
        + '<main class="xw-wrap">\n'
        + f'<nav class="xw-path"><a href="/">首页</a> / <a href="{view.section[1]}">{_e(view.section[0])}</a></nav>\n'
        + '<article class="xw-article">\n'
        + f'<h1 class="xw-title">{_e(view.title)}</h1>\n'
        + f'<div class="xw-meta">{meta}</div>\n'
        + '<section class="xw-content">\n' + "".join(_xnwb_paragraph(p) for p in view.paragraphs) + "</section>\n"
        + f'<p class="xw-editor">编辑：{_e(view.editor)}　校对：王敏</p>\n'
        + '<div class="xw-share">分享到：<a href="#">微信</a> <a href="#">微博</a></div>\n</article>\n'
        + f'<aside class="xw-related"><h2>延伸阅读</h2><ul>{_links(view.related)}</ul></aside>\n</main>\n'
        + _XNWB_FOOTER
        + "</body>\n</html>\n"
    )


def _xnwb_list(section: tuple[str, str], items: list[Link], pager: list[tuple[str, str | None]]) -> str:
    cards = "".join(f'<li class="xw-item"><h3><a href="{_e(i.href)}">{_e(i.title)}</a></h3><time>{_e(i.date)}</time></li>\n'
                    for i in items)
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{_e(section[0])}_西宁晚报</title></head>\n<body>\n" + _XNWB_HEADER
        + f'<main class="xw-wrap"><h1 class="xw-channel">{_e(section[0])}</h1>\n<ul class="xw-list">\n{cards}</ul>\n'
        + f'<nav class="xw-pages">{_pager(pager)}</nav></main>\n' + _XNWB_FOOTER + "</body>\n</html>\n"
    )


# -- 海东时报: a table layout of an older CMS, UTF-8 ----------------------------------------------------

_HDSB_TOP = (
    '<table class="hd_top" width="1000" align="center"><tr><td class="hd_logo"><a href="/">海东时报</a></td>'
    '<td class="hd_menu"><a href="/">首页</a> <a href="/hdxw/">海东新闻</a> <a href="/hhyh/">河湟夜话</a> '
    '<a href="/e/search/">站内搜索</a> <a href="/e/member/">会员中心</a></td></tr></table>\n'
)
_HDSB_FOOT = (
    '<div class="hd_foot">主办：海东时报社　地址：海东市乐都区古城大街<br>'
    "Copyright © 2024 海东时报 All Rights Reserved　青ICP备12000789号</div>\n"
)


def _hdsb_paragraph(text: str) -> str:
    if text.startswith("编者按："):
        return f'<p style="text-indent:2em"><b>编者按：</b>{_e(text[4:])}</p>\n'
    return f'<p style="text-indent:2em">{_e(text)}</p>\n'


def _hdsb_article(view: OutletArticleView) -> str:
    reporters = _reporters(view)
    info = f"发布时间：{_e(view.time_line)} | 来源：{_e(view.source)}" + (f" | {_e(reporters)}" if reporters else "")
    neighbours = "".join(f'<p>{label}：<a href="{_e(link.href)}">{_e(link.title)}</a></p>'
                         for label, link in (("上一篇", view.previous), ("下一篇", view.following)) if link)
    return (
        '<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
        f"<title>{_e(view.title)} - 海东时报</title>\n"
        '<meta name="keywords" content="海东时报,海东新闻">\n</head>\n<body>\n'
        + _HDSB_TOP
        + '<table width="1000" align="center" cellpadding="0" cellspacing="0"><tr>\n<td class="left" width="700" valign="top">\n'
        + f'<div class="lmdh">所在栏目：<a href="{view.section[1]}">{_e(view.section[0])}</a></div>\n'
        + (f'<div class="lmtb">【{_e(view.kicker)}】</div>\n' if view.kicker else "")
        + f'<div class="wzbt">{_e(view.title)}</div>\n'
        + f'<div class="wzxx">{info}</div>\n'
        + '<div class="wznr" id="wznr">\n' + "".join(_hdsb_paragraph(p) for p in view.paragraphs) + "</div>\n"
        + f'<div class="wzbj">（责任编辑：{_e(view.editor)}）</div>\n'
        + f'<div class="sxp">{neighbours}</div>\n</td>\n'
        + f'<td class="right" width="300" valign="top"><div class="phb"><h4>点击排行</h4><ol>{_links(view.related)}</ol></div></td>\n'
        + "</tr></table>\n" + _HDSB_FOOT + "</body>\n</html>\n"
    )


def _hdsb_list(section: tuple[str, str], items: list[Link], pager: list[tuple[str, str | None]]) -> str:
    rows = "".join(f'<li><span class="rq">[{_e(i.date)}]</span><a href="{_e(i.href)}" target="_blank">{_e(i.title)}</a></li>\n'
                   for i in items)
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        f"<title>{_e(section[0])} - 海东时报</title></head>\n<body>\n" + _HDSB_TOP
        + f'<div class="lmdh">所在栏目：{_e(section[0])}</div>\n<ul class="lblist">\n{rows}</ul>\n'
        + f'<div class="page">{_pager(pager, "font")}</div>\n' + _HDSB_FOOT + "</body></html>\n"
    )


# -- 高原新聞網: a portal mirror in traditional characters, UTF-8 -------------------------------------

_GY_TOP = (
    '<div id="gy-top"><span class="gy-brand"><a href="/">高原新聞網</a></span><ul class="gy-menu">'
    '<li><a href="/">首頁</a></li><li><a href="/qinghai/">青海</a></li><li><a href="/admin/">管理</a></li>'
    '<li><a href="http://www.qhnews.com/" rel="nofollow">青海新聞網</a></li></ul></div>\n'
)
_GY_FOOT = (
    '<div id="gy-foot"><p><a href="/about.html">關於我們</a> · <a href="/contact.html">聯繫我們</a></p>'
    "<p>© 2024 高原新聞網 版權所有 轉載請註明出處</p></div>\n"
)


def _gaoyuan_article(view: OutletArticleView) -> str:
    byline = f'<span class="gy-date">{_e(view.time_line)}</span> <em>來源：</em><span class="gy-src">{_e(view.source)}</span>'
    if view.author_label is not None:
        label = f"<em>{_e(view.author_label)}：</em>" if view.author_label else ""
        byline += f' {label}<span class="gy-au">{_e(" ".join(view.authors))}</span>'
    return (
        '<!DOCTYPE html>\n<html lang="zh-Hant">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_e(view.title)} | 高原新聞網</title>\n"
        f'<meta property="og:title" content="{_e(view.title)}">\n</head>\n<body>\n'
        + _GY_TOP
        + '<div class="gy-body"><div class="gy-main">\n'
        + f'<h1 id="gy-headline">{_e(view.title)}</h1>\n'
        + f'<div class="gy-byline">{byline}</div>\n'
        + '<div id="gy-text">\n' + "".join(f"<p>{_e(p)}</p>\n" for p in view.paragraphs) + "</div>\n"
        + f'<p class="gy-note">本網轉載此文是出於傳遞更多信息之目的，不代表本網觀點。責任編輯：{_e(view.editor)}</p>\n'
        + f'<div class="gy-more"><h3>延伸閱讀</h3><ul>{_links(view.related)}</ul></div>\n</div></div>\n'
        + _GY_FOOT
        + "</body>\n</html>\n"
    )


def _gaoyuan_list(section: tuple[str, str], items: list[Link], pager: list[tuple[str, str | None]]) -> str:
    rows = "".join(f'<div class="gy-row"><a href="{_e(i.href)}">{_e(i.title)}</a><i>{_e(i.date)}</i></div>\n'
                   for i in items)
    return (
        '<!DOCTYPE html>\n<html lang="zh-Hant"><head><meta charset="utf-8">'
        f"<title>{_e(section[0])} | 高原新聞網</title></head>\n<body>\n" + _GY_TOP
        + f'<div class="gy-body"><h2>{_e(section[0])}</h2>\n{rows}<div class="gy-pager">{_pager(pager)}</div></div>\n'
        + _GY_FOOT + "</body>\n</html>\n"
    )


_ARTICLE = {"qhrb": _qhrb_article, "xnwb": _xnwb_article, "hdsb": _hdsb_article, "gaoyuan": _gaoyuan_article}
_LIST = {"qhrb": _qhrb_list, "xnwb": _xnwb_list, "hdsb": _hdsb_list, "gaoyuan": _gaoyuan_list}
_CHROME = {"qhrb": (_QHRB_NAV, _QHRB_FOOT, "gb2312"), "xnwb": (_XNWB_HEADER, _XNWB_FOOTER, "utf-8"),
           "hdsb": (_HDSB_TOP, _HDSB_FOOT, "utf-8"), "gaoyuan": (_GY_TOP, _GY_FOOT, "utf-8")}
_NOT_FOUND = {"qhrb": ("对不起，您要查看的页面不存在", "返回首页"), "xnwb": ("页面不存在或已删除", "返回首页"),
              "hdsb": ("信息不存在", "返回首页"), "gaoyuan": ("找不到您要的頁面", "返回首頁")}
ROBOTS = {
    "qhrb": "User-agent: *\nDisallow: /epaper/search/\n",
    "xnwb": "User-agent: *\nDisallow: /member/\nDisallow: /search\n",
    "hdsb": "User-agent: *\nDisallow: /e/\n",
    "gaoyuan": "User-agent: *\nDisallow: /admin/\n",
}


def article_page(outlet: str, view: OutletArticleView) -> str:
    return _ARTICLE[outlet](view)


def list_page(outlet: str, section: tuple[str, str], items: list[Link], pager: list[tuple[str, str | None]]) -> str:
    """A section list, newest first, with the outlet's pager (首页 上一页 1 2 … 下一页 尾页)."""
    return _LIST[outlet](section, items, pager)


def _page(outlet: str, title: str, main: str) -> str:
    top, foot, charset = _CHROME[outlet]
    return (f'<!DOCTYPE html>\n<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
            f"<title>{_e(title)}</title></head>\n<body>\n{top}{main}{foot}</body></html>\n")


def home_page(outlet: str, name: str, sections: list[tuple[str, str]]) -> str:
    links = "".join(f'<li><a href="{href}">{_e(section)}</a></li>' for section, href in sections)
    return _page(outlet, name, f'<div class="home"><h1>{_e(name)}</h1><ul>{links}</ul></div>\n')


def not_found_page(outlet: str, name: str) -> str:
    message, back = _NOT_FOUND[outlet]
    return _page(outlet, f"404 {name}", f'<div class="err404"><h1>{message}</h1><a href="/">{back}</a></div>\n')
