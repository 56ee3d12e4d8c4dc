"""Reads in batches: on PostgreSQL the reports of one batch are one statement.

``Reads.run`` on PostgreSQL hands the reads asked for in one turn of the event
loop to a free reader thread as one batch, and the reads asked for while every
thread is busy wait and go together as the next. The reports a batch names
(``report=``) are read in one statement (``RawReader.prefetching``) before its
reads run, and the scores it names (``score=``) in another. What shows it from
outside: each read of a batch gets what it would get alone (a sole holder's
report or score, an unknown identifier's nothing, the same identifier asked
twice alike); the batch costs one round trip a kind; reads asked for
while the thread is busy go as one batch; and when the batch's statement fails,
each of its reads fails with that error and the next batch reads again. On
SQLite nothing is read ahead and each read gets the same as alone.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from api_testkit import HASH_KEY, RIC_1, RIC_2, RIC_NOBODY, World, _ric
from reports_testkit import count_round_trips, publish_with_an_inquiry

from xinyong.api.raw_reads import RawReader, Reads, ReportKey, ReportReads, ScoreReads
from xinyong.identifiers.hashing import identifier_hash
from xinyong.policy import Profile

Found = tuple[list[tuple[str, str, str | None]], ReportReads | None]
Scored = tuple[list[tuple[str, str, str | None]], ScoreReads | None]


@pytest.fixture
def jurisdiction() -> str:
    return "US"


@pytest.fixture
def published(world: World, tmp_path: Path) -> World:
    return publish_with_an_inquiry(world, tmp_path)


def _key(ric: str, now: datetime) -> ReportKey:
    ident = _ric(ric)
    return (ident.scheme, identifier_hash(HASH_KEY.encode(), ident), now)


def _profile(w: World) -> Profile:
    profile: Profile = w.client.app.state.inquiries.ctx.profile  # type: ignore[attr-defined]
    return profile


def _alone(w: World, key: ReportKey) -> Found:
    reader = RawReader(w.engine)
    try:
        return reader.holders_and_report(*key, _profile(w))
    finally:
        reader.close()


def _report(key: ReportKey, profile: Profile) -> Callable[[RawReader], Found]:
    return lambda reader: reader.holders_and_report(*key, profile)


def _scored(key: ReportKey) -> Callable[[RawReader], Scored]:
    return lambda reader: reader.holders_and_score(*key)


def _score_alone(w: World, key: ReportKey) -> Scored:
    reader = RawReader(w.engine)
    try:
        return reader.holders_and_score(*key)
    finally:
        reader.close()


async def _batch(reads: Reads, keys: list[ReportKey], profile: Profile) -> list[Found]:
    """``keys``' reports asked for in one turn of the loop."""
    return list(await asyncio.gather(*(reads.run(_report(k, profile), report=k) for k in keys)))


async def _attempts(reads: Reads, keys: list[ReportKey], profile: Profile) -> list[object]:
    """As :func:`_batch`, each read's error returned in its place."""
    runs = (reads.run(_report(k, profile), report=k) for k in keys)
    return list(await asyncio.gather(*runs, return_exceptions=True))


