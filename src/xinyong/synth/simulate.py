"""Month-by-month life of one account, reduced to what a furnisher reports.

The simulation starts a little before the earliest 24-month history window
(assuming the account was current until then), draws one payment decision per
month and produces, for each reporting month, a ``Snapshot`` whose status,
payment rating, profile and date of first delinquency agree with each other.

This is the generator's innermost loop (about thirty simulated months per
reported account), so the whole life of an account runs in one function per
kind of product (instalment, revolving, open account) on local variables:
each month draws whether a payment is made (missing one starts or deepens a
delinquency, paying the arrears cures it), then moves the balance as the
product dictates, and long delinquency ends in a charge-off (97), a
collection (93), a foreclosure (94), a surrender (95) or a repossession (96).
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from xinyong.synth.rng import day_in_month, month_end

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
_DELINQUENT_CHAR = ("0", "1", "2", "3", "4", "5", "6")
_RATING = _DELINQUENT_CHAR  # rating "k" for k missed payments, at most 6

_NEVER = 1 << 62  # a month index after every other


class Snapshot(NamedTuple):
    """An account's state at one month end, in the terms Metro 2 reports;
    dates are ISO ``YYYY-MM-DD`` text, as the canonical records carry them."""

    month: int
    reported: str  # the month end
    status: str
    rating: str | None
    balance: int
    past_due: int
    scheduled: int | None
    actual: int | None
    credit_limit: int | None
    highest: int | None
    charge_off: int | None
    dofd: str | None
    closed: str | None
    last_payment: str | None
    profile: str


@lru_cache(maxsize=1 << 14)
def day_iso(mi: int, day: int) -> str:
    """``day_in_month(mi, day)`` as ISO text (the calendar is consulted once)."""
    return day_in_month(mi, day).isoformat()


@lru_cache(maxsize=1 << 12)
def month_end_iso(mi: int) -> str:
    return month_end(mi).isoformat()


def _payment(principal: int, monthly_rate: float, term: int) -> int:
    if monthly_rate == 0:
        return -(-principal // term)
    return round(principal * monthly_rate / (1 - (1 + monthly_rate) ** -term))


def _remaining(principal: int, monthly_rate: float, payment: int, paid: int) -> int:
    if monthly_rate == 0:
        return max(0, principal - payment * paid)
    growth = (1 + monthly_rate) ** paid
    return max(0, round(principal * growth - payment * (growth - 1) / monthly_rate))


def _minimum(balance: int, limit: int | None) -> int:
    """A revolving account's minimum payment."""
    if balance <= 0:
        return 0
    floor = min(balance, (limit or 0) // 100)
    return max(floor, balance * 3 // 100)


def simulate(
    plan: AccountPlan, rng: random.Random, first_report: int, last_report: int
) -> list[Snapshot]:
    """The account's snapshots for each reporting month in which its
    furnisher still reports it; empty if it was closed too long ago."""
    open_mi = plan.open_mi
    if open_mi > last_report:
        return []
    start = max(open_mi, first_report - HISTORY - WARMUP)
    close_mi = plan.close_mi
    if close_mi is not None and close_mi < start:
        return []
    if plan.term and open_mi + plan.term < start:
        return []  # matured before the window
    product = plan.product
    if product.instalment:
        return _instalment(plan, rng, start, first_report, last_report)
    if product.revolving:
        return _revolving(plan, rng, start, first_report, last_report)
    return _open_account(plan, rng, start, first_report, last_report)


# The three lives below share their shape: the state, in local variables named
# after the Metro 2 fields they feed; one pass per month that first draws
# whether a payment is made (missing one starts or deepens a delinquency,
# paying the arrears cures it) and then moves the balance as the product
# dictates; at each reporting month a snapshot; and each month's payment
# history character.
#
# The payment decision, inlined in each loop, reads:
#     current (k == 0): a payment is missed with chance ``hazard``;
#     delinquent: all arrears are paid (cure) with a chance that fades as
#     arrears grow, one instalment is paid with chance 0.15, else one more
#     payment is missed.


def _instalment(
    plan: AccountPlan, rng: random.Random, start: int, first_report: int, last_report: int
) -> list[Snapshot]:
    """Mortgages and loans: fixed payments; after long delinquency a
    foreclosure, a surrender or repossession, or a charge-off."""
    random_ = rng.random
    open_mi, close_mi, term = plan.open_mi, plan.close_mi, plan.term
    close_at = _NEVER if close_mi is None else close_mi
    hazard, cure0, amount = plan.hazard, plan.cure, plan.amount
    rate = plan.product.annual_rate / 12
    mortgage = plan.product.name == "mortgage"
    auto = plan.product.name == "auto"
    keep = plan.furnisher.habits.closed_reporting_months

    phase, k, rating, charge_off = OPEN, 0, None, None
    dofd_mi: int | None = None
    end_mi: int | None = None
    elapsed = start - open_mi
    last_pay_mi = start - 1 if elapsed > 1 else None
    actual: int | None = None
    past_due = 0
    scheduled = _payment(amount, rate, term)
    paid = min(elapsed, term)
    balance = _remaining(amount, rate, scheduled, paid)
    highest = amount

    chars: list[str] = []  # chars[i] is month start + i
    snapshots: list[Snapshot] = []
    for mi in range(start, last_report + 1):
        if mi <= open_mi:
            actual = None
        elif phase == OPEN:
            if mi >= close_at and not k:  # prepaid; a delinquent borrower does not prepay
                actual, balance = balance, 0
                phase, end_mi, rating, scheduled = CLOSED, mi, "0", 0
                last_pay_mi = mi
            else:
                if k == 0:
                    if random_() < hazard:
                        k, dofd_mi, made = 1, mi, 0
                    else:
                        made = 1
                else:
                    u = random_()
                    cure = cure0 * 0.8 ** (k - 1)
                    if u < cure:
                        made, k, dofd_mi = k + 1, 0, None
                    elif u < cure + 0.15:
                        made = 1
                    else:
                        k += 1
                        made = 0
                if made > term - paid:
                    made = term - paid
                paid += made
                actual = made * scheduled
                if made:
                    last_pay_mi = mi
                balance = _remaining(amount, rate, scheduled, paid)
                past_due = min(k * scheduled, balance)
                if paid >= term:
                    balance = past_due = k = 0
                    dofd_mi = None
                    phase, end_mi, rating, scheduled = CLOSED, mi, "0", 0
                elif mortgage:
                    if k >= 4 and random_() < 0.12:
                        balance = past_due = 0
                        phase, end_mi, rating, scheduled = FORECLOSED, mi, _RATING[min(k, 6)], 0
                elif auto and k >= 3 and random_() < 0.3:
                    deficiency = int(balance * (0.1 + (0.4 - 0.1) * random_()))
                    balance = past_due = deficiency
                    if random_() < 0.25:
                        phase, rating = SURRENDERED, _RATING[min(k, 6)]
                    else:
                        phase, rating = REPOSSESSED, None
                    end_mi, scheduled = mi, 0
                elif k >= 5:
                    charge_off = past_due = balance
                    phase, end_mi, rating, scheduled = CHARGED_OFF, mi, None, 0
        elif phase in _STILL_OWED:
            actual, balance, past_due, phase, end_mi, last_pay_mi = _recover(
                rng, mi, phase, balance, past_due, end_mi, last_pay_mi
            )
        else:
            actual = None

        if mi >= first_report:
            if end_mi is not None and phase not in _STILL_OWED and mi > end_mi + keep:
                break
            snapshots.append(_snapshot(plan, mi, _profile(chars, mi - start), phase, k, rating,
                                       balance, past_due, scheduled, actual, None, highest,
                                       charge_off, dofd_mi, end_mi, last_pay_mi))  # fmt: skip
        if phase != OPEN:
            chars.append(_TERMINAL[phase][1])
        elif k:
            chars.append(_DELINQUENT_CHAR[k if k < 6 else 6])
        else:
            chars.append("E" if balance == 0 else "0")
    return snapshots


def _revolving(
    plan: AccountPlan, rng: random.Random, start: int, first_report: int, last_report: int
) -> list[Snapshot]:
    """Cards and lines of credit: a minimum payment of 3% of the balance
    (at least 1% of the limit), spending towards the subject's usual
    utilisation, interest unless the holder pays in full; charged off after
    seven missed payments."""
    random_ = rng.random
    open_mi, close_mi = plan.open_mi, plan.close_mi
    close_at = _NEVER if close_mi is None else close_mi
    hazard, cure0, amount = plan.hazard, plan.cure, plan.amount
    rate = plan.product.annual_rate / 12
    transactor, utilisation = plan.transactor, plan.utilisation
    keep = plan.furnisher.habits.closed_reporting_months
    limit = amount
    lim_pct = limit // 100
    wanted = limit * utilisation  # the balance the holder tends to carry
    lim_spend = limit * 0.02  # what is spent even when at the usual balance
    lim_fee = limit // 200  # interest and fees while delinquent

    phase, k, rating, charge_off = OPEN, 0, None, None
    dofd_mi: int | None = None
    end_mi: int | None = None
    elapsed = start - open_mi
    last_pay_mi = start - 1 if elapsed > 1 else None
    actual: int | None = None
    past_due = 0
    target = int(amount * utilisation)
    balance = 0 if elapsed <= 0 else int(target * (0.5 + (1.2 - 0.5) * random_()))
    scheduled = _minimum(balance, limit)
    highest = max(balance, target)

    chars: list[str] = []
    snapshots: list[Snapshot] = []
    for mi in range(start, last_report + 1):
        if mi <= open_mi:
            actual = None
        elif phase == OPEN:
            if mi >= close_at and not k:  # closed at the holder's request
                actual, balance = balance, 0
                phase, end_mi, rating, scheduled = CLOSED, mi, "0", 0
                last_pay_mi = mi
            else:
                if balance <= 0:
                    minimum = 0
                else:
                    minimum = balance * 3 // 100
                    floor = lim_pct if lim_pct < balance else balance
                    if floor > minimum:
                        minimum = floor
                if balance > 0 or k:
                    if k == 0:
                        if random_() < hazard:
                            k, dofd_mi, made = 1, mi, 0
                        else:
                            made = 1
                    else:
                        u = random_()
                        cure = cure0 * 0.8 ** (k - 1)
                        if u < cure:
                            made, k, dofd_mi = k + 1, 0, None
                        elif u < cure + 0.15:
                            made = 1
                        else:
                            k += 1
                            made = 0
                else:
                    made = 1
                pay = 0
                if made and balance > 0:
                    if k:  # a partial payment: the minimum only, arrears stay
                        pay = minimum if minimum < balance else balance
                    elif transactor:
                        pay = balance
                    else:
                        extra = int(balance * (0 + (0.2 - 0) * random_()))
                        pay = past_due + minimum + extra
                        if balance < pay:
                            pay = balance
                        past_due = 0
                    last_pay_mi = mi
                elif not made:
                    past_due += minimum
                remaining = balance - pay
                if k == 0:
                    past_due = 0
                    interest = 0 if transactor else int(remaining * rate)
                    spend = 0
                    if random_() < 0.8:
                        short = wanted - remaining
                        if short < 0.0:
                            short = 0.0
                        spend = int(short * (0.3 + (1.1 - 0.3) * random_()) + lim_spend * random_())
                    balance = remaining + interest + spend
                    if balance > limit:
                        balance = limit
                else:
                    balance = remaining + int(remaining * rate) + lim_fee
                actual = pay
                if balance > highest:
                    highest = balance
                if balance < past_due:
                    past_due = balance
                if balance <= 0:
                    scheduled = 0
                else:
                    scheduled = balance * 3 // 100
                    floor = lim_pct if lim_pct < balance else balance
                    if floor > scheduled:
                        scheduled = floor
                if k >= 7:
                    charge_off = past_due = balance
                    phase, end_mi, rating, scheduled = CHARGED_OFF, mi, None, 0
        elif phase in _STILL_OWED:
            actual, balance, past_due, phase, end_mi, last_pay_mi = _recover(
                rng, mi, phase, balance, past_due, end_mi, last_pay_mi
            )
        else:
            actual = None

        if mi >= first_report:
            if end_mi is not None and phase not in _STILL_OWED and mi > end_mi + keep:
                break
            snapshots.append(_snapshot(plan, mi, _profile(chars, mi - start), phase, k, rating,
                                       balance, past_due, scheduled, actual, limit, highest,
                                       charge_off, dofd_mi, end_mi, last_pay_mi))  # fmt: skip
        if phase != OPEN:
            chars.append(_TERMINAL[phase][1])
        elif k:
            chars.append(_DELINQUENT_CHAR[k if k < 6 else 6])
        else:
            chars.append("E" if balance == 0 else "0")
    return snapshots


def _open_account(
    plan: AccountPlan, rng: random.Random, start: int, first_report: int, last_report: int
) -> list[Snapshot]:
    """Utilities and telecoms: a bill each month around the usual amount,
    arrears carried; assigned to collection after four unpaid bills; closed,
    the final bill settled, when the subject moves out."""
    random_ = rng.random
    open_mi, close_mi = plan.open_mi, plan.close_mi
    close_at = _NEVER if close_mi is None else close_mi
    hazard, cure0, amount = plan.hazard, plan.cure, plan.amount
    keep = plan.furnisher.habits.closed_reporting_months

    phase, k, rating = OPEN, 0, None
    dofd_mi: int | None = None
    end_mi: int | None = None
    elapsed = start - open_mi
    last_pay_mi = start - 1 if elapsed > 1 else None
    actual: int | None = None
    past_due = 0
    bill = int(amount * (0.6 + (1.4 - 0.6) * random_()))
    balance = scheduled = highest = bill

    chars: list[str] = []
    snapshots: list[Snapshot] = []
    for mi in range(start, last_report + 1):
        if mi <= open_mi:
            actual = None
        elif phase == OPEN:
            if mi >= close_at:  # moved out: the final bill settled, arrears and all
                rating = _RATING[k if k < 6 else 6]
                if k == 0:
                    dofd_mi = None
                actual, balance, past_due = balance, 0, 0
                phase, end_mi, scheduled = CLOSED, mi, 0
                last_pay_mi = mi
            else:
                if k == 0:
                    if random_() < hazard:
                        k, dofd_mi, made = 1, mi, 0
                    else:
                        made = 1
                else:
                    u = random_()
                    cure = cure0 * 0.8 ** (k - 1)
                    if u < cure:
                        made, k, dofd_mi = k + 1, 0, None
                    elif u < cure + 0.15:
                        made = 1
                    else:
                        k += 1
                        made = 0
                arrears = past_due
                if made == 0:
                    arrears += bill
                    actual = 0
                elif k == 0:
                    actual = bill + arrears
                    arrears = 0
                    last_pay_mi = mi
                else:
                    actual = bill
                    last_pay_mi = mi
                bill = int(amount * (0.6 + (1.4 - 0.6) * random_()))
                if bill > highest:
                    highest = bill
                past_due = arrears
                balance = arrears + bill
                scheduled = bill
                if k >= 4:
                    balance = past_due = arrears
                    phase, end_mi, rating, scheduled = COLLECTION, mi, None, 0
        elif phase in _STILL_OWED:
            actual, balance, past_due, phase, end_mi, last_pay_mi = _recover(
                rng, mi, phase, balance, past_due, end_mi, last_pay_mi
            )
        else:
            actual = None

        if mi >= first_report:
            if end_mi is not None and phase not in _STILL_OWED and mi > end_mi + keep:
                break
            snapshots.append(_snapshot(plan, mi, _profile(chars, mi - start), phase, k, rating,
                                       balance, past_due, scheduled, actual, None, highest,
                                       None, dofd_mi, end_mi, last_pay_mi))  # fmt: skip
        if phase != OPEN:
            chars.append(_TERMINAL[phase][1])
        elif k:
            chars.append(_DELINQUENT_CHAR[k if k < 6 else 6])
        else:
            chars.append("E" if balance == 0 else "0")
    return snapshots


def _recover(
    rng: random.Random,
    mi: int,
    phase: int,
    balance: int,
    past_due: int,
    end_mi: int | None,
    last_pay_mi: int | None,
) -> tuple[int | None, int, int, int, int | None, int | None]:
    """A month after a charge-off or a collection assignment: now and then
    the debt is paid off, or a part of it. Returns (actual, balance,
    past_due, phase, end_mi, last_pay_mi)."""
    actual = None
    u = rng.random()
    if u < 0.025:
        actual, balance, past_due = balance, 0, 0
        last_pay_mi = mi
        phase = PAID_CHARGE_OFF if phase == CHARGED_OFF else PAID_COLLECTION
        end_mi = mi
    elif u < 0.08 and balance > 0:
        actual = min(balance, int(balance * (0.02 + (0.2 - 0.02) * rng.random())) + 1)
        balance -= actual
        past_due = balance
        last_pay_mi = mi
    return actual, balance, past_due, phase, end_mi, last_pay_mi


def _profile(chars: list[str], months: int) -> str:
    """The 24-month payment history before a reporting month, newest first:
    ``chars`` holds one character per month since the simulation started
    ``months`` months ago; earlier months (before the account opened) are B."""
    recent = chars[months - HISTORY : months] if months > HISTORY else chars[:months]
    return "".join(reversed(recent)) + "B" * (HISTORY - len(recent))


def _snapshot(
    plan: AccountPlan,
    mi: int,
    profile: str,
    phase: int,
    k: int,
    rating: str | None,
    balance: int,
    past_due: int,
    scheduled: int | None,
    actual: int | None,
    limit: int | None,
    highest: int | None,
    charge_off: int | None,
    dofd_mi: int | None,
    end_mi: int | None,
    last_pay_mi: int | None,
) -> Snapshot:
    due_day = plan.due_day
    if phase == OPEN:
        status, rating = _DELINQUENT_STATUS[min(k, 6)], None
    else:
        status = _TERMINAL[phase][0]
        if status not in _RATED:
            rating = None
    dofd = None
    if dofd_mi is not None and (k > 0 or phase != OPEN):
        dofd = day_iso(dofd_mi, due_day)
    opened = plan.opened
    closed = None
    if end_mi is not None:
        closed = max(day_iso(end_mi, due_day), opened)
    last_payment = None
    if last_pay_mi is not None:
        last_payment = max(day_iso(last_pay_mi, due_day), opened)
    return Snapshot(
        mi, month_end_iso(mi), status, rating, max(balance, 0), max(past_due, 0), scheduled,
        actual, limit, highest, charge_off, dofd, closed, last_payment, profile,
    )  # fmt: skip
