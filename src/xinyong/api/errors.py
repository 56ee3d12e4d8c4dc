"""The one error the service raises on purpose: a status, a stable code, a message."""

from __future__ import annotations

__all__ = ["ApiError"]


class ApiError(Exception):
    """A refusal the client can act on: HTTP ``status``, snake_case ``code``, words.

    Rendered as ``{"error": {"code": ..., "message": ...}}``. Messages never
    contain an identifier, a name or a score: they are also what gets logged.
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
