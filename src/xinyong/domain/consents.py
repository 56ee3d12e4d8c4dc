"""A subject's consent to one inquirer, for one purpose, for a limited time.

Chinese law needs written consent and an agreed purpose before personal credit
information is queried (Credit Reporting Industry Regulation art. 18), and
consent can be withdrawn; so a consent is a record with a window, and the
question "may X look now, for this?" is a pure function of it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from xinyong.domain._checks import aware_instant, enum_field, non_blank, require, utc_instant
from xinyong.domain.inquiries import Purpose

__all__ = ["Consent"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Consent:
    """Consent by ``subject_id`` for ``inquirer_org_id`` to inquire for ``purpose``.

    Valid from ``granted_at`` (inclusive) until the earlier of ``expires_at`` and
    ``revoked_at`` (both exclusive). ``evidence`` points at the signed form or
    the electronic record, because a consent nobody can show is no consent.
    """

    consent_id: str
    subject_id: str
    inquirer_org_id: str
    purpose: Purpose
    granted_at: datetime
    evidence: str
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("consent_id", "subject_id", "inquirer_org_id", "evidence"):
            non_blank(getattr(self, name), name)
        enum_field(self, "purpose", Purpose)
        for name in ("granted_at", "expires_at", "revoked_at"):
            utc_instant(getattr(self, name), name)
        if self.expires_at is not None:
            require(
                self.expires_at > self.granted_at,
                "expires_at",
                "date_order",
                "a consent must expire after it was granted",
            )
        if self.revoked_at is not None:
            require(
                self.revoked_at >= self.granted_at,
                "revoked_at",
                "date_order",
                "a consent cannot be revoked before it was granted",
            )

    def is_valid_at(self, instant: datetime) -> bool:
        """Whether the consent is in force at ``instant``: granted, not expired, not revoked."""
        aware_instant(instant, "instant")
        if instant < self.granted_at:
            return False
        if self.expires_at is not None and instant >= self.expires_at:
            return False
        return self.revoked_at is None or instant < self.revoked_at

    def covers(self, purpose: Purpose, inquirer_org_id: str) -> bool:
        """Whether the consent is for this purpose and this inquirer (not whether it is valid)."""
        return self.purpose == purpose and self.inquirer_org_id == inquirer_org_id

    def permits(self, purpose: Purpose, inquirer_org_id: str, instant: datetime) -> bool:
        """Both at once: this inquirer may inquire for this purpose at ``instant``."""
        return self.covers(purpose, inquirer_org_id) and self.is_valid_at(instant)

    def revoke(self, at: datetime) -> Consent:
        """The same consent, revoked at ``at``; an earlier revocation stands."""
        if self.revoked_at is not None and self.revoked_at <= at:
            return self
        return replace(self, revoked_at=at)
