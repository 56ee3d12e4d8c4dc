"""The Python-bound work of a Metro 2 file: SSN validation and keyed account hashes.

A person's SSN recurs in every account and every monthly file, so each
distinct SSN is validated once by python-stdnum, the way
``identity.identity_columns`` validates it (:func:`identifiers.check_triples`),
with its keyed hash and mask, and kept in a :class:`SsnBook`. At about 15
microseconds per SSN, and a microsecond per account key (an HMAC per record),
these are the largest costs of a large file, so for large files both run in
one worker process (:class:`Workers`, ``fork``: the worker inherits the
imported modules and runs only this Python), one job per chunk
(:func:`chunk_job`: the chunk's account keys and the SSNs first seen in it),
submitted as soon as the chunk is read, a chunk ahead of its check.

Memory grows with the number of distinct SSNs (about 100 bytes each), not
with the size of the file.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
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
T_co = TypeVar("T_co", bound=np.generic)


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
        Packed.of(masked),
        Packed.of(country),
        rule,
        message,
        warnings,
    )


class Workers:
    """One worker process for the Python-bound work of a large file, jobs run in order.

    Disabled (small files, or no ``fork``), every job runs at once in the
    calling process.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and "fork" in get_all_start_methods()
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, fn: Callable[..., T], *args: object) -> Future[T]:
        if not self.enabled:
            done: Future[T] = Future()
            done.set_result(fn(*args))
            return done
        if self._pool is None:
            self._pool = ProcessPoolExecutor(1, mp_context=get_context("fork"))
        return self._pool.submit(fn, *args)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def chunk_job(
    fields: bytes, width: int, furnisher_id: str, hash_key: bytes, ssns: Ints
) -> tuple[bytes, Outcomes]:
    """A chunk's account keys (:func:`account_digests`) and its new SSNs' outcomes."""
    return account_digests(fields, width, furnisher_id, hash_key), validate_ssns(ssns, hash_key)


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
        for name in ("rule", "message", "warnings"):
            self.notes[name][at] = getattr(done, name)
        self.any_warnings |= any(w is not None for w in done.warnings)

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
