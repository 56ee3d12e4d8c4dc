"""Helpers for fixtures that build a synthetic country to test what comes after ingest.

Kept as a plain module (the test folders have no ``__init__.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from xinyong.ingest import fast


@contextmanager
def reference_ingest() -> Iterator[None]:
    """Inside the block, every file is ingested record by record (the reference path).

    The DuckDB fast path pays a fixed cost of about 0.7 CPU-seconds per file,
    which is more than it saves below a few thousand records: a 30-file,
    120-person country took 14.4 CPU-s to ingest on the fast path and 2.2 on
    the reference path. The two paths store the same rows and rejects (the
    equivalence tests in ``tests/ingest/fast`` hold them to that; the ledger
    of the resolution tests' country was checked to be row for row the same),
    and the fast path still ingests whole synthetic countries in
    ``tests/test_demo.py`` and ``tests/engine``. So fixtures that only need a
    country ingested, to test what comes after (files, attributes, scores,
    resolution), use this.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fast, "check_file", _reference_only)
        yield


def _reference_only(*_args: object, **_kwargs: object) -> None:
    """``fast.check_file``'s answer for "use the reference path"."""
    return None
