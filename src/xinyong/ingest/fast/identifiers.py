"""Identifier checks for the fast paths: python-stdnum once per distinct identifier.

The checksum, area-code and range rules are never rewritten in SQL: each
distinct (scheme, value, country) of a file goes once through
:func:`xinyong.identifiers.validate`, exactly as
:func:`xinyong.ingest.identity.identity_columns` calls it
(:func:`check_triples`), and the outcome (rule and message, or compact
value, country, warnings, the birth date a resident number encodes) reaches
every record that names it (:mod:`id_cache` for canonical files,
:mod:`metro2_ids` for Metro 2). :class:`KeyedHasher` computes the keyed hash
of a valid identifier as :func:`xinyong.identifiers.identifier_hash` does,
about a microsecond per message. Both live in :mod:`xinyong.ingest.id_checks`
(no pyarrow there, for the Metro 2 worker process) and are re-exported here.

Validation costs about 10 microseconds per distinct identifier (mostly
stdnum's ``clean``), so a file with many distinct people spends a good part
of its time here.
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from xinyong.ingest.id_checks import KeyedHasher, Triple, check_triples

__all__ = ["NO_COUNTRY", "SEPARATOR", "KeyedHasher", "Triple", "check_triples", "keys"]


SEPARATOR: Final = "\x1f"
NO_COUNTRY: Final = "\x00"
"""Key parts: control characters, which coerced values never hold (they become U+FFFD)."""


def keys(scheme: pa.ChunkedArray, value: pa.ChunkedArray, country: pa.ChunkedArray) -> pa.Array:
    """One text key per record's (scheme, value, country); null where there is no identifier."""
    key: pa.ChunkedArray = pc.binary_join_element_wise(
        scheme, value, pc.fill_null(country, NO_COUNTRY), SEPARATOR
    )
    return key.combine_chunks()
