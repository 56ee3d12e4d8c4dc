"""An inquirer asks for a report or a score: purpose, subject, consent, then record and serve.

Every attempt is recorded in ``inquiry_requests`` with its audit event, refused
ones too (with the reason code, ``rate_limited`` included); a served attempt
also adds the ``inquiries`` row that the subject sees. Which purposes need
consent comes from the jurisdiction profile; which purposes an inquirer may use
at all comes from its registration (``inquirer_purposes``, default: none).

The order of work, and why. Every check and every read of what is served
happens first, on the worker's read connection (``raw_reads``), outside any
write transaction. Then the attempt is recorded by the worker's single writer
(``recorder``), in one short transaction shared with whatever other attempts
are waiting (group commit), and the answer goes out only after that commit: an
inquiry is never served or refused unrecorded. The rate limit is counted in
that transaction too. Before, the report was built inside the recording
transaction, which holds SQLite's write lock (and PostgreSQL's audit-chain
lock) from its first statement: every report in every worker waited for every
other one. The report read before the commit does not hold the inquiry being
made; ``inquiry_report.with_inquiry`` adds it in its place.

Request handlers here are ``async``: the reads run where ``raw_reads.Reads``
puts them (on the event loop for SQLite, on reader threads for PostgreSQL),
writes are awaited without blocking the loop, and on SQLite there is no
thread hop at all (four per inquiry before: one per sync dependency and one
for the handler).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Generic, Literal, TypeVar

from sqlalchemy import Connection, select

from xinyong.api.context import Principal, ServiceContext
from xinyong.api.errors import ApiError
from xinyong.api.inquiry_report import built_report, inquiry_item, report_json, result_of
from xinyong.api.keys import KeyCache
from xinyong.api.limits import Limits, RateLimited
from xinyong.api.models import InquiryIn, InquiryResult
from xinyong.api.raw_reads import KeyRow, RawReader, Reads, ReportReads, ScoreReads
from xinyong.api.recorder import Attempt, Recorder
from xinyong.api.report_models import ScoreResult
from xinyong.domain.consents import Consent
from xinyong.domain.inquiries import Purpose
from xinyong.identifiers.exceptions import InvalidIdentifier, UnknownScheme
from xinyong.identifiers.hashing import identifier_hash
from xinyong.identifiers.registry import Identifier, validate
from xinyong.policy import Profile
from xinyong.store import repositories
from xinyong.store.schema import consents

__all__ = [
    "INVALID_REQUEST",
    "REFUSALS",
    "Inquirer",
    "InquiryService",
    "Refusal",
    "check_purpose",
    "find_subject",
    "identifier_key",
    "resolve_holders",
]

log = logging.getLogger("xinyong.api.inquiry")
T = TypeVar("T")
# What a read phase fetches with the holder lookup (PostgreSQL), if anything.
Prefetch = Literal["report", "score"] | None

# reason code -> HTTP status
REFUSALS: Final[dict[str, int]] = {
    "purpose_missing": 400,
    "purpose_unknown": 400,
    "purpose_not_allowed": 403,
    "identifier_invalid": 422,
    "subject_not_found": 404,
    "subject_ambiguous": 409,
    "consent_required": 403,
    "consent_not_found": 403,
    "consent_mismatch": 403,
    "consent_not_yet_valid": 403,
    "consent_expired": 403,
    "consent_revoked": 403,
}

# The reason code recorded for a request whose body fails validation (422): the
# code of the error body it gets (``problems``).
INVALID_REQUEST: Final = "invalid_request"


class Refusal(Exception):
    """Why an inquiry is refused: a code from :data:`REFUSALS` and words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Inquirer:
    """An authenticated inquirer (``inquirer_auth``): its key, name and registered purposes."""

    principal: Principal
    name: str | None
    purposes: frozenset[str]


def check_purpose(raw: str | None, profile: Profile, registered: frozenset[str]) -> Purpose:
    """The inquiry's purpose, if lawful here and registered for this inquirer."""
    if raw is None or not raw.strip():
        raise Refusal("purpose_missing", "an inquiry needs a purpose code")
    try:
        purpose = Purpose(raw.strip())
    except ValueError:
        raise Refusal("purpose_unknown", "unknown purpose code") from None
    if (
        not profile.allows(purpose)
        or purpose is Purpose.SUBJECT_REQUEST  # a subject's own request, never an inquirer's
        or purpose.value not in registered
    ):
        raise Refusal("purpose_not_allowed", "this inquirer may not inquire for this purpose")
    return purpose


