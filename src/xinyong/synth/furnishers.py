"""The furnishers of the synthetic country and their reporting habits, as data.

Each furnisher fills different fields, writes names its own way, sends
identifiers more or less often and prefers one file format, the way real data
suppliers differ. A new furnisher is a new entry here, not a new branch in the
generator.
"""

from __future__ import annotations

from dataclasses import dataclass

# Name styles: how a furnisher writes a person's name.
SPLIT_NATIVE = "split_native"  # family_name / given_names in the person's script
FULL_NATIVE = "full_native"  # full_name only: 张伟, John Smith
FULL_LATIN = "full_latin"  # full_name in Latin script, family first: ZHANG WEI
SPLIT_LATIN = "split_latin"  # family_name / given_names in Latin script

FORMATS = ("csv", "jsonl", "parquet", "metro2")


@dataclass(frozen=True, slots=True)
class Product:
    """An account product with its Metro 2 portfolio and account type codes."""

    name: str
    portfolio_type: str  # C, I, M, O, R
    account_type: str  # Metro 2 two-character account type
    min_amount: int  # major currency units: loan amount, limit or monthly bill
    max_amount: int
    terms: tuple[int, ...]  # months for instalment products, () otherwise
    annual_rate: float
    hazard_offset: float  # added to the subject's logit of missing a payment

    @property
    def instalment(self) -> bool:
        return self.portfolio_type in ("I", "M")

    @property
    def revolving(self) -> bool:
        return self.portfolio_type in ("R", "C")


MORTGAGE = Product("mortgage", "M", "26", 300_000, 3_000_000, (240, 300, 360), 0.041, -0.8)
AUTO = Product("auto", "I", "00", 50_000, 300_000, (36, 48, 60), 0.055, -0.2)
CARD = Product("card", "R", "18", 5_000, 100_000, (), 0.18, 0.0)
PERSONAL_LOAN = Product("personal_loan", "I", "01", 5_000, 200_000, (6, 12, 24, 36), 0.12, 0.7)
LINE_OF_CREDIT = Product("line_of_credit", "C", "15", 20_000, 500_000, (), 0.07, -0.2)
UTILITY = Product("utility", "O", "92", 60, 600, (), 0.0, 0.5)
TELECOM = Product("telecom", "O", "4D", 30, 300, (), 0.0, 0.7)
BUSINESS_LOAN = Product("business_loan", "I", "10", 200_000, 5_000_000, (12, 24, 36, 60), 0.05, 0.0)
BUSINESS_LINE = Product("business_line", "C", "7A", 100_000, 3_000_000, (), 0.06, 0.0)
US_MORTGAGE = Product("mortgage", "M", "26", 120_000, 900_000, (180, 360), 0.065, -0.8)
US_AUTO = Product("auto", "I", "00", 12_000, 70_000, (48, 60, 72), 0.075, -0.2)
US_CARD = Product("card", "R", "18", 1_000, 30_000, (), 0.24, 0.0)


@dataclass(frozen=True, slots=True)
class Habits:
    """How a furnisher fills its records."""

    name_style: str
    id_rate: float  # share of records that carry the subject's identifier
    birth_date_rate: float
    phone_rate: float
    address_update_rate: float  # chance it learnt of the subject's latest move
    address_split: bool  # city, region, postal code in their own fields
    latin_rate: float = 0.0  # share of Chinese names sent in pinyin anyway
    fills_optional_amounts: bool = True  # highest credit, actual payment, ...
    omit_nulls: bool = False  # JSON Lines: leave out empty keys instead of null
    closed_reporting_months: int = 24  # how long a closed account is still sent
    invalid_rate: float = 0.01  # share of records broken on purpose
    uppercase_latin: bool = False


@dataclass(frozen=True, slots=True)
class Furnisher:
    """An organisation that submits files, with the formats it can send."""

    furnisher_id: str
    name: str
    kind: str  # Organisation.kind of the data model
    country: str
    currency: str
    formats: tuple[str, ...]  # preferred first
    record_kind: str  # account or public_record
    habits: Habits
    account_prefix: str = ""
    # Business contact details, fictional: made-up towns, US numbers in 555-0100..0199,
    # which the North American Numbering Plan keeps for fiction.
    address: str = ""
    telephone: str = ""

    def choose_format(self, allowed: tuple[str, ...]) -> str:
        """The furnisher's preferred format among those the run writes, so
        that limiting formats changes the encoding, never the population."""
        for fmt in self.formats:
            if fmt in allowed:
                return fmt
        return allowed[0]


