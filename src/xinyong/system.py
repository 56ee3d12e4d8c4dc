"""The operator's view of one deployment: its store, its ledger, its key.

The CLI and (later) the API are shells over these functions. Each takes the
:class:`~xinyong.settings.Settings` and does one whole job, so that a command
is a parse, one call here, and a print.
"""

from __future__ import annotations

import re
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from xinyong import __version__
from xinyong.audit import chain
from xinyong.domain.errors import DomainError
from xinyong.domain.organisations import OrganisationKind, business_contact
from xinyong.errors import UserError
from xinyong.ingest.pipeline import BatchReport, ingest_file
from xinyong.ledger import Ledger
from xinyong.settings import Settings
from xinyong.store import inquiry_log, migrate, repositories, schema
from xinyong.store.engine import make_engine, transaction


@dataclass(frozen=True, slots=True)
class System:
    """An opened deployment: the store engine, the ledger and the hash key."""

    settings: Settings
    engine: Engine
    ledger: Ledger
    hash_key: bytes


@dataclass(frozen=True, slots=True)
class InitReport:
    store_url: str
    ledger_dir: Path
    revision: str | None
    created: bool


@dataclass(frozen=True, slots=True)
class StatusReport:
    store_url: str
    revision: str | None
    head_revision: str
    jurisdiction: str
    ledger_dir: Path
    ledger_batches: Counter[str]
    ledger_snapshot: str | None
    audit_head_seq: int | None
    audit_head_hash: str | None
    inquiry_head_seq: int | None
    inquiry_head_hash: str | None
    table_counts: dict[str, int] = field(default_factory=dict)

    @property
    def up_to_date(self) -> bool:
        return self.revision == self.head_revision


def safe_url(url: str) -> str:
    """The store URL with any password hidden, fit to print."""
    return make_url(url).render_as_string(hide_password=True)


def initialise(settings: Settings, *, actor: str = "operator") -> InitReport:
    """Create (or upgrade) the store, the ledger folder and the hash key.

    Safe to run again: migrations are idempotent and an existing key is kept,
    because every stored hash depends on it.
    """
    settings.home.mkdir(parents=True, exist_ok=True)
    settings.ledger_dir.mkdir(parents=True, exist_ok=True)
    settings.hash_key_bytes(create=True)
    engine = make_engine(settings.database_url)
    try:
        migrate.upgrade(engine)
        with transaction(engine) as conn:
            created = repositories.get_meta(conn, "initialised_at") is None
            if created:
                now = datetime.now(UTC).isoformat()
                repositories.set_meta(conn, "initialised_at", now)
                chain.append(
                    conn,
                    actor=actor,
                    action="store.initialised",
                    subject_id=None,
                    reason="xinyong init",
                    payload={"version": __version__, "revision": migrate.head_revision()},
                )
        revision = migrate.current_revision(engine)
    except OperationalError as exc:
        raise UserError(
            f"cannot open the store at {safe_url(settings.database_url)}: {exc.orig}"
        ) from exc
    finally:
        engine.dispose()
    return InitReport(safe_url(settings.database_url), settings.ledger_dir, revision, created)


def open_system(settings: Settings) -> System:
    """Open an initialised deployment, or say how to initialise it."""
    engine = make_engine(settings.database_url)
    try:
        revision = migrate.current_revision(engine)
    except OperationalError as exc:
        engine.dispose()
        raise UserError(
            f"cannot open the store at {safe_url(settings.database_url)}: {exc.orig}"
        ) from exc
    if revision is None:
        engine.dispose()
        raise UserError(f"no store at {safe_url(settings.database_url)}: run `xinyong init` first")
    if revision != migrate.head_revision():
        engine.dispose()
        raise UserError(
            f"the store is at schema revision {revision}, this xinyong needs "
            f"{migrate.head_revision()}: run `xinyong init` to upgrade it"
        )
    with engine.connect() as conn:
        missing = inquiry_log.missing_tables(conn)
    if missing:
        engine.dispose()
        log_file = inquiry_log.sqlite_path(engine.url)
        raise UserError(
            f"the store's inquiry log {log_file} lacks {', '.join(missing)}: a store file"
            " and its inquiry log are copied, moved and restored together; put the one"
            " that belongs with this store beside it"
        )
    try:
        key = settings.hash_key_bytes()
    except FileNotFoundError as exc:
        engine.dispose()
        raise UserError(str(exc)) from exc
    return System(settings, engine, Ledger(settings.ledger_dir), key)


