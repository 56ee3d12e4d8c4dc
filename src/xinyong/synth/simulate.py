"""Month-by-month life of one account, reduced to what a furnisher reports.

The simulation starts a little before the earliest 24-month history window
(assuming the account was current until then), draws one payment decision per
month and produces, for each reporting month, a ``Snapshot`` whose status,
payment rating, profile and date of first delinquency agree with each other.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from xinyong.synth.rng import day_in_month, month_index

if TYPE_CHECKING:
    from xinyong.synth.accounts import AccountPlan

HISTORY = 24  # months in a payment history profile
WARMUP = 6  # months simulated before the first history month

# Phases of an account's life and the Metro 2 status and history character
# each is reported with once it is reached.
OPEN, CLOSED, CHARGED_OFF, COLLECTION, PAID_CHARGE_OFF, PAID_COLLECTION = range(6)
FORECLOSED, SURRENDERED, REPOSSESSED = 6, 7, 8
_TERMINAL = {
    CLOSED: ("13", "E"),
    CHARGED_OFF: ("97", "L"),
    COLLECTION: ("93", "G"),
    PAID_CHARGE_OFF: ("64", "E"),
    PAID_COLLECTION: ("62", "E"),
    FORECLOSED: ("94", "H"),
    SURRENDERED: ("95", "J"),
    REPOSSESSED: ("96", "K"),
}
_STILL_OWED = (CHARGED_OFF, COLLECTION)  # reported until paid, whatever the habit
_DELINQUENT_STATUS = ("11", "71", "78", "80", "82", "83", "84")
_RATED = ("13", "94", "95")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An account's state at one month end, in the terms Metro 2 reports."""

    month: int
    status: str
    rating: str | None
    balance: int
    past_due: int
    scheduled: int | None
    actual: int | None
    credit_limit: int | None
    highest: int | None
    charge_off: int | None
    dofd: date | None
    closed: date | None
    last_payment: date | None
    profile: str


