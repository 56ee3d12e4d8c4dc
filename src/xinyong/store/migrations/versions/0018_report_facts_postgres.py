"""Report facts on PostgreSQL too: statement triggers that clear a subject's stored copy.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30

Why. Migration 0015 gave each report part its subject's names, identifiers and
latest score (``parties``, ``score``, ``score_at``), on SQLite only, on the
reasoning that PostgreSQL's readers share one buffer pool that commits do not
empty. Measured at a million subjects, that pool is not the one that matters:
with PostgreSQL's default 128 MB of shared buffers against a 4.7 GB store, a
report's dozen index and heap pages (the part, the names, the identifiers, the
latest score, its reasons) are mostly not in it, and each miss is a read from
the kernel's cache plus a buffer replaced. The report statement took 0.58-0.60
ms a call (``pgbench``, one client, generic plan, after ``VACUUM``) reading them
live, and 0.25-0.33 ms reading the subject and its part's row alone. A bigger
pool narrows the gap, but a national store is larger than any pool.

So PostgreSQL stores the facts too, and this migration adds what keeps them
right: on each of the tables a copy is made from (names, enterprise facts,
identifiers, scores, score reasons, disputes, statements), after every insert,
update or delete statement, the copies of the subjects whose rows it touched
are cleared (``parties`` NULL: the report reads them live until the next
publication), in the writer's own transaction. PostgreSQL runs them once per
statement over the statement's transition tables, not once per row: a bulk
write (a resolution run, a scoring run) pays one ``UPDATE`` a statement.

A scoring run writes its scores and reasons with the clearing switched off for
its own transaction (``SET LOCAL xinyong.report_facts_bulk = 'on'``, read by
the functions) and clears its subjects' copies in one statement at the end
(``xinyong.api.report_facts.scores_in_bulk``). On SQLite that run drops and
recreates its triggers inside the transaction; on PostgreSQL ``DROP TRIGGER``
would lock the score tables against every reader until the run commits.

Parts published before this revision hold no facts; they are read live, as
before, until the next publication. SQLite is unchanged.

Plain SQL, no project imports, like 0001-0017.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BY_SUBJECT = (
    "person_names",
    "enterprises",
    "subject_identifiers",
    "scores",
    "disputes",
    "consumer_statements",
)
# The subjects whose rows a statement touched, from its transition table(s):
# ``changed`` (new rows of an insert, old rows of a delete, old rows of an
# update) and, for an update, ``changed_new`` as well. A reason's subject is its
# score's (a reason deleted with its score: the score's own trigger cleared it).
_SUBJECTS = {
    "rows": "SELECT subject_id FROM changed",
    "rows_updated": "SELECT subject_id FROM changed UNION SELECT subject_id FROM changed_new",
    "reasons": (
        "SELECT s.subject_id FROM scores s WHERE s.score_id IN (SELECT score_id FROM changed)"
    ),
    "reasons_updated": (
        "SELECT s.subject_id FROM scores s WHERE s.score_id IN"
        " (SELECT score_id FROM changed UNION SELECT score_id FROM changed_new)"
    ),
}
_FUNCTION = """
CREATE FUNCTION xinyong_clear_report_facts_{kind}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('xinyong.report_facts_bulk', true), '') = 'on' THEN
    RETURN NULL;
  END IF;
  UPDATE file_report_parts SET parties = NULL, score = NULL, score_at = NULL
   WHERE parties IS NOT NULL AND subject_id IN ({subjects});
  RETURN NULL;
END
$$
"""


def _triggers() -> list[tuple[str, str, str]]:
    """(name, table, CREATE TRIGGER statement) for every table and change."""
    out: list[tuple[str, str, str]] = []
    for table in (*_BY_SUBJECT, "score_reasons"):
        kind = "reasons" if table == "score_reasons" else "rows"
        for event, referencing, function in (
            ("insert", "NEW TABLE AS changed", kind),
            ("delete", "OLD TABLE AS changed", kind),
            ("update", "OLD TABLE AS changed NEW TABLE AS changed_new", f"{kind}_updated"),
        ):
            name = f"report_facts_{table}_{event}"
            out.append(
                (
                    name,
                    table,
                    f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table}"
                    f" REFERENCING {referencing} FOR EACH STATEMENT"
                    f" EXECUTE FUNCTION xinyong_clear_report_facts_{function}()",
                )
            )
    return out


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for kind, subjects in _SUBJECTS.items():
        op.execute(_FUNCTION.format(kind=kind, subjects=subjects))
    for _, _, create in _triggers():
        op.execute(create)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, _ in reversed(_triggers()):
        op.execute(f"DROP TRIGGER {name} ON {table}")
    for kind in reversed(list(_SUBJECTS)):
        op.execute(f"DROP FUNCTION xinyong_clear_report_facts_{kind}()")
    # The copies may be stale from here on: nothing clears them any more.
    op.execute(
        "UPDATE file_report_parts SET parties = NULL, score = NULL, score_at = NULL"
        " WHERE parties IS NOT NULL"
    )
