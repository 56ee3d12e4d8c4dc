"""Fixtures of the files tests: a fresh ledger kit per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from files_testkit import LedgerKit


@pytest.fixture
def kit(tmp_path: Path) -> LedgerKit:
    return LedgerKit(tmp_path / "ledger")
