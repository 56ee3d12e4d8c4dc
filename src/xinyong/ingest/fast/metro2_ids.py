"""The Python-bound work of a Metro 2 file: SSN validation and keyed account hashes.

A person's SSN recurs in every account and every monthly file, so the file's
distinct SSNs are collected during the first scan and validated once each
by python-stdnum, the way ``identity.identity_columns`` validates them
(:func:`identifiers.check_triples`), with their keyed hash and mask
(:class:`SsnBook`). At about 15 microseconds per SSN, and a microsecond per
account key (an HMAC per record), these are the largest costs of a large
file, so for large files each runs in a worker process (:class:`Workers`,
``fork``: a worker inherits the imported modules and runs only this
Python) while the main process goes on: SSNs a batch per chunk of the first
scan, as soon as the chunk is read (chunk ``k`` of the second scan waits only
for the batches up to ``k``), account keys a chunk ahead of the second scan.

Memory grows with the number of distinct SSNs (about 100 bytes each), not
with the size of the file.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_all_start_methods, get_context
from typing import Final, TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from xinyong.identifiers.base import mask_compact
from xinyong.identifiers.hashing import SEPARATOR, message_bytes

from . import metro2_text as text
from .identifiers import KeyedHasher, check_triples
from .metro2_fields import Bools, Bytes, Ints

SCHEME: Final = "us_ssn"
WORKER_THRESHOLD: Final = 50_000
"""Records from which a worker process pays for itself (it costs ~50 ms to start)."""

Objects = npt.NDArray[np.object_]
T = TypeVar("T")


@dataclass
class Outcomes:
    """Validation outcomes of a batch of distinct SSNs (sorted), as columns."""

    values: Ints
    ok: Bools
    warn_n: Ints
    digest: bytes
    """32 bytes per SSN (zeros where invalid): the keyed hash."""
    masked: list[bytes]
    country: list[bytes]
    rule: list[str | None]
    message: list[str | None]
    warnings: list[str | None]


def validate_ssns(values: Ints, hash_key: bytes) -> Outcomes:
    """Outcomes of distinct SSNs (nonzero, as numbers): what ``identity_columns`` finds."""
    hasher = KeyedHasher(hash_key)
    checked = check_triples([(SCHEME, f"{v:09d}", None) for v in values.tolist()])
    digests, masked, country = bytearray(), [], []
    rule, message, warnings = [], [], []
    for row in checked:
        _, _, _, ok, why, text_, v_scheme, v_value, v_country, warned, _, _ = row
        rule.append(why)
        message.append(text_)
        warnings.append(warned)
        if ok:
            digests += hasher.digest(message_bytes(v_scheme, v_country or "", v_value))
            masked.append(mask_compact(v_value).encode())
            country.append((v_country or "").encode())
        else:
            digests += bytes(32)
            masked.append(b"")
            country.append(b"")
    return Outcomes(
        values,
        np.array([row[3] for row in checked], np.bool_),
        np.array([row[10] or 0 for row in checked], np.int64),
        bytes(digests),
        masked,
        country,
        rule,
        message,
        warnings,
    )


class Workers:
    """Worker processes for the two Python-bound jobs of a large file, one process each.

    ``ids`` validates SSNs (first scan, then the second waits on it), ``keys``
    computes account keys a chunk ahead of the second scan. Disabled (small
    files, or no ``fork``), every job runs at once in the calling process.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and "fork" in get_all_start_methods()
        self._pools: dict[str, ProcessPoolExecutor] = {}

    def submit(self, job: str, fn: Callable[..., T], *args: object) -> Future[T]:
        if not self.enabled:
            done: Future[T] = Future()
            done.set_result(fn(*args))
            return done
        pool = self._pools.get(job)
        if pool is None:
            pool = self._pools[job] = ProcessPoolExecutor(1, mp_context=get_context("fork"))
        return pool.submit(fn, *args)

    def close(self) -> None:
        for pool in self._pools.values():
            pool.shutdown(wait=True, cancel_futures=True)
        self._pools.clear()


def account_digests(fields: bytes, width: int, furnisher_id: str, hash_key: bytes) -> bytes:
    """``keyed_hash(key, "account", furnisher_id, number)`` of each ``width``-byte field, stripped.

    32 bytes per field, concatenated. The fields are printable ASCII, where
    ``bytes.strip`` and ``str.strip`` remove the same blanks.
    """
    hasher = KeyedHasher(hash_key)
    prefix = f"account{SEPARATOR}{furnisher_id}{SEPARATOR}".encode()
    separator = SEPARATOR.encode()
    messages = []
    for start in range(0, len(fields), width):
        number = fields[start : start + width].strip()
        if separator in number:
            messages.append(message_bytes("account", furnisher_id, number.decode("ascii")))
        else:
            messages.append(prefix + number)
    return hasher.digests(messages)


@dataclass
class _Texts:
    """Short texts of every distinct SSN as a fixed-width byte matrix and lengths."""

    matrix: Bytes
    lengths: Ints

    @classmethod
    def sized(cls, n: int, width: int) -> _Texts:
        return cls(np.zeros((n, width), np.uint8), np.zeros(n, np.int64))

    def put(self, at: Ints, values: list[bytes]) -> None:
        if not values:
            return
        joined = b"".join(values)
        if len(joined) == len(values) * self.matrix.shape[1]:  # all full width: the rule
            self.matrix[at] = np.frombuffer(joined, np.uint8).reshape(len(values), -1)
            self.lengths[at] = self.matrix.shape[1]
            return
        width = max(self.matrix.shape[1], *(len(v) for v in values))
        if width > self.matrix.shape[1]:
            grown = np.zeros((len(self.matrix), width), np.uint8)
            grown[:, : self.matrix.shape[1]] = self.matrix
            self.matrix = grown
        padded = b"".join(v.ljust(width, b"\0") for v in values)
        self.matrix[at] = np.frombuffer(padded, np.uint8).reshape(len(values), width)
        self.lengths[at] = [len(v) for v in values]

    def column(self, index: Ints, valid: Bools) -> pa.Array:
        return text.padded(self.matrix[index], np.where(valid, self.lengths[index], 0), valid)


