"""Column types that behave the same on SQLite and PostgreSQL.

SQLite has no time-zone-aware timestamp: it stores the text it is given and
hands back naive datetimes. An audit hash computed over an instant must come out
the same after a round trip through either backend, so instants go through
:class:`UTCDateTime`, which refuses naive input and always returns aware UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = ["BigId", "UTCDateTime", "utc_now"]


class UTCDateTime(TypeDecorator[datetime]):
    """``TIMESTAMP WITH TIME ZONE`` that stores and returns aware UTC datetimes.

    Naive datetimes are rejected on the way in: the store cannot know which zone
    a naive value meant, and guessing would make instants (and the audit hashes
    over them) ambiguous.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: instants must be timezone-aware")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # SQLite keeps text; store UTC without an offset so text order is time order.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _big_id() -> TypeEngine[int]:
    """A 64-bit key that still autoincrements on SQLite.

    SQLite only autoincrements ``INTEGER PRIMARY KEY`` (the rowid alias, which is
    64-bit anyway); ``BIGINT PRIMARY KEY`` would not, so SQLite gets ``INTEGER``.
    """
    return BigInteger().with_variant(Integer(), "sqlite")


BigId: TypeEngine[int] = _big_id()


def utc_now() -> datetime:
    """The current instant, timezone-aware UTC (the only kind the store accepts)."""
    return datetime.now(UTC)
