"""Compute attributes for every subject of a set of credit files, on an engine.

The SQL is built here as plain strings from the definitions (one aggregate
query per source table, then one join onto the subjects), so the Spark engine
can transpile the same statements with SQLGlot; :func:`compute_attributes`
runs them on the DuckDB engine, the batch pipeline on any. Only shown rows are read:
what retention hides is never scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Final

import pyarrow as pa

from xinyong.attributes.definitions import ATTRIBUTES
from xinyong.attributes.model import AppliesTo, Attribute, Source
from xinyong.files.model import CreditFiles
from xinyong.files.sql import Step
from xinyong.policy.sql import date_literal

__all__ = ["attribute_steps", "compute_attributes", "source_sql"]

_TABLES: Final[dict[Source, str]] = {
    Source.ACCOUNTS: "file_accounts",
    Source.HISTORY: "file_history",
    Source.PUBLIC_RECORDS: "file_public_records",
    Source.INQUIRIES: "file_inquiries",
}


def _month_index(day: str) -> str:
    return f"(YEAR({day}) * 12 + MONTH({day}) - 1)"


def _months_between(earlier: str, as_of: str) -> str:
    """Full months elapsed from ``earlier`` to ``as_of`` (0 in the first month)."""
    return (
        f"({_month_index(as_of)} - {_month_index(earlier)} - "
        f"CASE WHEN DAY({as_of}) < DAY({earlier}) THEN 1 ELSE 0 END)"
    )


def source_sql(source: Source, as_of: date) -> str:
    """The shown rows of one file table, with the month counts attributes use."""
    at = date_literal(as_of)
    extra = {
        Source.HISTORY: f"{_month_index(at)} - month_index AS months_ago",
        Source.ACCOUNTS: f"{_months_between('date_opened', at)} AS months_since_opened",
        Source.PUBLIC_RECORDS: f"{_months_between('event_date', at)} AS months_since_event",
        Source.INQUIRIES: f"{_months_between('inquired_on', at)} AS months_since",
    }[source]
    # Inquiries have no retention flag yet: the service filters what it stores.
    shown = "" if source is Source.INQUIRIES else " WHERE shown"
    return f"SELECT *, {extra} FROM {_TABLES[source]}{shown}"


def _aggregate_sql(source: Source, attributes: Sequence[Attribute]) -> str:
    columns = ", ".join(f"CAST({a.sql} AS {a.dtype}) AS {a.name}" for a in attributes)
    return f"SELECT subject_id, {columns} FROM attr_{source.value} GROUP BY subject_id"


def _final_sql(by_source: dict[Source, list[Attribute]]) -> str:
    selects = ["s.subject_id", "s.subject_kind"]
    joins = []
    for source in by_source:
        alias = f"g_{source.value}"
        joins.append(
            f"LEFT JOIN agg_{source.value} AS {alias} ON {alias}.subject_id = s.subject_id"
        )
    for attribute in (a for group in by_source.values() for a in group):
        value = f"g_{attribute.source.value}.{attribute.name}"
        if attribute.if_no_rows is not None:
            value = f"COALESCE({value}, CAST({attribute.if_no_rows} AS {attribute.dtype}))"
        if attribute.applies_to is not AppliesTo.BOTH:
            value = (
                f"CASE WHEN s.subject_kind = '{attribute.applies_to.value}' "
                f"THEN {value} ELSE CAST(NULL AS {attribute.dtype}) END"
            )
        selects.append(f"{value} AS {attribute.name}")
    return f"SELECT {', '.join(selects)} FROM file_subjects AS s {' '.join(joins)}"


def attribute_steps(
    as_of: date, attributes: Sequence[Attribute] = ATTRIBUTES
) -> tuple[list[Step], str]:
    """The steps (source views, per-source aggregates) and the final ``SELECT``.

    The result has ``subject_id``, ``subject_kind`` and one column per
    attribute, in ``attributes`` order.
    """
    names = [a.name for a in attributes]
    if len(set(names)) != len(names):
        raise ValueError("attribute names must be unique")
    by_source: dict[Source, list[Attribute]] = {}
    for attribute in attributes:
        by_source.setdefault(attribute.source, []).append(attribute)
    steps = []
    for source, group in by_source.items():
        # A filter and projection of a file table: planned into its aggregate.
        steps.append(Step(f"attr_{source.value}", source_sql(source, as_of), view=True))
        steps.append(Step(f"agg_{source.value}", _aggregate_sql(source, group)))
    order = ", ".join(["subject_id", "subject_kind", *names])
    final = f"SELECT {order} FROM ({_final_sql(by_source)}) AS a ORDER BY subject_id"
    return steps, final


def compute_attributes(
    files: CreditFiles,
    as_of: date | None = None,
    attributes: Sequence[Attribute] = ATTRIBUTES,
) -> pa.Table:
    """One row per subject of ``files``, one column per attribute.

    ``as_of`` defaults to the files' own date and must equal it: windows such
    as "in the last 6 months" are counted back from the date the files were
    built for, or an item shown then might be aged off by now.
    """
    when = files.as_of if as_of is None else as_of
    if when != files.as_of:
        raise ValueError(
            f"files were built as of {files.as_of}; build them as of {when} to compute "
            "attributes for that date"
        )
    from xinyong.engine.duckdb_engine import DuckDBEngine  # here: engine imports files

    steps, final = attribute_steps(when, attributes)
    with DuckDBEngine() as engine:
        for name, table in files.tables().items():
            engine.register_arrow(name, table)
        engine.run_steps(steps)
        return engine.to_arrow(final)
