"""The inquiry hot path's reads: plain SQL on driver connections of the worker's own.

A report inquiry reads six small row sets by primary key or index (the key,
the identifier's holders, then the subject's publication and part, names,
score and inquiries). Through SQLAlchemy each statement cost ~100 µs of Python
against ~10 µs in SQLite itself, and a pool checkout per request cost as much
again (a ``SELECT 1`` round trip on PostgreSQL, where the engine pings on
checkout). So a worker keeps driver connections of its own, in autocommit
(``store.dbapi``), and runs these statements on them. On PostgreSQL each
statement (each pipeline) is its own read; on SQLite the reads of the
:meth:`Reads.run` calls of one turn of the event loop share one read transaction
(:meth:`RawReader.snapshot`). What
must be consistent (the publication and the subject's part of it) is read in
one statement either way. Values
go through the result processors SQLAlchemy would apply (``Date``,
``UTCDateTime``), so a report built here equals one built by
``reports.build_report``.

The four reads of a report that follow the subject's lookup are independent:
on PostgreSQL they go in one round trip (psycopg's pipeline mode), since every
round trip is time the event loop spends waiting; the pipeline's statements
share one snapshot (REPEATABLE READ). In the usual case the lookup and the
report's reads are one statement (:meth:`RawReader.holders_and_report`), the
reads keyed by the identifier's sole holder and each row set returned as arrays
in one row: each statement costs the worker's Python and the server about the
same however little it reads, so one is cheaper than a pipeline of five. On
SQLite too they are one statement, the row sets one after another
(:data:`_HOLDERS_AND_REPORT_SQLITE`). On both, where publication stored the
subject's names, identifiers and score with its part (``report_facts``), the
statement reads them from the part's row instead of from their own indexes.

A :class:`RawReader` belongs to one thread. :class:`Reads` decides which: on
SQLite the event loop's own (a read is microseconds of local work), on
PostgreSQL two reader threads with a connection each. There a read is a
round trip, and a loop blocked on round trips sat idle most of the time under
load (measured: 5 ms a report's reads at the median on a busy machine, the
loop blocked 80% of the time); in threads, other requests go on meanwhile. On
PostgreSQL the reads go to the threads in batches, and the reports of a batch
are one statement (:meth:`RawReader.prefetching`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter
from typing import Any, Final, Literal, TypeAlias, TypeVar

from sqlalchemy import Date, Engine

from xinyong.api.models import ScoreOut
from xinyong.domain.inquiries import Purpose
from xinyong.policy import Profile
from xinyong.store import dbapi
from xinyong.store.types import UTCDateTime

__all__ = [
    "Head",
    "KeyRow",
    "RawReader",
    "Reads",
    "ReportKey",
    "ReportReads",
    "ScoreReads",
    "parties_value",
    "score_value",
]

T = TypeVar("T")
# An identifier's report (or score) as a hot-path read asks for it: (scheme, value
# hash, now).
ReportKey: TypeAlias = tuple[str, str, datetime]
# What a read names to be read ahead with its batch (``Reads``): the identifier's
# report or its score, and the key.
_Ahead: TypeAlias = tuple[Literal["report", "score"], ReportKey]
# A read asked for (``Reads``): the read, what it names to read ahead, its request's future.
_Asked: TypeAlias = tuple[Callable[["RawReader"], Any], _Ahead | None, "asyncio.Future[Any]"]
# A read's outcome on a reader thread: (True, its result) or (False, its error).
_Outcome: TypeAlias = tuple[bool, Any]
log = logging.getLogger("xinyong.api.raw_reads")
# PostgreSQL: a worker's reader threads, each with its connection and a batch of
# reads at a time (``Reads``). Two, not one: a slow read (a report built item by
# item) holds up only its own batch. Not more: the fewer batches in flight, the
# more reads each holds, and a batch's statement costs less a report the more
# it reads (measured at a million subjects, 100 clients, 2 workers: 8 threads
# 2,666 reports/s, 4 2,907, 2 3,000-3,076, 1 3,241).
READER_THREADS: Final = 2
# PostgreSQL: the most reads one batch holds.
READ_BATCH: Final = 32
# The readers' PostgreSQL ``application_name`` (``store.dbapi.detached_connection``).
APPLICATION_NAME: Final = "xinyong-read"
# SQLite's page cache for a read connection (default 2 MiB). A report reads some
# thirty pages of a dozen B-trees; at a million subjects the default cache lost
# their interior pages between requests: 32 page reads (system calls) per
# report, 28 with 64 MiB (measured), the rest leaves no cache would keep.
# Under load, though, SQLite drops this whole cache whenever a read finds that
# another connection (a worker's recorder) committed since the last one, i.e.
# about once per report: most page reads left are interior pages re-read after
# such a drop (measured at 1M subjects: the reads alone ~11.5 pages a report with
# no commits in between, ~42 a report under load with its recording).
SQLITE_READ_CACHE_KIB: Final = 64 * 1024

# The report's reads of one subject, ``{subject}`` its key (a parameter).
_REPORT_SQL: Final[dict[str, str]] = {
    # The subject, the current publication, the subject's part of it, and
    # whether a dispute or a statement could change how its items read.
    "head": (
        "SELECT s.subject_id, s.kind, r.run_id, r.as_of, p.accounts, p.public_records,"
        " EXISTS (SELECT 1 FROM disputes d WHERE d.subject_id = s.subject_id),"
        " EXISTS (SELECT 1 FROM consumer_statements c WHERE c.subject_id = s.subject_id)"
        ' FROM subjects s LEFT JOIN file_runs r ON r."current"'
        " LEFT JOIN file_report_parts p ON p.subject_id = s.subject_id AND p.run_id = r.run_id"
        " WHERE s.subject_id = {subject}"
    ),
    # Names and identifiers (as ``reports._PARTIES``): k 0 person names, 1
    # enterprise names, 2 identifiers (scheme, masked value).
    "parties": (
        "SELECT 0 AS k, name_id AS n, full_name AS a, '' AS b FROM person_names"
        " WHERE subject_id = {subject}"
        " UNION ALL SELECT 1, 0, legal_name, '' FROM enterprises WHERE subject_id = {subject}"
        " UNION ALL SELECT 2, 0, scheme, value_masked FROM subject_identifiers"
        " WHERE subject_id = {subject}"
        " ORDER BY k, n, a, b"
    ),
    # The latest score by ``now`` and its reasons. The score row is taken where the
    # (subject_id, computed_at, score_id) index finds it, not looked up again by
    # its key: one B-tree read fewer.
    "score": (
        "SELECT s.score_id, s.score, s.score_min, s.score_max, s.model_id, s.model_version,"
        " s.as_of, s.ledger_snapshot, s.computed_at, r.rank, r.code, r.text"
        " FROM (SELECT * FROM scores WHERE subject_id = {subject} AND computed_at <= ?"
        " ORDER BY computed_at DESC, score_id DESC LIMIT 1) s"
        " LEFT JOIN score_reasons r ON r.score_id = s.score_id"
        " ORDER BY r.rank"
    ),
    "inquiries_no_prescreen": (
        "SELECT i.inquiry_id, i.inquirer_org_id, o.name, i.purpose, i.at"
        " FROM inquiries i JOIN organisations o ON o.org_id = i.inquirer_org_id"
        " WHERE i.subject_id = {subject} AND i.at <= ? AND i.purpose <> ?"
        " ORDER BY i.at DESC, i.inquiry_id"
    ),
}

# SQLite: the identifier's holders and the report of its sole holder in one
# statement, the row sets of :data:`_REPORT_SQL` one after another, each row
# tagged with its set (0 holders, 1 head, 2 parties, 3 score and reasons, 4
# inquiries) and padded to one width. A compound SELECT takes no ORDER BY per
# arm, so the rows come unordered and ``RawReader._sqlite_holders_and_report`` sorts each
# set on its raw values as its statement orders them (text compares as SQLite's
# BINARY collation does, code point by code point). Why one statement, not
# five: each statement cost the event loop's thread its own execute, bind and
# fetch, and each of the report's looked the sole holder up again.
#
# Where the part's row holds the subject's facts (``report_facts``: names,
# identifiers, latest score, no dispute or statement) and its score is not
# after ``now``, the head row carries them and the parties, score and flags
# are not read: ``live`` is empty, and each arm keyed by it reads nothing.
_W: Final = 13  # the widest row set: the score with a reason
_PAD: Final = {n: ", NULL" * (_W - n) for n in range(_W)}
_HOLDERS_AND_REPORT_SQLITE: Final = f"""
WITH h AS MATERIALIZED (
 SELECT s.subject_id AS id, s.status, s.merged_into FROM subjects s
 JOIN subject_identifiers i ON i.subject_id = s.subject_id
 WHERE i.scheme = ? AND i.value_hash = ?
), sole AS MATERIALIZED (SELECT min(id) AS id FROM h HAVING count(*) = 1),
head AS MATERIALIZED (
 SELECT s.subject_id AS id, s.kind, r.run_id, r.as_of, p.accounts, p.public_records,
  CASE WHEN p.parties IS NOT NULL AND (p.score_at IS NULL OR p.score_at <= ?)
   THEN 1 ELSE 0 END AS stored, p.parties, p.score
 FROM sole JOIN subjects s ON s.subject_id = sole.id LEFT JOIN file_runs r ON r."current"
 LEFT JOIN file_report_parts p ON p.subject_id = s.subject_id AND p.run_id = r.run_id
), live AS MATERIALIZED (SELECT id FROM head WHERE NOT stored)
SELECT 0, id, status, merged_into{_PAD[4]} FROM h
UNION ALL
SELECT 1, id, kind, run_id, as_of, accounts, public_records,
 CASE WHEN stored THEN 0 ELSE EXISTS (SELECT 1 FROM disputes d WHERE d.subject_id = head.id) END,
 CASE WHEN stored THEN 0
  ELSE EXISTS (SELECT 1 FROM consumer_statements c WHERE c.subject_id = head.id) END,
 CASE WHEN stored THEN parties END, CASE WHEN stored THEN score END{_PAD[11]}
 FROM head
