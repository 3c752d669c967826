"""Hard negatives for syndication detection: template-heavy reports on one topic.

Provincial papers print the same skeleton again and again: the 省委常委会 meeting
report, the daily weather bulletin, the weekly market price bulletin, a serial
column with a fixed intro and outro. Two such reports of different days share
most of their wording and are still different stories; a near-duplicate detector
must not merge them. Each report here is built from its kind's skeleton with
slots that differ by day (agenda, weather per place, prices, the column's
content), deterministically from its date.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Bulletin:
    """One hard-negative report as its own outlet first prints it."""

    slug: str
    kind: str  # meeting, weather, price, column
    outlet: str  # the outlet's site name: qhrb, xnwb, hdsb
    section: str  # the outlet's section folder key
    title: str
    dateline: str  # printed before the first paragraph ("本报讯（记者 …）")
    paragraphs: tuple[str, ...]
    published: datetime
    authors: tuple[str, ...]
    column: str | None = None


# -- 省委常委会 meeting reports (青海日报) -----------------------------------------------------------


@dataclass(frozen=True)
class _Topic:
    name: str  # what the meeting studied
    short: str  # the same in a headline
    point: str  # why it matters ("会议指出，…")
    demand: str  # what the meeting asks for, without its leading 要


_TOPICS = (
    _Topic("防汛抗旱和地质灾害防治", "防汛抗旱", "今年主汛期我省降水偏多的可能性较大，防汛形势不容乐观，",
           "树牢底线思维，逐级压实防汛责任，加强对病险水库、山洪沟道和地质灾害隐患点的巡查排查，提前转移受威胁群众，确保安全度汛。"),
    _Topic("安全生产", "安全生产", "当前正值旅游旺季和建设施工高峰期，安全生产风险交织叠加，",
           "聚焦矿山、危险化学品、道路交通、燃气和建筑施工等重点行业领域，严格落实企业主体责任和部门监管责任，坚决遏制重特大事故发生。"),
    _Topic("三江源国家公园建设", "国家公园建设", "三江源国家公园是我省生态保护的重中之重，",
           "坚持生态保护优先，完善生态管护员队伍管理，加强野生动物栖息地保护和退化草原修复，守护好“中华水塔”。"),
    _Topic("夏季田间管理和粮食生产", "粮食生产", "眼下正是农作物生长的关键时期，",
           "抓好田间管理和病虫害统防统治，加快高标准农田建设进度，做好农业防灾减灾，为全年粮食稳产保供打好基础。"),
    _Topic("高校毕业生就业", "稳就业", "今年全省高校毕业生人数再创新高，",
           "拓展市场化社会化就业渠道，用好稳岗扩岗政策，加强困难家庭毕业生帮扶，确保就业局势总体稳定。"),
    _Topic("优化营商环境", "营商环境", "营商环境是发展的软实力，",
           "持续深化“放管服”改革，推进政务服务“一网通办”，依法平等保护各类经营主体合法权益，着力解决企业反映的审批慢、融资难等问题。"),
    _Topic("世界级盐湖产业基地建设", "盐湖产业", "盐湖资源是我省最具优势的战略资源，",
           "推动钾、锂、镁等资源综合利用和产业链延伸，强化关键技术攻关，提升盐湖资源绿色开发利用水平。"),
    _Topic("民族团结进步示范省建设", "民族团结进步", "民族团结是各族群众的生命线，",
           "把民族团结进步创建融入社区、学校、企业和宗教活动场所，促进各族群众交往交流交融，筑牢中华民族共同体意识。"),
    _Topic("文化旅游发展", "文旅发展", "夏季是我省文化旅游的黄金季节，",
           "提升景区服务和接待能力，规范旅游市场秩序，加强“大美青海”旅游品牌推广，推动文旅深度融合。"),
    _Topic("高考组织和基础教育", "高考组织", "高考是社会高度关注的大事，",
           "周密做好考点管理、试卷保密和安全保障工作，统筹推进城乡义务教育均衡发展，改善牧区寄宿制学校办学条件。"),
    _Topic("清洁能源产业高地建设", "清洁能源", "打造国家清洁能源产业高地是我省的重大任务，",
           "推进大型风电光伏基地和抽水蓄能项目建设，完善电力外送通道，提高新能源就地消纳能力。"),
    _Topic("基层治理", "基层治理", "基层是社会治理的基础，",
           "健全党组织领导的基层治理体系，推进网格化管理和精细化服务，及时就地化解矛盾纠纷，把问题解决在萌芽状态。"),
)
_STUDIES = (
    "全国安全生产电视电话会议精神",
    "中央有关会议精神",
    "《中国共产党纪律处分条例》有关内容",
    "全国防汛抗旱工作电视电话会议精神",
    "中央生态环境保护督察反馈意见整改工作要求",
    "全国高校毕业生就业工作有关部署",
    "全国文化和旅游工作有关会议精神",
)
_MEETING_DAYS = ("2024-05-06", "2024-05-13", "2024-05-20", "2024-05-27", "2024-06-03", "2024-06-07", "2024-06-11")
# Topics per meeting: no two meetings share more than one, as on a real calendar.
_AGENDAS = ((0, 4, 8), (1, 5, 9), (2, 6, 10), (3, 7, 11), (9, 0, 6), (10, 3, 5), (7, 2, 4))
_SECRETARY = "周立新"  # a fictional name: the replica names no real official
_MEETING_CLOSE = ("会议要求，各级党组织和广大党员干部要坚持以上率下，把会议精神迅速传达到基层，"
                  "细化工作措施，压实工作责任，以真抓实干的作风推动各项工作落地见效。")


def meeting_reports() -> list[Bulletin]:
    reports = []
    for index, day in enumerate(_MEETING_DAYS):
        d = date.fromisoformat(day)
        a, b, c = (_TOPICS[k] for k in _AGENDAS[index])
        rng = random.Random(f"meeting:{day}")
        paragraphs = (
            f"{d.month}月{d.day}日，省委常委会召开会议，传达学习{_STUDIES[index]}，研究{a.name}、{b.name}等工作。"
            f"省委书记{_SECRETARY}主持会议并讲话。",
            f"会议强调，{a.point}各地各部门要{a.demand}",
            f"会议指出，{b.point}要{b.demand}",
            f"会议听取了全省{c.name}工作情况汇报，要求相关部门{c.demand}",
            _MEETING_CLOSE,
            "会议还研究了其他事项。",
        )
        published = datetime(d.year, d.month, d.day, 21, rng.randrange(5, 55), rng.randrange(60), tzinfo=TZ)
        reports.append(Bulletin(
            slug=f"hn-meeting-{day}", kind="meeting", outlet="qhrb", section="sz",
            title=f"省委常委会召开会议 研究{a.short}和{b.short}等工作", dateline="本报讯 ",
            paragraphs=paragraphs, published=published, authors=(),
        ))
    return reports


# -- weather bulletins (西宁晚报) -----------------------------------------------------------------------

# June climate per place: (lowest, highest) in ℃, before the day's jitter.
_PLACES = (("西宁", 10, 24), ("海东", 13, 27), ("海北", 3, 17), ("海南", 6, 21),
           ("黄南", 8, 23), ("果洛", 0, 14), ("玉树", 3, 17), ("海西", 9, 26))
_SKIES = ("晴", "多云", "晴转多云", "多云转阴", "阴有小雨", "阵雨", "多云有雷阵雨", "小到中雨")
_HIGH_SKIES = ("多云", "阵雪转多云", "雨夹雪", "阴有阵雨", "多云间晴")  # 果洛 and 玉树 at 4,000 m
_WINDS = ("偏东风3到4级", "偏西风4到5级，阵风6级", "偏北风3级左右", "西北风4到5级，阵风7级", "东南风2到3级")
_PATTERNS = (
    ("受高空槽东移影响", "东部农业区和环青海湖地区有阵雨，局地伴有雷电和短时强降水", "雨", "阵雨"),
    ("受副热带高压外围暖湿气流影响", "全省大部地区以晴到多云天气为主，气温明显回升", "热", "晴热"),
    ("受冷空气影响", "全省大部地区气温下降4℃至6℃，柴达木盆地有5到6级偏西风", "风", "降温"),
    ("受西南暖湿气流影响", "青南地区有雨夹雪，东部农业区多云间阴", "湿", "雨雪"),
)
_TIPS = {
    "雨": "降雨时段山区和河谷地带易发生山洪和泥石流，请市民外出避开危险区域，驾车注意路面湿滑。",
    "热": "紫外线强度较强，午后外出请做好防晒，农区注意合理灌溉，预防干旱对农作物的影响。",
    "风": "大风降温天气请市民加固临时搭建物，柴达木盆地做好防风固沙工作，过往车辆注意减速慢行。",
    "湿": "青南牧区请做好牲畜保暖和棚圈加固，途经高海拔路段的车辆注意道路结冰。",
}
_AIR = ("优", "良", "良", "优")
_OUTLOOKS = (
    "东部农业区多阵性降水，气温变化不大，青南地区午后多对流天气",
    "全省大部以晴到多云天气为主，气温逐日回升，柴达木盆地午后有4到5级偏西风",
    "冷空气影响结束，气温逐步回升，东部农业区早晚温差较大",
    "青南牧区多雨雪天气，东部农业区以多云为主，环青海湖地区有分散性阵雨",
)
_WEATHER_DAYS = tuple(f"2024-06-{day:02d}" for day in range(3, 11))
_XNWB_REPORTERS = ("施翔", "王雅琴", "李晓东", "张文娟")


def _sky(rng: random.Random, place: str, kind: str) -> str:
    if place in ("果洛", "玉树"):
        return rng.choice(_HIGH_SKIES)
    if kind == "雨":
        return rng.choice(_SKIES[4:])
    if kind == "热":
        return rng.choice(_SKIES[:3])
    return rng.choice(_SKIES[1:6])


def weather_bulletins() -> list[Bulletin]:
    bulletins = []
    for index, day in enumerate(_WEATHER_DAYS):
        d = date.fromisoformat(day)
        rng = random.Random(f"weather:{day}")
        cause, overview, kind, headline = _PATTERNS[index % len(_PATTERNS)]
        shift = {"热": 3, "风": -4, "雨": -1, "湿": -2}[kind]
        temps = {name: (low + shift + rng.randrange(-2, 3), high + shift + rng.randrange(-2, 3))
                 for name, low, high in _PLACES}
        skies = {name: _sky(rng, name, kind) for name, _low, _high in _PLACES}

        def forecast(names) -> str:
            return "；".join(f"{n}{skies[n]}，{temps[n][0]}℃至{temps[n][1]}℃" for n in names)

        wind, wind_city = rng.choice(_WINDS), rng.choice(_WINDS)
        reporter = _XNWB_REPORTERS[index % len(_XNWB_REPORTERS)]
        low, high = temps["西宁"]
        paragraphs = (
            f"记者从省气象台获悉，{cause}，{d.month}月{d.day}日{overview}。",
            f"今天白天，{forecast(['西宁', '海东', '海北', '海南'])}。",
            f"今天夜间到明天，{forecast(['黄南', '果洛', '玉树', '海西'])}，全省大部地区{wind}。",
            f"西宁城区今天{skies['西宁']}，最高气温{high}℃，最低气温{low}℃，{wind_city}，空气质量{rng.choice(_AIR)}。",
            f"未来三天，{_OUTLOOKS[(index + rng.randrange(2)) % len(_OUTLOOKS)]}。",
            f"省气象台提醒，{_TIPS[kind]}",
        )
        bulletins.append(Bulletin(
            slug=f"hn-weather-{day}", kind="weather", outlet="xnwb", section="ms",
            title=f"{d.month}月{d.day}日天气：全省{headline}为主 西宁最高气温{high}℃",
            dateline=f"本报讯（记者 {reporter}）", paragraphs=paragraphs,
            published=datetime(d.year, d.month, d.day, 7, rng.randrange(0, 50), rng.randrange(60), tzinfo=TZ),
            authors=(reporter,),
        ))
    return bulletins


# -- market price bulletins (西宁晚报) ----------------------------------------------------------------

_PRICE_WEEKS = ("2024-04-26", "2024-05-03", "2024-05-10", "2024-05-17", "2024-05-24", "2024-05-31",
                "2024-06-07", "2024-06-14")
_START_PRICES = {"猪肉": 13.60, "牛肉": 39.80, "羊肉": 42.50, "鸡蛋": 4.70, "蔬菜": 3.86, "西红柿": 4.20,
                 "黄瓜": 3.10, "土豆": 1.60, "大白菜": 1.35, "青椒": 4.80, "菜籽油": 78.0}
# What the monitors say, by which way vegetables went ("上涨", "下降", "持平").
_ANALYSES = {
    "下降": ("本地露地蔬菜陆续上市，外调菜比重下降，带动蔬菜价格走低",
           "近期气温回升，各地蔬菜集中上市，市场供应充足，菜价随之回落"),
    "上涨": ("受外地产区降雨影响，部分外调蔬菜运输成本增加，价格有所上行",
           "部分叶菜进入换茬期，上市量减少，带动蔬菜均价小幅上涨"),
    "持平": ("蛋鸡存栏量保持高位，鸡蛋供应充足，价格继续在低位运行",
           "牛羊肉进入传统消费淡季，市场供应充足，价格总体平稳"),
}
_FORECASTS = ("稳中有降", "以稳为主", "小幅波动", "稳中略升")


def _trend(now: float, before: float) -> str:
    share = (now - before) / before * 100
    return "持平" if abs(share) < 0.5 else "上涨" if share > 0 else "下降"


def _change(now: float, before: float) -> str:
    share = (now - before) / before * 100
    if abs(share) < 0.5:
        return "与上周基本持平"
    return f"较上周{'上涨' if share > 0 else '下降'}{abs(share):.1f}%"


def price_bulletins() -> list[Bulletin]:
    prices = dict(_START_PRICES)
    bulletins = []
    for index, day in enumerate(_PRICE_WEEKS):
        d = date.fromisoformat(day)
        rng = random.Random(f"price:{day}")
        before = dict(prices)
        for name in prices:  # a week's random walk, a few per cent at most
            prices[name] = round(prices[name] * (1 + rng.uniform(-0.06, 0.06)), 2)
        monday = d - timedelta(days=4)
        veg = _change(prices["蔬菜"], before["蔬菜"])
        pork = _change(prices["猪肉"], before["猪肉"])
        trends = (_trend(prices["蔬菜"], before["蔬菜"]), _trend(prices["猪肉"], before["猪肉"]))
        overall = {("上涨", "上涨"): "总体上行", ("下降", "下降"): "稳中有降"}.get(
            trends, "总体平稳" if trends == ("持平", "持平") else "涨跌互现")
        reporter = _XNWB_REPORTERS[(index + 2) % len(_XNWB_REPORTERS)]
        week = (d.day - 1) // 7 + 1
        paragraphs = (
            f"记者从西宁市价格监测中心获悉，本周（{monday.month}月{monday.day}日至{d.month}月{d.day}日）"
            f"我市主要副食品价格{overall}。",
            f"肉类方面，猪肉（精瘦肉）每500克{prices['猪肉']:.2f}元，{pork}；牛肉每500克{prices['牛肉']:.2f}元，"
            f"{_change(prices['牛肉'], before['牛肉'])}；羊肉每500克{prices['羊肉']:.2f}元，"
            f"{_change(prices['羊肉'], before['羊肉'])}。",
            f"蔬菜方面，监测的18种蔬菜平均价格为每500克{prices['蔬菜']:.2f}元，{veg}。其中，西红柿每500克"
            f"{prices['西红柿']:.2f}元，黄瓜{prices['黄瓜']:.2f}元，土豆{prices['土豆']:.2f}元，"
            f"大白菜{prices['大白菜']:.2f}元，青椒{prices['青椒']:.2f}元。",
            f"鸡蛋每500克{prices['鸡蛋']:.2f}元，{_change(prices['鸡蛋'], before['鸡蛋'])}。面粉、大米价格保持稳定，"
            f"5升装菜籽油每桶{prices['菜籽油']:.1f}元。",
            f"价格监测人员分析，{_ANALYSES[trends[0]][index % 2]}。预计下周我市主要副食品价格将"
            f"{_FORECASTS[rng.randrange(len(_FORECASTS))]}。",
        )
        bulletins.append(Bulletin(
            slug=f"hn-price-{day}", kind="price", outlet="xnwb", section="ms",
            title=f"{d.month}月第{week}周西宁市场价格监测：蔬菜均价{prices['蔬菜']:.2f}元 猪肉价格"
                  f"{trends[1]}",
            dateline=f"本报讯（记者 {reporter}）", paragraphs=paragraphs,
            published=datetime(d.year, d.month, d.day, 16, rng.randrange(0, 59), rng.randrange(60), tzinfo=TZ),
            authors=(reporter,),
        ))
    return bulletins


# -- a serial column (海东时报) ------------------------------------------------------------------------

COLUMN = "河湟夜话"
_COLUMN_INTRO = ("编者按：河湟谷地是黄河与湟水滋养的地方，也是青海人烟最稠密、故事最多的地方。本报副刊推出《河湟夜话》栏目，"
                 "每周五刊发一篇，讲一讲这片土地上的老手艺、老物件和寻常人家。")


@dataclass(frozen=True)
class _Piece:
    title: str
    scene: str
    person: str
    age: int
    role: str
    memory: str
    detail: str
    closing: str
    writer: str


_PIECES = (
    _Piece("瞿昙河边的水磨坊",
           "瞿昙河从南山下来，水流不大却很急。河边那座土木结构的水磨坊，是乐都区瞿昙镇上了年纪的人都记得的地方。",
           "李长福", 71, "磨坊的最后一任磨倌",
           "他说，早年间一到秋收以后，周边几个村的人背着青稞、豌豆排队磨面，磨坊里白天黑夜不停，石磨一天能磨四五百斤。",
           "上世纪九十年代村里通了电，电磨子多了起来，水磨坊就慢慢闲了下来。前几年镇上把磨坊修缮一新，水轮重新转了起来，成了孩子们研学的去处。",
           "老李说，水磨磨出来的面香，是因为磨得慢。“日子也一样，慢一点，才有味道。”", "祁文元"),
    _Piece("威远镇的酩馏酒香",
           "每年入冬，互助县威远镇的老街上便飘起一股酸甜的酒糟味，那是家家户户在烤酩馏酒。",
           "吕秀英", 64, "烤了四十多年酩馏酒的土族阿姑",
           "她记得小时候，母亲把蒸好的青稞摊在炕上晾凉，拌上曲子装进大缸，等上二十来天，满屋子都是发酵的香气。",
           "烤酒要用木制的酒甑，锅里加水，甑顶放一口盛冷水的锅，酒气遇冷凝成酒滴，顺着木槽流进坛子。头锅酒最烈，人们叫它“酒头子”。",
           "如今酒厂的青稞酒卖到了全国，可吕秀英还是每年烤上两锅，“过年待客，还得是自家的酩馏。”", "董秀兰"),
    _Piece("撒拉人家的篱笆楼",
           "在循化县街子镇的一些老庄廓里，还能见到一种奇特的建筑：木头搭起骨架，枝条编成墙面，外面再抹上草泥，撒拉族人叫它篱笆楼。",
           "韩乙四夫", 68, "村里的老木匠",
           "他年轻时跟着父亲盖过七八座篱笆楼，“冬暖夏凉，地震来了也不容易塌。”",
           "篱笆楼多为两层，楼下住人，楼上存放粮食和杂物，檐下的木雕花纹是各家的讲究。随着砖混房普及，会编篱笆墙的匠人已经不多了。",
           "这两年，县里对保存较好的篱笆楼挂牌保护，韩乙四夫也收了两个徒弟，“手艺传下去，房子才留得住。”", "马文清"),
    _Piece("三川的纳顿会",
           "每年农历七月到九月，民和县三川地区的土族村庄轮流举办纳顿会，锣鼓一响，从黄河边的村子一直热闹到山根底下。",
           "朱永祥", 59, "连续三十年在纳顿会上跳面具舞的老把式",
           "他说，纳顿是庆祝丰收的节日，会手舞、面具舞轮番上场，《三将》《五将》《杀虎将》一出接一出，看的人围得里三层外三层。",
           "面具舞的面具大多用木头雕成，一副好面具能用几十年。朱永祥家里至今收着一副父亲留下的“关公”面具，漆已经斑驳，却舍不得换。",
           "他说纳顿会一年比一年热闹，外地来的游客也多了，“咱们跳的是庄稼人的高兴，也让外面的人看看三川的好日子。”", "祁文元"),
    _Piece("化隆人的一碗面",
           "化隆人走出大山开拉面馆，已经有三十多年了。在群科镇的街上随便拦住一个人问，家里多半有人在外面开着面馆。",
           "马尕奴", 52, "最早一批到厦门开面馆的化隆人",
           "1990年，他揣着借来的两千块钱坐了三天三夜火车，在厦门一条小巷子里支起了第一口锅。“一天拉四百碗面，胳膊肿得抬不起来。”",
           "如今他的面馆开到了五家，两个儿子各管一摊。每年开斋节前后，他都要回老家住上一阵，给村里年轻人讲讲开店的门道。",
           "问他拉面的诀窍，他笑着说没别的，“面要揉到，汤要熬到，人要实诚。”", "韩德明"),
    _Piece("平安驿的老邮路",
           "平安镇自古是湟水谷地上的交通要道，明清时期在这里设有驿站，往来西宁与兰州的公文、商旅都要在此歇脚。",
           "冯志兴", 76, "在镇邮电所干了三十五年的老邮递员",
           "他十九岁当邮递员，骑一辆二八自行车，驮着两个帆布邮包，每天往返六七十里山路，最远要走到巴藏沟的山顶村子。",
           "那时候一封信从平安寄到北京要走十来天，汇款单、录取通知书、当兵孩子的家书，都要他一家一家送到手上。",
           "如今快递车开进了村，冯志兴说他最想念的，是当年送信时老乡递过来的那一碗热茯茶。", "董秀兰"),
)
_COLUMN_FRIDAYS = ("2024-05-03", "2024-05-10", "2024-05-17", "2024-05-24", "2024-05-31", "2024-06-07")


def column_pieces() -> list[Bulletin]:
    pieces = []
    for number, (piece, day) in enumerate(zip(_PIECES, _COLUMN_FRIDAYS, strict=True), start=1):
        d = date.fromisoformat(day)
        rng = random.Random(f"column:{day}")
        paragraphs = (
            _COLUMN_INTRO,
            piece.scene,
            f"{piece.person}今年{piece.age}岁，是{piece.role}。{piece.memory}",
            piece.detail,
            piece.closing,
            f"（《河湟夜话》第{number}期。欢迎读者来信讲述您身边的河湟故事，来稿请寄海东时报副刊部。）",
        )
        pieces.append(Bulletin(
            slug=f"hn-column-{day}", kind="column", outlet="hdsb", section="hhyh", title=piece.title, dateline="",
            paragraphs=paragraphs, authors=(piece.writer,), column=COLUMN,
            published=datetime(d.year, d.month, d.day, 9, rng.randrange(0, 59), rng.randrange(60), tzinfo=TZ),
        ))
    return pieces


def hard_negatives() -> list[Bulletin]:
    """Every hard negative, each its own story."""
    return meeting_reports() + weather_bulletins() + price_bulletins() + column_pieces()


# The reports a second outlet also carries (lightly changed): these copies are one story with
# their original, and must merge with it only. slug -> the outlet that republishes it.
REPUBLISHED = {
    "hn-meeting-2024-05-13": "hdsb", "hn-meeting-2024-06-03": "gaoyuan",
    "hn-weather-2024-06-05": "hdsb", "hn-weather-2024-06-08": "gaoyuan",
    "hn-price-2024-05-03": "hdsb", "hn-price-2024-06-07": "gaoyuan",
    "hn-column-2024-05-17": "xnwb", "hn-column-2024-05-31": "gaoyuan",
}
