"""The dispute rules as data (``policy.dispute_rules``) and their pure readings
(``disputes.item_flags``, ``Outcome.status``), without a store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xinyong import disputes as workflow
from xinyong.domain.disputes import DisputeStatus
from xinyong.policy import (
    WEEKDAYS_ONLY,
    DisputeRule,
    ExtensionTrigger,
    Period,
    ReinsertionRule,
    UnverifiableOutcome,
    get_profile,
)
from xinyong.policy.dispute_rules import NoticeRule, TerminationReason, TerminationRule

NOW = datetime(2026, 5, 11, 9, 0, tzinfo=UTC)


def test_business_days_skip_weekends() -> None:
    add_business_days = WEEKDAYS_ONLY.add_working_days
    thursday = date(2026, 5, 14)
    assert add_business_days(thursday, 0) == thursday
    assert add_business_days(thursday, 1) == date(2026, 5, 15)  # Friday
    assert add_business_days(thursday, 2) == date(2026, 5, 18)  # Monday
    assert add_business_days(thursday, 5) == date(2026, 5, 21)
    assert add_business_days(date(2026, 5, 16), 1) == date(2026, 5, 18)  # from a Saturday
    with pytest.raises(ValueError, match="negative"):
        add_business_days(thursday, -1)


@given(st.dates(date(2000, 1, 1), date(2100, 1, 1)), st.integers(0, 60))
def test_business_days_land_on_a_weekday_within_the_calendar_bound(start: date, n: int) -> None:
    end = WEEKDAYS_ONLY.add_working_days(start, n)
    assert start + timedelta(days=n) <= end <= start + timedelta(days=n + 2 * (n // 5 + 1))
    if n:
        assert end.weekday() < 5


def test_each_profile_states_its_rules() -> None:
    us, eu, cn = (get_profile(j).dispute for j in ("US", "EU", "CN"))
    assert us.extends_on(ExtensionTrigger.SUBJECT_INFORMATION)
    assert not us.extends_on(ExtensionTrigger.COMPLEX_REQUEST) and not us.tell_extension
    assert eu.extends_on(ExtensionTrigger.COMPLEX_REQUEST) and eu.tell_extension
    assert cn.extension is None and cn.extension_trigger is None
    assert (us.unverifiable, eu.unverifiable, cn.unverifiable) == (
        UnverifiableOutcome.SUPPRESS,
        UnverifiableOutcome.SUPPRESS,
        UnverifiableOutcome.KEEP_WITH_OBJECTION,
    )
    assert us.reinsertion is not None and eu.reinsertion is not None and cn.reinsertion is None
    assert us.reinsertion_notice_due(date(2026, 5, 14)) == date(2026, 5, 21)
    # Thanksgiving (Thu 2026-11-26) is not a business day: Friday's notice is due a day later.
    assert us.reinsertion_notice_due(date(2026, 11, 20)) == date(2026, 11, 30)
    assert not us.reinsertion.notice_first
    assert eu.reinsertion_notice_due(date(2026, 1, 31)) == date(2026, 2, 28)
    assert eu.reinsertion.notice_first
    for rule in (us, eu, cn):
        assert "611" in rule.basis or "12(3)" in rule.basis or "25" in rule.basis


def test_us_furnisher_and_results_notices_count_federal_business_days() -> None:
    """FCRA 611(a)(2)(A) and (a)(6)(A): 5 business days, public holidays excluded."""
    us, eu, cn = (get_profile(j).dispute for j in ("US", "EU", "CN"))
    wednesday_before_thanksgiving = date(2026, 11, 25)
    # Thu 26 (Thanksgiving) skipped: Fri 27, Mon 30, Tue 1, Wed 2, Thu 3 December.
    assert us.furnisher_notice_due(wednesday_before_thanksgiving) == date(2026, 12, 3)
    assert us.results_notice_due(wednesday_before_thanksgiving) == date(2026, 12, 3)
    weekdays_only = replace(us, calendar=WEEKDAYS_ONLY)
    assert weekdays_only.furnisher_notice_due(wednesday_before_thanksgiving) == date(2026, 12, 2)
    # A Friday's 5 business days end the next Friday.
    assert us.results_notice_due(date(2026, 5, 15)) == date(2026, 5, 22)
    assert us.furnisher_notice is not None and "611(a)(2)(A)" in us.furnisher_notice.basis
    assert us.results_notice is not None and "611(a)(6)(A)" in us.results_notice.basis
    # CN art. 25 and GDPR art. 12(3): the written answer is due within the answer's deadline.
    for rule in (eu, cn):
        assert rule.furnisher_notice_due(wednesday_before_thanksgiving) is None
        assert rule.results_notice_due(wednesday_before_thanksgiving) is None
    with pytest.raises(ValueError, match="business days"):
        NoticeRule(within=Period(months=1), basis="x", business_days=True)
    with pytest.raises(ValueError, match="legal basis"):
        NoticeRule(within=Period(days=5), basis=" ")
    assert NoticeRule(within=Period(months=1), basis="x").due(
        date(2026, 1, 31), WEEKDAYS_ONLY
    ) == date(2026, 2, 28)


def test_termination_and_procedure_as_each_profile_states_them() -> None:
    """FCRA 611(a)(3): any of the three reasons, notice 5 business days after the
    determination; GDPR art. 12(5)/(4): not for too little information, notice one month
    from receipt; CN art. 25: none. FCRA 611(a)(7): the procedure within 15 days."""
    us, eu, cn = (get_profile(j).dispute for j in ("US", "EU", "CN"))
    assert us.termination is not None and eu.termination is not None and cn.termination is None
    assert us.termination.reasons == frozenset(TerminationReason)
    assert not eu.termination.allows(TerminationReason.INSUFFICIENT_INFORMATION)
    assert eu.termination.allows(TerminationReason.SUBSTANTIALLY_REPEATED)
    assert eu.termination.complaint is not None and "supervisory" in eu.termination.complaint
    received, thanksgiving_eve = date(2026, 11, 20), date(2026, 11, 25)
    assert us.termination_notice_due(received, thanksgiving_eve) == date(2026, 12, 3)
    assert eu.termination_notice_due(date(2026, 1, 31), date(2026, 2, 10)) == date(2026, 2, 28)
    with pytest.raises(ValueError, match="no termination"):
        cn.termination_notice_due(received, thanksgiving_eve)
    assert us.procedure_notice is not None and "611(a)(7)" in us.procedure_notice.basis
    assert us.procedure_notice.due(thanksgiving_eve, us.calendar) == date(2026, 12, 10)
    assert eu.procedure_notice is None and cn.procedure_notice is None
    notice = NoticeRule(within=Period(days=5), basis="x", business_days=True)
    with pytest.raises(ValueError, match="at least one reason"):
        TerminationRule(reasons=frozenset(), notice=notice, basis="x")
    with pytest.raises(ValueError, match="legal basis"):
        TerminationRule(reasons=frozenset(TerminationReason), notice=notice, basis=" ")
    with pytest.raises(ValueError, match="not a valid"):
        TerminationRule(reasons=frozenset({"tiresome"}), notice=notice, basis="x")  # type: ignore[arg-type]


def test_rules_refuse_incomplete_data() -> None:
    suppress = {"unverifiable": "suppress", "unverifiable_basis": "x"}
    with pytest.raises(ValueError, match="trigger"):
        DisputeRule(response=Period(days=30), basis="x", extension=Period(days=15), **suppress)
    with pytest.raises(ValueError, match="tell_extension"):
        DisputeRule(response=Period(days=30), basis="x", tell_extension=True, **suppress)
    with pytest.raises(ValueError, match="legal basis"):
        DisputeRule(
            response=Period(days=30), basis="x", unverifiable="suppress", unverifiable_basis=" "
        )
    with pytest.raises(ValueError, match="business days"):
        ReinsertionRule(notice=Period(months=1), basis="x", business_days=True)
    with pytest.raises(ValueError, match="legal basis"):
        ReinsertionRule(notice=Period(days=5), basis="")
    rule = DisputeRule(response=Period(days=30), basis="x", **suppress)
    assert rule.unverifiable is UnverifiableOutcome.SUPPRESS  # coerced from text


def test_unverifiable_answer_closes_as_the_profile_says() -> None:
    us, cn = get_profile("US").dispute, get_profile("CN").dispute
    assert workflow.Outcome.UNVERIFIABLE.status(us) is DisputeStatus.DELETED
    assert workflow.Outcome.UNVERIFIABLE.status(cn) is DisputeStatus.UNCONFIRMED
    assert workflow.Outcome.DELETE.status(cn) is DisputeStatus.DELETED
    assert workflow.Outcome.VERIFY.status(us) is DisputeStatus.VERIFIED
    assert "611(a)(5)(A)" in workflow.deadline_resolution(us)
    assert "art. 25" in workflow.deadline_resolution(cn)


def row(item: str, status: str, due: datetime, reinserted: datetime | None = None) -> object:
    return SimpleNamespace(
        item_kind="account", item_id=item, status=status, due_at=due, reinserted_at=reinserted
    )


def test_item_flags_read_the_rule() -> None:
    past, future = NOW - timedelta(days=1), NOW + timedelta(days=1)
    rows = [
        row("open", "forwarded", future),
        row("overdue", "forwarded", past),
        row("deleted", "deleted", past),
        row("back", "deleted", past, reinserted=NOW),
        row("kept", "unconfirmed", past),
        row("fine", "verified", past),
    ]
    flagged, hidden = workflow.item_flags(rows, NOW, get_profile("US").dispute)
    assert {i for _, i in flagged} == {"open", "overdue", "kept"}
    assert {i for _, i in hidden} == {"overdue", "deleted"}
    flagged, hidden = workflow.item_flags(rows, NOW, get_profile("CN").dispute)
    assert {i for _, i in flagged} == {"open", "overdue", "kept"}
    assert {i for _, i in hidden} == {"deleted"}  # CN art. 25: overdue items stay