UNION ALL
SELECT 2, 0, name_id, full_name, ''{_PAD[5]} FROM person_names
 WHERE subject_id = (SELECT id FROM live)
UNION ALL
SELECT 2, 1, 0, legal_name, ''{_PAD[5]} FROM enterprises WHERE subject_id = (SELECT id FROM live)
UNION ALL
SELECT 2, 2, 0, scheme, value_masked{_PAD[5]} FROM subject_identifiers
 WHERE subject_id = (SELECT id FROM live)
UNION ALL
SELECT 3, s.score_id, s.score, s.score_min, s.score_max, s.model_id, s.model_version,
 s.as_of, s.ledger_snapshot, s.computed_at, r.rank, r.code, r.text
 FROM (SELECT * FROM scores WHERE subject_id = (SELECT id FROM live) AND computed_at <= ?
 ORDER BY computed_at DESC, score_id DESC LIMIT 1) s
 LEFT JOIN score_reasons r ON r.score_id = s.score_id
UNION ALL
SELECT 4, i.inquiry_id, i.inquirer_org_id, o.name, i.purpose, i.at{_PAD[6]}
 FROM inquiries i JOIN organisations o ON o.org_id = i.inquirer_org_id
 WHERE i.subject_id = (SELECT id FROM sole) AND i.at <= ? AND i.purpose <> ?
