"""Which accounts each subject holds, and how each account behaves month by month.

Missed payments arise from the subject's latent risk: the monthly chance of
missing a payment is ``sigmoid(HAZARD_INTERCEPT + HAZARD_SLOPE * latent + product
offset + account noise)``, so the delinquencies a furnisher reports carry the
signal that a good score must find. Delinquency then rolls forward or cures,
and long delinquency ends in a charge-off (97), a collection (93), a
foreclosure (94), a surrender (95) or a repossession (96), with the date of
first delinquency kept, as Metro 2 and FCRA 623(a)(5) require.
"""

from __future__ import annotations

import math
import random
from datetime import date
from functools import lru_cache
from typing import NamedTuple

from xinyong.synth import furnishers as fu
from xinyong.synth.furnishers import Furnisher, Product
from xinyong.synth.identity import SEGMENT_US, Enterprise, Person, sigmoid
from xinyong.synth.rng import Categorical, below, choice, day_in_month, month_index, randint
from xinyong.synth.simulate import Snapshot, simulate

__all__ = [
    "AccountPlan",
    "Snapshot",
    "plan_enterprise_accounts",
    "plan_person_accounts",
    "simulate",
]

HAZARD_INTERCEPT = -6.0
HAZARD_SLOPE = 1.5

# How many cards a person holds, how many loans an enterprise has.
_US_CARDS = Categorical((0, 1, 2, 3), (15, 40, 30, 15))
_CARDS = Categorical((0, 1, 2, 3), (35, 35, 20, 10))
_BUSINESS_LOANS = Categorical((0, 1, 2), (55, 35, 10))


class AccountPlan(NamedTuple):
    """An account as opened: terms fixed at origination, behaviour parameters
    drawn from the subject's latent risk."""

    furnisher: Furnisher
    product: Product
    seq: int  # unique per subject
    open_date: date
    amount: int  # minor units: principal, credit limit or typical monthly bill
    term: int  # months; 0 for revolving and open accounts
    due_day: int
    hazard: float  # monthly chance of missing a payment while current
    cure: float  # monthly chance of paying all arrears while delinquent
    close_mi: int | None  # month of prepayment, voluntary closure or moving out
    utilisation: float  # revolving: balance the subject tends to carry / limit
    transactor: bool  # revolving: pays the statement in full
    open_mi: int  # month index of ``open_date``
    opened: str  # ``open_date`` in ISO format, as records carry it


@lru_cache(maxsize=64)
def _log1m(p: float) -> float:
    return math.log(1.0 - p)


@lru_cache(maxsize=64)
def _log_amounts(product: Product, scale: float) -> tuple[float, float]:
    """Logarithms of the smallest and the largest amount (log-uniform draws)."""
    return math.log(product.min_amount * scale), math.log(product.max_amount * scale)


class _Planner:
    """Draws the accounts of one subject, in a fixed order for determinism."""

    def __init__(self, rng: random.Random, latent: float, obs_mi: int, earliest_mi: int) -> None:
        self.rng = rng
        self.latent = latent
        self.obs_mi = obs_mi
        self.earliest_mi = earliest_mi  # adulthood or registration
        self.plans: list[AccountPlan] = []

    def add(
        self,
        furnisher: Furnisher,
        product: Product,
        *,
        within_years: float,
        close_hazard: float,
        open_mi: int | None = None,
        close_mi: int | None = None,
        scale: float = 1.0,
    ) -> None:
        rng = self.rng
        if open_mi is None:
            span = max(1, int(within_years * 12))
            open_mi = max(self.earliest_mi, self.obs_mi - below(rng, span))
        if open_mi > self.obs_mi:
            return
        if close_mi is None and close_hazard > 0:
            u = rng.random()
            close_mi = open_mi + 1 + int(math.log(1.0 - u) / _log1m(close_hazard))
        log_low, log_high = _log_amounts(product, scale)
        major = math.exp(log_low + (log_high - log_low) * rng.random())
        round_to = 1 if product.portfolio_type == "O" else 1000
        amount = max(round_to, int(major / round_to) * round_to) * 100
        term = choice(rng, product.terms) if product.terms else 0
        noise = rng.gauss(0.0, 0.5)
        hazard = sigmoid(
            HAZARD_INTERCEPT + HAZARD_SLOPE * self.latent + product.hazard_offset + noise
        )
        cure = sigmoid(0.3 - 0.8 * self.latent + rng.gauss(0.0, 0.3))
        utilisation = sigmoid(-1.0 + 0.9 * self.latent + rng.gauss(0.0, 0.6))
        open_date = day_in_month(open_mi, randint(rng, 1, 31))
        due_day = randint(rng, 1, 28)
        transactor = rng.random() < 0.35 - 0.1 * self.latent
        self.plans.append(
            AccountPlan(furnisher, product, len(self.plans), open_date, amount, term, due_day,
                        hazard, cure, close_mi, utilisation, transactor, open_mi,
                        open_date.isoformat())
        )  # fmt: skip


