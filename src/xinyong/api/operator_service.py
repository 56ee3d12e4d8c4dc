"""Operators and regulators: ingest status, inquiry volumes, audit (disputes:
``dispute_service``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from xinyong.api.context import ServiceContext
from xinyong.api.furnisher_service import status_of
from xinyong.api.models import AuditVerification, BatchStatus, ChainVerification, InquiryVolume
from xinyong.audit import chain
from xinyong.store.schema import ledger_batches
from xinyong.store.service_schema import inquiry_requests

__all__ = ["inquiry_volumes", "recent_batches", "verify_audit"]


def inquiry_volumes(
    ctx: ServiceContext, *, since: datetime | None, until: datetime | None
) -> list[InquiryVolume]:
    """Counts of inquiry attempts by inquirer, purpose and outcome."""
    r = inquiry_requests.c
    query = select(r.inquirer_org_id, r.purpose, r.outcome, func.count().label("n")).group_by(
        r.inquirer_org_id, r.purpose, r.outcome
    )
    if since is not None:
        query = query.where(r.at >= since)
    if until is not None:
        query = query.where(r.at < until)
    with ctx.system.engine.connect() as conn:
        rows = conn.execute(query).all()
    out = [
        InquiryVolume(
            inquirer_org_id=row.inquirer_org_id,
            purpose=row.purpose,
            outcome=row.outcome,
            count=row.n,
        )
        for row in rows
    ]
    return sorted(out, key=lambda v: (v.inquirer_org_id or "", v.purpose or "", v.outcome))


def recent_batches(ctx: ServiceContext, *, limit: int) -> list[BatchStatus]:
    """The newest ledger batches of every furnisher, newest first."""
    with ctx.system.engine.connect() as conn:
        rows = conn.execute(
            select(ledger_batches)
            .order_by(ledger_batches.c.received_at.desc(), ledger_batches.c.batch_id)
            .limit(limit)
        ).all()
    return [status_of(row) for row in rows]


def verify_audit(ctx: ServiceContext) -> AuditVerification:
    """Walk both chains, the audit chain and the inquiry chain."""
    with ctx.system.engine.connect() as conn:
        both = chain.verify_store(conn)
    return AuditVerification(
        **_chain_fields(both.audit),
        inquiries=ChainVerification(**_chain_fields(both.inquiries)),
        inquiries_anchor_seq=both.inquiries_anchor.seq if both.inquiries_anchor else None,
    )


def _chain_fields(result: chain.VerifyResult) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "checked": result.checked,
        "first_broken_seq": result.first_broken_seq,
        "reason": result.reason,
        "head_seq": result.head_seq,
        "head_hash": result.head_hash,
    }
