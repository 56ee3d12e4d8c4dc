"""Public records: judgments, bankruptcies, tax arrears, penalties and official listings.

They come from courts, tax authorities and market regulators rather than
lenders, each kind applies only to some subject kinds (an enterprise can be put
on the abnormal-operations list, a person cannot), and they leave the public
view when their publicity period ends (``expires_on``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final

from xinyong.domain._checks import (
    Checks,
    enum_field,
    non_blank,
    non_negative,
    not_before,
    optional_non_blank,
    plain_date,
    require,
)
from xinyong.domain.money import Money, minor_unit_exponent
from xinyong.domain.provenance import Provenance
from xinyong.domain.subjects import SubjectKind

__all__ = ["PublicRecord", "PublicRecordKind", "PublicRecordStatus"]

_BOTH: Final = frozenset({SubjectKind.PERSON, SubjectKind.ENTERPRISE})
_ENTERPRISE: Final = frozenset({SubjectKind.ENTERPRISE})


class PublicRecordKind(StrEnum):
    """The kind of official act recorded."""

    COURT_JUDGMENT = "court_judgment"
    BANKRUPTCY = "bankruptcy"
    TAX_ARREARS = "tax_arrears"
    ADMINISTRATIVE_PENALTY = "administrative_penalty"
    ABNORMAL_OPERATIONS_LISTING = "abnormal_operations_listing"
    SERIOUS_VIOLATION_LISTING = "serious_violation_listing"
    DISHONEST_JUDGMENT_DEBTOR = "dishonest_judgment_debtor"

    @property
    def subject_kinds(self) -> frozenset[SubjectKind]:
        """Subject kinds this record may be about.

        The abnormal-operations and serious-violation lists are enterprise
        registers (CN Enterprise Information Publicity Regulation art. 17); a
        dishonest judgment debtor may be a person or an enterprise.
        """
        return _APPLIES_TO[self]

    def applies_to(self, kind: SubjectKind) -> bool:
        """Whether a record of this kind may be filed against a subject of ``kind``."""
        return kind in _APPLIES_TO[self]


_APPLIES_TO: Final[dict[PublicRecordKind, frozenset[SubjectKind]]] = {
    PublicRecordKind.COURT_JUDGMENT: _BOTH,
    PublicRecordKind.BANKRUPTCY: _BOTH,
    PublicRecordKind.TAX_ARREARS: _BOTH,
    PublicRecordKind.ADMINISTRATIVE_PENALTY: _BOTH,
    PublicRecordKind.ABNORMAL_OPERATIONS_LISTING: _ENTERPRISE,
    PublicRecordKind.SERIOUS_VIOLATION_LISTING: _ENTERPRISE,
    PublicRecordKind.DISHONEST_JUDGMENT_DEBTOR: _BOTH,
}


class PublicRecordStatus(StrEnum):
    """Whether the record still stands: satisfied and removed records are history."""

    ACTIVE = "active"
    SATISFIED = "satisfied"
    REMOVED = "removed"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True, kw_only=True)
class PublicRecord:
    """One public record as furnished by the authority (or its publisher).

    ``amount_minor`` and ``currency`` come together or not at all (a listing has
    no amount). ``removed_date`` is when the listing was removed or the debt
    satisfied, so an active record has none.
    """

    record_id: str
    furnisher_id: str
    batch_id: str
    record_no: int
    subject_id: str | None = None
    kind: PublicRecordKind
    authority: str
    document_number: str | None = None
    event_date: date
    filed_date: date | None = None
    amount_minor: int | None = None
    currency: str | None = None
    status: PublicRecordStatus = PublicRecordStatus.ACTIVE
    removed_date: date | None = None
    expires_on: date | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        check = Checks()
        for name in ("record_id", "furnisher_id", "batch_id", "authority"):
            check(non_blank, getattr(self, name), name)
        check(non_negative, self.record_no, "record_no")
        for name in ("subject_id", "document_number", "description"):
            check(optional_non_blank, getattr(self, name), name)
        check(enum_field, self, "kind", PublicRecordKind)
        check(enum_field, self, "status", PublicRecordStatus)
        for name in ("event_date", "filed_date", "removed_date", "expires_on"):
            check(plain_date, getattr(self, name), name)
        check(non_negative, self.amount_minor, "amount_minor")
        if self.currency is not None:
            check(minor_unit_exponent, self.currency)
        check.raise_if_any()

        check = Checks()
        check(
            require,
            (self.amount_minor is None) == (self.currency is None),
            "currency" if self.currency is None else "amount_minor",
            "amount_currency_pair",
            "an amount needs its currency and a currency needs an amount",
        )
        check(not_before, self.removed_date, "removed_date", self.event_date, "event_date")
        check(not_before, self.expires_on, "expires_on", self.event_date, "event_date")
        if self.status is PublicRecordStatus.ACTIVE:
            check(
                require,
                self.removed_date is None,
                "removed_date",
                "not_applicable",
                "an active record has no removed_date",
            )
        check.raise_if_any()

    @property
    def provenance(self) -> Provenance:
        """Furnisher, batch and position of this record."""
        return Provenance(self.furnisher_id, self.batch_id, self.record_no)

    @property
    def amount(self) -> Money | None:
        """The judgment, penalty or arrears amount, if the record has one."""
        if self.amount_minor is None or self.currency is None:
            return None
        return Money(self.amount_minor, self.currency)

    def check_subject_kind(self, kind: SubjectKind) -> None:
        """Raise ``DomainError`` (rule ``subject_kind``) if this kind cannot apply to ``kind``.

        Resolution calls this once it knows who the record is about.
        """
        require(
            self.kind.applies_to(SubjectKind(kind)),
            "kind",
            "subject_kind",
            f"a {self.kind} record cannot be about a {kind}",
        )

    def is_in_force_on(self, day: date) -> bool:
        """Whether the record still stands (active) and its publicity period has not ended."""
        if self.status is not PublicRecordStatus.ACTIVE:
            return False
        return self.expires_on is None or day < self.expires_on
