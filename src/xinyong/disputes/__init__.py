"""The dispute workflow over the serving store: forward, answer, extend, enforce, reinsert.

A subject's dispute (FCRA 611, 征信业管理条例 art. 25, GDPR art. 16) is
forwarded at once to the furnisher of the disputed item (``disputes.furnisher_id``;
NULL for identity and inquiry disputes, which the operator answers). The
furnisher verifies, corrects, deletes, or says it cannot verify, before
``due_at``, which the jurisdiction profile set when the dispute was opened and
may extend. What a jurisdiction decides comes from its
:class:`~xinyong.policy.DisputeRule`, never from constants here:

* the deadline and its one extension (:mod:`.steps`): US 30 days, 15 more when
  the consumer sends relevant information in time; EU one month, two more for
  a complex request, the subject told within the first month; CN 20 days;
* an item nobody confirmed -- the deadline passed unanswered, or the furnisher
  cannot verify it -- is deleted (suppressed) in the US and the EU, and kept in
  China with the verification and the subject's objection recorded beside it
  as a statement that both copies of the report show (:mod:`.workflow`);
* a deleted item comes back only on its furnisher's certification, with a
  written notice to the subject by a deadline (:mod:`.steps`, :mod:`.notices`);
* where the profile sets deadlines for them (US, FCRA 611(a)(2)(A) and (a)(6)(A)),
  the furnisher's notification is owed from the filing and sent by the forwarding,
  and the written results are owed from the completion (:mod:`.owed`);
* where the profile allows it (FCRA 611(a)(3), GDPR art. 12(5)), the operator may
  terminate a dispute as frivolous or irrelevant, the subject owed a notice with the
  reasons (:mod:`.termination`);
* a correction must be a record of the disputed item itself (:mod:`.corrections`).

What the rest of the system reads: :func:`suppressed_items` and
:func:`item_flags` (what to hide and flag, :mod:`.suppression`),
:func:`overdue_disputes` (the breaches, :mod:`.watch`), and the
``rescore_requests`` queue (corrections, deletions, reinsertions).
"""

from __future__ import annotations

from xinyong.disputes.items import ItemRef, find_item, item_furnisher
from xinyong.disputes.suppression import Flags, item_flags, suppressed_items
from xinyong.disputes.watch import (
    OverdueDispute,
    enforce_deployment,
    overdue_disputes,
    overdue_in_deployment,
)
from xinyong.disputes.workflow import (
    DEADLINE_ACTOR,
    OPEN_STATUSES,
    DeadlinePassed,
    DisputeRefused,
    Outcome,
    answer,
    deadline_resolution,
    end_of_day,
    enforce_deadlines,
    forward,
    load,
    request_rescore,
    unverifiable_status,
)

__all__ = [
    "DEADLINE_ACTOR",
    "OPEN_STATUSES",
    "DeadlinePassed",
    "DisputeRefused",
    "Flags",
    "ItemRef",
    "Outcome",
    "OverdueDispute",
    "answer",
    "deadline_resolution",
    "end_of_day",
    "enforce_deadlines",
    "enforce_deployment",
    "find_item",
    "forward",
    "item_flags",
    "item_furnisher",
    "load",
    "overdue_disputes",
    "overdue_in_deployment",
    "request_rescore",
    "suppressed_items",
    "unverifiable_status",
]
