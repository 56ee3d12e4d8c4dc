"""The attribute catalogue: every definition a credit analyst expects, as data.

Each entry is one SQL aggregate over one file table (its shown rows only, so
aged-off and deleted items never count). The columns the expressions use are
those of the file tables plus what the engine adds to every source
(:mod:`xinyong.attributes.compute`): ``months_ago`` (history: whole calendar
months between the month and the as-of month), ``months_since_opened``,
``months_since_event`` and ``months_since`` (full months elapsed to the as-of
date). Lateness bands follow the Metro 2 codes: ``days_late`` 30 is the 30-59
band, 60 the 60-89 band; ``severity`` orders a month 0 (current) .. 6 (180+
days), 7 (collection, foreclosure, surrender, repossession), 8 (charge-off).

Amounts are sums of minor units (cents, fen) as furnished; a file holding
several currencies is summed as is (no exchange rates in the system yet).
"""

from __future__ import annotations

from typing import Final

from xinyong.attributes.model import AppliesTo, Attribute, Source, Unit

__all__ = ["ATTRIBUTES"]

_H, _A, _P, _I = Source.HISTORY, Source.ACCOUNTS, Source.PUBLIC_RECORDS, Source.INQUIRIES
_BOTH, _ENT = AppliesTo.BOTH, AppliesTo.ENTERPRISE
_DELINQUENT_NOW: Final = (
    "('71', '78', '80', '82', '83', '84', '88', '89', '93', '94', '95', '96', '97')"
)


