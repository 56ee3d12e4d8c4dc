"""Placeholder: filled in by the change that owns it (see migrations 0005/0006)."""

from __future__ import annotations
