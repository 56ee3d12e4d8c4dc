"""Seeds and calendar arithmetic shared by every generator module.

Each subject draws from its own ``random.Random`` whose seed is a pure function
of the run seed, a stream tag and the subject's index. That makes the output
independent of chunk size and lets any subject be regenerated on its own (an
enterprise looks up its legal representative that way) without holding the
population in memory.
"""

from __future__ import annotations

import calendar
import random
from datetime import date
from enum import IntEnum

_MASK64 = (1 << 64) - 1


class Stream(IntEnum):
    """Independent random streams per subject, so that changing how accounts
    are drawn never changes who a person is."""

    PERSON_IDENTITY = 1
    PERSON_ACTIVITY = 2
    ENTERPRISE_IDENTITY = 3
    ENTERPRISE_ACTIVITY = 4
    DIRT = 5


def subject_rng(seed: int, stream: Stream, index: int) -> random.Random:
    """A generator for one subject and one stream; distinct for every
    (seed, stream, index) with index < 2**48."""
    key = ((seed & _MASK64) << 64) | (int(stream) << 48) | (index & ((1 << 48) - 1))
    return random.Random(key)


def permute(index: int, modulus: int, salt: int = 0) -> int:
    """A bijection of ``range(modulus)`` (modulus a power of ten) so that
    account numbers look scattered yet stay unique per subject index."""
    multiplier = 7_919_113  # odd and not a multiple of 5: invertible mod 10**k
    return (index * multiplier + 104_729 + salt * 1_000_003) % modulus


def month_index(d: date) -> int:
    """Months since year 0, so that month arithmetic is integer arithmetic."""
    return d.year * 12 + d.month - 1


def month_start(mi: int) -> date:
    return date(mi // 12, mi % 12 + 1, 1)


def month_end(mi: int) -> date:
    year, month = mi // 12, mi % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def day_in_month(mi: int, day: int) -> date:
    """The given day of month ``mi``, clamped to the month's last day."""
    year, month = mi // 12, mi % 12 + 1
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def add_years(d: date, years: int) -> date:
    """Same day ``years`` later; 29 February becomes 28 February."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def random_date(rng: random.Random, start: date, end: date) -> date:
    """A uniformly drawn date in [start, end]."""
    span = (end - start).days
    return date.fromordinal(start.toordinal() + rng.randint(0, max(span, 0)))
