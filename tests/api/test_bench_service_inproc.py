"""The in-process service benchmark runs on a small seeded store, with and without
recording, and its figures are what it says: every request served, reads batched, and
no recording means nothing written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import service as bench  # benchmarks/service.py

from xinyong.store.engine import make_engine
from xinyong.store.schema import inquiries

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SUBJECTS = 20


def _run(store: Path, tmp_path: Path, *flags: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "service_inproc.py"), "--store", str(store),
         "--subjects", str(SUBJECTS), "--reports", "60", "--warmup", "24", "--in-flight", "6",
         "--json", *flags],
        capture_output=True, text=True, timeout=300, check=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _inquiries(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(inquiries)).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize("recording", [True, False])
def test_the_benchmark_serves_every_report_and_records_only_when_asked(
    tmp_path: Path, recording: bool
) -> None:
    url, _token = bench.sqlite_store(SUBJECTS, tmp_path)
    store = Path(url.removeprefix("sqlite:///"))
    out = _run(store, tmp_path, *(() if recording else ("--no-recording",)))
    assert out["recording"] is recording
    assert out["statuses"] == {"200": out["reports"]}
    assert out["reports"] == 60
    assert float(out["reports_per_read_batch"]) >= 1  # type: ignore[arg-type]
    # The warm-up and the measured reports, recorded or not.
    assert _inquiries(url) == (24 + 60 if recording else 0)
