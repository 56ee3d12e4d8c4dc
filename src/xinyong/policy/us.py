"""United States: the Fair Credit Reporting Act (15 U.S.C. 1681 et seq.).

Obsolescence is FCRA 605 (15 U.S.C. 1681c): seven years for most adverse
items, ten for bankruptcies, the seven years for a collection or charge-off
running from 180 days after the delinquency that preceded it (605(c)). Access
needs a permissible purpose (604), not consent, except that a report for
employment needs the consumer's written authorisation (604(b)(2)).

Not modelled here (decided when a report is served, not when a file is built):
the 605(b) exemptions for credit or insurance of USD 150,000 or more and jobs
paying USD 75,000 or more; the "or the statute of limitations, if longer"
extension for civil judgments in 605(a)(2), which needs per-state periods; and
criminal convictions, which the data model does not hold.
"""

from __future__ import annotations

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

SEVEN_YEARS: Final = Period(years=7)

_DOFD = RetentionRule(
    Clock.DELINQUENCY,
    SEVEN_YEARS,
    "FCRA 605(a)(4) and 605(c): seven years beginning 180 days after the start of the "
    "delinquency that preceded the collection or charge-off (Metro 2 date of first delinquency)",
    offset_days=180,
)
_OTHER = RetentionRule(
    Clock.EVENT,
    SEVEN_YEARS,
    "FCRA 605(a)(5): any other adverse item that antedates the report by more than seven years",
)

