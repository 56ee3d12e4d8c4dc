"""When a deadline day ends: shared by the dispute's own deadline and its notices'."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

__all__ = ["end_of_day"]


def end_of_day(day: date) -> datetime:
    """The last second of ``day`` UTC: a deadline day is met by an answer on that day."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
