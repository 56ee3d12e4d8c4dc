"""Records built in code for resolution tests: valid identifiers, ingest, lookups."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

from xinyong.ingest.pipeline import ingest_bytes
from xinyong.ledger import Ledger
from xinyong.resolve import LinkConfig, ResolveSummary, record_subjects
from xinyong.resolve.model import TrainedModel
from xinyong.resolve.workspace import Workspace
from xinyong.store import repositories
from xinyong.store.engine import transaction
from xinyong.store.resolution_schema import resolution_mentions, resolution_records
from xinyong.synth.identity import gb11714_check

KEY = b"resolve-test-deployment-key-0001"

#: Small enough to train in seconds, big enough for EM to find its matches.
FAST = LinkConfig(max_pairs=1e5, min_train_mentions=50)


@dataclass(frozen=True)
class Population:
    """A synthetic population, ingested and resolved once (SQLite)."""

    root: Path
    engine: Engine
    ledger: Ledger
    workspace: Workspace
    summary: ResolveSummary
    models: dict[str, TrainedModel]


FURNISHERS = ("bank-a", "bank-b", "court-c")


def ric(birth: str, seq: int) -> str:
    """A valid CN resident number for a Beijing (110105) birth on ``birth``."""
    body = f"110105{birth.replace('-', '')}{seq:03d}"
    return body + stdnum_ric.calc_check_digit(body + "0")


def uscc(org: str) -> str:
    """A valid unified social credit code with organisation code ``org`` (8 chars)."""
    body = f"91110108{org}{gb11714_check(org)}"
    return body + stdnum_uscc.calc_check_digit(body)


def person(
    account: str,
    *,
    family: str | None = None,
    given: str | None = None,
    full: str | None = None,
    birth: str | None = None,
    id_scheme: str | None = None,
    id_value: str | None = None,
    id_country: str | None = None,
    address: str | None = "朝阳区建国路88号3栋2单元501室",
    city: str | None = "北京市",
    region: str | None = "北京市",
    postal_code: str | None = "100022",
    phone: str | None = None,
) -> dict[str, Any]:
    """A canonical account record of a person."""
    return {
        "record_kind": "account",
        "account_number": account,
        "subject_kind": "person",
        "family_name": family,
        "given_names": given,
        "full_name": full,
        "birth_date": birth,
        "id_scheme": id_scheme,
        "id_value": id_value,
        "id_country": id_country,
        "address_line1": address,
        "city": city,
        "region": region,
        "postal_code": postal_code,
        "country": "CN",
        "phone": phone,
        "portfolio_type": "R",
        "account_type": "18",
        "ecoa_code": "1",
        "date_opened": "2020-01-15",
        "date_reported": "2026-05-31",
        "currency": "CNY",
        "current_balance": 120000,
        "credit_limit": 500000,
        "account_status": "11",
        "payment_history_profile": "000000000000",
    }


def enterprise(
    ref: str,
    legal_name: str,
    *,
    code: str | None = None,
    registered: str | None = None,
    address: str | None = "海淀区中关村大街1号",
    city: str | None = "北京市",
) -> dict[str, Any]:
    """A canonical public record (an administrative penalty) of an enterprise."""
    return {
        "record_kind": "public_record",
        "record_ref": ref,
        "subject_kind": "enterprise",
        "legal_name": legal_name,
        "registration_date": registered,
        "id_scheme": "cn_uscc" if code else None,
        "id_value": code,
        "address_line1": address,
        "city": city,
        "region": "北京市",
        "country": "CN",
        "kind": "administrative_penalty",
        "authority": "北京市海淀区市场监督管理局",
        "document_number": f"京海市监罚〔2025〕{ref}号",
        "event_date": "2025-03-01",
        "status": "active",
    }


def register_furnishers(engine: Engine) -> None:
    with transaction(engine) as conn:
        for org in FURNISHERS:
            repositories.add_organisation(
                conn, org_id=org, name=org, kind="bank", roles=["furnisher"], country="CN"
            )


def ingest(
    records: Iterable[Mapping[str, Any]], furnisher: str, ledger: Ledger, engine: Engine
) -> str:
    """Ingest records as one JSON Lines batch; returns the batch id (all must be accepted)."""
    data = "".join(
        json.dumps({k: v for k, v in r.items() if v is not None}, ensure_ascii=False) + "\n"
        for r in records
    ).encode()
    report = ingest_bytes(
        data, furnisher, source_name="test.jsonl", ledger=ledger, engine=engine, hash_key=KEY
    )
    assert report.rejected == 0, report
    return report.batch_id


def subjects(engine: Engine, batch_id: str) -> dict[int, str | None]:
    """record_no -> subject id of a batch's records."""
    with engine.connect() as conn:
        return {n: s for _t, b, n, s in conn.execute(record_subjects()) if b == batch_id}


def mention_of(engine: Engine, batch_id: str, record_no: int) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                select(resolution_records.c.mention_key).where(
                    resolution_records.c.batch_id == batch_id,
                    resolution_records.c.record_no == record_no,
                )
            ).scalar_one()
        )


def mention_subjects(engine: Engine) -> dict[str, str | None]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(resolution_mentions.c.mention_key, resolution_mentions.c.subject_id)
        )
        return {r.mention_key: r.subject_id for r in rows}
