"""An account (tradeline) as furnished for one reporting date, and its monthly history.

One ``Account`` is one furnished record: the state of an account as of
``date_reported`` (Metro 2's Date of Account Information). The field names are
the serving-store column names (``docs/data-model.md``). Invariants that no
lawful record can break are checked here; format rules of a particular
furnisher format belong to ``ingest``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final

from xinyong.domain._checks import (
    Checks,
    enum_field,
    non_blank,
    non_negative,
    not_after,
    not_before,
    optional_non_blank,
    plain_date,
    require,
)
from xinyong.domain.account_codes import (
    AccountStatus,
    ComplianceCondition,
    EcoaCode,
    PaymentHistoryCode,
    PaymentRating,
    PortfolioType,
)
from xinyong.domain.errors import DomainError
from xinyong.domain.money import Money, minor_unit_exponent
from xinyong.domain.provenance import Provenance

__all__ = [
    "AMOUNT_FIELDS",
    "PROFILE_MONTHS",
    "Account",
    "MonthlyStatus",
    "check_payment_history_profile",
    "expand_payment_history",
]

PROFILE_MONTHS: Final = 24
"""Months in a Metro 2 payment history profile."""

AMOUNT_FIELDS: Final = (
    "credit_limit_minor",
    "highest_credit_minor",
    "current_balance_minor",
    "amount_past_due_minor",
    "scheduled_payment_minor",
    "actual_payment_minor",
    "charge_off_amount_minor",
)
"""The money fields of an account, all in minor units of ``Account.currency``."""

_ACCOUNT_TYPE: Final = re.compile(r"[0-9A-Z]{2}")
_SPECIAL_COMMENT: Final = re.compile(r"[A-Z]{1,2}")
_MAX_VISIBLE: Final = 4
_HISTORY_CODES: Final = frozenset(code.value for code in PaymentHistoryCode)


def check_payment_history_profile(profile: str, field: str = "payment_history_profile") -> None:
    """Check a payment history profile: 1-24 known codes, newest month first.

    Metro 2 sends exactly 24 characters, B-filled at the end for a young account;
    the canonical formats may send fewer. ``B`` (no history yet) may only fill
    the oldest end: a month with history cannot be older than one without.
    """
    require(isinstance(profile, str), field, "profile_format", "must be a string of codes")
    require(
        1 <= len(profile) <= PROFILE_MONTHS,
        field,
        "profile_length",
        f"must hold 1 to {PROFILE_MONTHS} monthly codes, got {len(profile)}",
    )
    bad = sorted(set(profile) - _HISTORY_CODES)
    require(not bad, field, "profile_code", f"unknown monthly codes {''.join(bad)!r}")
    first_b = profile.find(PaymentHistoryCode.NO_HISTORY)
    require(
        first_b < 0 or set(profile[first_b:]) == {PaymentHistoryCode.NO_HISTORY.value},
        field,
        "profile_b_embedded",
        "B (no history) may only fill the oldest months, not sit between others",
    )


def _month_start(day: date, months_back: int) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, slots=True)
class MonthlyStatus:
    """One month of an account's payment history; ``month`` is the month's first day."""

    account_id: str
    month: date
    status: PaymentHistoryCode

    def __post_init__(self) -> None:
        non_blank(self.account_id, "account_id")
        plain_date(self.month, "month")
        require(self.month.day == 1, "month", "month_start", "must be the first day of a month")
        enum_field(self, "status", PaymentHistoryCode)


def expand_payment_history(
    account_id: str, profile: str, date_reported: date, *, drop_no_history: bool = False
) -> list[MonthlyStatus]:
    """Turn a payment history profile into one row per month, newest first.

    Metro 2 rule (CRRG field 18): the profile's first character is the month
    *before* the Date of Account Information; the reported month itself is told
    by the account status and payment rating. So character ``i`` (0-based) is
    the month ``i + 1`` months before ``date_reported``'s month.
    ``drop_no_history`` leaves out the ``B`` months before the account existed.
    """
    check_payment_history_profile(profile)
    rows = [
        MonthlyStatus(account_id, _month_start(date_reported, i + 1), PaymentHistoryCode(code))
        for i, code in enumerate(profile)
    ]
    if drop_no_history:
        rows = [r for r in rows if r.status is not PaymentHistoryCode.NO_HISTORY]
    return rows


def _masked(value: str | None, field: str) -> None:
    if value is None:
        return
    non_blank(value, field)
    visible = sum(c.isalnum() for c in value)
    require(
        visible <= _MAX_VISIBLE,
        field,
        "mask_reveals_too_much",
        f"a masked number may show at most {_MAX_VISIBLE} characters, shows {visible}",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    """One account's state as of ``date_reported``, as one furnisher reported it.

    The account number is held only as a keyed hash (for matching) and a masked
    form (for display). ``subject_id`` stays ``None`` until resolution links the
    record to a subject. Amounts are minor units of ``currency``; ``None`` means
    the furnisher did not report the amount (e.g. a credit limit on a loan).
    """

    account_id: str
    furnisher_id: str
    batch_id: str
    record_no: int
    subject_id: str | None = None
    account_number_hash: str
    account_number_masked: str | None = None
    portfolio_type: PortfolioType
    account_type: str
    ecoa_code: EcoaCode
    date_opened: date
    date_closed: date | None = None
    date_reported: date
    currency: str
    credit_limit_minor: int | None = None
    highest_credit_minor: int | None = None
    current_balance_minor: int | None = None
    amount_past_due_minor: int | None = None
    scheduled_payment_minor: int | None = None
    actual_payment_minor: int | None = None
    charge_off_amount_minor: int | None = None
    account_status: AccountStatus
    payment_rating: PaymentRating | None = None
    payment_history_profile: str | None = None
    first_delinquency_date: date | None = None
    last_payment_date: date | None = None
    special_comment: str | None = None
    compliance_condition: ComplianceCondition | None = None

    def __post_init__(self) -> None:
        check = Checks()
        for name in ("account_id", "furnisher_id", "batch_id", "account_number_hash"):
            check(non_blank, getattr(self, name), name)
        check(non_negative, self.record_no, "record_no")
        check(optional_non_blank, self.subject_id, "subject_id")
        check(_masked, self.account_number_masked, "account_number_masked")
        check(enum_field, self, "portfolio_type", PortfolioType)
        check(enum_field, self, "ecoa_code", EcoaCode)
        check(enum_field, self, "account_status", AccountStatus)
        check(enum_field, self, "payment_rating", PaymentRating, optional=True)
        check(enum_field, self, "compliance_condition", ComplianceCondition, optional=True)
        check(
            require,
            isinstance(self.account_type, str) and bool(_ACCOUNT_TYPE.fullmatch(self.account_type)),
            "account_type",
            "account_type_format",
            f"must be a two-character Metro 2 account type, got {self.account_type!r}",
        )
        if self.special_comment is not None:
            check(
                require,
                isinstance(self.special_comment, str)
                and bool(_SPECIAL_COMMENT.fullmatch(self.special_comment)),
                "special_comment",
                "special_comment_format",
                f"must be a one- or two-letter Metro 2 code, got {self.special_comment!r}",
            )
        check(minor_unit_exponent, self.currency)
        for name in AMOUNT_FIELDS:
            check(non_negative, getattr(self, name), name)
        for name in (
            "date_opened",
            "date_closed",
            "date_reported",
            "first_delinquency_date",
            "last_payment_date",
        ):
            check(plain_date, getattr(self, name), name)
        if self.payment_history_profile is not None:
            check(check_payment_history_profile, self.payment_history_profile)
        check.raise_if_any()
        self._check_relations()

    def _check_relations(self) -> None:
        """Rules across fields; they run once every field is known to be well-formed."""
        check = Checks()
        check(not_before, self.date_closed, "date_closed", self.date_opened, "date_opened")
        # A debt buyer's DOFD and last payment predate its own date_opened, so
        # only the upper bound holds for them.
        for name in ("date_opened", "date_closed", "first_delinquency_date", "last_payment_date"):
            check(not_after, getattr(self, name), name, self.date_reported, "date_reported")
        status = self.account_status
        if status.needs_payment_rating:
            check(
                require,
                self.payment_rating is not None,
                "payment_rating",
                "required",
                f"status {status} needs a payment rating",
            )
        else:
            check(
                require,
                self.payment_rating is None,
                "payment_rating",
                "not_applicable",
                f"status {status} takes no payment rating (Metro 2: blank)",
            )
        if status.needs_first_delinquency_date(self.payment_rating):
            check(
                require,
                self.first_delinquency_date is not None,
                "first_delinquency_date",
                "required",
                f"status {status} needs the date of first delinquency (FCRA 623(a)(5))",
            )
        check.raise_if_any()

    @property
    def provenance(self) -> Provenance:
        """Furnisher, batch and position of this record."""
        return Provenance(self.furnisher_id, self.batch_id, self.record_no)

    def amount(self, field: str) -> Money | None:
        """One of :data:`AMOUNT_FIELDS` as ``Money``, or ``None`` if not reported."""
        if field not in AMOUNT_FIELDS:
            raise DomainError(field, "unknown_field", f"not an amount field of Account: {field}")
        value: int | None = getattr(self, field)
        return None if value is None else Money(value, self.currency)

    def monthly_history(self, *, drop_no_history: bool = False) -> list[MonthlyStatus]:
        """The payment history profile as one row per month, newest first (see
        :func:`expand_payment_history`); empty when no profile was furnished."""
        if self.payment_history_profile is None:
            return []
        return expand_payment_history(
            self.account_id,
            self.payment_history_profile,
            self.date_reported,
            drop_no_history=drop_no_history,
        )
