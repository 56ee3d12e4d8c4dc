"""The attribute tests build their files with the files tests' ledger kit."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "files"))

from files_testkit import LedgerKit


@pytest.fixture
def kit(tmp_path: Path) -> LedgerKit:
    return LedgerKit(tmp_path / "ledger")
