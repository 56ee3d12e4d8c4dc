"""Word lists for names, addresses and companies, read once from Faker's
locale data and python-stdnum's table of Chinese administrative divisions.

The generator samples these tables with its own seeded ``random.Random``
instead of calling Faker per field: that is about fifty times faster, and the
draws stay deterministic and independent of Faker's global state. Pinyin comes
from pypinyin, with the surname readings it gets wrong (单 Shan, 曾 Zeng, ...)
fixed by a table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import stdnum
from faker.providers.address import en_US as address_en_us
from faker.providers.address import zh_CN as address_zh_cn
from faker.providers.company import zh_CN as company_zh_cn
from faker.providers.person import en_GB as person_en_gb
from faker.providers.person import en_US as person_en_us
from faker.providers.person import zh_CN as person_zh_cn
from faker.providers.phone_number import zh_CN as phone_zh_cn
from pypinyin import Style, lazy_pinyin

from xinyong.synth.rng import Categorical

Weighted = Categorical[str]
"""Words with weights; ``pick`` draws one as ``rng.choices`` would."""


def _weighted(table: Mapping[str, float] | Sequence[str]) -> Weighted:
    if isinstance(table, Mapping):
        words = tuple(table)
        weights = [float(table[w]) for w in words]
    else:
        words = tuple(table)
        weights = [1.0] * len(words)
    return Categorical(words, weights)


@dataclass(frozen=True, slots=True)
class County:
    """A county-level division: its six-digit code and the years it existed."""

    code: str
    name: str
    start: int
    end: int

    @property
    def province_code(self) -> str:
        return self.code[:2]


# Province code -> (one-character abbreviation used in court and decision
# numbers, first two digits of its postal codes).
PROVINCES: dict[str, tuple[str, str]] = {
    "11": ("京", "10"), "12": ("津", "30"), "13": ("冀", "05"), "14": ("晋", "03"),
    "15": ("蒙", "01"), "21": ("辽", "11"), "22": ("吉", "13"), "23": ("黑", "15"),
    "31": ("沪", "20"), "32": ("苏", "21"), "33": ("浙", "31"), "34": ("皖", "23"),
    "35": ("闽", "35"), "36": ("赣", "33"), "37": ("鲁", "25"), "41": ("豫", "45"),
    "42": ("鄂", "43"), "43": ("湘", "41"), "44": ("粤", "51"), "45": ("桂", "53"),
    "46": ("琼", "57"), "50": ("渝", "40"), "51": ("川", "61"), "52": ("贵", "55"),
    "53": ("云", "65"), "54": ("藏", "85"), "61": ("陕", "71"), "62": ("甘", "73"),
    "63": ("青", "81"), "64": ("宁", "75"), "65": ("新", "83"),
}  # fmt: skip

# GB/T 4754 industry divisions: code, the words a company name carries.
INDUSTRIES: tuple[tuple[str, str], ...] = (
    ("A01", "农业"), ("C13", "食品"), ("C18", "服装"), ("C26", "化工"),
    ("C34", "机械设备"), ("C39", "电子科技"), ("E47", "建筑工程"), ("F51", "贸易"),
    ("F52", "商贸"), ("G54", "物流"), ("H61", "酒店管理"), ("H62", "餐饮管理"),
    ("I64", "网络科技"), ("I65", "软件技术"), ("K70", "房地产开发"), ("L72", "企业管理咨询"),
    ("M75", "科技发展"), ("O80", "家政服务"), ("P83", "教育咨询"), ("R86", "文化传媒"),
)  # fmt: skip

# pypinyin reads these characters in their common sense, not as surnames.
_SURNAME_PINYIN = {
    "单": "shan", "曾": "zeng", "解": "xie", "仇": "qiu", "区": "ou", "查": "zha",
    "朴": "piao", "缪": "miao", "覃": "qin", "乐": "yue", "翟": "zhai", "盖": "ge",
    "秘": "bi", "种": "chong", "召": "shao", "繁": "po", "员": "yun", "黑": "he",
    "过": "guo", "藏": "zang", "柏": "bai", "隗": "wei", "尉迟": "yuchi",
    "万俟": "moqi", "长孙": "zhangsun", "薄": "bo", "重": "chong", "华": "hua",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Every table the generator samples from."""

    cn_surnames: Weighted
    cn_given_male: tuple[str, ...]
    cn_given_female: tuple[str, ...]
    cn_given_chars: tuple[str, ...]
    us_surnames: Weighted
    us_given_male: Weighted
    us_given_female: Weighted
    gb_surnames: Weighted
    gb_given_male: tuple[str, ...]
    gb_given_female: tuple[str, ...]
    us_street_suffixes: tuple[str, ...]
    us_city_prefixes: tuple[str, ...]
    us_city_suffixes: tuple[str, ...]
    us_states: tuple[str, ...]
    us_zip_ranges: Mapping[str, tuple[int, int]]
    cn_mobile_prefixes: tuple[str, ...]
    cn_street_words: tuple[str, ...]
    trade_name_chars: tuple[str, ...]
    company_forms: Weighted
    counties: tuple[County, ...]
    current_counties: tuple[County, ...]
    counties_by_prefecture: Mapping[str, tuple[County, ...]]
    county_by_code: Mapping[str, County]
    names_by_code: Mapping[str, str]


