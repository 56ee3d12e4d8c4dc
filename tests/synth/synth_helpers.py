"""Helpers of the synth tests: the shared run's type and readers of its files."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from xinyong.synth import SynthSummary

INTEGER_FIELDS = {
    "credit_limit", "highest_credit", "current_balance", "amount_past_due", "scheduled_payment",
    "actual_payment", "charge_off_amount", "amount",
}  # fmt: skip


@dataclass(frozen=True)
class Run:
    root: Path
    summary: SynthSummary


def read_canonical(path: Path) -> Iterator[dict[str, Any]]:
    """Records of a CSV, JSON Lines or Parquet furnisher file, typed as JSON."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                yield {
                    k: None if v == "" else int(v) if k in INTEGER_FIELDS else v
                    for k, v in row.items()
                }
    elif path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line)
    elif path.suffix == ".parquet":
        yield from pq.read_table(path).to_pylist()
    else:
        raise AssertionError(f"not a canonical file: {path}")


def truth_rows(root: Path, name: str = "records.csv") -> list[dict[str, str]]:
    with (root / "truth" / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def canonical_files(root: Path) -> list[Path]:
    return sorted(
        p for p in (root / "furnishers").rglob("*") if p.suffix in (".csv", ".jsonl", ".parquet")
    )


def records_with_truth(root: Path) -> Iterator[tuple[Path, dict[str, Any], dict[str, str]]]:
    """Every canonical record with its truth row."""
    truth = {(r["file"], int(r["record_no"])): r for r in truth_rows(root)}
    for path in canonical_files(root):
        rel = path.relative_to(root).as_posix()
        for no, record in enumerate(read_canonical(path), 1):
            yield path, record, truth[(rel, no)]
