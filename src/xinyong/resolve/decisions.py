"""Decisions are data: reading, writing and withdrawing rows of ``resolution_decisions``.

Every link the resolver makes, every conflict it flags and every judgement an
operator gives is one row, never updated except to be withdrawn
(``deleted_at``, ``deleted_by``, ``delete_reason``). Which row counts for a pair
is a rule, not a state kept elsewhere (:func:`effective`): the latest active
human judgement if there is one, else the latest active machine decision. So
withdrawing a judgement restores exactly what was there before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from xinyong.errors import UserError
from xinyong.resolve.clustering import Edge
from xinyong.store.resolution_schema import resolution_decisions

__all__ = [
    "Decision",
    "DecisionNotFound",
    "active_decisions",
    "edges",
    "effective",
    "get_decision",
    "insert_decisions",
    "withdraw",
]

Pair = tuple[str, str]


class DecisionNotFound(UserError):
    """The decision id names no row (or names one already withdrawn)."""


@dataclass(frozen=True, slots=True)
class Decision:
    """One row of ``resolution_decisions``."""

    decision_id: int
    left_key: str
    right_key: str
    judgement: str
    method: str
    match_probability: float | None
    match_weight: float | None
    model_id: str | None
    reason: str | None
    actor: str
    created_at: datetime
    run_id: str | None
    deleted_at: datetime | None = None
    deleted_by: str | None = None
    delete_reason: str | None = None

    @property
    def pair(self) -> Pair:
        return (self.left_key, self.right_key)

    @property
    def human(self) -> bool:
        return self.method == "human"

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def _decision(row: Any) -> Decision:
    # The dataclass fields are the table's columns, in order.
    return Decision(*row)


def active_decisions(conn: Connection) -> list[Decision]:
    """Every decision not withdrawn, oldest first."""
    rows = conn.execute(
        select(resolution_decisions)
        .where(resolution_decisions.c.deleted_at.is_(None))
        .order_by(resolution_decisions.c.decision_id)
    )
    return [_decision(r) for r in rows]


def get_decision(conn: Connection, decision_id: int) -> Decision:
    """The decision with this id, withdrawn or not; ``DecisionNotFound`` otherwise."""
    row = conn.execute(
        select(resolution_decisions).where(resolution_decisions.c.decision_id == decision_id)
    ).first()
    if row is None:
        raise DecisionNotFound(f"no resolution decision {decision_id}")
    return _decision(row)


def effective(decisions: Iterable[Decision]) -> dict[Pair, Decision]:
    """The decision that counts for each pair: latest human, else latest machine."""
    out: dict[Pair, Decision] = {}
    for d in decisions:
        if d.deleted_at is not None:
            continue
        current = out.get(d.pair)
        if current is None or (d.human, d.created_at, d.decision_id) >= (
            current.human,
            current.created_at,
            current.decision_id,
        ):
            out[d.pair] = d
    return out


def edges(decisions: Mapping[Pair, Decision]) -> tuple[list[Edge], list[Pair]]:
    """Positive effective decisions as clustering edges, and the negative pairs."""
    positives = [
        Edge(d.left_key, d.right_key, d.method, d.match_weight, d.decision_id)
        for d in decisions.values()
        if d.judgement == "positive"
    ]
    negatives = [d.pair for d in decisions.values() if d.judgement == "negative"]
    return positives, negatives


def insert_decisions(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append decision rows (dicts of the table's columns, without ``decision_id``)."""
    for row in rows:
        if row["left_key"] >= row["right_key"]:
            raise ValueError(f"pair not in key order: {row['left_key']!r}, {row['right_key']!r}")
    if rows:
        conn.execute(insert(resolution_decisions), [dict(r) for r in rows])


def withdraw(
    conn: Connection, decision_id: int, *, actor: str, reason: str, at: datetime
) -> Decision:
    """Soft-delete a decision: it stays, marked with who withdrew it, when and why."""
    decision = get_decision(conn, decision_id)
    if decision.deleted_at is not None:
        raise DecisionNotFound(f"resolution decision {decision_id} is already withdrawn")
    conn.execute(
        update(resolution_decisions)
        .where(resolution_decisions.c.decision_id == decision_id)
        .values(deleted_at=at, deleted_by=actor, delete_reason=reason)
    )
    return get_decision(conn, decision_id)
