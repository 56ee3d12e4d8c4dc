"""Organisations that furnish data, ask for reports, or run the system.

Roles are separate from kind because one bank both furnishes its loans and
inquires about applicants, and each role has its own duties (accuracy for a
furnisher, permissible purpose for an inquirer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from xinyong.domain._checks import country_code, enum_field, non_blank, require, utc_instant
from xinyong.domain.errors import DomainError

__all__ = ["OrgRole", "Organisation", "OrganisationKind", "business_contact"]

#: A telephone number as printed for the public: digits, an optional leading ``+``,
#: and the usual separators; 5 to 32 characters.
_TELEPHONE: Final = re.compile(r"\+?[0-9][0-9 ().\-/]{3,30}")
_ADDRESS_MAX: Final = 512


class OrganisationKind(StrEnum):
    """What an organisation is; decides which record kinds it may furnish."""

    BANK = "bank"
    CARD_ISSUER = "card_issuer"
    CONSUMER_LENDER = "consumer_lender"
    UTILITY = "utility"
    TELECOM = "telecom"
    TAX_AUTHORITY = "tax_authority"
    COURT = "court"
    MARKET_REGULATOR = "market_regulator"
    INQUIRER = "inquirer"
    OPERATOR = "operator"


class OrgRole(StrEnum):
    """What an organisation does in the system."""

    FURNISHER = "furnisher"
    INQUIRER = "inquirer"
    OPERATOR = "operator"


@dataclass(frozen=True, slots=True, kw_only=True)
class Organisation:
    """A furnisher, inquirer or operator; at least one role, or it has no business here."""

    org_id: str
    name: str
    kind: OrganisationKind
    roles: frozenset[OrgRole]
    country: str
    created_at: datetime

    def __post_init__(self) -> None:
        non_blank(self.org_id, "org_id")
        non_blank(self.name, "name")
        enum_field(self, "kind", OrganisationKind)
        try:
            roles = frozenset(OrgRole(role) for role in self.roles)
        except ValueError:
            raise DomainError(
                "roles", "unknown_code", f"unknown role in {sorted(self.roles)!r}"
            ) from None
        object.__setattr__(self, "roles", roles)
        require(bool(roles), "roles", "required", "an organisation needs at least one role")
        country_code(self.country, "country")
        utc_instant(self.created_at, "created_at")

    def has_role(self, role: OrgRole) -> bool:
        """Whether the organisation may act in ``role``."""
        return role in self.roles


def business_contact(address: str | None, telephone: str | None) -> tuple[str | None, str | None]:
    """An organisation's business address and telephone number as kept: stripped, blank
    as none.

    Why kept at all: the description of a reinvestigation the consumer may ask for names
    the business name, address and telephone number of any furnisher contacted, where
    reasonably available (FCRA 611(a)(7)). They are the organisation's public business
    details, not a person's.
    """
    address = (address or "").strip() or None
    telephone = (telephone or "").strip() or None
    if address is not None:
        require(
            len(address) <= _ADDRESS_MAX,
            "address",
            "too_long",
            f"at most {_ADDRESS_MAX} characters, got {len(address)}",
        )
    if telephone is not None:
        require(
            _TELEPHONE.fullmatch(telephone) is not None,
            "telephone",
            "format",
            "digits with an optional leading + and spaces, dots, dashes, slashes or "
            f"brackets, 5 to 32 characters; got {telephone!r}",
        )
    return address, telephone
