"""A process killed in the middle of an ingest leaves the ledger and the store as they were.

The kill is real: a child process ingests a file and ends itself with
``os._exit`` (no cleanup, no exception handlers, no rollback code of ours)
right after the first Parquet file of the batch is on disk, or right after
the first piece of rows is appended to a file still being written.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from xinyong import system
from xinyong.ledger import Ledger
from xinyong.settings import Settings
from xinyong.store import schema
from xinyong.store.engine import make_engine

RECORD = {
    "record_kind": "account",
    "account_number": "K-1",
    "subject_kind": "person",
    "full_name": "Zhang San",
    "portfolio_type": "I",
    "account_type": "01",
    "ecoa_code": "1",
    "date_opened": "2024-01-01",
    "date_reported": "2026-05-31",
    "currency": "CNY",
    "current_balance": 100,
    "account_status": "11",
}


def _ingest_and_die(home: str, path: str, moment: str) -> None:
    """Ingest, and die at ``moment``: a file of the batch complete, or mid-piece."""
    import pyarrow.parquet as pq

    import xinyong.ledger.store as store_module

    if moment == "after_first_file":
        real = store_module.finish_parquet

        def finish_then_die(target: Path) -> None:
            real(target)
            os._exit(9)

        store_module.finish_parquet = finish_then_die  # type: ignore[assignment]
    else:
        real_write = pq.ParquetWriter.write_table

        def write_then_die(self: pq.ParquetWriter, table: object, *a: object, **k: object) -> None:
            real_write(self, table, *a, **k)  # type: ignore[arg-type]
            os._exit(9)

        pq.ParquetWriter.write_table = write_then_die  # type: ignore[method-assign]
    system.ingest(Settings(home=Path(home)), Path(path), "lender")


def counts(settings: Settings) -> dict[str, int]:
    engine = make_engine(settings.database_url)
    with engine.connect() as conn:
        out = {
            name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in schema.metadata.tables.items()
        }
    engine.dispose()
    return out


@pytest.mark.parametrize("moment", ["after_first_file", "mid_piece"])
def test_killed_ingest_leaves_everything_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moment: str
) -> None:
    monkeypatch.delenv("XINYONG_DB_URL", raising=False)
    monkeypatch.delenv("XINYONG_HASH_KEY", raising=False)
    settings = Settings(home=tmp_path / "home")
    system.initialise(settings)
    system.register_furnisher(settings, "Lender", "lender", org_id="lender")
    first = tmp_path / "first.jsonl"
    first.write_text(json.dumps(RECORD) + "\n", encoding="utf-8")
    system.ingest(settings, first, "lender")
    before = counts(settings)
    batches_before = Ledger(settings.ledger_dir).batches()

    second = tmp_path / "second.jsonl"
    rows = [{**RECORD, "account_number": f"K-{i}"} for i in range(2, 50)]
    rows.append({**RECORD, "account_number": "K-bad", "currency": "yuan"})
    second.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    child = mp.get_context("spawn").Process(
        target=_ingest_and_die, args=(str(settings.home), str(second), moment)
    )
    child.start()
    child.join(120)
    assert child.exitcode == 9

    ledger = Ledger(settings.ledger_dir)
    assert ledger.batches() == batches_before
    assert counts(settings) == before
    leftovers = list(ledger.batches_dir.glob(".tmp-*"))
    assert leftovers, "the child died after writing a file into its temp folder"

    report = system.ingest(settings, second, "lender")
    assert (report.status, report.accepted, report.rejected) == ("stored", 48, 1)
    assert not any(p.exists() for p in leftovers), "the next ingest clears the crash's leftovers"
