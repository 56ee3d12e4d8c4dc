"""Which Metro 2 rule functions a block of records breaks, one vector per function.

For every function of :data:`rules.SEGMENT_RULES` (applied to the base
segment and to a J1 segment) and of :data:`rules.RECORD_RULES`, in the
reference order, a "gate" says for every record of a block whether that
function would report anything. A record that no gate flags (and whose
consumers' identities check out, :mod:`metro2`) is accepted with no Python
per record; for a flagged record the reference functions themselves are
called (:func:`reference_violations`), so every violation and message is the
reference's own.

The gates are generated from the layout tables and the code lists. Where a
rule is a function of a few short fields (a status and a rating, a furnisher
number), its truth is the reference function's own, evaluated once per
distinct value in the block (:func:`_by_distinct`). Every rule function must
have a gate: a rule added to :mod:`rules` without one stops this module from
importing, so the fast path can never silently skip it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from xinyong.ingest.metro2 import codes, rules
from xinyong.ingest.metro2.layout import MONEY_FIELDS
from xinyong.ingest.metro2.model import Record, Segment, Violation

from .metro2_fields import BASE_AT, J1_AT, NUMERIC, Block, Bools, Pos, SegmentAt, truth_table

SegmentGate = Callable[[Block, SegmentAt], Bools]
RecordGate = Callable[[Block], Bools]

_NO_SSN: Final = tuple(int(v) for v in sorted(rules._NO_SSN))
_DATE_KINDS: Final = ("date", "timestamp")


def _false(b: Block) -> Bools:
    return np.zeros(b.n, np.bool_)


def negative(b: Block, pos: Pos) -> Bools:
    """``rules._NEGATIVE`` matches the field: checked in Python where it is not all digits."""

    def make() -> Bools:
        rows = np.flatnonzero(~b.digits(pos))
        return b.per_row(rows, pos, lambda raw: rules._NEGATIVE.match(raw) is not None)

    result: Bools = b.memo(("negative", pos.offset), make)
    return result


def has_ssn(b: Block, seg: SegmentAt) -> Bools:
    """``trailer._has_ssn``: the SSN is digits and not all zeros or nines."""
    pos = seg.pos("social_security_number")
    out: Bools = b.digits(pos) & ~np.isin(b.number(pos), _NO_SSN)
    return out


def date_ok(b: Block, pos: Pos) -> Bools:
    """``check_dates``' test of a given date: it parses, in 1900 or later."""
    dates = b.dates(pos)
    ok: Bools = dates.valid & (dates.year >= 1900)
    if pos.field.kind == "timestamp":
        hour, minute, second = b.time_of_day(pos)
        ok &= b.digits(pos) & (hour <= 23) & (minute <= 59) & (second <= 59)
    return ok


@dataclass(frozen=True)
class _Rows:
    """A segment's numeric fields as rows of :data:`NUMERIC` (the block's numeric facts)."""

    fields: tuple[Pos, ...]
    rows: npt.NDArray[np.intp]
    required: Bools

    @classmethod
    def of(cls, fields: Sequence[Pos]) -> _Rows:
        return cls(
            tuple(fields),
            np.array([NUMERIC.row[p.offset] for p in fields], np.intp),
            np.array([p.field.required for p in fields], np.bool_)[:, None],
        )


def _segment_rows(seg: SegmentAt) -> dict[str, _Rows]:
    fields = seg.positions()
    return {
        "numeric": _Rows.of([p for p in fields if p.field.kind == "numeric"]),
        "dates": _Rows.of([p for p in fields if p.field.kind == "date"]),
        "timestamps": _Rows.of([p for p in fields if p.field.kind == "timestamp"]),
        "required_dates": _Rows.of(
            [p for p in fields if p.field.required and p.field.kind in _DATE_KINDS]
        ),
    }


_SEGMENT_ROWS: Final = {seg.name: _segment_rows(seg) for seg in (BASE_AT, J1_AT)}


def _required(b: Block, seg: SegmentAt) -> Bools:
    """A required field blank; a required date or timestamp zero-filled too."""
    fields = [p for p in seg.positions() if p.field.required and p.name != "segment_identifier"]
    out = b.any_blank(fields)
    dates = _SEGMENT_ROWS[seg.name]["required_dates"]
    if len(dates.rows):
        out |= b.numeric.zeros[dates.rows].any(axis=0)
    return out


