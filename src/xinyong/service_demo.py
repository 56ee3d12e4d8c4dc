"""After the demo's batch run: the logins that let a user try the service.

:func:`service_logins` registers a demo inquirer (with the purposes the
profile lets a lender use) and a demo operator, creates one API key for each,
issues a one-time code for one subject, and returns the text telling the user
how to sign in as each, with ``curl`` examples against ``xinyong serve``.
Keys and the code are shown once, here; the store keeps only their hashes.

The store holds identifiers only as keyed hashes, so the text can show an
inquiry by identifier only when the caller passes one it knows in clear (the
demo's generator does); otherwise the example says where to put one.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import select

from xinyong.api.admin import grant_purposes, register_organisation
from xinyong.api.keys import create_key
from xinyong.api.subject_auth import issue_code
from xinyong.domain.inquiries import Purpose
from xinyong.identifiers.hashing import identifier_hash
from xinyong.identifiers.registry import Identifier, validate
from xinyong.policy import get_profile
from xinyong.store import repositories
from xinyong.store.engine import transaction
from xinyong.store.files_schema import file_account_items
from xinyong.store.schema import scores, subjects
from xinyong.system import System

__all__ = ["DEMO_INQUIRER", "DEMO_OPERATOR", "ServiceLogins", "service_logins"]

DEMO_INQUIRER: Final = "demo-lender"
DEMO_OPERATOR: Final = "demo-regulator"
KEY_TTL: Final = timedelta(days=30)
DEMO_PURPOSES: Final = (Purpose.CREDIT_APPLICATION, Purpose.ACCOUNT_REVIEW)


@dataclass(frozen=True, slots=True)
class ServiceLogins:
    """The credentials made (each shown once) and the text that explains them."""

    inquirer_key: str
    operator_key: str
    subject_id: str
    subject_code: str
    text: str


def _pick_subject(system: System, identifier: tuple[str, str] | None) -> str:
    with system.engine.connect() as conn:
        if identifier is not None:
            ident = Identifier.from_validated(validate(*identifier))
            found = repositories.subjects_with_identifier(
                conn, ident.scheme, identifier_hash(system.hash_key, ident)
            )
            if not found:
                raise ValueError("no subject holds the example identifier")
            return found[0]
        # A subject with published accounts and a score shows the most.
        for query in (
            select(file_account_items.c.subject_id)
            .join(scores, scores.c.subject_id == file_account_items.c.subject_id)
            .where(file_account_items.c.shown.is_(True)),
            select(file_account_items.c.subject_id).where(file_account_items.c.shown.is_(True)),
            select(subjects.c.subject_id).where(subjects.c.status == "active"),
        ):
            row = conn.execute(query.order_by(query.selected_columns[0]).limit(1)).first()
            if row is not None:
                return str(row[0])
    raise ValueError("the store has no subject yet: run the demo's batch first")


def _ensure_org(
    system: System, org_id: str, name: str, kind: str, role: str, now: datetime
) -> None:
    with transaction(system.engine) as conn:
        if repositories.get_organisation(conn, org_id) is None:
            country = system.settings.jurisdiction.value
            register_organisation(
                conn, org_id=org_id, name=name, kind=kind, roles=[role], country=country
            )
        if role == "inquirer":
            grant_purposes(conn, org_id, DEMO_PURPOSES, now=now)


def service_logins(
    system: System,
    *,
    base_url: str = "http://127.0.0.1:8000",
    identifier: tuple[str, str] | None = None,
    now: datetime | None = None,
) -> ServiceLogins:
    """Create the demo's logins and return how to use them (see the module doc)."""
    now = now or datetime.now(UTC)
    profile = get_profile(system.settings.jurisdiction)
    _ensure_org(system, DEMO_INQUIRER, "Demo Lender", "bank", "inquirer", now)
    _ensure_org(system, DEMO_OPERATOR, "Demo Regulator", "regulator", "operator", now)
    subject_id = _pick_subject(system, identifier)
    with transaction(system.engine) as conn:
        inquirer = create_key(conn, DEMO_INQUIRER, "inquirer", KEY_TTL, now=now).token
        operator = create_key(conn, DEMO_OPERATOR, "operator", KEY_TTL, now=now).token
        code = issue_code(conn, subject_id, now=now)
    scheme, value = identifier or ("cn_ric", "<the subject's identifier>")
    needs_consent = Purpose.CREDIT_APPLICATION in profile.consent_required_for
    body = {"identifier": {"scheme": scheme, "value": value}, "purpose": "credit_application"}
    if needs_consent:
        body["consent_id"] = "<consent_id from step 2>"
    json_body = shlex.quote(str(body).replace("'", '"'))
    lines = [
        f"The service: xinyong serve   (then open {base_url}/docs for the API)",
        "",
        f"Subject {subject_id} (one-time code, valid for a short time, usable once):",
        f"  in a browser: {base_url}/portal (sign in with the code: report, inquiries, "
        "consents, disputes, statements)",
        "  or over the API:",
        f"  1. curl -s -X POST {base_url}/v1/subject/session -H 'Content-Type: application/json' "
        f"""-d '{{"code": "{code}"}}'""",
        '     -> {"token": "s_..."}; then, with that token:',
        f"     curl -s {base_url}/v1/subject/report -H 'Authorization: Bearer <token>'",
        f"     open in a browser as HTML: {base_url}/v1/subject/report?format=html "
        "(or ?format=pdf)",
    ]
    if needs_consent:
        lines += [
            f"  2. the {profile.name} profile needs the subject's consent first:",
            f"     curl -s -X POST {base_url}/v1/subject/consents -H 'Authorization: Bearer "
            "<token>' -H 'Content-Type: application/json' "
            f"""-d '{{"inquirer_org_id": "{DEMO_INQUIRER}", "purpose": "credit_application"}}'""",
        ]
    lines += [
        "",
        f"Inquirer {DEMO_INQUIRER} (API key, shown once; purposes: "
        f"{', '.join(p.value for p in DEMO_PURPOSES)}):",
        f"  curl -s -X POST '{base_url}/v1/inquirer/inquiries?format=html' "
        f"-H 'Authorization: Bearer {inquirer}' -H 'Content-Type: application/json' -d {json_body}",
        f"  score:  same body to {base_url}/v1/inquirer/score",
        f"  notice: curl -s '{base_url}/v1/inquirer/inquiries/<inquiry_id>/adverse-action-notice"
        f"?format=pdf' -H 'Authorization: Bearer {inquirer}' -o notice.pdf",
        "",
        f"Operator {DEMO_OPERATOR} (API key, shown once):",
        f"  curl -s {base_url}/v1/operator/audit/verify -H 'Authorization: Bearer {operator}'",
    ]
    return ServiceLogins(
        inquirer_key=inquirer,
        operator_key=operator,
        subject_id=subject_id,
        subject_code=code,
        text="\n".join(lines),
    )
