"""Errors of the ledger, one class per thing a caller can act on."""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every error the ledger raises, so callers can catch the family."""


class BatchNotFoundError(LedgerError):
    """No batch with that id is visible (never stored, or still being written)."""


class UnknownSnapshotError(LedgerError):
    """The snapshot id names no prefix of the stored batches.

    Snapshots are prefixes of the append-only batch sequence, so an id that is
    not found means it came from another ledger, or from a ledger that lost data.
    """


class TableMissingError(LedgerError):
    """A record table has no stored Parquet file (in the chosen snapshot)."""
