"""What an attribute is: a name, what it means, its unit, and one SQL expression.

An attribute is data, not code: the same definition runs on DuckDB here and on
Spark (transpiled by SQLGlot), is printed for a subject, documented in
``docs/attributes.md`` and hashed into a scorecard's identity, so a model
trained on one definition can never silently be scored on another.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

__all__ = ["AppliesTo", "Attribute", "Source", "Unit", "fingerprint"]

_NAME: Final = re.compile(r"^[a-z][a-z0-9_]{1,62}$")


class Unit(StrEnum):
    """The unit of an attribute's value."""

    COUNT = "count"
    MONTHS = "months"
    RATIO = "ratio"
    MINOR_UNITS = "minor units"
    CODE = "code"
    FLAG = "flag"


class AppliesTo(StrEnum):
    """Which subjects an attribute is computed for; others get NULL."""

    PERSON = "person"
    ENTERPRISE = "enterprise"
    BOTH = "both"


class Source(StrEnum):
    """The file table an attribute aggregates, shown rows only (``attr_<source>``)."""

    ACCOUNTS = "accounts"
    HISTORY = "history"
    PUBLIC_RECORDS = "public_records"
    INQUIRIES = "inquiries"


@dataclass(frozen=True, slots=True)
class Attribute:
    """One attribute: an aggregate SQL expression over one source, per subject.

    ``sql`` is evaluated with ``GROUP BY subject_id`` over the shown rows of
    ``source``. ``if_no_rows`` is the value for a subject with no such rows:
    ``0`` where none means zero (no inquiries), ``None`` where it means the
    attribute cannot be measured (no payment history at all), so scorecards
    can give missing its own bin. ``reason`` is the plain-language reason text
    when the attribute costs a subject points.
    """

    name: str
    meaning: str
    unit: Unit
    applies_to: AppliesTo
    source: Source
    sql: str
    if_no_rows: int | None
    reason: str
    dtype: str = "BIGINT"

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"attribute name must match {_NAME.pattern}: {self.name!r}")
        for name in ("unit", "applies_to", "source"):
            kind = {"unit": Unit, "applies_to": AppliesTo, "source": Source}[name]
            object.__setattr__(self, name, kind(getattr(self, name)))
        if self.dtype not in ("BIGINT", "DOUBLE"):
            raise ValueError(f"dtype must be BIGINT or DOUBLE, got {self.dtype!r}")
        if not self.meaning.strip() or not self.reason.strip() or not self.sql.strip():
            raise ValueError(f"attribute {self.name} needs a meaning, a reason and SQL")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (for model cards and the registry hash)."""
        return {
            "name": self.name,
            "meaning": self.meaning,
            "unit": self.unit.value,
            "applies_to": self.applies_to.value,
            "source": self.source.value,
            "sql": self.sql,
            "if_no_rows": self.if_no_rows,
            "dtype": self.dtype,
        }

    def describe(self) -> str:
        """The definition in words, as ``xinyong attributes`` and the docs print it."""
        empty = "NULL (missing)" if self.if_no_rows is None else str(self.if_no_rows)
        return (
            f"{self.name} ({self.unit.value}, {self.applies_to.value})\n"
            f"  {self.meaning}\n"
            f"  from: {self.source.value} (shown rows); with no such rows: {empty}\n"
            f"  SQL: {self.sql}"
        )


_COMPUTED: Final = ("name", "applies_to", "source", "sql", "if_no_rows", "dtype")


def fingerprint(attributes: Iterable[Attribute]) -> str:
    """SHA-256 over what computes the values (not the wording of the texts): a
    scorecard stores it, so a changed definition changes the model's id."""
    rows = [{k: a.to_dict()[k] for k in _COMPUTED} for a in attributes]
    payload = json.dumps(rows, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
