"""The review queue: pairs a human must judge, and the judgements themselves.

A pair is open for review when

* its effective decision is *unsure*: the model scored it in the uncertain
  band, or the same identifier came with incompatible birth dates; or
* its effective decision is a machine *positive* that clustering refused
  (a conflict: the link would have merged two resident numbers, say).

``xinyong review list`` shows them (:func:`list_review`); ``xinyong review
decide PAIR --same|--different`` records a human judgement
(:func:`decide`); withdrawing a judgement (:func:`withdraw_decision`)
soft-deletes it, and because subjects are recomputed from the decision rows,
the state before the judgement comes back. Each judgement and withdrawal is
an audit event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from xinyong.audit import chain
from xinyong.errors import UserError
from xinyong.resolve.clustering import Clustering
from xinyong.resolve.decisions import (
    Decision,
    Pair,
    get_decision,
    insert_decisions,
    withdraw,
)
from xinyong.resolve.publish import PublishReport, publish
from xinyong.resolve.state import current_clustering
from xinyong.store.engine import transaction
from xinyong.store.resolution_schema import resolution_decisions, resolution_mentions
from xinyong.store.types import utc_now

__all__ = [
    "JudgementResult",
    "MentionView",
    "ReviewItem",
    "decide",
    "list_review",
    "open_review_count",
    "review_items",
    "withdraw_decision",
]


@dataclass(frozen=True, slots=True)
class MentionView:
    """One side of a review pair, as an operator reads it (identifier masked)."""

    mention_key: str
    subject_id: str | None
    kind: str
    furnisher_id: str
    name: str | None
    birth_date: date | None
    registration_date: date | None
    identifier: str | None
    address: str | None


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A pair awaiting a human judgement; ``decision_id`` is the PAIR to decide."""

    decision_id: int
    category: str  # "uncertain" or "conflict"
    left: MentionView
    right: MentionView
    method: str
    match_probability: float | None
    match_weight: float | None
    model_id: str | None
    reason: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class JudgementResult:
    """What a judgement (or its withdrawal) did."""

    decision: Decision
    left_subject: str | None
    right_subject: str | None
    publish: PublishReport


def _views(conn: Connection, keys: Sequence[str]) -> dict[str, MentionView]:
    m = resolution_mentions
    out: dict[str, MentionView] = {}
    for start in range(0, len(keys), 500):
        rows = conn.execute(select(m).where(m.c.mention_key.in_(keys[start : start + 500])))
        for r in rows.mappings():
            name = r["legal_name"] if r["kind"] == "enterprise" else None
            if name is None:
                name = r["full_name"] or " ".join(
                    p for p in (r["family_name"], r["given_names"]) if p
                )
            scheme = r["id_scheme"]
            if scheme and r["id_country"] and scheme in ("passport", "company_number"):
                scheme = f"{scheme}:{r['id_country']}"
            out[r["mention_key"]] = MentionView(
                mention_key=r["mention_key"],
                subject_id=r["subject_id"],
                kind=r["kind"],
                furnisher_id=r["furnisher_id"],
                name=name or None,
                birth_date=r["birth_date"],
                registration_date=r["registration_date"],
                identifier=f"{scheme} {r['id_masked']}" if scheme else None,
                address=r["address"],
            )
    return out


def review_items(
    conn: Connection,
    *,
    limit: int | None = None,
    state: tuple[Clustering, Mapping[Pair, Decision]] | None = None,
) -> list[ReviewItem]:
    """Open review items, conflicts first, then uncertain pairs by falling probability.

    ``state`` is :func:`~xinyong.resolve.state.current_clustering` if the
    caller has just computed it (a run, which must not pay for it twice).
    """
    clustering, decided = state if state is not None else current_clustering(conn)
    cluster_of = clustering.cluster_of
    open_: list[tuple[Decision, str, str | None]] = []
    for d in decided.values():
        if d.judgement != "unsure":
            continue
        if d.method == "identifier":
            open_.append((d, "conflict", d.reason))
        elif cluster_of.get(d.left_key) != cluster_of.get(d.right_key):
            open_.append((d, "uncertain", d.reason))
    by_id = {d.decision_id: d for d in decided.values()}
    for edge, why in clustering.refused:
        refused = by_id.get(edge.ref) if edge.ref is not None else None
        if refused is not None:
            text = f"{refused.reason or refused.method}; refused: {why}"
            open_.append((refused, "conflict", text))
    open_.sort(
        key=lambda x: (
            x[1] != "conflict",
            -(x[0].match_probability if x[0].match_probability is not None else 1.0),
            x[0].decision_id,
        )
    )
    if limit is not None:
        open_ = open_[:limit]
    views = _views(conn, sorted({k for d, _, _ in open_ for k in d.pair}))
    return [
        ReviewItem(
            decision_id=d.decision_id,
            category=category,
            left=views[d.left_key],
            right=views[d.right_key],
            method=d.method,
            match_probability=d.match_probability,
            match_weight=d.match_weight,
            model_id=d.model_id,
            reason=reason,
            created_at=d.created_at,
        )
        for d, category, reason in open_
    ]


