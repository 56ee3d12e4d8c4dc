"""Inquiries: who looked at a credit file, for what purpose, under which consent.

Every access is an inquiry, including the subject's own, so that the subject can
see who asked and why, and so that purpose and consent can be audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from xinyong.domain._checks import enum_field, non_blank, optional_non_blank, require, utc_instant

__all__ = ["Inquiry", "Purpose"]


class Purpose(StrEnum):
    """Why a report or score is asked for: FCRA 604 purpose, CN art. 18 agreed purpose.

    Which purposes need consent, and which are lawful at all, is jurisdiction
    policy (``xinyong.policy``); the domain only names them.
    """

    CREDIT_APPLICATION = "credit_application"
    ACCOUNT_REVIEW = "account_review"
    COLLECTION = "collection"
    EMPLOYMENT = "employment"
    INSURANCE = "insurance"
    TENANCY = "tenancy"
    GOVERNMENT_LICENCE = "government_licence"
    COURT_ORDER = "court_order"
    SUBJECT_REQUEST = "subject_request"
    PRESCREEN = "prescreen"

    @property
    def initiated_by_subject(self) -> bool:
        """Whether the subject started the transaction that led to the inquiry.

        True when the subject applied for credit, a job, insurance, a tenancy or a
        licence, or asked for their own file; false for reviews, collection,
        court orders and prescreening, which happen without the subject asking.
        """
        return self in _SUBJECT_INITIATED


_SUBJECT_INITIATED: Final = frozenset(
    {
        Purpose.CREDIT_APPLICATION,
        Purpose.EMPLOYMENT,
        Purpose.INSURANCE,
        Purpose.TENANCY,
        Purpose.GOVERNMENT_LICENCE,
        Purpose.SUBJECT_REQUEST,
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Inquiry:
    """One access to a subject's file.

    ``inquirer_org_id`` may be empty only for the subject's own request;
    ``consent_id`` names the consent relied on, where the jurisdiction needs one.
    """

    inquiry_id: str
    subject_id: str
    inquirer_org_id: str | None
    purpose: Purpose
    at: datetime
    user_id: str | None = None
    consent_id: str | None = None

    def __post_init__(self) -> None:
        non_blank(self.inquiry_id, "inquiry_id")
        non_blank(self.subject_id, "subject_id")
        enum_field(self, "purpose", Purpose)
        optional_non_blank(self.inquirer_org_id, "inquirer_org_id")
        optional_non_blank(self.user_id, "user_id")
        optional_non_blank(self.consent_id, "consent_id")
        utc_instant(self.at, "at")
        require(
            self.inquirer_org_id is not None or self.purpose is Purpose.SUBJECT_REQUEST,
            "inquirer_org_id",
            "required",
            f"an inquiry for {self.purpose} must name the inquiring organisation",
        )