def identifier_key(hash_key: bytes, body: InquiryIn) -> tuple[str, str]:
    """The inquiry's identifier as the store keys it: (scheme, value hash)."""
    try:
        ident = Identifier.from_validated(
            validate(body.identifier.scheme, body.identifier.value, country=body.identifier.country)
        )
    except (InvalidIdentifier, UnknownScheme, ValueError):
        raise Refusal("identifier_invalid", "the identifier is not valid for its scheme") from None
    return ident.scheme, identifier_hash(hash_key, ident)


def find_subject(reader: RawReader, hash_key: bytes, body: InquiryIn) -> str:
    """The one active subject holding the identifier (merged ones are followed)."""
    return resolve_holders(reader, reader.holders(*identifier_key(hash_key, body)))


def resolve_holders(reader: RawReader, holders: list[tuple[str, str, str | None]]) -> str:
    """The one active subject that ``holders`` (an identifier's, each with its status)
    come to once merges are followed."""
    resolved: set[str] = set()
    for current, status, merged_into in holders:
        for _ in range(16):  # merge chains are short; a cycle must not hang a request
            if status != "merged" or merged_into is None:
                break
            current = merged_into
            status, merged_into = reader.subject(current)
        resolved.add(current)
    if not resolved:
        raise Refusal("subject_not_found", "no subject holds this identifier")
    if len(resolved) > 1:
        raise Refusal("subject_ambiguous", "the identifier names more than one subject")
    return resolved.pop()


def _check_consent(
    conn: Connection,
    subject_id: str,
    org_id: str,
    purpose: Purpose,
    consent_id: str | None,
    now: datetime,
) -> str:
    """The consent relied on, validated (the purpose needs one)."""
    if not consent_id:
        raise Refusal("consent_required", "this purpose needs the subject's consent")
    row = conn.execute(select(consents).where(consents.c.consent_id == consent_id)).first()
    if row is None or row.subject_id != subject_id:
        raise Refusal("consent_not_found", "no such consent for this subject")
    consent = Consent(
        consent_id=row.consent_id,
        subject_id=row.subject_id,
        inquirer_org_id=row.inquirer_org_id,
        purpose=Purpose(row.purpose),
        granted_at=row.granted_at,
        evidence=row.evidence or "-",
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )
    if not consent.covers(purpose, org_id):
        raise Refusal("consent_mismatch", "the consent is for another inquirer or purpose")
    if not consent.is_valid_at(now):
        if consent.revoked_at is not None and now >= consent.revoked_at:
            raise Refusal("consent_revoked", "the consent was revoked")
        if consent.expires_at is not None and now >= consent.expires_at:
            raise Refusal("consent_expired", "the consent has expired")
        raise Refusal("consent_not_yet_valid", "the consent is not in force yet")
    return consent.consent_id


@dataclass(frozen=True, slots=True)
class _Checked:
    subject_id: str
    purpose: Purpose
    consent_id: str | None
    inquiry_id: str
    now: datetime
    # The report's reads, made with the holder lookup (PostgreSQL, sole active holder).
    prefetched: ReportReads | None = None
    # The score's read, likewise, for a score inquiry.
    prefetched_score: ScoreReads | None = None


@dataclass(slots=True)
class _Read(Generic[T]):
    """The read phase's outcome: how far the checks got, and what is to be served."""

    subject_id: str | None = None
    purpose: Purpose | None = None
    checked: _Checked | None = None
    refusal: Refusal | None = None
    result: T | None = None


