"""No domain type may hold a forbidden category; the scanner must catch one that tries."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from enum import Enum

import pytest

import xinyong.domain
from xinyong.domain import (
    FORBIDDEN_CATEGORIES,
    ForbiddenCategory,
    forbidden_field_names,
    forbidden_match,
)


def _domain_modules() -> list[object]:
    return [
        importlib.import_module(f"xinyong.domain.{info.name}")
        for info in pkgutil.iter_modules(xinyong.domain.__path__)
    ]


def _domain_classes() -> list[type]:
    classes = []
    for module in _domain_modules():
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ == module.__name__:  # type: ignore[attr-defined]
                classes.append(obj)
    return classes


def _dataclass_field_names() -> dict[str, str]:
    names = {}
    for cls in _domain_classes():
        if dataclasses.is_dataclass(cls):
            for field in dataclasses.fields(cls):
                names[f"{cls.__name__}.{field.name}"] = field.name
    return names


def test_the_scan_sees_the_data_model() -> None:
    fields = set(_dataclass_field_names())
    for expected in (
        "Account.payment_history_profile",
        "PersonName.family_name",
        "AuditEvent.prev_hash",
        "Consent.revoked_at",
        "Score.ledger_snapshot",
        "PublicRecord.expires_on",
        "Enterprise.legal_representative_subject_id",
    ):
        assert expected in fields
    assert len(fields) > 100


def test_no_domain_dataclass_field_is_forbidden() -> None:
    fields = _dataclass_field_names()
    hits = {qualified: forbidden_match(name) for qualified, name in fields.items()}
    assert {k: v for k, v in hits.items() if v is not None} == {}


def test_no_domain_code_or_category_is_forbidden() -> None:
    # Codes are data too: no enum may offer a forbidden category as a value.
    # The stop list itself (ForbiddenCategory) is exempt, naturally.
    names = []
    for cls in _domain_classes():
        if issubclass(cls, Enum) and cls is not ForbiddenCategory:
            names += [f"{m.name}" for m in cls] + [str(m.value) for m in cls]
            names.append(cls.__name__)
        elif dataclasses.is_dataclass(cls):
            names.append(cls.__name__)
    assert forbidden_field_names(names) == []


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("religion", ForbiddenCategory.RELIGION),
        ("religiousAffiliation", ForbiddenCategory.RELIGION),
        ("ethnicity_code", ForbiddenCategory.ETHNICITY),
        ("race", ForbiddenCategory.ETHNICITY),
        ("political_party", ForbiddenCategory.POLITICAL_OPINION),
        ("weibo_speech_score", ForbiddenCategory.POLITICAL_OPINION),
        ("health_status", ForbiddenCategory.HEALTH),
        ("medical_history", ForbiddenCategory.HEALTH),
        ("blood_type", ForbiddenCategory.HEALTH),
        ("diagnosis", ForbiddenCategory.HEALTH),
        ("dna_sample_id", ForbiddenCategory.GENETIC),
        ("genetic_marker", ForbiddenCategory.GENETIC),
        ("fingerprint_template", ForbiddenCategory.BIOMETRIC),
        ("face_image", ForbiddenCategory.BIOMETRIC),
        ("biometric_hash", ForbiddenCategory.BIOMETRIC),
        ("gps_fix", ForbiddenCategory.LOCATION_TRACKING),
        ("latitude", ForbiddenCategory.LOCATION_TRACKING),
        ("home_longitude", ForbiddenCategory.LOCATION_TRACKING),
        ("location_history", ForbiddenCategory.LOCATION_TRACKING),
        ("spouse_subject_id", ForbiddenCategory.RELATIVES),
        ("parent_id", ForbiddenCategory.RELATIVES),
        ("children", ForbiddenCategory.RELATIVES),
        ("sibling_count", ForbiddenCategory.RELATIVES),
        ("relatives", ForbiddenCategory.RELATIVES),
        ("family_members", ForbiddenCategory.RELATIVES),
        ("marital_status", ForbiddenCategory.RELATIVES),
        ("sex", ForbiddenCategory.SEX),
        ("Gender", ForbiddenCategory.SEX),
        ("trade_union_member", ForbiddenCategory.TRADE_UNION),
    ],
)
def test_scanner_catches_forbidden_names(name: str, category: ForbiddenCategory) -> None:
    match = forbidden_match(name)
    assert match is not None and match[0] is category
    assert forbidden_field_names(["account_id", name, "currency"]) == [name]


@pytest.mark.parametrize(
    "name",
    [
        "family_name",
        "given_names",
        "full_name",
        "trace_id",
        "surface_area",
        "reason",
        "person_id",
        "location",
        "postal_code",
        "region",
        "date_of_birth",
        "parent_org_id",
        "general_ledger",
        "legal_representative_subject_id",
        "record_no",
        "special_comment",
        "compliance_condition",
        "relative_path",
        "face_value",
        "grace_period",
        "cardinality",
    ],
)
def test_scanner_leaves_lawful_names_alone(name: str) -> None:
    assert forbidden_match(name) is None


def test_every_category_has_law_terms_and_a_description() -> None:
    assert {info.category for info in FORBIDDEN_CATEGORIES} == set(ForbiddenCategory)
    for info in FORBIDDEN_CATEGORIES:
        assert info.legal_basis and info.terms and info.description
        # each category's own name is caught by its own list
        assert forbidden_match(info.category.value) is not None
    joined = " ".join(b for info in FORBIDDEN_CATEGORIES for b in info.legal_basis)
    for law in ("art. 14", "GDPR art. 9", "FCRA"):
        assert law in joined