@dataclass
class SsnBook:
    """Distinct SSNs added block by block (first scan), looked up block by block (second).

    After the first scan (:meth:`freeze`) every distinct SSN has its place in
    the sorted array of all of them, and each batch's outcomes are written
    there once the batch is done.
    """

    hash_key: bytes
    workers: Workers
    _known: set[int] = field(default_factory=set)
    _new: list[Ints] = field(default_factory=list)
    _seen: Ints = field(default_factory=lambda: np.zeros(0, np.int64))
    """All distinct SSNs, sorted (after :meth:`freeze`)."""
    _batches: list[Future[Outcomes] | None] = field(default_factory=list)
    _resolved: int = 0
    ok: Bools = field(default_factory=lambda: np.zeros(0, np.bool_))
    warn_n: Ints = field(default_factory=lambda: np.zeros(0, np.int64))
    digest: Bytes = field(default_factory=lambda: np.zeros((0, 32), np.uint8))
    masked: _Texts = field(default_factory=lambda: _Texts.sized(0, 0))
    country: _Texts = field(default_factory=lambda: _Texts.sized(0, 0))
    notes: dict[str, Objects] = field(default_factory=dict)
    """``rule``, ``message`` and ``warnings`` of every SSN (Python strings or None)."""
    any_warnings: bool = False

    def add(self, values: Ints) -> None:
        """Queue the SSNs of the next block (nonzero numbers) not seen before."""
        known = self._known
        fresh = [v for v in values.tolist() if v not in known]
        known.update(fresh)
        new = np.array(fresh, np.int64)  # sorted and distinct, as ``values`` are
        self._new.append(new)
        self._batches.append(self.workers.submit("ids", validate_ssns, new, self.hash_key))

    def freeze(self) -> None:
        """The first scan is over: make room for every distinct SSN's outcome."""
        self._seen = np.sort(np.concatenate([np.zeros(0, np.int64), *self._new]))
        self._known, self._new = set(), []
        n = len(self._seen)
        self.ok = np.zeros(n, np.bool_)
        self.warn_n = np.zeros(n, np.int64)
        self.digest = np.zeros((n, 32), np.uint8)
        self.masked = _Texts.sized(n, 9)
        self.country = _Texts.sized(n, 2)
        self.notes = {name: np.full(n, None, object) for name in ("rule", "message", "warnings")}

    def _resolve(self, upto: int) -> None:
        while self._resolved <= min(upto, len(self._batches) - 1):
            batch = self._batches[self._resolved]
            if batch is None:
                raise AssertionError("a batch of SSNs was looked up twice")
            done = batch.result()
            at = np.searchsorted(self._seen, done.values)
            self.ok[at] = done.ok
            self.warn_n[at] = done.warn_n
            self.digest[at] = np.frombuffer(done.digest, np.uint8).reshape(-1, 32)
            self.masked.put(at, done.masked)
            self.country.put(at, done.country)
            for name in ("rule", "message", "warnings"):
                self.notes[name][at] = getattr(done, name)
            self.any_warnings |= any(w is not None for w in done.warnings)
            self._batches[self._resolved] = None  # done with it: let it go
            self._resolved += 1

    def find(self, values: Ints, present: Bools, upto: int) -> Found:
        """The outcomes of ``values`` (where ``present``); waits for batches ``0..upto``."""
        self._resolve(upto)
        if len(self._seen) == 0:
            none = np.zeros(len(values), np.bool_)
            if present.any():
                raise AssertionError("an SSN of this block was not seen in the first scan")
            return Found(
                none, none, np.zeros(len(values), np.int64), np.zeros(len(values), np.int64)
            )
        index = np.minimum(np.searchsorted(self._seen, values), len(self._seen) - 1)
        if not (self._seen[index[present]] == values[present]).all():
            raise AssertionError("an SSN of this block was not seen in the first scan")
        return Found(
            present, present & self.ok[index], np.where(present, self.warn_n[index], 0), index
        )

    def note(self, name: str, index: int) -> str:
        """``rule`` or ``message`` of the SSN at ``index`` of the book (an invalid one)."""
        return str(self.notes[name][index])

    def columns(self, present: Bools, index: Ints) -> tuple[pa.Array, ...]:
        """Country, keyed hash, mask and warnings of the SSNs at ``index`` (null where absent)."""
        n = len(index)
        if len(self._seen) == 0:
            return tuple(pa.nulls(n, pa.string()) for _ in range(4))
        hashes = text.hex_strings(self.digest[index].tobytes())
        hashes = pc.if_else(pa.array(present), hashes, pa.scalar(None, pa.string()))
        warnings = (
            pa.array(self.notes["warnings"][index], pa.string(), mask=~present)
            if self.any_warnings
            else pa.nulls(n, pa.string())
        )
        return (
            self.country.column(index, present),
            hashes,
            self.masked.column(index, present),
            warnings,
        )


@dataclass(frozen=True)
class Found:
    """Where some records' SSNs are in the book (``present`` False: no SSN furnished)."""

    present: Bools
    ok: Bools
    warn_n: Ints
    index: Ints