"""

# PostgreSQL: the identifiers' holders and the report of each one's sole holder,
# for a batch of identifiers in one statement, one row each (``k.n``, its place
# in the batch). Each of the report's row sets is an array per column, in
# the order its statement in :data:`_REPORT_SQL` sorts by (names: person names by
# (name_id, full_name), then enterprise names; identifiers by (scheme, masked);
# reasons by rank; inquiries newest first, then by id); an empty set is NULL.
# Where the part's row holds the subject's facts (``report_facts``) and its score
# is not after the inquiry's ``now``, ``f.live`` is NULL: every read keyed by it
# (the names, identifiers, score, reasons, dispute and statement flags) finds
# nothing at once (an index scan for NULL descends no tree), and the stored facts
# come instead.
# Why one statement, not the five of a pipeline: on PostgreSQL a statement costs
# ~30 µs of psycopg's Python in the worker and ~20 µs of the server's time, however
# small; a pipeline saves the round trips but not that (measured: holders and
# report 0.29 ms of the worker's CPU in five statements). A single statement also
# reads one snapshot under any isolation level.
# Why a batch (the requests of one turn of a worker's event loop, ``Reads``): a
# statement this size costs the server ~0.2 ms and psycopg ~0.1 ms of the
# worker's CPU for one identifier, but 0.06 and 0.03 ms an identifier for eight
# (measured at a million subjects, generic plan); most of a lone statement's
# cost is starting it, not reading the pages.
#
# The identifier's holders as arrays (ordered as "holders" orders its rows) and
# its sole holder (NULL: none, or several).
_PG_HOLDERS: Final = """(
 SELECT array_agg(s.subject_id ORDER BY s.subject_id) AS ids,
  array_agg(s.status ORDER BY s.subject_id) AS statuses,
  array_agg(s.merged_into ORDER BY s.subject_id) AS merged,
  CASE WHEN count(*) = 1 THEN min(s.subject_id) END AS sole
 FROM subjects s JOIN subject_identifiers i ON i.subject_id = s.subject_id
 WHERE i.scheme = {scheme} AND i.value_hash = {value_hash}
) h"""
# The latest score of ``{subject}`` by the instant ``{at}``, as "score" picks it,
# and its reasons as arrays by rank.
_PG_SCORE_COLUMNS: Final = (
    "sc.score_id, sc.score, sc.score_min, sc.score_max, sc.model_id, sc.model_version,"
    " sc.as_of, sc.ledger_snapshot, sc.computed_at, rs.ranks, rs.codes, rs.texts"
)
_PG_SCORE: Final = """
LEFT JOIN LATERAL (
 SELECT * FROM scores WHERE subject_id = {subject} AND computed_at <= {at}
 ORDER BY computed_at DESC, score_id DESC LIMIT 1
) sc ON true
LEFT JOIN LATERAL (
 SELECT array_agg(rank ORDER BY rank) AS ranks, array_agg(code ORDER BY rank) AS codes,
  array_agg(text ORDER BY rank) AS texts
 FROM score_reasons WHERE score_id = sc.score_id
) rs ON true"""
# The batch's keys, each with its place in the batch (``k.n``, from 1).
_PG_KEYS: Final = (
    "unnest(?::text[], ?::text[], ?::timestamptz[]) WITH ORDINALITY AS k(scheme, value_hash, at, n)"
)
_HOLDERS_AND_REPORTS_PG: Final = f"""
SELECT k.n, h.ids, h.statuses, h.merged,
 s.subject_id, s.kind, r.run_id, r.as_of, p.accounts, p.public_records,
 EXISTS (SELECT 1 FROM disputes d WHERE d.subject_id = f.live),
 EXISTS (SELECT 1 FROM consumer_statements c WHERE c.subject_id = f.live),
 ARRAY(SELECT full_name FROM person_names WHERE subject_id = f.live
  ORDER BY name_id, full_name)
 || ARRAY(SELECT legal_name FROM enterprises WHERE subject_id = f.live
  ORDER BY legal_name),
 si.schemes, si.masked,
 {_PG_SCORE_COLUMNS},
 q.ids, q.orgs, q.names, q.purposes, q.ats,
 CASE WHEN f.live IS NULL THEN p.parties END, CASE WHEN f.live IS NULL THEN p.score END
