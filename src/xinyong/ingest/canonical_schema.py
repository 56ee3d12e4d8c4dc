"""The canonical tabular format's JSON Schemas, compiled into field checks.

The published schemas (``schemas/*.schema.json``) are the one source of truth
for field names, types, code lists and lengths: this module reads them and
turns each property into a small check, so the documentation a furnisher reads
and the rules ingest applies cannot drift apart. A check returns every
violation of a field, never stops at the first, and coerces text (CSV) and
typed (JSON Lines, Parquet) values to one Python form.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Final

from xinyong.ingest.records import Violation

SCHEMA_FILES: Final[dict[str, str]] = {
    "account": "canonical-account.schema.json",
    "public_record": "canonical-public-record.schema.json",
}

_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Control characters have no place in a name or code, and NUL breaks PostgreSQL text."""

_SURROGATE: Final = re.compile(r"[\ud800-\udfff]")
"""A lone UTF-16 surrogate (``json.loads`` makes one of ``"\\ud800"``) is not a character:
no UTF-8 store can hold it."""

INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1
"""Amounts are stored as 64-bit integers of minor units; a value beyond is rejected."""

_MAX_INT_DIGITS: Final = len(str(INT64_MAX))
"""More significant digits than this cannot fit; checked before ``int()``, which refuses
text of more than 4300 digits with a ValueError."""

Check = Callable[[Any], tuple[Any, list[Violation]]]


@dataclass(frozen=True, slots=True)
class KindSchema:
    """One record kind: its required fields and a compiled check per field.

    ``required`` is the document's ``required`` list: a field named there must
    be given. Where its type also allows null (``current_balance``), null is
    a valid value but leaving the field out is not, as JSON Schema means it;
    ``present_required`` lists those fields, whose presence is checked apart
    from their value (:func:`missing_required`).
    """

    kind: str
    required: frozenset[str]
    checks: Mapping[str, Check]
    document: Mapping[str, Any]
    present_required: frozenset[str] = frozenset()

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(self.checks)


def load_schema_document(kind: str) -> dict[str, Any]:
    """The JSON Schema of a record kind, as shipped inside the package."""
    text = (
        resources.files("xinyong.ingest")
        .joinpath("schemas", SCHEMA_FILES[kind])
        .read_text(encoding="utf-8")
    )
    document: dict[str, Any] = json.loads(text)
    return document


@cache
def kind_schema(kind: str) -> KindSchema:
    """The compiled schema of ``account`` or ``public_record`` records."""
    document = load_schema_document(kind)
    properties = document["properties"]
    checks = {name: _compile(name, spec) for name, spec in properties.items()}
    required = frozenset(document.get("required", ()))
    nullable = frozenset(n for n in required if n in properties and "null" in _types(properties[n]))
    return KindSchema(kind, required, checks, document, nullable)


def missing_required(name: str) -> Violation:
    """The violation of a required field left out where null would have been valid."""
    return Violation(name, "required", f"{name} is required (give null if it is unknown)")


def _types(spec: Mapping[str, Any]) -> set[str]:
    declared = spec.get("type", "string")
    return set(declared) if isinstance(declared, list) else {declared}


def _compile(name: str, spec: Mapping[str, Any]) -> Check:
    types = _types(spec)
    nullable = "null" in types
    is_integer = "integer" in types
    is_date = spec.get("format") == "date"
    enum = None if "enum" not in spec else {v for v in spec["enum"] if v is not None}
    const = spec.get("const")
    pattern = re.compile(spec["pattern"]) if "pattern" in spec else None
    max_length = spec.get("maxLength")
    min_length = spec.get("minLength")
    minimum = spec.get("minimum")

    def check(value: Any) -> tuple[Any, list[Violation]]:
        if isinstance(value, str) and value.strip() == "":
            value = None
        if value is None:
            if nullable:
                return None, []
            return None, [Violation(name, "required", f"{name} is required")]
        if is_integer:
            return _check_integer(name, value, minimum)
        if is_date:
            return _check_date(name, value)
        if not isinstance(value, str):
            value = str(value)
        text = value.strip()
        problems: list[Violation] = []
        if _SURROGATE.search(text):
            problems.append(
                Violation(name, "encoding", f"{name} holds a lone surrogate, which is not text")
            )
            text = _SURROGATE.sub("\ufffd", text)
        if _CONTROL.search(text):
            problems.append(
                Violation(name, "control_character", f"{name} contains a control character")
            )
            text = _CONTROL.sub("\ufffd", text)
        if const is not None and text != const:
            problems.append(Violation(name, "code_list", f"{name} must be {const!r}, got {text!r}"))
        if enum is not None and text not in enum:
            allowed = ", ".join(sorted(enum))
            problems.append(
                Violation(name, "code_list", f"{name} {text!r} is not one of: {allowed}")
            )
        if max_length is not None and len(text) > max_length:
            problems.append(
                Violation(name, "max_length", f"{name} is {len(text)} long, at most {max_length}")
            )
        if min_length is not None and len(text) < min_length:
            problems.append(Violation(name, "required", f"{name} must not be empty"))
        if pattern is not None and enum is None and not pattern.fullmatch(text):
            problems.append(
                Violation(name, "format", f"{name} {text!r} does not match {pattern.pattern}")
            )
        return text, problems

    return check


def _check_integer(name: str, value: Any, minimum: int | None) -> tuple[Any, list[Violation]]:
    if isinstance(value, bool):
        return None, [Violation(name, "integer", f"{name} must be a whole number of minor units")]
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
        text = value.strip()
        sign = "-" if text.startswith("-") else ""
        digits = text.lstrip("+-")
        if len(digits) > _MAX_INT_DIGITS:  # drop leading zeros (of any script) first
            lead = 0
            while lead < len(digits) - 1 and unicodedata.decimal(digits[lead]) == 0:
                lead += 1
            digits = digits[lead:]
            if len(digits) > _MAX_INT_DIGITS:
                return None, [_out_of_range(name)]
        number = int(sign + digits)
    else:
        return None, [
            Violation(name, "integer", f"{name} {value!r} is not a whole number of minor units")
        ]
    if not INT64_MIN <= number <= INT64_MAX:
        return None, [_out_of_range(name)]
    if minimum is not None and number < minimum:
        return number, [Violation(name, "non_negative", f"{name} must not be negative: {number}")]
    return number, []


def _out_of_range(name: str) -> Violation:
    return Violation(
        name, "range", f"{name} is out of the range stored ({INT64_MIN} to {INT64_MAX} minor units)"
    )


def _check_date(name: str, value: Any) -> tuple[Any, list[Violation]]:
    if isinstance(value, date):
        return value, []
    text = str(value).strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None, [Violation(name, "date", f"{name} {text!r} is not a date YYYY-MM-DD")]
    try:
        return date.fromisoformat(text), []
    except ValueError:
        return None, [Violation(name, "date", f"{name} {text!r} is not a date that exists")]
