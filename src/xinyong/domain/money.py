"""Money as an integer of minor units plus an ISO 4217 currency.

Floats cannot represent 0.10 exactly and silently lose fen and cents in sums, so
amounts are integers of the currency's minor unit (fen, cents, yen) everywhere:
in the domain, in the ledger (``*_minor`` columns) and in the store. Decimal is
the only way in and out of a human-readable amount, and the exponent comes from
the ISO 4217 table below, never from a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

from xinyong.domain._checks import require
from xinyong.domain.errors import DomainError

__all__ = ["MINOR_UNIT_EXPONENTS", "Money", "is_known_currency", "minor_unit_exponent"]

_CODE: Final = re.compile(r"[A-Z]{3}")

# ISO 4217 minor-unit exponents of the currencies in circulation (list 1), plus a
# few withdrawn recently enough to appear in a 24-month history (HRK, SLL, ZWL,
# ANG, CUC). Exponent 2 unless listed otherwise; fund and metal codes without a
# minor unit (XAU, XDR, XXX, ...) are left out on purpose: they are not debts.
_TWO: Final = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD "
    "BTN BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD "
    "EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HRK HTG HUF IDR ILS "
    "INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT "
    "MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR "
    "PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP "
    "SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER "
    "ZAR ZMW ZWG ZWL"
)
_ZERO: Final = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE: Final = "BHD IQD JOD KWD LYD OMR TND"
_FOUR: Final = "CLF UYW"

MINOR_UNIT_EXPONENTS: Final[dict[str, int]] = {
    **dict.fromkeys(_TWO.split(), 2),
    **dict.fromkeys(_ZERO.split(), 0),
    **dict.fromkeys(_THREE.split(), 3),
    **dict.fromkeys(_FOUR.split(), 4),
}
"""Currency code -> number of decimal places of its minor unit (CNY 2, JPY 0, KWD 3)."""


def is_known_currency(code: str) -> bool:
    """Whether ``code`` is an ISO 4217 currency this system accepts."""
    return code in MINOR_UNIT_EXPONENTS


def minor_unit_exponent(code: str) -> int:
    """Decimal places of ``code``'s minor unit; raises ``DomainError`` for unknown codes."""
    _check_currency(code, "currency")
    return MINOR_UNIT_EXPONENTS[code]


def _check_currency(code: str, field: str) -> None:
    require(
        isinstance(code, str) and _CODE.fullmatch(code) is not None,
        field,
        "currency_format",
        f"must be three upper-case letters (ISO 4217), got {code!r}",
    )
    require(code in MINOR_UNIT_EXPONENTS, field, "currency_unknown", f"unknown currency {code!r}")


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount: ``amount_minor`` units of ``currency``'s minor unit.

    Arithmetic and comparison work only between equal currencies and raise
    ``DomainError`` (rule ``currency_mismatch``) otherwise: adding yuan to dollars
    is always a bug, and converting needs a dated rate that the domain does not own.
    Negative amounts are allowed here (a difference, a refund); records that must
    not be negative check that themselves.
    """

    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        require(
            isinstance(self.amount_minor, int) and not isinstance(self.amount_minor, bool),
            "amount_minor",
            "integer",
            f"must be an integer of minor units, got {type(self.amount_minor).__name__}",
        )
        _check_currency(self.currency, "currency")

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Nothing, in ``currency``: the start of a sum."""
        return cls(0, currency)

    @classmethod
    def from_decimal(
        cls, value: Decimal | int | str, currency: str, *, rounding: str | None = None
    ) -> Money:
        """Convert a major-unit amount ("12.34" yuan) into minor units (1234 fen).

        Without ``rounding`` an amount finer than the minor unit raises
        (rule ``too_precise``) rather than losing money silently; pass a
        ``decimal`` rounding mode (e.g. ``ROUND_DOWN``, which is how Metro 2
        truncates cents) to round on purpose. Floats are refused outright.
        """
        if isinstance(value, float | bool):
            raise DomainError("amount", "float_forbidden", "pass a Decimal, int or str, not float")
        exponent = minor_unit_exponent(currency)
        try:
            number = Decimal(value)
        except (InvalidOperation, ValueError, TypeError) as exc:
            raise DomainError("amount", "not_a_number", f"not a number: {value!r}") from exc
        require(number.is_finite(), "amount", "not_a_number", f"not a finite number: {value!r}")
        scaled = number.scaleb(exponent)
        whole = scaled.to_integral_value(rounding=rounding)
        if rounding is None and whole != scaled:
            raise DomainError(
                "amount",
                "too_precise",
                f"{value} has more than {exponent} decimal places for {currency}",
            )
        return cls(int(whole), currency)

    def to_decimal(self) -> Decimal:
        """The amount in major units, exact, with the currency's number of places."""
        return Decimal(self.amount_minor).scaleb(-MINOR_UNIT_EXPONENTS[self.currency])

    @property
    def is_zero(self) -> bool:
        """Whether the amount is exactly nothing."""
        return self.amount_minor == 0

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise DomainError(
                "currency",
                "currency_mismatch",
                f"cannot combine {self.currency} with {other.currency}",
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount_minor, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount_minor), self.currency)

    def __mul__(self, factor: int) -> Money:
        if not isinstance(factor, int) or isinstance(factor, bool):
            raise TypeError("Money can only be multiplied by an int (no floats)")
        return Money(self.amount_minor * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount_minor < other.amount_minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount_minor <= other.amount_minor

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount_minor > other.amount_minor

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount_minor >= other.amount_minor

    def __str__(self) -> str:
        return f"{self.currency} {self.to_decimal()}"
