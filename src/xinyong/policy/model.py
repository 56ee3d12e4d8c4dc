"""The shape of a jurisdiction profile: rules as data, one frozen value per regime.

A profile says how long each kind of negative item stays in a credit file,
whether an inquiry needs the subject's consent, how long a dispute may take,
how long a consumer statement may be and how many free reports a subject gets.
Later steps (files, the service, the dispute watcher) read these values instead
of hard-coding one country's law, so CN, US and EU deployments run the same code.
Nothing here does I/O; the profiles themselves are in ``cn.py``, ``us.py`` and
``eu.py``, each building one :class:`Profile`.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from xinyong.domain.inquiries import Purpose
from xinyong.domain.public_records import PublicRecordKind
from xinyong.policy.working_days import WorkingCalendar
from xinyong.settings import Jurisdiction

if TYPE_CHECKING:
    from xinyong.policy.dispute_rules import DisputeRule

__all__ = [
    "ACCOUNT_KINDS",
    "PUBLIC_RECORD_KINDS",
    "Clock",
    "FreeReports",
    "InquiryBasis",
    "InquiryKind",
    "NegativeKind",
    "Period",
    "Profile",
    "RetentionRule",
    "add_period",
    "subtract_period",
]


@dataclass(frozen=True, slots=True)
class Period:
    """A calendar length: years and months first, then days.

    Adding years or months to the 29th-31st clamps to the month's last day
    (29 Feb 2020 + 1 year = 28 Feb 2021), which is what DuckDB and Spark do
    when a year-month interval is added to a date, so the SQL and the Python
    ageing agree to the day.
    """

    years: int = 0
    months: int = 0
    days: int = 0

    def __post_init__(self) -> None:
        for name in ("years", "months", "days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")

    @property
    def total_months(self) -> int:
        return self.years * 12 + self.months

    def __str__(self) -> str:
        parts = [
            f"{n} {unit}{'s' if n != 1 else ''}"
            for n, unit in ((self.years, "year"), (self.months, "month"), (self.days, "day"))
            if n
        ]
        return " ".join(parts) or "0 days"


def add_period(start: date, period: Period) -> date:
    """``start`` plus ``period``: months (clamped to the month's end), then days."""
    index = start.year * 12 + start.month - 1 + period.total_months
    year, month = divmod(index, 12)
    month += 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day) + timedelta(days=period.days)


def subtract_period(end: date, period: Period) -> date:
    """``end`` less ``period``: days, then months (clamped to the month's end), the
    mirror of :func:`add_period` (a lookback of 6 months from 31 August starts on 28 or
    29 February)."""
    start = end - timedelta(days=period.days)
    index = start.year * 12 + start.month - 1 - period.total_months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


class NegativeKind(StrEnum):
    """The kinds of negative item that retention rules are written for.

    Account kinds come from an account's latest state (``delinquent_account``,
    ``collection``, ``charge_off``) or from one month of its payment history
    (``late_payment``); the others are the public-record kinds of the domain.
    """

    LATE_PAYMENT = "late_payment"
    DELINQUENT_ACCOUNT = "delinquent_account"
    COLLECTION = "collection"
    CHARGE_OFF = "charge_off"
    COURT_JUDGMENT = PublicRecordKind.COURT_JUDGMENT.value
    BANKRUPTCY = PublicRecordKind.BANKRUPTCY.value
    TAX_ARREARS = PublicRecordKind.TAX_ARREARS.value
    ADMINISTRATIVE_PENALTY = PublicRecordKind.ADMINISTRATIVE_PENALTY.value
    ABNORMAL_OPERATIONS_LISTING = PublicRecordKind.ABNORMAL_OPERATIONS_LISTING.value
    SERIOUS_VIOLATION_LISTING = PublicRecordKind.SERIOUS_VIOLATION_LISTING.value
    DISHONEST_JUDGMENT_DEBTOR = PublicRecordKind.DISHONEST_JUDGMENT_DEBTOR.value


