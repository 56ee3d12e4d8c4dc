"""What the Metro 2 fast path's worker process runs: SSN validation and account keys.

The worker is spawned (a fresh interpreter), not forked, so it imports this
module to unpickle its jobs. It sits outside :mod:`xinyong.ingest.fast`,
whose package imports pyarrow, DuckDB and the ledger, and imports only
NumPy, python-stdnum (through :mod:`xinyong.identifiers`) and the keyed
hash (:mod:`xinyong.ingest.id_checks`): the worker then starts in about half
the CPU time, while the caller reads the file's first chunk. The main
process keeps the results (:mod:`xinyong.ingest.fast.metro2_ids`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from xinyong.identifiers.base import mask_compact
from xinyong.identifiers.hashing import SEPARATOR, message_bytes
from xinyong.ingest.id_checks import KeyedHasher, check_triples

SCHEME: Final = "us_ssn"

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


def ready() -> bool:
    """A job that does nothing: submitted first, it has the worker import this module."""
    return True


@dataclass(frozen=True)
class Packed:
    """Short texts as one fixed-width byte string (NUL-padded) and their lengths.

    Built in the worker process, so the main process copies them into place
    without Python per value.
    """

    data: bytes
    width: int
    lengths: Ints

    @classmethod
    def of(cls, values: list[bytes]) -> Packed:
        width = max((len(v) for v in values), default=0)
        lengths = np.fromiter(map(len, values), np.int64, len(values))
        return cls(b"".join(v.ljust(width, b"\0") for v in values), width, lengths)


@dataclass
class Outcomes:
    """Validation outcomes of a batch of distinct SSNs (sorted), as columns."""

    values: Ints
    ok: Bools
    warn_n: Ints
    digest: bytes
    """32 bytes per SSN (zeros where invalid): the keyed hash."""
    masked: Packed
    country: Packed
    rule: list[str | None]
    message: list[str | None]
    warnings: list[str | None]


def validate_ssns(values: Ints, hash_key: bytes) -> Outcomes:
    """Outcomes of distinct SSNs (nonzero, as numbers): what ``identity_columns`` finds."""
    checked = check_triples([(SCHEME, f"{v:09d}", None) for v in values.tolist()])
    ok = np.array([row[3] for row in checked], np.bool_)
    valid = [row for row in checked if row[3]]
    # row: scheme, value, country, ok, rule, message, v_scheme, v_value, v_country, warnings, ...
    messages = [message_bytes(row[6], row[8] or "", row[7]) for row in valid]
    digest = np.zeros((len(checked), 32), np.uint8)
    digest[ok] = np.frombuffer(KeyedHasher(hash_key).digests(messages), np.uint8).reshape(-1, 32)
    masked = [mask_compact(row[7]).encode() if row[3] else b"" for row in checked]
    country = [(row[8] or "").encode() if row[3] else b"" for row in checked]
    return Outcomes(
        values,
        ok,
        np.array([row[10] or 0 for row in checked], np.int64),
        digest.tobytes(),
        Packed.of(masked),
        Packed.of(country),
        [row[4] for row in checked],
        [row[5] for row in checked],
        [row[9] for row in checked],
    )


def chunk_job(
    fields: bytes, width: int, furnisher_id: str, hash_key: bytes, ssns: Ints
) -> tuple[bytes, Outcomes]:
    """A chunk's account keys (:func:`account_digests`) and its new SSNs' outcomes."""
    return account_digests(fields, width, furnisher_id, hash_key), validate_ssns(ssns, hash_key)


def account_digests(fields: bytes, width: int, furnisher_id: str, hash_key: bytes) -> bytes:
    """``keyed_hash(key, "account", furnisher_id, number)`` of each ``width``-byte field, stripped.

    32 bytes per field, concatenated. The fields are printable ASCII, where
    ``bytes.strip`` and ``str.strip`` remove the same blanks. A number
    holding the separator is hashed over ``message_bytes``' other encoding:
    looked for per field only where the chunk holds one at all.
    """
    hasher = KeyedHasher(hash_key)
    prefix = f"account{SEPARATOR}{furnisher_id}{SEPARATOR}".encode()
    separator = SEPARATOR.encode()
    starts = range(0, len(fields), width)
    if separator not in fields:
        return hasher.digests([prefix + fields[s : s + width].strip() for s in starts])
    messages = []
    for start in starts:
        number = fields[start : start + width].strip()
        if separator in number:
            messages.append(message_bytes("account", furnisher_id, number.decode("ascii")))
        else:
            messages.append(prefix + number)
    return hasher.digests(messages)
