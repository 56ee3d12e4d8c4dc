"""The report's reads sent with the holder lookup: the same answer, one round trip.

On PostgreSQL a report inquiry used to make two round trips on the worker's
read connection: the identifier's holders, then the report's four reads.
``RawReader.holders_and_report`` sends them together, the reads keyed by the
identifier's sole holder; ``InquiryService._read`` uses them only when that
holder is the subject the lookup resolves to, and reads again otherwise. Here,
for a sole holder, a merged holder, an ambiguous identifier, an unknown one and
an invalid one, the read phase with the prefetch gives what it gives without
(subject, refusal, report bytes), on both backends (on SQLite the combined
reads are forced, to check their SQL there too); and on PostgreSQL the usual
report is counted at one round trip.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from unittest.mock import patch

import pytest
from api_testkit import HASH_KEY, RIC_1, RIC_2, RIC_NOBODY, World, _ric
from reports_testkit import count_round_trips, publish_with_an_inquiry
from sqlalchemy import update

from xinyong.api.context import Principal
from xinyong.api.inquiry import (
    Inquirer,
    InquiryService,
    Refusal,
    _Checked,
    _Read,
    identifier_key,
)
from xinyong.api.models import InquiryIn
from xinyong.api.raw_reads import RawReader
from xinyong.identifiers.hashing import identifier_hash
from xinyong.store import repositories
from xinyong.store.engine import transaction
from xinyong.store.schema import subjects


@pytest.fixture
def jurisdiction() -> str:
    return "US"  # no consent for a credit application


@pytest.fixture
def published(world: World, tmp_path: Path) -> World:
    return publish_with_an_inquiry(world, tmp_path)


def _service(w: World) -> InquiryService:
    service: InquiryService = w.client.app.state.inquiries  # type: ignore[attr-defined]
    return service


def _read(w: World, ric: str, *, prefetch: bool) -> tuple[_Read[bytes], bool]:
    """The read phase of a report inquiry for ``ric`` (the service's own), and
    whether the report's reads came with the holder lookup."""
    service = _service(w)
    inquirer = Inquirer(
        Principal(role="inquirer", credential_id="k-1", org_id="lender-a"),
        "LENDER-A",
        frozenset({"credit_application"}),
    )
    body = InquiryIn.model_validate(
        {"identifier": {"scheme": "cn_ric", "value": ric}, "purpose": "credit_application"}
    )
    used: list[bool] = []

    served = service._report_bytes(inquirer)  # the service's own product

    def product(reader: RawReader, c: _Checked) -> bytes:
        used.append(c.prefetched is not None)
        return served(reader, c)

    reader = RawReader(w.engine)
    try:  # a fixed inquiry id: the report names its inquiry
        with patch.object(repositories, "new_id", lambda: "inq-under-test"):
            out = service._read(
                reader,
                inquirer,
                body,
                _identifier(body),
                w.clock.now,
                product,
                "report" if prefetch else None,
            )
    finally:
        reader.close()
    return out, bool(used and used[0])


def _identifier(body: InquiryIn) -> tuple[str, str] | Refusal:
    """The body's identifier as ``InquiryService._serve`` hands it to the read phase."""
    try:
        return identifier_key(HASH_KEY.encode(), body)
    except Refusal as refused:
        return refused


def _same_answer(w: World, ric: str) -> tuple[_Read[bytes], bool]:
    old, old_used = _read(w, ric, prefetch=False)
    new, new_used = _read(w, ric, prefetch=True)
    assert not old_used
    assert new.subject_id == old.subject_id
    assert (new.refusal.code if new.refusal else None) == (
        old.refusal.code if old.refusal else None
    )
    assert new.result == old.result
    return new, new_used


@pytest.fixture(autouse=True)
def _combined_reads_everywhere(backend: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """On SQLite the PostgreSQL path forced (the report's reads are combined there anyway)."""
    if backend == "sqlite":
        monkeypatch.setattr(RawReader, "pipelined", property(lambda _self: True))
    yield


def test_a_sole_holder_is_read_in_the_lookups_round_trip(published: World) -> None:
    new, used = _same_answer(published, RIC_1)
    assert new.subject_id == published.subject1 and new.result is not None
    assert b'"source":"published"' in new.result  # the stored part, spliced
    assert b'"inquiries":[{' in new.result  # the earlier inquiry, listed
    assert used


def test_a_merged_holder_is_followed_and_its_survivor_read_again(published: World) -> None:
    w = published
    with transaction(w.engine) as conn:
        conn.execute(
            update(subjects)
            .where(subjects.c.subject_id == w.subject2)
            .values(status="merged", merged_into=w.subject1)
        )
    new, used = _same_answer(w, RIC_2)
    assert new.subject_id == w.subject1 and new.result is not None
    assert not used  # the reads keyed by the holder were the merged subject's


def test_an_ambiguous_identifier_is_refused_alike(published: World) -> None:
    w = published
    ident = _ric(RIC_1)
    with transaction(w.engine) as conn:
        repositories.add_identifier(
            conn,
            subject_id=w.subject2,
            scheme="cn_ric",
            value_hash=identifier_hash(HASH_KEY.encode(), ident),
            value_masked=ident.masked(),
            country="CN",
        )
    new, _ = _same_answer(w, RIC_1)
    assert new.refusal is not None and new.refusal.code == "subject_ambiguous"


@pytest.mark.parametrize(
    ("ric", "code"),
    [(RIC_NOBODY, "subject_not_found"), ("11010519491231002Y", "identifier_invalid")],
)
def test_unknown_and_invalid_identifiers_are_refused_alike(
    published: World, ric: str, code: str
) -> None:
    new, _ = _same_answer(published, ric)
    assert new.refusal is not None and new.refusal.code == code


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_usual_report_is_one_round_trip_on_postgresql(
    published: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = published
    counts = count_round_trips(monkeypatch)
    service = _service(w)
    service.reads.close()  # its readers reconnect, through the counting wrapper
    payload = {"identifier": {"scheme": "cn_ric", "value": RIC_1}, "purpose": "credit_application"}
    for _ in range(2):  # the first also reads the key (then cached)
        counts.clear()
        r = w.client.post("/v1/inquirer/inquiries", json=payload, headers=w.auth("inquirer"))
        assert r.status_code == 200, r.text
    assert b'"source":"published"' in r.content
    assert len(counts) == 1
