"""Every inquiry attempt recorded and audited, concurrent attempts in one commit.

Each inquiry attempt, served or refused, writes its ``inquiry_requests`` row,
the ``inquiries`` row the subject sees (if served), its per-key rate count and
its link in the inquiry chain (``chain.INQUIRIES``; on a SQLite store all four
go to the inquiry log's own file, ``store.inquiry_log``). The chain is one
sequence, so appends are serialised (SQLite's write lock, PostgreSQL's
advisory lock): one transaction per request made every request wait for every
other one's commit. Here one writer thread per worker takes whatever attempts
are waiting and writes them
in one short transaction (group commit): one lock, one chain-head read, one
multi-row insert per table, one commit. A request waits for the commit that
holds its own rows before it answers, so nothing is served or refused without
being durably recorded. The attempts that reach the writer in one event-loop
iteration go as one group, and more join while a commit is in progress; a
lone attempt is written at once, with no waiting for company.

If a batch fails, each of its attempts is retried in a transaction of its own,
so one bad attempt fails alone and takes nobody else's record with it.

The writer runs its statements on a driver connection of its own
(``store.dbapi``): through SQLAlchemy a small group's commit cost about 1 ms of
Python, several times the database's own work. On SQLite it leaves WAL
checkpoints to a thread of their own (:class:`_Checkpointer`): run inside a
commit, a checkpoint held that commit's whole group for up to 0.6 s on a busy
disk (measured; 0.1-0.25 s at most with the checkpoints moved out).

On a SQLite file the workers' writers also take turns through a file lock
(``store.writer_lock``), and a writer forms its batch only once it holds the
lock: SQLite's busy wait slept in growing steps (1, 2, 5, 10... ms; waits of
87-195 ms in every benchmark run, a whole group held behind each), where the
kernel wakes the next writer as soon as a commit ends, and what reached the
writer while it waited for the other worker's commit joins its batch. A lone
attempt on an idle store still goes at once.

The rate limit is decided here, in the same transaction: the attempts of one
key in one window are counted with one upsert, in order, and those beyond the
allowance are recorded as refused (``rate_limited``).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final, TypeAlias

from sqlalchemy import Engine
from sqlalchemy.engine import Dialect

from xinyong.api.context import Principal
from xinyong.api.limits import retry_after, window_start
from xinyong.audit import chain
from xinyong.store import dbapi, inquiry_log, repositories
from xinyong.store.schema import inquiries
from xinyong.store.service_schema import inquiry_requests, rate_counters
from xinyong.store.writer_lock import WriterLock

__all__ = ["RATE_LIMITED", "Attempt", "Recorded", "Recorder", "Writer"]

RATE_LIMITED: Final = "rate_limited"
BUCKET: Final = "inquiries"
MAX_BATCH: Final = 256
# The writer's PostgreSQL ``application_name`` (``store.dbapi.detached_connection``).
APPLICATION_NAME: Final = "xinyong-record"
# SQLite: the WAL length (frames, a page each: 64 MiB at 4 KiB) past which a WAL
# copied into the database file is started over, and how long that waits for the
# readers in it, with every writer held (``_Checkpointer``).
RESTART_WAL_FRAMES: Final = 16_384
SQLITE_RESTART_WAIT_MS: Final = 20
# Frames a restart may still have to copy, with the writers held: under load the
# passive checkpoint stops at the oldest reader's snapshot, a few commits behind.
RESTART_UNCOPIED_FRAMES: Final = 1_024

# As ``limits.count_request``: one atomic upsert per key and window.
_COUNT = (
    "INSERT INTO rate_counters (key_id, bucket, window_start, hits) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (key_id, bucket, window_start)"
    " DO UPDATE SET hits = rate_counters.hits + excluded.hits RETURNING hits"
)
_FORGET = "DELETE FROM rate_counters WHERE key_id = ? AND bucket = ? AND window_start < ?"


@dataclass(frozen=True, slots=True)
class Attempt:
    """One inquiry attempt to record: to be served (``inquiry_id`` set) or refused.

    ``purpose`` is a known purpose code or ``None``; ``allowance`` is the key's
    inquiries per window (0: not limited, not counted).
    """

    principal: Principal
    at: datetime
    subject_id: str | None
    purpose: str | None
    kind: str
    consent_id: str | None
    inquiry_id: str | None
    refusal: str | None
    allowance: int = 0
    window_seconds: int = 60


@dataclass(frozen=True, slots=True)
class Recorded:
    """What was recorded: served, or refused; ``retry_after`` is set when the
    attempt was refused for the rate limit (and its other outcome dropped)."""

    request_id: str
    served: bool
    retry_after: int | None = None


class Writer:
    """The recording statements for one backend, on a driver connection."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._inquiries = dbapi.RawInsert(inquiries, dialect)
        self._requests = dbapi.RawInsert(inquiry_requests, dialect)
        self._count = dbapi.sql_for(dialect, _COUNT)
        self._forget = dbapi.sql_for(dialect, _FORGET)
        self._instant = dbapi.bind_processor(rate_counters.c.window_start.type, dialect)

    def _rate(self, conn: Any, attempts: Sequence[Attempt]) -> dict[int, int]:
        """Count the limited attempts; {index: seconds to wait} for those over the allowance."""
        groups: dict[tuple[str, int, datetime], list[int]] = {}
        for i, a in enumerate(attempts):
            if a.allowance > 0:
                key = (a.principal.credential_id, a.window_seconds)
                groups.setdefault((*key, window_start(a.at, a.window_seconds)), []).append(i)
        over: dict[int, int] = {}
        for (key_id, seconds, start), members in groups.items():
            hits = len(members)
            row = conn.execute(self._count, (key_id, BUCKET, self._instant(start), hits)).fetchone()
            total = int(row[0])
            if total == hits:  # first hits of a new window: forget the key's older windows
                conn.execute(self._forget, (key_id, BUCKET, self._instant(start)))
            ends = start + timedelta(seconds=seconds)
            for n, i in enumerate(members, start=1):
                if total - hits + n > attempts[i].allowance:
                    over[i] = retry_after(ends, attempts[i].at)
        return over

    def write(self, conn: Any, attempts: Sequence[Attempt]) -> list[Recorded]:
        """Record ``attempts`` in order inside ``conn``'s open transaction."""
        over = self._rate(conn, attempts)
        inquiry_rows: list[dict[str, Any]] = []
        request_rows: list[dict[str, Any]] = []
        events: list[chain.NewEvent] = []
        out: list[Recorded] = []
        for i, attempt in enumerate(attempts):
            a = attempt
            if i in over:
                a = replace(a, inquiry_id=None, consent_id=None, refusal=RATE_LIMITED)
            served = a.refusal is None
            if served == (a.inquiry_id is None):
                raise ValueError("an attempt is either served (with an inquiry id) or refused")
            if served:
                inquiry_rows.append(
                    {
                        "inquiry_id": a.inquiry_id,
                        "subject_id": a.subject_id,
                        "inquirer_org_id": a.principal.org(),
                        "user_id": a.principal.credential_id,
                        "purpose": a.purpose,
                        "consent_id": a.consent_id,
                        "at": a.at,
                    }
                )
            request_id = repositories.new_id()
            request_rows.append(
                {
                    "request_id": request_id,
                    "inquirer_org_id": a.principal.org(),
                    "subject_id": a.subject_id,
                    "purpose": a.purpose,
                    "consent_id": a.consent_id if served else None,
                    "kind": a.kind,
                    "outcome": "served" if served else "refused",
                    "reason_code": a.refusal,
                    "inquiry_id": a.inquiry_id,
                    "at": a.at,
                }
            )
            events.append(
                chain.NewEvent(
                    actor=a.principal.actor,
                    action="inquiry.served" if served else "inquiry.refused",
                    subject_id=a.subject_id,
                    reason=a.purpose or "no valid purpose",
                    payload={
                        "request_id": request_id,
                        "inquiry_id": a.inquiry_id,
                        "inquirer_org_id": a.principal.org(),
                        "purpose": a.purpose,
                        "kind": a.kind,
                        "consent_id": a.consent_id,
                        "refusal": a.refusal,
                    },
                    at=a.at,
                )
            )
            out.append(Recorded(request_id, served, over.get(i)))
        self._inquiries.execute(conn, inquiry_rows)
        self._requests.execute(conn, request_rows)
        chain.append_many_dbapi(conn, self.dialect, events, log=chain.INQUIRIES)
        return out