ACCOUNT_KINDS: Final = frozenset(
    {
        NegativeKind.LATE_PAYMENT,
        NegativeKind.DELINQUENT_ACCOUNT,
        NegativeKind.COLLECTION,
        NegativeKind.CHARGE_OFF,
    }
)
PUBLIC_RECORD_KINDS: Final = frozenset(set(NegativeKind) - ACCOUNT_KINDS)


class Clock(StrEnum):
    """Which date of an item starts its retention period.

    ``delinquency``: the date of first delinquency (Metro 2 DOFD), FCRA 605(c).
    ``event``: the date of the event itself (order, entry, decision, listing,
    or the month a payment was late). ``end``: the date the negative behaviour
    or event ended (debt repaid, listing removed or expired, penalty
    performed); an item that has not ended never ages off. ``register``: the
    date the source public register stops publishing the item (its announced
    expiry or its removal), CJEU C-26/22.
    """

    DELINQUENCY = "delinquency"
    EVENT = "event"
    END = "end"
    REGISTER = "register"


@dataclass(frozen=True, slots=True)
class RetentionRule:
    """How long one kind of negative item is shown, and why.

    The item stops being shown on ``clock date + offset_days + period`` (the
    first day it is hidden). ``hide_withdrawn``: an item whose authority
    withdrew or revoked it is hidden from the withdrawal date, unless the law
    wants the withdrawal shown instead (FCRA 605(d) for bankruptcies).
    """

    clock: Clock
    period: Period
    basis: str
    offset_days: int = 0
    hide_withdrawn: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "clock", Clock(self.clock))
        if self.offset_days < 0:
            raise ValueError("offset_days must not be negative")
        if not self.basis.strip():
            raise ValueError("a retention rule must cite its legal basis")

    def describe(self) -> str:
        """The rule in words, for documentation and for a subject's report."""
        start = {
            Clock.DELINQUENCY: "the date of first delinquency",
            Clock.EVENT: "the date of the event",
            Clock.END: "the date the negative event ended (never while it continues)",
            Clock.REGISTER: "the date the source register stops publishing it",
        }[self.clock]
        offset = f" plus {self.offset_days} days" if self.offset_days else ""
        if self.clock is Clock.REGISTER and not self.period.total_months and not self.period.days:
            return f"shown until {start}"
        return f"shown for {self.period} from {start}{offset}"


class InquiryBasis(StrEnum):
    """What makes a lender's access to a file lawful."""

    CONSENT = "consent"  # CN art. 18: the subject's written consent and an agreed purpose
    PERMISSIBLE_PURPOSE = "permissible_purpose"  # FCRA 604
    LAWFUL_BASIS = "lawful_basis"  # GDPR art. 6(1), usually (b) or (f)


class InquiryKind(StrEnum):
    """Whether an inquiry counts against the subject (``hard``) or not (``soft``).

    A hard inquiry is one the subject's own application for credit (or a job, a
    tenancy...) caused; other lenders see it and scores may use it. A soft one
    (the subject's own request, a lender reviewing an existing account, a
    prescreen) is shown to the subject but does not count as seeking credit.
    """

    HARD = "hard"
    SOFT = "soft"


@dataclass(frozen=True, slots=True)
class FreeReports:
    """Free copies of one's own file: ``per_year`` None means every request is free
    (subject to a refusal for manifestly excessive requests)."""

    per_year: int | None
    basis: str


