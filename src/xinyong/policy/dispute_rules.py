"""How a jurisdiction handles a dispute: deadline, extension, unverifiable items, reinsertion.

The three regimes differ in exactly these points, so the workflow
(:mod:`xinyong.disputes`) asks the profile's :class:`DisputeRule` instead of
branching on the country:

* **deadline and extension** -- FCRA 611(a)(1): 30 days, 15 more if the
  consumer sends relevant information during the 30 (but not once the item is
  found inaccurate or unverifiable, (a)(1)(C)); GDPR art. 12(3): one month, two
  more for complex requests, the subject told within the first month;
  征信业管理条例 art. 25: 20 days, no extension.
* **an item nobody could confirm** -- FCRA 611(a)(5)(A) and GDPR art. 16/18:
  deleted (suppressed); art. 25: kept, with the verification and the subject's
  objection recorded beside it.
* **reinsertion of a deleted item** -- FCRA 611(a)(5)(B): only on the
  furnisher's certification, the consumer told in writing within 5 business
  days; GDPR art. 18(3): the subject told *before* a restriction is lifted.
* **notices on the dispute's own steps** -- FCRA 611(a)(2)(A): the furnisher
  told of the dispute within 5 business days of receipt; (a)(6)(A): the
  results given to the consumer in writing within 5 business days after
  completion. Art. 25's written reply and GDPR art. 12(3)'s information on
  action taken are due within the answer's own deadline, which the dispute
  already carries, so those profiles set neither.
* **terminating a frivolous or irrelevant dispute** -- FCRA 611(a)(3): the
  bureau may end a reinvestigation it reasonably finds frivolous or irrelevant
  (the consumer gave too little information, or repeats a dispute with nothing
  new), telling the consumer why and what would be needed within 5 business
  days of the determination; GDPR art. 12(5): a manifestly unfounded or
  excessive (repetitive) request may be refused, art. 12(4): the subject told
  the reasons and of the right to complain to a supervisory authority within
  one month of receipt; 征信业管理条例 art. 25: every objection is verified and
  answered, so no termination.
* **the procedure used** -- FCRA 611(a)(7): on the consumer's request, a
  description of the reinvestigation, with the business name, address and
  telephone number of any furnisher contacted if reasonably available, within 15
  days of the request. Neither GDPR nor art. 25 sets such a right of its own.
* **past recipients told** -- FCRA 611(d): after a deletion, or a notation that
  the item is disputed, the bureau tells those the consumer designates who
  received a report with the item in the 2 years (employment) or 6 months (any
  other purpose) before; GDPR art. 19: a rectification or erasure is
  communicated to every recipient of the data, with no such period, and the
  subject is told who they are on request. Art. 25 sets no such duty.

Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from xinyong.policy.model import Period, add_period, subtract_period
from xinyong.policy.working_days import WEEKDAYS_ONLY, WorkingCalendar

__all__ = [
    "DisputeRule",
    "ExtensionTrigger",
    "NoticeRule",
    "RecipientRule",
    "ReinsertionRule",
    "TerminationReason",
    "TerminationRule",
    "UnverifiableOutcome",
]


class ExtensionTrigger(StrEnum):
    """What allows the deadline of a dispute to be extended, once."""

    #: FCRA 611(a)(1)(B): the consumer sends relevant information during the period.
    SUBJECT_INFORMATION = "subject_information"
    #: GDPR art. 12(3): the controller finds the request complex; the subject is told.
    COMPLEX_REQUEST = "complex_request"


class UnverifiableOutcome(StrEnum):
    """What becomes of an item that nobody confirmed by the deadline (or that the
    furnisher says it cannot verify)."""

    #: Deleted from reports and scores (FCRA 611(a)(5)(A); GDPR arts. 16, 18).
    SUPPRESS = "suppress"
    #: Kept, with the verification and the subject's objection recorded (CN art. 25).
    KEEP_WITH_OBJECTION = "keep_with_objection"


@dataclass(frozen=True, slots=True)
class ReinsertionRule:
    """When an item deleted after a dispute may come back, and how the subject is told.

    Reinsertion always needs the furnisher's certification that the item is
    complete and accurate. ``notice`` is the time to send the subject the
    written notice, counted in working days of the jurisdiction's calendar (public
    holidays are not working days) when ``business_days``.
    ``notice_first``: the item stays suppressed until the notice is sent.
    """

    notice: Period
    basis: str
    business_days: bool = False
    notice_first: bool = False

    def __post_init__(self) -> None:
        if self.business_days and (self.notice.years or self.notice.months):
            raise ValueError("a notice period in business days is a number of days")
        if not self.basis.strip():
            raise ValueError("a reinsertion rule must cite its legal basis")

    def notice_due(self, reinserted: date, calendar: WorkingCalendar) -> date:
        """The last day to send the notice of a reinsertion certified on ``reinserted``,
        business days counted in ``calendar`` (the profile's: :attr:`DisputeRule.calendar`)."""
        if self.business_days:
            return calendar.add_working_days(reinserted, self.notice.days)
        return add_period(reinserted, self.notice)


@dataclass(frozen=True, slots=True)
class NoticeRule:
    """A written notice owed within ``within`` of a step of the dispute (its receipt, its
    completion), counted in working days of the jurisdiction's calendar (public holidays
    are not working days) when ``business_days``."""

    within: Period
    basis: str
    business_days: bool = False

    def __post_init__(self) -> None:
        if self.business_days and (self.within.years or self.within.months):
            raise ValueError("a notice period in business days is a number of days")
        if not self.basis.strip():
            raise ValueError("a notice rule must cite its legal basis")

    def due(self, event: date, calendar: WorkingCalendar) -> date:
        """The last day to send the notice of a step taken on ``event``."""
        if self.business_days:
            return calendar.add_working_days(event, self.within.days)
        return add_period(event, self.within)


class TerminationReason(StrEnum):
    """Why a dispute is terminated without an answer (the operator decides; a repeated
    dispute is not detected automatically)."""

    #: FCRA 611(a)(3)(A): the consumer did not give sufficient information to investigate.
    INSUFFICIENT_INFORMATION = "insufficient_information"
    #: Frivolous under FCRA 611(a)(3)(A): a dispute substantially the same as one already
    #: answered, with no new information (the example 623(a)(8)(F) gives for direct
    #: disputes); GDPR art. 12(5): excessive, in particular by its repetitive character.
    SUBSTANTIALLY_REPEATED = "substantially_repeated"
    #: FCRA 611(a)(3)(A): irrelevant to the accuracy or completeness of the item; GDPR
    #: art. 12(5): manifestly unfounded.
    IRRELEVANT = "irrelevant"


@dataclass(frozen=True, slots=True)
class TerminationRule:
    """Whether, and on which grounds, a dispute may be terminated without an answer, and the
    notice the subject is owed then: with the reasons, what information would be needed,
    and (``complaint``) the remedies the subject must be told of.

    ``notice`` counts from the determination, or with ``from_receipt`` from the
    dispute's receipt (GDPR art. 12(4): "within one month of receipt of the request").
    """

    reasons: frozenset[TerminationReason]
    notice: NoticeRule
    basis: str
    from_receipt: bool = False
    complaint: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "reasons", frozenset(TerminationReason(r) for r in self.reasons))
        if not self.reasons:
            raise ValueError("a termination rule allows at least one reason")
        if not self.basis.strip():
            raise ValueError("a termination rule must cite its legal basis")

    def allows(self, reason: TerminationReason) -> bool:
        """Whether a dispute may be terminated for ``reason`` here."""
        return reason in self.reasons

    def notice_due(self, received: date, determined: date, calendar: WorkingCalendar) -> date:
        """The last day to tell the subject of a termination determined on ``determined`` of
        a dispute received on ``received``."""
        return self.notice.due(received if self.from_receipt else determined, calendar)


