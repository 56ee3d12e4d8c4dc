"""How a dispute step is refused: apart from the workflow, so that the notice modules the
workflow calls can raise them too."""

from __future__ import annotations

__all__ = ["DeadlinePassed", "DisputeRefused"]


class DeadlinePassed(Exception):
    """An answer came after ``due_at``: the dispute is closed by the deadline rule instead."""


class DisputeRefused(Exception):
    """A step the dispute rules do not allow: a stable ``code`` and a message naming the
    field and the rule (never an identifier or a name: it may be logged)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
