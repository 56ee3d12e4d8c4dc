"""Metro 2 code lists for accounts, each code with its meaning as data.

The codes are the CDIA Metro 2 values (as implemented by moov-io/metro2, see
``reference/credit-rules.md`` section 5.5), so that Metro 2 files and the
canonical CSV/JSON formats normalise into one vocabulary. Each enum carries a
plain-language meaning because reports shown to subjects must not speak in codes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

__all__ = [
    "AccountStatus",
    "ComplianceCondition",
    "EcoaCode",
    "PaymentHistoryCode",
    "PaymentRating",
    "PortfolioType",
]


class PortfolioType(StrEnum):
    """Metro 2 field 7: the broad kind of credit."""

    LINE_OF_CREDIT = "C"
    INSTALMENT = "I"
    MORTGAGE = "M"
    OPEN = "O"
    REVOLVING = "R"


class EcoaCode(StrEnum):
    """Metro 2 ECOA code: the subject's role on, and liability for, the account.

    Codes 0, 4 and 6 are obsolete since 2003 and are not accepted.
    """

    INDIVIDUAL = "1"
    JOINT = "2"
    AUTHORISED_USER = "3"
    CO_MAKER = "5"
    MAKER = "7"
    TERMINATED = "T"
    DECEASED = "X"
    BUSINESS = "W"
    DELETE_CONSUMER = "Z"

    @property
    def meaning(self) -> str:
        """Plain-language role, for reports shown to subjects."""
        return _ECOA_MEANINGS[self]


_ECOA_MEANINGS: Final[dict[EcoaCode, str]] = {
    EcoaCode.INDIVIDUAL: "individual account, sole contractual liability",
    EcoaCode.JOINT: "joint account, contractual liability shared with another person",
    EcoaCode.AUTHORISED_USER: "authorised user, no contractual liability",
    EcoaCode.CO_MAKER: "co-maker or guarantor, liable if the maker does not pay",
    EcoaCode.MAKER: "maker, primarily liable, with a co-maker or guarantor",
    EcoaCode.TERMINATED: "association with the account terminated",
    EcoaCode.DECEASED: "account holder deceased",
    EcoaCode.BUSINESS: "business or commercial account",
    EcoaCode.DELETE_CONSUMER: "delete this subject from the account",
}


class PaymentRating(StrEnum):
    """Metro 2 field 17B: how late the account was when it reached a closing status."""

    CURRENT = "0"
    PAST_DUE_30 = "1"
    PAST_DUE_60 = "2"
    PAST_DUE_90 = "3"
    PAST_DUE_120 = "4"
    PAST_DUE_150 = "5"
    PAST_DUE_180 = "6"
    COLLECTION = "G"
    CHARGE_OFF = "L"

    @property
    def is_delinquent(self) -> bool:
        """30+ days late, in collection or charged off: needs a date of first delinquency."""
        return self is not PaymentRating.CURRENT


class PaymentHistoryCode(StrEnum):
    """One character of the Metro 2 payment history profile (field 18): one month."""

    CURRENT = "0"
    PAST_DUE_30 = "1"
    PAST_DUE_60 = "2"
    PAST_DUE_90 = "3"
    PAST_DUE_120 = "4"
    PAST_DUE_150 = "5"
    PAST_DUE_180 = "6"
    NO_HISTORY = "B"
    NO_DATA = "D"
    ZERO_BALANCE = "E"
    COLLECTION = "G"
    FORECLOSURE = "H"
    VOLUNTARY_SURRENDER = "J"
    REPOSSESSION = "K"
    CHARGE_OFF = "L"

    @property
    def meaning(self) -> str:
        """Plain-language status of the month."""
        return _HISTORY_MEANINGS[self]

    @property
    def days_late(self) -> int | None:
        """Lower bound of days past due (0 when current), ``None`` when not a lateness."""
        return _HISTORY_DAYS_LATE.get(self)

    @property
    def is_derogatory(self) -> bool:
        """Late 30+ days, or a collection, foreclosure, surrender, repossession, charge-off."""
        late = self.days_late
        return (late is not None and late >= 30) or self in _HISTORY_EVENTS


_HISTORY_DAYS_LATE: Final[dict[PaymentHistoryCode, int]] = {
    PaymentHistoryCode.CURRENT: 0,
    PaymentHistoryCode.ZERO_BALANCE: 0,
    PaymentHistoryCode.PAST_DUE_30: 30,
    PaymentHistoryCode.PAST_DUE_60: 60,
    PaymentHistoryCode.PAST_DUE_90: 90,
    PaymentHistoryCode.PAST_DUE_120: 120,
    PaymentHistoryCode.PAST_DUE_150: 150,
    PaymentHistoryCode.PAST_DUE_180: 180,
}
_HISTORY_EVENTS: Final = frozenset("GHJKL")
_HISTORY_MEANINGS: Final[dict[PaymentHistoryCode, str]] = {
    PaymentHistoryCode.CURRENT: "paid as agreed",
    PaymentHistoryCode.PAST_DUE_30: "30-59 days past due",
    PaymentHistoryCode.PAST_DUE_60: "60-89 days past due",
    PaymentHistoryCode.PAST_DUE_90: "90-119 days past due",
    PaymentHistoryCode.PAST_DUE_120: "120-149 days past due",
    PaymentHistoryCode.PAST_DUE_150: "150-179 days past due",
    PaymentHistoryCode.PAST_DUE_180: "180 or more days past due",
    PaymentHistoryCode.NO_HISTORY: "no history before this month (not yet open)",
    PaymentHistoryCode.NO_DATA: "no data furnished for this month",
    PaymentHistoryCode.ZERO_BALANCE: "zero balance, current",
    PaymentHistoryCode.COLLECTION: "in collection",
    PaymentHistoryCode.FORECLOSURE: "foreclosure completed",
    PaymentHistoryCode.VOLUNTARY_SURRENDER: "voluntary surrender",
    PaymentHistoryCode.REPOSSESSION: "repossession",
    PaymentHistoryCode.CHARGE_OFF: "charged off",
}


class AccountStatus(StrEnum):
    """Metro 2 field 17A: the state of the account as of the date reported."""

    TRANSFERRED = "05"
    CURRENT = "11"
    PAID_OR_CLOSED = "13"
    PAID_WAS_VOLUNTARY_SURRENDER = "61"
    PAID_WAS_COLLECTION = "62"
    PAID_WAS_REPOSSESSION = "63"
    PAID_WAS_CHARGE_OFF = "64"
    PAID_FORECLOSURE_STARTED = "65"
    PAST_DUE_30 = "71"
    PAST_DUE_60 = "78"
    PAST_DUE_90 = "80"
    PAST_DUE_120 = "82"
    PAST_DUE_150 = "83"
    PAST_DUE_180 = "84"
    GOVERNMENT_CLAIM = "88"
    DEED_IN_LIEU = "89"
    COLLECTION = "93"
    FORECLOSURE_COMPLETED = "94"
    VOLUNTARY_SURRENDER = "95"
    REPOSSESSED = "96"
    CHARGE_OFF = "97"
    DELETE = "DA"
    DELETE_FRAUD = "DF"

    @property
    def meaning(self) -> str:
        """Plain-language meaning, for reports shown to subjects."""
        return _STATUS_MEANINGS[self]

    @property
    def days_past_due(self) -> int | None:
        """Lower bound of the past-due band for 11 and 71-84, ``None`` for other statuses."""
        return _STATUS_DAYS_PAST_DUE.get(self)

    @property
    def is_past_due(self) -> bool:
        """30 days or more past due and still open (71-84); 11 is not delinquent."""
        days = self.days_past_due
        return days is not None and days >= 30

    @property
    def is_delinquent(self) -> bool:
        """Currently in default: past due (71-84) or a derogatory closing event not yet paid.

        Covers collection, charge-off, repossession, surrender, foreclosure, deed in
        lieu and government claim (88, 89, 93-97). Paid-after-derogatory statuses
        (61-65) are history, not current delinquency: see :attr:`is_derogatory`.
        """
        return self.is_past_due or self in _DEFAULT_STATUSES

    @property
    def is_derogatory(self) -> bool:
        """Anything adverse, current or paid: delinquent statuses plus 61-65."""
        return self.is_delinquent or self in _PAID_DEROGATORY

    @property
    def is_deletion(self) -> bool:
        """DA and DF ask for the whole account to be removed, not reported."""
        return self in {AccountStatus.DELETE, AccountStatus.DELETE_FRAUD}

    @property
    def needs_payment_rating(self) -> bool:
        """Metro 2: a rating is required with 05, 13, 65, 88, 89, 94, 95 and blank otherwise.

        These statuses say what happened to the account but not how late it was
        when it happened; the rating supplies that.
        """
        return self in _NEEDS_RATING

    def needs_first_delinquency_date(self, payment_rating: PaymentRating | None = None) -> bool:
        """Whether FCRA 623(a)(5) needs a date of first delinquency with this status.

        Always for 61-65, 71-84, 88, 89, 93-97; for 05 and 13 only when the payment
        rating is delinquent (1-6, G, L). The date starts the seven-year clock
        (FCRA 605(c)), so a derogatory account without it could never age off.
        """
        if self in _NEEDS_DOFD:
            return True
        if self in {AccountStatus.TRANSFERRED, AccountStatus.PAID_OR_CLOSED}:
            return payment_rating is not None and PaymentRating(payment_rating).is_delinquent
        return False


_STATUS_DAYS_PAST_DUE: Final[dict[AccountStatus, int]] = {
    AccountStatus.CURRENT: 0,
    AccountStatus.PAST_DUE_30: 30,
    AccountStatus.PAST_DUE_60: 60,
    AccountStatus.PAST_DUE_90: 90,
    AccountStatus.PAST_DUE_120: 120,
    AccountStatus.PAST_DUE_150: 150,
    AccountStatus.PAST_DUE_180: 180,
}
_DEFAULT_STATUSES: Final = frozenset(
    AccountStatus(code) for code in ("88", "89", "93", "94", "95", "96", "97")
)
_PAID_DEROGATORY: Final = frozenset(AccountStatus(code) for code in ("61", "62", "63", "64", "65"))
_NEEDS_RATING: Final = frozenset(
    AccountStatus(code) for code in ("05", "13", "65", "88", "89", "94", "95")
)
_NEEDS_DOFD: Final = frozenset(
    AccountStatus(code)
    for code in (
        *("61", "62", "63", "64", "65"),
        *("71", "78", "80", "82", "83", "84"),
        *("88", "89", "93", "94", "95", "96", "97"),
    )
)
_STATUS_MEANINGS: Final[dict[AccountStatus, str]] = {
    AccountStatus.TRANSFERRED: "account transferred to another lender or office",
    AccountStatus.CURRENT: "current, paid as agreed (0-29 days past due)",
    AccountStatus.PAID_OR_CLOSED: "paid or closed, zero balance",
    AccountStatus.PAID_WAS_VOLUNTARY_SURRENDER: "paid in full; was a voluntary surrender",
    AccountStatus.PAID_WAS_COLLECTION: "paid in full; was a collection account",
    AccountStatus.PAID_WAS_REPOSSESSION: "paid in full; was a repossession",
    AccountStatus.PAID_WAS_CHARGE_OFF: "paid in full; was a charge-off",
    AccountStatus.PAID_FORECLOSURE_STARTED: "paid in full; a foreclosure was started",
    AccountStatus.PAST_DUE_30: "30-59 days past due",
    AccountStatus.PAST_DUE_60: "60-89 days past due",
    AccountStatus.PAST_DUE_90: "90-119 days past due",
    AccountStatus.PAST_DUE_120: "120-149 days past due",
    AccountStatus.PAST_DUE_150: "150-179 days past due",
    AccountStatus.PAST_DUE_180: "180 or more days past due",
    AccountStatus.GOVERNMENT_CLAIM: "claim filed with the government for a defaulted insured loan",
    AccountStatus.DEED_IN_LIEU: "deed received in lieu of foreclosure; a balance may be due",
    AccountStatus.COLLECTION: "assigned to internal or external collection",
    AccountStatus.FORECLOSURE_COMPLETED: "foreclosure completed; a balance may be due",
    AccountStatus.VOLUNTARY_SURRENDER: "voluntary surrender; a balance may be due",
    AccountStatus.REPOSSESSED: "merchandise repossessed; a balance may be due",
    AccountStatus.CHARGE_OFF: "unpaid balance reported as a loss (charged off)",
    AccountStatus.DELETE: "delete the entire account (not for fraud)",
    AccountStatus.DELETE_FRAUD: "delete the entire account: confirmed fraud",
}


class ComplianceCondition(StrEnum):
    """Metro 2 field 20: dispute and consumer-closure flags that persist until replaced."""

    CLOSED_AT_CONSUMER_REQUEST = "XA"
    FCRA_DISPUTE_PENDING = "XB"
    FCRA_DISPUTE_RESOLVED_CONSUMER_DISAGREES = "XC"
    CLOSED_AND_FCRA_DISPUTE = "XD"
    CLOSED_RESOLVED_CONSUMER_DISAGREES = "XE"
    FCBA_DISPUTE_PENDING = "XF"
    FCBA_DISPUTE_RESOLVED_CONSUMER_DISAGREES = "XG"
    DISPUTE_RESOLVED = "XH"
    CLOSED_AND_FCBA_DISPUTE = "XJ"
    REMOVE = "XR"

    @property
    def is_disputed(self) -> bool:
        """The report must show "disputed by consumer" (FCRA 611(c), 623(a)(3))."""
        return self.value in {"XB", "XC", "XD", "XE", "XF", "XG", "XJ"}
