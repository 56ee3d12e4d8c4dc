"""A small country in a ledger, and a scorecard over real attribute names.

Subjects: ``P1`` (a current card and a late loan), ``P2`` (a maxed card), ``P3``
(the J1 co-holder of P1's loan, linked through ``consumer_no`` 1), ``E1`` (an
enterprise with a public record).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
from files_testkit import EVERYTHING, LedgerKit, account, profile_string, public_record

from xinyong.score.model import Characteristic, ScorecardModel, TrainingInfo
from xinyong.score.scaling import DEFAULT_SCALING

AS_OF = date(2026, 6, 30)
__all__ = ["AS_OF", "EVERYTHING", "PipelineKit", "person_model", "small_country"]


def _numerical(
    name: str,
    splits: tuple[float, ...],
    points: tuple[float, ...],
    code: str,
    *,
    inquiry: bool = False,
) -> Characteristic:
    n = len(splits) + 3
    counts = tuple(10 if i < len(splits) + 1 else 0 for i in range(n))
    return Characteristic(
        name=name,
        kind="numerical",
        label=name.replace("_", " "),
        reason_code=code,
        reason_text=f"{name.replace('_', ' ')} lowered the score",
        inquiry=inquiry,
        splits=splits,
        groups=(),
        special_codes=(),
        points=points,
        woe=tuple(0.1 * i for i in range(n)),
        count_good=counts,
        count_bad=counts,
        coefficient=0.8,
        iv=0.2,
    )


def person_model() -> ScorecardModel:
    """A small card over real attribute names: delinquency, utilisation, history, inquiries."""
    return ScorecardModel(
        name="pipeline test card",
        characteristics=(
            _numerical("times_30_59_late_24m", (0.5, 1.5), (30, 12, 0, 0, 10), "T01"),
            _numerical("times_60_89_late_24m", (0.5,), (25, 0, 0, 5), "T02"),
            _numerical("revolving_utilisation", (0.3, 0.7), (20, 10, 0, 0, 8), "T03"),
            _numerical("oldest_account_age_months", (24.0, 96.0), (0, 8, 15, 0, 0), "T04"),
            _numerical("inquiries_12m", (0.5, 2.5), (10, 5, 0, 0, 5), "T05", inquiry=True),
        ),
        intercept=-3.0,
        base_points=520.0,
        scaling=DEFAULT_SCALING,
        points_decimals=0,
        training=TrainingInfo(
            data_sha256="0" * 64,
            data_name="in code",
            target="bad",
            id_column="subject_id",
            n_rows=100,
            n_train=70,
            n_holdout=30,
            bad_rate=0.1,
            settings={},
        ),
    )


@dataclass
class PipelineKit:
    kit: LedgerKit
    snapshot_id: str

    @property
    def links(self) -> pa.Table:
        return self.kit.links_table()


def small_country(root: Path) -> PipelineKit:
    kit = LedgerKit(root)
    kit.write(
        accounts=[
            account("P1", "card-1", credit_limit_minor=10_000, current_balance_minor=2_000),
            account("P1", "loan-1", portfolio_type="I", account_type="00", ecoa_code="2",
                    account_status="71", first_delinquency_date=date(2026, 5, 2),
                    payment_history_profile=profile_string({0: "1", 3: "2"}),
                    current_balance_minor=50_000, date_opened=date(2012, 3, 1)),
            account("P3", "loan-1", portfolio_type="I", account_type="00", ecoa_code="2",
                    consumer_no=1, record_no=2, account_status="71",
                    first_delinquency_date=date(2026, 5, 2),
                    payment_history_profile=profile_string({0: "1", 3: "2"}),
                    current_balance_minor=50_000, date_opened=date(2012, 3, 1)),
            account("P2", "card-2", credit_limit_minor=5_000, current_balance_minor=4_900,
                    date_opened=date(2025, 1, 10)),
        ],
        public_records=[
            public_record("E1", "pen-1", "administrative_penalty", date(2025, 3, 1),
                          amount_minor=10_000, currency="CNY"),
        ],
    )  # fmt: skip
    return PipelineKit(kit, kit.ledger.snapshot_id(EVERYTHING))


def later_correction(country: PipelineKit) -> str:
    """A batch correcting P2's card (paid down); returns the new snapshot id."""
    country.kit.write(
        accounts=[
            account("P2", "card-2", credit_limit_minor=5_000, current_balance_minor=100,
                    date_opened=date(2025, 1, 10), date_reported=date(2026, 6, 30)),
        ]
    )  # fmt: skip
    return country.kit.ledger.snapshot_id(datetime(2100, 1, 1, tzinfo=UTC))
