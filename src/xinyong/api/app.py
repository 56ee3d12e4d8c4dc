"""``create_app(settings)``: the FastAPI application, one store engine per app.

Run it with ``uvicorn --factory xinyong.api.app:app_from_env``; every worker
process builds its own app and engine, and its own inquiry service (its read
connections and a group-commit writer thread, see ``inquiry``). Writes happen
in one transaction with their audit event inside the service modules; the
routers only parse and format.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.telemetry import TelemetryConfig

from xinyong import __version__
from xinyong.api import problems
from xinyong.api.context import Clock, ServiceContext, utc_clock
from xinyong.api.error_responses import api_error_response, user_error_response
from xinyong.api.errors import ApiError
from xinyong.api.hot_path import InquiryShortPath
from xinyong.api.inquiry import InquiryService
from xinyong.api.limits import BodySizeLimit, Limits
from xinyong.api.raw_reads import Reads
from xinyong.api.recorder import Recorder
from xinyong.api.routers import (
    furnisher,
    health,
    inquirer,
    inquirer_notices,
    operator,
    portal,
    subject,
    subject_report,
)
from xinyong.api.subject_auth import OneTimeCodes, SubjectAuthenticator
from xinyong.audit.anchorer import Anchorer
from xinyong.errors import UserError
from xinyong.policy import get_profile
from xinyong.settings import Settings, get_settings
from xinyong.system import open_system

__all__ = ["app_from_env", "create_app", "settle_heap", "telemetry"]

# Allocations (net) between young-generation collections in a worker (default 700).
GC_GEN0_THRESHOLD: Final = 20_000


def telemetry(spans_and_metrics: bool) -> TelemetryConfig:
    """FastAPI's OpenTelemetry settings: spans and metrics as the deployment chooses
    (``XINYONG_OTEL``), its log records never.

    Why off by default: FastAPI asks OpenTelemetry for a configured provider on
    every request, reading the environment each time, even when none is
    configured: 3.2 us a request against 0.08 with all three off (measured), ~3 %
    of ``/health``'s CPU and ~1 % of a report inquiry's. Why its logs never: they
    record validation failures with their messages, which quote the input (an
    identifier, a name), and nothing here may log those.
    """
    return {"tracing": spans_and_metrics, "metrics": spans_and_metrics, "logs": False}


def create_app(
    settings: Settings,
    *,
    clock: Clock = utc_clock,
    subject_auth: SubjectAuthenticator | None = None,
    limits: Limits | None = None,
) -> FastAPI:
    """The service over the deployment ``settings`` (store, ledger, key, jurisdiction).

    ``limits``: size and rate limits (default: from ``XINYONG_LIMIT_*``);
    replaceable later through ``app.state.limits``.
    """
    system = open_system(settings)
    ctx = ServiceContext(system=system, profile=get_profile(settings.jurisdiction), clock=clock)
    inquiries = InquiryService(ctx, Reads(system.engine), Recorder(system.engine))
    anchorer = Anchorer(system.engine, settings.audit_anchor_seconds)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        anchorer.start()
        try:
            yield
        finally:
            inquiries.close()  # the recorder's last commits first,
            anchorer.close()  # then a last anchor of its chain
            system.engine.dispose()

    app = FastAPI(
        title="xinyong",
        version=__version__,
        summary="Open credit information system: furnishers, inquirers, subjects, operators.",
        lifespan=lifespan,
        telemetry=telemetry(settings.otel),
    )
    app.state.ctx = ctx
    app.state.inquiries = inquiries
    app.state.anchorer = anchorer
    app.state.subject_auth = subject_auth or OneTimeCodes()
    app.state.limits = limits or Limits()
    app.add_middleware(BodySizeLimit)
    problems.install(app)

    # Outermost of the app's own middleware: the usual inquiry never enters FastAPI's
    # routing; everything else passes through to BodySizeLimit and the routes.
    app.add_middleware(InquiryShortPath)

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return api_error_response(exc)

    @app.exception_handler(UserError)
    async def user_error(_request: Request, exc: UserError) -> JSONResponse:
        return user_error_response(exc)

    # The inquirer router first: routes are matched in order, and inquiries are the traffic.
    modules = (
        health,
        inquirer,
        inquirer_notices,
        furnisher,
        subject,
        subject_report,
        operator,
        portal,
    )
    for module in modules:
        app.include_router(module.router)
    return app


def app_from_env() -> FastAPI:
    """The app for the deployment named by ``XINYONG_*`` (for ``uvicorn --factory``):
    a worker process's one app, so the process's collector is tuned for it."""
    app = create_app(get_settings())
    settle_heap()
    return app


def settle_heap(gen0_threshold: int = GC_GEN0_THRESHOLD) -> None:
    """Move what the worker has built so far out of the cyclic collector's sight and
    collect the young generation less often.

    Why: a worker holds some 200,000 long-lived objects (FastAPI, pydantic and
    SQLAlchemy's structures), and every full collection walked them all: 0.1 s
    of CPU (measured) with the event loop stopped, and every connection's
    request waiting behind it, several times a minute under load; with the
    default young-generation threshold (700 allocations), the objects of the
    hundred requests in flight were promoted at each young collection and
    brought the next full one sooner. Frozen objects are never collected, which
    is what objects made at start-up and kept until exit need; cycles made
    afterwards are collected as before.
    """
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(gen0_threshold, gen1, gen2)
