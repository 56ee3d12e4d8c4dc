"""The model definition as data: what the person and enterprise models compare, and how.

Settings are built from Splink's dialect-neutral creators (``comparison_level_library``
and ``block_on``) plus a few ``CustomLevel`` conditions in plain SQL (equality,
``IS NULL``, ``substr``/``right``/``length``, ``damerau_levenshtein``) with
``base_dialect_str="duckdb"``, which Splink transpiles with SQLGlot; string
similarity always goes through Splink's own levels, whose function names differ
per backend. So the same :func:`person_spec` / :func:`enterprise_spec` settings
run on Splink's DuckDB backend (the default here) and on its Spark backend
(``tests/resolve/test_resolve_model.py`` renders them for Spark).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_creator import ComparisonCreator

__all__ = ["BLOCK_KEYS", "COMMON", "ModelSpec", "enterprise_spec", "person_spec", "spec_for"]

_DUCKDB: Final = "duckdb"

#: Frequency columns added to the frame before blocking: how many mentions
#: share the name, or the given name within the city.
BLOCK_KEYS: Final = {"name_freq": "name_rom", "giv_city_freq": "giv_rom, city_key"}
#: Above this many mentions a name (or a given name in one city) is too common
#: to block on: every pair in the group would be compared, and two mentions that
#: share only a common name cannot be linked anyway. Those that share more are
#: found by the birth date, phone, address and identifier rules.
COMMON: Final = 50


def _custom(sql: str, label: str) -> cll.CustomLevel:
    """A level in DuckDB SQL that Splink transpiles for other backends."""
    return cll.CustomLevel(sql, label_for_charts=label, base_dialect_str=_DUCKDB)


def _null_either(column: str) -> cll.NullLevel:
    """Missing on either side: no evidence either way."""
    return cll.NullLevel(column)


def _person_name_comparison() -> ComparisonCreator:
    """A person's name as one comparison: Han, romanised, order, typos.

    One comparison rather than one per part, because the parts are not
    independent evidence: a swapped name agrees on both parts at once, and
    counting that twice made two common one-character names (王玲 / 玲 王)
    look like proof. Han is compared first: 张伟 = 张伟 is stronger evidence
    than zhang wei = zhang wei, because 章伟 reads the same; a romanised match
    across scripts (张伟 vs ZHANG WEI, or two Latin spellings) is its own
    level, a match of readings between two *different* Han spellings (a
    homophone) a weaker one. Exact levels are adjusted for how common the
    name is (term frequencies), so 王伟 counts for less than 欧阳修.
    """
    cross_script = _custom("name_native_l IS NULL OR name_native_r IS NULL", "not both in Han")
    return cl.CustomComparison(
        output_column_name="name",
        comparison_description="person name (Han or romanised, order-aware)",
        comparison_levels=[
            _null_either("name_rom"),
            cll.ExactMatchLevel("name_native", term_frequency_adjustments=True).configure(
                label_for_charts="same in Han"
            ),
            _custom(
                "name_native_l <> name_native_r AND name_rom_l = name_rom_r",
                "same reading, different Han (homophone)",
            ),
            cll.ExactMatchLevel("name_rom", term_frequency_adjustments=True).configure(
                label_for_charts="same romanised"
            ),
            cll.ColumnsReversedLevel("fam_native", "giv_native", symmetrical=True).configure(
                label_for_charts="family and given swapped, in Han"
            ),
            cll.And(
                cll.ColumnsReversedLevel("fam_rom", "giv_rom", symmetrical=True), cross_script
            ).configure(label_for_charts="family and given swapped, romanised"),
            cll.And(
                cll.ExactMatchLevel("fam_rom"), cll.JaroWinklerLevel("giv_rom", 0.88)
            ).configure(label_for_charts="same family name, given name with a typo"),
            cll.And(
                cll.ExactMatchLevel("giv_rom"), cll.JaroWinklerLevel("fam_rom", 0.88)
            ).configure(label_for_charts="same given name, family name with a typo"),
            _custom(
                "fam_rom_l = fam_rom_r AND (giv_rom_l IS NULL OR giv_rom_r IS NULL)",
                "same family name, one given name missing",
            ),
            cll.JaroWinklerLevel("name_rom", 0.92).configure(label_for_charts="similar whole name"),
            cll.ExactMatchLevel("fam_rom").configure(label_for_charts="same family name only"),
            cll.ExactMatchLevel("giv_rom").configure(label_for_charts="same given name only"),
            cll.ElseLevel(),
        ],
    )


def _date_comparison(column: str, label: str) -> ComparisonCreator:
    """A date as ISO text: equal, one keying slip (typo, transposition, day and
    month swapped), same year, or different.

    The edit distance only runs where the year or the month and day agree,
    which any single slip leaves intact: most compared pairs are strangers,
    and the distance is the costliest function in the model. The year, the
    month-day and the day-month-swapped date are frame columns, so these
    tests are plain equalities.
    """
    slip = (
        f"{column}_l = {column}_dm_r OR CASE WHEN {column}_y_l = {column}_y_r"
        f" OR {column}_md_l = {column}_md_r"
        f" THEN damerau_levenshtein({column}_l, {column}_r) <= 1 ELSE FALSE END"
    )
    return cl.CustomComparison(
        output_column_name=label,
        comparison_levels=[
            _null_either(column),
            cll.ExactMatchLevel(column),
            _custom(slip, "one keying slip"),
            cll.ExactMatchLevel(f"{column}_y").configure(label_for_charts="same year"),
            cll.ElseLevel(),
        ],
    )


def _identifier_comparison() -> ComparisonCreator:
    """Keyed hashes match exactly or not at all; the last four characters still tell."""
    return cl.CustomComparison(
        output_column_name="identifier",
        comparison_levels=[
            _custom(
                "id_hash_l IS NULL OR id_hash_r IS NULL OR id_scheme_l <> id_scheme_r",
                "no identifier of the same scheme on both",
            ).configure(is_null_level=True),
            cll.ExactMatchLevel("id_hash"),
            cll.ExactMatchLevel("id_last4").configure(label_for_charts="same last four"),
            cll.ElseLevel(),
        ],
    )


def _location_comparisons() -> list[ComparisonCreator]:
    """Where the subject lives: the street address, and the area (city, postcode).

    Two comparisons, not three: a move changes the city and the postcode
    together, and scoring them as independent disagreements let one move
    outweigh an exact name and birth date. Street and area stay apart because
    a keying error usually hits one of them only (FEBRL's errors do).
    """
    no_area = (
        "(city_key_l IS NULL AND postcode_l IS NULL) OR (city_key_r IS NULL AND postcode_r IS NULL)"
    )
    return [
        cl.CustomComparison(
            output_column_name="address",
            comparison_levels=[
                _null_either("addr_key"),
                cll.ExactMatchLevel("addr_key"),
                cll.And(cll.ExactMatchLevel("addr_nums"), cll.JaroWinklerLevel("street_key", 0.85)),
                cll.JaroWinklerLevel("street_key", 0.92),
                cll.ExactMatchLevel("addr_nums"),
                cll.ElseLevel(),
            ],
        ),
        cl.CustomComparison(
            output_column_name="area",
            comparison_description="city and postcode",
            comparison_levels=[
                _custom(no_area, "no city or postcode on one side").configure(is_null_level=True),
                cll.And(cll.ExactMatchLevel("city_key"), cll.ExactMatchLevel("postcode")).configure(
                    label_for_charts="same city and postcode"
                ),
                cll.ExactMatchLevel("postcode").configure(label_for_charts="same postcode"),
                cll.ExactMatchLevel("city_key").configure(label_for_charts="same city"),
                cll.Or(
                    cll.JaroWinklerLevel("city_key", 0.9), cll.LevenshteinLevel("postcode", 1)
                ).configure(label_for_charts="similar city or postcode"),
                cll.ElseLevel(),
            ],
        ),
    ]


def _phone_comparison() -> ComparisonCreator:
    """Phone digits: equal, one digit off, or different."""
    return cl.CustomComparison(
        output_column_name="phone",
        comparison_levels=[
            _null_either("phone"),
            cll.ExactMatchLevel("phone"),
            cll.LevenshteinLevel("phone", 1),
            cll.ElseLevel(),
        ],
    )


@dataclass(frozen=True)
class ModelSpec:
    """What a model compares and how it is trained: the model definition as data.

    ``prior_rules`` are deterministic rules used (with ``prior_recall``) to
    estimate the probability that two random mentions match; ``em_rules``
    are the blocking passes of expectation maximisation, each leaving the
    comparisons it blocks on to the other pass.
    """

    kind: str
    comparisons: Sequence[ComparisonCreator]
    blocking_rules: Sequence[BlockingRuleCreator | str]
    prior_rules: Sequence[BlockingRuleCreator | str]
    em_rules: Sequence[BlockingRuleCreator | str]
    prior_recall: float = 0.8

    def settings(self) -> SettingsCreator:
        """Splink settings for any backend (DuckDB by default, or Spark)."""
        return SettingsCreator(
            link_type="dedupe_only",
            unique_id_column_name="unique_id",
            comparisons=list(self.comparisons),
            blocking_rules_to_generate_predictions=[*self.blocking_rules],  # type: ignore[list-item]
            retain_intermediate_calculation_columns=False,
            retain_matching_columns=False,
            additional_columns_to_retain=[],
        )


def person_spec() -> ModelSpec:
    """The person model: names, birth date, identifier, address, phone."""
    return ModelSpec(
        kind="person",
        comparisons=[
            _person_name_comparison(),
            _date_comparison("dob", "birth_date"),
            _identifier_comparison(),
            *_location_comparisons(),
            _phone_comparison(),
        ],
        blocking_rules=[
            block_on("id_scheme", "id_hash"),
            f"l.fam_rom = r.fam_rom AND l.giv_rom = r.giv_rom"
            f" AND l.name_freq <= {COMMON} AND r.name_freq <= {COMMON}",
            "l.fam_rom = r.giv_rom AND l.giv_rom = r.fam_rom",
            block_on("dob", "substr(fam_rom, 1, 1)"),
            block_on("dob", "substr(giv_rom, 1, 1)"),
            block_on("phone"),
            block_on("addr_key"),
            block_on("postcode", "addr_nums"),
            block_on("dob", "postcode"),
            block_on("fam_rom", "postcode"),
            f"l.giv_rom = r.giv_rom AND l.city_key = r.city_key"
            f" AND l.giv_city_freq <= {COMMON} AND r.giv_city_freq <= {COMMON}",
        ],
        prior_rules=[
            block_on("id_scheme", "id_hash"),
            block_on("fam_rom", "giv_rom", "dob"),
        ],
        em_rules=[block_on("dob"), block_on("postcode", "addr_nums")],
    )


def enterprise_spec() -> ModelSpec:
    """The enterprise model: legal name, registration date, credit code, address, phone."""
    ends_with = (
        "length(org_name_l) >= 4 AND length(org_name_r) >= 4 AND ("
        "right(org_name_l, length(org_name_r)) = org_name_r OR "
        "right(org_name_r, length(org_name_l)) = org_name_l)"
    )
    return ModelSpec(
        kind="enterprise",
        comparisons=[
            cl.CustomComparison(
                output_column_name="legal_name",
                comparison_levels=[
                    _null_either("org_name"),
                    cll.ExactMatchLevel("org_name"),
                    _custom(ends_with, "one name ends the other (region left out)"),
                    cll.LevenshteinLevel("org_name", 1),
                    cll.LevenshteinLevel("org_name", 2),
                    cll.ElseLevel(),
                ],
            ),
            _date_comparison("reg_date", "registration_date"),
            _identifier_comparison(),
            *_location_comparisons(),
            _phone_comparison(),
        ],
        blocking_rules=[
            block_on("id_scheme", "id_hash"),
            block_on("org_name"),
            block_on("reg_date"),
            block_on("phone"),
            block_on("addr_key"),
            block_on("substr(org_name, 3, 4)"),
        ],
        prior_rules=[block_on("id_scheme", "id_hash"), block_on("org_name", "reg_date")],
        em_rules=[block_on("reg_date"), block_on("addr_key")],
    )


def spec_for(kind: str) -> ModelSpec:
    """The model definition for ``person`` or ``enterprise`` mentions."""
    if kind == "person":
        return person_spec()
    if kind == "enterprise":
        return enterprise_spec()
    raise ValueError(f"no model for subject kind {kind!r}")
