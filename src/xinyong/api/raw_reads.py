"""The inquiry hot path's reads: plain SQL on driver connections of the worker's own.

A report inquiry reads six small row sets by primary key or index (the key,
the identifier's holders, then the subject's publication and part, names,
score and inquiries). Through SQLAlchemy each statement cost ~100 µs of Python
against ~10 µs in SQLite itself, and a pool checkout per request cost as much
again (a ``SELECT 1`` round trip on PostgreSQL, where the engine pings on
checkout). So a worker keeps driver connections of its own, in autocommit
(``store.dbapi``), and runs these statements on them. Each statement (on
PostgreSQL each pipeline) is its own read; what must be consistent (the
publication and the subject's part of it) is read in one statement. Values
go through the result processors SQLAlchemy would apply (``Date``,
``UTCDateTime``), so a report built here equals one built by
``reports.build_report``.

The four reads of a report that follow the subject's lookup are independent:
on PostgreSQL they go in one round trip (psycopg's pipeline mode), since every
round trip is time the event loop spends waiting. In the usual case they go in
the lookup's own round trip, keyed by the identifier's sole holder in a
subquery (:meth:`RawReader.holders_and_report`); the pipeline's statements
share one snapshot (REPEATABLE READ), so they read the holder the lookup saw.

A :class:`RawReader` belongs to one thread. :class:`Reads` decides which: on
SQLite the event loop's own (a read is microseconds of local work), on
PostgreSQL a few reader threads with a connection each. There a read is a
round trip, and a loop blocked on round trips sat idle most of the time under
load (measured: 5 ms a report's reads at the median on a busy machine, the
loop blocked 80% of the time); in threads, other requests go on meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, TypeVar

from sqlalchemy import Date, Engine

from xinyong.api.models import InquiryItem, ScoreOut, ScoreReason
from xinyong.domain.inquiries import Purpose
from xinyong.policy import Profile
from xinyong.store import dbapi
from xinyong.store.types import UTCDateTime

__all__ = ["Head", "KeyRow", "RawReader", "Reads", "ReportReads"]

T = TypeVar("T")
READER_THREADS: Final = 8
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

# The sole holder of an identifier (scheme, value hash), or NULL when it has none
# or several: the report's reads keyed by it go in the holder lookup's round trip
# (``RawReader.holders_and_report``). An aggregate, so never more than one row:
# a scalar subquery returning two would fail the whole pipeline.
_SOLE_HOLDER: Final = (
    "(SELECT min(subject_id) FROM subject_identifiers"
    " WHERE scheme = ? AND value_hash = ? HAVING count(*) = 1)"
)

# The report's reads, ``{subject}`` the subject's key: a parameter, or
# :data:`_SOLE_HOLDER`.
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
    **{
        f"{name}_by_identifier": sql.format(subject=_SOLE_HOLDER)
        for name, sql in _REPORT_SQL.items()
    },
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
    """A subject's report as read for the hot path, around the stored part in ``head``."""

    subject_id: str
    head: Head | None
    names: list[str]
    identifiers: list[dict[str, str]]
    score: ScoreOut | None
    inquiries: list[InquiryItem]


