"""The pure domain model of xinyong: value objects, codes and rules, no I/O.

Field names are the serving-store column names (``docs/data-model.md``). This
package imports nothing else from xinyong, so every other layer can depend on
it and it can be tested in isolation. Invariants raise :class:`DomainError`
naming the field and a rule code.
"""

from __future__ import annotations

from xinyong.domain.account_codes import (
    AccountStatus,
    ComplianceCondition,
    EcoaCode,
    PaymentHistoryCode,
    PaymentRating,
    PortfolioType,
)
from xinyong.domain.accounts import (
    AMOUNT_FIELDS,
    PROFILE_MONTHS,
    Account,
    MonthlyStatus,
    check_payment_history_profile,
    expand_payment_history,
)
from xinyong.domain.audit import (
    GENESIS_HASH,
    AuditEvent,
    canonical_json,
    event_hash,
    first_broken_link,
    format_instant,
)
from xinyong.domain.consents import Consent
from xinyong.domain.disputes import (
    ALLOWED_TRANSITIONS,
    ConsumerStatement,
    Dispute,
    DisputeStatus,
    ItemKind,
    count_words,
    transition,
)
from xinyong.domain.errors import DomainError
from xinyong.domain.forbidden import (
    FORBIDDEN_CATEGORIES,
    ForbiddenCategory,
    forbidden_field_names,
    forbidden_match,
)
from xinyong.domain.inquiries import Inquiry, Purpose
from xinyong.domain.money import Money, is_known_currency, minor_unit_exponent
from xinyong.domain.organisations import Organisation, OrganisationKind, OrgRole
from xinyong.domain.provenance import Provenance
from xinyong.domain.public_records import PublicRecord, PublicRecordKind, PublicRecordStatus
from xinyong.domain.scores import MAX_REASONS, Score, ScoreReason
from xinyong.domain.subjects import (
    Address,
    Enterprise,
    Identifier,
    NameScript,
    PersonName,
    Subject,
    SubjectKind,
    SubjectStatus,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "AMOUNT_FIELDS",
    "FORBIDDEN_CATEGORIES",
    "GENESIS_HASH",
    "MAX_REASONS",
    "PROFILE_MONTHS",
    "Account",
    "AccountStatus",
    "Address",
    "AuditEvent",
    "ComplianceCondition",
    "Consent",
    "ConsumerStatement",
    "Dispute",
    "DisputeStatus",
    "DomainError",
    "EcoaCode",
    "Enterprise",
    "ForbiddenCategory",
    "Identifier",
    "Inquiry",
    "ItemKind",
    "Money",
    "MonthlyStatus",
    "NameScript",
    "OrgRole",
    "Organisation",
    "OrganisationKind",
    "PaymentHistoryCode",
    "PaymentRating",
    "PersonName",
    "PortfolioType",
    "Provenance",
    "PublicRecord",
    "PublicRecordKind",
    "PublicRecordStatus",
    "Purpose",
    "Score",
    "ScoreReason",
    "Subject",
    "SubjectKind",
    "SubjectStatus",
    "canonical_json",
    "check_payment_history_profile",
    "count_words",
    "event_hash",
    "expand_payment_history",
    "first_broken_link",
    "forbidden_field_names",
    "forbidden_match",
    "format_instant",
    "is_known_currency",
    "minor_unit_exponent",
    "transition",
]
