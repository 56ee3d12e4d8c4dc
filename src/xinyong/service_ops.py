"""Operator actions for the service: inquirers, API keys, subject log-in codes.

Each opens the deployment, does one audited write in one transaction, and
returns what the operator must hand over (a key or code is shown only once).
The CLI is a thin shell over these.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from xinyong.api import admin, keys, subject_auth
from xinyong.domain.organisations import OrganisationKind
from xinyong.errors import UserError
from xinyong.settings import Settings
from xinyong.store.engine import transaction
from xinyong.system import new_furnisher_id, open_system


def add_inquirer(settings: Settings, name: str, purposes: list[str], country: str = "CN") -> str:
    """Register a vetted inquirer allowed to ask for ``purposes``; returns its id."""
    org_id = new_furnisher_id(name, OrganisationKind.INQUIRER)
    sys_ = open_system(settings)
    try:
        with transaction(sys_.engine) as conn:
            admin.register_organisation(
                conn, org_id=org_id, name=name, kind="inquirer", roles=["inquirer"], country=country
            )
            admin.grant_purposes(conn, org_id, purposes)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    finally:
        sys_.engine.dispose()
    return org_id


def add_operator(settings: Settings, name: str, country: str = "CN") -> str:
    """Register an operator or regulator organisation; returns its id."""
    org_id = new_furnisher_id(name, OrganisationKind.OPERATOR)
    sys_ = open_system(settings)
    try:
        with transaction(sys_.engine) as conn:
            admin.register_organisation(
                conn, org_id=org_id, name=name, kind="operator", roles=["operator"], country=country
            )
    finally:
        sys_.engine.dispose()
    return org_id


def create_api_key(settings: Settings, org_id: str, role: str, days: int | None) -> keys.NewKey:
    """A new API key for an organisation's role; the token is shown once and stored hashed."""
    sys_ = open_system(settings)
    try:
        with transaction(sys_.engine) as conn:
            ttl = timedelta(days=days) if days else None
            return keys.create_key(conn, org_id, role, ttl)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    finally:
        sys_.engine.dispose()


def revoke_api_key(settings: Settings, key_id: str) -> None:
    """Revoke a key at once."""
    sys_ = open_system(settings)
    try:
        with transaction(sys_.engine) as conn:
            if not keys.revoke_key(conn, key_id):
                raise UserError(f"no active key {key_id!r}")
    finally:
        sys_.engine.dispose()


def issue_subject_code(settings: Settings, subject_id: str) -> str:
    """A one-time log-in code for a subject (stands in for an identity provider)."""
    sys_ = open_system(settings)
    try:
        with transaction(sys_.engine) as conn:
            return subject_auth.issue_code(conn, subject_id, now=datetime.now(UTC))
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    finally:
        sys_.engine.dispose()