FROM {_PG_KEYS}
CROSS JOIN LATERAL {_PG_HOLDERS.format(scheme="k.scheme", value_hash="k.value_hash")}
LEFT JOIN subjects s ON s.subject_id = h.sole
LEFT JOIN file_runs r ON r."current" AND s.subject_id IS NOT NULL
LEFT JOIN file_report_parts p ON p.subject_id = s.subject_id AND p.run_id = r.run_id
LEFT JOIN LATERAL (
 SELECT CASE WHEN p.parties IS NOT NULL AND (p.score_at IS NULL OR p.score_at <= k.at)
  THEN NULL ELSE s.subject_id END AS live
) f ON true
LEFT JOIN LATERAL (
 SELECT array_agg(scheme ORDER BY scheme, value_masked) AS schemes,
  array_agg(value_masked ORDER BY scheme, value_masked) AS masked
 FROM subject_identifiers WHERE subject_id = f.live
) si ON true{_PG_SCORE.format(subject="f.live", at="k.at")}
LEFT JOIN LATERAL (
 SELECT array_agg(i.inquiry_id ORDER BY i.at DESC, i.inquiry_id) AS ids,
  array_agg(i.inquirer_org_id ORDER BY i.at DESC, i.inquiry_id) AS orgs,
  array_agg(o.name ORDER BY i.at DESC, i.inquiry_id) AS names,
  array_agg(i.purpose ORDER BY i.at DESC, i.inquiry_id) AS purposes,
  array_agg(i.at ORDER BY i.at DESC, i.inquiry_id) AS ats
 FROM inquiries i JOIN organisations o ON o.org_id = i.inquirer_org_id
 WHERE i.subject_id = s.subject_id AND i.at <= k.at AND i.purpose <> ?
) q ON true
"""
# The holders and the sole holder's latest score, a score inquiry's reads, for a
# batch of identifiers as for reports: one row each.
_HOLDERS_AND_SCORES_PG: Final = f"""
SELECT k.n, h.ids, h.statuses, h.merged, h.sole, {_PG_SCORE_COLUMNS}
FROM {_PG_KEYS}
CROSS JOIN LATERAL {_PG_HOLDERS.format(scheme="k.scheme", value_hash="k.value_hash")}\
{_PG_SCORE.format(subject="h.sole", at="k.at")}
"""

_SQL: Final[dict[str, str]] = {
    # The key, its organisation's name and the purposes it is registered for.
    "key": (
        "SELECT k.org_id, k.role, k.secret_hash, k.expires_at, k.revoked_at, o.name, p.purpose"
        " FROM api_keys k JOIN organisations o ON o.org_id = k.org_id"
        " LEFT JOIN inquirer_purposes p ON p.org_id = k.org_id"
        " WHERE k.key_id = ?"
    ),
    "holders": (
        "SELECT s.subject_id, s.status, s.merged_into FROM subjects s"
        " JOIN subject_identifiers i ON i.subject_id = s.subject_id"
        " WHERE i.scheme = ? AND i.value_hash = ? ORDER BY s.subject_id"
    ),
    "subject": "SELECT status, merged_into FROM subjects WHERE subject_id = ?",
    **{name: sql.format(subject="?") for name, sql in _REPORT_SQL.items()},
    # SQLite only:
    "holders_and_report_sqlite": _HOLDERS_AND_REPORT_SQLITE,
    # PostgreSQL only:
    "holders_and_reports": _HOLDERS_AND_REPORTS_PG,
    "holders_and_scores": _HOLDERS_AND_SCORES_PG,
}


@dataclass(frozen=True, slots=True)
class KeyRow:
    """An API key as stored, with its organisation's name and registered purposes."""

    org_id: str
    role: str
    secret_hash: str
    expires_at: datetime | None
    revoked_at: datetime | None
    org_name: str
    purposes: frozenset[str]


@dataclass(frozen=True, slots=True)
class ReportReads:
    """A subject's report as read for the hot path, around the stored part in ``head``.

    ``score`` and ``inquiries`` are plain values shaped as ``ScoreOut`` and
    ``InquiryItem`` serialise (their fields, in their order, values of their
    types), not the models: the report is serialised from them as they are
    (``inquiry_report.report_json``), and building a model per score, reason and
    inquiry, only to serialise it, tripled the serialisation's cost.
    """

    subject_id: str
    head: Head | None
    names: list[str]
    identifiers: list[dict[str, str]]
    score: dict[str, Any] | None
    inquiries: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ScoreReads:
    """A subject's latest score as read for a score inquiry (``None``: it has none)."""

    subject_id: str
    score: ScoreOut | None


@dataclass(frozen=True, slots=True)
class Head:
    """The subject's kind, the current publication and the subject's stored part of it."""

    kind: str
    run_id: str | None
    as_of: date | None
    accounts: bytes | None
    public_records: bytes | None
    flagged: bool  # a dispute or a statement exists: the stored part may not apply
    # The report's names and identifiers, and its score, as stored JSON
    # (``report_facts``); None: read live, in ``ReportReads``.
    parties: bytes | None = None
    score: bytes | None = None