PROFILE: Final = Profile(
    jurisdiction=Jurisdiction.US,
    name="United States (FCRA)",
    retention={
        NegativeKind.LATE_PAYMENT: RetentionRule(
            Clock.EVENT,
            SEVEN_YEARS,
            "FCRA 605(a)(5): a late payment is an adverse item; seven years from the month "
            "it was reported late",
        ),
        NegativeKind.DELINQUENT_ACCOUNT: _DOFD,
        NegativeKind.COLLECTION: _DOFD,
        NegativeKind.CHARGE_OFF: _DOFD,
        NegativeKind.BANKRUPTCY: RetentionRule(
            Clock.EVENT,
            Period(years=10),
            "FCRA 605(a)(1): cases under title 11 ten years from the order for relief or "
            "adjudication; 605(d): a withdrawn petition stays, shown as withdrawn",
            hide_withdrawn=False,
        ),
        NegativeKind.COURT_JUDGMENT: RetentionRule(
            Clock.EVENT,
            SEVEN_YEARS,
            "FCRA 605(a)(2): civil judgments seven years from the date of entry (the longer "
            "statute of limitations is not applied)",
        ),
        NegativeKind.TAX_ARREARS: RetentionRule(
            Clock.END,
            SEVEN_YEARS,
            "FCRA 605(a)(3): paid tax liens seven years from the date of payment; an unpaid "
            "lien has no statutory limit",
        ),
        NegativeKind.ADMINISTRATIVE_PENALTY: _OTHER,
        NegativeKind.ABNORMAL_OPERATIONS_LISTING: _OTHER,
        NegativeKind.SERIOUS_VIOLATION_LISTING: _OTHER,
        NegativeKind.DISHONEST_JUDGMENT_DEBTOR: _OTHER,
    },
    inquiry_basis=InquiryBasis.PERMISSIBLE_PURPOSE,
    consent_required_for=frozenset({Purpose.EMPLOYMENT}),
    dispute=DisputeRule(
        response=Period(days=30),
        extension=Period(days=15),
        extension_trigger=ExtensionTrigger.SUBJECT_INFORMATION,
        basis="FCRA 611(a)(1)(A): 30 days from receipt; (B): 15 more if the consumer sends "
        "relevant information during the 30 days; (C): none once the item is found inaccurate "
        "or unverifiable",
        unverifiable=UnverifiableOutcome.SUPPRESS,
        unverifiable_basis="FCRA 611(a)(5)(A): information that is inaccurate, incomplete or "
        "cannot be verified is promptly deleted",
        reinsertion=ReinsertionRule(
            notice=Period(days=5),
            business_days=True,
            basis="FCRA 611(a)(5)(B): a deleted item is reinserted only if its furnisher "
            "certifies it complete and accurate; the consumer is told in writing within 5 "
            "business days of the reinsertion",
        ),
        furnisher_notice=NoticeRule(
            within=Period(days=5),
            business_days=True,
            basis="FCRA 611(a)(2)(A): the agency notifies the furnisher of the disputed item "
            "within 5 business days of receiving the dispute, with all relevant information "
            "the consumer gave; (B): what the consumer sends later is passed on promptly",
        ),
        results_notice=NoticeRule(
            within=Period(days=5),
            business_days=True,
            basis="FCRA 611(a)(6)(A): the results are given to the consumer in writing within "
            "5 business days after the reinvestigation is completed; (B): with a revised "
            "report if the file changed, and notice of the right to a description of the "
            "procedure, to add a statement and to have past recipients told",
        ),
        termination=TerminationRule(
            reasons=frozenset(TerminationReason),
            notice=NoticeRule(
                within=Period(days=5),
                business_days=True,
                basis="FCRA 611(a)(3)(B): the consumer is notified within 5 business days "
                "of the determination",
            ),
            basis="FCRA 611(a)(3)(A): the agency may terminate a reinvestigation it "
            "reasonably determines to be frivolous or irrelevant, including for the "
            "consumer's failure to provide sufficient information; (C): the notice gives the "
            "reasons and identifies the information required to investigate",
        ),
        procedure_notice=NoticeRule(
            within=Period(days=15),
            basis="FCRA 611(a)(7): a description of the procedure used to determine the "
            "accuracy and completeness of the information, with the business name, address "
            "and telephone number of any furnisher contacted if reasonably available, within "
            "15 days after receiving the consumer's request ((a)(6)(B)(iii))",
        ),
        recipients=RecipientRule(
            lookback=Period(months=6),
            employment_lookback=Period(years=2),
            basis="FCRA 611(d): after a deletion of inaccurate or unverifiable information, or "
            "a notation of disputed information, at the consumer's request the agency tells "
            "any person the consumer designates who received a report containing it within 2 "
            "years before for employment purposes, or 6 months before for any other purpose",
        ),
    ),
    statement_word_limit=100,
    statement_basis="FCRA 611(b): the agency may limit the consumer's statement to 100 words",
    free_reports=FreeReports(
        per_year=1,
        basis="FCRA 612(a)(1): one free disclosure per 12 months from each nationwide agency "
        "(more after adverse action within 60 days, 612(b), and in the cases of 612(c))",
    ),
    purposes=frozenset(Purpose),
    soft_purposes=frozenset({Purpose.ACCOUNT_REVIEW, Purpose.PRESCREEN, Purpose.SUBJECT_REQUEST}),
    purposes_basis="FCRA 604(a): a court order (a)(1), the consumer's instruction (a)(2), "
    "credit, account review and collection (a)(3)(A), employment (B), insurance (C), a "
    "government licence (D), a legitimate business need in a transaction the consumer "
    "initiated such as a tenancy (F)(i); prescreening 604(c). Soft: the consumer's own "
    "request (609), account review and prescreens (604(c)(3) keeps them from users); none "
    "is an application for credit (industry practice, credit-rules.md 1.10)",
    calendar=WorkingCalendar(
        "US",
        basis="FCRA business days: Monday to Friday less the federal public holidays "
        "(5 U.S.C. 6103, with their observed days), as federal agencies and banks count them",
    ),
    notes=(
        "Permissible purpose (FCRA 604) instead of consent; employment reports need written "
        "authorisation (604(b)(2)).",
        "Inquiry records of prescreening are never given to users (604(c)(3)).",
    ),
)
