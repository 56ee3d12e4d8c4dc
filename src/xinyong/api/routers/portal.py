"""The subject portal: the subject's own file in a browser, with a cookie session.

Server-rendered pages over the same service functions as the JSON API
(:mod:`subject_service`), so every rule (ownership, consent checks, dispute
deadlines, statement word limits, audit) is the API's. Sign-in takes the one-time
code through the app's pluggable authenticator; the session lives in an HttpOnly,
SameSite=Strict cookie (:mod:`portal_session`), and every form that changes
something carries the session's CSRF token. A request without a valid session is
sent to the sign-in page and sees nothing; a bearer token is not a portal session.
After a change the browser is redirected (POST, redirect, GET), so reloading a
page never repeats it. The pages are not part of the OpenAPI spec.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Final
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from xinyong.api import dispute_steps_service
from xinyong.api import subject_service as service
from xinyong.api.context import Principal, ServiceContext
from xinyong.api.deps import Ctx
from xinyong.api.dispute_models import InformationIn, NoticeOut, PastRecipientOut, RecipientsIn
from xinyong.api.errors import ApiError
from xinyong.api.models import ConsentIn, DisputeIn, DisputeOut, Report, StatementIn
from xinyong.api.portal_session import (
    PATH,
    SIGN_IN_COOKIE,
    csrf_for,
    csrf_matches,
    end_cookie,
    new_sign_in_nonce,
    portal_principal,
    session_token,
    set_session_cookie,
    set_sign_in_cookie,
)
from xinyong.api.render.html import account_kind, fmt, page_html, report_html, words
from xinyong.api.render.respond import FormatQ, pick, respond
from xinyong.api.subject_auth import close_session
from xinyong.disputes.procedure import PROCEDURE_NOTICE, REINVESTIGATED
from xinyong.domain.disputes import DisputeStatus
from xinyong.policy import DisputeRule
from xinyong.store.engine import transaction

__all__ = ["router"]

router = APIRouter(prefix=PATH, include_in_schema=False)

MAX_FIELDS: Final = 16
#: No caching of a credit file, no framing (clickjacking), nothing loaded from elsewhere.
HEADERS: Final = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}
#: What a redirect after a change says on the next page (codes, so nothing is reflected).
DONE: Final = {
    "consent_granted": "Consent granted.",
    "consent_revoked": "Consent revoked.",
    "dispute_filed": "Dispute filed: the item is marked as disputed and its furnisher is told.",
    "information_added": "Information added: it is passed on to whoever answers your dispute; "
    "its deadline is shown below.",
    "procedure_requested": "Request recorded: a description of how your dispute was "
    "reinvestigated is owed to you in writing by the date shown under Notices.",
    "recipients_told": "Done: each recipient you chose is told, in a notice naming the report "
    "it received.",
    "statement_added": "Statement added.",
    "signed_out": "You are signed out.",
}


async def form_fields(request: Request) -> dict[str, str]:
    """The fields of a URL-encoded form (the first value of each); anything else is empty.

    Parsed here rather than with python-multipart: the portal's forms are small
    and URL-encoded, and the body size is already bounded by ``BodySizeLimit``.
    """
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {}
    try:
        text = (await request.body()).decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return {}
    fields: dict[str, str] = {}
    for key, value in pairs:
        fields.setdefault(key, value)
    return fields


Form = Annotated[dict[str, str], Depends(form_fields)]
Done = Annotated[str | None, Query(max_length=32)]


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=HEADERS)


def _redirect(to: str) -> RedirectResponse:
    return RedirectResponse(to, status_code=303, headers=HEADERS)


def _session(ctx: ServiceContext, request: Request) -> tuple[Principal, str] | None:
    token = session_token(request)
    principal = portal_principal(ctx, request)
    if token is None or principal is None:
        return None
    return principal, token


def _nav(
    page: str, token: str, error: str | None = None, done: str | None = None
) -> dict[str, Any]:
    return {
        "signed_in": True,
        "page": page,
        "csrf": csrf_for(token),
        "error": error,
        "done": DONE.get(done or ""),
    }


def _guard(
    ctx: ServiceContext, request: Request, form: dict[str, str]
) -> tuple[Principal, str] | Response:
    """The session of a form that changes something, or the response refusing it: to the
    sign-in page without a session, 403 when the CSRF token is not the session's."""
    signed = _session(ctx, request)
    if signed is None:
        return _redirect(f"{PATH}/sign-in")
    if not csrf_matches(csrf_for(signed[1]), form.get("csrf")):
        page = page_html(
            "portal_error.html",
            portal=_nav(
                f"{PATH}/report",
                signed[1],
                error="csrf: the form did not come from "
                "this session's page; reload the page and try again",
            ),
            heading="Not done",
            back=f"{PATH}/report",
        )
        return _html(page, 403)
    return signed


