"""The comparison frame: one row per mention, with the keys Splink compares.

A mention (see :mod:`xinyong.resolve.mentions`) is one way a furnisher
described a subject. Its identity columns come from the ledger as furnished;
here they become keys that compare equal when they mean the same thing:

* names: see :mod:`xinyong.resolve.names` (Han, pinyin, order);
* enterprise names: NFKC, without spaces and bracketed additions, so
  ``字精网络科技有限公司（赤峰）`` and ``赤峰字精网络科技有限公司`` differ only by
  the region prefix, which the model's "one name ends the other" level sees;
* addresses: one key whatever the furnisher's layout (split into city, region
  and postal code, or all on one line), without the province, plus the house
  numbers alone (``addr_nums``: 南昌巷372号9栋2单元506室 -> ``372 9 2 506``);
* phones: digits only, without the country prefix;
* dates: ISO text, so that Splink's string distances see a keying error;
* identifiers: scheme (with country for passports), keyed hash and the last
  four characters of the masked form: the hash matches exactly, the last four
  are what bureaus compare when the number was mistyped.

The frame is built in Python (pypinyin has no SQL equivalent) over distinct
values with caches; on Spark the same function runs as a pandas UDF over
partitions. Its schema is :data:`FRAME_SCHEMA`; every later step (Splink on
DuckDB or Spark, the deterministic pass, the review display) reads it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import lru_cache
from typing import Any, Final

import pyarrow as pa

from xinyong.resolve.identity_rules import frame_scheme
from xinyong.resolve.names import is_han, person_name_keys

__all__ = [
    "FRAME_SCHEMA",
    "IDENTITY_COLUMNS",
    "address_keys",
    "build_frame",
    "enterprise_name_key",
    "phone_key",
]

#: Ledger columns a mention carries (``_SUBJECT_FIELDS`` of the ledger tables).
IDENTITY_COLUMNS: Final = (
    "subject_kind",
    "family_name",
    "given_names",
    "full_name",
    "legal_name",
    "birth_date",
    "registration_date",
    "id_scheme",
    "id_country",
    "id_hash",
    "id_masked",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
    "phone",
)

FRAME_SCHEMA: Final = pa.schema(
    [
        ("unique_id", pa.string()),
        ("kind", pa.string()),
        ("fam_native", pa.string()),
        ("giv_native", pa.string()),
        ("fam_rom", pa.string()),
        ("giv_rom", pa.string()),
        ("name_native", pa.string()),
        ("name_rom", pa.string()),
        ("org_name", pa.string()),
        ("dob", pa.string()),
        ("dob_dm", pa.string()),
        ("dob_y", pa.string()),
        ("dob_md", pa.string()),
        ("reg_date", pa.string()),
        ("reg_date_dm", pa.string()),
        ("reg_date_y", pa.string()),
        ("reg_date_md", pa.string()),
        ("id_scheme", pa.string()),
        ("id_hash", pa.string()),
        ("id_last4", pa.string()),
        ("phone", pa.string()),
        ("addr_key", pa.string()),
        ("addr_nums", pa.string()),
        ("street_key", pa.string()),
        ("city_key", pa.string()),
        ("postcode", pa.string()),
    ]
)

# Provincial-level divisions, longest first; municipalities are kept (they are
# also the city, so a key without them would lose the city).
_PROVINCES: Final = tuple(
    sorted(
        [
            "河北省",
            "山西省",
            "内蒙古自治区",
            "辽宁省",
            "吉林省",
            "黑龙江省",
            "江苏省",
            "浙江省",
            "安徽省",
            "福建省",
            "江西省",
            "山东省",
            "河南省",
            "湖北省",
            "湖南省",
            "广东省",
            "广西壮族自治区",
            "海南省",
            "四川省",
            "贵州省",
            "云南省",
            "西藏自治区",
            "陕西省",
            "甘肃省",
            "青海省",
            "宁夏回族自治区",
            "新疆维吾尔自治区",
            "台湾省",
            "香港特别行政区",
            "澳门特别行政区",
            "内蒙古",
            "广西",
            "西藏",
            "宁夏",
            "新疆",
        ],
        key=len,
        reverse=True,
    )
)
_PROVINCE_PREFIX: Final = re.compile("^(?:" + "|".join(map(re.escape, _PROVINCES)) + ")")
_MUNICIPALITIES: Final = frozenset({"北京市", "天津市", "上海市", "重庆市"})

_STREET_WORDS: Final[Mapping[str, str]] = {
    "street": "st",
    "str": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "drive": "dr",
    "lane": "ln",
    "court": "ct",
    "place": "pl",
    "boulevard": "blvd",
    "crescent": "cres",
    "circuit": "cct",
    "terrace": "tce",
    "highway": "hwy",
    "parade": "pde",
    "apartment": "apt",
    "unit": "apt",
    "suite": "ste",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
}
_US_TAIL: Final = re.compile(r",\s*([^,]+?),\s*([A-Za-z]{2})\s+(\d{5})(?:-\d{4})?\s*$")
_DIGITS: Final = re.compile(r"\d+")
_LATIN_TOKEN: Final = re.compile(r"[a-z0-9]+")
_SPACE_PUNCT: Final = re.compile(r"[\s\.,;:·•'\"-]+")
_CN_CITY: Final = re.compile(r"^.+?(?:市|地区|自治州|盟)")
_CN_COUNTY: Final = re.compile(r"^.+?(?:县|区|市|旗)")
_BRACKETED: Final = re.compile(r"[\(\[（【][^\)\]）】]*[\)\]）】]")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return text or None


@lru_cache(maxsize=200_000)
def phone_key(phone: str | None, country: str | None = None) -> str | None:
    """Digits of a phone number without its country prefix; ``None`` if too short.

    ``+86 151 3144 3586``, ``151-3144-3586`` and ``8615131443586`` are one
    number; a US ``1`` prefix is dropped only for US subjects, because an
    eleven-digit Chinese mobile number also starts with 1.
    """
    if not phone:
        return None
    digits = "".join(_DIGITS.findall(unicodedata.normalize("NFKC", phone)))
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    elif country == "US" and len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) >= 6 else None


def _strip_province(text: str) -> str:
    return _PROVINCE_PREFIX.sub("", text, count=1)


@lru_cache(maxsize=200_000)
def address_keys(
    line1: str | None,
    line2: str | None,
    city: str | None,
    region: str | None,
    postal_code: str | None,
    country: str | None,
) -> tuple[str | None, str | None, str | None, str | None, str | None]:
    """(addr_key, addr_nums, street_key, city_key, postcode) of a mailing address.

    The keys are the same whether the furnisher split the address into fields
    or wrote it on one line. Chinese addresses (Han text) are joined without
    spaces, the province dropped and the leading prefecture (…市, …地区,
    …自治州, …盟) taken as the city; ``street_key`` is what follows the county
    (…县, …区, …市, …旗), because string similarity over the whole line mostly
    measures the shared county. Latin ones become lower-case tokens with
    street words abbreviated; a one-line US address is split at its
    ``, City, ST 12345`` tail. ``addr_key`` is the street address without city
    and postcode, so that the model's address, city and postcode comparisons
    do not count the same text twice.
    """
    line1, line2, city, region = _text(line1), _text(line2), _text(city), _text(region)
    postcode = _text(postal_code)
    if line1 is None and line2 is None and city is None:
        return None, None, None, None, _postcode(postcode)
    if any(is_han(part) for part in (line1, line2, city)):
        full = _SPACE_PUNCT.sub("", "".join(p for p in (city, line1, line2) if p))
        if region in _MUNICIPALITIES and not full.startswith(region):
            full = region + full
        full = _strip_province(full)
        head = _CN_CITY.match(full)
        cn_city = head.group(0) if head else None
        address = full[head.end() :] if head else full
        county = _CN_COUNTY.match(address)
        street = address[county.end() :] if county else address
        nums = " ".join(_DIGITS.findall(address)) or None
        return address or None, nums, street or None, cn_city, _postcode(postcode)
    if country == "US" and city is None and line1 is not None:
        tail = _US_TAIL.search(line1)
        if tail is not None:
            line1 = line1[: tail.start()]
            city, region, postcode = tail.group(1), tail.group(2), tail.group(3)
    body = " ".join(p for p in (line1, line2) if p)
    nums = " ".join(_DIGITS.findall(body)) or None
    tokens = [_STREET_WORDS.get(t, t) for t in _LATIN_TOKEN.findall(fold_latin_spaced(body))]
    city_key = " ".join(_LATIN_TOKEN.findall(fold_latin_spaced(city))) if city else None
    key = " ".join(tokens) or None
    return key, nums, key, city_key or None, _postcode(postcode)


def fold_latin_spaced(text: str) -> str:
    """Lower-case ASCII of ``text`` keeping word boundaries (for address tokens)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _postcode(value: str | None) -> str | None:
    if not value:
        return None
    compact = re.sub(r"\s+", "", value).upper()
    return compact or None


