"""Operator set-up the CLI will call: register inquirers and operators, vet purposes.

``system.register_furnisher`` registers furnishers; inquirers and operators are
registered here, and an inquirer may inquire only for the purposes it was
granted (default: none), in addition to what the jurisdiction profile requires.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, delete, insert

from xinyong.audit import chain
from xinyong.domain.inquiries import Purpose
from xinyong.store import repositories
from xinyong.store.service_schema import inquirer_purposes
from xinyong.store.types import utc_now

__all__ = ["grant_purposes", "register_organisation"]


def register_organisation(
    conn: Connection,
    *,
    org_id: str,
    name: str,
    kind: str,
    roles: Iterable[str],
    country: str,
    actor: str = "operator",
) -> None:
    """Register an organisation with its roles, audited in the caller's transaction."""
    role_list = sorted(set(roles))
    repositories.add_organisation(
        conn, org_id=org_id, name=name, kind=kind, roles=role_list, country=country
    )
    chain.append(
        conn,
        actor=actor,
        action="organisation.registered",
        subject_id=None,
        reason="organisation registration",
        payload={"org_id": org_id, "name": name, "kind": kind, "roles": role_list},
    )


def grant_purposes(
    conn: Connection,
    org_id: str,
    purposes: Iterable[Purpose | str],
    *,
    actor: str = "operator",
    now: datetime | None = None,
) -> list[str]:
    """Set the purposes ``org_id`` may inquire for (replacing earlier grants)."""
    org = repositories.get_organisation(conn, org_id)
    if org is None or "inquirer" not in (org["roles"] or []):
        raise ValueError(f"{org_id!r} is not a registered inquirer")
    chosen = sorted({Purpose(p).value for p in purposes} - {Purpose.SUBJECT_REQUEST.value})
    at = now or utc_now()
    conn.execute(delete(inquirer_purposes).where(inquirer_purposes.c.org_id == org_id))
    if chosen:
        conn.execute(
            insert(inquirer_purposes),
            [{"org_id": org_id, "purpose": p, "granted_at": at} for p in chosen],
        )
    chain.append(
        conn,
        actor=actor,
        action="inquirer.purposes_granted",
        subject_id=None,
        reason="inquirer vetting",
        payload={"org_id": org_id, "purposes": chosen},
        at=at,
    )
    return chosen
