"""Furnisher routes: upload a batch, poll it, fetch its rejects (own batches only);
the disputes about its records, and its answers to them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from xinyong.api import dispute_service, dispute_steps_service
from xinyong.api import furnisher_service as service
from xinyong.api.deps import Ctx, FurnisherP
from xinyong.api.dispute_models import DisputeAnswerIn, FurnisherDispute, ReinsertionIn
from xinyong.api.errors import ApiError
from xinyong.api.models import BatchStatus, RejectRow
from xinyong.api.routers import ERRORS

router = APIRouter(prefix="/v1/furnisher", tags=["furnisher"], responses=ERRORS)

_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


async def read_limited(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "batch_too_large", f"a batch may have at most {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "batch_too_large", f"a batch may have at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/batches",
    status_code=201,
    response_model=BatchStatus,
    openapi_extra=_BODY,
    responses={
        413: ERRORS[403] | {"description": "too large"},
        429: ERRORS[403] | {"description": "too many uploads; see Retry-After"},
    },
)
async def upload_batch(
    request: Request,
    principal: FurnisherP,
    ctx: Ctx,
    format: Annotated[str, Query(max_length=16)] = "auto",
    source_name: Annotated[str, Query(min_length=1, max_length=128)] = "upload",
) -> BatchStatus:
    data = await read_limited(request, request.app.state.limits.max_upload_bytes)
    return await run_in_threadpool(
        service.upload_batch, ctx, principal, data, format=format, source_name=source_name
    )


@router.get("/batches/{batch_id}", response_model=BatchStatus)
def batch_status(batch_id: str, principal: FurnisherP, ctx: Ctx) -> BatchStatus:
    return service.batch_status(ctx, principal, batch_id)


@router.get("/batches/{batch_id}/rejects", response_model=list[RejectRow])
def batch_rejects(
    batch_id: str,
    principal: FurnisherP,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[RejectRow]:
    return service.batch_rejects(ctx, principal, batch_id, limit=limit, offset=offset)


@router.get("/disputes", response_model=list[FurnisherDispute])
def disputes(
    principal: FurnisherP, ctx: Ctx, status: Literal["open", "all"] = "open"
) -> list[FurnisherDispute]:
    """Disputes about this furnisher's records by deadline; open ones unless ``status=all``."""
    return dispute_service.furnisher_disputes(ctx, principal, open_only=status == "open")


@router.post(
    "/disputes/{dispute_id}/response",
    response_model=FurnisherDispute,
    responses={
        409: ERRORS[403] | {"description": "closed, or the deadline has passed"},
        422: ERRORS[403]
        | {"description": "the correction is missing, rejected, or names another item"},
    },
)
async def answer_dispute(
    dispute_id: str, body: DisputeAnswerIn, principal: FurnisherP, ctx: Ctx
) -> FurnisherDispute:
    """Verify, correct (the corrected record of the same item is ingested as a new batch),
    delete, or say the item cannot be verified (the jurisdiction decides what follows)."""
    return await run_in_threadpool(
        dispute_service.furnisher_answer, ctx, principal, dispute_id, body
    )


@router.post(
    "/disputes/{dispute_id}/reinsertion",
    response_model=FurnisherDispute,
    responses={
        409: ERRORS[403]
        | {"description": "not deleted, already certified, or no reinsertion in this jurisdiction"}
    },
)
def reinsert_item(
    dispute_id: str, body: ReinsertionIn, principal: FurnisherP, ctx: Ctx
) -> FurnisherDispute:
    """Certify a deleted item complete and accurate: it comes back, and the subject is
    owed a written notice (FCRA 611(a)(5)(B))."""
    return dispute_steps_service.certify_reinsertion(ctx, principal, dispute_id, body)
