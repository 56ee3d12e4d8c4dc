"""Jurisdiction profiles (CN, US, EU) as data, and the ageing of negative items.

``get_profile(settings.jurisdiction)`` gives the rules a deployment runs under:
retention per kind of negative item, the lawful basis of an inquiry, the
dispute rules (deadline, extension, the fate of an unverifiable item,
reinsertion), the statement word limit, free reports, and the working-day
calendar that deadlines in business days count in (public holidays, and CN's
make-up working weekends). ``ages_off`` is the pure function that says when an
item stops being shown; the files step renders the same rules into SQL with
``ages_off_sql``.
"""

from __future__ import annotations

from xinyong.policy.ageing import EXPIRY_ENDS_EVENT, NegativeItem, ages_off, is_shown
from xinyong.policy.dispute_rules import (
    DisputeRule,
    ExtensionTrigger,
    NoticeRule,
    RecipientRule,
    ReinsertionRule,
    UnverifiableOutcome,
)
from xinyong.policy.model import (
    ACCOUNT_KINDS,
    PUBLIC_RECORD_KINDS,
    Clock,
    FreeReports,
    InquiryBasis,
    InquiryKind,
    NegativeKind,
    Period,
    Profile,
    RetentionRule,
    add_period,
)
from xinyong.policy.profiles import PROFILES, get_profile
from xinyong.policy.sql import ages_off_sql
from xinyong.policy.working_days import WEEKDAYS_ONLY, WorkingCalendar

__all__ = [
    "ACCOUNT_KINDS",
    "EXPIRY_ENDS_EVENT",
    "PROFILES",
    "PUBLIC_RECORD_KINDS",
    "WEEKDAYS_ONLY",
    "Clock",
    "DisputeRule",
    "ExtensionTrigger",
    "FreeReports",
    "InquiryBasis",
    "InquiryKind",
    "NegativeItem",
    "NegativeKind",
    "NoticeRule",
    "Period",
    "Profile",
    "RecipientRule",
    "ReinsertionRule",
    "RetentionRule",
    "UnverifiableOutcome",
    "WorkingCalendar",
    "add_period",
    "ages_off",
    "ages_off_sql",
    "get_profile",
    "is_shown",
]
