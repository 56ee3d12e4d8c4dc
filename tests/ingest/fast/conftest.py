"""The fast path's tests run it on files of every size.

In production a file below :data:`xinyong.ingest.fast.MIN_RECORDS` records takes
the reference path, which is cheaper there; the tests here compare the two paths
on small files, so every file in this folder is given to the fast path.
"""

from __future__ import annotations

import pytest

from xinyong.ingest import fast


@pytest.fixture(autouse=True)
def fast_path_for_every_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast, "MIN_RECORDS", 0)
