"""The subject's own report as JSON, HTML or PDF (the same model as ``/v1/subject/file``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from xinyong.api import subject_service as service
from xinyong.api.deps import Ctx, SubjectP
from xinyong.api.models import SubjectFile
from xinyong.api.render.html import report_html
from xinyong.api.render.respond import FORMATS, AcceptH, FormatQ, pick, respond
from xinyong.api.routers import ERRORS

router = APIRouter(prefix="/v1/subject", tags=["subject"], responses=ERRORS)


@router.get("/report", response_model=SubjectFile, responses=FORMATS)
def own_report(
    principal: SubjectP, ctx: Ctx, fmt: FormatQ = None, accept: AcceptH = None
) -> Response:
    """Everything an inquirer sees, plus every inquiry and the subject's disputes."""
    wanted = pick(fmt, accept)
    result = service.subject_file(ctx, principal)
    return respond(
        wanted,
        result,
        lambda: report_html(result.report, copy="subject", disputes=result.disputes),
        "my-credit-report",
    )
