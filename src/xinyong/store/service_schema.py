"""Tables of the service (issue 7): API keys, subject sign-in, every inquiry attempt.

Added to :data:`xinyong.store.schema.metadata` (imported at the end of
``schema.py``) and created by migration ``0003``. Secrets are never stored:
API keys and one-time codes keep only the SHA-256 hex of their secret part,
which is enough because the secrets are 256 random bits (no dictionary to try).

``inquiry_requests`` records every inquiry attempt, refused ones too, with the
reason code; a served attempt also has its row in ``inquiries`` (the file's
"who looked"), linked by ``inquiry_id``.

``rescore_requests`` (migration 0004) is the queue of subjects whose file a
dispute changed (a correction or a deletion): the batch pipeline rescores them
and stamps ``done_at``. Each request is also a ``rescore.requested`` audit event.

``rate_counters`` (migration 0004) counts requests per API key, bucket
(``inquiries``, ``uploads``) and fixed time window, so that a rate limit holds
across all worker processes (``xinyong.api.limits``).
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, text

from xinyong.store.schema import HASH, ID, _in, metadata
from xinyong.store.types import UTCDateTime

__all__ = [
    "API_ROLES",
    "INQUIRY_KINDS",
    "INQUIRY_OUTCOMES",
    "SUBJECT_REQUESTS",
    "api_keys",
    "inquirer_purposes",
    "inquiry_requests",
    "rate_counters",
    "rescore_requests",
    "subject_codes",
    "subject_sessions",
]

API_ROLES = ("furnisher", "inquirer", "operator")
INQUIRY_OUTCOMES = ("served", "refused")
INQUIRY_KINDS = ("hard", "soft")
# The rows of ``inquiry_requests`` its subject index holds: the subject's own requests
# (``Purpose.SUBJECT_REQUEST``). A query must state this predicate as written, with the
# value inline, for SQLite's planner to use the partial index.
SUBJECT_REQUESTS = "purpose = 'subject_request'"

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(ID), primary_key=True),
    Column("org_id", String(ID), ForeignKey("organisations.org_id"), nullable=False),
    Column("role", String(16), nullable=False),
    # SHA-256 hex of the secret part; the secret itself is shown once and never stored.
    Column("secret_hash", String(HASH), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    CheckConstraint(_in("role", API_ROLES), name="role"),
    Index(None, "org_id"),
)

inquirer_purposes = Table(
    "inquirer_purposes",
    metadata,
    # The purposes an inquirer is registered (and vetted) for; none means none.
    Column("org_id", String(ID), ForeignKey("organisations.org_id"), primary_key=True),
    Column("purpose", String(32), primary_key=True),
    Column("granted_at", UTCDateTime, nullable=False),
)

subject_codes = Table(
    "subject_codes",
    metadata,
    # One-time sign-in codes for subjects: single use, expiring.
    Column("code_id", String(ID), primary_key=True),
    Column("subject_id", String(ID), ForeignKey("subjects.subject_id"), nullable=False),
    Column("code_hash", String(HASH), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
    Index(None, "subject_id"),
)

subject_sessions = Table(
    "subject_sessions",
    metadata,
    Column("session_id", String(ID), primary_key=True),
    Column("subject_id", String(ID), ForeignKey("subjects.subject_id"), nullable=False),
    Column("secret_hash", String(HASH), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Index(None, "subject_id"),
)

inquiry_requests = Table(
    "inquiry_requests",
    metadata,
    Column("request_id", String(ID), primary_key=True),
    # NULL for the subject's own request (subject_request).
    Column("inquirer_org_id", String(ID), ForeignKey("organisations.org_id"), nullable=True),
    # NULL when the identifier matched no single subject.
    Column("subject_id", String(ID), ForeignKey("subjects.subject_id"), nullable=True),
    Column("purpose", String(32), nullable=True),
    Column("consent_id", String(ID), nullable=True),
    Column("kind", String(8), nullable=False),
    Column("outcome", String(8), nullable=False),
    Column("reason_code", String(40), nullable=True),
    Column("inquiry_id", String(ID), ForeignKey("inquiries.inquiry_id"), nullable=True),
    Column("at", UTCDateTime, nullable=False),
    CheckConstraint(_in("outcome", INQUIRY_OUTCOMES), name="outcome"),
    CheckConstraint(_in("kind", INQUIRY_KINDS), name="kind"),
    CheckConstraint(
        "(outcome = 'served' AND reason_code IS NULL)"
        " OR (outcome = 'refused' AND reason_code IS NOT NULL)",
        name="reason",
    ),
    Index(None, "inquirer_org_id", "at"),
    # The subject's own requests (free reports), and only those (migration 0016): an
    # index of every request by subject took each inquiry to a random leaf page, and
    # nothing else reads requests by subject.
    Index(
        "ix_inquiry_requests_subject_requests",
        "subject_id",
        "at",
        sqlite_where=text(SUBJECT_REQUESTS),
        postgresql_where=text(SUBJECT_REQUESTS),
    ),
)

rescore_requests = Table(
    "rescore_requests",
    metadata,
    Column("request_id", String(ID), primary_key=True),
    Column("subject_id", String(ID), ForeignKey("subjects.subject_id"), nullable=False),
    # What changed the file: the dispute that was corrected or deleted.
    Column("dispute_id", String(ID), ForeignKey("disputes.dispute_id"), nullable=True),
    Column("reason", String(40), nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("done_at", UTCDateTime, nullable=True),
    # The pipeline's queue: pending requests in order.
    Index(None, "done_at", "requested_at"),
)

rate_counters = Table(
    "rate_counters",
    metadata,
    # The credential (API key id) counted; no FK, rows are short-lived.
    Column("key_id", String(ID), primary_key=True),
    Column("bucket", String(16), primary_key=True),
    Column("window_start", UTCDateTime, primary_key=True),
    Column("hits", Integer, nullable=False),
)
