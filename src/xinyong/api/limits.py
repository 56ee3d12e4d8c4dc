"""Size and rate limits: 413 for a body too large, 429 with ``Retry-After`` for too many.

Sizes: a batch upload may have ``max_upload_bytes`` (the furnisher router
streams it and stops at the limit); every other request body
``max_body_bytes`` (:class:`BodySizeLimit`, before any handler parses it).

Rates: each API key may make ``inquiries_per_window`` inquiry requests (every
``POST`` under ``/v1/inquirer/``: reports, scores) and ``uploads_per_window``
batch uploads per fixed window of ``window_seconds``. The counters live in the
serving store (``rate_counters``, one upsert per limited request), not in
process memory, so the limit is exact however many worker processes (or hosts)
serve the API, and survives a restart; the price is one small write per
limited request, which inquiries and uploads already pay many times over. The
count is taken after authentication, so nobody can spend another key's quota
by naming it. Inquiries (``POST /v1/inquirer/...``) are counted by the
inquiry writer in the transaction that records them (``recorder``), so a
request refused with 429 is recorded in ``inquiry_requests`` too (issue 7:
refused requests are recorded), at no extra write; so is an inquiry whose
body fails validation (``routers.inquirer``), or a key could send malformed
bodies without limit. Fixed windows allow a
burst of up to twice the limit across a window edge; that is accepted for a
per-minute abuse limit.

Settings come from ``XINYONG_LIMIT_*`` environment variables (see
:class:`Limits`), with defaults that suit one bureau on one machine.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Connection, Engine, delete
from sqlalchemy.dialects import postgresql, sqlite

from xinyong.api.context import Principal
from xinyong.api.errors import ApiError
from xinyong.errors import XinyongError
from xinyong.store.engine import transaction
from xinyong.store.service_schema import rate_counters

__all__ = [
    "UPLOAD_PATH",
    "BodySizeLimit",
    "Limits",
    "RateLimited",
    "bucket_for",
    "count_request",
    "enforce_rate",
    "read_body",
    "refuse_body",
    "replay",
    "retry_after",
    "window_start",
]

UPLOAD_PATH: Final = "/v1/furnisher/batches"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Limits(BaseSettings):
    """The service's size and rate limits; ``XINYONG_LIMIT_<FIELD>`` overrides each."""

    model_config = SettingsConfigDict(env_prefix="XINYONG_LIMIT_", extra="ignore")

    max_upload_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1,
        description="Largest batch upload in bytes (bigger files go through `xinyong ingest`).",
    )
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1, description="Largest request body of any other route."
    )
    inquiries_per_window: int = Field(
        default=600,
        ge=0,
        description="Inquiry requests (reports, scores) per API key and window; 0: unlimited.",
    )
    uploads_per_window: int = Field(
        default=30, ge=0, description="Batch uploads per API key and window; 0: unlimited."
    )
    window_seconds: int = Field(default=60, ge=1, description="Length of a rate window.")

    def allowance(self, bucket: str) -> int:
        return {"inquiries": self.inquiries_per_window, "uploads": self.uploads_per_window}[bucket]


class RateLimited(ApiError):
    """A 429 that carries ``Retry-After`` (whole seconds until the window ends)."""

    def __init__(self, bucket: str, limit: int, retry_after: int) -> None:
        super().__init__(
            429,
            "rate_limited",
            f"at most {limit} {bucket} requests per window for this key; "
            f"retry after {retry_after} s",
        )
        self.retry_after = retry_after


def bucket_for(method: str, path: str) -> str | None:
    """Which rate bucket a request counts against, or None if it is not limited."""
    if method != "POST":
        return None
    if path.startswith("/v1/inquirer/"):
        return "inquiries"
    if path == UPLOAD_PATH:
        return "uploads"
    return None


def window_start(now: datetime, seconds: int) -> datetime:
    """Start of the fixed window of ``seconds`` that holds ``now``."""
    elapsed = int((now - _EPOCH).total_seconds())
    return _EPOCH + timedelta(seconds=elapsed - elapsed % seconds)


