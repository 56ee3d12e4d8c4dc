"""Valid domain objects with every field set, to be broken one field at a time in tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from xinyong.domain import (
    Account,
    AccountStatus,
    Consent,
    Dispute,
    EcoaCode,
    ItemKind,
    PortfolioType,
    PublicRecord,
    PublicRecordKind,
    Purpose,
    Score,
    ScoreReason,
)

T0 = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


def account(**overrides: Any) -> Account:
    """A current revolving card account reported on 2024-03-31."""
    fields: dict[str, Any] = {
        "account_id": "acc-1",
        "furnisher_id": "bank-1",
        "batch_id": "batch-1",
        "record_no": 1,
        "subject_id": "subj-1",
        "account_number_hash": "ab" * 32,
        "account_number_masked": "****1234",
        "portfolio_type": PortfolioType.REVOLVING,
        "account_type": "18",
        "ecoa_code": EcoaCode.INDIVIDUAL,
        "date_opened": date(2020, 5, 17),
        "date_reported": date(2024, 3, 31),
        "currency": "CNY",
        "credit_limit_minor": 5_000_000,
        "highest_credit_minor": 1_200_000,
        "current_balance_minor": 345_600,
        "amount_past_due_minor": 0,
        "scheduled_payment_minor": 20_000,
        "actual_payment_minor": 20_000,
        "account_status": AccountStatus.CURRENT,
        "payment_history_profile": "000000000000000000000000",
        "last_payment_date": date(2024, 3, 15),
    }
    fields.update(overrides)
    return Account(**fields)


def public_record(**overrides: Any) -> PublicRecord:
    """An active court judgment with an amount."""
    fields: dict[str, Any] = {
        "record_id": "pr-1",
        "furnisher_id": "court-1",
        "batch_id": "batch-9",
        "record_no": 3,
        "subject_id": "subj-1",
        "kind": PublicRecordKind.COURT_JUDGMENT,
        "authority": "Beijing Chaoyang District People's Court",
        "document_number": "(2023) Jing 0105 Min Chu 1234",
        "event_date": date(2023, 6, 1),
        "filed_date": date(2023, 6, 10),
        "amount_minor": 1_000_000,
        "currency": "CNY",
        "expires_on": date(2028, 6, 1),
    }
    fields.update(overrides)
    return PublicRecord(**fields)


def consent(**overrides: Any) -> Consent:
    """A consent for bank-1 to inquire for a credit application, valid 30 days."""
    fields: dict[str, Any] = {
        "consent_id": "c-1",
        "subject_id": "subj-1",
        "inquirer_org_id": "bank-1",
        "purpose": Purpose.CREDIT_APPLICATION,
        "granted_at": T0,
        "expires_at": datetime(2024, 3, 31, 9, 30, tzinfo=UTC),
        "evidence": "sha256:" + "cd" * 32,
    }
    fields.update(overrides)
    return Consent(**fields)


def dispute(**overrides: Any) -> Dispute:
    """An open dispute of an account, due in 30 days."""
    fields: dict[str, Any] = {
        "dispute_id": "d-1",
        "subject_id": "subj-1",
        "item_kind": ItemKind.ACCOUNT,
        "item_id": "acc-1",
        "reason": "I never opened this account",
        "opened_at": T0,
        "due_at": datetime(2024, 3, 31, 9, 30, tzinfo=UTC),
    }
    fields.update(overrides)
    return Dispute(**fields)


def reasons(n: int) -> tuple[ScoreReason, ...]:
    """``n`` well-formed reasons ranked 1..n."""
    return tuple(
        ScoreReason(rank, f"R{rank:02d}", f"reason {rank}", 10.0 / rank) for rank in range(1, n + 1)
    )


def score(**overrides: Any) -> Score:
    """A 300-850 scorecard score with four reasons."""
    fields: dict[str, Any] = {
        "score_id": "s-1",
        "subject_id": "subj-1",
        "model_id": "cn-retail-scorecard",
        "model_version": "2024.03.1",
        "as_of": date(2024, 3, 31),
        "ledger_snapshot": "snap-2024-03-31",
        "score": 712,
        "score_min": 300,
        "score_max": 850,
        "probability_bad": 0.034,
        "computed_at": T0,
        "reasons": reasons(4),
    }
    fields.update(overrides)
    return Score(**fields)
