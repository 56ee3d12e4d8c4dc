"""Comparison keys: one person, one key, however a furnisher writes the name or address."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xinyong.resolve.features import address_keys, build_frame, enterprise_name_key, phone_key
from xinyong.resolve.identity_rules import dates_compatible, frame_scheme, is_lifelong
from xinyong.resolve.mentions import mention_key, subject_id_for
from xinyong.resolve.names import fold_latin, person_name_keys, romanise_han


@pytest.mark.parametrize(
    ("family", "given", "full"),
    [
        ("张", "伟", None),
        (None, None, "张伟"),
        ("Zhang", "Wei", None),
        ("ZHANG", "WEI", None),
        (None, None, "ZHANG WEI"),
        (None, None, "Zhang, Wei"),
    ],
)
def test_han_and_pinyin_spellings_share_romanised_keys(
    family: str | None, given: str | None, full: str | None
) -> None:
    keys = person_name_keys(family, given, full)
    assert (keys.family_rom, keys.given_rom) == ("zhang", "wei")


def test_han_keys_tell_homophones_apart() -> None:
    a, b = person_name_keys("张", "伟", None), person_name_keys("章", "伟", None)
    assert a.full_rom == b.full_rom == "zhangwei"
    assert a.full_native == "张伟" and b.full_native == "章伟"


def test_surnames_read_as_surnames_and_compound_surnames_split() -> None:
    assert romanise_han("单", surname=True) == "shan"
    assert romanise_han("曾", surname=True) == "zeng"
    keys = person_name_keys(None, None, "欧阳修")
    assert (keys.family_native, keys.given_native) == ("欧阳", "修")


def test_u_umlaut_spellings_fold_to_one() -> None:
    assert {fold_latin(s) for s in ("Lü", "Lv", "Lyu", "Lu")} == {"lu"}
    assert person_name_keys("吕", "布", None).family_rom == "lu"


def test_given_name_syllables_join_however_they_are_separated() -> None:
    for text in ("WANG Xiao-Ming", "Wang Xiao Ming", "WANG XIAOMING"):
        keys = person_name_keys(None, None, text)
        assert (keys.family_rom, keys.given_rom) == ("wang", "xiaoming")


def test_western_full_names_put_the_family_name_last() -> None:
    keys = person_name_keys(None, None, "Patricia Smith")
    assert (keys.family_rom, keys.given_rom) == ("smith", "patricia")


def test_split_and_one_line_addresses_give_the_same_keys() -> None:
    split = address_keys("措勤县南昌巷372号", "9栋2单元506室", "阿里地区", "西藏自治区", None, "CN")
    line = address_keys(
        "西藏自治区阿里地区措勤县南昌巷372号9栋2单元506室", None, None, None, None, "CN"
    )
    no_province = address_keys(
        "阿里地区措勤县南昌巷372号9栋2单元506室", None, None, None, None, "CN"
    )
    assert split == line == no_province
    key, nums, street, city, _ = split
    assert (nums, street, city) == ("372 9 2 506", "南昌巷372号9栋2单元506室", "阿里地区")
    assert key == "措勤县南昌巷372号9栋2单元506室"


def test_municipalities_keep_the_city_and_prefecture_cities_end_in_shi() -> None:
    split = address_keys("朝阳区建国路88号", None, "北京市", "北京市", "100022", "CN")
    line = address_keys("北京市朝阳区建国路88号", None, None, None, None, "CN")
    assert split[:4] == line[:4] and split[3] == "北京市"
    assert (
        address_keys("河南省郑州市中原区滨城大道245号", None, None, None, None, "CN")[3] == "郑州市"
    )


def test_us_one_line_addresses_split_at_city_state_zip() -> None:
    split = address_keys("16528 Taylor Harbors", "Apt 21B", "Brendanmouth", "AK", "99634", "US")
    line = address_keys(
        "16528 Taylor Harbors, Apt 21B, Brendanmouth, AK 99634", None, None, None, None, "US"
    )
    assert split == line
    assert address_keys("1 Main Street", None, "X", None, None, "US")[0] == "1 main st"


@pytest.mark.parametrize(
    ("phone", "country", "key"),
    [
        ("+86 151 3144 3586", "CN", "15131443586"),
        ("151-3144-3586", "CN", "15131443586"),
        ("8615131443586", "CN", "15131443586"),
        ("(402) 773-7458", "US", "4027737458"),
        ("14027737458", "US", "4027737458"),
        ("12345", "CN", None),
    ],
)
def test_phone_keys_drop_formatting_and_country_prefixes(
    phone: str, country: str, key: str | None
) -> None:
    assert phone_key(phone, country) == key


def test_enterprise_names_lose_spacing_and_bracketed_additions() -> None:
    assert enterprise_name_key("示例科技有限公司（北京）") == "示例科技有限公司"
    assert enterprise_name_key("北京 示例科技 有限公司") == "北京示例科技有限公司"


@pytest.mark.parametrize(
    ("a", "b", "ok"),
    [
        ("1985-03-12", "1985-03-12", True),
        ("1985-03-12", "1985-03-13", True),  # one keystroke
        ("1985-03-12", "1985-12-03", True),  # day and month swapped
        ("1985-03-12", "1958-03-12", True),  # adjacent digits transposed
        ("1985-03-12", "1975-06-15", False),
        ("1985-03-12", None, True),
    ],
)
def test_birth_dates_are_compatible_within_one_keying_slip(a: str, b: str | None, ok: bool) -> None:
    assert dates_compatible(a, b) is ok
    assert dates_compatible(b, a) is ok


def test_lifelong_schemes_and_country_scoped_passports() -> None:
    assert is_lifelong("cn_ric") and is_lifelong("us_ssn") and is_lifelong("cn_uscc")
    assert not is_lifelong("passport:GB") and not is_lifelong("au_febrl_ssid")
    assert frame_scheme("passport", "GB") == "passport:GB"
    assert frame_scheme("cn_ric", "CN") == "cn_ric"


def test_mention_keys_sort_in_storage_order_and_subject_ids_are_opaque() -> None:
    a = mention_key("accounts", "b20260101T000000000000Z-00000001", 9)
    b = mention_key("accounts", "b20260101T000000000000Z-00000001", 10)
    c = mention_key("public_records", "b20260101T000000000000Z-00000001", 1)
    d = mention_key("accounts", "b20260102T000000000000Z-00000001", 1)
    assert a < b < c < d
    assert subject_id_for(a) == subject_id_for(a) != subject_id_for(b)
    assert len(subject_id_for(a)) == 32 and "b2026" not in subject_id_for(a)


def test_frame_rows_carry_only_hashes_and_the_last_four() -> None:
    frame = build_frame(
        ["k1"],
        [
            {
                "subject_kind": "person",
                "family_name": "张",
                "given_names": "伟",
                "id_scheme": "passport",
                "id_country": "GB",
                "id_hash": "ab" * 32,
                "id_masked": "*****6789",
            }
        ],
    )
    row = frame.to_pylist()[0]
    assert row["id_scheme"] == "passport:GB" and row["id_last4"] == "6789"
    assert row["name_native"] == "张伟" and row["name_rom"] == "zhangwei"


@given(st.text(max_size=40), st.text(max_size=40), st.text(max_size=40))
def test_name_keys_never_fail_on_junk(family: str, given_: str, full: str) -> None:
    keys = person_name_keys(family or None, given_ or None, full or None)
    for part in (keys.family_rom, keys.given_rom):
        assert part is None or part.isascii()
