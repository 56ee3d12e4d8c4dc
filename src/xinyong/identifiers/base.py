"""What every identifier scheme shares: the result type, input cleaning and masking.

Each scheme is a module (or, for the generic schemes, an object) with the same
functions, as in python-stdnum: ``compact``, ``validate``, ``is_valid``,
``format``, ``mask`` and ``check``. ``check`` returns a :class:`Validated`,
which can carry warnings (a retired CN area code, say) that a bare string
cannot; ``validate`` returns just the compact string, as stdnum's does.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from typing import Protocol

from stdnum.exceptions import (
    InvalidChecksum as StdnumInvalidChecksum,
)
from stdnum.exceptions import (
    InvalidComponent as StdnumInvalidComponent,
)
from stdnum.exceptions import (
    InvalidLength as StdnumInvalidLength,
)
from stdnum.util import clean as stdnum_clean

from xinyong.identifiers.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidIdentifier,
    InvalidLength,
)

#: Longest raw input looked at. Real identifiers with separators are far
#: shorter; the cap keeps junk (a whole CSV line in one field) cheap to reject.
MAX_INPUT_LENGTH = 256


@dataclass(frozen=True, slots=True)
class Validated:
    """A value that passed its scheme's checks.

    ``value`` is the compact form that is stored and hashed (for the generic
    schemes, without the country); ``country`` is the ISO 3166-1 alpha-2 code
    the identifier belongs to, or None for global schemes (LEI). ``warnings``
    are ``"code: message"`` strings for values that are accepted but odd; the
    part before the colon is stable, for counting in ingest reports.
    """

    scheme: str
    value: str
    country: str | None
    warnings: tuple[str, ...] = ()


class Scheme(Protocol):
    """The functions every identifier scheme provides (modules satisfy this)."""

    def compact(self, value: str) -> str: ...

    def validate(self, value: str) -> str: ...

    def check(self, value: str) -> Validated: ...

    def is_valid(self, value: str) -> bool: ...

    def format(self, value: str) -> str: ...

    def mask(self, value: str) -> str: ...


def clean(value: object, scheme: str, deletechars: str = " -") -> str:
    """Normalise raw furnished text: NFKC, no separators or whitespace, upper case.

    NFKC folds the full-width digits and letters that Chinese input methods
    produce into ASCII. Non-text input is a format error rather than a
    TypeError so that one bad field never stops a batch.
    """
    if not isinstance(value, str):
        raise InvalidFormat(scheme, f"expected text, got {type(value).__name__}")
    if len(value) > MAX_INPUT_LENGTH:
        raise InvalidLength(scheme, f"input of {len(value)} characters is too long")
    if value.isascii() and value.isalnum() and not _deletes_alnum(deletechars):
        # Already clean (what furnishers' software sends): NFKC, stdnum's character
        # map and the deletions change nothing, so skip them (most of the cost).
        return value.upper()
    text = unicodedata.normalize("NFKC", value)
    text = stdnum_clean(text, deletechars)
    return "".join(text.split()).upper()


@functools.lru_cache(maxsize=64)
def _deletes_alnum(deletechars: str) -> bool:
    """Whether a deletion set would remove letters or digits (none of ours does).

    Cached: ``clean`` asks this for every identifier, with one of a handful
    of deletion sets, and the scan cost half a microsecond each time.
    """
    return any(c.isalnum() for c in deletechars)


def require_ascii_alnum(value: str, scheme: str) -> None:
    """Reject anything outside ``[0-9A-Z]``, which ``str.isalnum`` alone would let through."""
    if not (value.isascii() and value.isalnum() and value.upper() == value):
        raise InvalidFormat(scheme, "only the characters 0-9 and A-Z are allowed")


def mask_compact(value: str) -> str:
    """Show only the last 4 characters (fewer for short values, never all of them)."""
    keep = min(4, len(value) // 2)
    return "*" * (len(value) - keep) + value[len(value) - keep :]


def from_stdnum(
    exc: Exception, scheme: str, message: str, rule: str | None = None
) -> InvalidIdentifier:
    """Translate a python-stdnum ValidationError into our typed exception."""
    if isinstance(exc, StdnumInvalidChecksum):
        return InvalidChecksum(scheme, message, rule)
    if isinstance(exc, StdnumInvalidLength):
        return InvalidLength(scheme, message, rule)
    if isinstance(exc, StdnumInvalidComponent):
        return InvalidComponent(scheme, message, rule)
    return InvalidFormat(scheme, message, rule)