def status(settings: Settings) -> StatusReport:
    """What the store and the ledger hold, for ``xinyong status``."""
    system = open_system(settings)
    try:
        with system.engine.connect() as conn:
            counts = repositories.counts(conn)
            head = chain.head(conn)
            inquiry_head = chain.head(conn, log=chain.INQUIRIES)
            revision = migrate.current_revision(system.engine)
        manifests = system.ledger.batches()
        batches = Counter(m.status.value for m in manifests)
        snapshot = system.ledger.snapshot_id() if batches.get("stored") else None
    finally:
        system.engine.dispose()
    return StatusReport(
        store_url=safe_url(settings.database_url),
        revision=revision,
        head_revision=migrate.head_revision(),
        jurisdiction=settings.jurisdiction.value,
        ledger_dir=settings.ledger_dir,
        ledger_batches=batches,
        ledger_snapshot=snapshot,
        audit_head_seq=head.seq if head else None,
        audit_head_hash=head.hash if head else None,
        inquiry_head_seq=inquiry_head.seq if inquiry_head else None,
        inquiry_head_hash=inquiry_head.hash if inquiry_head else None,
        table_counts=counts,
    )


def verify_audit(settings: Settings) -> chain.StoreVerification:
    """Walk both chains of the store; see :func:`xinyong.audit.chain.verify_store`."""
    system = open_system(settings)
    try:
        with system.engine.connect() as conn:
            return chain.verify_store(conn)
    finally:
        system.engine.dispose()


def anchor_inquiries(settings: Settings) -> chain.AuditEvent | None:
    """Record the inquiry chain's head in the audit chain; see
    :func:`xinyong.audit.chain.anchor_inquiries`."""
    system = open_system(settings)
    try:
        with transaction(system.engine) as conn:
            return chain.anchor_inquiries(conn, actor="operator:cli")
    finally:
        system.engine.dispose()


KIND_ALIASES: dict[str, str] = {
    "lender": "consumer_lender",
    "tax": "tax_authority",
    "regulator": "market_regulator",
    "card": "card_issuer",
}
FURNISHER_KINDS = tuple(
    k.value
    for k in OrganisationKind
    if k not in (OrganisationKind.INQUIRER, OrganisationKind.OPERATOR)
)


def furnisher_kind(kind: str) -> OrganisationKind:
    """The organisation kind named by ``kind`` or its short alias (``tax``, ``court``, ...)."""
    name = KIND_ALIASES.get(kind.strip().lower(), kind.strip().lower())
    if name not in FURNISHER_KINDS:
        allowed = ", ".join([*FURNISHER_KINDS, *KIND_ALIASES])
        raise UserError(f"unknown furnisher kind {kind!r}: use one of {allowed}")
    return OrganisationKind(name)