BANK_A = Furnisher(
    "cn-bank-mingchuan", "明川商业银行", "bank", "CN", "CNY", ("csv", "parquet", "jsonl"),
    "account",
    Habits(SPLIT_NATIVE, id_rate=0.99, birth_date_rate=0.95, phone_rate=0.5,
           address_update_rate=0.8, address_split=True, invalid_rate=0.005),
    account_prefix="MC",
    address="明川市金融街 18 号", telephone="+86 10 5550 0118",
)  # fmt: skip
BANK_B = Furnisher(
    "cn-bank-nanhe", "南禾银行", "bank", "CN", "CNY", ("csv", "jsonl", "parquet"), "account",
    Habits(FULL_NATIVE, id_rate=0.92, birth_date_rate=0.6, phone_rate=0.0,
           address_update_rate=0.5, address_split=False, fills_optional_amounts=False,
           closed_reporting_months=3, invalid_rate=0.01),
    account_prefix="6259",
    address="南禾市中山路 6 号", telephone="+86 20 5550 0106",
)  # fmt: skip
LENDER = Furnisher(
    "cn-lender-xingqiao", "星桥消费金融有限公司", "consumer_lender", "CN", "CNY",
    ("jsonl", "csv", "parquet"), "account",
    Habits(SPLIT_NATIVE, id_rate=0.97, birth_date_rate=0.9, phone_rate=1.0,
           address_update_rate=0.6, address_split=True, latin_rate=0.3, omit_nulls=True,
           closed_reporting_months=0, invalid_rate=0.015),
    account_prefix="XQ",
    address="星桥市滨江大道 200 号", telephone="+86 21 5550 0200",
)  # fmt: skip
UTILITY_CO = Furnisher(
    "cn-utility-huadian", "华电城市供电有限公司", "utility", "CN", "CNY",
    ("parquet", "csv", "jsonl"), "account",
    Habits(FULL_NATIVE, id_rate=0.6, birth_date_rate=0.0, phone_rate=0.9,
           address_update_rate=1.0, address_split=False, fills_optional_amounts=False,
           closed_reporting_months=2, invalid_rate=0.02),
    account_prefix="HD",
    address="华电市电力路 1 号", telephone="+86 10 5550 0001",
)  # fmt: skip
TELECOM_CO = Furnisher(
    "cn-telecom-lianxun", "联讯通信有限公司", "telecom", "CN", "CNY",
    ("parquet", "jsonl", "csv"), "account",
    Habits(FULL_NATIVE, id_rate=0.95, birth_date_rate=0.3, phone_rate=1.0,
           address_update_rate=0.7, address_split=True, latin_rate=0.05,
           closed_reporting_months=1, invalid_rate=0.01),
    account_prefix="LX",
    address="联讯市信息港 9 号", telephone="+86 755 5550 0009",
)  # fmt: skip
US_CARD_ISSUER = Furnisher(
    "us-card-meridian", "Meridian Card Services", "card_issuer", "US", "USD",
    ("metro2", "jsonl", "csv"), "account",
    Habits(SPLIT_LATIN, id_rate=0.98, birth_date_rate=0.97, phone_rate=0.6,
           address_update_rate=0.9, address_split=True, uppercase_latin=True,
           invalid_rate=0.008),
    account_prefix="4147",
    address="100 Meridian Plaza, Fairview, DE 19801", telephone="+1 302 555 0142",
)  # fmt: skip
US_BANK = Furnisher(
    "us-bank-lakeshore", "Lakeshore Federal Credit Union", "bank", "US", "USD",
    ("csv", "jsonl", "parquet"), "account",
    Habits(SPLIT_LATIN, id_rate=0.0, birth_date_rate=1.0, phone_rate=0.7,
           address_update_rate=0.7, address_split=True, closed_reporting_months=12,
           invalid_rate=0.008),
    account_prefix="LFCU",
    address="1 Lakeshore Way, Fairview, IL 60601", telephone="+1 312 555 0117",
)  # fmt: skip
TAX = Furnisher(
    "cn-tax-credit", "国家税务总局纳税信用信息中心", "tax_authority", "CN", "CNY",
    ("csv", "jsonl", "parquet"), "public_record",
    Habits(FULL_NATIVE, id_rate=0.97, birth_date_rate=0.0, phone_rate=0.0,
           address_update_rate=1.0, address_split=False, invalid_rate=0.01),
    address="京安市税务大道 5 号", telephone="+86 10 5550 0005",
)  # fmt: skip
COURT = Furnisher(
    "cn-court-info", "人民法院信用信息共享平台", "court", "CN", "CNY",
    ("jsonl", "csv", "parquet"), "public_record",
    Habits(FULL_NATIVE, id_rate=0.95, birth_date_rate=0.0, phone_rate=0.0,
           address_update_rate=1.0, address_split=False, invalid_rate=0.01),
    address="京安市法院街 1 号", telephone="+86 10 5550 0011",
)  # fmt: skip
MARKET_REGULATOR = Furnisher(
    "cn-samr-credit", "市场监管信用信息公示平台", "market_regulator", "CN", "CNY",
    ("jsonl", "csv", "parquet"), "public_record",
    Habits(FULL_NATIVE, id_rate=0.96, birth_date_rate=0.0, phone_rate=0.0,
           address_update_rate=1.0, address_split=False, omit_nulls=True, invalid_rate=0.01),
    address="京安市市场监管路 8 号", telephone="+86 10 5550 0008",
)  # fmt: skip

FURNISHERS: tuple[Furnisher, ...] = (
    BANK_A, BANK_B, LENDER, UTILITY_CO, TELECOM_CO, US_CARD_ISSUER, US_BANK,
    TAX, COURT, MARKET_REGULATOR,
)  # fmt: skip
