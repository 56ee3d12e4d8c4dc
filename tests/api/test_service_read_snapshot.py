"""On SQLite, the reads of one ``Reads.run`` (and of one turn of the event loop) are one
read transaction.

In WAL mode each statement outside a transaction is a read transaction of its
own: a WAL read lock taken and released, and the connection's page cache
dropped whenever another connection committed in between, so a report's reads
re-read the pages its earlier statements had just read. ``RawReader.snapshot``
puts them in one transaction, and ``Reads.run`` queues the reads asked for in
one turn of the loop and makes them at the next, in one transaction. What shows
it from outside: a commit made by another connection between two reads of one
run (or batch) is not seen by the second (one state of the store), and is seen
by the next; a commit made before a request asked for its read is seen by it;
each read's error goes to its own request only; a cancelled request's read is
skipped; and the reader's connection is never left inside a transaction,
whatever the read did.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, insert

from xinyong.api.raw_reads import RawReader, Reads
from xinyong.store.engine import transaction
from xinyong.store.schema import subjects

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _add_subject(engine: Engine, subject_id: str) -> None:
    with transaction(engine) as conn:
        conn.execute(insert(subjects).values(subject_id=subject_id, kind="person", created_at=NOW))


def _status(reader: RawReader, subject_id: str) -> str | None:
    rows = reader._rows("subject", (subject_id,))
    return rows[0][0] if rows else None


@pytest.fixture
def reads(engine: Engine) -> Iterator[Reads]:
    out = Reads(engine)
    yield out
    out.close()


def test_a_runs_reads_see_one_state_of_the_store(engine: Engine, reads: Reads) -> None:
    _add_subject(engine, "s-before")

    def read(reader: RawReader) -> tuple[str | None, str | None, str | None]:
        first = _status(reader, "s-before")
        _add_subject(engine, "s-during")  # another connection commits meanwhile
        return first, _status(reader, "s-during"), _status(reader, "s-before")

    first, during, again = asyncio.run(reads.run(read))
    assert (first, during, again) == ("active", None, "active")
    # The next run reads the store as it is now.
    assert asyncio.run(reads.run(lambda r: _status(r, "s-during"))) == "active"


def test_the_reader_is_left_outside_any_transaction(engine: Engine, reads: Reads) -> None:
    _add_subject(engine, "s-1")
    assert asyncio.run(reads.run(lambda r: _status(r, "s-1"))) == "active"
    reader = reads._loop_reader
    assert reader is not None and reader._conn is not None
    assert not reader._conn.in_transaction

    def fails(r: RawReader) -> None:
        _status(r, "s-1")
        raise LookupError("the read's own error")

    with pytest.raises(LookupError, match="the read's own error"):
        asyncio.run(reads.run(fails))
    assert not reader._conn.in_transaction
    # A writer is not held up by a reader that has finished (no read lock left).
    _add_subject(engine, "s-2")
    assert asyncio.run(reads.run(lambda r: _status(r, "s-2"))) == "active"


def test_a_snapshot_inside_a_snapshot_is_the_outer_one(engine: Engine) -> None:
    _add_subject(engine, "s-1")
    reader = RawReader(engine)
    try:
        with reader.snapshot():
            assert _status(reader, "s-1") == "active"
            with reader.snapshot():
                _add_subject(engine, "s-2")
                assert _status(reader, "s-2") is None
            assert reader._conn.in_transaction  # the inner one did not end it
            assert _status(reader, "s-2") is None
        assert not reader._conn.in_transaction
        assert _status(reader, "s-2") == "active"
    finally:
        reader.close()


def test_a_batchs_reads_share_one_state_and_the_next_batch_sees_the_commit(
    engine: Engine, reads: Reads
) -> None:
    def first(reader: RawReader) -> str | None:
        seen = _status(reader, "s-1")
        _add_subject(engine, "s-1")  # another connection commits meanwhile
        return seen

    async def scenario() -> tuple[tuple[str | None, str | None], str | None]:
        batch = await asyncio.gather(reads.run(first), reads.run(lambda r: _status(r, "s-1")))
        return batch, await reads.run(lambda r: _status(r, "s-1"))

    batch, after = asyncio.run(scenario())
    assert list(batch) == [None, None]  # one snapshot, taken before the commit
    assert after == "active"  # asked for after the commit: seen


def test_a_commit_before_the_read_is_asked_for_is_seen(engine: Engine, reads: Reads) -> None:
    async def scenario() -> list[str | None]:
        seen = [await reads.run(lambda r: _status(r, "s-2"))]
        _add_subject(engine, "s-2")  # committed between two requests
        seen.append(await reads.run(lambda r: _status(r, "s-2")))
        return seen

    assert asyncio.run(scenario()) == [None, "active"]


def test_each_reads_error_is_its_own_and_the_reader_ends_outside_a_transaction(
    engine: Engine, reads: Reads
) -> None:
    _add_subject(engine, "s-3")

    def fails(reader: RawReader) -> None:
        _status(reader, "s-3")
        raise LookupError("the read's own error")

    async def scenario() -> tuple[object, object]:
        return await asyncio.gather(
            reads.run(fails), reads.run(lambda r: _status(r, "s-3")), return_exceptions=True
        )

    failed, ok = asyncio.run(scenario())
    assert isinstance(failed, LookupError) and ok == "active"
    reader = reads._loop_reader
    assert reader is not None and reader._conn is not None
    assert not reader._conn.in_transaction
    _add_subject(engine, "s-4")  # no read lock left behind
    assert asyncio.run(reads.run(lambda r: _status(r, "s-4"))) == "active"


def test_a_cancelled_requests_read_is_skipped(engine: Engine, reads: Reads) -> None:
    made: list[str] = []

    def read(name: str) -> Callable[[RawReader], str | None]:
        def run(reader: RawReader) -> str | None:
            made.append(name)
            return _status(reader, "s-5")

        return run

    async def scenario() -> str | None:
        gone = asyncio.ensure_future(reads.run(read("gone")))
        kept = asyncio.ensure_future(reads.run(read("kept")))
        await asyncio.sleep(0)  # both asked for, the batch not yet made
        gone.cancel()
        return await kept

    assert asyncio.run(scenario()) is None
    assert made == ["kept"]