def _count(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def _total(condition: str, amount: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN COALESCE({amount}, 0) ELSE 0 END)"


def _history() -> list[Attribute]:
    out: list[Attribute] = []
    for months in (6, 12, 24):
        out.append(
            Attribute(
                f"worst_status_{months}m",
                f"Worst monthly payment status on any account in the last {months} months: "
                "0 current, 1-6 for 30 to 180+ days late, 7 collection, foreclosure, surrender "
                "or repossession, 8 charge-off. Missing when no month was reported.",
                Unit.CODE,
                _BOTH,
                _H,
                f"MAX(CASE WHEN months_ago < {months} THEN severity END)",
                None,
                f"Serious delinquency in the last {months} months",
            )
        )
    bands = (
        ("30_59", "days_late = 30", "30-59 days late"),
        ("60_89", "days_late = 60", "60-89 days late"),
        ("90plus", "(days_late >= 90 OR severity >= 7)", "90 or more days late or worse"),
    )
    for key, condition, words in bands:
        for months in (6, 12, 24):
            out.append(
                Attribute(
                    f"times_{key}_late_{months}m",
                    f"Number of account-months reported {words} in the last {months} months. "
                    "Missing when the file has no payment history at all.",
                    Unit.COUNT,
                    _BOTH,
                    _H,
                    _count(f"months_ago < {months} AND {condition}"),
                    None,
                    f"Payments {words} in the last {months} months",
                )
            )
    out.append(
        Attribute(
            "months_since_last_delinquency",
            "Months since the most recent month reported 30 or more days late (or worse) on "
            "any account; 0 if the current month is delinquent. Missing when never delinquent.",
            Unit.MONTHS,
            _BOTH,
            _H,
            "MIN(CASE WHEN severity >= 1 THEN months_ago END)",
            None,
            "Recent delinquency on an account",
        )
    )
    return out


def _accounts() -> list[Attribute]:
    revolving = "is_open AND account_category = 'revolving' AND credit_limit_minor > 0"
    rows = [
        ("accounts_total", "Number of accounts shown in the file, open or closed.", Unit.COUNT,
         "COUNT(*)", 0, "Few accounts in the file"),
        ("accounts_open", "Number of open accounts (not closed, reported current or past due).",
         Unit.COUNT, _count("is_open"), 0, "Number of open accounts"),
        ("accounts_opened_6m", "Number of accounts opened in the last 6 months.", Unit.COUNT,
         _count("months_since_opened < 6"), 0, "Accounts opened recently"),
        ("accounts_opened_12m", "Number of accounts opened in the last 12 months.", Unit.COUNT,
         _count("months_since_opened < 12"), 0, "Accounts opened recently"),
        ("oldest_account_age_months", "Age in full months of the oldest account. Missing "
         "without accounts.", Unit.MONTHS, "MAX(months_since_opened)", None,
         "Length of credit history is short"),
        ("revolving_balance_total", "Total balance on open revolving accounts and lines of "
         "credit with a credit limit.", Unit.MINOR_UNITS,
         _total(revolving, "current_balance_minor"), 0, "Balances on revolving accounts"),
        ("revolving_limit_total", "Total credit limit of open revolving accounts and lines of "
         "credit.", Unit.MINOR_UNITS, _total(revolving, "credit_limit_minor"), 0,
         "Total revolving credit limit is low"),
        ("mortgage_balance_total", "Total balance on open mortgages.", Unit.MINOR_UNITS,
         _total("is_open AND account_category = 'mortgage'", "current_balance_minor"), 0,
         "Mortgage balances"),
        ("mortgage_original_total", "Total original loan amount of open mortgages.",
         Unit.MINOR_UNITS,
         _total("is_open AND account_category = 'mortgage'", "highest_credit_minor"), 0,
         "Mortgage amounts"),
        ("instalment_balance_total", "Total balance on open instalment loans (auto, personal, "
         "business loans).", Unit.MINOR_UNITS,
         _total("is_open AND account_category = 'instalment'", "current_balance_minor"), 0,
         "Balances on instalment loans"),
        ("instalment_original_total", "Total original amount of open instalment loans.",
         Unit.MINOR_UNITS,
         _total("is_open AND account_category = 'instalment'", "highest_credit_minor"), 0,
         "Amounts of instalment loans"),
        ("total_balance", "Total balance owed on all accounts shown, including derogatory "
         "ones.", Unit.MINOR_UNITS, "SUM(COALESCE(current_balance_minor, 0))", 0,
         "Total amount owed"),
        ("past_due_amount_total", "Total amount past due on all accounts shown.",
         Unit.MINOR_UNITS, "SUM(COALESCE(amount_past_due_minor, 0))", 0,
         "Amount past due on accounts"),
        ("accounts_delinquent_now", "Number of accounts now 30 or more days past due or in "
         "default (collection, charge-off, foreclosure, surrender, repossession).", Unit.COUNT,
         _count(f"account_status IN {_DELINQUENT_NOW}"), 0, "Accounts now delinquent"),
        ("derogatory_accounts", "Number of accounts whose latest state is derogatory, paid or "
         "not (delinquent, collection, charge-off).", Unit.COUNT,
         _count("negative_kind IS NOT NULL"), 0, "Derogatory accounts"),
        ("collections_count", "Number of accounts in collection or paid after collection.",
         Unit.COUNT, _count("negative_kind = 'collection'"), 0, "Accounts in collection"),
        ("collections_balance", "Balance still owed on collection accounts.", Unit.MINOR_UNITS,
         _total("negative_kind = 'collection'", "current_balance_minor"), 0,
         "Amount owed on collection accounts"),
        ("charge_offs_count", "Number of accounts charged off, paid or not.", Unit.COUNT,
         _count("negative_kind = 'charge_off'"), 0, "Accounts charged off"),
        ("charge_off_amount_total", "Total original amount charged off.", Unit.MINOR_UNITS,
         _total("negative_kind = 'charge_off'", "charge_off_amount_minor"), 0,
         "Amount charged off"),
    ]  # fmt: skip
    out = [
        Attribute(name, meaning, unit, _BOTH, _A, sql, empty, reason)
        for name, meaning, unit, sql, empty, reason in rows
    ]
    out.insert(
        5,
        Attribute(
            "average_account_age_months",
            "Average age in months of the accounts shown. Missing without accounts.",
            Unit.MONTHS,
            _BOTH,
            _A,
            "AVG(CAST(months_since_opened AS DOUBLE))",
            None,
            "Average age of accounts is low",
            dtype="DOUBLE",
        ),
    )
    out.insert(
        6,
        Attribute(
            "revolving_utilisation",
            "Balance on open revolving accounts and lines of credit divided by their credit "
            "limits. Missing when there is no revolving credit limit.",
            Unit.RATIO,
            _BOTH,
            _A,
            f"CAST({_total(revolving, 'current_balance_minor')} AS DOUBLE) / "
            f"NULLIF({_total(revolving, 'credit_limit_minor')}, 0)",
            None,
            "Proportion of revolving credit in use is high",
            dtype="DOUBLE",
        ),
    )
    return out


def _public_records() -> list[Attribute]:
    judgment = "kind = 'court_judgment'"
    rows = [
        ("public_records_count", "Number of public records shown (judgments, bankruptcies, "
         "tax arrears, penalties, listings), in force or not.", Unit.COUNT, _BOTH, "COUNT(*)",
         0, "Public records in the file"),
        ("public_records_amount_total", "Total amount of the public records shown.",
         Unit.MINOR_UNITS, _BOTH, "SUM(COALESCE(amount_minor, 0))", 0,
         "Amount of public records"),
        ("months_since_last_public_record", "Months since the event of the most recent public "
         "record shown. Missing without public records.", Unit.MONTHS, _BOTH,
         "MIN(months_since_event)", None, "Recent public record"),
        ("court_judgments_count", "Number of court judgments shown, satisfied or not.",
         Unit.COUNT, _BOTH, _count(judgment), 0, "Court judgments"),
        ("court_judgments_unsatisfied_amount", "Amount of court judgments not yet satisfied.",
         Unit.MINOR_UNITS, _BOTH, _total(f"{judgment} AND in_force", "amount_minor"), 0,
         "Unsatisfied court judgments"),
        ("bankruptcies_count", "Number of bankruptcy records shown.", Unit.COUNT, _BOTH,
         _count("kind = 'bankruptcy'"), 0, "Bankruptcy"),
        ("tax_arrears_unpaid_amount", "Amount of tax arrears not yet paid.", Unit.MINOR_UNITS,
         _BOTH, _total("kind = 'tax_arrears' AND in_force", "amount_minor"), 0,
         "Unpaid tax arrears"),
        ("administrative_penalties_count", "Number of administrative penalties shown.",
         Unit.COUNT, _BOTH, _count("kind = 'administrative_penalty'"), 0,
         "Administrative penalties"),
        ("administrative_penalties_amount", "Total amount of administrative penalties shown.",
         Unit.MINOR_UNITS, _BOTH,
         _total("kind = 'administrative_penalty'", "amount_minor"), 0,
         "Amount of administrative penalties"),
        ("abnormal_operations_listings_active", "Number of abnormal-operations listings in "
         "force (not removed, term not over).", Unit.COUNT, _ENT,
         _count("kind = 'abnormal_operations_listing' AND in_force"), 0,
         "Listed for abnormal operations"),
        ("serious_violation_listed", "1 if the enterprise is on the serious-violation list now, "
         "else 0.", Unit.FLAG, _ENT,
         "MAX(CASE WHEN kind = 'serious_violation_listing' AND in_force THEN 1 ELSE 0 END)", 0,
         "Listed as a serious violator"),
        ("dishonest_judgment_debtor_listed", "1 if the subject is on the list of dishonest "
         "judgment debtors now, else 0.", Unit.FLAG, _BOTH,
         "MAX(CASE WHEN kind = 'dishonest_judgment_debtor' AND in_force THEN 1 ELSE 0 END)", 0,
         "Listed as a dishonest judgment debtor"),
    ]  # fmt: skip
    return [
        Attribute(name, meaning, unit, applies, _P, sql, empty, reason)
        for name, meaning, unit, applies, sql, empty, reason in rows
    ]


def _inquiries() -> list[Attribute]:
    return [
        Attribute(
            f"inquiries_{months}m",
            f"Number of inquiries for a credit application in the last {months} months "
            "(not the subject's own requests, account reviews or prescreening).",
            Unit.COUNT,
            _BOTH,
            _I,
            _count(f"purpose = 'credit_application' AND months_since < {months}"),
            0,
            "Number of recent inquiries",
        )
        for months in (6, 12)
    ]


ATTRIBUTES: Final[tuple[Attribute, ...]] = (
    *_history(),
    *_accounts(),
    *_public_records(),
    *_inquiries(),
)
"""Every attribute, in report order."""
