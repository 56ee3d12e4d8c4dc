"""The links a pipeline run reads, exported from the store in slices.

A national store holds billions of record links; ``batch_ops._links`` turns
them into Arrow a slice at a time instead of holding every row as Python
objects. The slicing must not change the table: same rows, same order, same
schema, whatever the slice size, one subject or all.
"""

from __future__ import annotations

import pytest
from resolve_testkit import Population

from xinyong import batch_ops
from xinyong.files import LINKS_SCHEMA
from xinyong.resolve.state import record_links


def _expected(population: Population, subject_id: str | None = None) -> list[tuple[object, ...]]:
    query = record_links()
    if subject_id is not None:
        query = query.where(query.selected_columns.subject_id == subject_id)
    with population.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


@pytest.mark.parametrize("slice_rows", [1, 7, 100_000])
def test_links_are_the_same_table_in_any_slice_size(
    population: Population, monkeypatch: pytest.MonkeyPatch, slice_rows: int
) -> None:
    monkeypatch.setattr(batch_ops, "_LINK_SLICE", slice_rows)
    expected = _expected(population)
    assert len(expected) > 100  # the fixture resolved a real population
    with population.engine.connect() as conn:
        table = batch_ops._links(conn)
    assert table.schema == LINKS_SCHEMA
    assert [tuple(r.values()) for r in table.to_pylist()] == expected


def test_links_of_one_subject_and_of_nobody(population: Population) -> None:
    subject_id = _expected(population)[0][-1]
    assert isinstance(subject_id, str)
    with population.engine.connect() as conn:
        one = batch_ops._links(conn, subject_id)
        none = batch_ops._links(conn, "no-such-subject")
    assert [tuple(r.values()) for r in one.to_pylist()] == _expected(population, subject_id)
    assert none.num_rows == 0 and none.schema == LINKS_SCHEMA
