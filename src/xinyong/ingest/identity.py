"""The subject-identifying part of a furnished record, checked and hashed.

Both formats describe the subject the same way (names, birth or registration
date, one identifier, a mailing address, a phone). Here the identifier is
validated with its scheme's checksum, checked against the record's other
facts (a resident number encodes the birth date; a credit code belongs to an
enterprise), and replaced by its keyed hash and masked form.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Any, Final

from xinyong.identifiers import (
    Identifier,
    InvalidIdentifier,
    Validated,
    identifier_hash,
    validate,
)
from xinyong.ingest.records import Violation

PERSON_SCHEMES: Final = frozenset({"cn_ric", "passport", "us_ssn"})
ENTERPRISE_SCHEMES: Final = frozenset({"cn_uscc", "lei", "company_number"})

_COPIED: Final = (
    "subject_kind",
    "family_name",
    "given_names",
    "full_name",
    "legal_name",
    "birth_date",
    "registration_date",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
    "phone",
)


@lru_cache(maxsize=65536)
def _validate(scheme: str, value: str, country: str | None) -> Validated:
    """Validation memoised: a person's number recurs in every monthly report of every account."""
    return validate(scheme, value, country=country)


def _ric_birth_date(compact: str) -> date:
    """The birth date digits of an already validated resident number."""
    return date(int(compact[6:10]), int(compact[10:12]), int(compact[12:14]))


def identity_columns(
    fields: Mapping[str, Any], hash_key: bytes
) -> tuple[dict[str, Any], list[Violation], list[str]]:
    """Ledger identity columns of a record, its violations and its warnings."""
    columns: dict[str, Any] = {name: fields.get(name) for name in _COPIED}
    problems: list[Violation] = []
    warnings: list[str] = []
    kind = fields.get("subject_kind")
    if kind == "person":
        if not (
            fields.get("full_name") or (fields.get("family_name") and fields.get("given_names"))
        ):
            problems.append(
                Violation(
                    "family_name",
                    "required",
                    "a person needs family_name and given_names, or full_name",
                )
            )
    elif kind == "enterprise" and not fields.get("legal_name"):
        problems.append(Violation("legal_name", "required", "an enterprise needs its legal_name"))

    scheme, value = fields.get("id_scheme"), fields.get("id_value")
    columns.update(id_scheme=scheme, id_country=None, id_hash=None, id_masked=None)
    if value is not None and scheme is None:
        problems.append(Violation("id_scheme", "required", "id_value is given without id_scheme"))
    elif scheme is not None and value is None:
        problems.append(
            Violation("id_value", "required", f"id_scheme {scheme} is given without id_value")
        )
    elif scheme is not None and value is not None:
        allowed = PERSON_SCHEMES if kind == "person" else ENTERPRISE_SCHEMES
        if kind in ("person", "enterprise") and scheme not in allowed:
            problems.append(
                Violation("id_scheme", "subject_kind", f"{scheme} does not identify a {kind}")
            )
        try:
            validated = _validate(scheme, value, fields.get("id_country"))
        except InvalidIdentifier as exc:
            problems.append(Violation("id_value", exc.rule, f"{scheme} {exc.message}"))
        else:
            identifier = Identifier.from_validated(validated)
            warnings.extend(f"id_value: {w}" for w in validated.warnings)
            columns.update(
                id_country=identifier.country,
                id_hash=identifier_hash(hash_key, identifier),
                id_masked=identifier.masked(),
            )
            birth = fields.get("birth_date")
            if scheme == "cn_ric":
                encoded = _ric_birth_date(identifier.value)
                if birth is None:
                    columns["birth_date"] = encoded
                elif isinstance(birth, date) and encoded != birth:
                    problems.append(
                        Violation(
                            "birth_date",
                            "id_mismatch",
                            f"birth_date {birth} differs from {encoded} in the resident number",
                        )
                    )
    return columns, problems, warnings
