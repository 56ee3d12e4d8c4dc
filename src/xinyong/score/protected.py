"""Which columns may never be scorecard inputs, and why.

A model learns whatever it is given, so the only safe place to stop a protected
attribute is before training. Three lists apply to every development sample:

* the data model's forbidden categories (:mod:`xinyong.domain.forbidden`:
  political opinion, religion, ethnicity, health, genetics, biometrics,
  location tracks, relatives and marital status, sex);
* the other ECOA / Regulation B prohibited bases (12 CFR 1002.2(z), 1002.6(b)):
  national origin and citizenship, colour, receipt of public assistance, and
  **age** (see below);
* direct identifiers (ids, names, national numbers, phones, e-mail): a score
  that can see who someone is can treat that person differently from an
  identical file, which is the hidden hand DESIGN.md rules out.

Age. Regulation B 1002.6(b)(2)(ii) lets a creditor use age in an empirically
derived, demonstrably and statistically sound system provided an elderly
applicant (62 or older) is never assigned a negative value. A bureau score is
different: it is sold to every lender in every jurisdiction, the Chinese and
EU profiles have no such safe harbour, and age says nothing about repayment
behaviour, which is all a xinyong score may measure. So age of a person is
refused by default. ``allow_age=True`` exists for a lender's own application
scorecard where the law allows it; training then checks the Regulation B
condition (no age bin reaching 62+ may score below any younger bin). The age of
an *account* (length of credit history) is repayment behaviour and is allowed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from xinyong.domain.forbidden import forbidden_match
from xinyong.score.errors import RefusedInputError
from xinyong.score.model import Characteristic

__all__ = [
    "ELDERLY_AGE",
    "RefusedColumn",
    "check_elderly",
    "is_person_age",
    "refused_columns",
]

ELDERLY_AGE: Final = 62
"""Regulation B 1002.2(o): an elderly applicant is 62 or older."""

REG_B: Final = "ECOA 15 U.S.C. 1691(a); Regulation B 12 CFR 1002.6(b)"

_CAMEL: Final = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT: Final = re.compile(r"[^a-z0-9]+")

_PROTECTED_TERMS: Final[dict[str, tuple[str, ...]]] = {
    "national origin or citizenship": (
        "nationality",
        "national_origin",
        "citizenship",
        "citizen",
        "foreign",
        "foreigner",
        "immigrant",
        "immigration",
        "country_of_birth",
        "birth_country",
        "birthplace",
        "place_of_birth",
        "native_language",
        "mother_tongue",
    ),
    "colour": ("color", "colour", "skin"),
    "marital status": ("marriage", "married", "marital", "divorced", "widowed", "single_parent"),
    "receipt of public assistance": (
        "public_assistance",
        "welfare",
        "food_stamps",
        "social_assistance",
    ),
}

_BIRTH_TERMS: Final = ("dob", "birth", "birthday", "birthdate", "date_of_birth", "birth_year")

_NOT_PERSON_AGE: Final = frozenset(
    {
        "account",
        "accounts",
        "acct",
        "oldest",
        "newest",
        "youngest",
        "trade",
        "trades",
        "tradeline",
        "file",
        "credit",
        "history",
        "loan",
        "loans",
        "line",
        "lines",
        "card",
        "cards",
        "avg",
        "average",
        "mean",
        "residence",
        "address",
        "employment",
        "job",
        "business",
        "company",
        "enterprise",
        "firm",
        "debt",
        "balance",
        "delinquency",
        "record",
        "records",
        "inquiry",
        "inquiries",
    }
)

_IDENTIFIER_WORDS: Final = (
    "id",
    "ids",
    "uuid",
    "ssn",
    "sin",
    "name",
    "names",
    "surname",
    "firstname",
    "lastname",
    "email",
    "phone",
    "mobile",
    "passport",
    "unnamed",
    "national_id",
    "resident_id",
    "customer_number",
    "account_number",
    "hash",
    "masked",
    "registration_date",
)

_GEOGRAPHY_WORDS: Final = (
    "address",
    "city",
    "region",
    "province",
    "state",
    "postal",
    "postcode",
    "zip",
    "country",
    "location",
)
"""Where a person lives is the classic proxy for protected groups (redlining)."""


def _words(name: str) -> list[str]:
    return [w for w in _SPLIT.split(_CAMEL.sub("_", name).lower()) if w]


def _has_phrase(words: list[str], phrase: str) -> bool:
    parts = phrase.split("_")
    n = len(parts)
    return any(words[i : i + n] == parts for i in range(len(words) - n + 1))


def is_person_age(name: str) -> bool:
    """True for a person's age or birth date (``age``, ``AGE``, ``age.in.years``, ``dob``).

    The age of an account or of a credit history (``age_of_oldest_account``,
    ``avg_account_age``) is repayment behaviour and returns False.
    """
    words = _words(name)
    if any(_has_phrase(words, term) for term in _BIRTH_TERMS):
        return True
    ages = {"age", "ages", "aged"}
    return bool(ages & set(words)) and not (_NOT_PERSON_AGE & set(words))


@dataclass(frozen=True, slots=True)
class RefusedColumn:
    """A column that may not be a scorecard input: its name, category and legal basis."""

    name: str
    category: str
    basis: str

    def __str__(self) -> str:
        return f"{self.name!r} ({self.category}; {self.basis})"


def _refusal(name: str, *, allow_age: bool) -> RefusedColumn | None:
    hit = forbidden_match(name)
    if hit is not None:
        forbidden, stop = hit
        return RefusedColumn(
            name, f"{forbidden.value}: {stop!r}", "xinyong.domain.forbidden; DESIGN.md"
        )
    words = _words(name)
    for category, terms in _PROTECTED_TERMS.items():
        for term in terms:
            if _has_phrase(words, term):
                return RefusedColumn(name, f"{category}: {term!r}", REG_B)
    if not allow_age and is_person_age(name):
        return RefusedColumn(
            name,
            "age of a person",
            f"{REG_B}; refused by default, see xinyong.score.protected",
        )
    for term in _IDENTIFIER_WORDS:
        if _has_phrase(words, term):
            return RefusedColumn(name, f"identifier: {term!r}", "DESIGN.md: no hidden hand")
    for term in _GEOGRAPHY_WORDS:
        if _has_phrase(words, term):
            return RefusedColumn(
                name,
                f"geography: {term!r}",
                "ECOA and Fair Housing Act (redlining); DESIGN.md: no location data",
            )
    if name.strip() == "":
        return RefusedColumn(name, "identifier: unnamed column", "DESIGN.md: no hidden hand")
    return None


def refused_columns(names: Iterable[str], *, allow_age: bool = False) -> list[RefusedColumn]:
    """The columns among ``names`` that may not be inputs, in input order, with reasons."""
    out: list[RefusedColumn] = []
    for name in names:
        refusal = _refusal(name, allow_age=allow_age)
        if refusal is not None:
            out.append(refusal)
    return out


def check_elderly(ch: Characteristic) -> None:
    """Regulation B 1002.6(b)(2)(ii): no age bin reaching 62+ may score below a younger bin.

    A bin that contains anyone aged 62 or more counts as elderly. Its points must
    be at least those of every bin that lies wholly below 62. Otherwise the age
    characteristic is refused, with a message that says why.
    """
    if ch.kind != "numerical":
        raise RefusedInputError(f"{ch.name!r}: age must be numerical to check Regulation B")
    edges = [-math.inf, *ch.splits, math.inf]
    younger = [ch.points[i] for i in range(ch.n_regular) if edges[i + 1] <= ELDERLY_AGE]
    elderly = [ch.points[i] for i in range(ch.n_regular) if edges[i + 1] > ELDERLY_AGE]
    if younger and elderly and min(elderly) < max(younger):
        raise RefusedInputError(
            f"{ch.name!r} would give applicants aged {ELDERLY_AGE}+ fewer points than younger "
            "ones, which Regulation B 1002.6(b)(2) forbids; train without age"
        )
