"""Credit files: each subject's accounts, payment history and public records,
assembled from the ledger alone as of any date, with retention applied.

``build_files(ledger, links, as_of, profile)`` returns :class:`CreditFiles`
(Arrow tables). The SQL lives in :mod:`xinyong.files.sql` so the Spark engine
can run the same statements.
"""

from __future__ import annotations

from xinyong.files.build import as_of_instant, build_files
from xinyong.files.model import INQUIRIES_SCHEMA, LINKS_SCHEMA, CreditFiles
from xinyong.files.sql import FILE_TABLES, Step, file_steps

__all__ = [
    "FILE_TABLES",
    "INQUIRIES_SCHEMA",
    "LINKS_SCHEMA",
    "CreditFiles",
    "Step",
    "as_of_instant",
    "build_files",
    "file_steps",
]
