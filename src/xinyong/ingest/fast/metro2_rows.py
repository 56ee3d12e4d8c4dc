"""Ledger rows of accepted Metro 2 records, built as Arrow columns from a block.

The values are those ``metro2_format.canonical_values`` and
``associated_values`` give and ``canonical_rules.build_row`` stores, for all
accepted records of a block at once: one row per consumer, the base
segment's consumer and then, where the record has one, its J1 consumer
(names, birth date, phone, ECOA code and SSN of its own; the account's
columns shared). Accepted records hold only what the rules let through
(digits in numeric fields, real dates or zeros), besides fields made of
``?`` that the reference rules skip; the few such phone numbers are taken
by the reference's own Python, record by record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from xinyong.ingest.ledger_tables import ACCOUNTS_SCHEMA
from xinyong.ingest.metro2_format import CENTS_PER_DOLLAR

from . import metro2_text as text
from .metro2_fields import BASE_AT, J1_AT, Block, Bools, Bytes, Ints, Pos, days_from_civil

Rows = npt.NDArray[np.intp]

_AMOUNTS: Final = {
    "credit_limit_minor": "credit_limit",
    "highest_credit_minor": "highest_credit",
    "current_balance_minor": "current_balance",
    "amount_past_due_minor": "amount_past_due",
    "scheduled_payment_minor": "scheduled_monthly_payment_amount",
    "actual_payment_minor": "actual_payment_amount",
    "charge_off_amount_minor": "original_charge_off_amount",
}
_STRIPPED: Final = {
    "address_line1": "first_line_address",
    "address_line2": "second_line_address",
    "city": "city",
    "postal_code": "zip_code",
    "payment_history_profile": "payment_history_profile",
}
_CODED: Final = {
    "region": ("state", "strip"),
    "portfolio_type": ("portfolio_type", "text"),
    "account_type": ("account_type", "text"),
    "account_status": ("account_status", "text"),
    "payment_rating": ("payment_rating", "strip"),
    "special_comment": ("special_comment", "strip"),
    "compliance_condition": ("compliance_condition_code", "strip"),
}
_DATES: Final = {
    "date_opened": "date_opened",
    "date_closed": "date_closed",
    "date_reported": "date_account_information",
    "first_delinquency_date": "date_first_delinquency",
    "last_payment_date": "date_last_payment",
}


def _strip_or_none(raw: str) -> str | None:
    return raw.strip() or None


def _text(raw: str) -> str:
    return raw.rstrip(" ")


def _country(raw: str) -> str:
    return raw.strip() or "US"


_HOW: Final[dict[str, Callable[[str], str | None]]] = {"strip": _strip_or_none, "text": _text}


@dataclass(frozen=True)
class Consumers:
    """The output rows of accepted records: each base consumer, then its J1 if any."""

    source: Rows
    """The block row (record) of each output row."""
    is_j1: Bools
    record: Ints
    """For each output row, the index of its record among the accepted ones."""

    @classmethod
    def of(cls, rows: Rows, has_j1: Bools) -> Consumers:
        per_record = 1 + has_j1[rows].astype(np.int64)
        record = np.repeat(np.arange(len(rows)), per_record)
        first = np.cumsum(per_record) - per_record
        is_j1 = np.arange(len(record)) != first[record]
        return cls(rows[record], is_j1, record)

    def pick(
        self, base: npt.NDArray[np.generic], j1: npt.NDArray[np.generic]
    ) -> npt.NDArray[np.generic]:
        """Per output row, the base consumer's value or the J1 consumer's (block-row arrays)."""
        src = self.source
        if base.ndim == 2:
            return np.where(self.is_j1[:, None], j1[src], base[src])
        return np.where(self.is_j1, j1[src], base[src])


@dataclass(frozen=True)
class Identity:
    """Each output row's identifier columns (Arrow, aligned with the output rows)."""

    scheme: pa.Array
    country: pa.Array
    hash: pa.Array
    masked: pa.Array
    warnings: pa.Array


def _consumer_text(b: Block, who: Consumers, name: str) -> tuple[Bytes, Bools]:
    """Each output row's field text and blankness: the base's, then the J1 rows' own.

    The J1 field is read for the J1 rows alone (a tenth of them, typically).
    """
    base, j1 = BASE_AT.pos(name), J1_AT.pos(name)
    matrix: Bytes = b.text(base)[who.source]
    blank: Bools = b.blank(base)[who.source]
    rows = np.flatnonzero(who.is_j1)
    if len(rows):
        src = who.source[rows]
        matrix[rows] = b.rec[src, j1.offset : j1.offset + j1.length]
        blank[rows] = b.blank(j1)[src]
    return matrix, blank


def _dates(b: Block, pos: Pos, src: Rows) -> pa.Array:
    d = b.dates(pos)
    return pa.array(d.days(src).astype(np.int32), pa.date32(), mask=~d.valid[src])


