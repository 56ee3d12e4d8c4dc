"""Fixtures of the pipeline tests: a small ledger with known subjects, and a model."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "files"))

from pipeline_testkit import PipelineKit, small_country


@pytest.fixture
def country(tmp_path: Path) -> PipelineKit:
    return small_country(tmp_path / "ledger")