def new_furnisher_id(name: str, kind: OrganisationKind) -> str:
    """A readable id from the name where it has Latin letters, else kind plus a random part."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]
    return f"{slug or kind.value}-{secrets.token_hex(3)}"


def register_furnisher(
    settings: Settings,
    name: str,
    kind: str,
    country: str = "CN",
    *,
    org_id: str | None = None,
    actor: str = "operator",
    address: str | None = None,
    telephone: str | None = None,
) -> str:
    """Register an organisation that may submit batches, with its business address and
    telephone where given; returns its id."""
    org_kind = furnisher_kind(kind)
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise UserError(f"country must be an ISO 3166 alpha-2 code like CN or US, got {country!r}")
    try:
        address, telephone = business_contact(address, telephone)
    except DomainError as exc:
        raise UserError(str(exc)) from None
    org_id = org_id or new_furnisher_id(name, org_kind)
    sys_ = open_system(settings)
    try:
        with transaction(sys_.engine) as conn:
            if repositories.get_organisation(conn, org_id) is not None:
                raise UserError(f"organisation {org_id!r} is already registered")
            repositories.add_organisation(
                conn,
                org_id=org_id,
                name=name,
                kind=org_kind.value,
                roles=["furnisher"],
                country=country,
                address=address,
                telephone=telephone,
            )
            chain.append(
                conn,
                actor=actor,
                action="organisation.registered",
                subject_id=None,
                reason="furnisher registration",
                payload={
                    "org_id": org_id,
                    "name": name,
                    "kind": org_kind.value,
                    "address": address,
                    "telephone": telephone,
                },
            )
    finally:
        sys_.engine.dispose()
    return org_id


def list_furnishers(settings: Settings) -> list[dict[str, Any]]:
    """Registered organisations with the furnisher role."""
    sys_ = open_system(settings)
    try:
        with sys_.engine.connect() as conn:
            rows = conn.execute(
                select(schema.organisations).order_by(schema.organisations.c.org_id)
            )
            return [dict(r._mapping) for r in rows if "furnisher" in (r.roles or [])]
    finally:
        sys_.engine.dispose()


def ingest(
    settings: Settings,
    path: Path,
    furnisher_id: str,
    *,
    format: str = "auto",
    actor: str = "operator",
    progress: Callable[[int], None] | None = None,
) -> BatchReport:
    """Ingest one furnisher file into the ledger and the store (see ``ingest.pipeline``)."""
    if not path.is_file():
        raise UserError(f"no such file: {path}")
    sys_ = open_system(settings)
    try:
        return ingest_file(
            path,
            furnisher_id,
            ledger=sys_.ledger,
            engine=sys_.engine,
            hash_key=sys_.hash_key,
            format=format,
            actor=actor,
            progress=progress,
        )
    finally:
        sys_.engine.dispose()


def batch_rejects(
    settings: Settings, batch_id: str, limit: int | None = 100
) -> list[dict[str, Any]]:
    """The reject rows of a batch, in record order, for the furnisher's report."""
    sys_ = open_system(settings)
    try:
        with sys_.engine.connect() as conn:
            if repositories.get_ledger_batch(conn, batch_id) is None:
                raise UserError(f"unknown batch {batch_id!r}")
            rows = conn.execute(
                select(schema.rejects)
                .where(schema.rejects.c.batch_id == batch_id)
                .order_by(schema.rejects.c.record_no, schema.rejects.c.reject_id)
                .limit(limit)
            )
            return [dict(r._mapping) for r in rows]
    finally:
        sys_.engine.dispose()


def resolve(
    settings: Settings,
    *,
    full: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    db_api: Callable[[], Any] | None = None,
) -> Any:
    """Run identity resolution over the ledger (see :mod:`xinyong.resolve`).

    ``db_api`` makes Splink's backend (a batch engine's ``splink_db_api``, so
    ``xinyong run --engine spark`` resolves on Spark); default in-memory DuckDB.
    """
    from xinyong.resolve import resolve as run_resolution

    sys_ = open_system(settings)
    try:
        return run_resolution(
            sys_.ledger,
            sys_.engine,
            settings.home / "resolution",
            full=full,
            progress=progress,
            db_api=db_api,
        )
    finally:
        sys_.engine.dispose()


def review_items(settings: Settings, limit: int | None = 50) -> list[Any]:
    """The open review queue of identity resolution."""
    from xinyong.resolve import list_review

    sys_ = open_system(settings)
    try:
        return list_review(sys_.engine, limit=limit)
    finally:
        sys_.engine.dispose()


def review_decide(
    settings: Settings, pair: str, *, same: bool, actor: str, reason: str | None = None
) -> Any:
    """A human judgement on a review pair."""
    from xinyong.resolve import decide

    sys_ = open_system(settings)
    try:
        return decide(sys_.engine, pair, same=same, actor=actor, reason=reason)
    finally:
        sys_.engine.dispose()
