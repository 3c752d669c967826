"""HTML of the replica's pages, in the three templates Qinghai News has used.

Pure rendering: every function takes plain data and returns a ``str``; the
generator decides what goes where and how it is encoded. Each article page
carries the seed page's surroundings: navigation, 站内检索, breadcrumb, the
【column】 kicker, 来源/作者/发布时间/编辑, images with captions, 推荐阅读,
24H热点, 热点图片, the footer with licence numbers and the share card that
repeats the whole article.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

SITE_TITLE = "青海新闻网"
OFFSITE_GOV = "http://www.qinghai.gov.cn/"
OFFSITE_TIBETAN = "http://tibet.qhnews.com/"

NAV = [
    ("首页", "/"),
    ("国内", "/gn/"),
    ("时评", "/sp/"),
    ("党建", "/dj/"),
    ("省情", "/sq/"),
    ("文化", "/wh/"),
    ("法治", "/fz/"),
    ("原创", "/newscenter/yc/"),
    ("视频", "/sp/video/"),
    ("省委文件", "/swwj/"),
    ("新闻", "/newscenter/"),
    ("政务", "/zw/"),
    ("旅游", "/qhly/"),
    ("生态", "/st/"),
    ("体育", "/ty/"),
    ("专题", "/zt/"),
    ("图片", "/tp/"),
    ("融媒", "/rm/"),
]


@dataclass
class Link:
    title: str
    href: str
    date: str = ""


@dataclass
class Picture:
    src: str
    alt: str
    caption_line: str | None  # what is printed under the image (the file name when the CMS had no caption)


@dataclass
class Block:
    """One piece of the body: a paragraph (``text``) or a picture."""

    text: str | None = None
    picture: Picture | None = None
    subheading: bool = False


@dataclass
class ArticleView:
    """Everything an article page shows, already formatted as it is printed."""

    template: str  # "a", "b" or "c"
    meta_charset: str | None  # what the <meta> tag declares; None for no tag
    title: str
    column: str | None
    subtitle: str | None
    crumbs: list[tuple[str, str]]  # (name, href) after the site's name
    section: str
    source_line: str  # printed value of 来源
    author_line: str  # printed value of 作者/记者
    editor_line: str
    time_line: str
    blocks: list[Block]
    pager: list[tuple[str, str | None]] = field(default_factory=list)  # (label, href or None for current)
    recommend: list[Link] = field(default_factory=list)
    hot: list[Link] = field(default_factory=list)
    hot_pictures: list[Link] = field(default_factory=list)
    share_text: list[str] = field(default_factory=list)  # the article again, as the share card prints it
    share_date: str = ""
    br_paragraphs: bool = False  # old CMS: paragraphs separated by <br> inside one <p>


def _e(text: str) -> str:
    return escape(text, quote=True)


def _head(title: str, section: str, meta_charset: str | None, modern: bool) -> str:
    if meta_charset is None:
        charset = ""
    elif modern:
        charset = f'<meta charset="{meta_charset}">'
    else:
        charset = f'<meta http-equiv="Content-Type" content="text/html; charset={meta_charset}">'
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        f"{charset}\n"
        f"<title>{_e(title)}_{_e(section)}_{SITE_TITLE}</title>\n"
        f'<meta name="keywords" content="{_e(section)},{SITE_TITLE}">\n'
        '<link rel="stylesheet" href="/css/style.css">\n'
        "<style>.fx-poster{display:none}.hot li{line-height:24px}</style>\n"
        '<script src="/js/jquery.min.js"></script>\n'
        "</head>\n"
    )


def _nav() -> str:
    items = " ".join(f'<a href="{href}">{name}</a>' for name, href in NAV)
    return (
        '<div class="topnav">'
        f"{items}"
        f' <a href="{OFFSITE_GOV}" target="_blank">青海省人民政府网</a>'
        f' <a href="{OFFSITE_TIBETAN}" target="_blank">藏文网</a>'
        "</div>\n"
        '<div class="search"><form action="/search/" method="get">'
        '<input type="text" name="q"><input type="submit" value="搜索"></form>'
        '<a href="/search/">站内检索</a></div>\n'
    )


def _crumbs(crumbs: list[tuple[str, str]], css_class: str) -> str:
    links = " &gt; ".join(f'<a href="{href}">{_e(name)}</a>' for name, href in crumbs)
    return f'<div class="{css_class}">您当前的位置 : <a href="/">{SITE_TITLE}</a> &gt; {links}</div>\n'


def _paragraph(block: Block, indent: str) -> str:
    if block.subheading:
        return f"<p>{indent}<strong>{_e(block.text or '')}</strong></p>\n"
    return f"<p>{indent}{_e(block.text or '')}</p>\n"


def _picture(picture: Picture, template: str) -> str:
    alt = _e(picture.alt)
    caption = _e(picture.caption_line) if picture.caption_line else ""
    if template == "a":
        out = f'<p style="text-align: center"><img src="{_e(picture.src)}" alt="{alt}" border="0"></p>\n'
        if caption:
            out += f'<p style="text-align: center" class="pic-caption">{caption}</p>\n'
        return out
    if template == "b":
        tail = f"<br>{caption}" if caption else ""
        return f'<p align="center"><img src="{_e(picture.src)}" border="0">{tail}</p>\n'
    out = f'<div class="pic"><img src="{_e(picture.src)}" alt="{alt}"></div>\n'
    if caption:
        out += f'<p class="pictext" align="center">{caption}</p>\n'
    return out


def _body(view: ArticleView) -> str:
    indent = "&nbsp;&nbsp;&nbsp;&nbsp;" if view.template == "b" else "\u3000\u3000"
    parts = []
    if view.template == "b" and view.subtitle:
        parts.append(f"<p>{_e(view.subtitle)}</p>\n")  # the old CMS put the 副题 into the body
    run: list[str] = []

    def flush_run() -> None:
        if run:
            parts.append("<p>" + "<br><br>".join(f"{indent}{_e(t)}" for t in run) + "</p>\n")
            run.clear()

    for block in view.blocks:
        if block.picture:
            flush_run()
            parts.append(_picture(block.picture, view.template))
        elif view.br_paragraphs and not block.subheading:
            run.append(block.text or "")
        else:
            flush_run()
            parts.append(_paragraph(block, indent))
    flush_run()
    return "".join(parts)


def _pager(view: ArticleView) -> str:
    if not view.pager:
        return ""
    items = []
    for label, href in view.pager:
        items.append(f'<span class="cur">{_e(label)}</span>' if href is None else f'<a href="{_e(href)}">{_e(label)}</a>')
    return '<div id="pages" class="pages">' + " ".join(items) + "</div>\n"


def _link_list(title: str, css_class: str, links: list[Link]) -> str:
    items = "".join(f'<li><a href="{_e(link.href)}" target="_blank">{_e(link.title)}</a></li>' for link in links)
    return f'<div class="{css_class}"><h3>{title}</h3><ul>{items}</ul></div>\n'


def _hot_pictures(links: list[Link]) -> str:
    items = "".join(
        f'<li><a href="{_e(link.href)}" target="_blank"><img src="/pic/hot/{i}.jpg" alt="{_e(link.title)}"></a>'
        f'<p><a href="{_e(link.href)}">{_e(link.title[:10] + "..." if len(link.title) > 10 else link.title)}</a></p></li>'
        for i, link in enumerate(links)
    )
    return f'<div class="hotpic"><h3>热点图片</h3><ul>{items}</ul></div>\n'


def _footer() -> str:
    return (
        '<div class="footer">'
        '<p><a href="/about/">关于我们</a> | <a href="/law/">法律顾问</a> | <a href="/ad/">广告服务</a> | '
        '<a href="/contact/">联系方式</a></p>'
        "<p>青海省互联网新闻中心主办&nbsp;&nbsp;版权所有：青海新闻网</p>"
        "<p>未经青海新闻网书面特别授权，请勿转载或建立镜像，违者依法必究</p>"
        "<p>E-mail:webmaster@qhnews.com 青海新闻网 互联网新闻信息许可证：63120170001 "
        "青ICP备19000163号 青公网安备 63010302000199号</p>"
        "</div>\n"
    )


def _share_card(view: ArticleView) -> str:
    """The QR poster: the article once more, hidden by an inline style (a), a CSS
    class (b), or visible at the very end of the page (c)."""
    kicker = f"<p>【{_e(view.column)}】</p>" if view.column else ""
    head = (
        f'{kicker}<p class="t">{_e(view.title)}</p><p>{_e(view.source_line)}</p><p>{_e(view.share_date)}</p>'
        "<p>青海门户 主流媒体</p>"
    )
    text = "".join(f"<p>\u3000\u3000{_e(t)}</p>" for t in view.share_text)
    inner = (
        f'<div class="qr">{head}<img src="/images/qrcode.png" alt="img"><p>长按识别二维码查看全文</p></div>'
        f'<div class="qr-full">{kicker}<p>{_e(view.title)}</p><ul><li>{_e(view.time_line)}</li>'
        f"<li>来源：{_e(view.source_line)}</li></ul>{text}"
        f"<p>作者 {_e(view.author_line)}</p><p>编辑：{_e(view.editor_line)}</p><p>青海新闻网版权所有</p></div>"
    )
    if view.template == "a":
        return f'<div class="share-card" style="display:none">{inner}</div>\n'
    if view.template == "b":
        return f'<div class="fx-poster">{inner}</div>\n'
    return f'<div class="poster-wrap">{inner}</div>\n'


def _template_a(view: ArticleView) -> str:
    kicker = f'<div class="kicker">【{_e(view.column)}】</div>\n' if view.column else ""
    subtitle = f'<h2 class="subtitle">{_e(view.subtitle)}</h2>\n' if view.subtitle else ""
    return (
        _crumbs(view.crumbs, "crumb")
        + '<div class="article">\n'
        + kicker
        + f'<h1 id="ArticleTitle">{_e(view.title)}</h1>\n'
        + subtitle
        + '<div class="info">'
        + f'<span>来源：<span id="ArticleSource">{_e(view.source_line)}</span></span>\u3000'
        + f"<span>作者：{_e(view.author_line)}</span>\u3000"
        + f'<span>发布时间：<span id="ArticleCreatedAt">{_e(view.time_line)}</span></span>'
        + "</div>\n"
        + f'<div id="ArticleContent">\n{_body(view)}</div>\n'
        + _pager(view)
        + f'<div class="editor">（编辑：{_e(view.editor_line)}）</div>\n'
        + "</div>\n"
    )


def _template_b(view: ArticleView) -> str:
    kicker = f"【{_e(view.column)}】" if view.column else ""
    return (
        '<table width="980" align="center"><tr><td class="crumb">'
        + _crumbs(view.crumbs, "position")
        + "</td></tr></table>\n"
        + '<table width="760" align="center" cellpadding="0" cellspacing="0">\n'
        + f'<tr><td align="center" colspan="3"><span class="zi14hei">{kicker}{_e(view.title)}</span></td></tr>\n'
        + "<tr>"
        + f'<td class="hui12">来源：{_e(view.source_line)}</td>'
        + f'<td class="hui12">记者：{_e(view.author_line)}</td>'
        + f'<td class="hui12">{_e(view.time_line)}</td>'
        + "</tr>\n"
        + f'<tr><td colspan="3"><div id="zoom">\n{_body(view)}</div></td></tr>\n'
        + (f'<tr><td colspan="3">{_pager(view)}</td></tr>\n' if view.pager else "")
        + f'<tr><td class="hui12" colspan="3" align="right">责任编辑：{_e(view.editor_line)}</td></tr>\n'
        + "</table>\n"
    )


def _template_c(view: ArticleView) -> str:
    kicker = f'<div class="yt">【{_e(view.column)}】</div>\n' if view.column else ""
    subtitle = f'<div class="ft">{_e(view.subtitle)}</div>\n' if view.subtitle else ""
    return (
        _crumbs(view.crumbs, "crumb")
        + '<div class="main">\n'
        + kicker
        + f'<h1 id="title1">{_e(view.title)}</h1>\n'
        + subtitle
        + '<div class="abstract">'
        + f"<span>{_e(view.time_line)}</span>\u3000<span>来源:{_e(view.source_line)}</span>\u3000"
        + f"<span>作者:{_e(view.author_line)}</span>\u3000<span>编辑:{_e(view.editor_line)}</span>"
        + "</div>\n"
        + f'<div id="zoom">\n{_body(view)}</div>\n'
        + _pager(view)
        + "</div>\n"
    )


def article_page(view: ArticleView) -> str:
    main = {"a": _template_a, "b": _template_b, "c": _template_c}[view.template](view)
    return (
        _head(view.title, view.section, view.meta_charset, modern=view.template != "b")
        + "<body>\n"
        + _nav()
        + main
        + _link_list("推荐阅读", "recommend", view.recommend)
        + _link_list("24H热点", "hot", view.hot)
        + _hot_pictures(view.hot_pictures)
        + _footer()
        + _share_card(view)
        + "</body>\n</html>\n"
    )


def list_page(
    section: str,
    crumbs: list[tuple[str, str]],
    items: list[Link],
    pages: list[tuple[str, str | None]],
    meta_charset: str | None,
    extra: list[Link] | None = None,
) -> str:
    """A section list page: newest first, with pagination (上一页 1 2 … 下一页 尾页)."""
    rows = "".join(
        f'<li><a href="{_e(item.href)}" target="_blank">{_e(item.title)}</a><span class="date">{_e(item.date)}</span></li>\n'
        for item in items + (extra or [])
    )
    pager = " ".join(
        f'<span class="cur">{_e(label)}</span>' if href is None else f'<a href="{_e(href)}">{_e(label)}</a>'
        for label, href in pages
    )
    return (
        _head(section, section, meta_charset, modern=False).replace(f"{_e(section)}_{_e(section)}_", f"{_e(section)}_")
        + "<body>\n"
        + _nav()
        + _crumbs(crumbs, "crumb")
        + f'<div class="list"><ul>\n{rows}</ul></div>\n'
        + f'<div class="pages">{pager}</div>\n'
        + _footer()
        + "</body>\n</html>\n"
    )


def not_found_page() -> str:
    return (
        '<!DOCTYPE html>\n<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        "<title>404 页面不存在</title></head><body><h1>对不起，您访问的页面不存在或已被删除</h1>"
        '<p><a href="/">返回青海新闻网首页</a></p></body></html>\n'
    )
