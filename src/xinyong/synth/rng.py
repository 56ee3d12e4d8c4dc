"""Seeds and calendar arithmetic shared by every generator module.

Each subject draws from its own ``random.Random`` whose seed is a pure function
of the run seed, a stream tag and the subject's index. That makes the output
independent of chunk size and lets any subject be regenerated on its own (an
enterprise looks up its legal representative that way) without holding the
population in memory.
"""

from __future__ import annotations

import _random
import calendar
import random
from bisect import bisect
from collections.abc import Sequence
from datetime import date
from enum import IntEnum
from functools import lru_cache
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")

_MASK64 = (1 << 64) - 1
_new_random = random.Random.__new__
_seed_random = _random.Random.seed


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
    # random.Random(key) without its Python-level __init__ and seed wrappers.
    rng = _new_random(random.Random)
    _seed_random(rng, key)
    rng.gauss_next = None  # type: ignore[attr-defined]  # as Random.seed leaves it
    return rng


# -- draws ---------------------------------------------------------------------
# The generator draws millions of small integers; ``random.Random.randint``
# goes through three Python-level calls for each. These helpers make the very
# same draws (``randrange(n)`` is ``_randbelow(n)``: ``getrandbits`` of
# ``n.bit_length()`` bits until one falls below ``n``) in one call, so the
# output is the one the ``random`` module's own methods would give.


def below(rng: random.Random, n: int) -> int:
    """``rng.randrange(n)`` for ``n > 0``."""
    getrandbits = rng.getrandbits
    k = n.bit_length()
    r = getrandbits(k)
    while r >= n:
        r = getrandbits(k)
    return r


def randint(rng: random.Random, a: int, b: int) -> int:
    """``rng.randint(a, b)``: an integer in [a, b]."""
    n = b - a + 1
    getrandbits = rng.getrandbits
    k = n.bit_length()
    r = getrandbits(k)
    while r >= n:
        r = getrandbits(k)
    return a + r


def choice(rng: random.Random, seq: Sequence[T]) -> T:
    """``rng.choice(seq)`` for a non-empty sequence."""
    n = len(seq)
    getrandbits = rng.getrandbits
    k = n.bit_length()
    r = getrandbits(k)
    while r >= n:
        r = getrandbits(k)
    return seq[r]


class Categorical(Generic[T]):
    """A weighted choice among a fixed population: ``pick`` is
    ``rng.choices(population, weights)[0]`` with the cumulative weights
    summed once instead of at every draw."""

    __slots__ = ("_cum", "_hi", "_total", "population")

    def __init__(self, population: Sequence[T], weights: Sequence[float]) -> None:
        if len(population) != len(weights) or not population:
            raise ValueError("one weight per member of a non-empty population")
        self.population = tuple(population)
        self._cum = tuple(accumulate(weights))
        self._total = self._cum[-1] + 0.0
        self._hi = len(self.population) - 1

    def pick(self, rng: random.Random) -> T:
        return self.population[bisect(self._cum, rng.random() * self._total, 0, self._hi)]


def permute(index: int, modulus: int, salt: int = 0) -> int:
    """A bijection of ``range(modulus)`` (modulus a power of ten) so that
    account numbers look scattered yet stay unique per subject index."""
    multiplier = 7_919_113  # odd and not a multiple of 5: invertible mod 10**k
    return (index * multiplier + 104_729 + salt * 1_000_003) % modulus


def month_index(d: date) -> int:
    """Months since year 0, so that month arithmetic is integer arithmetic."""
    return d.year * 12 + d.month - 1


@lru_cache(maxsize=1 << 12)
def month_start(mi: int) -> date:
    return date(mi // 12, mi % 12 + 1, 1)


@lru_cache(maxsize=1 << 12)
def month_end(mi: int) -> date:
    year, month = mi // 12, mi % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


@lru_cache(maxsize=1 << 14)
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
    return date.fromordinal(start.toordinal() + randint(rng, 0, max(span, 0)))
