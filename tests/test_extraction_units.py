"""The extractor's stages, one at a time, on the cases the wild throws at them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from pipelines.extraction.body import is_file_name, photographers_in
from pipelines.extraction.bylines import is_byline_line, parse_line, split_names
from pipelines.extraction.dates import choose, parse_datetime, url_date
from pipelines.extraction.decode import decode_html
from pipelines.extraction.quality import mojibake_spans, quality_flags
from pipelines.extraction.urls import canonicalize, rebase

SHANGHAI = ZoneInfo("Asia/Shanghai")
TEXT = "青海西宁：社区内的民族团结进步示范“新样板”，鄉村振興"


def _html(charset_meta: str | None, text: str = TEXT) -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset_meta}">' if charset_meta else ""
    return f"<html><head>{meta}</head><body><p>{text}</p></body></html>"


@pytest.mark.parametrize(
    "codec, meta, content_type, used",
    [
        ("gbk", "gb2312", "text/html", "gb18030"),  # declared gb2312, traditional chars only GBK has
        ("gbk", "gb2312", "text/html; charset=utf-8", "gb18030"),  # the server's header lies
        ("utf-8", "utf-8", "text/html; charset=gbk", "utf-8"),  # the header lies the other way
        ("utf-8", "gb2312", None, "utf-8"),  # the meta tag lies
        ("gbk", "gb2312", "text/html; charset=ISO-8859-1", "gb18030"),  # a server default
        ("gbk", None, "text/html", "gb18030"),  # nothing declared: the site's default
        ("gb18030", "gb2312", None, "gb18030"),
    ],
)
def test_decoding_follows_the_bytes_not_the_labels(codec, meta, content_type, used):
    body = _html(meta).encode(codec)
    text, decoding = decode_html(body, content_type, default="gb18030")
    assert TEXT in text
    assert decoding.used_charset == used
    assert decoding.replacement_chars == 0
    assert decoding.meta_charset == meta
    assert decoding.http_charset == (content_type.split("charset=")[1].lower() if content_type and "charset=" in content_type else None)


def test_decoding_four_byte_gb18030_and_bom():
    rare = "编辑：李\U0002c029"
    text, decoding = decode_html(_html("gb2312", rare).encode("gb18030"), None, default="gb18030")
    assert rare in text and decoding.used_charset == "gb18030"
    text, decoding = decode_html(b"\xef\xbb\xbf" + _html("gbk").encode("utf-8"))
    assert TEXT in text and decoding.used_charset == "utf-8-sig"


def test_undeclared_gbk_without_a_site_default_is_detected():
    text, decoding = decode_html(_html(None, TEXT * 20).encode("gbk"), "text/html")
    assert TEXT in text
    assert decoding.http_charset is None and decoding.meta_charset is None


def test_a_latin1_server_default_loses_to_cjk_bytes_even_without_a_site_default():
    # no meta tag, no site default: only detection can see that these bytes are GBK
    text, decoding = decode_html(_html(None, TEXT * 20).encode("gbk"), "text/html; charset=ISO-8859-1")
    assert TEXT in text
    assert decoding.used_charset != "iso-8859-1" and decoding.replacement_chars == 0


def test_lost_byte_counts_replacements():
    body = _html("gb2312", "六月的西宁，蓝天白云。6月7日。").encode("gbk")
    damaged = body[:60] + body[61:]
    _text, decoding = decode_html(damaged, None, default="gb18030")
    assert decoding.used_charset == "gb18030"


@pytest.mark.parametrize(
    "line, expected",
    [
        ("来源:西宁晚报 作者:施翔 发布时间:2024-06-14 07:58:21 编辑:易 娜",
         {"source": "西宁晚报", "authors": ["施翔"], "editor": "易娜", "published_at": "2024-06-14 07:58:21"}),
        ("作者 施翔", {"authors": ["施翔"]}),
        ("來源：青海日報  編輯：王 瑞", {"source": "青海日報", "editor": "王瑞"}),
        ("本报记者 张三 通讯员 李四", {"authors": ["张三"], "correspondents": ["李四"]}),
        ("记者：李娜、魏雅琪", {"authors": ["李娜", "魏雅琪"]}),
        ("责任编辑：王瑞", {"editor": "王瑞"}),
        ("（记者 李娜 魏雅琪 摄）", {"photographers": ["李娜", "魏雅琪"]}),
        ("活动时间：6月7日", {}),
        ("他是一名记者 工作认真", {}),
    ],
)
def test_byline_lines(line, expected):
    found = parse_line(line)
    got = {k: v for k, v in vars(found).items() if v and k != "raw"}
    assert got == expected
    assert is_byline_line(line) == bool(expected)


def test_padded_two_character_names_are_one_name():
    assert split_names("易 娜") == ["易娜"]
    assert split_names("施 翔 李娜") == ["施翔", "李娜"]
    assert split_names("本报记者 才让东智") == ["才让东智"]


@pytest.mark.parametrize(
    "text, value, precision",
    [
        ("发布时间：2024-06-14 07:58:21", "2024-06-14T07:58:21+08:00", "second"),
        ("2024年6月14日 07:58", "2024-06-14T07:58:00+08:00", "minute"),
        ("2024/06/14", "2024-06-14T00:00:00+08:00", "day"),
        ("2024-06-14T07:58:21Z", "2024-06-14T07:58:21+00:00", "second"),
    ],
)
def test_dates_are_zone_aware_with_their_precision(text, value, precision):
    parsed = parse_datetime(text, SHANGHAI)
    assert parsed.value.isoformat() == value and parsed.precision == precision


def test_yearless_dates_take_the_year_from_the_url_and_implausible_dates_are_refused():
    url = "http://www.qhnews.com/newscenter/system/2024/06/14/030321475.shtml"
    assert url_date(url).isoformat() == "2024-06-14"
    parsed = parse_datetime("06-14 07:58", SHANGHAI, year_hint=url_date(url).year)
    assert parsed.value.isoformat() == "2024-06-14T07:58:00+08:00"
    fetched = datetime(2024, 6, 15, tzinfo=SHANGHAI)
    future = parse_datetime("2031-01-01 10:00", SHANGHAI)
    contradicts_url = parse_datetime("2019-03-02 10:00", SHANGHAI)
    chosen = choose([future, contradicts_url], SHANGHAI, url, fetched)
    assert chosen.source == "url" and chosen.value.isoformat() == "2024-06-14T00:00:00+08:00"


def test_seed_mojibake_is_flagged_and_clean_text_is_not():
    assert mojibake_spans("青;ブ\ue2f0鞍嗣钾i”再獲全國性榮譽")  # the seed's 热点图片 line
    assert mojibake_spans("在居民間架起了連心橋,F在,鄰里之間相處融洽")  # the seed's body, after a mirror's repair
    clean = "近年来，团結社區堅持以黨建為統領，以鑄牢中華民族共同體意識為主線。乡村振兴，鄉村振興。"
    assert quality_flags(clean) == []
    assert quality_flags("cafÃ© au lait") == ["mojibake"]


def test_no_corpus_article_is_flagged_as_mojibake_in_either_script():
    import opencc

    from scraper.replica.corpus import load_corpus

    to_traditional = opencc.OpenCC("s2t").convert
    for article in load_corpus():
        assert mojibake_spans(article.body) == [], article.slug
        assert mojibake_spans(to_traditional(article.body)) == [], article.slug


def test_image_file_names_and_credits():
    for name in ("QQ图片20250529061729", "ScreenShot_2025-11-23_061051_189", "IMG_2034.JPG", "20240614075821_001"):
        assert is_file_name(name), name
    assert not is_file_name("2024年6月14日，团结社区志愿者为老人上门服务。")
    assert photographers_in("……李娜 魏雅琪 摄") == ["李娜", "魏雅琪"]
    assert photographers_in("龙羊峡库区的网箱。（新华社记者 贾晓龙 摄）") == ["贾晓龙"]
    assert photographers_in("牧民在草场上。（受访者供图）") == []


def test_canonical_urls_drop_tracking_and_map_between_origins():
    url = "http://WWW.qhnews.com:80/newscenter/system/2024/06/14/030321475.shtml?utm_source=wechat&from=timeline#top"
    assert canonicalize(url) == "http://www.qhnews.com/newscenter/system/2024/06/14/030321475.shtml"
    assert canonicalize("http://www.qhnews.com/a.shtml?id=2&spm=x&page=1") == "http://www.qhnews.com/a.shtml?id=2&page=1"
    replica = "http://127.0.0.1:8765/dj/index_1.shtml"
    real = rebase(replica, "http://127.0.0.1:8765", "http://www.qhnews.com")
    assert real == "http://www.qhnews.com/dj/index_1.shtml"
    assert rebase("http://elsewhere.cn/x", "http://127.0.0.1:8765", "http://www.qhnews.com") == "http://elsewhere.cn/x"
