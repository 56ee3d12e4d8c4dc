"""Canonical furnisher records (the contract in ``schemas/``) rendered from
the truth, through each furnisher's habits and a little dirt.

A furnisher keeps one customer master record per account, so the name, the
identifier and the phone format are drawn once per account and reused for
every month it reports; the address follows the subject's moves only if the
furnisher heard of them.
"""

from __future__ import annotations

import random
from typing import Any, NamedTuple

from xinyong.synth import dirt
from xinyong.synth.furnishers import FULL_LATIN, SPLIT_LATIN, SPLIT_NATIVE, Furnisher, Product
from xinyong.synth.identity import Enterprise, Person
from xinyong.synth.rng import permute
from xinyong.synth.simulate import Snapshot

Record = dict[str, Any]
Row = tuple[Any, ...]  # a record's values in its kind's field order

IDENTITY_FIELDS: tuple[str, ...] = (
    "family_name", "given_names", "full_name", "legal_name", "birth_date", "registration_date",
    "id_scheme", "id_value", "id_country", "address_line1", "address_line2", "city", "region",
    "postal_code", "country", "phone",
)  # fmt: skip
ACCOUNT_FIELDS: tuple[str, ...] = (
    "record_kind", "account_number", "subject_kind", *IDENTITY_FIELDS, "portfolio_type",
    "account_type", "ecoa_code", "date_opened", "date_closed", "date_reported", "currency",
    "credit_limit", "highest_credit", "current_balance", "amount_past_due", "scheduled_payment",
    "actual_payment", "charge_off_amount", "account_status", "payment_rating",
    "payment_history_profile", "first_delinquency_date", "last_payment_date", "special_comment",
    "compliance_condition",
)  # fmt: skip
PUBLIC_RECORD_FIELDS: tuple[str, ...] = (
    "record_kind", "record_ref", "subject_kind", *IDENTITY_FIELDS, "kind", "authority",
    "document_number", "event_date", "filed_date", "currency", "amount", "status",
    "removed_date", "expires_on", "description",
)  # fmt: skip
ACCOUNT_ROW_FIELDS: tuple[str, ...] = (*ACCOUNT_FIELDS, "_ssn")
INTEGER_FIELDS = frozenset(
    ("credit_limit", "highest_credit", "current_balance", "amount_past_due", "scheduled_payment",
     "actual_payment", "charge_off_amount", "amount")
)  # fmt: skip
_OPTIONAL_AMOUNTS = ("highest_credit", "actual_payment")
_SERVES_ENTERPRISES = ("bank", "tax_authority", "court", "market_regulator")


def columns_for(furnisher: Furnisher) -> tuple[str, ...]:
    """The columns this furnisher's files carry, in canonical order."""
    habits = furnisher.habits
    names = (
        {"family_name", "given_names"}
        if habits.name_style in (SPLIT_NATIVE, SPLIT_LATIN)
        else {"full_name"}
    )
    dropped: set[str] = {"family_name", "given_names", "full_name"} - names
    if furnisher.kind not in _SERVES_ENTERPRISES:
        dropped |= {"legal_name", "registration_date"}
    if habits.birth_date_rate == 0:
        dropped.add("birth_date")
    if habits.id_rate == 0:
        dropped |= {"id_scheme", "id_value", "id_country"}
    if not habits.address_split:
        dropped |= {"city", "region", "postal_code"}
    if habits.phone_rate == 0:
        dropped.add("phone")
    if not habits.fills_optional_amounts:
        dropped |= set(_OPTIONAL_AMOUNTS)
    fields = ACCOUNT_FIELDS if furnisher.record_kind == "account" else PUBLIC_RECORD_FIELDS
    return tuple(f for f in fields if f not in dropped)


class Rendering(NamedTuple):
    """How one furnisher writes one subject: fixed for the account's life."""

    head: tuple[Any, ...]  # IDENTITY_FIELDS up to id_country (the address comes later)
    phone: str | None
    ssn: str | None  # only Metro 2 carries an SSN; the canonical files have no scheme for it
    tags: tuple[str, ...]  # the dirt applied, for the truth file
    split_address: bool
    abbreviate: bool
    drop_region: bool
    follows_moves: bool


