"""Metro 2 code lists, as data, with plain-language meanings.

The authoritative text is the CDIA Credit Reporting Resource Guide (CRRG),
which is licensed and not in this repository. The lists below are the values
moov-io/metro2 accepts (``pkg/lib/constants.go``), narrowed where the CRRG
excerpts quoted in moov's comments are stricter, plus vendor manuals for
meanings (see ``shared/reference/credit-rules.md`` §5.5). Meanings marked
"(unconfirmed)" come from vendor material only; the codes themselves are
what moov accepts. A value missing here is rejected with rule
``code_list``, so adding a code is a deliberate one-line change.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from xinyong.domain.account_codes import AccountStatus

CodeList = MappingProxyType[str, str]


def _codes(pairs: dict[str, str]) -> CodeList:
    return MappingProxyType(pairs)


ACCOUNT_STATUS: Final = _codes(
    {
        "05": "Account transferred",
        "11": "Current account (0-29 days past the due date)",
        "13": "Paid or closed account, zero balance",
        "61": "Paid in full, was a voluntary surrender",
        "62": "Paid in full, was a collection account",
        "63": "Paid in full, was a repossession",
        "64": "Paid in full, was a charge-off",
        "65": "Paid in full, a foreclosure was started",
        "71": "30-59 days past the due date",
        "78": "60-89 days past the due date",
        "80": "90-119 days past the due date",
        "82": "120-149 days past the due date",
        "83": "150-179 days past the due date",
        "84": "180 days or more past the due date",
        "88": "Claim filed with the government for the insured portion of a defaulted loan",
        "89": "Deed received in lieu of foreclosure; a balance may be due",
        "93": "Assigned to internal or external collections",
        "94": "Foreclosure completed; a balance may be due",
        "95": "Voluntary surrender; a balance may be due",
        "96": "Merchandise repossessed; a balance may be due",
        "97": "Unpaid balance reported as a loss (charge-off)",
        "DA": "Delete entire account (not fraud)",
        "DF": "Delete entire account: confirmed fraud",
    }
)

STATUSES_NEEDING_PAYMENT_RATING: Final = frozenset(
    s.value for s in AccountStatus if s.needs_payment_rating
)
"""Field 17B must be reported with these statuses and blank with all others
(CRRG text quoted by moov). m2reporter.com omits 05; we follow the CRRG."""

STATUSES_NEEDING_DOFD: Final = frozenset(
    s.value for s in AccountStatus if s.needs_first_delinquency_date(None)
)
"""Date of First Delinquency hierarchy rule 1: statuses 61-65, 71, 78, 80,
82-84, 88-89 and 93-97 report the date of the first 30-day delinquency that
led to the status (CRRG field 25, quoted in moov's ``base_segment.go``)."""

DELINQUENT_PAYMENT_RATINGS: Final = frozenset({"1", "2", "3", "4", "5", "6", "G", "L"})
"""Hierarchy rule 2: statuses 05 and 13 with one of these ratings need a DOFD."""

STATUSES_NEEDING_CHARGE_OFF_AMOUNT: Final = frozenset({"64", "97"})

PAYMENT_RATING: Final = _codes(
    {
        "0": "Current (0-29 days past the due date)",
        "1": "30-59 days past the due date",
        "2": "60-89 days past the due date",
        "3": "90-119 days past the due date",
        "4": "120-149 days past the due date",
        "5": "150-179 days past the due date",
        "6": "180 days or more past the due date",
        "G": "Collection",
        "L": "Charge-off",
    }
)

PAYMENT_HISTORY: Final = _codes(
    {
        "0": "Current (0 payments past due)",
        "1": "30-59 days past the due date",
        "2": "60-89 days past the due date",
        "3": "90-119 days past the due date",
        "4": "120-149 days past the due date",
        "5": "150-179 days past the due date",
        "6": "180 days or more past the due date",
        "B": "No payment history available before this month (never embedded)",
        "D": "No payment history available this month",
        "E": "Zero balance and current (credit cards and lines of credit)",
        "G": "Collection",
        "H": "Foreclosure completed",
        "J": "Voluntary surrender",
        "K": "Repossession",
        "L": "Charge-off",
    }
)
"""Payment History Profile characters. The CRRG says no other values are
acceptable; moov also accepts Z and blank, we do not."""

ECOA: Final = _codes(
    {
        "1": "Individual",
        "2": "Joint contractual liability",
        "3": "Authorized user",
        "5": "Co-maker or guarantor",
        "7": "Maker",
        "T": "Association with the account terminated",
        "W": "Business or commercial",
        "X": "Deceased",
        "Z": "Delete this consumer from the account",
    }
)
"""ECOA codes 0, 4 and 6 are obsolete since September 2003. W = business and
X = deceased follow the CRRG 2000 excerpt (one vendor swaps them)."""

ECOA_AUTHORIZED_USER: Final = "3"
ECOA_BUSINESS: Final = "W"
ECOA_DELETE: Final = "Z"

SPECIAL_COMMENT: Final = _codes(
    {
        "B": "Account payments managed by a financial counselling programme",
        "C": "Paid by co-maker or guarantor",
        "H": "Loan assumed by another party (unconfirmed)",
        "I": "Election of remedy (unconfirmed)",
        "M": "Account closed at the credit grantor's request",
        "O": "Account transferred to another company or servicer",
        "S": "Special handling: contact the credit grantor",
        "V": "Adjustment pending",
        "AB": "Debt being paid through insurance",
        "AC": "Paying under a partial payment agreement",
        "AH": "Purchased by another company",
        "AI": "Recalled to active military duty",
        "AM": "Payments assured by wage garnishment",
        "AN": "Account acquired by RTC/FDIC/NCUA (unconfirmed)",
        "AO": "Voluntarily surrendered, then redeemed or reinstated (unconfirmed)",
        "AP": "Credit line suspended",
        "AS": "Account closed due to refinance",
        "AT": "Account closed due to transfer",
        "AU": "Paid in full for less than the full balance",
        "AV": "First payment never received",
        "AW": "Affected by a natural or declared disaster",
        "AX": "Account paid from collateral",
        "AZ": "Redeemed or reinstated repossession (unconfirmed)",
        "BA": "Transferred to recovery",
        "BB": "Full termination, status pending (unconfirmed)",
        "BC": "Full termination, obligation satisfied (unconfirmed)",
        "BD": "Full termination, balance owing (unconfirmed)",
        "BE": "Early termination, status pending (unconfirmed)",
        "BF": "Early termination, obligation satisfied (unconfirmed)",
        "BG": "Early termination, balance owing (unconfirmed)",
        "BH": "Early termination, insurance loss (unconfirmed)",
        "BI": "Involuntary repossession (unconfirmed)",
        "BJ": "Involuntary repossession, obligation satisfied (unconfirmed)",
        "BK": "Involuntary repossession, balance owing (unconfirmed)",
        "BL": "Credit card lost or stolen",
        "BN": "Paid by the company that originally sold the merchandise (unconfirmed)",
        "BO": "Foreclosure proceedings started (unconfirmed)",
        "BP": "Paid through insurance",
        "BS": "Prepaid lease (unconfirmed)",
        "BT": "Principal deferred, interest payments only",
        "CH": "Guaranteed or insured (unconfirmed)",
        "CI": "Account closed due to inactivity",
        "CJ": "Credit line no longer available, in repayment phase (unconfirmed)",
        "CK": "Credit line reduced due to collateral depreciation (unconfirmed)",
        "CL": "Credit line suspended due to collateral depreciation (unconfirmed)",
        "CM": "Collateral released by the creditor, balance owing (unconfirmed)",
        "CN": "Loan modified under a federal government plan",
        "CO": "Loan modified",
        "CP": "Account in forbearance (unconfirmed)",
        "CS": "(meaning unconfirmed; accepted by moov-io/metro2)",
        "DE": "Debt extinguished under state law (unconfirmed)",
    }
)

COMPLIANCE_CONDITION: Final = _codes(
    {
        "XA": "Account closed at the consumer's request",
        "XB": "Disputed under the FCRA; investigation pending",
        "XC": "FCRA dispute investigation completed; the consumer disagrees",
        "XD": "Closed at the consumer's request and in FCRA dispute",
        "XE": "Closed at the consumer's request; investigation completed; the consumer disagrees",
        "XF": "In dispute under the Fair Credit Billing Act (FCBA)",
        "XG": "FCBA dispute resolved; the consumer disagrees",
        "XH": "Previously in dispute, now resolved",
        "XJ": "Closed at the consumer's request and in FCBA dispute",
        "XR": "Removes the most recently reported compliance condition code",
    }
)

PORTFOLIO_TYPE: Final = _codes(
    {
        "C": "Line of credit",
        "I": "Installment",
        "M": "Mortgage",
        "O": "Open",
        "R": "Revolving",
    }
)
"""moov also accepts L (lease); the CRRG list has five types, so we do not."""

ACCOUNT_TYPE: Final = _codes(
    {
        "00": "Auto",
        "01": "Unsecured",
        "02": "Secured",
        "03": "Partially secured",
        "04": "Home improvement",
        "05": "FHA home improvement",
        "06": "Installment sales contract",
        "07": "Charge account",
        "08": "Real estate, specific type unknown",
        "0A": "Time share loan",
        "0C": "Debt buyer",
        "0F": "Construction loan (unconfirmed)",
        "0G": "Flexible spending credit card",
        "10": "Business loan, personally guaranteed",
        "11": "Recreational merchandise",
        "12": "Education",
        "13": "Lease",
        "15": "Line of credit",
        "17": "Manufactured housing",
        "18": "Credit card",
        "19": "FHA real estate mortgage",
        "20": "Note loan",
        "25": "VA real estate mortgage",
        "26": "Conventional real estate mortgage",
        "29": "Rental agreement",
        "2A": "Secured credit card",
        "2C": "FmHA real estate mortgage",
        "37": "Combined credit plan",
        "3A": "Auto lease",
        "43": "Debit card",
        "47": "Credit line secured",
        "48": "Collection agency or attorney",
        "4D": "Telecommunication or cellular",
        "50": "Family support",
        "5A": "Real estate, junior liens and non-purchase-money first",
        "5B": "Second mortgage",
        "65": "Government unsecured guaranteed loan",
        "66": "Government secured guaranteed loan",
        "67": "Government unsecured direct loan",
        "68": "Government secured direct loan",
        "69": "Government grant",
        "6A": "Commercial installment loan, personally guaranteed",
        "6B": "Commercial mortgage loan, personally guaranteed",
        "6D": "Home equity loan",
        "70": "Government overpayment",
        "71": "Government fine",
        "72": "Government fee for services",
        "73": "Government employee advance",
        "74": "Government miscellaneous debt",
        "75": "Government benefit",
        "77": "Returned check",
        "7A": "Commercial line of credit, personally guaranteed",
        "7B": "Agricultural",
        "89": "Home equity line of credit",
        "8A": "Business credit card, personally guaranteed",
        "8B": "Deposit account with overdraft protection",
        "90": "Medical debt",
        "91": "Debt consolidation",
        "92": "Utility company",
        "93": "Child support",
        "95": "Attorney fees",
        "9A": "Secured home improvement",
        "9B": "Business line, personally guaranteed",
    }
)
"""Codes are moov's list; meanings other than 06, 2A, 4D and 92 are from
vendor material and general knowledge, not the CRRG Exhibit 1 itself."""

CONSUMER_INFORMATION_INDICATOR: Final = _codes(
    {
        "A": "Petition for Chapter 7 bankruptcy",
        "B": "Petition for Chapter 11 bankruptcy",
        "C": "Petition for Chapter 12 bankruptcy",
        "D": "Petition for Chapter 13 bankruptcy",
        "E": "Discharged through Chapter 7 bankruptcy",
        "F": "Discharged through Chapter 11 bankruptcy",
        "G": "Discharged through Chapter 12 bankruptcy",
        "H": "Discharged or completed through Chapter 13 bankruptcy",
        "I": "Chapter 7 bankruptcy dismissed (unconfirmed)",
        "J": "Chapter 11 bankruptcy dismissed (unconfirmed)",
        "K": "Chapter 12 bankruptcy dismissed (unconfirmed)",
        "L": "Chapter 13 bankruptcy dismissed (unconfirmed)",
        "M": "Chapter 7 bankruptcy withdrawn (unconfirmed)",
        "N": "Chapter 11 bankruptcy withdrawn (unconfirmed)",
        "O": "Chapter 12 bankruptcy withdrawn (unconfirmed)",
        "P": "Chapter 13 bankruptcy withdrawn (unconfirmed)",
        "Q": "Removes a previously reported bankruptcy indicator",
        "R": "Reaffirmation of debt (unconfirmed)",
        "S": "Removes a previously reported reaffirmation of debt (unconfirmed)",
        "T": "Credit grantor cannot locate the consumer",
        "U": "Consumer now located (removes T)",
        "V": "Chapter 7 reaffirmation of debt rescinded",
        "Z": "Bankruptcy petition, chapter undesignated",
        "1A": "Personal receivership",
    }
)
"""W, X and Y (reaffirmation rescinded for chapters 11-13) are obsolete since
September 2010 and rejected."""

BANKRUPTCY_INDICATORS: Final = frozenset({"A", "B", "C", "D", "E", "F", "G", "H", "Z", "1A", "V"})
"""DOFD hierarchy rule 3: with these indicators a current account still
reports a DOFD (the petition date), for purging."""

TERMS_FREQUENCY: Final = _codes(
    {
        "D": "Deferred",
        "P": "Single payment loan",
        "W": "Weekly",
        "B": "Biweekly",
        "E": "Semimonthly",
        "M": "Monthly",
        "L": "Bimonthly",
        "Q": "Quarterly",
        "T": "Tri-annually",
        "S": "Semiannually",
        "Y": "Annually",
    }
)

TERMS_DURATION_CONSTANTS: Final = _codes(
    {"LOC": "Line of credit", "REV": "Revolving", "001": "Open: one payment as scheduled"}
)

INTEREST_TYPE: Final = _codes({"F": "Fixed", "V": "Variable or adjustable"})

GENERATION_CODE: Final = _codes(
    {
        "J": "Junior",
        "S": "Senior",
        "2": "II",
        "3": "III",
        "4": "IV",
        "5": "V",
        "6": "VI",
        "7": "VII",
        "8": "VIII",
        "9": "IX",
    }
)

ADDRESS_INDICATOR: Final = _codes(
    {
        "C": "Confirmed or verified address",
        "Y": "Known to be the consumer's address",
        "N": "Not confirmed",
        "M": "Military address",
        "S": "Secondary address",
        "B": "Business address, not the consumer's residence",
        "U": "Non-deliverable address or returned mail",
        "D": "Data furnisher's default address",
        "P": "Bill payer service, not the consumer's residence",
    }
)

RESIDENCE_CODE: Final = _codes({"O": "Owns", "R": "Rents"})

PROCESSING_INDICATOR: Final = _codes({"1": "Constant"})

CORRECTION_INDICATOR: Final = _codes({"0": "Original record", "1": "Correction (replacement)"})

CREDITOR_CLASSIFICATION: Final = _codes(
    {
        "01": "Retail",
        "02": "Medical or health care",
        "03": "Oil company",
        "04": "Government",
        "05": "Personal services",
        "06": "Insurance",
        "07": "Educational",
        "08": "Banking",
        "09": "Rental or leasing",
        "10": "Utilities",
        "11": "Cable or cellular",
        "12": "Financial",
        "13": "Credit union",
        "14": "Automotive",
        "15": "Check guarantee",
    }
)

PURCHASED_INDICATOR: Final = _codes(
    {"1": "Purchased from", "2": "Sold to", "9": "Remove previously reported K2 information"}
)

AGENCY_IDENTIFIER: Final = _codes({"00": "Not applicable", "01": "Fannie Mae", "02": "Freddie Mac"})

SPECIALIZED_PAYMENT_INDICATOR: Final = _codes({"01": "Balloon payment", "02": "Deferred payment"})

CHANGE_INDICATOR: Final = _codes(
    {
        "1": "Consumer account number change only",
        "2": "Identification number change only",
        "3": "Consumer account number and identification number change",
    }
)

FIELD_CODES: Final[dict[tuple[str, str], CodeList]] = {
    ("base", "processing_indicator"): PROCESSING_INDICATOR,
    ("base", "correction_indicator"): CORRECTION_INDICATOR,
    ("base", "portfolio_type"): PORTFOLIO_TYPE,
    ("base", "account_type"): ACCOUNT_TYPE,
    ("base", "terms_frequency"): TERMS_FREQUENCY,
    ("base", "account_status"): ACCOUNT_STATUS,
    ("base", "payment_rating"): PAYMENT_RATING,
    ("base", "special_comment"): SPECIAL_COMMENT,
    ("base", "compliance_condition_code"): COMPLIANCE_CONDITION,
    ("base", "interest_type_indicator"): INTEREST_TYPE,
    ("base", "generation_code"): GENERATION_CODE,
    ("base", "ecoa_code"): ECOA,
    ("base", "consumer_information_indicator"): CONSUMER_INFORMATION_INDICATOR,
    ("base", "address_indicator"): ADDRESS_INDICATOR,
    ("base", "residence_code"): RESIDENCE_CODE,
    ("J1", "generation_code"): GENERATION_CODE,
    ("J1", "ecoa_code"): ECOA,
    ("J1", "consumer_information_indicator"): CONSUMER_INFORMATION_INDICATOR,
    ("J2", "generation_code"): GENERATION_CODE,
    ("J2", "ecoa_code"): ECOA,
    ("J2", "consumer_information_indicator"): CONSUMER_INFORMATION_INDICATOR,
    ("J2", "address_indicator"): ADDRESS_INDICATOR,
    ("J2", "residence_code"): RESIDENCE_CODE,
    ("K1", "creditor_classification"): CREDITOR_CLASSIFICATION,
    ("K2", "purchased_indicator"): PURCHASED_INDICATOR,
    ("K3", "agency_identifier"): AGENCY_IDENTIFIER,
    ("K4", "specialized_payment_indicator"): SPECIALIZED_PAYMENT_INDICATOR,
    ("L1", "change_indicator"): CHANGE_INDICATOR,
}
"""Which code list governs which field. A blank optional field is absent and
is not checked against its list; the ``required`` rule handles blanks."""


def meaning(segment: str, field: str, code: str) -> str | None:
    """Plain-language meaning of ``code`` in ``segment.field``, if listed."""
    codes = FIELD_CODES.get((segment, field))
    return None if codes is None else codes.get(code.strip())