class RawReader:
    """One worker's read connection and the hot path's statements on it."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Any = None
        dialect = engine.dialect
        self._sql = {name: dbapi.sql_for(dialect, sql) for name, sql in _SQL.items()}
        self._date = dbapi.result_processor(Date(), dialect)
        self._instant = dbapi.result_processor(UTCDateTime(), dialect)
        self._bind_instant = dbapi.bind_processor(UTCDateTime(), dialect)
        self._pipeline = dialect.name == "postgresql"
        self._sqlite = dialect.name == "sqlite"
        driver = dialect.loaded_dbapi
        self._retry: tuple[type[Exception], ...] = (driver.OperationalError, driver.InterfaceError)
        # What :meth:`prefetching` read ahead, by key: reports, scores.
        self._prefetched: dict[ReportKey, Any] = {}
        self._prefetched_scores: dict[ReportKey, Any] = {}

    def close(self) -> None:
        """Close the connection (the next read opens a new one)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # already broken: nothing to release
                conn.close()

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """On SQLite, the reads made inside in one read transaction; elsewhere nothing.

        Why: in WAL mode every statement outside a transaction is a read
        transaction of its own, which takes and releases a WAL read lock
        (``fcntl`` system calls on the shared-memory file) and, when another
        connection (a worker's recorder) has committed since the last one, drops
        this connection's whole page cache, so the B-tree pages the previous
        statements of the same report had just read are read again. A report
        inquiry's reads (the holders, any merged subject, the report's four
        reads) in one transaction lock once and drop the cache at most once; and
        they read one state of the store, as the pipeline's do on PostgreSQL.
        Nothing here writes, so the transaction never holds the write lock.
        """
        if not self._sqlite:
            yield
            return
        if self._conn is None:
            self._conn = self._connect()
        conn = self._conn
        if conn.in_transaction:  # already inside one: that one is the snapshot
            yield
            return
        conn.execute("BEGIN")
        ok = False
        try:
            yield
            ok = True
        finally:
            # A read retried on a new connection (``_many``) left this one closed.
            if conn is self._conn and conn.in_transaction:
                try:
                    conn.execute("COMMIT" if ok else "ROLLBACK")
                except Exception:
                    # Never leave the connection inside a transaction: a new one next.
                    self.close()
                    if ok:
                        raise

    def _connect(self) -> Any:
        conn = dbapi.detached_connection(self._engine, autocommit=True, name=APPLICATION_NAME)
        if self._engine.dialect.name == "sqlite":
            conn.execute(f"PRAGMA cache_size = -{SQLITE_READ_CACHE_KIB}")
        else:
            # A pipeline is one implicit transaction (no Sync until its end): under
            # REPEATABLE READ its statements share one snapshot, so the report's
            # reads keyed by an identifier's sole holder read the holder the
            # lookup beside them saw. Read-only: no serialization failures.
            conn.execute("SET default_transaction_isolation = 'repeatable read'")
            # Every statement here finds a few rows by key, so the generic plan is
            # the plan, and planning it afresh each time (as PostgreSQL does at
            # first, and for good when a batch's array sizes make the custom
            # plans look cheaper) cost 0.7 ms a statement, several times running it.
            conn.execute("SET plan_cache_mode = force_generic_plan")
        return conn

    def _many(self, reads: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Any]]:
        """Run independent statements, in one round trip on PostgreSQL (pipeline mode);
        a broken connection is replaced and the reads retried once."""
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = self._connect()
            conn = self._conn
            try:
                if self._pipeline:
                    # Results in the binary format: the server sends a batch's arrays,
                    # instants and stored parts (``bytea``) as they are, where the
                    # text format quoted each array element and spelled each part
                    # in hex, for psycopg to parse back. Measured on batches of 14
                    # reports at a million subjects (medians of 12 alternations):
                    # psycopg 0.061 -> 0.050 ms a report, the server 0.114 -> 0.105.
                    with conn.pipeline() if len(reads) > 1 else contextlib.nullcontext():
                        cursors = [
                            conn.execute(self._sql[name], params, binary=True)
                            for name, params in reads
                        ]
                    return [list(c.fetchall()) for c in cursors]
                return [list(conn.execute(self._sql[n], p).fetchall()) for n, p in reads]
            except self._retry:
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _rows(self, name: str, params: Sequence[Any]) -> list[Any]:
        return self._many([(name, params)])[0]

    # ------------------------------------------------------------------ reads

    def key(self, key_id: str) -> KeyRow | None:
        rows = self._rows("key", (key_id,))
        if not rows:
            return None
        org_id, role, secret_hash, expires_at, revoked_at, name, _ = rows[0]
        return KeyRow(
            org_id=org_id,
            role=role,
            secret_hash=secret_hash,
            expires_at=self._instant(expires_at),
            revoked_at=self._instant(revoked_at),
            org_name=name,
            purposes=frozenset(r[6] for r in rows if r[6] is not None),
        )

    @property
    def pipelined(self) -> bool:
        """Whether independent reads share one round trip (PostgreSQL)."""
        return self._pipeline

    def holders(self, scheme: str, value_hash: str) -> list[tuple[str, str, str | None]]:
        """(subject_id, status, merged_into) of every subject holding the identifier."""
        return [(r[0], r[1], r[2]) for r in self._rows("holders", (scheme, value_hash))]

    def holders_and_report(
        self, scheme: str, value_hash: str, now: datetime, profile: Profile
    ) -> tuple[list[tuple[str, str, str | None]], ReportReads | None]:
        """As :meth:`holders`, and with it what :meth:`report` reads for the
        identifier's sole holder (``None``: no sole holder): one statement, so the
        usual report is one round trip, not two; on PostgreSQL read already with
        the rest of its batch where :meth:`prefetching` named it. Whether these
        reads are the report's is the caller's to decide (``subject_id`` against
        the subject the holders resolve to: a merged holder's is not)."""
        if self._pipeline:
            key = (scheme, value_hash, now)
            row = self._prefetched.get(key)
            if row is None:
                row = self._holders_and_reports([key])[key]
            return self._holders_and_report(row, profile)
        at = self._bind_instant(now)
        rows = self._rows(
            "holders_and_report_sqlite", (scheme, value_hash, at, at, at, Purpose.PRESCREEN.value)
        )
        return self._sqlite_holders_and_report(rows, profile)

    @contextlib.contextmanager
    def prefetching(
        self, reports: Sequence[ReportKey], scores: Sequence[ReportKey] = ()
    ) -> Iterator[None]:
        """Inside, :meth:`holders_and_report` of any of ``reports`` (scheme, value
        hash, ``now``) answers from one statement that read them all, and
        :meth:`holders_and_score` of any of ``scores`` from another (PostgreSQL; on
        SQLite, where a statement costs no round trip, nothing is read ahead).
        Raises what those statements raise: the reads named are then not made."""
        if not self._pipeline or not (reports or scores):
            yield
            return
        try:
            self._prefetched = self._holders_and_reports(reports) if reports else {}
            self._prefetched_scores = self._holders_and_scores(scores) if scores else {}
            yield
        finally:
            self._prefetched, self._prefetched_scores = {}, {}

    def _holders_and_reports(self, keys: Sequence[ReportKey]) -> dict[ReportKey, Any]:
        """Each key's row of :data:`_HOLDERS_AND_REPORTS_PG`, without its place."""
        params = (*self._key_arrays(keys), Purpose.PRESCREEN.value)
        return _by_key(keys, self._rows("holders_and_reports", params))

    def _holders_and_scores(self, keys: Sequence[ReportKey]) -> dict[ReportKey, Any]:
        """Each key's row of :data:`_HOLDERS_AND_SCORES_PG`, without its place."""
        return _by_key(keys, self._rows("holders_and_scores", self._key_arrays(keys)))

    def _key_arrays(self, keys: Sequence[ReportKey]) -> tuple[list[str], list[str], list[Any]]:
        """The parameters of :data:`_PG_KEYS`: the keys' schemes, hashes and instants."""
        return (
            [k[0] for k in keys],
            [k[1] for k in keys],
            [self._bind_instant(k[2]) for k in keys],
        )

    def _sqlite_holders_and_report(
        self, rows: list[Any], profile: Profile
    ) -> tuple[list[tuple[str, str, str | None]], ReportReads | None]:
        """The rows of :data:`_HOLDERS_AND_REPORT_SQLITE` as :meth:`holders_and_report`
        returns them: each set apart, untagged, in its statement's order."""
        sets: tuple[list[Any], ...] = ([], [], [], [], [])
        for row in rows:
            sets[row[0]].append(row)
        holders, head, parties, score, inquiries = sets
        if len(holders) > 1:
            holders.sort(key=itemgetter(1))
        found = [(r[1], r[2], r[3]) for r in holders]
        if not head:
            return found, None
        if len(parties) > 1:
            parties.sort(key=itemgetter(1, 2, 3, 4))
        if len(score) > 1:  # several reasons, so no NULL rank
            score.sort(key=itemgetter(10))
        if len(inquiries) > 1:  # newest first, then by id: two stable sorts
            inquiries.sort(key=itemgetter(1))
            inquiries.sort(key=itemgetter(5), reverse=True)
        return found, self._report_reads(
            head[0][1],
            [r[1:9] for r in head],
            [r[1:5] for r in parties],
            [r[1:] for r in score],
            [r[1:6] for r in inquiries],
            profile,
            (head[0][9], head[0][10]),
        )

    def _holders_and_report(
        self, row: Any, profile: Profile
    ) -> tuple[list[tuple[str, str, str | None]], ReportReads | None]:
        """A row of :data:`_HOLDERS_AND_REPORTS_PG` (without its place) as
        :meth:`holders_and_report` returns it."""
        holders = self._holders_of(row[0:3])
        subject_id, kind, run_id, as_of, accounts, records, disputed, noted = row[3:11]
        if subject_id is None:
            return holders, None
        names, schemes, masked, inquiries = row[11], row[12] or [], row[13] or [], row[26:31]
        return holders, ReportReads(
            subject_id=subject_id,
            head=self._head(
                [(subject_id, kind, run_id, as_of, accounts, records, disputed, noted)],
                (row[31], row[32]),
            ),
            names=names,
            identifiers=[{"scheme": a, "masked": b} for a, b in zip(schemes, masked, strict=True)],
            score=self._score_of(row[14:26]),
            inquiries=(
                self._inquiries(list(zip(*inquiries, strict=True)), profile)
                if inquiries[0] is not None
                else []
            ),
        )

    def holders_and_score(
        self, scheme: str, value_hash: str, now: datetime
    ) -> tuple[list[tuple[str, str, str | None]], ScoreReads | None]:
        """As :meth:`holders`, and with it what :meth:`score` reads for the identifier's
        sole holder (``None``: no sole holder): on PostgreSQL one statement, so a
        score inquiry is one round trip, not two, read already with the rest of its
        batch where :meth:`prefetching` named it; elsewhere the two reads. As for
        :meth:`holders_and_report`, the caller decides whether the score read is
        the one to serve."""
        if not self._pipeline:
            holders = self.holders(scheme, value_hash)
            if len(holders) != 1:
                return holders, None
            return holders, ScoreReads(holders[0][0], self.score(holders[0][0], now))
        key = (scheme, value_hash, now)
        row = self._prefetched_scores.get(key)
        if row is None:
            row = self._holders_and_scores([key])[key]
        holders, sole = self._holders_of(row[0:3]), row[3]
        if sole is None:
            return holders, None
        return holders, ScoreReads(sole, _score_model(self._score_of(row[4:16])))

    @staticmethod
    def _holders_of(arrays: Sequence[Any]) -> list[tuple[str, str, str | None]]:
        ids, statuses, merged = arrays
        return list(zip(ids, statuses, merged, strict=True)) if ids is not None else []

    def _score_of(self, columns: Sequence[Any]) -> dict[str, Any] | None:
        """The score columns of :data:`_PG_SCORE_COLUMNS` (reasons as arrays) as :meth:`_score`
        reads the rows of "score"."""
        if columns[0] is None:
            return None
        score, (ranks, codes, texts) = tuple(columns[:9]), columns[9:12]
        if ranks is None:
            return self._score_value([(*score, None, None, None)])
        return self._score_value([(*score, *r) for r in zip(ranks, codes, texts, strict=True)])

    def subject(self, subject_id: str) -> tuple[str, str | None]:
        """(status, merged_into) of a subject known to exist."""
        rows = self._rows("subject", (subject_id,))
        return rows[0][0], rows[0][1]

    def report(self, subject_id: str, now: datetime, profile: Profile) -> ReportReads:
        """What the inquirer's copy of a report needs besides the stored part, in one go."""
        at = self._bind_instant(now)
        head, parties, score, inquiries = self._many(
            [
                ("head", (subject_id,)),
                ("parties", (subject_id, subject_id, subject_id)),
                ("score", (subject_id, at)),
                ("inquiries_no_prescreen", (subject_id, at, Purpose.PRESCREEN.value)),
            ]
        )
        return self._report_reads(subject_id, head, parties, score, inquiries, profile)

    def _report_reads(
        self,
        subject_id: str,
        head: list[Any],
        parties: list[Any],
        score: list[Any],
        inquiries: list[Any],
        profile: Profile,
        stored: tuple[bytes | None, bytes | None] = (None, None),
    ) -> ReportReads:
        names, identifiers = parties_value(parties)
        return ReportReads(
            subject_id=subject_id,
            head=self._head(head, stored),
            names=names,
            identifiers=identifiers,
            score=self._score_value(score),
            inquiries=self._inquiries(inquiries, profile),
        )

    def score(self, subject_id: str, now: datetime) -> ScoreOut | None:
        """As ``reports.latest_score``: the latest score computed by ``now``, with reasons."""
        rows = self._rows("score", (subject_id, self._bind_instant(now)))
        return _score_model(self._score_value(rows))

    def _head(
        self, rows: list[Any], stored: tuple[bytes | None, bytes | None] = (None, None)
    ) -> Head | None:
        """The "head" row, with the stored facts (``report_facts``) that the
        combined read found for it (``parties``, ``score``; NULL: read live)."""
        if not rows:
            return None
        _, kind, run_id, as_of, accounts, records, disputed, noted = rows[0]
        parties, score = stored
        return Head(
            kind=kind,
            run_id=run_id,
            as_of=self._date(as_of),
            accounts=bytes(accounts) if accounts is not None else None,
            public_records=bytes(records) if records is not None else None,
            flagged=bool(disputed) or bool(noted),
            parties=bytes(parties) if parties is not None else None,
            score=bytes(score) if score is not None else None,
        )

    def _score_value(self, rows: Sequence[Sequence[Any]]) -> dict[str, Any] | None:
        """The rows of "score" as ``ScoreOut`` serialises (see :class:`ReportReads`)."""
        return score_value(rows, self._date, self._instant)

    def _inquiries(self, rows: Sequence[Sequence[Any]], profile: Profile) -> list[dict[str, Any]]:
        """As ``reports._inquiries`` for the inquirer's copy (no prescreens), newest first,
        each as ``InquiryItem`` serialises (see :class:`ReportReads`)."""
        return [
            {
                "inquiry_id": r[0],
                "inquirer_org_id": r[1],
                "inquirer_name": r[2],
                "purpose": r[3],
                "kind": profile.inquiry_kind(r[3]).value,
                "at": self._instant(r[4]),
            }
            for r in rows
        ]