_NO_ID = (None, None, None)


def _person_name(
    rng: random.Random, person: Person, furnisher: Furnisher, tags: list[str]
) -> tuple[str | None, str | None, str | None]:
    """(family_name, given_names, full_name) as the furnisher writes them."""
    habits = furnisher.habits
    style = habits.name_style
    han = person.han
    latin = not han or style in (FULL_LATIN, SPLIT_LATIN) or rng.random() < habits.latin_rate
    if han and latin:
        tags.append("pinyin")
        family = person.family_latin
        given = person.given_latin
        if rng.random() < 0.2:
            family = dirt.pinyin_variant(rng, person.family, surname=True)
            given = dirt.pinyin_variant(rng, person.given, surname=False)
            tags.append("pinyin_variant")
    else:
        family, given = person.family, person.given
    if rng.random() < 0.02:
        tags.append("name_typo")
        given = dirt.latin_typo(rng, given) if latin else dirt.han_typo(rng, given)
    if latin and habits.uppercase_latin:
        family, given = family.upper(), given.upper()
    if style in (SPLIT_NATIVE, SPLIT_LATIN):
        if rng.random() < 0.03:
            family, given = given, family
            tags.append("name_order_swapped")
        return family, given, None
    if not latin:
        return None, None, f"{family}{given}"
    family_first = han
    if rng.random() < (0.25 if han else 0.04):
        family_first = not family_first
        tags.append("name_order_swapped")
    if style == FULL_LATIN or (han and rng.random() < 0.3):
        family, given = family.upper(), given.upper()
    return None, None, f"{family} {given}" if family_first else f"{given} {family}"


def render_person(rng: random.Random, person: Person, furnisher: Furnisher) -> Rendering:
    """Draw how ``furnisher`` knows ``person``."""
    habits = furnisher.habits
    random_ = rng.random
    tags: list[str] = []
    family, given, full = _person_name(rng, person, furnisher, tags)
    scheme = value = country = None
    id_rate = habits.id_rate
    if random_() < id_rate:
        if person.ric is not None:
            scheme, value = "cn_ric", person.ric
            if person.passport and random_() < 0.3:
                scheme, value, country = "passport", person.passport, person.passport_country
                tags.append("passport_instead_of_ric")
            elif value.endswith("X") and random_() < 0.2:
                value = value[:-1] + "x"
                tags.append("ric_lowercase_x")
        elif person.passport is not None:
            scheme, value, country = "passport", person.passport, person.passport_country
    elif id_rate > 0 and (person.ric or person.passport):
        tags.append("no_id")
    birth = None
    if random_() < habits.birth_date_rate:
        birth = person.birth_date
        if scheme != "cn_ric" and random_() < 0.01:
            swapped = dirt.dob_variant(rng, birth)
            if swapped is not None:
                birth = swapped
                tags.append("birth_date_day_month_swapped")
    ssn = None
    if person.ssn is not None and id_rate > 0:
        if random_() < id_rate:
            ssn = person.ssn
        else:
            tags.append("no_id")
            if birth is None and habits.birth_date_rate > 0:
                birth = person.birth_date  # Metro 2 needs an SSN or a birth date
    phone = None
    if random_() < habits.phone_rate:
        if person.segment == "us":
            phone = dirt.us_phone_variant(rng, person.phone)
        else:
            phone = dirt.cn_phone_variant(rng, person.phone)
    follows = random_() < habits.address_update_rate
    head = (family, given, full, None, birth.isoformat() if birth else None, None, scheme, value,
            country)  # fmt: skip
    return Rendering(
        head=head,
        phone=phone,
        ssn=ssn,
        tags=tuple(tags),
        split_address=habits.address_split,
        abbreviate=random_() < 0.4,
        drop_region=random_() < 0.2,
        follows_moves=follows,
    )


