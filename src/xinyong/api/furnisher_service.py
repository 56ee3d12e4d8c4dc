"""A furnisher's batches over HTTP: upload through the one ingest pipeline, poll, rejects.

A furnisher sees only its own batches: another organisation's batch id is a
404, exactly like an unknown one, so ids do not leak.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from sqlalchemy import Connection, select

from xinyong.api.context import Principal, ServiceContext
from xinyong.api.errors import ApiError
from xinyong.api.models import BatchStatus, RejectRow
from xinyong.ingest.pipeline import formats, ingest_bytes
from xinyong.store.schema import ledger_batches, rejects

__all__ = ["MAX_UPLOAD_BYTES", "batch_rejects", "batch_status", "upload_batch"]

log = logging.getLogger("xinyong.api.furnisher")

MAX_UPLOAD_BYTES: Final = 64 * 1024 * 1024
"""Default largest batch in one request (``Limits.max_upload_bytes`` is what the router
uses); bigger files go through the operator CLI."""


def status_of(row: Any) -> BatchStatus:
    return BatchStatus(
        batch_id=row.batch_id,
        status=row.status,
        format=row.format,
        received_at=row.received_at,
        records_received=row.records_received,
        records_accepted=row.records_accepted,
        records_rejected=row.records_rejected,
        duplicate_of=row.duplicate_of,
    )


def _own_batch(conn: Connection, org_id: str, batch_id: str) -> Any:
    row = conn.execute(
        select(ledger_batches).where(
            ledger_batches.c.batch_id == batch_id, ledger_batches.c.furnisher_id == org_id
        )
    ).first()
    if row is None:
        raise ApiError(404, "batch_not_found", "no such batch")
    return row


def upload_batch(
    ctx: ServiceContext, principal: Principal, data: bytes, *, format: str, source_name: str
) -> BatchStatus:
    """Ingest ``data`` for the calling furnisher with :func:`ingest_bytes`; its status."""
    if not data:
        raise ApiError(400, "empty_batch", "the request body is empty")
    if format != "auto" and format not in formats():
        raise ApiError(400, "unknown_format", "format must be auto or a known furnisher format")
    org_id = principal.org()
    report = ingest_bytes(
        data,
        org_id,
        source_name=source_name,
        ledger=ctx.system.ledger,
        engine=ctx.system.engine,
        hash_key=ctx.system.hash_key,
        format=format,
        actor=principal.actor,
    )
    log.info("batch ingested: furnisher=%s status=%s", org_id, report.status)
    with ctx.system.engine.connect() as conn:
        return status_of(_own_batch(conn, org_id, report.batch_id))


def batch_status(ctx: ServiceContext, principal: Principal, batch_id: str) -> BatchStatus:
    with ctx.system.engine.connect() as conn:
        return status_of(_own_batch(conn, principal.org(), batch_id))


def batch_rejects(
    ctx: ServiceContext, principal: Principal, batch_id: str, *, limit: int, offset: int
) -> list[RejectRow]:
    """The batch's reject rows in record order (without the raw record text)."""
    with ctx.system.engine.connect() as conn:
        _own_batch(conn, principal.org(), batch_id)
        rows = conn.execute(
            select(rejects)
            .where(rejects.c.batch_id == batch_id)
            .order_by(rejects.c.record_no, rejects.c.reject_id)
            .limit(limit)
            .offset(offset)
        )
        return [
            RejectRow(
                record_no=r.record_no,
                location=r.location,
                segment=r.segment,
                field=r.field,
                rule=r.rule,
                message=r.message,
            )
            for r in rows
        ]