@dataclass(frozen=True, slots=True)
class Head:
    """The subject's kind, the current publication and the subject's stored part of it."""

    kind: str
    run_id: str | None
    as_of: date | None
    accounts: bytes | None
    public_records: bytes | None
    flagged: bool  # a dispute or a statement exists: the stored part may not apply


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
        driver = dialect.loaded_dbapi
        self._retry: tuple[type[Exception], ...] = (driver.OperationalError, driver.InterfaceError)

    def close(self) -> None:
        """Close the connection (the next read opens a new one)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # already broken: nothing to release
                conn.close()

    def _connect(self) -> Any:
        conn = dbapi.detached_connection(self._engine, autocommit=True)
        if self._engine.dialect.name == "sqlite":
            conn.execute(f"PRAGMA cache_size = -{SQLITE_READ_CACHE_KIB}")
        else:
            # A pipeline is one implicit transaction (no Sync until its end): under
            # REPEATABLE READ its statements share one snapshot, so the report's
            # reads keyed by an identifier's sole holder read the holder the
            # lookup beside them saw. Read-only: no serialization failures.
            conn.execute("SET default_transaction_isolation = 'repeatable read'")
        return conn

    def _many(self, reads: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Any]]:
        """Run independent statements, in one round trip on PostgreSQL (pipeline mode);
        a broken connection is replaced and the reads retried once."""
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = self._connect()
            conn = self._conn
            try:
                if self._pipeline and len(reads) > 1:
                    with conn.pipeline():
                        cursors = [conn.execute(self._sql[name], params) for name, params in reads]
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
        """As :meth:`holders`, and in the same round trip on PostgreSQL what
        :meth:`report` reads for the identifier's sole holder (``None``: no sole
        holder). The usual report is then one round trip, not two; whether these
        reads are the report's is the caller's to decide (``subject_id`` against
        the subject the holders resolve to: a merged holder's is not)."""
        at = self._bind_instant(now)
        key = (scheme, value_hash)
        holders, head, parties, score, inquiries = self._many(
            [
                ("holders", key),
                ("head_by_identifier", key),
                ("parties_by_identifier", key * 3),
                ("score_by_identifier", (*key, at)),
                ("inquiries_no_prescreen_by_identifier", (*key, at, Purpose.PRESCREEN.value)),
            ]
        )
        found = [(r[0], r[1], r[2]) for r in holders]
        if not head:
            return found, None
        return found, self._report_reads(head[0][0], head, parties, score, inquiries, profile)

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
    ) -> ReportReads:
        names = [r[2] for r in parties if r[0] < 2]
        identifiers = [{"scheme": r[2], "masked": r[3]} for r in parties if r[0] == 2]
        return ReportReads(
            subject_id=subject_id,
            head=self._head(head),
            names=names,
            identifiers=identifiers,
            score=self._score(score),
            inquiries=self._inquiries(inquiries, profile),
        )

    def score(self, subject_id: str, now: datetime) -> ScoreOut | None:
        """As ``reports.latest_score``: the latest score computed by ``now``, with reasons."""
        return self._score(self._rows("score", (subject_id, self._bind_instant(now))))

    def _head(self, rows: list[Any]) -> Head | None:
        if not rows:
            return None
        _, kind, run_id, as_of, accounts, records, disputed, noted = rows[0]
        return Head(
            kind=kind,
            run_id=run_id,
            as_of=self._date(as_of),
            accounts=bytes(accounts) if accounts is not None else None,
            public_records=bytes(records) if records is not None else None,
            flagged=bool(disputed) or bool(noted),
        )

    def _score(self, rows: list[Any]) -> ScoreOut | None:
        if not rows:
            return None
        r = rows[0]
        return ScoreOut(
            score_id=r[0],
            score=r[1],
            score_min=r[2],
            score_max=r[3],
            model_id=r[4],
            model_version=r[5],
            as_of=self._date(r[6]),
            ledger_snapshot=r[7],
            computed_at=self._instant(r[8]),
            reasons=[
                ScoreReason(rank=x[9], code=x[10], text=x[11]) for x in rows if x[9] is not None
            ],
        )

    def _inquiries(self, rows: list[Any], profile: Profile) -> list[InquiryItem]:
        """As ``reports._inquiries`` for the inquirer's copy (no prescreens), newest first."""
        return [
            InquiryItem(
                inquiry_id=r[0],
                inquirer_org_id=r[1],
                inquirer_name=r[2],
                purpose=r[3],
                kind=profile.inquiry_kind(r[3]).value,
                at=self._instant(r[4]),
            )
            for r in rows
        ]


class Reads:
    """Where a worker's hot-path reads run: inline on SQLite, on reader threads otherwise."""

    def __init__(self, engine: Engine, *, threads: int = READER_THREADS) -> None:
        self._engine = engine
        self._inline = engine.dialect.name == "sqlite"
        self._threads = threads
        self._loop_reader: RawReader | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._readers: list[RawReader] = []
        self._lock = threading.Lock()

    async def run(self, read: Callable[[RawReader], T]) -> T:
        """``read(reader)`` with a reader of the right thread; the loop is free meanwhile
        where the reads wait on the network."""
        if self._inline:
            if self._loop_reader is None:
                self._loop_reader = RawReader(self._engine)
            return read(self._loop_reader)
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="xinyong-read")
            pool = self._pool
        return await asyncio.get_running_loop().run_in_executor(pool, self._in_thread, read)

    def _in_thread(self, read: Callable[[RawReader], T]) -> T:
        reader: RawReader | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = self._local.reader = RawReader(self._engine)
            with self._lock:
                self._readers.append(reader)
        return read(reader)

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
