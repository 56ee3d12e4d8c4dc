from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from domain_factories import T0, dispute
from hypothesis import given
from hypothesis import strategies as st

from xinyong.domain import (
    ALLOWED_TRANSITIONS,
    ConsumerStatement,
    Dispute,
    DisputeStatus,
    DomainError,
    ItemKind,
    count_words,
    transition,
)

S = DisputeStatus
LEGAL = {
    (S.OPEN, S.FORWARDED),
    (S.OPEN, S.FRIVOLOUS),
    (S.OPEN, S.WITHDRAWN),
    (S.FORWARDED, S.VERIFIED),
    (S.FORWARDED, S.CORRECTED),
    (S.FORWARDED, S.DELETED),
    (S.FORWARDED, S.UNCONFIRMED),
    (S.FORWARDED, S.FRIVOLOUS),
    (S.FORWARDED, S.WITHDRAWN),
}
FINAL = {S.VERIFIED, S.CORRECTED, S.DELETED, S.FRIVOLOUS, S.WITHDRAWN, S.UNCONFIRMED}


def test_transition_table_is_exactly_the_documented_one() -> None:
    table = {(a, b) for a, targets in ALLOWED_TRANSITIONS.items() for b in targets}
    assert table == LEGAL
    assert set(ALLOWED_TRANSITIONS) == set(DisputeStatus)
    assert {s for s in DisputeStatus if s.is_final} == FINAL


def _at_status(status: DisputeStatus) -> Dispute:
    d = dispute()
    path = {
        S.OPEN: [],
        S.FORWARDED: [S.FORWARDED],
        S.FRIVOLOUS: [S.FRIVOLOUS],
        S.VERIFIED: [S.FORWARDED, S.VERIFIED],
        S.CORRECTED: [S.FORWARDED, S.CORRECTED],
        S.DELETED: [S.FORWARDED, S.DELETED],
        S.UNCONFIRMED: [S.FORWARDED, S.UNCONFIRMED],
        S.WITHDRAWN: [S.WITHDRAWN],
    }[status]
    for i, step in enumerate(path):
        d = transition(d, step, T0 + timedelta(days=i + 1))
    return d


@pytest.mark.parametrize(("src", "dst"), sorted(LEGAL))
def test_legal_moves(src: DisputeStatus, dst: DisputeStatus) -> None:
    d = _at_status(src)
    at = T0 + timedelta(days=10)
    moved = transition(d, dst, at, resolution="checked with furnisher")
    assert moved.status is dst
    assert (moved.resolved_at == at) is dst.is_final
    assert d.status is src  # the input is not changed


@pytest.mark.parametrize(
    ("src", "dst"),
    sorted((a, b) for a in DisputeStatus for b in DisputeStatus if (a, b) not in LEGAL),
)
def test_illegal_moves(src: DisputeStatus, dst: DisputeStatus) -> None:
    d = _at_status(src)
    with pytest.raises(DomainError) as err:
        transition(d, dst, T0 + timedelta(days=10))
    assert (err.value.field, err.value.rule) == ("status", "illegal_transition")


def test_cannot_move_before_opening() -> None:
    with pytest.raises(DomainError) as err:
        transition(dispute(), S.FORWARDED, T0 - timedelta(seconds=1))
    assert err.value.rule == "date_order"


@given(st.lists(st.sampled_from(list(DisputeStatus)), max_size=12))
def test_random_sequences_never_reach_an_illegal_state(steps: list[DisputeStatus]) -> None:
    d = dispute()
    seen = [d.status]
    for i, step in enumerate(steps):
        at = T0 + timedelta(hours=i + 1)
        if (d.status, step) in LEGAL:
            d = transition(d, step, at)
            seen.append(d.status)
        else:
            with pytest.raises(DomainError):
                transition(d, step, at)
        # The invariants hold after every attempt, legal or not.
        assert (d.resolved_at is not None) is d.status.is_final
        assert d.status in DisputeStatus
    assert all((a, b) in LEGAL for a, b in itertools.pairwise(seen))
    assert len(seen) <= 3  # open -> forwarded -> final is the longest path


def test_dispute_invariants() -> None:
    with pytest.raises(DomainError) as err:
        dispute(due_at=T0)
    assert (err.value.field, err.value.rule) == ("due_at", "date_order")
    with pytest.raises(DomainError) as err:
        dispute(status=S.VERIFIED)
    assert (err.value.field, err.value.rule) == ("resolved_at", "required")
    with pytest.raises(DomainError) as err:
        dispute(resolved_at=T0 + timedelta(days=1))
    assert err.value.rule == "not_applicable"
    with pytest.raises(DomainError) as err:
        dispute(item_kind="credit_score")
    assert err.value.rule == "unknown_code"


def test_identity_dispute_may_have_no_item() -> None:
    assert dispute(item_kind=ItemKind.IDENTITY, item_id=None).item_id is None
    with pytest.raises(DomainError) as err:
        dispute(item_id=None)
    assert (err.value.field, err.value.rule) == ("item_id", "required")


def test_overdue() -> None:
    d = dispute()
    assert not d.is_overdue(d.due_at)
    assert d.is_overdue(d.due_at + timedelta(seconds=1))
    forwarded = transition(d, S.FORWARDED, T0 + timedelta(days=2))
    assert forwarded.is_overdue(d.due_at + timedelta(days=1))
    done = transition(forwarded, S.CORRECTED, T0 + timedelta(days=40))
    assert not done.is_overdue(d.due_at + timedelta(days=100))


def test_word_count() -> None:
    assert count_words("") == 0
    assert count_words("  The  account was paid   in full. ") == 6
    assert count_words("I don't owe this — it's a mix-up.") == 7
    assert count_words("该笔贷款已结清") == 7
    assert count_words("Loan 已结清 in 2023") == 6
    assert count_words("已结清，谢谢。") == 5


def test_statement_length_limit_is_a_parameter() -> None:
    text = " ".join(["word"] * 101)
    st_ = ConsumerStatement(statement_id="st1", subject_id="s1", text=text, created_at=T0)
    assert st_.word_count == 101
    st_.check_length(200)
    with pytest.raises(DomainError) as err:
        st_.check_length(100)
    assert (err.value.field, err.value.rule) == ("text", "word_limit")


def test_statement_item_pair_and_window() -> None:
    file_wide = ConsumerStatement(statement_id="st1", subject_id="s1", text="x", created_at=T0)
    assert file_wide.item_id is None
    on_item = ConsumerStatement(
        statement_id="st2",
        subject_id="s1",
        text="x",
        created_at=T0,
        item_kind="account",  # type: ignore[arg-type]
        item_id="acc-1",
        withdrawn_at=T0 + timedelta(days=1),
    )
    assert on_item.item_kind is ItemKind.ACCOUNT
    assert on_item.is_shown_at(T0) and not on_item.is_shown_at(T0 + timedelta(days=1))
    with pytest.raises(DomainError) as err:
        ConsumerStatement(
            statement_id="st3", subject_id="s1", text="x", created_at=T0, item_id="acc-1"
        )
    assert err.value.rule == "item_pair"
    with pytest.raises(DomainError) as err:
        ConsumerStatement(
            statement_id="st3",
            subject_id="s1",
            text="x",
            created_at=T0,
            withdrawn_at=T0 - timedelta(days=1),
        )
    assert err.value.rule == "date_order"
