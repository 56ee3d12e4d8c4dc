"""A subject's names, identifiers and latest score, stored with its report part.

Why. A report's own rows are a handful, but on SQLite under load reading them
was most of a report's cost: they sit in a dozen B-trees (names, enterprise
facts, identifiers, scores, score reasons, disputes, statements), and SQLite
drops a reader's whole page cache at its first read after another
connection's commit, which the service's recorders make every few
milliseconds; so each report read those B-trees' interior pages from the file
again (24 page reads a report at a million subjects). Publication therefore
stores, in each subject's ``file_report_parts`` row, those facts exactly as the
report serialises them, and a report reads that one row. Measured at a million
subjects: 25 -> 12.6 page reads a report in-process
(``benchmarks/service_inproc.py``), and -16 % of the service's CPU a report
(``benchmarks/service.py``).

A copy is right only while what it copies stays as it was. Migration 0015's
triggers (0018's on PostgreSQL) clear the three columns, in the writer's own
transaction, on any change to the subject's names, enterprise facts,
identifiers, scores, score reasons, disputes or statements, and the report then
reads them live. What a copy holds is the latest score by ``computed_at``; a
report as of an earlier instant (``score_at`` after its ``now``) reads live
too. Subjects with a dispute or a statement get no copy: their items are built
one by one anyway.

What it costs on SQLite: each trigger is a sub-program run per row written, and
clearing a copy rewrites the whole part row (SQLite rewrites a record to change
any of its columns). A scoring run pays both for every subject it scores:
measured on the 1M store, writing 100k subjects' scores and four reasons each
took 5.4-6.3 CPU-s against 1.2-1.4 with the triggers dropped. The batch stores
a run's scores just before publishing it, which replaces every part anyway. So
a scoring run writes through :func:`scores_in_bulk`: inside its transaction the
triggers on the score tables are dropped, the run's subjects' copies are
cleared in one statement, and the triggers are made again before it commits
(SQLite's DDL is transactional: no other connection ever sees them missing).
Measured the same way: 1.69-1.70 CPU-s against 5.5-5.8 through the triggers.

PostgreSQL stores them too (migration 0018). Its readers share one buffer pool
that commits do not empty, but at a national store's size a report's dozen
index and heap pages are mostly outside that pool: reading them live took the
report statement 0.58-0.60 ms a call at a million subjects, reading the part's
row 0.25-0.33 ms (``pgbench``, one client). There the clearing is done by
statement triggers over transition tables, one ``UPDATE`` a statement, and a
scoring run switches it off for its own transaction with a setting instead of
dropping the triggers, which would lock every reader out of the score tables
until the run commits.

The copy is made from the same rows and by the same conversions as the live
read (:func:`xinyong.api.raw_reads.score_value`) and serialised by the same
encoder, so both give the same bytes; ``tests/api/test_api_report_facts.py``
checks that, and that each kind of change clears the copy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any, Final

from pydantic_core import to_json
from sqlalchemy import Connection, Date

from xinyong.api.raw_reads import parties_value, score_value
from xinyong.store import dbapi
from xinyong.store.types import UTCDateTime

__all__ = [
    "FACT_COLUMNS",
    "FACT_SOURCES",
    "SCORE_TRIGGERS",
    "fact_values",
    "scores_in_bulk",
    "splice_facts",
]

FACT_COLUMNS: Final = ("parties", "score", "score_at")
FACT_SOURCES: Final = (
    "person_names",
    "enterprises",
    "subject_identifiers",
    "scores",
    "score_reasons",
    "disputes",
    "consumer_statements",
)
"""The tables the facts are copied from, by subject: what the triggers watch."""
Facts = tuple[bytes | None, bytes | None, Any]
NO_FACTS: Final[Facts] = (None, None, None)

# The rows each query reads for a chunk of subjects, ``{ids}`` their placeholders.
# Ordered by the store, as the live read orders them: each backend's own
# collation (SQLite's BINARY is code point order), so the copy lists names and
# identifiers in the order the live read would.
_PARTIES: Final = (
    "SELECT subject_id, 0, name_id, full_name, '' FROM person_names WHERE subject_id IN ({ids})"
    " UNION ALL SELECT subject_id, 1, 0, legal_name, '' FROM enterprises"
    " WHERE subject_id IN ({ids})"
    " UNION ALL SELECT subject_id, 2, 0, scheme, value_masked FROM subject_identifiers"
    " WHERE subject_id IN ({ids})"
    " ORDER BY 1, 2, 3, 4, 5"
)
# Each subject's latest score (as the report picks it, with no bound on
# computed_at) and its reasons.
_SCORES: Final = (
    "SELECT s.subject_id, s.score_id, s.score, s.score_min, s.score_max, s.model_id,"
    " s.model_version, s.as_of, s.ledger_snapshot, s.computed_at, r.rank, r.code, r.text"
    " FROM scores s LEFT JOIN score_reasons r ON r.score_id = s.score_id"
    " WHERE s.subject_id IN ({ids}) AND s.score_id = (SELECT x.score_id FROM scores x"
    " WHERE x.subject_id = s.subject_id ORDER BY x.computed_at DESC, x.score_id DESC LIMIT 1)"
)
_RANK: Final = itemgetter(9)
_FLAGGED: Final = (
    "SELECT subject_id FROM disputes WHERE subject_id IN ({ids})"
    " UNION SELECT subject_id FROM consumer_statements WHERE subject_id IN ({ids})"
)

# Migration 0015's triggers on the score tables, exactly as it created them
# (``tests/api/test_api_report_facts.py`` compares them with a migrated store's).
_CLEAR_COPY: Final = "UPDATE file_report_parts SET parties = NULL, score = NULL, score_at = NULL"
_CLEAR: Final = _CLEAR_COPY + " WHERE subject_id = {subject} AND parties IS NOT NULL;"
_SUBJECT: Final = {
    "scores": "{row}.subject_id",
    "score_reasons": "(SELECT subject_id FROM scores WHERE score_id = {row}.score_id)",
}


def _score_triggers() -> dict[str, str]:
    out: dict[str, str] = {}
    for table, subject in _SUBJECT.items():
        for event, rows in (("insert", ("NEW",)), ("delete", ("OLD",)), ("update", ("OLD", "NEW"))):
            name = f"report_facts_{table}_{event}"
            body = " ".join(_CLEAR.format(subject=subject.format(row=row)) for row in rows)
            out[name] = f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} BEGIN {body} END"
    return out


SCORE_TRIGGERS: Final = _score_triggers()
# PostgreSQL's clearing functions (migration 0018) do nothing in a transaction
# that set this to 'on'.
_BULK_SETTING: Final = "xinyong.report_facts_bulk"
# The copies a scoring run makes stale: its subjects'.
_CLEAR_RUN: Final = (
    _CLEAR_COPY + " WHERE parties IS NOT NULL"
    " AND subject_id IN (SELECT subject_id FROM scores WHERE run_id = ?)"
)

# What a report serialised with no names, no identifiers and no score holds,
# each exactly once: the keys are the model's, and inside a JSON string every
# quote is escaped, so no string value can hold ``,"`` (as ``report_parts._EMPTY``).
_NO_PARTIES: Final = b',"names":[],"identifiers":[],'
_NO_SCORE: Final = b',"score":null,"accounts":['


def fact_values(conn: Connection, subject_ids: Sequence[str]) -> dict[str, Facts]:
    """``FACT_COLUMNS`` of each subject's report part: its facts as the report
    serialises them, or all NULL (a dispute or a statement)."""
    if not subject_ids:
        return {}
    as_date = dbapi.result_processor(Date(), conn.dialect)
    as_instant = dbapi.result_processor(UTCDateTime(), conn.dialect)
    ids = list(subject_ids)

    def rows(sql: str, times: int) -> list[Any]:
        marks = ", ".join("?" * len(ids))
        statement = dbapi.sql_for(conn.dialect, sql.format(ids=marks))
        return list(conn.exec_driver_sql(statement, tuple(ids * times)))

    flagged = {r[0] for r in rows(_FLAGGED, 2)}
    parties: defaultdict[str, list[Any]] = defaultdict(list)
    for r in rows(_PARTIES, 3):
        parties[r[0]].append(r[1:])
    scored: defaultdict[str, list[Any]] = defaultdict(list)
    for r in rows(_SCORES, 1):
        scored[r[0]].append(r[1:])
    out: dict[str, Facts] = {}
    for sid in ids:
        if sid in flagged:
            out[sid] = NO_FACTS
            continue
        names, identifiers = parties_value(parties.get(sid, ()))
        score_rows = scored.get(sid, [])
        if len(score_rows) > 1:  # several reasons, so no NULL rank
            score_rows.sort(key=_RANK)
        score = score_value(score_rows, as_date, as_instant)
        out[sid] = (
            to_json({"names": names, "identifiers": identifiers})[1:-1],
            to_json(score),
            score_rows[0][8] if score_rows else None,  # computed_at as stored
        )
    return out


@contextmanager
def scores_in_bulk(conn: Connection, run_id: str) -> Iterator[None]:
    """Write run ``run_id``'s scores and reasons inside, in ``conn``'s transaction,
    without a trigger per row: the run's subjects' copies are cleared at the end, in
    one statement. Must run inside a transaction that rolls back on error (the
    triggers come back with it). Why: per row, the triggers cost a scoring run more
    than its own writes (see the module's note). On PostgreSQL the statement
    triggers stay; a transaction-local setting makes them do nothing meanwhile."""
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        conn.exec_driver_sql(f"SET LOCAL {_BULK_SETTING} = 'on'")
    else:
        for name in SCORE_TRIGGERS:
            conn.exec_driver_sql(f"DROP TRIGGER {name}")
    yield
    conn.exec_driver_sql(dbapi.sql_for(conn.dialect, _CLEAR_RUN), (run_id,))
    if postgres:
        conn.exec_driver_sql(f"SET LOCAL {_BULK_SETTING} = 'off'")
    else:
        for create in SCORE_TRIGGERS.values():
            conn.exec_driver_sql(create)


def splice_facts(document: bytes, parties: bytes, score: bytes) -> bytes:
    """``document`` (a report, or a body holding one, serialised with no names, no
    identifiers and no score) with the stored facts in their place."""
    if document.count(_NO_PARTIES) != 1 or document.count(_NO_SCORE) != 1:
        raise ValueError("the document does not hold exactly one report without facts")
    head, _, rest = document.partition(_NO_PARTIES)
    middle, _, tail = rest.partition(_NO_SCORE)
    return b"".join(
        (head, b",", parties, b",", middle, b',"score":', score, b',"accounts":[', tail)
    )
