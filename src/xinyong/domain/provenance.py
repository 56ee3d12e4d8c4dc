"""Where a furnished record came from: which furnisher, which batch, which record.

Every account and public record keeps these three values for its whole life, so
that a dispute can be forwarded to the right furnisher, a bad batch can be
withdrawn as a whole, and a reject report can point at the exact input record.
"""

from __future__ import annotations

from dataclasses import dataclass

from xinyong.domain._checks import non_blank, non_negative

__all__ = ["Provenance"]


@dataclass(frozen=True, slots=True)
class Provenance:
    """The origin of one furnished record.

    ``record_no`` is the record's position in its batch as ingest counts it; the
    domain only insists that it is a non-negative integer.
    """

    furnisher_id: str
    batch_id: str
    record_no: int

    def __post_init__(self) -> None:
        non_blank(self.furnisher_id, "furnisher_id")
        non_blank(self.batch_id, "batch_id")
        non_negative(self.record_no, "record_no")