def plan_person_accounts(
    person: Person, rng: random.Random, observation: date
) -> list[AccountPlan]:
    """The accounts a person opened over the years; accounts closed long
    before the reporting window are dropped later by ``simulate``."""
    obs_mi = month_index(observation)
    birth_mi = month_index(person.birth_date)
    planner = _Planner(rng, person.latent, obs_mi, birth_mi + 18 * 12 + 1)
    age = (obs_mi - birth_mi) // 12
    if person.segment == SEGMENT_US:
        for _ in range(_US_CARDS.pick(rng)):
            planner.add(fu.US_CARD_ISSUER, fu.US_CARD, within_years=15, close_hazard=0.003)
        if age >= 25 and rng.random() < 0.3:
            planner.add(fu.US_BANK, fu.US_MORTGAGE, within_years=15, close_hazard=0.005)
        if rng.random() < 0.25:
            planner.add(fu.US_BANK, fu.US_AUTO, within_years=6, close_hazard=0.01)
        return planner.plans
    foreign = person.passport is not None and person.ric is None
    if rng.random() < 0.88:
        planner.add(fu.TELECOM_CO, fu.TELECOM, within_years=12, close_hazard=0.006)
    if rng.random() < 0.75:
        addresses = person.addresses
        for i, address in enumerate(addresses):
            moved_out = addresses[i + 1].since_month if i + 1 < len(addresses) else None
            planner.add(
                fu.UTILITY_CO, fu.UTILITY, within_years=0, close_hazard=0.0,
                open_mi=address.since_month, close_mi=moved_out,
            )  # fmt: skip
    for _ in range(_CARDS.pick(rng)):
        planner.add(fu.BANK_B, fu.CARD, within_years=15, close_hazard=0.003)
    if age >= 25 and rng.random() < (0.08 if foreign else 0.3):
        bank = fu.BANK_A if rng.random() < 0.6 else fu.BANK_B
        planner.add(bank, fu.MORTGAGE, within_years=15, close_hazard=0.004)
    if rng.random() < 0.18:
        planner.add(fu.BANK_A, fu.AUTO, within_years=6, close_hazard=0.01)
    if rng.random() < 0.1:
        planner.add(fu.BANK_A, fu.LINE_OF_CREDIT, within_years=10, close_hazard=0.003)
    loan_chance = min(0.8, max(0.05, 0.22 + 0.12 * person.latent))
    while rng.random() < loan_chance and len(planner.plans) < 12:
        planner.add(fu.LENDER, fu.PERSONAL_LOAN, within_years=3, close_hazard=0.015)
        loan_chance *= 0.6
    return planner.plans


def plan_enterprise_accounts(
    enterprise: Enterprise, rng: random.Random, observation: date
) -> list[AccountPlan]:
    """Business loans and lines, sized by the enterprise's size class."""
    obs_mi = month_index(observation)
    planner = _Planner(
        rng, enterprise.latent, obs_mi, month_index(enterprise.registration_date) + 1
    )
    scale = (0.2, 0.5, 1.0, 4.0)[enterprise.size]
    for _ in range(_BUSINESS_LOANS.pick(rng)):
        planner.add(fu.BANK_A, fu.BUSINESS_LOAN, within_years=5, close_hazard=0.01, scale=scale)
    if rng.random() < 0.25:
        planner.add(fu.BANK_B, fu.BUSINESS_LINE, within_years=8, close_hazard=0.003, scale=scale)
    return planner.plans
