"""The world of the Spring Festival 2020 scenario: its dates, shops, routes and people.

The tables that ``scenario_gen.py`` draws from, kept apart from the drawing: the lockdown and
courier pause dates, the three merchants and their catalogues, the domestic regions and the
cross-border destinations with their hubs, and the names and mail domains of the customers.
Changing a table changes the bundled scenario (regenerate it with ``scenario_gen.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

CST = timezone(timedelta(hours=8))
START, END = datetime(2020, 1, 15, tzinfo=CST), datetime(2020, 2, 20, tzinfo=CST)
LOCKDOWN = datetime(2020, 1, 23, 10, tzinfo=CST)  # Wuhan
PAUSE = (datetime(2020, 1, 23, tzinfo=CST), datetime(2020, 2, 1, 8, tzinfo=CST))  # ZTO/YTO
COMPOUNDS_CLOSED = datetime(2020, 2, 1, tzinfo=CST)
REOPEN = datetime(2020, 2, 10, 9, tzinfo=CST)
TONGDA = ("ZTO", "YTO")  # network couriers: outlets shut over the holiday
DAY_WEIGHTS = [4.0] * 6 + [3.0] + [0.8] * 2 + [0.3] * 7 + [0.5] * 6  # 15 Jan .. 5 Feb
HOUR_WEIGHTS = [1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.5, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 5, 5, 4, 2]
CARRIER_ZH = {"SF": "顺丰速运", "ZTO": "中通快递", "YTO": "圆通速递", "EMS": "中国邮政EMS", "JD": "京东物流"}

MERCHANTS: list[dict[str, Any]] = [
    {
        "merchant_id": "m-teahouse",
        "name": "西湖茶点铺",
        "timezone": "Asia/Shanghai",
        "default_locale": "zh-CN",
        "from_email": "service@teahouse.example",
        "support": {"email": "help@teahouse.example", "phone": "+8657188880000"},
        "settings": {"escalate_value": {"amount": "2000.00", "currency": "CNY"}},
    },
    {
        "merchant_id": "m-gadgets",
        "name": "Shenzhen Gadget Works",
        "timezone": "Asia/Shanghai",
        "default_locale": "en",
        "from_email": "care@gadgets.example",
        "support": {"email": "support@gadgets.example", "phone": "+8675586660000"},
        "settings": {"escalate_value": {"amount": "3000.00", "currency": "CNY"}},
    },
    {
        "merchant_id": "m-minnan",
        "name": "閩台茶器坊",
        "timezone": "Asia/Shanghai",
        "default_locale": "zh-TW",
        "from_email": "service@minnan-teaware.example",
        "support": {"email": "kefu@minnan-teaware.example", "phone": "+865922123456"},
        "settings": {},
    },
]


@dataclass(frozen=True)
class Shop:
    merchant_id: str
    prefix: str
    city: str  # pickup point (domestic scans)
    hub: str
    city_en: str
    last_pickup: datetime
    share: float
    carriers: dict[str, float]  # domestic carrier -> weight
    abroad: tuple[str, ...]  # cross-border destinations (keys of ABROAD)
    abroad_share: float
    catalog: tuple[tuple[str, str, str, int, float], ...]  # sku, zh name, en name, CNY price, weight


SHOPS = (
    Shop(
        "m-teahouse",
        "TS",
        "杭州西湖营业点",
        "杭州转运中心",
        "Hangzhou",
        datetime(2020, 1, 21, 18, tzinfo=CST),
        0.45,
        {"ZTO": 4, "YTO": 3, "SF": 2, "EMS": 1},
        (),
        0,
        (
            ("TS-LJ-250", "西湖龙井 明前特级 250g", "West Lake Longjing, pre-Qingming, 250 g", 588, 3),
            ("TS-GH-12", "桂花糕礼盒 12枚", "Osmanthus cake gift box, 12 pieces", 68, 6),
            ("TS-NH-01", "杭州年货零食大礼包", "Hangzhou New Year snack hamper", 128, 6),
            ("TS-AJ-100", "安吉白茶 100g", "Anji white tea, 100 g", 298, 3),
            ("TS-JQ-200", "九曲红梅红茶 200g", "Jiuqu Hongmei black tea, 200 g", 168, 3),
            ("TS-TJ-06", "青瓷功夫茶具 六件套", "Celadon gongfu tea set, 6 pieces", 358, 2),
            ("TS-SF-500", "狮峰龙井 特级 500g 礼盒", "Shifeng Longjing, special grade, 500 g gift box", 2380, 0.5),
        ),
    ),
    Shop(
        "m-gadgets",
        "GW",
        "深圳南山营业点",
        "深圳转运中心",
        "Shenzhen",
        datetime(2020, 1, 22, 18, tzinfo=CST),
        0.40,
        {"SF": 4, "JD": 3, "ZTO": 2, "EMS": 1},
        ("US-CA", "US-NY", "US-WA", "GB-ENG", "DE-BE", "SG-01", "HK-HCW", "TW-TPE"),
        0.3,
        (
            ("GW-GAN65", "65W 氮化镓快充充电器", "65W GaN USB-C charger", 149, 5),
            ("GW-TWS2", "真无线蓝牙耳机", "True wireless earbuds", 299, 4),
            ("GW-PB20K", "20000mAh 移动电源", "20000 mAh power bank", 129, 5),
            ("GW-CBL2", "USB-C 编织数据线 2m", "Braided USB-C cable, 2 m", 39, 6),
            ("GW-KB87", "87键机械键盘 茶轴", "87-key mechanical keyboard, brown switches", 459, 2),
            ("GW-MON156", "15.6英寸 4K 便携显示器", "15.6-inch 4K portable monitor", 1899, 0.8),
            ("GW-DRN4K", "4K 折叠航拍无人机 畅飞套装", "Foldable 4K camera drone, fly-more kit", 4999, 0.4),
        ),
    ),
    Shop(
        "m-minnan",
        "MN",
        "厦门思明营业点",
        "厦门转运中心",
        "Xiamen",
        datetime(2020, 1, 21, 18, tzinfo=CST),
        0.15,
        {"YTO": 3, "EMS": 2, "SF": 2},
        ("TW-TPE", "TW-NWT", "TW-TXG", "TW-KHH"),
        0.6,
        (
            ("MN-ZNH-200", "朱泥手拉壺 200ml", "Zhuni clay teapot, 200 ml", 680, 2),
            ("MN-TGY-250", "安溪鐵觀音 清香型 250g", "Anxi Tieguanyin, light roast, 250 g", 238, 4),
            ("MN-DHC-06", "德化白瓷品茗杯 六入", "Dehua white porcelain cups, set of 6", 198, 3),
            ("MN-GLY-BX", "鼓浪嶼餡餅禮盒", "Gulangyu pastry gift box", 88, 4),
            ("MN-DHP-500", "武夷大紅袍 特級 500g", "Wuyi Da Hong Pao, special grade, 500 g", 2680, 0.4),
        ),
    ),
)

# region -> (hub, delivery stations, weight)
DOMESTIC: dict[str, tuple[str, tuple[str, ...], float]] = {
    "CN-HB": ("武汉转运中心", ("武汉洪山", "武汉江汉", "武汉武昌", "孝感", "黄冈"), 12),
    "CN-GD": ("广州转运中心", ("广州天河", "深圳南山", "东莞"), 16),
    "CN-ZJ": ("杭州转运中心", ("杭州", "宁波"), 12),
    "CN-SH": ("上海转运中心", ("上海浦东", "上海徐汇"), 11),
    "CN-BJ": ("北京转运中心", ("北京朝阳", "北京海淀"), 10),
    "CN-JS": ("南京转运中心", ("南京鼓楼", "苏州工业园区"), 11),
    "CN-SC": ("成都转运中心", ("成都武侯", "成都锦江"), 8),
    "CN-FJ": ("厦门转运中心", ("厦门思明", "福州鼓楼"), 6),
    "CN-SD": ("济南转运中心", ("济南历下", "青岛市南"), 6),
    "CN-HN": ("长沙转运中心", ("长沙岳麓", "株洲"), 5),
}
# region -> (gateway, delivery city, customer locale, customer timezone, phone prefix, phone digits)
ABROAD: dict[str, tuple[str, str, str, str, str, int]] = {
    "US-CA": ("Los Angeles gateway", "Los Angeles, CA", "en", "America/Los_Angeles", "+1213", 7),
    "US-NY": ("New York JFK gateway", "Brooklyn, NY", "en", "America/New_York", "+1718", 7),
    "US-WA": ("Seattle gateway", "Seattle, WA", "en", "America/Los_Angeles", "+1206", 7),
    "GB-ENG": ("London Heathrow gateway", "Manchester", "en", "Europe/London", "+447", 9),
    "DE-BE": ("Leipzig hub", "Berlin", "en", "Europe/Berlin", "+4915", 9),
    "SG-01": ("Singapore Changi gateway", "Singapore", "en", "Asia/Singapore", "+659", 7),
    "HK-HCW": ("Hong Kong gateway", "Central, Hong Kong", "zh-TW", "Asia/Hong_Kong", "+8529", 7),
    "TW-TPE": ("Taoyuan airport gateway", "Taipei", "zh-TW", "Asia/Taipei", "+8869", 8),
    "TW-NWT": ("Taoyuan airport gateway", "New Taipei", "zh-TW", "Asia/Taipei", "+8869", 8),
    "TW-TXG": ("Taoyuan airport gateway", "Taichung", "zh-TW", "Asia/Taipei", "+8869", 8),
    "TW-KHH": ("Kaohsiung gateway", "Kaohsiung", "zh-TW", "Asia/Taipei", "+8869", 8),
}
NAMES: dict[str, tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]] = {  # (surnames, given names)
    "zh-CN": (
        (
            ("王", "wang"),
            ("李", "li"),
            ("张", "zhang"),
            ("刘", "liu"),
            ("陈", "chen"),
            ("杨", "yang"),
            ("黄", "huang"),
            ("赵", "zhao"),
            ("吴", "wu"),
            ("周", "zhou"),
            ("徐", "xu"),
            ("胡", "hu"),
        ),
        (
            ("芳", "fang"),
            ("伟", "wei"),
            ("娜", "na"),
            ("敏", "min"),
            ("静", "jing"),
            ("磊", "lei"),
            ("艳", "yan"),
            ("军", "jun"),
            ("婷", "ting"),
            ("浩然", "haoran"),
            ("子涵", "zihan"),
            ("欣怡", "xinyi"),
        ),
    ),
    "zh-TW": (
        (
            ("陳", "chen"),
            ("林", "lin"),
            ("黃", "huang"),
            ("張", "chang"),
            ("李", "lee"),
            ("王", "wang"),
            ("吳", "wu"),
            ("劉", "liu"),
            ("蔡", "tsai"),
            ("楊", "yang"),
        ),
        (
            ("怡君", "yichun"),
            ("志明", "chihming"),
            ("雅婷", "yating"),
            ("家豪", "chiahao"),
            ("淑芬", "shufen"),
            ("冠宇", "kuanyu"),
            ("佳穎", "chiaying"),
            ("俊傑", "chunchieh"),
        ),
    ),
    "en": (
        tuple(
            (n, n.lower())
            for n in (
                "Smith",
                "Johnson",
                "Brown",
                "Taylor",
                "Miller",
                "Wilson",
                "Clarke",
                "Schmidt",
                "Tan",
                "Lim",
                "Walker",
                "Evans",
            )
        ),
        tuple(
            (n, n.lower())
            for n in (
                "Emily",
                "James",
                "Olivia",
                "Daniel",
                "Sophie",
                "Michael",
                "Hannah",
                "Lukas",
                "Grace",
                "Ryan",
                "Chloe",
                "Ethan",
            )
        ),
    ),
}
DOMAINS = ("mail.example", "inbox.example", "post.example")
