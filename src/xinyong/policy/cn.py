"""China: the Credit Reporting Industry Regulation (征信业管理条例, State Council 631).

Art. 16: negative information is kept for five years from the date the
negative behaviour or event *ends* (自不良行为或者事件终止之日起), then deleted.
What "ends" means for each kind is the crux, so it is spelled out here and in
``docs/retention.md``; the files step derives the end date from the furnished
records:

* an overdue account (late payment, delinquent account, collection,
  charge-off): the day the overdue amount is repaid — the first later month
  the account is reported current, or the day it is paid in full or settled
  to a zero balance. An account still owing never ages off;
* a court judgment: the day it is satisfied (performed); a tax arrear: the
  day it is paid; a bankruptcy: the day the proceedings close;
* a dishonest-judgment-debtor, abnormal-operations or serious-violation
  listing: the day the listing is removed or its term expires;
* an administrative penalty: the day it is performed, or the end of its
  publicity period (SAMR Decree 45 art. 13) when the register records no
  earlier end.

An act the authority withdrew or revoked is hidden from the withdrawal
(SAMR Decree 45 art. 11; accuracy, art. 23). Access needs the subject's written
consent and an agreed purpose (art. 18) except where the law says otherwise.
"""

from __future__ import annotations

from typing import Final

from xinyong.domain.inquiries import Purpose
from xinyong.policy.dispute_rules import DisputeRule, UnverifiableOutcome
from xinyong.policy.model import (
    Clock,
    FreeReports,
    InquiryBasis,
    NegativeKind,
    Period,
    Profile,
    RetentionRule,
)
from xinyong.policy.working_days import WorkingCalendar
from xinyong.settings import Jurisdiction

__all__ = ["PROFILE"]

_ART16 = "征信业管理条例 art. 16: five years from the day the negative behaviour or event ends"

_ENDS: Final[dict[NegativeKind, str]] = {
    NegativeKind.LATE_PAYMENT: "the overdue amount repaid (first later month reported current)",
    NegativeKind.DELINQUENT_ACCOUNT: "the account paid, settled or brought to a zero balance",
    NegativeKind.COLLECTION: "the collected debt paid or settled",
    NegativeKind.CHARGE_OFF: "the charged-off debt paid or settled",
    NegativeKind.COURT_JUDGMENT: "the judgment satisfied (art. 44(3))",
    NegativeKind.BANKRUPTCY: "the proceedings closed",
    NegativeKind.TAX_ARREARS: "the tax paid",
    NegativeKind.ADMINISTRATIVE_PENALTY: "the penalty performed, or its publicity period over "
    "(SAMR Decree 45 art. 13)",
    NegativeKind.ABNORMAL_OPERATIONS_LISTING: "the listing removed (Enterprise Information "
    "Publicity Regulation art. 17)",
    NegativeKind.SERIOUS_VIOLATION_LISTING: "the listing removed or its term over",
    NegativeKind.DISHONEST_JUDGMENT_DEBTOR: "the listing deleted or its term over (SPC 2017 "
    "arts. 2 and 10)",
}

PROFILE: Final = Profile(
    jurisdiction=Jurisdiction.CN,
    name="China (征信业管理条例)",
    retention={
        kind: RetentionRule(Clock.END, Period(years=5), f"{_ART16}: {end}")
        for kind, end in _ENDS.items()
    },
    inquiry_basis=InquiryBasis.CONSENT,
    consent_required_for=frozenset(set(Purpose) - {Purpose.COURT_ORDER, Purpose.SUBJECT_REQUEST}),
    dispute=DisputeRule(
        response=Period(days=20),
        basis="征信业管理条例 art. 25: flag the item as disputed at once, verify and answer in "
        "writing within 20 days of receipt; no extension",
        unverifiable=UnverifiableOutcome.KEEP_WITH_OBJECTION,
        unverifiable_basis="征信业管理条例 art. 25: what cannot be confirmed after verification "
        "stays, with the verification and the objection recorded",
        # No reinsertion rule: an item deleted after an objection stays deleted.
        reinsertion=None,
        # Art. 25's written reply is the answer itself, due within the 20 days the dispute
        # already carries (a late one is a breach of that deadline); the item's provider is
        # not given a separate deadline to be told. So no separate notice deadlines.
        furnisher_notice=None,
        results_notice=None,
        # Art. 25 has every objection verified and answered in writing within the 20 days:
        # no ground to terminate one unanswered as frivolous or irrelevant.
        termination=None,
        # No right of its own to a description of the verification; the written reply is
        # the answer (art. 25).
        procedure_notice=None,
        # Art. 25 corrects the item; it sets no duty to tell earlier recipients.
        recipients=None,
    ),
    statement_word_limit=None,
    statement_basis="征信业管理条例 art. 16: the subject may add an explanation, which the "
    "bureau must record; no length limit is set",
    free_reports=FreeReports(
        per_year=2,
        basis="征信业管理条例 art. 17: two free credit reports a year for an individual",
    ),
    purposes=frozenset(Purpose),
    soft_purposes=frozenset({Purpose.ACCOUNT_REVIEW, Purpose.PRESCREEN, Purpose.SUBJECT_REQUEST}),
    purposes_basis="征信业管理条例 art. 18: any purpose agreed with the subject in writing, "
    "and queries the law allows without consent (court orders); art. 17: the subject's own "
    "query. Soft: the subject's own query (本人查询), post-loan management of an existing "
    "account (贷后管理) and prescreens; none is an application for credit",
    # Art. 25's 20 days are calendar days; the calendar serves the deadlines counted in
    # working days (工作日), e.g. the public registers' 20 and the court list's 3.
    calendar=WorkingCalendar(
        "CN",
        basis="国务院办公厅 annual holiday notice (全国年节及纪念日放假办法): statutory holidays "
        "are days off and the announced make-up weekend days (调休) are working days",
    ),
    notes=(
        "Consent is written and tied to an agreed purpose (art. 18); state organs query under "
        "law without it.",
        "Complaints to the PBOC branch are answered within 30 days (art. 26).",
    ),
)
