"""The chain's write lock is one statement per store backend, shared by both append paths."""

from __future__ import annotations

import pytest

from xinyong.audit import chain
from xinyong.errors import XinyongError

LOGS = [pytest.param(chain.AUDIT, id="audit"), pytest.param(chain.INQUIRIES, id="inquiries")]


@pytest.mark.parametrize("log", LOGS)
def test_an_unsupported_backend_is_refused_by_name(log: chain.Log) -> None:
    with pytest.raises(XinyongError, match="not on mysql"):
        log.lock_sql("mysql")


@pytest.mark.parametrize("log", LOGS)
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_each_store_backend_has_a_lock_without_placeholders(backend: str, log: chain.Log) -> None:
    # Both the SQLAlchemy path and the driver-level path run this text as is.
    sql = log.lock_sql(backend)
    assert ":" not in sql and "%" not in sql and "?" not in sql


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_two_chains_never_wait_for_each_others_lock(backend: str) -> None:
    # SQLite: each statement writes its own chain's table, in its own file on a
    # store file; PostgreSQL: two advisory lock keys.
    assert chain.AUDIT.lock_sql(backend) != chain.INQUIRIES.lock_sql(backend)
    assert chain.INQUIRIES.table.name in chain.INQUIRIES.lock_sql("sqlite")
