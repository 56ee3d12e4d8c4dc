"""The ledger: furnished records as append-only, immutable Parquet batches.

``Ledger`` stores and lists batches; ``connect`` and ``current`` read them with
SQL, the latest record per key superseding earlier ones without erasing them.
"""

from __future__ import annotations

from xinyong.ledger.batch import (
    BatchFormat,
    BatchManifest,
    BatchStatus,
    RecordCounts,
    TableFile,
    content_hash,
    snapshot_id_of,
)
from xinyong.ledger.errors import (
    BatchNotFoundError,
    LedgerError,
    TableMissingError,
    UnknownSnapshotError,
)
from xinyong.ledger.fsio import hash_file
from xinyong.ledger.provenance import PROVENANCE_COLUMNS, with_provenance
from xinyong.ledger.query import connect, create_current_view, current
from xinyong.ledger.store import Ledger, RecoveryReport

__all__ = [
    "PROVENANCE_COLUMNS",
    "BatchFormat",
    "BatchManifest",
    "BatchNotFoundError",
    "BatchStatus",
    "Ledger",
    "LedgerError",
    "RecordCounts",
    "RecoveryReport",
    "TableFile",
    "TableMissingError",
    "UnknownSnapshotError",
    "connect",
    "content_hash",
    "create_current_view",
    "current",
    "hash_file",
    "snapshot_id_of",
    "with_provenance",
]
