"""Identity resolution: every furnished record linked to the right subject.

Deterministic links on validated identifiers first, then a Splink model
(DuckDB by default, the same settings on Spark), with decisions kept as rows
and subjects computed from them. The shells call:

* :func:`resolve` -> :class:`ResolveSummary` (``xinyong resolve``);
* :func:`list_review` -> list of :class:`ReviewItem` (``xinyong review list``);
* :func:`decide` -> :class:`JudgementResult`
  (``xinyong review decide PAIR --same|--different``);
* :func:`withdraw_decision` (``xinyong review withdraw DECISION``);
* :func:`explain_decision`: why a link was made, from the saved model;
* :func:`record_subjects`: the ledger record -> subject join for credit files.

See ``docs/resolution.md`` for the method, the id stability rule and the
measured quality.
"""

from __future__ import annotations

from xinyong.resolve.core import LinkConfig, ProgressFn, probability_to_weight
from xinyong.resolve.decisions import Decision, DecisionNotFound
from xinyong.resolve.explain import DecisionExplanation, explain_decision
from xinyong.resolve.review import (
    JudgementResult,
    MentionView,
    ReviewItem,
    decide,
    list_review,
    withdraw_decision,
)
from xinyong.resolve.run import ResolveSummary, resolve
from xinyong.resolve.state import current_clustering, record_subjects
from xinyong.resolve.workspace import Workspace

__all__ = [
    "Decision",
    "DecisionExplanation",
    "DecisionNotFound",
    "JudgementResult",
    "LinkConfig",
    "MentionView",
    "ProgressFn",
    "ResolveSummary",
    "ReviewItem",
    "Workspace",
    "current_clustering",
    "decide",
    "explain_decision",
    "list_review",
    "probability_to_weight",
    "record_subjects",
    "resolve",
    "withdraw_decision",
]
