"""Small pieces: seeds, account numbers, pinyin, dirt, public record expiry."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest

from xinyong.synth import generate
from xinyong.synth.dirt import corrupt, latin_typo, pinyin_variant
from xinyong.synth.furnishers import BANK_B, CARD, FURNISHERS, MORTGAGE
from xinyong.synth.records import account_number, luhn_digit
from xinyong.synth.rng import Stream, month_end, month_index, permute, subject_rng
from xinyong.synth.vocab import pinyin_of


def test_permute_is_a_bijection() -> None:
    assert sorted(permute(i, 10**4) for i in range(10**4)) == list(range(10**4))


def test_streams_are_independent() -> None:
    a = subject_rng(1, Stream.PERSON_IDENTITY, 5).random()
    assert a != subject_rng(1, Stream.PERSON_ACTIVITY, 5).random()
    assert a != subject_rng(2, Stream.PERSON_IDENTITY, 5).random()
    assert a == subject_rng(1, Stream.PERSON_IDENTITY, 5).random()


def test_account_numbers_are_unique_and_cards_luhn_valid() -> None:
    numbers = {account_number(BANK_B, p, e, i, s) for p in (CARD, MORTGAGE) for e in (False, True)
               for i in range(300) for s in range(3)}  # fmt: skip
    assert len(numbers) == 2 * 2 * 300 * 3
    card = account_number(BANK_B, CARD, False, 12345, 1)
    assert len(card) == 16 and luhn_digit(card[:-1]) == card[-1]
    assert all(len(n) <= 30 for n in numbers)


def test_pinyin_reads_surnames_as_surnames() -> None:
    assert pinyin_of("单", True) == "Shan"
    assert pinyin_of("曾", True) == "Zeng"
    assert pinyin_of("欧阳", True) == "Ouyang"
    assert pinyin_of("秀英", False) == "Xiuying"
    spellings = {pinyin_variant(random.Random(i), "吕", surname=True) for i in range(40)}
    assert spellings == {"Lu", "Lv", "Lyu", "Lü"}


def test_latin_typo_changes_the_word() -> None:
    rng = random.Random(3)
    assert all(latin_typo(rng, "Johnson") != "Johnson" for _ in range(50))


def test_corrupt_returns_the_rule_it_broke() -> None:
    record = {
        "record_kind": "account", "id_scheme": "cn_ric", "id_value": "11010519491231002X",
        "date_opened": "2020-01-05", "date_reported": "2026-06-30", "current_balance": 10,
        "account_status": "97", "first_delinquency_date": "2025-01-01", "payment_rating": None,
    }  # fmt: skip
    rules = set()
    for seed in range(60):
        copy = dict(record)
        rule, field = corrupt(random.Random(seed), copy)
        assert copy[field] != record[field]
        rules.add(rule)
    assert rules == {"checksum", "date", "date_order", "non_negative", "dofd_required"}


def test_month_arithmetic() -> None:
    assert month_end(month_index(date(2024, 2, 10))) == date(2024, 2, 29)


def test_furnishers_cover_every_kind() -> None:
    kinds = {f.kind for f in FURNISHERS}
    assert {"bank", "card_issuer", "consumer_lender", "utility", "telecom"} <= kinds
    assert {"tax_authority", "court", "market_regulator"} <= kinds


def test_limited_formats_keep_the_population(tmp_path: Path) -> None:
    full = generate(120, 20, seed=9, out=tmp_path / "all", chunk_size=60)
    csv_only = generate(120, 20, seed=9, out=tmp_path / "csv", formats=("csv",), chunk_size=60)
    assert {f.format for f in csv_only.files} == {"csv"}
    assert csv_only.accounts == full.accounts and csv_only.public_records == full.public_records


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format"):
        generate(1, 0, seed=1, out=tmp_path, formats=("xml",))
    with pytest.raises(ValueError):
        generate(-1, 0, seed=1, out=tmp_path)
    with pytest.raises(ValueError, match="workers"):
        generate(1, 0, seed=1, out=tmp_path, workers=0)