def _numeric(b: Block, seg: SegmentAt) -> Bools:
    """Not digits, unless blank where required, ``?``-filled or negative (other rules)."""
    group = _SEGMENT_ROWS[seg.name]["numeric"]
    facts = b.numeric
    bad: Bools = ~facts.digits[group.rows] & ~facts.undecodable[group.rows]
    bad &= ~(group.required & facts.blank[group.rows])
    for i in np.flatnonzero(bad.any(axis=1)).tolist():
        if group.fields[i].name in MONEY_FIELDS:
            bad[i] &= ~negative(b, group.fields[i])
    out: Bools = np.logical_or.reduce(bad, axis=0)
    return out


def _dates(b: Block, seg: SegmentAt) -> Bools:
    """A given date (not zeros, not ``?``) that is blank where optional, or not a real date."""
    facts = b.numeric
    out = _false(b)
    for kind in ("dates", "timestamps"):
        group = _SEGMENT_ROWS[seg.name][kind]
        if not len(group.rows):
            continue
        given = ~facts.zeros[group.rows] & ~facts.undecodable[group.rows]
        blank = facts.blank[group.rows]
        if kind == "dates":
            dated = [NUMERIC.date_row[p.offset] for p in group.fields]
            ok = facts.date_ok[dated] & (facts.year[dated] >= 1900)
        else:
            ok = np.stack([date_ok(b, p) for p in group.fields])
        out |= (given & ((blank & ~group.required) | (~blank & ~ok))).any(axis=0)
    return out


def _in_code_list(code_list: Mapping[str, str]) -> Callable[[str], bool]:
    def valid(raw: str) -> bool:
        value = raw.strip()
        return value == "" or value in code_list

    return valid


_CODE_TESTS: Final = {key: _in_code_list(code_list) for key, code_list in codes.FIELD_CODES.items()}


def _codes(b: Block, seg: SegmentAt) -> Bools:
    """A value outside its code list (blank is no value)."""
    out = _false(b)
    for pos in seg.positions():
        test = _CODE_TESTS.get((seg.name, pos.name))
        if test is not None:
            out |= ~b.lookup(pos, test)
    return out


def _non_negative(b: Block, seg: SegmentAt) -> Bools:
    out = _false(b)
    for pos in seg.positions():
        if pos.name in MONEY_FIELDS:
            out |= negative(b, pos)
    return out


def _ecoa_is(code: str) -> Callable[[str], bool]:
    def test(raw: str) -> bool:
        return raw.rstrip(" ") == code

    return test


_BUSINESS: Final = _ecoa_is(codes.ECOA_BUSINESS)
_AUTHORIZED_USER: Final = _ecoa_is(codes.ECOA_AUTHORIZED_USER)


def _identity(b: Block, seg: SegmentAt) -> Bools:
    if seg.name not in rules._PEOPLE:
        return _false(b)
    business = b.lookup(seg.pos("ecoa_code"), _BUSINESS)
    no_dob = b.zeros_or_blanks(seg.pos("date_birth"))
    out: Bools = ~business & ~has_ssn(b, seg) & no_dob
    return out


def _authorized_user(b: Block, seg: SegmentAt) -> Bools:
    if seg.name not in rules._PEOPLE:
        return _false(b)
    out: Bools = b.lookup(seg.pos("ecoa_code"), _AUTHORIZED_USER) & b.zeros_or_blanks(
        seg.pos("date_birth")
    )
    return out


def _k2_name(b: Block, seg: SegmentAt) -> Bools:
    return _false(b)  # K2 only; the vectorised shapes hold a base and a J1


SEGMENT_GATES: Final[dict[rules.SegmentRule, SegmentGate]] = {
    rules.check_required: _required,
    rules.check_numeric: _numeric,
    rules.check_dates: _dates,
    rules.check_codes: _codes,
    rules.check_non_negative: _non_negative,
    rules.check_identity: _identity,
    rules.check_authorized_user_dob: _authorized_user,
    rules.check_k2_name: _k2_name,
}

# --- RECORD_RULES -------------------------------------------------------------------


def _key(b: Block, keys: Sequence[Pos], flags: Sequence[Bools]) -> npt.NDArray[np.uint64]:
    """The raw bytes of ``keys`` (8 at most, together) and the flags as one integer per record."""
    key = np.zeros(b.n, np.uint64)
    shift = 0
    for pos in keys:
        key |= b.first_lane(pos) << np.uint64(shift)
        shift += 8 * pos.length
    for flag in flags:
        key |= flag.astype(np.uint64) << np.uint64(shift)
        shift += 1
    if shift > 64:
        raise ValueError("a distinct-value key holds 8 bytes at most")
    return key


