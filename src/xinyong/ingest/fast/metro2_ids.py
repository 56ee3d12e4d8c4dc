"""The Python-bound work of a Metro 2 file: SSN validation and keyed account hashes.

A person's SSN recurs in every account and every monthly file, so each
distinct SSN is validated once by python-stdnum, the way
``identity.identity_columns`` validates it (:func:`identifiers.check_triples`),
with its keyed hash and mask, and kept in a :class:`SsnBook`. At about 15
microseconds per SSN, and a microsecond per account key (an HMAC per record),
these are the largest costs of a large file, so for large files both run in
one worker process (:class:`Workers`, spawned: see there), one job per chunk
(:func:`~xinyong.ingest.metro2_jobs.chunk_job`: the chunk's account keys and the SSNs
first seen in it), submitted as soon as the chunk is read, a chunk ahead of
its check.

Memory grows with the number of distinct SSNs (about 100 bytes each), not
with the size of the file.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Final, TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from xinyong.ingest import metro2_jobs
from xinyong.ingest.metro2_jobs import (
    Outcomes,
    Packed,
    account_digests,
    chunk_job,
    validate_ssns,
)

from . import metro2_text as text
from .metro2_fields import Bools, Bytes, Ints

__all__ = [
    "WORKER_THRESHOLD",
    "Found",
    "Outcomes",
    "Packed",
    "SsnBook",
    "Workers",
    "account_digests",
    "chunk_job",
    "validate_ssns",
]

WORKER_THRESHOLD: Final = 100_000
"""Records from which a worker process pays for itself: from there its work (about
4 microseconds a record) is more than the ~0.2 CPU-s a spawned interpreter takes
to start (:mod:`~xinyong.ingest.metro2_jobs` imports no pyarrow), which it spends
while the caller reads the file's first chunk."""

Objects = npt.NDArray[np.object_]
T = TypeVar("T")
T_co = TypeVar("T_co", bound=np.generic)


