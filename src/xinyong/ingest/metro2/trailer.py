"""Trailer reconciliation: recompute the totals a trailer carries.

A trailer whose counts disagree with the records is the cheapest evidence of
a lost or duplicated record in transit, so the ingest pipeline compares them
before accepting a file.

What is counted (CRRG trailer fields; moov-io/metro2's own generator counts
some of these differently, see the notes on each):

* ``total_base_records``: data records;
* ``total_status_code_<code>``: base segments with that account status;
* ``total_consumer_segments_j1`` / ``_j2``: J1 / J2 segments;
* ``block_count``: physical blocks; a record without a BDW is its own block,
  so a file built in memory (never framed) counts ``records + 2``;
* ``total_ecoa_code_z``: base, J1 and J2 segments with ECOA ``Z``;
* K1, K2, K3, K4, L1, N1 segment counts;
* ``total_social_numbers_*``: segments (base, J1, J2) that report an SSN,
  i.e. not zero- or 9-filled; ``total_dates_birth_*``: segments with a date
  of birth; ``total_telephone_numbers_all_segments``: segments with a
  telephone number.
"""

from __future__ import annotations

from dataclasses import replace

from xinyong.ingest.metro2.layout import TRAILER_STATUS_CODES, TRAILER_TOTAL_FIELDS
from xinyong.ingest.metro2.model import Metro2File, Record, Segment

_SEGMENT_TOTALS = {
    "K1": "total_original_creditor_segments",
    "K2": "total_purchased_to_segments",
    "K3": "total_mortgage_information_segments",
    "K4": "total_payment_information_segments",
    "L1": "total_change_segments",
    "N1": "total_employment_segments",
    "J1": "total_consumer_segments_j1",
    "J2": "total_consumer_segments_j2",
}
_NO_SSN = {"000000000", "999999999"}


def _has_ssn(segment: Segment) -> bool:
    raw = segment.raw("social_security_number")
    return raw.isdigit() and raw not in _NO_SSN


class TrailerTally:
    """The trailer totals of the records added so far, as counters.

    A reader that streams a file adds each record as it goes, so the totals
    are known at the trailer without the records being kept.
    """

    def __init__(self) -> None:
        self.totals = {name: 0 for name in TRAILER_TOTAL_FIELDS if name != "reserved_1"}
        self._status_fields = {
            code: f"total_status_code_{code.lower()}" for code in TRAILER_STATUS_CODES
        }

    def add(self, record: Record) -> None:
        """Count one data record (its base segment and appended segments)."""
        totals = self.totals
        totals["total_base_records"] += 1
        status = record.base.text("account_status")
        if status in self._status_fields:
            totals[self._status_fields[status]] += 1
        people = [("base", record.base)]
        for seg in record.segments:
            totals[_SEGMENT_TOTALS[seg.name]] += 1
            if seg.name in ("J1", "J2"):
                people.append((seg.name.lower(), seg))
        for where, seg in people:
            if seg.text("ecoa_code") == "Z":
                totals["total_ecoa_code_z"] += 1
            if _has_ssn(seg):
                totals["total_social_numbers_all_segments"] += 1
                totals[f"total_social_numbers_{where}_segments"] += 1
            if seg.date("date_birth") is not None:
                totals["total_dates_birth_all_segments"] += 1
                totals[f"total_dates_birth_{where}_segments"] += 1
            if (seg.number("telephone_number") or 0) > 0:
                totals["total_telephone_numbers_all_segments"] += 1

    def result(self, block_count: int | None) -> dict[str, int]:
        """Every total; ``block_count`` as framed, or ``None`` for records + 2 (never framed)."""
        records = self.totals["total_base_records"]
        return {**self.totals, "block_count": records + 2 if block_count is None else block_count}


def trailer_totals(file: Metro2File) -> dict[str, int]:
    """The value every trailer total should have, recomputed from the records."""
    tally = TrailerTally()
    for record in file.records:
        tally.add(record)
    return tally.result(file.block_count)


def mismatches(trailer: Segment, totals: dict[str, int]) -> list[str]:
    """One message per total in ``totals`` that ``trailer`` disagrees with."""
    out = []
    for name, expected in totals.items():
        actual = trailer.number(name)
        if actual != expected:
            shown = actual if actual is not None else repr(trailer.raw(name))
            out.append(f"{name}: the trailer says {shown}, the records give {expected}")
    return out


def trailer_mismatches(file: Metro2File) -> list[str]:
    """One message per trailer total that disagrees with the records."""
    return mismatches(file.trailer, trailer_totals(file))


def with_trailer_totals(file: Metro2File) -> Metro2File:
    """A copy of ``file`` whose trailer carries the recomputed totals."""
    trailer = file.trailer.replace(**dict(trailer_totals(file).items()))
    return replace(file, trailer=trailer)
