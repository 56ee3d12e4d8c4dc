"""Inquirer routes: a report or a score with a purpose (and consent where required),
and the adverse action notice for an inquiry the inquirer made.

The report and score routes are ``async`` (see ``inquiry``): JSON goes out as
the bytes the service serialised; only the HTML and PDF renderings, which take
real CPU, run in the thread pool.

The usual request, a JSON body, a bearer token, no query and JSON wanted, takes
a short path (:func:`_fast_json`): the body is validated by its model straight
from the bytes and the handler's work is done without FastAPI's per-request
dependency solving, which cost about as much loop time as the report's reads
(issue 7's profile). Anything else (a body that does not validate, another
content type, a query string, a non-bearer credential, HTML or PDF wanted) goes
through FastAPI's own handler, unchanged, so every refusal and its shape are
FastAPI's; the short path only answers what the full one would answer the same.

An inquiry whose body fails validation (422, unparsable JSON included) never
reaches its handler, so this router's routes (:class:`_RecordedRoute`) record it
as a refused attempt of the authenticated caller and count it against the key's
rate limit: a key sending malformed bodies is limited like any other (429
once over), and every refused request is on record. An unauthenticated one is
not counted: nobody may spend another key's allowance by naming it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import ValidationError

from xinyong.api.adverse_action import adverse_action_notice
from xinyong.api.deps import Ctx, InquirerP
from xinyong.api.inquirer_auth import InquirerC, authenticated, inquiry_service, request_caller
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
Endpoint = Callable[..., Any]

# Endpoints with a short path: their JSON answer, and whether the route negotiates
# its format (``?format=``, ``Accept``). Filled by :func:`_short_path`.
_FAST: dict[Endpoint, tuple[JsonAnswer, bool]] = {}


def _short_path(answer: JsonAnswer, *, negotiates: bool) -> Callable[[Endpoint], Endpoint]:
    """Register ``answer`` as the endpoint's short path (applied before the route is made)."""

    def register(endpoint: Endpoint) -> Endpoint:
        _FAST[endpoint] = (answer, negotiates)
        return endpoint

    return register


class _RecordedRoute(APIRoute):
    """A route whose inquiry requests (``POST``) that fail validation are recorded;
    the JSON inquiry routes (:data:`_FAST`) take the short path where it applies."""

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

        fast = _FAST.get(self.endpoint)
        if fast is None:
            return recorded
        answer, negotiates = fast
        return _fast_json(answer, recorded, negotiates=negotiates)


def _fast_json(answer: JsonAnswer, full: Handler, *, negotiates: bool) -> Handler:
    """``full``, except that a request it would serve as JSON with no refusal of
    FastAPI's own is answered by ``answer`` directly.

    What FastAPI would do for such a request, in its order: the body parsed as
    JSON and validated as :class:`InquiryIn`, the ``Authorization: Bearer``
    credential checked (401/403 from :func:`authenticated`), ``?format=`` and
    ``Accept`` choosing JSON. A request that differs in any of these (its body
    invalid, no bearer credential, a query string, another content type or
    format) goes to ``full``, which answers it exactly as before.
    """

    async def handler(request: Request) -> Response:
        headers = request.headers
        if request.method != "POST" or request.scope.get("query_string"):
            return await full(request)
        content_type = headers.get("content-type")
        if content_type is None or content_type.strip().lower() != "application/json":
            return await full(request)
        scheme, token = get_authorization_scheme_param(headers.get("authorization"))
        if not token or scheme.lower() != "bearer":
            return await full(request)
        if negotiates and pick(None, headers.get("accept")) != "json":
            return await full(request)
        try:
            body = InquiryIn.model_validate_json(await request.body())
        except ValidationError:  # FastAPI's own 422 (recorded), from the full path
            return await full(request)
        caller = await authenticated(request, token)
        service = inquiry_service(request)
        content = await answer(service, caller, body, request.app.state.limits)
        return Response(content, media_type="application/json")

    return handler


router = APIRouter(
    prefix="/v1/inquirer", tags=["inquirer"], responses=ERRORS, route_class=_RecordedRoute
)

REFUSED: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "purpose missing or unknown, or bad format"},
    409: {"model": ErrorResponse, "description": "identifier names several subjects"},
    422: {"model": ErrorResponse, "description": "identifier invalid"},
    429: {"model": ErrorResponse, "description": "rate limit reached (recorded); see Retry-After"},
}


@router.post("/inquiries", response_model=InquiryResult, responses={**REFUSED, **FORMATS})
@_short_path(
    lambda service, caller, body, limits: service.report_json(caller, body, limits), negotiates=True
)
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
@_short_path(
    lambda service, caller, body, limits: service.score_json(caller, body, limits), negotiates=False
)
async def score(body: InquiryIn, caller: InquirerC, request: Request) -> Response:
    """The subject's latest score with its reason codes; recorded like a report inquiry."""
    service, limits = inquiry_service(request), request.app.state.limits
    content = await service.score_json(caller, body, limits)
    return Response(content, media_type="application/json")


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
