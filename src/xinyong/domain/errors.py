"""The one error the domain raises when a value breaks one of its invariants.

A ``DomainError`` names the field and a short rule code, so that ingest can turn
it straight into a reject row (``field``, ``rule``, ``message``) and a furnisher
learns exactly which value broke which rule, instead of reading a traceback.
"""

from __future__ import annotations

__all__ = ["DomainError"]


class DomainError(ValueError):
    """A value that breaks a domain invariant.

    ``field`` is the dataclass field (or argument) at fault; ``rule`` is a stable
    snake_case code such as ``date_order`` or ``non_negative`` that tests, reject
    reports and translations can key on; ``message`` says it in words.

    Furnished records check every field before raising, so that a furnisher gets
    one complete rejection report: the raised error is the first one found and
    ``errors`` holds all of them (just ``(self,)`` for a single failure).
    """

    field: str
    rule: str
    message: str
    errors: tuple[DomainError, ...]

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(f"{field}: {message} [{rule}]")
        self.field = field
        self.rule = rule
        self.message = message
        self.errors = (self,)