def _invalid(exc: ValidationError) -> str:
    """The first problem of a form, naming its field and the rule."""
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "form"
    return f"{field}: {err['msg']}"


# --------------------------------------------------------------------------- items of the file


def _items(report: Report) -> list[tuple[str, str]]:
    """Every item of the file a subject may dispute or comment on: ``kind:id`` and a label."""
    items = [("identity:", "Your identity details (names and identifiers)")]
    for a in report.accounts:
        number = a.account_number_masked or a.account_id
        kind = account_kind(a.portfolio_type, a.account_type)
        items.append((f"account:{a.account_id}", f"Account {number} ({kind}), {a.furnisher_id}"))
    for r in report.public_records:
        items.append(
            (
                f"public_record:{r.record_id}",
                f"Public record: {words(r.kind)}, {r.authority}, {fmt(r.event_date)}",
            )
        )
    for q in report.inquiries:
        who = q.inquirer_name or q.inquirer_org_id
        items.append(
            (f"inquiry:{q.inquiry_id}", f"Inquiry by {who} on {fmt(q.at)} ({words(q.purpose)})")
        )
    return items


def _item(value: str) -> tuple[str | None, str | None]:
    kind, _, item_id = value.partition(":")
    return (kind or None), (item_id or None)


# --------------------------------------------------------------------------- sign-in, sign-out


def _sign_in_page(request: Request, error: str | None, done: str | None, status: int) -> Response:
    nonce = new_sign_in_nonce()
    portal = {"signed_in": False, "error": error, "done": DONE.get(done or "")}
    response = _html(page_html("portal_sign_in.html", portal=portal, nonce=nonce), status)
    set_sign_in_cookie(response, request, nonce)
    return response


@router.get("")
def home(request: Request, ctx: Ctx) -> Response:
    return _redirect(f"{PATH}/report" if _session(ctx, request) else f"{PATH}/sign-in")


@router.get("/sign-in")
def sign_in_form(request: Request, ctx: Ctx, done: Done = None) -> Response:
    if _session(ctx, request) is not None:
        return _redirect(f"{PATH}/report")
    return _sign_in_page(request, None, done, 200)


@router.post("/sign-in")
def sign_in(request: Request, ctx: Ctx, form: Form) -> Response:
    """Exchange the one-time code for a session in the portal cookie."""
    if not csrf_matches(request.cookies.get(SIGN_IN_COOKIE), form.get("csrf")):
        return _sign_in_page(
            request, "csrf: the sign-in form expired or came from elsewhere; try again", None, 403
        )
    try:
        session = service.sign_in(ctx, request.app.state.subject_auth, form.get("code", ""))
    except ApiError as exc:
        return _sign_in_page(request, f"code: {exc.message}", None, exc.status)
    response = _redirect(f"{PATH}/report")
    set_session_cookie(response, request, session.token, session.expires_at, ctx.now())
    return response


