"""Metro 2 through the common pipeline: ledger rows in cents, joint holders, refusals."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from xinyong.ingest.metro2 import Record, write
from xinyong.ingest.pipeline import detect, ingest_bytes
from xinyong.ledger import Ledger, connect
from xinyong.store import repositories
from xinyong.store.engine import transaction

sys.path.insert(0, str(Path(__file__).parent / "metro2"))
from metro2_testkit import clean_base, clean_j1, clean_record, make_file, sample

KEY = b"metro2-test-key"


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / "ledger")


@pytest.fixture
def store(engine: Engine) -> Engine:
    with transaction(engine) as conn:
        repositories.add_organisation(
            conn,
            org_id="us-card",
            name="US Card",
            kind="card_issuer",
            roles=["furnisher"],
            country="US",
        )
    return engine


def ingest(data: bytes, ledger: Ledger, store: Engine):  # type: ignore[no-untyped-def]
    return ingest_bytes(
        data, "us-card", source_name="m2", ledger=ledger, engine=store, hash_key=KEY
    )


@pytest.mark.parametrize("variant", ["fixed", "variable"])
def test_valid_file_lands_in_the_ledger_with_joint_holder(
    variant: str, ledger: Ledger, store: Engine
) -> None:
    # 987-65-4321 (the testkit's J1) is in a range never issued; use a real-looking one.
    joint = [clean_j1(social_security_number=223454321)]
    bad = clean_record(clean_base(consumer_account_number="ACCT0002", account_status="97"), joint)
    data = write(make_file([clean_record(segments=joint), bad]), variant)
    assert detect(data) == "metro2"
    report = ingest(data, ledger, store)
    assert (report.received, report.accepted, report.rejected) == (2, 1, 1)

    rows = (
        connect(ledger)
        .sql(
            "select consumer_no, family_name, ecoa_code, id_scheme, id_masked, "
            "current_balance_minor, credit_limit_minor, currency from accounts order by consumer_no"
        )
        .fetchall()
    )
    assert rows == [
        (0, "SMITH-JONES", "1", "us_ssn", "*****6789", 123400, 500000, "USD"),
        (1, "SMITH", "2", "us_ssn", "*****4321", 123400, 500000, "USD"),
    ]


def test_associated_consumer_with_a_never_issued_ssn_rejects_the_record(
    ledger: Ledger, store: Engine
) -> None:
    report = ingest(write(make_file([clean_record()]), "fixed"), ledger, store)
    assert (report.accepted, report.rejected) == (0, 1)
    assert set(report.rules) == {"component"}


def test_trailer_that_does_not_add_up_refuses_the_file(ledger: Ledger, store: Engine) -> None:
    good = make_file([clean_record(), clean_record()])
    short = dataclasses.replace(good, records=[Record(good.records[0].base, [], record_no=1)])
    report = ingest(write(short, "fixed"), ledger, store)
    assert report.status == "rejected"
    assert "trailer" in (report.reason or "")
    assert ledger.stored() == []


def test_moov_samples_are_read_and_their_impossible_dates_rejected(
    ledger: Ledger, store: Engine
) -> None:
    for name, fmt in [
        ("unpacked_fixed_file.dat", "metro2"),
        ("unpacked_variable_file.dat", "metro2"),
        ("packed_file.dat", "metro2_packed"),
    ]:
        data = sample(name)
        assert detect(data) == fmt
        report = ingest(data, ledger, store)
        # moov's sample account opens in 2019, after its 2002 information date.
        assert (report.received, report.rejected) == (1, 1), name
        assert set(report.rules) == {"date_order"}
