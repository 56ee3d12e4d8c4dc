"""Realistic dirt: the ways one subject's name, address and identifiers vary
between furnishers, and the deliberate breakage of about one record in a
hundred that ingest must reject.

Variants are still valid records (resolution has to see through them); broken
records carry the rule they break so the truth can list them as expected
rejects. Rule codes follow the ingest pipeline's (``xinyong.ingest``):
``checksum``, ``date``, ``date_order``, ``dofd_required``,
``payment_rating_required``, ``non_negative``.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from xinyong.synth.identity import Address
from xinyong.synth.rng import Categorical, below, choice, randint
from xinyong.synth.vocab import pinyin_syllables, vocabulary

Record = dict[str, Any]

_UMLAUT_SPELLINGS = ("u", "v", "yu", "ü")
_SYLLABLE_JOINS = Categorical(("", " ", "-"), (80, 12, 8))
_PHONE_STYLES = Categorical((0, 1, 2, 3), (70, 12, 10, 8))
_STREET_ABBREVIATIONS = {"Street": "St", "Avenue": "Ave", "Road": "Rd", "Drive": "Dr", "Lane": "Ln"}


def latin_typo(rng: random.Random, word: str) -> str:
    """One keyboard slip: a transposition, a dropped or a doubled letter."""
    if len(word) < 3:
        return word + word[-1:]
    i = 1 + below(rng, len(word) - 2)
    kind = below(rng, 3)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def han_typo(rng: random.Random, word: str) -> str:
    """One character replaced by another common name character (a clerk's
    wrong pick from the input method's candidate list)."""
    chars = vocabulary().cn_given_chars
    i = below(rng, len(word))
    return word[:i] + choice(rng, chars) + word[i + 1 :]


def pinyin_variant(rng: random.Random, han: str, *, surname: bool) -> str:
    """A romanisation of ``han`` as some clerk would type it: syllables run
    together or apart, ü as u, v, yu or ü."""
    syllables = pinyin_syllables(han, surname=surname)
    umlaut = choice(rng, _UMLAUT_SPELLINGS)
    syllables = [s.replace("v", umlaut) for s in syllables]
    if surname or len(syllables) < 2:
        text = "".join(syllables)
    else:
        text = _SYLLABLE_JOINS.pick(rng).join(syllables)
    return text[:1].upper() + text[1:]


def cn_phone_variant(rng: random.Random, phone: str) -> str:
    if len(phone) != 11:
        return phone
    style = _PHONE_STYLES.pick(rng)
    if style == 1:
        return f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}"
    if style == 2:
        return f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"
    if style == 3:
        return "86" + phone
    return phone


def us_phone_variant(rng: random.Random, phone: str) -> str:
    if rng.random() < 0.5:
        return f"({phone[:3]}) {phone[3:6]}-{phone[6:]}"
    return phone


def address_values(
    address: Address, split: bool, abbreviate: bool, drop_region: bool
) -> tuple[str | None, str | None, str | None, str | None, str | None, str]:
    """(address_line1, address_line2, city, region, postal_code, country) as a
    furnisher with or without separate city, region and postal code fields
    writes them; ``abbreviate`` shortens a US street type, ``drop_region``
    leaves the province out of a one-line Chinese address."""
    line1, line2 = address.line1, address.line2
    if address.country == "US":
        if abbreviate:
            head, space, last = line1.rpartition(" ")
            short = _STREET_ABBREVIATIONS.get(last)
            if short is not None:
                line1 = f"{head}{space}{short}"
        if not split:
            tail = f", {line2}" if line2 else ""
            line1 = f"{line1}{tail}, {address.city}, {address.region} {address.postal_code}"
            line2 = None
    elif not split:
        region = "" if drop_region or address.region == address.city else address.region
        line1 = f"{region}{address.city}{line1}{line2 or ''}"
        line2 = None
    if split:
        return line1, line2, address.city, address.region, address.postal_code, address.country
    return line1, line2, None, None, None, address.country


def enterprise_name_variant(
    rng: random.Random, legal_name: str, region: str
) -> tuple[str, str | None]:
    """The registered name, or how a clerk shortened or mistyped it."""
    u = rng.random()
    if u < 0.03 and legal_name.startswith(region) and region:
        return legal_name[len(region) :], "name_without_region"
    if u < 0.05 and legal_name.startswith(region) and region:
        return f"{legal_name[len(region) :]}（{region}）", "name_region_suffix"
    if u < 0.065:
        body = legal_name[len(region) :] if legal_name.startswith(region) else legal_name
        return region + han_typo(rng, body[:2]) + body[2:], "name_typo"
    return legal_name, None


def dob_variant(rng: random.Random, birth: date) -> date | None:
    """Day and month swapped, where that is still a date and a different one."""
    if birth.day > 12 or birth.day == birth.month:
        return None
    return birth.replace(month=birth.day, day=birth.month)


# -- breakage -----------------------------------------------------------------

_IMPOSSIBLE = (
    "{y}-02-30",
    "{y}-02-31",
    "{y}-04-31",
    "{y}-06-31",
    "{y}-09-31",
    "{y}-11-31",
    "{y}-13-01",
)


def _bad_check_char(value: str, alphabet: str) -> str:
    last = value[-1]
    options = [c for c in alphabet if c != last]
    return value[:-1] + options[(len(value) * 7 + ord(last)) % len(options)]


def corrupt(rng: random.Random, record: Record, *, metro2: bool = False) -> tuple[str, str]:
    """Break ``record`` in place with one rule a validator must catch;
    returns (rule, field). Metro 2 has no sign for amounts, so a Metro 2
    record is never broken with a negative balance."""
    account = record["record_kind"] == "account"
    choices: list[str] = ["date"]
    if record.get("id_scheme") in ("cn_ric", "cn_uscc") and record.get("id_value"):
        choices += ["checksum", "checksum"]
    if account:
        choices += ["date_order", "date_order"] + ([] if metro2 else ["non_negative"])
        if record.get("first_delinquency_date") and record["account_status"] not in ("13", "05"):
            choices.append("dofd_required")
        if record.get("payment_rating") is not None:
            choices.append("payment_rating_required")
    rule = choice(rng, choices)
    if rule == "checksum":
        alphabet = (
            "0123456789X" if record["id_scheme"] == "cn_ric" else "0123456789ABCDEFGHJKLMNPQRTUWXY"
        )
        record["id_value"] = _bad_check_char(str(record["id_value"]).upper(), alphabet)
        return rule, "id_value"
    if rule == "date":
        field = "date_opened" if account else "event_date"
        year = int(str(record[field])[:4])
        record[field] = choice(rng, _IMPOSSIBLE).format(y=year)
        return rule, field
    if rule == "date_order":
        reported = date.fromisoformat(record["date_reported"])
        record["date_opened"] = (reported + timedelta(days=randint(rng, 1, 400))).isoformat()
        return rule, "date_opened"
    if rule == "non_negative":
        record["current_balance"] = -randint(rng, 1, 500_000)
        return rule, "current_balance"
    if rule == "dofd_required":
        record["first_delinquency_date"] = None
        return rule, "first_delinquency_date"
    record["payment_rating"] = None
    return "payment_rating_required", "payment_rating"