@lru_cache(maxsize=200_000)
def enterprise_name_key(legal_name: str | None) -> str | None:
    """An enterprise name without spaces, punctuation and bracketed additions."""
    text = _text(legal_name)
    if text is None:
        return None
    text = _BRACKETED.sub("", text)
    if is_han(text):
        return _SPACE_PUNCT.sub("", text) or None
    return " ".join(_LATIN_TOKEN.findall(fold_latin_spaced(text))) or None


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if re.fullmatch(r"\d{8}", text):
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    return text or None


def _date_keys(iso: str | None) -> tuple[str | None, str | None, str | None, str | None]:
    """A date, its day-month-swapped form (``YYYY-DD-MM``), its year and its month-day.

    Kept as columns so that the model's date levels are plain equalities, not
    string surgery on every compared pair.
    """
    if iso is None or len(iso) != 10 or iso[4] != "-" or iso[7] != "-":
        return iso, None, None, None
    return iso, f"{iso[:4]}-{iso[8:10]}-{iso[5:7]}", iso[:4], iso[5:]


def frame_row(key: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """The comparison-frame row of one mention's identity columns."""
    return dict(zip(FRAME_SCHEMA.names, _frame_values(key, row), strict=True))


def _frame_values(key: str, row: Mapping[str, Any]) -> tuple[Any, ...]:
    """The frame row as a tuple in ``FRAME_SCHEMA`` order (no dict per row: it is hot)."""
    get = row.get
    kind = get("subject_kind") or "person"
    country = get("country")
    addr_key, addr_nums, street_key, city_key, postcode = address_keys(
        get("address_line1"), get("address_line2"), get("city"), get("region"),
        get("postal_code"), country,
    )  # fmt: skip
    digest = get("id_hash") or None
    masked = get("id_masked")
    names: tuple[str | None, ...] = (None,) * 6
    org_name = None
    if kind == "enterprise":
        org_name = enterprise_name_key(get("legal_name"))
    else:
        k = person_name_keys(
            _text(get("family_name")), _text(get("given_names")), _text(get("full_name"))
        )
        names = (
            k.family_native, k.given_native, k.family_rom, k.given_rom, k.full_native, k.full_rom
        )  # fmt: skip
    return (
        key,
        kind,
        *names,
        org_name,
        *_date_keys(_iso(get("birth_date"))),
        *_date_keys(_iso(get("registration_date"))),
        frame_scheme(get("id_scheme"), get("id_country")) if digest else None,
        digest,
        str(masked)[-4:] if masked and digest else None,
        phone_key(get("phone"), country),
        addr_key,
        addr_nums,
        street_key,
        city_key,
        postcode,
    )


def build_frame(keys: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """The comparison frame of mentions ``keys`` with identity ``rows`` (same order)."""
    values = [_frame_values(key, row) for key, row in zip(keys, rows, strict=True)]
    columns = list(zip(*values, strict=True)) if values else [()] * len(FRAME_SCHEMA)
    return pa.Table.from_arrays(
        [pa.array(col, type=f.type) for col, f in zip(columns, FRAME_SCHEMA, strict=True)],
        schema=FRAME_SCHEMA,
    )
