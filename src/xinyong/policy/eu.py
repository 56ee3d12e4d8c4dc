"""European Union: the GDPR and the CJEU's limits on how long a bureau keeps data.

EU law sets no single obsolescence period: storage limitation (GDPR art.
5(1)(e)) leaves it to member-state law and codes of conduct, and the CJEU held
in C-26/22 and C-64/22 (SCHUFA, 7 Dec 2023) that a bureau may not keep data
copied from a public register longer than the register publishes it. So:

* public-record items are shown until the source register stops publishing
  them (its announced expiry or its removal), by default;
* arrears (late payments, delinquent accounts, collections, charge-offs) are
  shown for a configurable period after the debt is settled, by default three
  years — the settled-claim period of the German bureau code of conduct, to be
  set per member state (:func:`profile` takes the overrides).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from xinyong.domain.inquiries import Purpose
from xinyong.policy.dispute_rules import (
    DisputeRule,
    ExtensionTrigger,
    NoticeRule,
    RecipientRule,
    ReinsertionRule,
    TerminationReason,
    TerminationRule,
    UnverifiableOutcome,
)
from xinyong.policy.model import (
    PUBLIC_RECORD_KINDS,
    Clock,
    FreeReports,
    InquiryBasis,
    NegativeKind,
    Period,
    Profile,
    RetentionRule,
)
from xinyong.policy.working_days import WEEKDAYS_ONLY
from xinyong.settings import Jurisdiction

__all__ = ["ARREARS_PERIOD", "PROFILE", "profile"]

ARREARS_PERIOD: Final = Period(years=3)
"""Default for settled arrears; a deployment sets its member state's period."""

_REGISTER = RetentionRule(
    Clock.REGISTER,
    Period(),
    "GDPR art. 5(1)(e) and CJEU C-26/22, C-64/22: no longer than the source public register "
    "publishes the item",
)


def _arrears(period: Period) -> RetentionRule:
    return RetentionRule(
        Clock.END,
        period,
        f"GDPR art. 5(1)(e) storage limitation: {period} after the debt is settled "
        "(configurable per member state; default after the German bureau code of conduct)",
    )


def profile(
    arrears: Period = ARREARS_PERIOD,
    overrides: Mapping[NegativeKind | str, RetentionRule] | None = None,
) -> Profile:
    """The EU profile with the arrears period and any per-kind rules a member state sets."""
    retention: dict[NegativeKind, RetentionRule] = {kind: _REGISTER for kind in PUBLIC_RECORD_KINDS}
    for kind in (
        NegativeKind.LATE_PAYMENT,
        NegativeKind.DELINQUENT_ACCOUNT,
        NegativeKind.COLLECTION,
        NegativeKind.CHARGE_OFF,
    ):
        retention[kind] = _arrears(arrears)
    base = Profile(
        jurisdiction=Jurisdiction.EU,
        name="European Union (GDPR)",
        retention=retention,
        inquiry_basis=InquiryBasis.LAWFUL_BASIS,
        consent_required_for=frozenset({Purpose.PRESCREEN}),
        dispute=DisputeRule(
            response=Period(months=1),
            extension=Period(months=2),
            extension_trigger=ExtensionTrigger.COMPLEX_REQUEST,
            tell_extension=True,
            basis="GDPR art. 12(3): without undue delay and within one month, extendable by "
            "two further months for complex or numerous requests, the subject told of the "
            "extension within the first month; art. 16 rectification",
            unverifiable=UnverifiableOutcome.SUPPRESS,
            unverifiable_basis="GDPR arts. 5(1)(d), 16 and 18(1)(a): data whose accuracy is "
            "contested and not verified is not processed",
            reinsertion=ReinsertionRule(
                notice=Period(months=1),
                notice_first=True,
                basis="GDPR art. 18(3): the subject is told before a restriction is lifted; "
                "art. 12(3): within one month",
            ),
            # Art. 12(3)'s information on action taken is the answer itself, due within the
            # month (or the extension) the dispute already carries; art. 19's notice to the
            # recipients has no deadline of its own. So no separate notice deadlines.
            furnisher_notice=None,
            results_notice=None,
            # Art. 12(5) lets a manifestly unfounded or excessive request be refused; too
            # little information is no ground of its own for a rectification request (the
            # controller verifies; art. 12(6) asks only about identity), so it is not one.
            termination=TerminationRule(
                reasons=frozenset(
                    {TerminationReason.SUBSTANTIALLY_REPEATED, TerminationReason.IRRELEVANT}
                ),
                notice=NoticeRule(
                    within=Period(months=1),
                    basis="GDPR art. 12(4): the subject is told, without delay and at the "
                    "latest within one month of receipt of the request, the reasons for not "
                    "taking action",
                ),
                from_receipt=True,
                complaint="You may lodge a complaint with a supervisory authority and seek a "
                "judicial remedy (GDPR arts. 12(4), 77, 79).",
                basis="GDPR art. 12(5): a manifestly unfounded or excessive request, in "
                "particular a repetitive one, may be refused; the controller bears the "
                "burden of showing it",
            ),
            # No right of its own to a description of the procedure: art. 12(3)'s
            # information on action taken is the answer itself.
            procedure_notice=None,
            # Art. 19 reaches every recipient, with no period; the communication is the
            # controller's duty, made here when the subject asks to be told who they are.
            recipients=RecipientRule(
                basis="GDPR art. 19: each rectification or erasure is communicated to each "
                "recipient to whom the data were disclosed, unless impossible or "
                "disproportionate; the subject is told about those recipients on request",
            ),
        ),
        statement_word_limit=None,
        statement_basis="GDPR art. 16: the right to complete data by a supplementary statement; "
        "no length limit is set",
        free_reports=FreeReports(
            per_year=None,
            basis="GDPR arts. 12(5) and 15(3): access is free; a fee or refusal only for "
            "manifestly unfounded or excessive requests, a reasonable fee for further copies",
        ),
        purposes=frozenset(Purpose),
        soft_purposes=frozenset(
            {Purpose.ACCOUNT_REVIEW, Purpose.PRESCREEN, Purpose.SUBJECT_REQUEST}
        ),
        purposes_basis="GDPR art. 6(1): each purpose needs a lawful basis, usually (b) "
        "contract or (f) legitimate interest; marketing use (prescreening) needs consent and "
        "may be objected to at any time (art. 21(2)-(3)); art. 15: the subject's own access. "
        "Soft: the subject's access, account review and prescreens; none is an application "
        "for credit",
        # No EU-wide public holidays: a member-state deployment sets its own calendar
        # with Profile.with_calendar (no EU deadline here is counted in working days).
        calendar=WEEKDAYS_ONLY,
        notes=(
            "Lawful basis under GDPR art. 6(1), usually (b) contract or (f) legitimate "
            "interest; marketing use (prescreening) needs consent.",
            "A bureau's score used decisively by lenders is an automated decision under art. 22 "
            "(CJEU C-634/21): the subject may obtain human review and an explanation.",
        ),
    )
    return base.with_retention(overrides) if overrides else base


PROFILE: Final = profile()
