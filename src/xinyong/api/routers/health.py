"""Liveness: no store access, no authentication.

``async``, with no dependency: a sync handler (or a sync dependency such as
``deps.Ctx``) runs in the thread pool, two thread hand-offs for a constant
answer. Liveness should cost the server as little as it can, and it is the
baseline ``benchmarks/service.py`` measures the report endpoint against.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from xinyong import __version__
from xinyong.api.context import ServiceContext
from xinyong.api.models import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
async def health(request: Request) -> Health:
    ctx: ServiceContext = request.app.state.ctx
    return Health(status="ok", version=__version__, jurisdiction=ctx.profile.jurisdiction.value)
