"""Serving-store tables of identity resolution, on the store's one ``metadata``.

Resolution keeps its own facts here and publishes its result into the shared
``subjects``, ``person_names``, ``enterprises`` and ``subject_identifiers``
tables of :mod:`xinyong.store.schema`:

* ``resolution_mentions``: one row per distinct description of a subject (a
  furnisher's account or public record as the furnisher describes its
  subject), with the subject it currently resolves to;
* ``resolution_records``: every resolved ledger record -> its mention, so a
  credit file joins ``ledger record -> mention -> subject``
  (:func:`xinyong.resolve.record_subjects` builds that join);
* ``resolution_decisions``: every link, conflict and human judgement as a row
  (who, when, why, score, model), soft-deleted rather than erased; subjects
  are a pure function of these rows;
* ``resolution_runs`` and ``resolution_batches``: which run resolved which
  ledger batch, so ``xinyong resolve`` knows what is not yet linked.

Migration ``0002_resolution`` creates exactly these tables.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from xinyong.store.schema import HASH, ID, metadata
from xinyong.store.types import BigId, UTCDateTime

__all__ = [
    "DECISION_METHODS",
    "JUDGEMENTS",
    "RECORD_TABLES",
    "resolution_batches",
    "resolution_decisions",
    "resolution_mentions",
    "resolution_records",
    "resolution_runs",
]

JUDGEMENTS = ("positive", "negative", "unsure")
#: identifier: same validated identifier; rule: deterministic enterprise rule;
#: splink: the probabilistic model; human: an operator's judgement.
DECISION_METHODS = ("identifier", "rule", "splink", "human")
RUN_MODES = ("incremental", "full")
RECORD_TABLES = ("accounts", "public_records")


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


resolution_runs = Table(
    "resolution_runs",
    metadata,
    Column("run_id", String(ID), primary_key=True),
    Column("mode", String(16), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("person_model_id", String(ID), nullable=True),
    Column("enterprise_model_id", String(ID), nullable=True),
    # The run's ResolveSummary, for `xinyong status` and the audit trail.
    Column("summary", JSON, nullable=True),
    CheckConstraint(_in("mode", RUN_MODES), name="mode"),
)

resolution_batches = Table(
    "resolution_batches",
    metadata,
    Column(
        "batch_id",
        String(ID),
        ForeignKey("ledger_batches.batch_id"),
        primary_key=True,
    ),
    Column("run_id", String(ID), ForeignKey("resolution_runs.run_id"), nullable=False),
    Column("records", Integer, nullable=False),
    Index(None, "run_id"),
)

resolution_mentions = Table(
    "resolution_mentions",
    metadata,
    # <batch_id>.<a|p><record_no:09d> of the mention's first ledger record: unique,
    # stable, and in storage order, so "the earliest mention" is the smallest key.
    Column("mention_key", String(ID), primary_key=True),
    # SHA-256 of (table, furnisher, account or record reference, identity as
    # furnished): later records with the same hash are the same mention.
    Column("group_hash", String(HASH), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("furnisher_id", String(ID), ForeignKey("organisations.org_id"), nullable=False),
    Column("first_batch_id", String(ID), ForeignKey("ledger_batches.batch_id"), nullable=False),
    # The subject this mention resolves to now (NULL until its first run ends).
    Column("subject_id", String(ID), ForeignKey("subjects.subject_id"), nullable=True),
    # The id a subject gets when this mention is its earliest: the stability rule.
    Column("own_subject_id", String(ID), nullable=False),
    # Identity as furnished, for review screens and published names; the
    # identifier only as keyed hash and mask, never in clear.
    Column("family_name", String(256), nullable=True),
    Column("given_names", String(256), nullable=True),
    Column("full_name", String(512), nullable=True),
    Column("legal_name", String(512), nullable=True),
    Column("birth_date", Date, nullable=True),
    Column("registration_date", Date, nullable=True),
    Column("id_scheme", String(32), nullable=True),
    Column("id_country", String(2), nullable=True),
    Column("id_hash", String(HASH), nullable=True),
    Column("id_masked", String(64), nullable=True),
    Column("address", String(512), nullable=True),
    Column("created_run_id", String(ID), ForeignKey("resolution_runs.run_id"), nullable=False),
    CheckConstraint("kind IN ('person', 'enterprise')", name="kind"),
    UniqueConstraint("group_hash"),
    UniqueConstraint("own_subject_id"),
    Index(None, "subject_id"),
    Index(None, "id_scheme", "id_hash"),
)

resolution_records = Table(
    "resolution_records",
    metadata,
    Column("table_name", String(32), nullable=False),
    Column("batch_id", String(ID), ForeignKey("ledger_batches.batch_id"), nullable=False),
    Column("record_no", Integer, nullable=False),
    # 0 the primary consumer (and every public record); 1.. an account's
    # associated consumers (Metro 2 J1/J2), who share the row position.
    Column("consumer_no", Integer, nullable=False, server_default="0"),
    Column(
        "mention_key",
        String(ID),
        ForeignKey("resolution_mentions.mention_key"),
        nullable=False,
    ),
    PrimaryKeyConstraint("table_name", "batch_id", "record_no", "consumer_no"),
    CheckConstraint(_in("table_name", RECORD_TABLES), name="table_name"),
    Index(None, "mention_key"),
)

resolution_decisions = Table(
    "resolution_decisions",
    metadata,
    Column("decision_id", BigId, primary_key=True, autoincrement=True),
    # The pair, smaller key first (ordered in Python, not by a CHECK: string
    # collations differ between SQLite and PostgreSQL), so a pair has one spelling.
    Column(
        "left_key",
        String(ID),
        ForeignKey("resolution_mentions.mention_key"),
        nullable=False,
    ),
    Column(
        "right_key",
        String(ID),
        ForeignKey("resolution_mentions.mention_key"),
        nullable=False,
    ),
    Column("judgement", String(16), nullable=False),
    Column("method", String(16), nullable=False),
    Column("match_probability", Float, nullable=True),
    Column("match_weight", Float, nullable=True),
    Column("model_id", String(ID), nullable=True),
    Column("reason", Text, nullable=True),
    Column("actor", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("run_id", String(ID), ForeignKey("resolution_runs.run_id"), nullable=True),
    # Soft delete: a withdrawn decision stays, marked, so history is never lost.
    Column("deleted_at", UTCDateTime, nullable=True),
    Column("deleted_by", String(128), nullable=True),
    Column("delete_reason", Text, nullable=True),
    CheckConstraint(_in("judgement", JUDGEMENTS), name="judgement"),
    CheckConstraint(_in("method", DECISION_METHODS), name="method"),
    Index(None, "left_key", "right_key"),
    Index(None, "right_key"),
    Index(None, "judgement", "deleted_at"),
)
