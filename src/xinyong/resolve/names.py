"""Person and enterprise names as comparison keys: script, romanisation, order.

Furnishers write the same person as 张伟, 张 / 伟, ZHANG WEI, Wei Zhang or
Zhang Wei; a comparison on the raw strings would call these five people. So
every name becomes

* ``native`` keys (the Han characters, when the name is written in Han), which
  tell 张伟 from the homophone 章伟, and
* ``rom`` keys: the family and given names romanised with pypinyin (for Han) or
  folded to ASCII (for Latin script), lower case, letters only, with the
  spellings of ü (u, v, yu, ü) made one. 张伟 and "Zhang Wei" get the same keys.

Han full names without a separator are split after the surname (one character,
or two for the compound surnames listed below). Latin full names are split by
a rule: a leading token that is a common Chinese surname in pinyin marks a
family-first name, otherwise the last token is the family name. The rule is
sometimes wrong (or the furnisher swapped the fields), which is why the Splink
model has "family and given swapped" levels rather than trusting the order.

Everything here is a pure function of a string, cached per distinct value:
names repeat, and pypinyin is the slowest step of building the comparison
frame.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from pypinyin import Style, lazy_pinyin

__all__ = [
    "COMPOUND_SURNAMES",
    "NameKeys",
    "fold_latin",
    "is_han",
    "person_name_keys",
    "pinyin_surnames",
    "romanise_han",
    "split_han_full_name",
]

#: Two-character surnames; a Han full name starting with one splits after it.
COMPOUND_SURNAMES: Final = frozenset(
    [
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "令狐",
        "钟离",
        "澹台",
        "公冶",
        "宗政",
        "濮阳",
        "淳于",
        "单于",
        "太叔",
        "申屠",
        "仲孙",
        "万俟",
        "闻人",
        "赫连",
        "南宫",
        "西门",
        "呼延",
        "端木",
        "百里",
        "东郭",
        "独孤",
        "拓跋",
        "完颜",
        "第五",
    ]
)

#: Surname readings pypinyin gets wrong because it reads the character as a
#: common word (单 dan, 曾 ceng, ...); a name's first character is read here.
_SURNAME_READINGS: Final[dict[str, str]] = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "朴": "piao",
    "查": "zha",
    "区": "ou",
    "覃": "qin",
    "乐": "yue",
    "翟": "zhai",
    "缪": "miao",
    "秘": "bi",
    "盖": "ge",
    "种": "chong",
    "召": "shao",
    "晟": "cheng",
    "尉迟": "yuchi",
    "万俟": "moqi",
    "长孙": "zhangsun",
    "单于": "chanyu",
    "柏": "bai",
    "薄": "bo",
    "卜": "bu",
    "任": "ren",
    "华": "hua",
    "纪": "ji",
    "员": "yun",
    "宿": "su",
    "贲": "ben",
    "繁": "po",
    "句": "gou",
    "那": "na",
    "阚": "kan",
    "沈": "shen",
    "石": "shi",
    "重": "chong",
    "燕": "yan",
    "冼": "xian",
    "洗": "xian",
    "隗": "wei",
    "澹台": "tantai",
}

#: The hundred or so commonest Chinese surnames, for telling "ZHANG WEI"
#: (family first) from "WEI ZHANG" written the Western way.
_COMMON_SURNAMES: Final = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛"
    "郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦"
    "俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房"
    "滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟"
    "应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)

_HAN_RE: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NON_LETTER_RE: Final = re.compile(r"[^a-z]+")
_TOKEN_SPLIT_RE: Final = re.compile(r"[\s,;/]+")
_LYU_RE: Final = re.compile(r"(?<=[ln])yu")


def is_han(text: str | None) -> bool:
    """Whether ``text`` contains a Han (CJK unified) character."""
    return bool(text) and _HAN_RE.search(text or "") is not None


@lru_cache(maxsize=200_000)
def fold_latin(text: str) -> str:
    """ASCII letters of ``text``, lower case, with ü spellings unified.

    NFKD strips accents (José -> jose, ü -> u); then ``v`` (the pinyin input
    method's ü) and ``lyu``/``nyu`` (the passport spelling) become ``u`` too.
    The key is for comparison only: folding "Victor" to "uictor" on both sides
    changes nothing.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_ = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    letters = _NON_LETTER_RE.sub("", ascii_)
    return _LYU_RE.sub("u", letters).replace("v", "u")


@lru_cache(maxsize=200_000)
def romanise_han(text: str, *, surname: bool = False) -> str:
    """Toneless pinyin of ``text``, letters only (``folded`` like Latin names).

    With ``surname`` the leading one or two characters are read as a surname
    (单 shan, not dan), which is how a clerk romanises a family name.
    """
    text = "".join(_HAN_RE.findall(text)) or text
    head = ""
    if surname:
        for size in (2, 1):
            reading = _SURNAME_READINGS.get(text[:size])
            if reading is not None:
                head, text = reading, text[size:]
                break
    syllables = lazy_pinyin(text, style=Style.NORMAL, errors="ignore")
    return fold_latin(head + "".join(syllables))


def split_han_full_name(full: str) -> tuple[str, str]:
    """(family, given) of a Han full name written without a separator."""
    han = "".join(_HAN_RE.findall(full))
    if len(han) >= 3 and han[:2] in COMPOUND_SURNAMES:
        return han[:2], han[2:]
    return han[:1], han[1:]


@lru_cache(maxsize=1)
def pinyin_surnames() -> frozenset[str]:
    """The common Chinese surnames in folded pinyin (zhang, ouyang, lu, ...)."""
    return frozenset(romanise_han(ch, surname=True) for ch in _COMMON_SURNAMES) | frozenset(
        romanise_han(s, surname=True) for s in COMPOUND_SURNAMES
    )


@dataclass(frozen=True, slots=True)
class NameKeys:
    """Comparison keys of one person name; ``None`` where a part is unknown."""

    family_native: str | None
    given_native: str | None
    family_rom: str | None
    given_rom: str | None

    @property
    def full_rom(self) -> str | None:
        """Family then given, romanised: the key for whole-name similarity."""
        parts = [p for p in (self.family_rom, self.given_rom) if p]
        return "".join(parts) or None

    @property
    def full_native(self) -> str | None:
        parts = [p for p in (self.family_native, self.given_native) if p]
        return "".join(parts) or None


def _latin_tokens(text: str) -> list[str]:
    return [t for t in (fold_latin(tok) for tok in _TOKEN_SPLIT_RE.split(text)) if t]


def _split_latin_full(text: str) -> tuple[str | None, str | None]:
    if "," in text:  # "Family, Given" is unambiguous
        family, _, given = text.partition(",")
        return fold_latin(family) or None, fold_latin(given) or None
    tokens = _latin_tokens(text)
    if not tokens:
        return None, None
    if len(tokens) == 1:
        return tokens[0], None
    if tokens[0] in pinyin_surnames():
        return tokens[0], "".join(tokens[1:])
    return tokens[-1], "".join(tokens[:-1])


@lru_cache(maxsize=200_000)
def person_name_keys(
    family_name: str | None, given_names: str | None, full_name: str | None
) -> NameKeys:
    """Comparison keys of a person's name as furnished (split, or full only)."""
    family = (family_name or "").strip()
    given = (given_names or "").strip()
    if not family and not given:
        full = (full_name or "").strip()
        if not full:
            return NameKeys(None, None, None, None)
        if is_han(full):
            family, given = split_han_full_name(full)
        else:
            fam_rom, giv_rom = _split_latin_full(full)
            return NameKeys(None, None, fam_rom, giv_rom)
    fam_native = "".join(_HAN_RE.findall(family)) or None if is_han(family) else None
    giv_native = "".join(_HAN_RE.findall(given)) or None if is_han(given) else None
    fam_rom = romanise_han(family, surname=True) if fam_native else fold_latin(family)
    giv_rom = romanise_han(given) if giv_native else fold_latin(given)
    return NameKeys(fam_native, giv_native, fam_rom or None, giv_rom or None)
