"""What the data model must never hold, as data, and a scanner for field names.

Credit-reporting law forbids these categories and they predict nothing a lender
may lawfully use (DESIGN.md, "What the data model never holds"). Keeping them as
data lets a test scan every domain dataclass field (and every store column) and
fail the build the day someone adds ``religion`` or ``spouse_id``: the cheapest
place to stop such a field is before it exists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

__all__ = [
    "BENIGN_PHRASES",
    "FORBIDDEN_CATEGORIES",
    "ForbiddenCategory",
    "ForbiddenCategoryInfo",
    "forbidden_field_names",
    "forbidden_match",
]

CN_ART_14: Final = "CN Credit Reporting Industry Regulation (2013) art. 14"
CN_PIPL_28: Final = "CN Personal Information Protection Law (2021) art. 28"
GDPR_9: Final = "GDPR art. 9(1)"
FCRA_604G: Final = "FCRA 604(g) (medical information)"
ECOA: Final = "ECOA 15 U.S.C. 1691(a); Regulation B 12 CFR 1002.5"


class ForbiddenCategory(StrEnum):
    """A kind of information no field, code or free-text category may carry."""

    POLITICAL_OPINION = "political_opinion"
    RELIGION = "religion"
    ETHNICITY = "ethnicity"
    HEALTH = "health"
    GENETIC = "genetic"
    BIOMETRIC = "biometric"
    LOCATION_TRACKING = "location_tracking"
    RELATIVES = "relatives"
    SEX = "sex"
    TRADE_UNION = "trade_union"


@dataclass(frozen=True, slots=True)
class ForbiddenCategoryInfo:
    """One forbidden category: what it covers, the law that forbids it, and its stop terms.

    ``terms`` are matched against whole words of a field name (``race`` hits
    ``race_code`` but not ``trace_id``); ``stems`` are matched anywhere in the
    name with separators removed, for words that cannot occur by accident.
    """

    category: ForbiddenCategory
    description: str
    legal_basis: tuple[str, ...]
    terms: tuple[str, ...]
    stems: tuple[str, ...] = ()


FORBIDDEN_CATEGORIES: Final[tuple[ForbiddenCategoryInfo, ...]] = (
    ForbiddenCategoryInfo(
        ForbiddenCategory.POLITICAL_OPINION,
        "political opinion, party affiliation, online speech or posts",
        (GDPR_9, "DESIGN.md: no speech or political inputs"),
        ("political", "politics", "opinion", "speech", "social_media", "party_membership"),
        ("politic",),
    ),
    ForbiddenCategoryInfo(
        ForbiddenCategory.RELIGION,
        "religious or philosophical belief",
        (CN_ART_14, CN_PIPL_28, GDPR_9, ECOA),
        ("religion", "religious", "faith", "belief", "church", "mosque", "temple", "worship"),
        ("religio",),
    ),
    ForbiddenCategoryInfo(
        ForbiddenCategory.ETHNICITY,
        "racial or ethnic origin, national origin, skin colour",
        (GDPR_9, ECOA),
        ("race", "racial", "ethnic", "ethnicity", "tribe", "caste", "skin_colour", "skin_color"),
        ("ethnic",),
    ),
    ForbiddenCategoryInfo(
        ForbiddenCategory.HEALTH,
        "health, disease, medical history, disability, blood type",
        (CN_ART_14, CN_PIPL_28, GDPR_9, FCRA_604G),
        (
            "health",
            "medical",
            "diagnosis",
            "disease",
            "illness",
            "disability",
            "blood",
            "patient",
            "hospital",
            "pregnancy",
            "pregnant",
        ),
        ("medical", "disease", "bloodtype"),
    ),
    ForbiddenCategoryInfo(
        ForbiddenCategory.GENETIC,
        "genes, DNA, genome",
        (CN_ART_14, GDPR_9),
        ("genetic", "gene", "genes", "genome", "dna"),
        ("genetic", "genome"),
    ),
    ForbiddenCategoryInfo(
        ForbiddenCategory.BIOMETRIC,
        "fingerprints, face, iris, voice or other biometric identifiers",
        (CN_ART_14, CN_PIPL_28, GDPR_9),
        (
            "biometric",
            "fingerprint",
            "face",
            "facial",
            "iris",
            "retina",
            "voiceprint",
            "palm",
            "gait",
        ),
        ("biometric", "fingerprint", "faceprint", "voiceprint"),
    ),
    ForbiddenCategoryInfo(
        ForbiddenCategory.LOCATION_TRACKING,
        "location tracks: GPS, coordinates, movement history (a mailing address is allowed)",
        (CN_PIPL_28, "DESIGN.md: never a location trail"),
        (
            "gps",
            "latitude",
            "longitude",
            "lat",
            "lng",
            "lon",
            "geolocation",
            "geo",
            "location_history",
            "location_trail",
            "location_track",
            "location_tracking",
            "movement_history",
            "cell_tower",
        ),
        ("latitude", "longitude", "geolocation"),
    ),
    ForbiddenCategoryInfo(
        ForbiddenCategory.RELATIVES,
        "relatives and family ties: sanctions are never attached to a person's family",
        ("DESIGN.md: no relatives", "Regulation B 12 CFR 1002.5(c)-(d) (spouse, marital status)"),
        (
            "relative",
            "relatives",
            "family",
            "kin",
            "kinship",
            "spouse",
            "husband",
            "wife",
            "parent",
            "father",
            "mother",
            "child",
            "children",
            "son",
            "daughter",
            "sibling",
            "brother",
            "sister",
            "marital",
            "household",
        ),
        ("spouse", "sibling", "kinship"),
    ),
    ForbiddenCategoryInfo(
        ForbiddenCategory.SEX,
        "sex, gender, sex life, sexual orientation",
        (ECOA, GDPR_9, "docs/data-model.md: sex is not stored"),
        ("sex", "gender", "sexual", "orientation"),
        ("sexual",),
    ),
    ForbiddenCategoryInfo(
        ForbiddenCategory.TRADE_UNION,
        "trade-union membership",
        (GDPR_9,),
        ("trade_union", "union_member", "union_membership"),
        ("tradeunion",),
    ),
)

BENIGN_PHRASES: Final[tuple[str, ...]] = (
    "family_name",
    "parent_org",
    "parent_company",
    "sister_company",
    "relative_path",
    "face_value",
    "face_amount",
)
"""Phrases that contain a stop term but mean something lawful (a surname is not a
relative, a parent company is not a parent); removed from a name before matching."""

_CAMEL: Final = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT: Final = re.compile(r"[^a-z0-9]+")


def _words(name: str) -> list[str]:
    return [w for w in _SPLIT.split(_CAMEL.sub("_", name).lower()) if w]


def _contains(words: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return any(words[i : i + n] == phrase for i in range(len(words) - n + 1))


def _without_benign(words: list[str]) -> list[str]:
    for benign in BENIGN_PHRASES:
        phrase = benign.split("_")
        n = len(phrase)
        i = 0
        while i <= len(words) - n:
            if words[i : i + n] == phrase:
                words = [*words[:i], "_", *words[i + n :]]
            i += 1
    return words


def forbidden_match(name: str) -> tuple[ForbiddenCategory, str] | None:
    """The category and stop term that ``name`` hits, or ``None`` if it is clean.

    Names are split into words at underscores, punctuation and camelCase
    boundaries; a term matches whole words (a plural ``s`` is allowed), a stem
    matches anywhere in the name with separators removed.
    """
    words = _without_benign(_words(name))
    squashed = "".join(w for w in words if w != "_")
    for info in FORBIDDEN_CATEGORIES:
        for term in info.terms:
            phrase = term.split("_")
            if _contains(words, phrase) or _contains(words, [*phrase[:-1], phrase[-1] + "s"]):
                return info.category, term
        for stem in info.stems:
            if stem in squashed:
                return info.category, stem
    return None


def forbidden_field_names(names: Iterable[str]) -> list[str]:
    """The names, in input order, that match a forbidden category's stop list."""
    return [name for name in names if forbidden_match(name) is not None]
