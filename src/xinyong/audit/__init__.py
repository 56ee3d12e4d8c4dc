"""Hash-chained, append-only audit log that a regulator can verify offline."""

from __future__ import annotations

from xinyong.audit.chain import (
    GENESIS_HASH,
    AuditEvent,
    ChainHead,
    VerifyResult,
    append,
    event_hash,
    head,
    verify,
)
from xinyong.audit.export import export_chain, read_export, verify_export

__all__ = [
    "GENESIS_HASH",
    "AuditEvent",
    "ChainHead",
    "VerifyResult",
    "append",
    "event_hash",
    "export_chain",
    "head",
    "read_export",
    "verify",
    "verify_export",
]