@dataclass(frozen=True, slots=True)
class Profile:
    """One jurisdiction's rules as data; see ``cn.py``, ``us.py``, ``eu.py``.

    ``retention`` has a rule for every :class:`NegativeKind`; an item whose kind
    has no rule would never age off, so a missing rule is refused.
    ``consent_required_for`` lists the inquiry purposes that need the
    subject's consent on record before a file is shown. ``purposes`` are the
    inquiry purposes the jurisdiction knows as lawful at all (an inquirer is
    further limited to the purposes it is registered for), and
    ``soft_purposes`` those of them recorded as soft inquiries; both cite
    ``purposes_basis``. Read them through :meth:`allows` and :meth:`inquiry_kind`.
    ``calendar`` says which days are working days; every deadline counted in
    business days uses it, so the dispute rule is given the same calendar.
    """

    jurisdiction: Jurisdiction
    name: str
    retention: Mapping[NegativeKind, RetentionRule]
    inquiry_basis: InquiryBasis
    consent_required_for: frozenset[Purpose]
    dispute: DisputeRule
    statement_word_limit: int | None
    statement_basis: str
    free_reports: FreeReports
    purposes: frozenset[Purpose]
    soft_purposes: frozenset[Purpose]
    purposes_basis: str
    calendar: WorkingCalendar
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        missing = sorted(set(NegativeKind) - set(self.retention))
        if missing:
            raise ValueError(f"profile {self.name} has no retention rule for {missing}")
        rules = {NegativeKind(k): self.retention[k] for k in sorted(self.retention)}
        object.__setattr__(self, "retention", MappingProxyType(rules))
        for name in ("consent_required_for", "purposes", "soft_purposes"):
            object.__setattr__(self, name, frozenset(Purpose(p) for p in getattr(self, name)))
        if Purpose.SUBJECT_REQUEST not in self.purposes:
            raise ValueError(f"profile {self.name}: a subject may always ask for its own file")
        for name in ("consent_required_for", "soft_purposes"):
            stray = sorted(getattr(self, name) - self.purposes)
            if stray:
                raise ValueError(
                    f"profile {self.name}: {name} has purposes it does not allow: {stray}"
                )
        if not self.purposes_basis.strip():
            raise ValueError(f"profile {self.name}: the purposes must cite their legal basis")
        if self.dispute.calendar != self.calendar:
            # One calendar per profile: a dispute deadline in business days counts the
            # same holidays as every other deadline of the jurisdiction.
            object.__setattr__(self, "dispute", replace(self.dispute, calendar=self.calendar))

    def __hash__(self) -> int:
        # The generated hash would fail on the retention mapping; hash its items.
        return hash((self.jurisdiction, self.name, tuple(self.retention.items()), self.calendar))

    @property
    def consent_required(self) -> bool:
        """Whether a lender's ordinary credit inquiry needs the subject's consent."""
        return Purpose.CREDIT_APPLICATION in self.consent_required_for

    def allows(self, purpose: Purpose | str) -> bool:
        """Whether ``purpose`` is a lawful inquiry purpose here (unknown codes are not)."""
        try:
            return Purpose(purpose) in self.purposes
        except ValueError:
            return False

    def inquiry_kind(self, purpose: Purpose | str) -> InquiryKind:
        """``hard`` or ``soft`` as ``purpose`` makes it here.

        A purpose the profile does not list as soft is hard, including one it
        does not allow, so that a refused attempt is never recorded as harmless.
        """
        try:
            known = Purpose(purpose)
        except ValueError:
            return InquiryKind.HARD
        return InquiryKind.SOFT if known in self.soft_purposes else InquiryKind.HARD

    def rule(self, kind: NegativeKind | str) -> RetentionRule:
        """The retention rule for ``kind``."""
        return self.retention[NegativeKind(kind)]

    def with_calendar(self, calendar: WorkingCalendar) -> Profile:
        """A copy counting working days in ``calendar`` (e.g. an EU member state's holidays)."""
        return replace(self, calendar=calendar)

    def with_retention(self, overrides: Mapping[NegativeKind | str, RetentionRule]) -> Profile:
        """A copy with some retention rules replaced (e.g. an EU member state's periods)."""
        rules = dict(self.retention)
        for kind, rule in overrides.items():
            rules[NegativeKind(kind)] = rule
        return replace(self, retention=rules)