def _by_distinct(
    b: Block,
    keys: Sequence[Pos],
    rule: rules.RecordRule,
    flags: Sequence[Bools] = (),
    shown: Sequence[Pos] = (),
) -> Bools:
    """Whether ``rule`` reports anything, evaluated once per distinct key in the block.

    The key is the raw text of ``keys`` and the ``flags``; the rule sees a base
    segment holding only the key fields and the ``shown`` fields, taken from
    the first record with that key. So ``shown`` fields must matter to the
    rule only through the flags (a date only through "is it zero-filled");
    a field the rule reads that is in neither raises ``KeyError``.
    """
    if sum(p.length for p in keys) + len(flags) / 8 <= 8:
        key = _key(b, keys, flags)
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    else:  # a long key: most blocks hold one value (a furnisher's own number)
        same = np.ones(b.n, np.bool_)
        for pos in keys:
            text = b.text(pos)
            same &= (text == text[0]).all(axis=1)
        others = np.flatnonzero(~same)
        first = np.concatenate([[0], others]).astype(np.intp)
        inverse = np.zeros(b.n, np.intp)
        inverse[others] = np.arange(1, len(others) + 1)
    verdicts = np.zeros(len(first), np.bool_)
    for i, row in enumerate(first.tolist()):
        values = {p.name: b.raw(row, p) for p in (*keys, *shown)}
        verdicts[i] = bool(rule(Record(Segment("base", values))))
    out: Bools = verdicts[inverse.ravel()]
    return out


def _base(name: str) -> Pos:
    return BASE_AT.pos(name)


def _payment_history(b: Block) -> Bools:
    pos = _base("payment_history_profile")
    php = b.text(pos)
    allowed = truth_table(1, _is_history_code)
    bad_value = ~allowed[php].all(axis=1)
    is_b = php == ord("B")
    b_then_other = (np.logical_or.accumulate(is_b, axis=1) & ~is_b).any(axis=1)
    out: Bools = ~b.blank(pos) & (bad_value | b_then_other)
    return out


def _is_history_code(char: str) -> bool:
    return char in codes.PAYMENT_HISTORY


def _terms_duration(b: Block) -> Bools:
    return _by_distinct(b, [_base("terms_duration")], rules.check_terms_duration)


_DATES_BEFORE_DAI: Final = (
    "date_opened",
    "date_first_delinquency",
    "date_closed",
    "date_last_payment",
)
"""The dates ``check_date_order`` compares with the Date of Account Information."""


def _date_order(b: Block) -> Bools:
    dai = b.dates(_base("date_account_information"))
    out = _false(b)
    for name in _DATES_BEFORE_DAI:
        date = b.dates(_base(name))
        out |= dai.valid & date.valid & (date.ordinal > dai.ordinal)
    opened, closed = b.dates(_base("date_opened")), b.dates(_base("date_closed"))
    out |= opened.valid & closed.valid & (closed.ordinal < opened.ordinal)
    return out


_STATUS_RATING: Final = (_base("account_status"), _base("payment_rating"))


def _payment_rating(b: Block) -> Bools:
    return _by_distinct(b, _STATUS_RATING, rules.check_payment_rating)


def _dofd(b: Block) -> Bools:
    dofd = _base("date_first_delinquency")
    keys = (*_STATUS_RATING, _base("consumer_information_indicator"))
    return _by_distinct(b, keys, rules.check_dofd, [b.zeros(dofd)], [dofd])


def _charge_off(b: Block) -> Bools:
    amount = _base("original_charge_off_amount")
    digits = b.digits(amount)
    flags = [digits, digits & (b.number(amount) == 0)]
    return _by_distinct(
        b, [_base("account_status")], rules.check_charge_off_amount, flags, [amount]
    )


def _past_due(b: Block) -> Bools:
    amount = _base("amount_past_due")
    flags = [b.digits(amount) & (b.number(amount) > 0)]
    return _by_distinct(
        b, [_base("account_status")], rules.check_past_due_on_current, flags, [amount]
    )


def _identification_number(b: Block) -> Bools:
    return _by_distinct(b, [_base("identification_number")], rules.check_identification_number)


_NOT_DIGIT: Final = re.compile(r"\D")


