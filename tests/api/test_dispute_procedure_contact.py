"""The description of a reinvestigation names the furnisher's business address and
telephone number where they are registered (FCRA 611(a)(7): "if reasonably available"),
and says which are not on record; on SQLite and PostgreSQL, and migration 0013.
"""

from __future__ import annotations

from typing import Any

import pytest
from api_testkit import World
from sqlalchemy import update
from test_api_disputes import answer, open_dispute
from test_dispute_notices import ask_procedure

from xinyong.domain.errors import DomainError
from xinyong.domain.organisations import business_contact
from xinyong.store.engine import transaction
from xinyong.store.schema import organisations


def described(w: World, **contact: Any) -> str:
    with transaction(w.engine) as conn:
        conn.execute(
            update(organisations).where(organisations.c.org_id == "bank-a").values(**contact)
        )
    d = open_dispute(w)
    assert answer(w, d["dispute_id"], outcome="verify").status_code == 200
    r = ask_procedure(w, d["dispute_id"])
    assert r.status_code == 201, r.text
    return str(r.json()["text"])


@pytest.mark.parametrize("jurisdiction", ["US"])
def test_registered_address_and_telephone_are_named(world: World) -> None:
    text = described(world, address="1 Bank Street, Springfield", telephone="+1 555 0100")
    assert (
        "The furnisher contacted was BANK-A (bank-a); business address: 1 Bank Street, "
        "Springfield; telephone number: +1 555 0100." in text
    )
    assert "not on record" not in text


@pytest.mark.parametrize("jurisdiction", ["US"])
def test_what_is_missing_is_said_to_be_missing(world: World) -> None:
    text = described(world, telephone="+1 555 0100")
    assert "telephone number: +1 555 0100; its business address is not on record" in text


def test_business_contact_is_checked_and_blank_is_none() -> None:
    assert business_contact("  1 Bank Street ", " +86 10 6655-1234 ") == (
        "1 Bank Street",
        "+86 10 6655-1234",
    )
    assert business_contact(" ", "") == (None, None)
    with pytest.raises(DomainError, match=r"telephone: .* \[format\]"):
        business_contact(None, "call us")
    with pytest.raises(DomainError, match=r"address: .* \[too_long\]"):
        business_contact("x" * 513, None)