_Waiter: TypeAlias = "asyncio.Future[Recorded] | Future[Recorded]"
_Job: TypeAlias = tuple[Attempt, _Waiter]
_Outcome: TypeAlias = Recorded | BaseException


def _settle(outcomes: list[tuple[_Waiter, _Outcome]]) -> None:
    """Hand each waiting request its outcome (on the waiter's own event loop)."""
    for waiter, outcome in outcomes:
        if waiter.done():  # the request was cancelled (its client went away)
            continue
        if isinstance(outcome, BaseException):
            waiter.set_exception(outcome)
        else:
            waiter.set_result(outcome)


class _Checkpointer:
    """SQLite: WAL checkpoints off the writer's commit path, in a thread of their own.

    SQLite checkpoints inside the commit that takes the WAL past
    ``wal_autocheckpoint`` pages: that commit copies the WAL into the database
    file and syncs both, while every request of its group waits. The writer's
    connection turns that off, and after commits this thread runs passive
    checkpoints (which never block a writer or a reader), at most one every
    ``interval`` seconds.

    A passive checkpoint copies the WAL's frames into the database file but
    never starts the WAL over: that needs a moment when no reader holds a
    snapshot in it, and under sustained load the event loop's read batches run
    back to back, so there is none. The WAL then grew for as long as the load
    lasted (893 MB in one benchmark run), and with it the disk used and the time
    a restart after a crash spends reading it. So once a passive checkpoint has
    copied all but ``RESTART_UNCOPIED_FRAMES`` of a WAL of ``restart_frames`` or
    more (under load it stops at the oldest reader's snapshot, a few commits
    behind), this thread takes the writers' turn (``store.writer_lock``: they
    wait on the kernel, not in SQLite's sleeping busy wait) and asks for a
    ``RESTART`` checkpoint. That copies the rest, waits at most
    ``SQLITE_RESTART_WAIT_MS`` for the readers still in the WAL to finish (new
    readers read the database file, every frame being in it) and has the next
    commit write the WAL from its start. If the readers take longer, it tries
    again after the next commit.

    ``RESTART``, not ``TRUNCATE``: the writers are held for the whole
    checkpoint, and cutting the file to nothing (then growing it again, block
    by block) made that longer. Timed in the service benchmark, writers held
    for 37-65 ms (median 54) a restart with ``TRUNCATE``, 18-43 ms (median 32)
    with ``RESTART``, a restart every ~2.5 s under load. The file keeps the
    length it reached (the restart threshold and what came in while the
    restart waited: 64-90 MB in that benchmark), rewritten in place; a
    recovery after a crash reads only the frames written since the restart.
    """

    def __init__(
        self, engine: Engine, interval: float = 0.5, restart_frames: int = RESTART_WAL_FRAMES
    ) -> None:
        self._engine = engine
        self._interval = interval
        self._restart_frames = restart_frames
        # The file the writer commits to: the inquiry log's where it has one. The
        # main file's other writers checkpoint it as they commit (SQLite's default).
        has_log = inquiry_log.sqlite_path(engine.url) is not None
        self._schema = inquiry_log.SCHEMA if has_log else "main"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.checkpoints = 0
        self.restarts = 0  # WALs started over (RESTART checkpoints that succeeded)

    def poke(self) -> None:
        """A commit happened: checkpoint soon."""
        with self._lock:
            if self._thread is None:
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._run, name="xinyong-wal-checkpoint", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            self._wake.set()
            thread.join()

    def _run(self) -> None:
        conn = dbapi.detached_connection(self._engine, autocommit=True)
        conn.execute(f"PRAGMA busy_timeout = {SQLITE_RESTART_WAIT_MS}")
        turns = WriterLock(self._engine)
        try:
            while not self._stop.is_set():
                self._wake.wait()
                self._wake.clear()
                with contextlib.suppress(Exception):  # busy: another one is running; next time
                    self._checkpoint(conn, turns)
                self._stop.wait(self._interval)
            # A last one, so that a worker's exit leaves a short WAL.
            with contextlib.suppress(Exception):
                self._checkpoint(conn, turns)
        finally:
            turns.close()
            conn.close()

    def _checkpoint(self, conn: Any, turns: WriterLock) -> None:
        """A passive checkpoint; then, if it copied all but a few frames of a long WAL,
        a restart."""
        pragma = f"PRAGMA {self._schema}.wal_checkpoint"
        busy, frames, copied = conn.execute(f"{pragma}(PASSIVE)").fetchone()
        self.checkpoints += 1
        if busy or frames < self._restart_frames or frames - copied > RESTART_UNCOPIED_FRAMES:
            return
        with turns.turn():
            busy, _, _ = conn.execute(f"{pragma}(RESTART)").fetchone()
        if not busy:
            self.restarts += 1