@router.post("/sign-out")
def sign_out(request: Request, ctx: Ctx, form: Form) -> Response:
    """End the session server-side (the token stops working everywhere) and drop the cookie."""
    guarded = _guard(ctx, request, form)
    if isinstance(guarded, Response):
        return guarded
    principal, _ = guarded
    with transaction(ctx.system.engine) as conn:
        close_session(conn, principal, ctx.now())
    response = _redirect(f"{PATH}/sign-in?done=signed_out")
    end_cookie(response, request)
    return response


# --------------------------------------------------------------------------- pages


@router.get("/report")
def report(request: Request, ctx: Ctx, fmt_: FormatQ = None, done: Done = None) -> Response:
    """The subject's own report (recorded as the subject's request, as in the API)."""
    signed = _session(ctx, request)
    if signed is None:
        return _redirect(f"{PATH}/sign-in")
    principal, token = signed
    wanted = pick(fmt_, None) if fmt_ is not None else "html"
    result = service.subject_file(ctx, principal)
    if wanted == "html":
        nav = _nav(f"{PATH}/report", token, done=done)
        page = report_html(result.report, copy="subject", disputes=result.disputes, portal=nav)
        return _html(page)
    out = respond(
        wanted,
        result,
        lambda: report_html(result.report, copy="subject", disputes=result.disputes),
        "my-credit-report",
    )
    out.headers.update(HEADERS)
    return out


def _page(
    ctx: ServiceContext,
    request: Request,
    build: Callable[[Principal, dict[str, Any]], str],
    page: str,
    done: str | None,
) -> Response:
    signed = _session(ctx, request)
    if signed is None:
        return _redirect(f"{PATH}/sign-in")
    principal, token = signed
    return _html(build(principal, _nav(page, token, done=done)))


def _inquiries(ctx: ServiceContext) -> Callable[[Principal, dict[str, Any]], str]:
    def build(principal: Principal, nav: dict[str, Any]) -> str:
        inquiries = service.own_inquiries(ctx, principal)
        return page_html("portal_inquiries.html", portal=nav, inquiries=inquiries)

    return build


def _consents(ctx: ServiceContext) -> Callable[[Principal, dict[str, Any]], str]:
    def build(principal: Principal, nav: dict[str, Any]) -> str:
        return page_html(
            "portal_consents.html",
            portal=nav,
            consents=service.list_consents(ctx, principal),
            purposes=sorted(p.value for p in ctx.profile.purposes),
            basis=f"{ctx.profile.inquiry_basis.value.replace('_', ' ')}: "
            f"{ctx.profile.purposes_basis}",
        )

    return build


def _procedure_askable(
    rule: DisputeRule, disputes: list[DisputeOut], notices: list[NoticeOut]
) -> list[DisputeOut]:
    """The disputes whose reinvestigation the subject may still ask to have described: none
    where the profile owes no such description, else those reinvestigated (the statuses
    :mod:`xinyong.disputes.procedure` describes) and not asked about yet. Offering no form
    where the service would refuse keeps the page from inviting a 409; the service still
    decides."""
    if rule.procedure_notice is None:
        return []
    asked = {n.dispute_id for n in notices if n.kind == PROCEDURE_NOTICE}
    return [
        d
        for d in disputes
        if DisputeStatus(d.status) in REINVESTIGATED and d.dispute_id not in asked
    ]


def _tellable(
    ctx: ServiceContext, principal: Principal, disputes: list[DisputeOut]
) -> list[tuple[DisputeOut, list[PastRecipientOut]]]:
    """The completed disputes with past recipients still to tell, each with them: none
    where the profile sets no such duty; a dispute the service would refuse (nothing
    deleted, corrected or noted) gets no form. The service still decides."""
    if ctx.profile.dispute.recipients is None:
        return []
    tellable = []
    for d in disputes:
        if not DisputeStatus(d.status).is_final:
            continue
        try:
            found = dispute_steps_service.past_recipients(ctx, principal, d.dispute_id)
        except ApiError:
            continue
        waiting = [r for r in found if r.told_at is None]
        if waiting:
            tellable.append((d, waiting))
    return tellable