class InquiryService:
    """A worker's inquiries: its context, where its reads run, its writer, and the
    API keys it read lately (``keys.KeyCache``)."""

    def __init__(
        self,
        ctx: ServiceContext,
        reads: Reads,
        recorder: Recorder,
        keys: KeyCache[KeyRow] | None = None,
    ) -> None:
        self.ctx = ctx
        self.reads = reads
        self.recorder = recorder
        self.keys: KeyCache[KeyRow] = keys if keys is not None else KeyCache()

    def close(self) -> None:
        """Finish the queued writes, release the read connections."""
        self.recorder.close()
        self.reads.close()

    async def report_json(self, inquirer: Inquirer, body: InquiryIn, limits: Limits) -> bytes:
        """Check, serve and record one report inquiry; the inquirer's copy as JSON bytes."""
        product = self._report_bytes(inquirer)
        return await self._serve(inquirer, body, limits, product, prefetch="report")

    def _report_bytes(self, inquirer: Inquirer) -> Callable[[RawReader, _Checked], bytes]:
        """What a checked report inquiry serves: the report as JSON bytes, from the reads
        prefetched with the holder lookup where there are any."""
        profile, engine = self.ctx.profile, self.ctx.system.engine

        def product(reader: RawReader, c: _Checked) -> bytes:
            org = inquirer.principal.org()
            new = inquiry_item(c.inquiry_id, org, inquirer.name, c.purpose, profile, c.now)
            return report_json(
                reader,
                engine,
                profile,
                c.now,
                c.subject_id,
                c.inquiry_id,
                c.purpose,
                new,
                c.prefetched,
            )

        return product

    async def report(self, inquirer: Inquirer, body: InquiryIn, limits: Limits) -> InquiryResult:
        """As :meth:`report_json`, the model (for the HTML and PDF copies)."""
        profile, engine = self.ctx.profile, self.ctx.system.engine

        def product(_reader: RawReader, c: _Checked) -> InquiryResult:
            org = inquirer.principal.org()
            new = inquiry_item(c.inquiry_id, org, inquirer.name, c.purpose, profile, c.now)
            report = built_report(engine, c.subject_id, profile, c.now, new)
            return result_of(c.inquiry_id, c.purpose, profile, report)

        return await self._serve(inquirer, body, limits, product)

    async def score_json(self, inquirer: Inquirer, body: InquiryIn, limits: Limits) -> bytes:
        """Check, serve and record one score inquiry: the latest score with its reasons."""

        def product(reader: RawReader, c: _Checked) -> bytes:
            scored = c.prefetched_score
            result = ScoreResult(
                inquiry_id=c.inquiry_id,
                purpose=c.purpose.value,
                kind=self.ctx.profile.inquiry_kind(c.purpose).value,
                score=scored.score if scored is not None else reader.score(c.subject_id, c.now),
            )
            return result.model_dump_json().encode()

        return await self._serve(inquirer, body, limits, product, prefetch="score")

    async def refuse_invalid(self, inquirer: Inquirer, limits: Limits) -> None:
        """Record a request of ``inquirer`` whose body failed validation as a refused
        attempt, counted against the key's rate limit like any other; raises
        :class:`RateLimited` if it is over the limit (the 422 is the caller's to send).

        Why: a key sending malformed bodies costs the service a request each, and
        "every refused request is recorded" does not depend on how it was refused.
        """
        recorded = await self.recorder.record(
            Attempt(
                principal=inquirer.principal,
                at=self.ctx.now(),
                subject_id=None,
                purpose=None,
                kind="hard",
                consent_id=None,
                inquiry_id=None,
                refusal=INVALID_REQUEST,
                allowance=limits.inquiries_per_window,
                window_seconds=limits.window_seconds,
            )
        )
        org = inquirer.principal.org()
        if recorded.retry_after is not None:
            log.info("inquiry refused: inquirer=%s reason=rate_limited", org)
            raise RateLimited("inquiries", limits.inquiries_per_window, recorded.retry_after)
        log.info("inquiry refused: inquirer=%s reason=%s", org, INVALID_REQUEST)

    def _consent(
        self, subject_id: str, org_id: str, purpose: Purpose, consent_id: str | None, now: datetime
    ) -> str | None:
        if purpose not in self.ctx.profile.consent_required_for:
            return None
        with self.ctx.system.engine.connect() as conn:
            return _check_consent(conn, subject_id, org_id, purpose, consent_id, now)

    def _read(
        self,
        reader: RawReader,
        inquirer: Inquirer,
        body: InquiryIn,
        identifier: tuple[str, str] | Refusal,
        now: datetime,
        product: Callable[[RawReader, _Checked], T],
        prefetch: Prefetch = None,
    ) -> _Read[T]:
        """Every check, then what is to be served; no writes. ``identifier``: the
        body's as the store keys it (``identifier_key``), or why it is refused.

        With ``prefetch``, the report's reads go with the holder lookup (one
        statement: on PostgreSQL one round trip, not two, and one for the batch;
        on SQLite one execute, not five), and on PostgreSQL the score's likewise;
        they are used only if they are the resolved subject's (a sole holder that
        is not merged), and are read again for that subject otherwise, as before.
        """
        out: _Read[T] = _Read()
        prefetched: ReportReads | None = None
        scored: ScoreReads | None = None
        try:
            out.purpose = check_purpose(body.purpose, self.ctx.profile, inquirer.purposes)
            if isinstance(identifier, Refusal):
                raise identifier
            scheme, value_hash = identifier
            if prefetch == "report":
                holders, prefetched = reader.holders_and_report(
                    scheme, value_hash, now, self.ctx.profile
                )
            elif prefetch == "score" and reader.pipelined:
                holders, scored = reader.holders_and_score(scheme, value_hash, now)
            else:
                holders = reader.holders(scheme, value_hash)
            out.subject_id = resolve_holders(reader, holders)
            consent_id = self._consent(
                out.subject_id, inquirer.principal.org(), out.purpose, body.consent_id, now
            )
        except Refusal as refused:
            out.refusal = refused
            return out
        if prefetched is not None and prefetched.subject_id != out.subject_id:
            prefetched = None  # a merged holder's: the report is its survivor's
        if scored is not None and scored.subject_id != out.subject_id:
            scored = None  # likewise
        out.checked = _Checked(
            out.subject_id, out.purpose, consent_id, repositories.new_id(), now, prefetched, scored
        )
        out.result = product(reader, out.checked)
        return out

    async def _serve(
        self,
        inquirer: Inquirer,
        body: InquiryIn,
        limits: Limits,
        product: Callable[[RawReader, _Checked], T],
        *,
        prefetch: Prefetch = None,
    ) -> T:
        """Check and read ``product``, then record; a refusal is recorded, then raised."""
        now = self.ctx.now()
        principal, profile = inquirer.principal, self.ctx.profile
        identifier: tuple[str, str] | Refusal
        try:
            identifier = identifier_key(self.ctx.system.hash_key, body)
        except Refusal as refused:
            identifier = refused
        # What the read will ask for, named so that its batch reads it ahead.
        key = (*identifier, now) if not isinstance(identifier, Refusal) else None
        read = await self.reads.run(
            lambda reader: self._read(reader, inquirer, body, identifier, now, product, prefetch),
            report=key if prefetch == "report" else None,
            score=key if prefetch == "score" else None,
        )
        purpose, checked, refusal = read.purpose, read.checked, read.refusal
        recorded = await self.recorder.record(
            Attempt(
                principal=principal,
                at=now,
                subject_id=read.subject_id,
                purpose=purpose.value if purpose is not None else None,
                kind=profile.inquiry_kind(purpose).value if purpose is not None else "hard",
                consent_id=checked.consent_id if checked is not None else None,
                inquiry_id=checked.inquiry_id if checked is not None else None,
                refusal=refusal.code if refusal is not None else None,
                allowance=limits.inquiries_per_window,
                window_seconds=limits.window_seconds,
            )
        )
        # Recorded and committed: now the answer may go out.
        if recorded.retry_after is not None:
            log.info("inquiry refused: inquirer=%s reason=rate_limited", principal.org())
            raise RateLimited("inquiries", limits.inquiries_per_window, recorded.retry_after)
        if refusal is not None:
            log.info("inquiry refused: inquirer=%s reason=%s", principal.org(), refusal.code)
            raise ApiError(REFUSALS[refusal.code], refusal.code, refusal.message)
        if checked is None or read.result is None:  # pragma: no cover - served implies both
            raise RuntimeError("a served inquiry must have been checked and read")
        log.info("inquiry served: inquirer=%s purpose=%s", principal.org(), checked.purpose.value)
        return read.result