def render_enterprise(
    rng: random.Random, enterprise: Enterprise, furnisher: Furnisher
) -> Rendering:
    """Draw how ``furnisher`` knows ``enterprise``."""
    habits = furnisher.habits
    tags: list[str] = []
    name, tag = dirt.enterprise_name_variant(rng, enterprise.legal_name, _region_prefix(enterprise))
    if tag:
        tags.append(tag)
    if rng.random() < habits.id_rate:
        ident: tuple[str | None, str | None, str | None] = ("cn_uscc", enterprise.uscc, None)
    else:
        ident = _NO_ID
        tags.append("no_id")
    registered = rng.random() < 0.7
    reg_date = enterprise.registration_date.isoformat() if registered else None
    phone = enterprise.phone if rng.random() < habits.phone_rate else None
    head = (None, None, None, name, None, reg_date, *ident)
    return Rendering(
        head, phone, None, tuple(tags), habits.address_split, False, rng.random() < 0.2, True
    )


def _region_prefix(enterprise: Enterprise) -> str:
    """The city part of the legal name (名称 = 行政区划 + 字号 + 行业 + 组织形式)."""
    name = enterprise.legal_name
    index = name.find(enterprise.short_name)
    return name[:index] if index > 0 else ""


def identity_values(
    rendering: Rendering, subject: Person | Enterprise, known_mi: int
) -> tuple[Any, ...]:
    """The identity fields in ``IDENTITY_FIELDS`` order with the address the
    furnisher has on file in month ``known_mi``."""
    address = subject.address_at(known_mi) if isinstance(subject, Person) else subject.address
    return (
        *rendering.head,
        *dirt.address_values(
            address, rendering.split_address, rendering.abbreviate, rendering.drop_region
        ),
        rendering.phone,
    )


_LUHN_DOUBLED = {str(d): (2 * d - 9 if 2 * d > 9 else 2 * d) for d in range(10)}


def luhn_digit(body: str) -> str:
    """The Luhn check digit to append to ``body`` (digits only)."""
    digits = body[::-1]
    total = sum(map(_LUHN_DOUBLED.__getitem__, digits[0::2])) + sum(map(int, digits[1::2]))
    return str((10 - total % 10) % 10)


def account_number(
    furnisher: Furnisher, product: Product, enterprise: bool, index: int, seq: int
) -> str:
    """Unique per furnisher: the subject index (scrambled) and its account
    sequence; cards get a 16-digit Luhn-valid number."""
    kind = "5" if enterprise else "0"
    scrambled = permute(index, 10**8, salt=len(furnisher.furnisher_id))
    if product.portfolio_type == "R":
        body = f"{furnisher.account_prefix[:4]}{kind}{scrambled:08d}{seq % 100:02d}"
        return body + luhn_digit(body)
    return f"{furnisher.account_prefix}{product.account_type}{kind}{scrambled:08d}{seq:02d}"


def account_row(
    identity: tuple[Any, ...],
    furnisher: Furnisher,
    product: Product,
    number: str,
    subject_kind: str,
    date_opened: str,
    snap: Snapshot,
    ssn: str | None = None,
) -> Row:
    """One canonical account record, the state as of the month end: the
    values of ``ACCOUNT_FIELDS`` in order, then the SSN only Metro 2 carries."""
    compliance = None
    if snap.status == "13" and product.revolving and sum(map(ord, number)) % 3 == 0:
        compliance = "XA"  # closed at the consumer's request
    return (
        "account", number, subject_kind, *identity, product.portfolio_type, product.account_type,
        "1" if subject_kind == "person" else "W", date_opened, snap.closed, snap.reported,
        furnisher.currency, snap.credit_limit, snap.highest, snap.balance, snap.past_due,
        snap.scheduled, snap.actual, snap.charge_off, snap.status, snap.rating, snap.profile,
        snap.dofd, snap.last_payment, None, compliance, ssn,
    )  # fmt: skip


def fields_of(row: Row) -> tuple[str, ...]:
    """The field names of a record row (an account row ends with its SSN)."""
    return ACCOUNT_ROW_FIELDS if row[0] == "account" else PUBLIC_RECORD_FIELDS


def as_record(row: Row) -> Record:
    """A record row as a mapping of field names (the form ``dirt.corrupt`` breaks)."""
    return dict(zip(fields_of(row), row, strict=True))


def as_row(record: Record) -> Row:
    """The inverse of ``as_record``."""
    fields = ACCOUNT_ROW_FIELDS if record["record_kind"] == "account" else PUBLIC_RECORD_FIELDS
    return tuple(record.get(f) for f in fields)