def test_each_read_of_a_batch_gets_what_it_gets_alone(
    published: World, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = published
    now = w.clock.now
    keys = [_key(r, now) for r in (RIC_1, RIC_2, RIC_NOBODY, RIC_1)]
    expected = [_alone(w, k) for k in keys]
    assert expected[0][1] is not None and expected[0][1].inquiries  # a report, listed
    assert expected[2] == ([], None)  # nobody holds it
    trips = count_round_trips(monkeypatch)
    reads = Reads(w.engine, threads=1)
    try:
        got = asyncio.run(_batch(reads, keys, _profile(w)))
    finally:
        reads.close()
    assert got == expected
    if backend == "postgresql":
        assert sum(trips) == 1  # four reports, one statement


def test_each_score_read_of_a_batch_gets_what_it_gets_alone(
    published: World, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = published
    now, profile = w.clock.now, _profile(w)
    keys = [_key(r, now) for r in (RIC_1, RIC_2, RIC_NOBODY, RIC_1)]
    expected = [_score_alone(w, k) for k in keys]
    assert expected[0][1] is not None and expected[0][1].score is not None  # scored
    assert expected[1][1] is not None and expected[1][1].score is None  # never scored
    assert expected[2] == ([], None)  # nobody holds it
    reports = [_key(r, now) for r in (RIC_2, RIC_1)]
    expected_reports = [_alone(w, k) for k in reports]

    async def scenario() -> tuple[list[Scored], list[Found]]:
        scores = [reads.run(_scored(k), score=k) for k in keys]
        asked = [reads.run(_report(k, profile), report=k) for k in reports]
        got = await asyncio.gather(asyncio.gather(*scores), asyncio.gather(*asked))
        return list(got[0]), list(got[1])

    trips = count_round_trips(monkeypatch)
    reads = Reads(w.engine, threads=1)
    try:
        scored, reported = asyncio.run(scenario())
    finally:
        reads.close()
    assert scored == expected
    assert reported == expected_reports
    if backend == "postgresql":
        assert sum(trips) == 2  # four scores and two reports: a statement each kind


def test_reads_asked_while_the_thread_is_busy_go_as_one_batch(
    published: World, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend != "postgresql":
        pytest.skip("on SQLite the reads run on the event loop, a batch per turn")
    w = published
    now, profile = w.clock.now, _profile(w)
    batches: list[int] = []
    prefetching = RawReader.prefetching

    def counted(self: RawReader, keys: list[ReportKey], scores: list[ReportKey]) -> object:
        batches.append(len(keys))
        return prefetching(self, keys, scores)

    monkeypatch.setattr(RawReader, "prefetching", counted)
    busy, release = threading.Event(), threading.Event()

    def hold(_reader: RawReader) -> None:
        busy.set()
        release.wait(10)

    async def scenario() -> list[Found]:
        held = asyncio.ensure_future(reads.run(hold))
        await asyncio.to_thread(busy.wait, 10)
        waiting = []
        for ric in (RIC_1, RIC_2, RIC_NOBODY):  # one a turn, each while the thread holds
            k = _key(ric, now)
            waiting.append(asyncio.ensure_future(reads.run(_report(k, profile), report=k)))
            await asyncio.sleep(0)
        release.set()
        await held
        return list(await asyncio.gather(*waiting))

    reads = Reads(w.engine, threads=1)
    try:
        got = asyncio.run(scenario())
    finally:
        reads.close()
    assert batches == [0, 3]  # the held read's batch, then the three waiting together
    assert got == [_alone(w, _key(r, now)) for r in (RIC_1, RIC_2, RIC_NOBODY)]


def test_a_failed_batch_statement_fails_its_reads_and_the_next_batch_reads(
    published: World, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend != "postgresql":
        pytest.skip("on SQLite nothing is read ahead")
    w = published
    now, profile = w.clock.now, _profile(w)
    keys = [_key(r, now) for r in (RIC_1, RIC_2)]
    real = RawReader._holders_and_reports
    failures = [RuntimeError("the batch's statement failed")]

    def once(self: RawReader, asked: list[ReportKey]) -> object:
        if failures:
            raise failures.pop()
        return real(self, asked)

    monkeypatch.setattr(RawReader, "_holders_and_reports", once)
    reads = Reads(w.engine, threads=1)
    try:
        failed = asyncio.run(_attempts(reads, keys, profile))
        assert [str(e) for e in failed] == ["the batch's statement failed"] * 2
        assert asyncio.run(_batch(reads, keys, profile)) == [_alone(w, k) for k in keys]
    finally:
        reads.close()


def test_a_batch_handed_to_a_shut_pool_fails_its_reads_not_hangs(
    published: World, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("on SQLite the reads run on the event loop")
    w = published
    key = _key(RIC_1, w.clock.now)
    reads = Reads(w.engine, threads=1)
    try:
        assert asyncio.run(_batch(reads, [key], _profile(w)))[0] == _alone(w, key)
        assert reads._pool is not None
        reads._pool.shutdown(wait=True)  # as ``close`` does, from another thread, meanwhile

        async def attempt() -> list[object]:
            return await asyncio.wait_for(_attempts(reads, [key], _profile(w)), 10)

        (failed,) = asyncio.run(attempt())
        assert isinstance(failed, RuntimeError)
    finally:
        reads.close()
