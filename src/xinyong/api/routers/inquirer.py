"""Inquirer routes: a report or a score with a purpose (and consent where required),
and the adverse action notice for an inquiry the inquirer made.

The report and score routes are ``async`` (see ``inquiry``): JSON goes out as
the bytes the service serialised; only the HTML and PDF renderings, which take
real CPU, run in the thread pool.

The usual request, a JSON body, a bearer token, no query and JSON wanted, is
answered before it reaches this router, by the short path in front of the app
(``hot_path``, with :data:`SHORT_PATHS`): FastAPI's routing, request object and
per-request dependency solving cost about as much CPU as the report's reads
(issue 7's profile). Anything else reaches the routes below, unchanged, so
every refusal and its shape are FastAPI's.

An inquiry whose body fails validation (422, unparsable JSON included) never
reaches its handler, so this router's routes (:class:`_RecordedRoute`) record it
as a refused attempt of the authenticated caller and count it against the key's
rate limit: a key sending malformed bodies is limited like any other (429
once over), and every refused request is on record. An unauthenticated one is
not counted: nobody may spend another key's allowance by naming it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute

from xinyong.api.adverse_action import adverse_action_notice
from xinyong.api.deps import Ctx, InquirerP
from xinyong.api.inquirer_auth import InquirerC, inquiry_service, request_caller
from xinyong.api.inquiry import Inquirer, InquiryService
from xinyong.api.limits import Limits
from xinyong.api.models import ErrorResponse, InquiryIn, InquiryResult
from xinyong.api.render.html import adverse_action_html, report_html
from xinyong.api.render.respond import FORMATS, AcceptH, FormatQ, pick, respond
from xinyong.api.report_models import AdverseActionNotice, ScoreResult
from xinyong.api.routers import ERRORS

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
# A served JSON answer of the service for an authenticated inquirer and a valid body.
JsonAnswer = Callable[[InquiryService, Inquirer, InquiryIn, Limits], Awaitable[bytes]]
PREFIX: Final = "/v1/inquirer"


@dataclass(frozen=True)
class ShortPath:
    """What the short path (``hot_path``) serves for a route: the route's JSON answer,
    and whether the route negotiates its format (``?format=``, ``Accept``)."""

    answer: JsonAnswer
    negotiates: bool


class _RecordedRoute(APIRoute):
    """A route whose inquiry requests (``POST``) that fail validation are recorded."""

    def get_route_handler(self) -> Handler:
        handle = super().get_route_handler()

        async def recorded(request: Request) -> Response:
            try:
                return await handle(request)
            except RequestValidationError:
                if request.method == "POST":
                    caller = await request_caller(request)
                    if caller is not None:
                        limits = request.app.state.limits
                        await inquiry_service(request).refuse_invalid(caller, limits)
                raise

        return recorded


router = APIRouter(prefix=PREFIX, tags=["inquirer"], responses=ERRORS, route_class=_RecordedRoute)

REFUSED: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "purpose missing or unknown, or bad format"},
    409: {"model": ErrorResponse, "description": "identifier names several subjects"},
    422: {"model": ErrorResponse, "description": "identifier invalid"},
    429: {"model": ErrorResponse, "description": "rate limit reached (recorded); see Retry-After"},
}


@router.post("/inquiries", response_model=InquiryResult, responses={**REFUSED, **FORMATS})
async def inquire(
    body: InquiryIn,
    caller: InquirerC,
    request: Request,
    fmt: FormatQ = None,
    accept: AcceptH = None,
) -> Response:
    """Every call is recorded, refused ones too, with a reason code in the 4xx body."""
    wanted = pick(fmt, accept)
    service, limits = inquiry_service(request), request.app.state.limits
    if wanted == "json":
        content = await service.report_json(caller, body, limits)
        return Response(content, media_type="application/json")
    result = await service.report(caller, body, limits)
    inquiry = {"inquiry_id": result.inquiry_id, "purpose": result.purpose, "kind": result.kind}
    return await run_in_threadpool(
        respond,
        wanted,
        result,
        lambda: report_html(result.report, copy="inquirer", inquiry=inquiry),
        f"report-{result.inquiry_id}",
    )


@router.post("/score", response_model=ScoreResult, responses=REFUSED)
async def score(body: InquiryIn, caller: InquirerC, request: Request) -> Response:
    """The subject's latest score with its reason codes; recorded like a report inquiry."""
    service, limits = inquiry_service(request), request.app.state.limits
    content = await service.score_json(caller, body, limits)
    return Response(content, media_type="application/json")


# The routes above by path, as the short path serves them: the same service calls.
SHORT_PATHS: Final[dict[str, ShortPath]] = {
    f"{PREFIX}/inquiries": ShortPath(InquiryService.report_json, negotiates=True),
    f"{PREFIX}/score": ShortPath(InquiryService.score_json, negotiates=False),
}


@router.get(
    "/inquiries/{inquiry_id}/adverse-action-notice",
    response_model=AdverseActionNotice,
    responses=FORMATS,
)
def notice(
    inquiry_id: str, principal: InquirerP, ctx: Ctx, fmt: FormatQ = None, accept: AcceptH = None
) -> Response:
    """FCRA 615(a) notice for one of the caller's own inquiries (404 for anyone else's)."""
    wanted = pick(fmt, accept)
    result = adverse_action_notice(ctx, principal, inquiry_id)
    return respond(
        wanted, result, lambda: adverse_action_html(result), f"adverse-action-{inquiry_id}"
    )
