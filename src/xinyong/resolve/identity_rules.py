"""What identifiers and dates mean for resolution: the rules no score overrides.

* A *validated* identifier is one ingest checked against its scheme (see
  :mod:`xinyong.identifiers`); only those link deterministically. Schemes the
  registry does not know (a benchmark's reference numbers, say) are evidence
  for the model, never a deterministic link.
* A *lifelong* identifier is issued once per subject and never reissued:
  the CN resident number, the US SSN, the unified social credit code, the
  LEI. Two different lifelong identifiers of one scheme cannot belong to one
  subject, so clustering refuses any merge that would put them together
  (a passport is renewed under a new number, so it is not lifelong).
* Two birth dates are *compatible* when equal or one keying slip apart (one
  character changed, two adjacent characters swapped, or day and month
  swapped); the same validated identifier with incompatible birth dates is a
  conflict for review, never a merge.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from xinyong.identifiers import scheme_names

__all__ = [
    "LIFELONG_SCHEMES",
    "base_scheme",
    "dates_compatible",
    "frame_scheme",
    "is_lifelong",
    "is_validated",
]

LIFELONG_SCHEMES: Final = frozenset({"cn_ric", "us_ssn", "cn_uscc", "lei"})


_COUNTRY_SCOPED: Final = frozenset({"passport", "company_number"})


def frame_scheme(scheme: str | None, country: str | None) -> str | None:
    """The scheme as resolution compares it: ``passport:GB``, since a passport
    number is unique only within its issuing country; ``cn_ric`` as it is."""
    if not scheme:
        return None
    if scheme in _COUNTRY_SCOPED and country:
        return f"{scheme}:{country}"
    return scheme


def base_scheme(scheme: str | None) -> str | None:
    """``passport`` of ``passport:GB``: the frame keeps the country in the scheme."""
    return None if scheme is None else scheme.split(":", 1)[0]


@lru_cache(maxsize=256)
def is_validated(scheme: str | None) -> bool:
    """Whether ingest validated identifiers of this scheme (so equality is proof)."""
    return base_scheme(scheme) in scheme_names()


@lru_cache(maxsize=256)
def is_lifelong(scheme: str | None) -> bool:
    """Whether a subject has at most one identifier of this scheme in its life."""
    return base_scheme(scheme) in LIFELONG_SCHEMES


def dates_compatible(a: str | None, b: str | None) -> bool:
    """ISO dates ``a`` and ``b`` could be one date keyed twice (``None`` fits anything)."""
    if a is None or b is None or a == b:
        return True
    if len(a) != len(b):
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(diff) == 1:
        return True
    if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]:
        return a[diff[1]] == b[diff[0]]
    return len(a) == 10 and a[:4] == b[:4] and a[5:7] == b[8:10] and a[8:10] == b[5:7]