def _account_number_ssn(b: Block) -> Bools:
    """The SSN among the account number's digits.

    Where the account number's digits form one run, its digit string is a slice
    of the field, so the SSN is in it exactly where some 9 bytes of the field
    equal the SSN's: compared at every position at once (an 8-byte lane and one
    byte). Digits in several runs (rare) go to the reference rule itself.
    """
    account, ssn = _base("consumer_account_number"), _base("social_security_number")
    width = ssn.length
    candidates = has_ssn(b, BASE_AT)
    if not candidates.any():
        return _false(b)
    starts = np.arange(account.offset, account.offset + account.length - width + 1)
    head = b.lane(ssn.offset, 8)
    tail = b.lane(ssn.offset + 8, width - 8)
    heads = b.lanes(starts)
    tails = b.lanes(starts + 8) & np.uint64((1 << (8 * (width - 8))) - 1)
    out: Bools = candidates & ((heads == head) & (tails == tail)).any(axis=0)
    text = b.text(account)
    is_digit = (text >= ord("0")) & (text <= ord("9"))
    runs = (is_digit[:, 1:] & ~is_digit[:, :-1]).sum(axis=1) + is_digit[:, 0]
    several = candidates & (runs > 1) & (is_digit.sum(axis=1) >= width)
    for row in np.flatnonzero(several).tolist():
        texts = {p.name: b.raw(row, p) for p in (account, ssn)}
        out[row] = bool(rules.check_account_number_ssn(Record(Segment("base", texts))))
    return out


RECORD_GATES: Final[dict[rules.RecordRule, RecordGate]] = {
    rules.check_payment_history: _payment_history,
    rules.check_terms_duration: _terms_duration,
    rules.check_date_order: _date_order,
    rules.check_payment_rating: _payment_rating,
    rules.check_dofd: _dofd,
    rules.check_charge_off_amount: _charge_off,
    rules.check_past_due_on_current: _past_due,
    rules.check_identification_number: _identification_number,
    rules.check_account_number_ssn: _account_number_ssn,
}

if set(SEGMENT_GATES) != set(rules.SEGMENT_RULES) or set(RECORD_GATES) != set(
    rules.RECORD_RULES
):  # pragma: no cover - guards against a rule added to the reference without a gate
    raise ImportError("every Metro 2 rule function needs a vectorised gate in metro2_gates")


# --- the gates of a block, and the reference's own violations where they fire ---------


@dataclass(frozen=True)
class Family:
    """One reference rule function applied to one segment (or to the record)."""

    label: str
    """``base``, ``J1[1]`` or ``record`` (record rules)."""
    segment: SegmentAt | None
    rule: rules.SegmentRule | rules.RecordRule


FAMILIES: Final = (
    *(Family("base", BASE_AT, rule) for rule in rules.SEGMENT_RULES),
    *(Family("J1[1]", J1_AT, rule) for rule in rules.SEGMENT_RULES),
    *(Family("record", None, rule) for rule in rules.RECORD_RULES),
)
"""In ``validate_record``'s order: base segment rules, J1 segment rules, record rules."""


def gates(b: Block, has_j1: Bools) -> list[Bools]:
    """For each of :data:`FAMILIES`, which records of the block it flags."""
    out = []
    for family in FAMILIES:
        if family.segment is None:
            out.append(RECORD_GATES[family.rule](b))  # type: ignore[index]
        elif family.segment is BASE_AT:
            out.append(SEGMENT_GATES[family.rule](b, family.segment))  # type: ignore[index]
        else:
            out.append(SEGMENT_GATES[family.rule](b, family.segment) & has_j1)  # type: ignore[index]
    return out


def reference_violations(record: Record, flagged: Sequence[bool]) -> list[Violation]:
    """``validate_record(record)``, calling only the rule functions whose gate flagged it.

    A function whose gate did not flag the record reports nothing for it
    (that is what the gates are tested for), so the result is the same.
    """
    out = list(record.problems)
    j1 = record.appendage("J1")
    for family, hit in zip(FAMILIES, flagged, strict=True):
        if not hit:
            continue
        if family.segment is None:
            out += family.rule(record)  # type: ignore[call-arg,arg-type]
        elif family.segment is BASE_AT:
            out += family.rule(family.label, record.base)  # type: ignore[call-arg,arg-type]
        elif j1 is not None:
            out += family.rule(family.label, j1)  # type: ignore[call-arg,arg-type]
    return out
