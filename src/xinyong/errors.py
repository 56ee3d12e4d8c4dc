"""Errors that the shells (CLI, API) turn into clear messages.

A ``UserError`` is something the operator can fix (a missing store, a bad
argument, a file that is not what it claims); the CLI prints its message on one
line and exits 1. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class XinyongError(Exception):
    """Base of every error xinyong raises on purpose."""


class UserError(XinyongError):
    """An error the operator caused and can fix; shown as one line."""