def count_request(
    conn: Connection,
    key_id: str,
    bucket: str,
    now: datetime,
    window_seconds: int,
    hits: int = 1,
) -> tuple[int, datetime]:
    """Add ``hits`` hits to ``key_id``'s ``bucket`` in the window holding ``now``.

    The hits so far in this window (these included) and the window's end.
    One atomic upsert, so concurrent workers never lose a hit; the inquiry
    writer (``recorder``) counts a group of one key's requests with one call.
    """
    start = window_start(now, window_seconds)
    dialect = conn.dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(rate_counters)
    elif dialect == "sqlite":
        stmt = sqlite.insert(rate_counters)
    else:  # pragma: no cover - the store runs on SQLite or PostgreSQL only
        raise XinyongError(f"rate limits run on SQLite or PostgreSQL stores, not on {dialect}")
    stmt = (
        stmt.values(key_id=key_id, bucket=bucket, window_start=start, hits=hits)
        .on_conflict_do_update(
            index_elements=["key_id", "bucket", "window_start"],
            set_={"hits": rate_counters.c.hits + hits},
        )
        .returning(rate_counters.c.hits)
    )
    total = int(conn.execute(stmt).scalar_one())
    if total == hits:  # first hits of a new window: forget this key's older windows
        conn.execute(
            delete(rate_counters).where(
                rate_counters.c.key_id == key_id,
                rate_counters.c.bucket == bucket,
                rate_counters.c.window_start < start,
            )
        )
    return total, start + timedelta(seconds=window_seconds)


def retry_after(ends: datetime, now: datetime) -> int:
    """Whole seconds from ``now`` until the window ending at ``ends`` is over (at least 1)."""
    return max(1, int((ends - now).total_seconds() + 0.999))


def enforce_rate(
    engine: Engine, limits: Limits, principal: Principal, method: str, path: str, now: datetime
) -> None:
    """Count the request if its route is limited; :class:`RateLimited` past the allowance."""
    bucket = bucket_for(method, path)
    if bucket is None or principal.role == "subject":
        return
    allowance = limits.allowance(bucket)
    if allowance == 0:  # unlimited: no counting, no write
        return
    with transaction(engine) as conn:
        hits, ends = count_request(
            conn, principal.credential_id, bucket, now, limits.window_seconds
        )
    if hits > allowance:
        raise RateLimited(bucket, allowance, retry_after(ends, now))


class BodySizeLimit:
    """ASGI middleware: refuse a request body over ``limits.max_body_bytes`` with 413.

    Reads the body (at most the limit) before the application sees it, then
    replays it, so no handler ever parses an oversized JSON document. Batch
    uploads are left to the furnisher router, which has its own, larger limit.
    The limits are read from ``app.state.limits`` at each request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == UPLOAD_PATH:
            await self.app(scope, receive, send)
            return
        limits: Limits = scope["app"].state.limits
        messages = await read_body(scope, receive, limits.max_body_bytes)
        if messages is None:
            await refuse_body(send, limits.max_body_bytes)
            return
        await self.app(scope, replay(messages, receive), send)


async def read_body(scope: Scope, receive: Receive, limit: int) -> list[Message] | None:
    """The request's messages up to the end of its body (or a disconnect), or ``None``
    for a body over ``limit`` bytes, declared (``Content-Length``) or sent.

    The rule of :class:`BodySizeLimit`, shared with the inquiry short path
    (``hot_path``), which reads the body before the middleware would.
    """
    declared = dict(scope.get("headers") or []).get(b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages
        size += len(message.get("body", b""))
        if size > limit:
            return None
        if not message.get("more_body", False):
            return messages


def replay(messages: list[Message], receive: Receive) -> Receive:
    """``receive`` for an application after ``messages`` were read from it: those first."""

    async def replayed() -> Message:
        return messages.pop(0) if messages else await receive()

    return replayed


async def refuse_body(send: Send, limit: int) -> None:
    """The 413 for a body over ``limit`` bytes."""
    error = {"code": "body_too_large", "message": f"a request body may have at most {limit} bytes"}
    body = json.dumps({"error": error}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
