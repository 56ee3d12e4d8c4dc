"""Declarative credit attributes: name, meaning, unit and one SQL aggregate each.

``ATTRIBUTES`` is the catalogue, ``describe(name)`` explains one, and
``compute_attributes(files)`` computes them all for every subject of a set of
credit files (one row per subject, one column per attribute) on DuckDB; the
same SQL is meant for Spark through SQLGlot (``attribute_steps``).
"""

from __future__ import annotations

from xinyong.attributes.compute import attribute_steps, compute_attributes, source_sql
from xinyong.attributes.definitions import ATTRIBUTES
from xinyong.attributes.model import AppliesTo, Attribute, Source, Unit, fingerprint
from xinyong.attributes.registry import BY_NAME, describe, get

__all__ = [
    "ATTRIBUTES",
    "BY_NAME",
    "AppliesTo",
    "Attribute",
    "Source",
    "Unit",
    "attribute_steps",
    "compute_attributes",
    "describe",
    "fingerprint",
    "get",
    "source_sql",
]