@dataclass(frozen=True, slots=True)
class RecipientRule:
    """Who is told of what a dispute changed, when the subject asks: those who received
    a report on the subject within ``lookback`` before the request, or within
    ``employment_lookback`` for a report obtained for employment; a period of None
    reaches back to every recipient on record (GDPR art. 19 sets none).
    """

    basis: str
    lookback: Period | None = None
    employment_lookback: Period | None = None

    def __post_init__(self) -> None:
        if not self.basis.strip():
            raise ValueError("a recipient rule must cite its legal basis")

    def earliest(self, requested: date, *, employment: bool) -> date | None:
        """The first day a report received counts for a request made on ``requested``
        (None: every report on record counts)."""
        period = self.employment_lookback if employment else self.lookback
        return None if period is None else subtract_period(requested, period)


@dataclass(frozen=True, slots=True)
class DisputeRule:
    """How long the bureau has to answer a dispute, when it may take longer, and what
    happens to an item nobody confirmed or that comes back after deletion.

    ``extension`` and ``extension_trigger`` come together (a jurisdiction without
    an extension has neither). ``tell_extension`` (GDPR): the subject must be told
    of the extension within the first period, so a written notice is due by then.
    ``calendar``: the jurisdiction's working days, for every period counted in
    business days; the profile sets it to its own (:attr:`Profile.calendar`).
    ``furnisher_notice``: the furnisher must be told of a dispute within this of its
    receipt; ``results_notice``: the subject must be given the results in writing
    within this of the dispute's completion (None where the answer's own deadline
    covers it). ``termination``: whether and why a dispute may be terminated as frivolous
    or irrelevant, and the notice owed then (None: every dispute is answered).
    ``procedure_notice``: on the subject's request, a description of how a completed
    reinvestigation was made is owed within this of the request (None: no such right of
    its own here). ``recipients``: on the subject's request, who received the item and
    is told of the deletion, correction or dispute (None: no such duty here).
    """

    response: Period
    basis: str
    unverifiable: UnverifiableOutcome
    unverifiable_basis: str
    extension: Period | None = None
    extension_trigger: ExtensionTrigger | None = None
    tell_extension: bool = False
    reinsertion: ReinsertionRule | None = None
    furnisher_notice: NoticeRule | None = None
    results_notice: NoticeRule | None = None
    termination: TerminationRule | None = None
    procedure_notice: NoticeRule | None = None
    recipients: RecipientRule | None = None
    calendar: WorkingCalendar = field(default=WEEKDAYS_ONLY)

    def __post_init__(self) -> None:
        if (self.extension is None) != (self.extension_trigger is None):
            raise ValueError("an extension needs its trigger, and a trigger its extension")
        if self.tell_extension and self.extension is None:
            raise ValueError("tell_extension without an extension")
        object.__setattr__(self, "unverifiable", UnverifiableOutcome(self.unverifiable))
        if not self.unverifiable_basis.strip():
            raise ValueError("the rule for an unverifiable item must cite its legal basis")

    def due(self, received: date, *, extended: bool = False) -> date:
        """The last day to answer a dispute received on ``received``."""
        if not extended:
            return add_period(received, self.response)
        if self.extension is None:
            raise ValueError("this jurisdiction allows no extension")
        r, e = self.response, self.extension
        # One addition, not two: Jan 31 + 1 month + 2 months would clamp twice.
        total = Period(r.years + e.years, r.months + e.months, r.days + e.days)
        return add_period(received, total)

    def reinsertion_notice_due(self, reinserted: date) -> date:
        """The last day to tell the subject of a reinsertion certified on ``reinserted``."""
        if self.reinsertion is None:
            raise ValueError("this jurisdiction provides no reinsertion")
        return self.reinsertion.notice_due(reinserted, self.calendar)

    def furnisher_notice_due(self, received: date) -> date | None:
        """The last day to tell the furnisher of a dispute received on ``received``; None
        where no separate deadline applies."""
        if self.furnisher_notice is None:
            return None
        return self.furnisher_notice.due(received, self.calendar)

    def results_notice_due(self, completed: date) -> date | None:
        """The last day to give the subject the results of a dispute completed on
        ``completed``; None where no separate deadline applies."""
        if self.results_notice is None:
            return None
        return self.results_notice.due(completed, self.calendar)

    def termination_notice_due(self, received: date, determined: date) -> date:
        """The last day to tell the subject of a dispute received on ``received`` that it was
        terminated on ``determined``."""
        if self.termination is None:
            raise ValueError("this jurisdiction allows no termination of a dispute")
        return self.termination.notice_due(received, determined, self.calendar)

    def extends_on(self, trigger: ExtensionTrigger) -> bool:
        """Whether ``trigger`` extends a dispute's deadline here."""
        return self.extension_trigger is trigger

    @property
    def keeps_unverifiable(self) -> bool:
        """Whether an unconfirmed item stays, with the objection recorded (CN art. 25)."""
        return self.unverifiable is UnverifiableOutcome.KEEP_WITH_OBJECTION
