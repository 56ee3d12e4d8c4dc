"""Errors of scorecard training, storage and application."""

from __future__ import annotations

from xinyong.errors import UserError, XinyongError

__all__ = ["ModelIntegrityError", "ModelNotFoundError", "RefusedInputError", "ScoringError"]


class ScoringError(UserError):
    """Training or scoring cannot go on with the data or arguments given."""


class RefusedInputError(ScoringError):
    """A protected attribute or identifier was offered as a scorecard input."""


class ModelNotFoundError(ScoringError):
    """No model with that id or path is in the registry."""


class ModelIntegrityError(XinyongError):
    """A stored model's content no longer hashes to its id: it was edited after saving."""