def open_review_count(
    conn: Connection, state: tuple[Clustering, Mapping[Pair, Decision]] | None = None
) -> int:
    """How many pairs await a human judgement."""
    return len(review_items(conn, state=state))


def list_review(engine: Engine, *, limit: int | None = 50) -> list[ReviewItem]:
    """``xinyong review list``: the open items, most pressing first."""
    with engine.connect() as conn:
        return review_items(conn, limit=limit)


def _pair(conn: Connection, pair: int | str) -> tuple[str, str]:
    """A review PAIR: a decision id, or two mention keys joined by a comma."""
    text = str(pair).strip()
    if text.isdigit():
        return get_decision(conn, int(text)).pair
    left, sep, right = text.partition(",")
    left, right = left.strip(), right.strip()
    if not sep or not left or not right or left == right:
        raise UserError(f"PAIR must be a decision id or two mention keys 'a,b', not {text!r}")
    return (left, right) if left < right else (right, left)


def _kinds(conn: Connection, pair: tuple[str, str]) -> Mapping[str, Any]:
    m = resolution_mentions
    rows = conn.execute(select(m.c.mention_key, m.c.kind).where(m.c.mention_key.in_(pair)))
    kinds = {r.mention_key: r.kind for r in rows}
    missing = [k for k in pair if k not in kinds]
    if missing:
        raise UserError(f"unknown mention(s): {', '.join(missing)}")
    return kinds


def _republish(
    conn: Connection, actor: str, at: datetime
) -> tuple[PublishReport, Mapping[str, str]]:
    clustering, _ = current_clustering(conn)
    report = publish(conn, clustering.cluster_of, actor=actor, at=at)
    return report, clustering.cluster_of


def _subjects_of(conn: Connection, pair: tuple[str, str]) -> tuple[str | None, str | None]:
    m = resolution_mentions
    rows = dict(
        conn.execute(select(m.c.mention_key, m.c.subject_id).where(m.c.mention_key.in_(pair))).all()
    )
    return rows.get(pair[0]), rows.get(pair[1])


def decide(
    engine: Engine,
    pair: int | str,
    *,
    same: bool,
    actor: str,
    reason: str | None = None,
) -> JudgementResult:
    """``xinyong review decide PAIR --same|--different``: record a human judgement.

    The judgement is a new decision row (method ``human``); it outranks every
    machine decision about the pair, and the subjects are recomputed and
    republished at once.
    """
    if not actor.strip():
        raise UserError("a judgement needs the name of who makes it")
    at = utc_now()
    with transaction(engine) as conn:
        left, right = _pair(conn, pair)
        kinds = _kinds(conn, (left, right))
        if same and kinds[left] != kinds[right]:
            raise UserError("a person and an enterprise cannot be the same subject")
        judgement = "positive" if same else "negative"
        text = reason or ("judged the same subject" if same else "judged different subjects")
        insert_decisions(
            conn,
            [
                {
                    "left_key": left,
                    "right_key": right,
                    "judgement": judgement,
                    "method": "human",
                    "reason": text,
                    "actor": actor,
                    "created_at": at,
                }
            ],
        )
        decision_id = conn.execute(
            select(resolution_decisions.c.decision_id)
            .where(
                resolution_decisions.c.left_key == left,
                resolution_decisions.c.right_key == right,
                resolution_decisions.c.method == "human",
            )
            .order_by(resolution_decisions.c.decision_id.desc())
            .limit(1)
        ).scalar_one()
        report, _ = _republish(conn, actor, at)
        subjects = _subjects_of(conn, (left, right))
        chain.append(
            conn,
            actor=actor,
            action="resolution.judgement",
            subject_id=subjects[0],
            reason=text,
            payload={
                "decision_id": decision_id,
                "left": left,
                "right": right,
                "judgement": judgement,
                "subjects": list(subjects),
            },
            at=at,
        )
        return JudgementResult(get_decision(conn, decision_id), *subjects, report)


def withdraw_decision(
    engine: Engine, decision_id: int, *, actor: str, reason: str
) -> JudgementResult:
    """Soft-delete a decision (usually a human one) and republish what the rest imply."""
    if not reason.strip():
        raise UserError("withdrawing a decision needs a reason")
    at = utc_now()
    with transaction(engine) as conn:
        decision = withdraw(conn, decision_id, actor=actor, reason=reason, at=at)
        report, _ = _republish(conn, actor, at)
        subjects = _subjects_of(conn, decision.pair)
        chain.append(
            conn,
            actor=actor,
            action="resolution.decision_withdrawn",
            subject_id=subjects[0],
            reason=reason,
            payload={
                "decision_id": decision_id,
                "left": decision.left_key,
                "right": decision.right_key,
                "judgement": decision.judgement,
                "method": decision.method,
                "subjects": list(subjects),
            },
            at=at,
        )
        return JudgementResult(decision, *subjects, report)
