"""Look attributes up by name: the registry the CLI, docs and scorecards use."""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from xinyong.attributes.definitions import ATTRIBUTES
from xinyong.attributes.model import Attribute

__all__ = ["BY_NAME", "describe", "get"]

BY_NAME: Final = MappingProxyType({a.name: a for a in ATTRIBUTES})


def get(name: str) -> Attribute:
    """The attribute called ``name``; ``KeyError`` naming the known ones otherwise."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"no attribute {name!r}; known: {', '.join(BY_NAME)}") from None


def describe(name: str) -> str:
    """The attribute's definition in words: meaning, unit, subjects, source and SQL."""
    return get(name).describe()
