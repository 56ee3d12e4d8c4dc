"""The seeded deployment the API tests share (see ``conftest.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert

from xinyong.api.admin import grant_purposes, register_organisation
from xinyong.api.keys import create_key
from xinyong.api.subject_auth import issue_code
from xinyong.identifiers.hashing import identifier_hash, keyed_hash
from xinyong.identifiers.registry import Identifier, validate
from xinyong.store import repositories
from xinyong.store.engine import transaction
from xinyong.store.schema import accounts, person_names, public_records

ACCOUNT_NUMBER_1, ACCOUNT_NUMBER_2 = "6222000011112222", "6222000033334444"

HASH_KEY = "test-deployment-key"
RIC_1 = "11010519491231002X"
RIC_2 = "440524188001010014"
RIC_NOBODY = "11010119900307803X"
NAME_1 = "王小明"
NAME_2 = "李四"
START = datetime(2026, 5, 11, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    client: TestClient
    engine: Engine
    clock: Clock
    jurisdiction: str
    tokens: dict[str, str] = field(default_factory=dict)
    subject1: str = ""
    subject2: str = ""
    account1: str = "acct-1"
    account2: str = "acct-2"
    record1: str = "pr-1"
    codes: dict[str, str] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who in self.tokens else {}


def _ric(value: str) -> Identifier:
    return Identifier.from_validated(validate("cn_ric", value))


def seed(engine: Engine, world: World) -> None:
    key = HASH_KEY.encode()
    with transaction(engine) as conn:
        for org_id, kind, roles in (
            ("bank-a", "bank", ["furnisher"]),
            ("bank-b", "bank", ["furnisher"]),
            ("lender-a", "inquirer", ["inquirer"]),
            ("lender-b", "inquirer", ["inquirer"]),
            ("regulator", "operator", ["operator"]),
        ):
            register_organisation(
                conn, org_id=org_id, name=org_id.upper(), kind=kind, roles=roles, country="CN"
            )
        grant_purposes(conn, "lender-a", ["credit_application", "account_review", "prescreen"])
        grant_purposes(conn, "lender-b", ["credit_application"])
        for who, org, role in (
            ("furnisher", "bank-a", "furnisher"),
            ("other_furnisher", "bank-b", "furnisher"),
            ("inquirer", "lender-a", "inquirer"),
            ("other_inquirer", "lender-b", "inquirer"),
            ("operator", "regulator", "operator"),
        ):
            world.tokens[who] = create_key(conn, org, role, timedelta(days=30), now=START).token
        subjects = []
        for ric, name in ((RIC_1, NAME_1), (RIC_2, NAME_2)):
            sid = repositories.add_subject(conn, kind="person", created_at=START)
            ident = _ric(ric)
            repositories.add_identifier(
                conn,
                subject_id=sid,
                scheme="cn_ric",
                value_hash=identifier_hash(key, ident),
                value_masked=ident.masked(),
                country="CN",
            )
            conn.execute(insert(person_names).values(subject_id=sid, full_name=name, script="han"))
            subjects.append(sid)
        world.subject1, world.subject2 = subjects
        repositories.record_ledger_batch(
            conn,
            batch_id="seed-batch",
            furnisher_id="bank-a",
            content_hash="0" * 64,
            format="jsonl",
            records_received=3,
            records_accepted=3,
            records_rejected=0,
            status="stored",
            received_at=START,
        )
        for no, (acct, sid, number) in enumerate(
            (
                (world.account1, world.subject1, ACCOUNT_NUMBER_1),
                (world.account2, world.subject2, ACCOUNT_NUMBER_2),
            ),
            start=1,
        ):
            conn.execute(
                insert(accounts).values(
                    account_id=acct,
                    furnisher_id="bank-a",
                    batch_id="seed-batch",
                    record_no=no,
                    subject_id=sid,
                    # The real key, so that a furnisher's correction of this
                    # account is recognised as the same account.
                    account_number_hash=keyed_hash(key, "account", "bank-a", number),
                    account_number_masked="****" + number[-4:],
                    portfolio_type="R",
                    account_type="18",
                    ecoa_code="1",
                    date_opened=date(2020, 1, 15),
                    date_reported=date(2026, 4, 30),
                    currency="CNY",
                    credit_limit_minor=500000,
                    current_balance_minor=120000,
                    account_status="11",
                    payment_history_profile="000000000000",
                )
            )
        conn.execute(
            insert(public_records).values(
                record_id=world.record1,
                furnisher_id="bank-a",
                batch_id="seed-batch",
                record_no=3,
                subject_id=world.subject1,
                kind="court_judgment",
                authority="Court",
                event_date=date(2024, 1, 1),
                status="active",
            )
        )
        world.codes["subject"] = issue_code(conn, world.subject1, now=START)
        world.codes["other_subject"] = issue_code(conn, world.subject2, now=START)


def notice_row(kind: str) -> dict[str, Any]:
    """A ``dispute_notices`` row of ``kind`` for dispute ``d-1`` of subject ``s-1``: what a
    migration test inserts to see which notice kinds a revision holds."""
    now = datetime.fromisoformat("2026-11-25T10:00:00+00:00")
    return {
        "notice_id": f"n-{kind}",
        "dispute_id": "d-1",
        "subject_id": "s-1",
        "kind": kind,
        "text": "t",
        "created_at": now,
        "due_at": now + timedelta(days=8),
        "sent_at": None,
    }