def _parse_loc() -> tuple[list[County], dict[str, str]]:
    """Read stdnum's ``cn/loc.dat``: every county code with its validity years."""
    path = Path(stdnum.__file__).parent / "cn" / "loc.dat"
    counties: list[County] = []
    names: dict[str, str] = {}
    province = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        if not raw.startswith(" "):
            province, rest = raw.split(" ", 1)
            names[province + "0000"] = rest.split('"')[1]
            continue
        sub, rest = raw.strip().split(" ", 1)
        code = province + sub
        value = rest.split('"')[1]
        for part in value.split(","):
            start, end, name = 0, 9999, part
            if part.startswith("["):
                span, name = part[1:].split("]", 1)
                first, last = span.split("-")
                start = int(first) if first else 0
                end = int(last) if last else 9999
            if end == 9999:
                names[code] = name
            if code[4:] != "00" and name not in ("市辖区", "县", "郊区") and province in PROVINCES:
                counties.append(County(code, name, start, end))
    return counties, names


@cache
def vocabulary() -> Vocabulary:
    """The tables, built on first use and then shared (they are immutable)."""
    zh = person_zh_cn.Provider
    given_chars = sorted({ch for name in zh.first_names for ch in name})
    trade_chars = sorted(
        {ch for prefix in company_zh_cn.Provider.company_prefixes for ch in prefix if ch > "\u4e00"}
    )
    counties, names = _parse_loc()
    current = tuple(c for c in counties if c.end == 9999)
    by_prefecture: dict[str, list[County]] = {}
    for county in current:
        by_prefecture.setdefault(county.code[:4], []).append(county)
    return Vocabulary(
        cn_surnames=_weighted(zh.last_names),
        cn_given_male=tuple(zh.first_names_male),
        cn_given_female=tuple(zh.first_names_female),
        cn_given_chars=tuple(given_chars),
        us_surnames=_weighted(person_en_us.Provider.last_names),
        us_given_male=_weighted(person_en_us.Provider.first_names_male),
        us_given_female=_weighted(person_en_us.Provider.first_names_female),
        gb_surnames=_weighted(person_en_gb.Provider.last_names),
        gb_given_male=tuple(person_en_gb.Provider.first_names_male),
        gb_given_female=tuple(person_en_gb.Provider.first_names_female),
        us_street_suffixes=tuple(address_en_us.Provider.street_suffixes),
        us_city_prefixes=tuple(address_en_us.Provider.city_prefixes),
        us_city_suffixes=tuple(address_en_us.Provider.city_suffixes),
        us_states=tuple(
            s
            for s in address_en_us.Provider.states_abbr
            if s != "DC" and s in address_en_us.Provider.states_postcode
        ),
        us_zip_ranges=dict(address_en_us.Provider.states_postcode),
        cn_mobile_prefixes=tuple(str(p) for p in phone_zh_cn.Provider.phonenumber_prefixes),
        cn_street_words=tuple(address_zh_cn.Provider.cities)
        + tuple(address_zh_cn.Provider.districts),
        trade_name_chars=tuple(trade_chars),
        company_forms=_weighted(
            {"有限公司": 80, "有限责任公司": 12, "股份有限公司": 5, "合伙企业": 3}
        ),
        counties=tuple(counties),
        current_counties=current,
        counties_by_prefecture={k: tuple(v) for k, v in by_prefecture.items()},
        county_by_code={c.code: c for c in current},
        names_by_code=names,
    )


def pinyin_syllables(han: str, *, surname: bool = False) -> list[str]:
    """Lower-case toneless syllables; ü is written ``v`` as pypinyin does."""
    if surname and han in _SURNAME_PINYIN:
        return [_SURNAME_PINYIN[han]]
    if surname and han[:1] in _SURNAME_PINYIN and len(han) == 1:
        return [_SURNAME_PINYIN[han]]
    return [s for s in lazy_pinyin(han, style=Style.NORMAL) if s.isascii() and s.isalpha()]


@lru_cache(maxsize=1 << 16)
def pinyin_of(han: str, surname: bool) -> str:
    """Hanyu pinyin as most furnishers write it: syllables joined, first
    letter capitalised, ü written ``u`` (Lu); the dirt module adds Lv and Lyu."""
    joined = "".join(pinyin_syllables(han, surname=surname)).replace("v", "u")
    return joined[:1].upper() + joined[1:]