def _disputes(ctx: ServiceContext) -> Callable[[Principal, dict[str, Any]], str]:
    def build(principal: Principal, nav: dict[str, Any]) -> str:
        rule = ctx.profile.dispute
        disputes = service.list_disputes(ctx, principal)
        notices = dispute_steps_service.subject_notices(ctx, principal)
        return page_html(
            "portal_disputes.html",
            portal=nav,
            disputes=disputes,
            notices=notices,
            items=_items(service.file_view(ctx, principal)),
            basis=rule.basis,
            askable=_procedure_askable(rule, disputes, notices),
            procedure_basis=rule.procedure_notice.basis if rule.procedure_notice else None,
            tellable=_tellable(ctx, principal, disputes),
            recipients_basis=rule.recipients.basis if rule.recipients else None,
        )

    return build


def _statements(ctx: ServiceContext) -> Callable[[Principal, dict[str, Any]], str]:
    def build(principal: Principal, nav: dict[str, Any]) -> str:
        items = _items(service.file_view(ctx, principal))
        labels = dict(items)
        shown = [
            {
                "created_at": s.created_at,
                "text": s.text,
                "about": "your whole file"
                if s.item_kind is None
                else labels.get(f"{s.item_kind}:{s.item_id or ''}", words(s.item_kind)),
            }
            for s in service.list_statements(ctx, principal)
        ]
        return page_html(
            "portal_statements.html",
            portal=nav,
            statements=shown,
            items=items,
            word_limit=ctx.profile.statement_word_limit,
            basis=ctx.profile.statement_basis,
        )

    return build


@router.get("/inquiries")
def inquiries_page(request: Request, ctx: Ctx, done: Done = None) -> Response:
    return _page(ctx, request, _inquiries(ctx), f"{PATH}/inquiries", done)


@router.get("/consents")
def consents_page(request: Request, ctx: Ctx, done: Done = None) -> Response:
    return _page(ctx, request, _consents(ctx), f"{PATH}/consents", done)


@router.get("/disputes")
def disputes_page(request: Request, ctx: Ctx, done: Done = None) -> Response:
    return _page(ctx, request, _disputes(ctx), f"{PATH}/disputes", done)


@router.get("/statements")
def statements_page(request: Request, ctx: Ctx, done: Done = None) -> Response:
    return _page(ctx, request, _statements(ctx), f"{PATH}/statements", done)


# --------------------------------------------------------------------------- changes


def _change(
    ctx: ServiceContext,
    request: Request,
    form: dict[str, str],
    page: str,
    build: Callable[[Principal, dict[str, Any]], str],
    act: Callable[[Principal], None],
    done: str,
) -> Response:
    """Guard a form, run ``act``; on success back to ``page`` saying ``done``, else the
    page again with the refusal (the service's status and message, or the bad field)."""
    guarded = _guard(ctx, request, form)
    if isinstance(guarded, Response):
        return guarded
    principal, token = guarded
    try:
        act(principal)
    except ApiError as exc:
        return _html(build(principal, _nav(page, token, error=exc.message)), exc.status)
    except ValidationError as exc:
        return _html(build(principal, _nav(page, token, error=_invalid(exc))), 422)
    return _redirect(f"{page}?done={done}")


