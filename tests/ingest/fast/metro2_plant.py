"""Records with faults planted field by field, for the fast Metro 2 path's tests.

Each planted value is chosen for its field's kind: digits, zeros, blanks,
``?`` fills (which the reference rules skip), minus signs and overpunched
negatives for numbers; real, impossible, pre-1900 and leap-day dates; codes
of the list, obsolete codes and junk; and any printable text. Kept as a
plain module (the test folders have no ``__init__.py``).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parents[1] / "metro2"))
from metro2_testkit import clean_base, clean_j1, clean_record, valid_records

from xinyong.ingest.metro2 import Record, Segment
from xinyong.ingest.metro2.layout import BASE, J1, Field

_PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)

_NUMBERS = [
    "0", "1", "-1", " -12 ", "12345678}", "1234567J", "-", "+5", "1 2", "999999999", "000000000",
    "00000001", "12", "?",
]  # fmt: skip
_DATES = [
    "00000000", "02292024", "02292023", "02291900", "02292000", "13012024", "00102024",
    "01011899", "01011900", "12319999", "01010000", "0101000", "1231202", "06152024",
    "06152024000000", "06152024235959", "06152024240000", "06152024236000", "06152024235960",
]  # fmt: skip
_CODES = ["", " ", "X", "ZZ", "0", "4", "6", "W", "Y", "1A", "A", "Z", "05", "11", "13"]


def _fill(text: str, width: int, left: bool) -> str:
    text = text[:width]
    return text.ljust(width) if left else text.rjust(width, " ")


@st.composite
def planted_value(draw: st.DrawFn, field: Field) -> str:
    """Raw text for ``field``: a fault of its kind, a value near one, or any text."""
    width = field.length
    if draw(st.integers(0, 4)) == 0:
        text = draw(st.text(_PRINTABLE, max_size=width))
        return _fill(text, width, draw(st.booleans()))
    if field.kind == "numeric":
        choice = draw(st.sampled_from(_NUMBERS))
        if choice == "?":
            return "?" * width
        if choice.strip().isdigit() and draw(st.booleans()):
            return choice.strip().zfill(width)[-width:]
        return _fill(choice, width, draw(st.booleans()))
    if field.kind in ("date", "timestamp"):
        choice = draw(st.sampled_from([*_DATES, "?" * width, " " * width]))
        return choice.ljust(width, "0")[:width] if choice.strip() else " " * width
    return _fill(draw(st.sampled_from(_CODES)), width, draw(st.booleans()))


def _with(segment: Segment, name: str, raw: str) -> Segment:
    return Segment(segment.name, {**segment.values, name: raw})


@st.composite
def planted_record(draw: st.DrawFn, *, others: bool = True) -> Record:
    """A record (base, maybe a J1) with up to four planted fields; rarely other segments."""
    record = draw(st.one_of(valid_records(), st.just(clean_record(clean_base(), []))))
    base = record.base
    j1s = [draw(st.sampled_from([clean_j1(), clean_j1(social_security_number=223454321)]))]
    if not draw(st.booleans()):
        j1s = []
    for _ in range(draw(st.integers(0, 4))):
        on_j1 = bool(j1s) and draw(st.integers(0, 3)) == 0
        layout = J1 if on_j1 else BASE
        fields = [f for f in layout.data_fields if f.name != "segment_identifier"]
        field = draw(st.sampled_from(fields))
        raw = draw(planted_value(field))
        if on_j1:
            j1s = [_with(j1s[0], field.name, raw)]
        else:
            base = _with(base, field.name, raw)
    if draw(st.integers(0, 9)) == 0:  # the SSN inside the account number
        ssn = base.raw("social_security_number")
        glue = draw(st.sampled_from(["", "-", "A"]))
        number = f"AC{ssn[:4]}{glue}{ssn[4:]}7".ljust(30)[:30]
        base = _with(base, "consumer_account_number", number)
    if draw(st.integers(0, 19)) == 0:
        base = _with(base, "consumer_account_number", "AB|CD".ljust(30))
    extra = [s for s in record.segments if s.name != "J1"] if others else []
    extra = extra if draw(st.integers(0, 6)) == 0 else []
    return dataclasses.replace(record, base=base, segments=[*j1s, *extra])