def _birth_dates(b: Block, who: Consumers) -> pa.Array:
    base, j1 = b.dates(BASE_AT.pos("date_birth")), b.dates(J1_AT.pos("date_birth"))
    src, is_j1 = who.source, who.is_j1
    year = np.where(is_j1, j1.year[src], base.year[src])
    month = np.where(is_j1, j1.month[src], base.month[src])
    day = np.where(is_j1, j1.day[src], base.day[src])
    valid = np.where(is_j1, j1.valid[src], base.valid[src])
    days = np.where(valid, days_from_civil(year, month, day), 0).astype(np.int32)
    return pa.array(days, pa.date32(), mask=~valid)


def _phones(b: Block, who: Consumers) -> pa.Array:
    """``text.strip().lstrip("0") or None``: the number's digits without leading zeros."""
    base, j1 = BASE_AT.pos("telephone_number"), J1_AT.pos("telephone_number")
    digits: Bools = who.pick(b.digits(base), b.digits(j1))  # type: ignore[assignment]
    number: Ints = who.pick(b.number(base), b.number(j1))  # type: ignore[assignment]
    out = pc.cast(pa.array(number, pa.int64(), mask=~(digits & (number > 0))), pa.string())
    odd = np.flatnonzero(~digits)
    if odd.size == 0:
        return out
    values = out.to_pylist()
    for i in odd.tolist():
        pos = j1 if who.is_j1[i] else base
        values[i] = b.raw(int(who.source[i]), pos).strip().lstrip("0") or None
    return pa.array(values, pa.string())


def _given_names(b: Block, who: Consumers) -> pa.Array:
    """``" ".join(non-blank of first and middle name) or None``."""
    first = text.stripped(*_consumer_text(b, who, "first_name"))
    middle = text.stripped(*_consumer_text(b, who, "middle_name"))
    both = pc.binary_join_element_wise(first, middle, " ")
    return pc.if_else(pc.is_null(middle), first, pc.if_else(pc.is_null(first), middle, both))


def accounts(
    b: Block,
    rows: Rows,
    has_j1: Bools,
    offsets: Ints,
    first_no: int,
    identity: Callable[[Consumers], Identity],
    digests: Bytes,
) -> pa.Table:
    """The ledger rows of the accepted records ``rows`` of a block, in record order.

    ``digests`` holds every record's account key (32 bytes per record).
    """
    who = Consumers.of(rows, has_j1)
    src, n = who.source, len(who.source)
    account = BASE_AT.pos("consumer_account_number")
    numbers = text.stripped(b.text(account)[rows], b.blank(account)[rows], null_if_blank=False)
    ids = identity(who)
    columns: dict[str, pa.Array] = {
        "record_no": pa.array(first_no + src.astype(np.int64), pa.int64()),
        "location": pc.binary_join_element_wise(
            "offset ", pc.cast(pa.array(offsets[src], pa.int64()), pa.string()), ""
        ),
        "subject_kind": pa.repeat("person", n),
        "family_name": text.stripped(*_consumer_text(b, who, "surname")),
        "given_names": _given_names(b, who),
        "full_name": pa.nulls(n, pa.string()),
        "legal_name": pa.nulls(n, pa.string()),
        "birth_date": _birth_dates(b, who),
        "registration_date": pa.nulls(n, pa.date32()),
        "id_scheme": ids.scheme,
        "id_country": ids.country,
        "id_hash": ids.hash,
        "id_masked": ids.masked,
        "country": text.coded(b.lane(BASE_AT.pos("country_code").offset, 2)[src], 2, _country),
        "phone": _phones(b, who),
        "warnings": ids.warnings,
        "account_key": text.hex_strings(digests[src].tobytes()),
        "consumer_no": pa.array(who.is_j1.astype(np.int32), pa.int32()),
        "account_number_masked": text.masked(numbers).take(pa.array(who.record)),
        "ecoa_code": text.coded(
            who.pick(
                b.lane(BASE_AT.pos("ecoa_code").offset, 1), b.lane(J1_AT.pos("ecoa_code").offset, 1)
            ),
            1,
            _text,
        ),
        "currency": pa.repeat("USD", n),
    }
    for column, name in _STRIPPED.items():
        pos = BASE_AT.pos(name)
        columns[column] = text.stripped(b.text(pos)[src], b.blank(pos)[src])
    for column, (name, how) in _CODED.items():
        pos = BASE_AT.pos(name)
        columns[column] = text.coded(b.lane(pos.offset, pos.length)[src], pos.length, _HOW[how])
    for column, name in _DATES.items():
        columns[column] = _dates(b, BASE_AT.pos(name), src)
    for column, name in _AMOUNTS.items():
        pos = BASE_AT.pos(name)
        columns[column] = pa.array(
            b.number(pos)[src] * CENTS_PER_DOLLAR, pa.int64(), mask=~b.digits(pos)[src]
        )
    return pa.Table.from_arrays([columns[c] for c in ACCOUNTS_SCHEMA.names], schema=ACCOUNTS_SCHEMA)