def _payment(principal: int, monthly_rate: float, term: int) -> int:
    if monthly_rate == 0:
        return -(-principal // term)
    return round(principal * monthly_rate / (1 - (1 + monthly_rate) ** -term))


def _remaining(principal: int, monthly_rate: float, payment: int, paid: int) -> int:
    if monthly_rate == 0:
        return max(0, principal - payment * paid)
    growth = (1 + monthly_rate) ** paid
    return max(0, round(principal * growth - payment * (growth - 1) / monthly_rate))


class _Account:
    """Mutable month-by-month state; one instance per simulated account."""

    __slots__ = (
        "_month",
        "actual",
        "balance",
        "bill",
        "charge_off",
        "dofd_mi",
        "end_mi",
        "highest",
        "k",
        "last_pay_mi",
        "limit",
        "open_mi",
        "paid",
        "past_due",
        "phase",
        "plan",
        "rate",
        "rating",
        "rng",
        "scheduled",
    )  # fmt: skip

    def __init__(self, plan: AccountPlan, rng: random.Random, start: int) -> None:
        self.plan = plan
        self.rng = rng
        product = plan.product
        self.open_mi = month_index(plan.open_date)
        self.rate = product.annual_rate / 12
        self.phase = OPEN
        self.k = 0  # payments missed and still outstanding
        self.dofd_mi: int | None = None
        self.end_mi: int | None = None  # month the account closed or was written off
        self.rating: str | None = None
        self.charge_off: int | None = None
        elapsed = start - self.open_mi
        self.last_pay_mi: int | None = start - 1 if elapsed > 1 else None
        self.actual: int | None = None
        self.past_due = 0
        self.limit: int | None = None
        self._month = (
            self._instalment
            if product.instalment
            else self._revolving
            if product.revolving
            else self._open_account
        )
        if product.instalment:
            self.scheduled = _payment(plan.amount, self.rate, plan.term)
            self.paid = min(elapsed, plan.term)
            self.balance = _remaining(plan.amount, self.rate, self.scheduled, self.paid)
            self.highest = plan.amount
        elif product.revolving:
            self.limit = plan.amount
            target = int(plan.amount * plan.utilisation)
            self.balance = 0 if elapsed <= 0 else int(target * rng.uniform(0.5, 1.2))
            self.scheduled = self._minimum()
            self.highest = max(self.balance, target)
        else:
            self.bill = int(plan.amount * rng.uniform(0.6, 1.4))
            self.balance = self.bill
            self.scheduled = self.bill
            self.highest = self.bill

    # -- shared delinquency dynamics ------------------------------------
    def _decide(self, mi: int) -> int:
        """Payments made this month: 0 (missed), 1 (one instalment) or k+1 (cured)."""
        rng = self.rng
        if self.k == 0:
            if rng.random() < self.plan.hazard:
                self.k, self.dofd_mi = 1, mi
                return 0
            return 1
        u = rng.random()
        cure = self.plan.cure * 0.8 ** (self.k - 1)
        if u < cure:
            made, self.k, self.dofd_mi = self.k + 1, 0, None
            return made
        if u < cure + 0.15:
            return 1
        self.k += 1
        return 0

    def _terminate(self, phase: int, mi: int, rating: str | None = None) -> None:
        self.phase, self.end_mi, self.rating = phase, mi, rating
        self.scheduled = 0

    def _minimum(self) -> int:
        if self.balance <= 0:
            return 0
        floor = min(self.balance, (self.limit or 0) // 100)
        return max(floor, self.balance * 3 // 100)

    # -- one month ------------------------------------------------------
    def step(self, mi: int) -> None:
        if mi <= self.open_mi:
            self.actual = None
            return
        if self.phase == OPEN:
            self._month(mi)
        elif self.phase in _STILL_OWED:
            self._recover(mi)
        else:
            self.actual = None

    def _close_voluntarily(self, mi: int) -> bool:
        close_mi = self.plan.close_mi
        if close_mi is None or mi < close_mi:
            return False
        if self.plan.product.portfolio_type == "O":  # moved out: final bill settled
            rating = str(min(self.k, 6))
            self.actual, self.balance, self.past_due = self.balance, 0, 0
            if self.k == 0:
                self.dofd_mi = None
            self._terminate(CLOSED, mi, rating)
            return True
        if self.k:
            return False  # a delinquent borrower does not prepay
        self.actual, self.balance = self.balance, 0
        self._terminate(CLOSED, mi, "0")
        return True

    def _instalment(self, mi: int) -> None:
        plan, product = self.plan, self.plan.product
        if self._close_voluntarily(mi):
            self.last_pay_mi = mi
            return
        made = self._decide(mi)
        made = min(made, plan.term - self.paid)
        self.paid += made
        self.actual = made * self.scheduled
        if made:
            self.last_pay_mi = mi
        self.balance = _remaining(plan.amount, self.rate, self.scheduled, self.paid)
        self.past_due = min(self.k * self.scheduled, self.balance)
        if self.paid >= plan.term:
            self.balance = self.past_due = self.k = 0
            self.dofd_mi = None
            self._terminate(CLOSED, mi, "0")
            return
        rng, k = self.rng, self.k
        if product.name == "mortgage":
            if k >= 4 and rng.random() < 0.12:
                self.balance = self.past_due = 0
                self._terminate(FORECLOSED, mi, str(min(k, 6)))
        elif product.name == "auto" and k >= 3 and rng.random() < 0.3:
            deficiency = int(self.balance * rng.uniform(0.1, 0.4))
            self.balance = self.past_due = deficiency
            if rng.random() < 0.25:
                self._terminate(SURRENDERED, mi, str(min(k, 6)))
            else:
                self._terminate(REPOSSESSED, mi)
        elif k >= 5:
            self._charge_off(mi)

    def _revolving(self, mi: int) -> None:
        plan, rng = self.plan, self.rng
        if self._close_voluntarily(mi):
            self.last_pay_mi = mi
            return
        limit = self.limit or 0
        minimum = self._minimum()
        made = self._decide(mi) if self.balance > 0 or self.k else 1
        paid = 0
        if made and self.balance > 0:
            if self.k:  # a partial payment: the minimum only, arrears stay
                paid = min(self.balance, minimum)
            elif plan.transactor:
                paid = self.balance
            else:
                extra = int(self.balance * rng.uniform(0, 0.2))
                paid = min(self.balance, self.past_due + minimum + extra)
                self.past_due = 0
            self.last_pay_mi = mi
        elif not made:
            self.past_due += minimum
        if self.k == 0:
            self.past_due = 0
        remaining = self.balance - paid
        if self.k == 0:
            interest = 0 if plan.transactor else int(remaining * self.rate)
            spend = 0
            if rng.random() < 0.8:
                target = limit * plan.utilisation
                spend = int(
                    max(0.0, target - remaining) * rng.uniform(0.3, 1.1)
                    + limit * 0.02 * rng.random()
                )
            self.balance = min(remaining + interest + spend, limit)
        else:
            self.balance = remaining + int(remaining * self.rate) + limit // 200
        self.actual = paid
        self.highest = max(self.highest or 0, self.balance)
        self.past_due = min(self.past_due, self.balance)
        self.scheduled = self._minimum()
        if self.k >= 7:
            self._charge_off(mi)

    def _open_account(self, mi: int) -> None:
        if self._close_voluntarily(mi):
            self.last_pay_mi = mi
            return
        made = self._decide(mi)
        arrears = self.past_due
        if made == 0:
            arrears += self.bill
            self.actual = 0
        else:
            self.actual = self.bill + (arrears if self.k == 0 else 0)
            arrears = 0 if self.k == 0 else arrears
            self.last_pay_mi = mi
        self.bill = int(self.plan.amount * self.rng.uniform(0.6, 1.4))
        self.highest = max(self.highest or 0, self.bill)
        self.past_due = arrears
        self.balance = arrears + self.bill
        self.scheduled = self.bill
        if self.k >= 4:
            self.balance = self.past_due = arrears
            self._terminate(COLLECTION, mi)

    def _charge_off(self, mi: int) -> None:
        self.charge_off = self.balance
        self.past_due = self.balance
        self._terminate(CHARGED_OFF, mi)

    def _recover(self, mi: int) -> None:
        """Payments after a charge-off or a collection assignment."""
        rng = self.rng
        self.actual = None
        u = rng.random()
        if u < 0.025:
            self.actual, self.balance, self.past_due = self.balance, 0, 0
            self.last_pay_mi = mi
            self.phase = PAID_CHARGE_OFF if self.phase == CHARGED_OFF else PAID_COLLECTION
            self.end_mi = mi
        elif u < 0.08 and self.balance > 0:
            self.actual = min(self.balance, int(self.balance * rng.uniform(0.02, 0.2)) + 1)
            self.balance -= self.actual
            self.past_due = self.balance
            self.last_pay_mi = mi

    # -- what the furnisher sees ----------------------------------------
    def char(self, mi: int) -> str:
        if mi < self.open_mi:
            return "B"
        if self.phase != OPEN:
            return _TERMINAL[self.phase][1]
        if self.k == 0:
            return "E" if self.balance == 0 else "0"
        return str(min(self.k, 6))

    def status(self) -> tuple[str, str | None]:
        if self.phase == OPEN:
            return _DELINQUENT_STATUS[min(self.k, 6)], None
        code = _TERMINAL[self.phase][0]
        return code, self.rating if code in _RATED else None

    def snapshot(self, mi: int, profile: str) -> Snapshot:
        plan = self.plan
        status, rating = self.status()
        dofd = None
        if self.dofd_mi is not None and (self.k > 0 or self.phase != OPEN):
            dofd = day_in_month(self.dofd_mi, plan.due_day)
        closed = None
        if self.end_mi is not None:
            closed = max(day_in_month(self.end_mi, plan.due_day), plan.open_date)
        last_payment = None
        if self.last_pay_mi is not None:
            last_payment = max(day_in_month(self.last_pay_mi, plan.due_day), plan.open_date)
        return Snapshot(
            month=mi,
            status=status,
            rating=rating,
            balance=max(self.balance, 0),
            past_due=max(self.past_due, 0),
            scheduled=self.scheduled,
            actual=self.actual,
            credit_limit=self.limit,
            highest=self.highest,
            charge_off=self.charge_off,
            dofd=dofd,
            closed=closed,
            last_payment=last_payment,
            profile=profile,
        )


def simulate(
    plan: AccountPlan, rng: random.Random, first_report: int, last_report: int
) -> list[Snapshot]:
    """The account's snapshots for each reporting month in which its
    furnisher still reports it; empty if it was closed too long ago."""
    open_mi = month_index(plan.open_date)
    if open_mi > last_report:
        return []
    start = max(open_mi, first_report - HISTORY - WARMUP)
    if plan.close_mi is not None and plan.close_mi < start:
        return []
    if plan.term and open_mi + plan.term < start:
        return []  # matured before the window
    account = _Account(plan, rng, start)
    chars: list[str] = []  # chars[i] is month start + i
    snapshots: list[Snapshot] = []
    keep = plan.furnisher.habits.closed_reporting_months
    for mi in range(start, last_report + 1):
        account.step(mi)
        if mi >= first_report:
            end = account.end_mi
            gone = end is not None and account.phase not in _STILL_OWED and mi > end + keep
            if gone:
                break
            profile = "".join(
                chars[m - start] if m >= start else ("B" if m < open_mi else "0")
                for m in range(mi - 1, mi - 1 - HISTORY, -1)
            )
            snapshots.append(account.snapshot(mi, profile))
        chars.append(account.char(mi))
    return snapshots
