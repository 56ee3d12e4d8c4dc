"""The chain's write lock is one statement per store backend, shared by both append paths."""

from __future__ import annotations

import pytest

from xinyong.audit import chain
from xinyong.errors import XinyongError


def test_an_unsupported_backend_is_refused_by_name() -> None:
    with pytest.raises(XinyongError, match="not on mysql"):
        chain._lock_sql("mysql")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_each_store_backend_has_a_lock_without_placeholders(backend: str) -> None:
    # Both the SQLAlchemy path and the driver-level path run this text as is.
    sql = chain._lock_sql(backend)
    assert ":" not in sql and "%" not in sql and "?" not in sql
