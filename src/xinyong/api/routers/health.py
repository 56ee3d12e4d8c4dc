"""Liveness: no store access, no authentication."""

from __future__ import annotations

from fastapi import APIRouter

from xinyong import __version__
from xinyong.api.deps import Ctx
from xinyong.api.models import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(ctx: Ctx) -> Health:
    return Health(status="ok", version=__version__, jurisdiction=ctx.profile.jurisdiction.value)
