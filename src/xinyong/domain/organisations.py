"""Organisations that furnish data, ask for reports, or run the system.

Roles are separate from kind because one bank both furnishes its loans and
inquires about applicants, and each role has its own duties (accuracy for a
furnisher, permissible purpose for an inquirer).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from xinyong.domain._checks import country_code, enum_field, non_blank, require, utc_instant
from xinyong.domain.errors import DomainError

__all__ = ["OrgRole", "Organisation", "OrganisationKind"]


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