def _by_key(keys: Sequence[ReportKey], rows: Sequence[Sequence[Any]]) -> dict[ReportKey, Any]:
    """The rows of a batch statement (each led by its key's place in ``keys``, from
    1) by key, without the place."""
    found: dict[ReportKey, Any] = {}
    for row in rows:
        # One row a key (an aggregate); as in "head", the first were there two
        # current runs. A key asked for twice is read twice, alike.
        found.setdefault(keys[row[0] - 1], row[1:])
    return found


def parties_value(rows: Sequence[Sequence[Any]]) -> tuple[list[str], list[dict[str, str]]]:
    """The rows of "parties" (kind, order, text, masked value; in the statement's
    order) as the report's names and identifiers. Shared with ``report_facts``."""
    names = [r[2] for r in rows if r[0] < 2]
    identifiers = [{"scheme": r[2], "masked": r[3]} for r in rows if r[0] == 2]
    return names, identifiers


def score_value(
    rows: Sequence[Sequence[Any]],
    as_date: Callable[[Any], date | None],
    as_instant: Callable[[Any], datetime | None],
) -> dict[str, Any] | None:
    """A score's rows as stored (the score's columns as "score" selects them, then
    one reason's rank, code and text; one row per reason, or one with NULL reason
    columns) as ``ScoreOut`` serialises, by the backend's own result processors.
    Shared with ``report_facts``, whose stored copy must serialise to the same bytes."""
    if not rows:
        return None
    r = rows[0]
    return {
        "score_id": r[0],
        "score": r[1],
        "score_min": r[2],
        "score_max": r[3],
        "model_id": r[4],
        "model_version": r[5],
        "as_of": as_date(r[6]),
        "ledger_snapshot": r[7],
        "computed_at": as_instant(r[8]),
        "reasons": [{"rank": x[9], "code": x[10], "text": x[11]} for x in rows if x[9] is not None],
    }


