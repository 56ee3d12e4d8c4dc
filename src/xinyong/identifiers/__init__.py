"""Identifier schemes of persons and enterprises, one module per standard.

As in python-stdnum, every scheme (``cn_ric``, ``cn_uscc``, ``lei``, and the
generic ``passport`` and ``company_number``) offers ``compact``, ``validate``,
``is_valid``, ``format``, ``mask`` and ``check``; the checksums themselves are
stdnum's. On top, this package gives typed rejections with rule codes for
ingest reports, warnings for accepted-but-odd values, a canonical
:class:`Identifier` and keyed hashes so that identifiers need not be stored in
clear.

>>> str(parse("cn_ric: 110105 19491231 002x"))
'cn_ric:11010519491231002X'
"""

from __future__ import annotations

from xinyong.identifiers.base import Scheme, Validated
from xinyong.identifiers.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidIdentifier,
    InvalidLength,
    Rule,
    UnknownScheme,
)
from xinyong.identifiers.hashing import canonical_string, identifier_hash, keyed_hash
from xinyong.identifiers.registry import (
    Identifier,
    get_scheme,
    is_valid,
    parse,
    scheme_names,
    split_text,
    validate,
)

__all__ = [
    "Identifier",
    "InvalidChecksum",
    "InvalidComponent",
    "InvalidFormat",
    "InvalidIdentifier",
    "InvalidLength",
    "Rule",
    "Scheme",
    "UnknownScheme",
    "Validated",
    "canonical_string",
    "get_scheme",
    "identifier_hash",
    "is_valid",
    "keyed_hash",
    "parse",
    "scheme_names",
    "split_text",
    "validate",
]
