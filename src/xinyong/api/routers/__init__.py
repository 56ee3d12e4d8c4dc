"""One router per role; each route parses, calls one service function, and formats."""

from __future__ import annotations

from typing import Any

from xinyong.api.models import ErrorResponse

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "no valid credential"},
    403: {"model": ErrorResponse, "description": "wrong role or refused"},
    404: {"model": ErrorResponse, "description": "not found (or not yours)"},
}
