"""Why two mentions were linked (or not): a stored decision, explained later.

A machine decision names the model that scored it; the model's JSON is kept
beside the data, and the comparison-frame rows of the two mentions are cached
(or rebuilt from the ledger), so the score can be recomputed and split into
one weight per comparison long after the run, for an operator reviewing the
pair or a subject disputing a mixed file.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow.compute as pc
from sqlalchemy import Engine, select

from xinyong.ledger import Ledger
from xinyong.resolve.decisions import Decision, get_decision
from xinyong.resolve.model import Explanation, explain
from xinyong.resolve.workspace import Workspace
from xinyong.store.resolution_schema import resolution_mentions

__all__ = ["DecisionExplanation", "explain_decision"]


@dataclass(frozen=True, slots=True)
class DecisionExplanation:
    """A decision and, for a model decision, its score comparison by comparison."""

    decision: Decision
    explanation: Explanation | None
    summary: str


def explain_decision(
    engine: Engine, ledger: Ledger, workspace: Workspace, decision_id: int
) -> DecisionExplanation:
    """Recompute and break down the score behind ``decision_id``.

    Identifier, rule and human decisions explain themselves (their reason);
    Splink decisions are re-scored with the model that made them.
    """
    with engine.connect() as conn:
        decision = get_decision(conn, decision_id)
        kind = conn.execute(
            select(resolution_mentions.c.kind).where(
                resolution_mentions.c.mention_key == decision.left_key
            )
        ).scalar_one()
        keys = set(
            conn.execute(
                select(resolution_mentions.c.mention_key).where(resolution_mentions.c.kind == kind)
            ).scalars()
        )
    if decision.method != "splink" or decision.model_id is None:
        text = f"{decision.method} decision by {decision.actor}: {decision.reason or ''}".strip()
        return DecisionExplanation(decision, None, text)
    model = workspace.load_model(decision.model_id)
    frame = workspace.frames_for(ledger, keys, f"rebuilt-explain-{decision_id}")
    left = frame.filter(pc.equal(frame["unique_id"], decision.left_key)).to_pylist()[0]
    right = frame.filter(pc.equal(frame["unique_id"], decision.right_key)).to_pylist()[0]
    result = explain(model, left, right, frame)
    parts = ", ".join(
        f"{c.comparison}: {c.level} ({c.match_weight:+.1f})" for c in result.contributions
    )
    text = (
        f"model {decision.model_id}: prior {result.prior_weight:+.1f}, {parts}; "
        f"total {result.match_weight:+.2f} (p={result.match_probability:.6f})"
    )
    return DecisionExplanation(decision, result, text)