def _expires(value: str) -> datetime | None:
    """A consent's last day, to its end UTC; ``expires_on`` names a bad date."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ApiError(422, "bad_date", f"expires_on: not a date (YYYY-MM-DD): {value!r}") from None
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


@router.post("/consents")
def grant_consent(request: Request, ctx: Ctx, form: Form) -> Response:
    def act(principal: Principal) -> None:
        body = ConsentIn.model_validate(
            {
                "inquirer_org_id": form.get("inquirer_org_id", "").strip(),
                "purpose": form.get("purpose", ""),
                "expires_at": _expires(form.get("expires_on", "").strip()),
            }
        )
        service.grant_consent(ctx, principal, body)

    page = f"{PATH}/consents"
    return _change(ctx, request, form, page, _consents(ctx), act, "consent_granted")


@router.post("/consents/{consent_id}/revoke")
def revoke_consent(consent_id: str, request: Request, ctx: Ctx, form: Form) -> Response:
    def act(principal: Principal) -> None:
        service.revoke_consent(ctx, principal, consent_id)

    page = f"{PATH}/consents"
    return _change(ctx, request, form, page, _consents(ctx), act, "consent_revoked")


@router.post("/disputes")
def file_dispute(request: Request, ctx: Ctx, form: Form) -> Response:
    def act(principal: Principal) -> None:
        kind, item_id = _item(form.get("item", ""))
        body = DisputeIn.model_validate(
            {"item_kind": kind, "item_id": item_id, "reason": form.get("reason", "").strip()}
        )
        service.open_dispute(ctx, principal, body)

    page = f"{PATH}/disputes"
    return _change(ctx, request, form, page, _disputes(ctx), act, "dispute_filed")


@router.post("/disputes/{dispute_id}/information")
def add_dispute_information(dispute_id: str, request: Request, ctx: Ctx, form: Form) -> Response:
    """Add information to an open dispute: the API's service function, so the same checks
    (own dispute, still open, before its deadline) and, where the profile says so, the one
    extension of the deadline (FCRA 611(a)(1)(B))."""

    def act(principal: Principal) -> None:
        body = InformationIn.model_validate({"text": form.get("text", "").strip()})
        dispute_steps_service.add_information(ctx, principal, dispute_id, body)

    page = f"{PATH}/disputes"
    return _change(ctx, request, form, page, _disputes(ctx), act, "information_added")


@router.post("/disputes/{dispute_id}/procedure")
def request_procedure(dispute_id: str, request: Request, ctx: Ctx, form: Form) -> Response:
    """Ask how a completed dispute was reinvestigated (FCRA 611(a)(7)): the API's service
    function, so the same checks (own dispute, the profile's right, reinvestigated, once)
    and the same ``procedure`` notice owed within the profile's period."""

    def act(principal: Principal) -> None:
        dispute_steps_service.request_procedure(ctx, principal, dispute_id)

    page = f"{PATH}/disputes"
    return _change(ctx, request, form, page, _disputes(ctx), act, "procedure_requested")


@router.post("/disputes/{dispute_id}/recipients")
def tell_recipients(dispute_id: str, request: Request, ctx: Ctx, form: Form) -> Response:
    """Have one past recipient (``inquirer_org_id``), or all of them (empty), told of what
    a completed dispute deleted, corrected or noted (FCRA 611(d), GDPR art. 19): the API's
    service function, so the same checks and the same notices."""

    def act(principal: Principal) -> None:
        org = form.get("inquirer_org_id", "").strip()
        body = RecipientsIn.model_validate({"inquirer_org_ids": [org] if org else None})
        dispute_steps_service.tell_recipients(ctx, principal, dispute_id, body)

    page = f"{PATH}/disputes"
    return _change(ctx, request, form, page, _disputes(ctx), act, "recipients_told")


@router.post("/statements")
def add_statement(request: Request, ctx: Ctx, form: Form) -> Response:
    def act(principal: Principal) -> None:
        kind, item_id = _item(form.get("item", ""))
        body = StatementIn.model_validate(
            {"text": form.get("text", "").strip(), "item_kind": kind, "item_id": item_id}
        )
        service.add_statement(ctx, principal, body)

    page = f"{PATH}/statements"
    return _change(ctx, request, form, page, _statements(ctx), act, "statement_added")