def _score_model(value: dict[str, Any] | None) -> ScoreOut | None:
    """A score read as a plain value (``RawReader._score_value``) as the model."""
    return ScoreOut.model_validate(value) if value is not None else None


class Reads:
    """Where a worker's hot-path reads run: on the event loop on SQLite, on reader
    threads otherwise; in batches on both.

    SQLite: the reads of the requests that reach :meth:`run` in one turn of the
    event loop are made together at the start of the next turn, in one read
    transaction (:meth:`RawReader.snapshot`). Why: a read transaction costs its
    ``BEGIN`` and ``COMMIT``, the WAL read lock taken and released (system calls
    on the shared-memory file) and, after another connection's commit, the drop
    of the reader's page cache; a batch pays them once, and its reads run back
    to back. Measured at a million subjects with 50 requests in flight (one
    worker in-process): the loop's CPU per report 0.35 -> 0.27 ms, its page reads
    per report unchanged (~24, mostly leaves no cache of this size keeps). Every
    read of a batch was asked for before the transaction began, so it sees every
    commit made before its request's read was asked for (a publication, the
    inquirer's own last inquiry), as one transaction per request did.

    PostgreSQL: the reads asked for in one turn of the loop go to a free reader
    thread as one batch; while every thread is busy, the reads asked for wait
    and go together as the next batch (as the recorder's group commit). The
    reports a batch names (``report=``) are read in one statement
    (:meth:`RawReader.prefetching`) before its reads run, and the scores it
    names (``score=``) in another. Why: a lone report
    statement cost the server ~0.2 ms and the worker ~0.1 ms of psycopg, mostly
    for starting a statement at all, and each read's hop to a thread and back
    cost the worker more again; a batch pays them once. Each statement sees the
    commits made before it began, so every read still sees every commit made
    before its request asked for it.
    """

    def __init__(
        self, engine: Engine, *, threads: int = READER_THREADS, batch_size: int = READ_BATCH
    ) -> None:
        self._engine = engine
        self._inline = engine.dialect.name == "sqlite"
        self._threads = threads
        self._batch_size = batch_size
        self._loop_reader: RawReader | None = None
        # The reads asked for and not yet begun: each with the report it names, if
        # any (PostgreSQL), and its request's future.
        self._batch: list[_Asked] = []
        self._in_flight = 0  # PostgreSQL: batches on reader threads
        self._pool: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._readers: list[RawReader] = []
        self._lock = threading.Lock()

    async def run(
        self,
        read: Callable[[RawReader], T],
        *,
        report: ReportKey | None = None,
        score: ReportKey | None = None,
    ) -> T:
        """``read(reader)`` with a reader of the right thread; the loop is free meanwhile
        where the reads wait on the network. ``report``: the report ``read`` will
        ask :meth:`RawReader.holders_and_report` for, to be read with its batch's;
        ``score``: likewise the score it will ask :meth:`RawReader.holders_and_score`
        for (one or the other)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[T] = loop.create_future()
        ahead: _Ahead | None = None
        if report is not None:
            ahead = ("report", report)
        elif score is not None:
            ahead = ("score", score)
        self._batch.append((read, ahead, done))
        if len(self._batch) == 1:
            # At the next turn: the rest of this turn's requests join the batch.
            loop.call_soon(self._run_batch if self._inline else self._dispatch)
        return await done

    def _run_batch(self) -> None:
        """The reads asked for since the last batch, in one read transaction (SQLite);
        each read's result or error goes to its own request."""
        batch, self._batch = self._batch, []
        if self._loop_reader is None:
            self._loop_reader = RawReader(self._engine)
        reader = self._loop_reader
        failed: Exception | None = None
        try:
            with reader.snapshot():
                for read, _, done in batch:
                    if done.done():  # its request was cancelled meanwhile
                        continue
                    try:
                        done.set_result(read(reader))
                    except Exception as exc:  # the read's own: its request's to raise
                        done.set_exception(exc)
        except Exception as exc:  # the transaction did not begin, or did not end
            failed = exc
            log.warning("a read transaction failed: %s", exc)
        finally:
            for _, _, done in batch:  # nothing read: each request gets the error
                if not done.done():
                    if failed is not None:
                        done.set_exception(failed)
                    else:  # an interrupt mid-batch: no request left waiting
                        done.cancel()

    def _dispatch(self) -> None:
        """Hand the reads waiting, up to a batch, to a free reader thread (PostgreSQL);
        with none free, they wait for the next batch to end."""
        while self._batch and self._in_flight < self._threads:
            batch = self._batch[: self._batch_size]
            del self._batch[: self._batch_size]
            with self._lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(
                        self._threads, thread_name_prefix="xinyong-read"
                    )
                pool = self._pool
            work = [(read, ahead) for read, ahead, _ in batch]
            try:
                ran = asyncio.get_running_loop().run_in_executor(pool, self._in_thread, work)
            except RuntimeError as exc:  # the pool was shut down (closing): nobody left waiting
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            self._in_flight += 1
            ran.add_done_callback(functools.partial(self._batch_done, batch))

    def _batch_done(self, batch: list[_Asked], ran: asyncio.Future[list[_Outcome]]) -> None:
        """Each read's result or error to its own request; then the next batch."""
        self._in_flight -= 1
        try:
            outcomes = ran.result()
        except BaseException as exc:  # the batch's statement failed, or it never ran
            outcomes = [(False, exc)] * len(batch)
        for (_, _, done), (ok, value) in zip(batch, outcomes, strict=True):
            if done.done():  # its request was cancelled meanwhile
                continue
            if ok:
                done.set_result(value)
            elif isinstance(value, asyncio.CancelledError):
                done.cancel()
            else:
                done.set_exception(value)
        self._dispatch()

    def _in_thread(
        self, work: list[tuple[Callable[[RawReader], Any], _Ahead | None]]
    ) -> list[_Outcome]:
        reader: RawReader | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = self._local.reader = RawReader(self._engine)
            with self._lock:
                self._readers.append(reader)
        outcomes: list[_Outcome] = []
        reports = [a[1] for _, a in work if a is not None and a[0] == "report"]
        scores = [a[1] for _, a in work if a is not None and a[0] == "score"]
        with reader.prefetching(reports, scores):
            for read, _ in work:
                try:
                    outcomes.append((True, read(reader)))
                except Exception as exc:  # the read's own: its request's to raise
                    outcomes.append((False, exc))
        return outcomes

    def close(self) -> None:
        """Stop the reader threads and close every reader's connection."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        with self._lock:
            readers, self._readers = self._readers, []
        if self._loop_reader is not None:
            readers.append(self._loop_reader)
            self._loop_reader = None
        for reader in readers:
            reader.close()