class Recorder:
    """A worker's single writer of inquiry attempts (a daemon thread, started on first use).

    Requests on an event loop hand their attempts over once per loop iteration
    (all the attempts that reached the writer in that iteration, in one queue
    item), and a batch's outcomes come back to the loop with one wake-up: two
    thread hand-offs per batch instead of two per request.
    """

    def __init__(self, engine: Engine, *, max_batch: int = MAX_BATCH) -> None:
        self._engine = engine
        self._writer = Writer(engine.dialect)
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[list[_Job] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._pending: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
        self._conn: Any = None  # the writer thread's own driver connection
        sqlite = engine.dialect.name == "sqlite"
        self._checkpointer = _Checkpointer(engine) if sqlite else None
        self.batches = 0  # commits made
        self.attempts = 0  # attempts recorded

    @property
    def wal_checkpoints(self) -> int:
        """Passive WAL checkpoints run off the commit path so far (SQLite; else 0)."""
        return self._checkpointer.checkpoints if self._checkpointer is not None else 0

    def _put(self, jobs: list[_Job]) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="xinyong-inquiry-writer", daemon=True
                )
                self._thread.start()
        self._queue.put(jobs)

    def submit(self, attempt: Attempt) -> Future[Recorded]:
        """Queue ``attempt`` from any thread; the future resolves once it is committed."""
        done: Future[Recorded] = Future()
        self._put([(attempt, done)])
        return done

    async def record(self, attempt: Attempt) -> Recorded:
        """Record ``attempt`` and wait (without blocking the event loop) for its commit."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Recorded] = loop.create_future()
        with self._lock:
            pending = self._pending.setdefault(loop, [])
            pending.append((attempt, done))
            first = len(pending) == 1
        if first:  # hand over after the callbacks ready in this iteration have run
            loop.call_soon(self._flush, loop)
        return await done

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            jobs = self._pending.pop(loop, [])
        if jobs:
            self._put(jobs)

    def close(self) -> None:
        """Write what is queued, then stop the thread and close its connection."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()
        if self._checkpointer is not None:
            self._checkpointer.close()

    def _run(self) -> None:
        turns = WriterLock(self._engine)  # SQLite file: the workers' writers take turns
        try:
            while True:
                jobs = self._queue.get()
                if jobs is None:
                    return
                with turns.turn():  # released however the write ends
                    # Formed once the turn is ours: what arrived while the other
                    # worker's writer committed goes in this batch.
                    batch, stop = self._gather(jobs)
                    outcomes = self._write(batch)
                self._hand_back(batch, outcomes)
                if stop:
                    return
        finally:
            turns.close()
            self._disconnect()

    def _gather(self, jobs: list[_Job]) -> tuple[list[_Job], bool]:
        """``jobs`` and what else is queued, up to the batch size; and whether to stop."""
        batch = list(jobs)
        while len(batch) < self._max_batch:
            try:
                more = self._queue.get_nowait()
            except queue.Empty:
                break
            if more is None:
                return batch, True
            batch.extend(more)
        return batch, False

    def _hand_back(self, batch: list[_Job], outcomes: list[_Outcome]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop | None, list[tuple[_Waiter, _Outcome]]] = {}
        for (_, waiter), outcome in zip(batch, outcomes, strict=True):
            loop = waiter.get_loop() if isinstance(waiter, asyncio.Future) else None
            by_loop.setdefault(loop, []).append((waiter, outcome))
        for loop, items in by_loop.items():
            if loop is None:
                _settle(items)  # concurrent futures are thread-safe
            else:
                with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
                    loop.call_soon_threadsafe(_settle, items)

    def _disconnect(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # already broken: nothing to release
                conn.close()

    def _write(self, batch: list[_Job]) -> list[_Outcome]:
        """Write ``batch`` in one transaction; if that fails, each attempt alone."""
        try:
            if self._conn is None:
                self._conn = dbapi.detached_connection(
                    self._engine, autocommit=False, name=APPLICATION_NAME
                )
                if self._checkpointer is not None:
                    self._conn.execute("PRAGMA wal_autocheckpoint = 0")
            # Deferred: the first statement writes the inquiry log, and on a SQLite
            # store file only that file is locked (``store.inquiry_log``). On
            # PostgreSQL pipelined: the inserts, the chain's lock and head read go
            # as one round trip, the chain's rows and the commit as another (not
            # seven, one a statement).
            dialect = self._writer.dialect
            with (
                dbapi.pipelined(self._conn, dialect) as conn,
                dbapi.transaction(conn, dialect, immediate=False),
            ):
                results = self._writer.write(conn, [attempt for attempt, _ in batch])
        except Exception as exc:  # handed to the waiting request
            self._disconnect()  # it may be the connection that broke: start afresh
            if len(batch) > 1:  # find the bad one: each alone
                return [self._write([job])[0] for job in batch]
            return [exc]
        self.batches += 1
        self.attempts += len(batch)
        if self._checkpointer is not None:
            self._checkpointer.poke()
        return list(results)
