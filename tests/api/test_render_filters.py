"""The values the HTML and PDF copies print: codes with their meaning, never lost."""

from __future__ import annotations

from xinyong.api.render.html import account_kind, coded, words


def test_a_listed_code_keeps_its_code_and_gains_its_meaning() -> None:
    assert coded("11", "account_status") == "11 — Current account (0-29 days past the due date)"
    assert coded("97", "account_status") == "97 — Unpaid balance reported as a loss (charge-off)"
    assert account_kind("R", "18") == "R/18 — Revolving, Credit card"


def test_an_unlisted_code_is_shown_as_it_is() -> None:
    assert coded("ZZ", "account_status") == "ZZ"
    assert coded("11", "no_such_field") == "11"
    assert account_kind("X", "99") == "X/99"
    assert account_kind("I", "99") == "I/99 — Installment"


def test_words() -> None:
    assert words("court_judgment") == "court judgment"
    assert words("active") == "active"
    assert words(None) == "—"
