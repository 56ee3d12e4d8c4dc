"""Tables of the dispute rules (migration 0008): the subject's added information, notices.

Added to :data:`xinyong.store.schema.metadata` (imported at the end of
``schema.py``). The columns 0008 adds to ``disputes`` itself (extension,
reinsertion) are declared there, beside the others.

``dispute_information`` is what a subject sends about an open dispute after
filing it (FCRA 611(a)(1)(B) and (a)(2)(B): it may extend the deadline, and is
passed on to the furnisher). ``dispute_notices`` are the written notices the
bureau owes about the subject's dispute: of an extension (GDPR art. 12(3), due
within the first period), of a reinsertion (FCRA 611(a)(5)(B), within 5 business
days), to the furnisher (611(a)(2)(A), 5 business days from receipt; sent when the
dispute is forwarded), of the results (611(a)(6)(A), 5 business days) and of a
termination as frivolous or irrelevant (611(a)(3), 5 business days; GDPR art. 12(4),
one month from receipt) and, on request, the description of the procedure used
(611(a)(7), 15 days). A
notice is created with its deadline; ``sent_at`` records when it went out, so
an unsent notice past ``due_at`` is a breach the operator sees.

``recipient_notices`` (migration 0012) are notices to an inquirer, not to the
subject: that an item in a report it received was since deleted or corrected, or
is disputed with the subject's statement (FCRA 611(d), GDPR art. 19), made at the
subject's request, one per dispute and recipient, and given to the inquirer on
its own channel when made.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from xinyong.store.schema import ID, _in, metadata
from xinyong.store.types import UTCDateTime

__all__ = ["NOTICE_KINDS", "dispute_information", "dispute_notices", "recipient_notices"]

#: ``furnisher`` and ``results`` (FCRA 611(a)(2)(A), (a)(6)(A)) came with migration 0009,
#: ``termination`` (a dispute terminated as frivolous or irrelevant, FCRA 611(a)(3), GDPR
#: art. 12(4)) and ``procedure`` (the description of a reinvestigation the subject asked
#: for, 611(a)(7)) with 0010.
NOTICE_KINDS = ("extension", "reinsertion", "furnisher", "results", "termination", "procedure")

dispute_information = Table(
    "dispute_information",
    metadata,
    Column("info_id", String(ID), primary_key=True),
    Column("dispute_id", String(ID), ForeignKey("disputes.dispute_id"), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("text", Text, nullable=False),
    Index(None, "dispute_id"),
)

dispute_notices = Table(
    "dispute_notices",
    metadata,
    Column("notice_id", String(ID), primary_key=True),
    Column("dispute_id", String(ID), ForeignKey("disputes.dispute_id"), nullable=False),
    Column("subject_id", String(ID), ForeignKey("subjects.subject_id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),
    CheckConstraint(_in("kind", NOTICE_KINDS), name="kind"),
    Index(None, "subject_id"),
    Index(None, "dispute_id"),
    # The watch: unsent notices by deadline.
    Index(None, "sent_at", "due_at"),
)

recipient_notices = Table(
    "recipient_notices",
    metadata,
    Column("notice_id", String(ID), primary_key=True),
    Column("dispute_id", String(ID), ForeignKey("disputes.dispute_id"), nullable=False),
    Column("subject_id", String(ID), ForeignKey("subjects.subject_id"), nullable=False),
    Column("inquirer_org_id", String(ID), ForeignKey("organisations.org_id"), nullable=False),
    # The latest report the recipient received within the period, which it can name.
    Column("inquiry_id", String(ID), ForeignKey("inquiries.inquiry_id"), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # A recipient is told once of a dispute's outcome.
    UniqueConstraint("dispute_id", "inquirer_org_id"),
    # The inquirer's list, newest first.
    Index(None, "inquirer_org_id", "created_at"),
)
