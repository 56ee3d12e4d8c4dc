"""Which days are working days in a jurisdiction: weekends, public holidays, make-up days.

Deadlines the law counts in business (or working) days -- FCRA 611(a)(5)(B)'s
five business days to tell a consumer of a reinsertion, the CN registers'
"20 working days" -- come out early if public holidays are counted as working
days, and in China a weekday holiday is often paid for by working a weekend
(调休), so a plain Monday-to-Friday count is wrong both ways. The calendar is
part of the jurisdiction profile (:attr:`Profile.calendar`), so handlers never
name a country. The public holidays come from the ``holidays`` package, which
also carries China's official make-up working weekends (``weekend_workdays``).

Pure apart from reading the package's bundled tables; each year is computed
once per calendar and cached. The tables are data: China's make-up days for a
year are known once the State Council publishes that year's notice (usually in
the November before), so the ``holidays`` pin must be raised every year; until
then that year counts its statutory holidays but no make-up weekend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

__all__ = ["WEEKDAYS_ONLY", "WorkingCalendar"]


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """A working-day calendar: Monday to Friday, less ``country``'s public holidays
    (``subdiv`` narrows them to a state or province), plus its make-up working weekends.

    ``country`` None: no public holidays are known, so only weekends are days off
    (a deadline may then come out earlier than the law's, never later).
    ``basis`` says which holidays count and why, for the profile's documentation.
    """

    country: str | None
    basis: str
    subdiv: str | None = None

    def __post_init__(self) -> None:
        if not self.basis.strip():
            raise ValueError("a working-day calendar must cite its basis")
        if self.country is None:
            if self.subdiv is not None:
                raise ValueError("a subdivision needs a country")
            return
        # Refuse an unknown country or subdivision now, not on the first deadline.
        try:
            holidays.country_holidays(self.country, subdiv=self.subdiv, years=())
        except NotImplementedError as exc:  # how the holidays package refuses a name
            where = self.country if self.subdiv is None else f"{self.country}/{self.subdiv}"
            raise ValueError(f"{where}: no public-holiday calendar: {exc}") from None

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day here."""
        if self.country is None:
            return day.weekday() < 5
        days_off, weekend_workdays = _year(self.country, self.subdiv, day.year)
        if day.weekday() >= 5:
            return day in weekend_workdays
        return day not in days_off

    def add_working_days(self, start: date, days: int) -> date:
        """``start`` plus ``days`` working days: the ``days``-th working day after ``start``
        (``start`` itself for 0, whatever day it is)."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = start
        left = days
        while left:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day


@lru_cache(maxsize=256)
def _year(country: str, subdiv: str | None, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """The public holidays and the make-up working weekend days of one year."""
    table = holidays.country_holidays(country, subdiv=subdiv, years=year)
    days_off = frozenset(d for d in table if d.year == year)
    workdays = frozenset(d for d in table.weekend_workdays if d.year == year)
    return days_off, workdays


#: Monday to Friday, no public holidays: for a profile whose jurisdiction has no
#: single holiday calendar (the EU) until a deployment sets its member state's.
WEEKDAYS_ONLY = WorkingCalendar(
    None, basis="Monday to Friday; no public-holiday calendar is set for this deployment"
)