class Workers:
    """One worker process for the Python-bound work of a large file, jobs run in order.

    The worker is spawned, never forked: a fork copies the caller's memory,
    locks included, but not its threads, and ingest runs in threaded
    processes (the API server, a test session with Spark's gateway up),
    where a forked worker can deadlock or crash. A spawned worker is a fresh
    interpreter that imports what its jobs need (:mod:`~xinyong.ingest.metro2_jobs`, kept
    small), so it is started here, with a first job that only imports, while
    the caller goes on reading the file. It is the caller's own child, so its
    CPU time is counted where the benchmarks look for it (a fork server's
    would not be). A worker that dies fails the file with ``BrokenProcessPool``.
    As with any spawned process, the worker first imports the caller's main
    script (under ``if __name__ == "__main__"`` guards, as the ``xinyong``
    command's is): a script that ingests a large file must keep its work there.

    Disabled (small files), every job runs at once in the calling process.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._pool: ProcessPoolExecutor | None = None
        if enabled:
            self._pool = ProcessPoolExecutor(1, mp_context=get_context("spawn"))
            self._pool.submit(metro2_jobs.ready)

    def submit(self, fn: Callable[..., T], *args: object) -> Future[T]:
        if self._pool is None:
            done: Future[T] = Future()
            done.set_result(fn(*args))
            return done
        return self._pool.submit(fn, *args)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


@dataclass
class _Texts:
    """Short texts of every distinct SSN as a fixed-width byte matrix and lengths."""

    matrix: Bytes
    lengths: Ints

    @classmethod
    def sized(cls, n: int, width: int) -> _Texts:
        return cls(np.zeros((n, width), np.uint8), np.zeros(n, np.int64))

    def grown(self, n: int) -> _Texts:
        """A copy with room for ``n`` texts."""
        out = _Texts.sized(n, self.matrix.shape[1])
        out.matrix[: len(self.matrix)] = self.matrix
        out.lengths[: len(self.lengths)] = self.lengths
        return out

    def put(self, at: Ints, texts: Packed) -> None:
        if not len(at):
            return
        if texts.width > self.matrix.shape[1]:
            grown = np.zeros((len(self.matrix), texts.width), np.uint8)
            grown[:, : self.matrix.shape[1]] = self.matrix
            self.matrix = grown
        rows = np.frombuffer(texts.data, np.uint8).reshape(len(at), texts.width)
        self.matrix[at, : texts.width] = rows
        self.matrix[at, texts.width :] = 0
        self.lengths[at] = texts.lengths

    def column(self, index: Ints, valid: Bools) -> pa.Array:
        return text.padded(self.matrix[index], np.where(valid, self.lengths[index], 0), valid)


class SsnBook:
    """Every distinct SSN of a file so far, each with a slot for its outcome.

    SSNs are registered a chunk at a time as the file is read (:meth:`new`,
    which gives the ones never seen, to validate), their outcomes put in
    their slots when that validation is done (:meth:`put`), and looked up
    block by block (:meth:`find`). Lookups are NumPy searches in the sorted
    SSNs, so a known SSN costs no Python.
    """

    def __init__(self) -> None:
        self._known = np.zeros(0, np.int64)
        """Every SSN registered, sorted."""
        self._slot = np.zeros(0, np.int64)
        """The outcome slot of each of ``_known``."""
        self._size = 0
        self.ok = np.zeros(0, np.bool_)
        self.warn_n = np.zeros(0, np.int64)
        self.digest = np.zeros((0, 32), np.uint8)
        self.masked = _Texts.sized(0, 9)
        self.country = _Texts.sized(0, 2)
        self.notes: dict[str, Objects] = {
            name: np.full(0, None, object) for name in ("rule", "message", "warnings")
        }
        """``rule``, ``message`` and ``warnings`` of every SSN (Python strings or None)."""
        self.any_warnings = False

    def new(self, values: Ints) -> tuple[Ints, int]:
        """Register ``values`` (sorted, distinct, nonzero); the new ones and their first slot.

        The new ones' slots follow each other in their (sorted) order.
        """
        at = np.searchsorted(self._known, values)
        seen = np.zeros(len(values), np.bool_)
        inside = at < len(self._known)
        seen[inside] = self._known[at[inside]] == values[inside]
        fresh, first = values[~seen], self._size
        slots = np.arange(first, first + len(fresh), dtype=np.int64)
        self._known = np.insert(self._known, at[~seen], fresh)
        self._slot = np.insert(self._slot, at[~seen], slots)
        self._size += len(fresh)
        if self._size > len(self.ok):
            self._grow(max(self._size, 2 * len(self.ok)))
        return fresh, first

    def _grow(self, n: int) -> None:
        def longer(a: npt.NDArray[T_co], fill: object) -> npt.NDArray[T_co]:
            out = np.full((n, *a.shape[1:]), fill, a.dtype)
            out[: len(a)] = a
            return out

        self.ok, self.warn_n = longer(self.ok, False), longer(self.warn_n, 0)
        self.digest = longer(self.digest, 0)
        self.masked, self.country = self.masked.grown(n), self.country.grown(n)
        self.notes = {name: longer(values, None) for name, values in self.notes.items()}

    def put(self, first: int, done: Outcomes) -> None:
        """The outcomes of the SSNs :meth:`new` gave from slot ``first``."""
        at = np.arange(first, first + len(done.values), dtype=np.int64)
        self.ok[at] = done.ok
        self.warn_n[at] = done.warn_n
        self.digest[at] = np.frombuffer(done.digest, np.uint8).reshape(-1, 32)
        self.masked.put(at, done.masked)
        self.country.put(at, done.country)
        # Fresh slots hold None already: only the notes there are (few) are copied.
        for name in ("rule", "message", "warnings"):
            values: list[str | None] = getattr(done, name)
            noted = [i for i, v in enumerate(values) if v is not None]
            if noted:
                self.notes[name][at[noted]] = [values[i] for i in noted]
                self.any_warnings |= name == "warnings"

    def find(self, values: Ints, present: Bools) -> Found:
        """The outcomes of ``values`` (where ``present``), all registered and put before."""
        if len(self._known) == 0:
            if present.any():
                raise AssertionError("an SSN of this block was never registered")
            none = np.zeros(len(values), np.bool_)
            zeros = np.zeros(len(values), np.int64)
            return Found(none, none, zeros, zeros)
        at = np.minimum(np.searchsorted(self._known, values), len(self._known) - 1)
        if not (self._known[at[present]] == values[present]).all():
            raise AssertionError("an SSN of this block was never registered")
        slot = np.where(present, self._slot[at], 0)
        return Found(
            present, present & self.ok[slot], np.where(present, self.warn_n[slot], 0), slot
        )

    def note(self, name: str, index: int) -> str:
        """``rule`` or ``message`` of the SSN at slot ``index`` (an invalid one)."""
        return str(self.notes[name][index])

    def columns(self, present: Bools, index: Ints) -> tuple[pa.Array, ...]:
        """Country, keyed hash, mask and warnings of the SSNs at ``index`` (null where absent)."""
        n = len(index)
        if self._size == 0:
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
