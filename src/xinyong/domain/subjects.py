"""Who a credit file is about: a person or an enterprise, with names and addresses.

A subject is an identity that records are resolved to; names, identifiers and
addresses are as furnished and may be many per subject. Nothing here describes a
person beyond what is needed to match records and to address a report: no sex,
no birthplace, no relatives (see :mod:`xinyong.domain.forbidden`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Final

from xinyong.domain._checks import (
    country_code,
    enum_field,
    non_blank,
    optional_non_blank,
    plain_date,
    require,
    utc_instant,
)

__all__ = [
    "Address",
    "Enterprise",
    "Identifier",
    "NameScript",
    "PersonName",
    "Subject",
    "SubjectKind",
    "SubjectStatus",
]

_SCHEME: Final = re.compile(r"[a-z][a-z0-9_]*")


class SubjectKind(StrEnum):
    """A natural person or an enterprise; rules differ (consent, retention, publicity)."""

    PERSON = "person"
    ENTERPRISE = "enterprise"


class SubjectStatus(StrEnum):
    """Resolution state: merges and splits keep the old id so that history stays linked."""

    ACTIVE = "active"
    MERGED = "merged"
    SPLIT = "split"


class NameScript(StrEnum):
    """Writing system of a name; decides name order and how to compare names."""

    LATIN = "latin"
    HAN = "han"


@dataclass(frozen=True, slots=True, kw_only=True)
class Subject:
    """A person or an enterprise that has (or may get) a credit file.

    A merged subject points at the survivor in ``merged_into``; only merged
    subjects may, so that following the pointer always ends at a live file.
    """

    subject_id: str
    kind: SubjectKind
    created_at: datetime
    status: SubjectStatus = SubjectStatus.ACTIVE
    merged_into: str | None = None

    def __post_init__(self) -> None:
        non_blank(self.subject_id, "subject_id")
        enum_field(self, "kind", SubjectKind)
        enum_field(self, "status", SubjectStatus)
        utc_instant(self.created_at, "created_at")
        if self.status is SubjectStatus.MERGED:
            require(
                self.merged_into is not None,
                "merged_into",
                "required",
                "a merged subject must name the subject it was merged into",
            )
            require(
                self.merged_into != self.subject_id,
                "merged_into",
                "self_reference",
                "a subject cannot be merged into itself",
            )
        else:
            require(
                self.merged_into is None,
                "merged_into",
                "not_applicable",
                f"only a merged subject has merged_into (status is {self.status})",
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonName:
    """A person's name as furnished, with its parts when the furnisher split it.

    ``full_name`` is always present because many furnishers (and most Han-script
    records) send only the whole name; the parts are optional.
    """

    subject_id: str
    full_name: str
    family_name: str | None = None
    given_names: str | None = None
    script: NameScript = NameScript.LATIN

    def __post_init__(self) -> None:
        non_blank(self.subject_id, "subject_id")
        non_blank(self.full_name, "full_name")
        optional_non_blank(self.family_name, "family_name")
        optional_non_blank(self.given_names, "given_names")
        enum_field(self, "script", NameScript)

    @classmethod
    def from_parts(
        cls, subject_id: str, family_name: str, given_names: str, script: NameScript
    ) -> PersonName:
        """Build the full name in the script's order: Han family name first, no space."""
        if script is NameScript.HAN:
            full = f"{family_name}{given_names}"
        else:
            full = f"{given_names} {family_name}".strip()
        return cls(
            subject_id=subject_id,
            full_name=full,
            family_name=family_name or None,
            given_names=given_names or None,
            script=script,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Enterprise:
    """Registration details of an enterprise subject.

    The legal representative is a business role recorded by the registrar (and
    a subject of its own), never a family tie.
    """

    subject_id: str
    legal_name: str
    registration_date: date | None = None
    registration_authority: str | None = None
    industry_code: str | None = None
    legal_representative_subject_id: str | None = None

    def __post_init__(self) -> None:
        non_blank(self.subject_id, "subject_id")
        non_blank(self.legal_name, "legal_name")
        plain_date(self.registration_date, "registration_date")
        optional_non_blank(self.registration_authority, "registration_authority")
        optional_non_blank(self.industry_code, "industry_code")
        optional_non_blank(self.legal_representative_subject_id, "legal_representative_subject_id")
        require(
            self.legal_representative_subject_id != self.subject_id,
            "legal_representative_subject_id",
            "self_reference",
            "an enterprise cannot be its own legal representative",
        )


@dataclass(frozen=True, slots=True)
class Identifier:
    """An identifier of a subject in one scheme (cn_ric, cn_uscc, lei, passport, ...).

    A plain value object: checksums and normalisation belong to
    ``xinyong.identifiers``, which hands the domain the compact form. The value
    is kept out of ``repr`` so that a national ID never lands in a log line.
    """

    scheme: str
    value: str = field(repr=False)
    country: str | None = None

    def __post_init__(self) -> None:
        require(
            isinstance(self.scheme, str) and _SCHEME.fullmatch(self.scheme) is not None,
            "scheme",
            "scheme_format",
            f"must be a lower-case snake_case scheme name, got {self.scheme!r}",
        )
        non_blank(self.value, "value")
        require(
            self.value == self.value.strip(),
            "value",
            "not_compact",
            "must be the compact form (no surrounding whitespace)",
        )
        country_code(self.country, "country")


@dataclass(frozen=True, slots=True, kw_only=True)
class Address:
    """A mailing address as furnished: where to send a report, never a location trail."""

    line1: str
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None

    def __post_init__(self) -> None:
        non_blank(self.line1, "line1")
        for name in ("line2", "city", "region", "postal_code"):
            optional_non_blank(getattr(self, name), name)
        country_code(self.country, "country")
