"""The inquiry short path (``hot_path``) answers as FastAPI's routes would, byte for byte.

A plain JSON inquiry (bearer key, ``Content-Type: application/json``, no query)
is answered by the short path in front of the app; the same request with a
query (``?format=json`` for reports, any parameter for scores, which FastAPI
ignores) goes through FastAPI's routing. Every answer, refusals included, must
be the same on both: status, headers, body, and what is recorded. The short
path must never reach the app below it for the requests it takes, and must pass
everything else on with the body it read intact.
"""

from __future__ import annotations

from typing import Any

import pytest
from api_testkit import RIC_1, RIC_NOBODY, World
from sqlalchemy import func, select

from xinyong.api.hot_path import InquiryShortPath
from xinyong.api.limits import Limits
from xinyong.store.service_schema import inquiry_requests

INQUIRIES = "/v1/inquirer/inquiries"
SCORE = "/v1/inquirer/score"
# A query the routes accept and FastAPI answers as the short path would: the full path.
FULL = {INQUIRIES: "?format=json", SCORE: "?via=full"}


@pytest.fixture
def jurisdiction() -> str:
    return "US"  # no consent needed for a credit application


def body(value: str = RIC_1, purpose: str = "credit_application") -> dict[str, Any]:
    return {"identifier": {"scheme": "cn_ric", "value": value}, "purpose": purpose}


def recorded(w: World) -> int:
    with w.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(inquiry_requests)).scalar_one())


class Below:
    """Counts the requests that reach the app below the short path (and passes them on)."""

    def __init__(self, w: World) -> None:
        app: Any = w.client.app
        w.client.get("/health")  # builds the middleware stack
        layer = app.middleware_stack
        while not isinstance(layer, InquiryShortPath):
            layer = layer.app
        self.short_path, self.app = layer, layer.app
        self.paths: list[str] = []
        layer.app = self

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.paths.append(scope["path"])
        await self.app(scope, receive, send)

    def remove(self) -> None:
        self.short_path.app = self.app


def both(w: World, path: str, **kwargs: Any) -> tuple[Any, Any, int, int]:
    """The answer of the short path and of the full one to the same request, and the
    rows each recorded."""
    before = recorded(w)
    short = w.client.post(path, **kwargs)
    middle = recorded(w)
    full = w.client.post(path + FULL[path], **kwargs)
    return short, full, middle - before, recorded(w) - middle


@pytest.mark.parametrize("path", [INQUIRIES, SCORE])
def test_a_plain_json_inquiry_never_reaches_fastapi(world: World, path: str) -> None:
    w = world
    below = Below(w)
    try:
        served = w.client.post(path, json=body(), headers=w.auth("inquirer"))
        assert served.status_code == 200, served.text
        assert below.paths == []
        refused = w.client.post(path, json=body(RIC_NOBODY), headers=w.auth("inquirer"))
        assert refused.status_code == 404 and below.paths == []
        # Anything else goes down, with its body: a query, an invalid body, no bearer key.
        assert w.client.post(path + FULL[path], json=body(), headers=w.auth("inquirer")).is_success
        invalid = w.client.post(path, json={"purpose": 7}, headers=w.auth("inquirer"))
        assert invalid.status_code == 422
        assert w.client.post(path, json=body()).status_code == 401
        assert below.paths == [path] * 3
    finally:
        below.remove()


@pytest.mark.parametrize("path", [INQUIRIES, SCORE])
def test_served_answers_carry_the_same_headers(world: World, path: str) -> None:
    w = world
    short, full, n_short, n_full = both(w, path, json=body(), headers=w.auth("inquirer"))
    assert short.status_code == full.status_code == 200
    assert list(short.headers.keys()) == list(full.headers.keys())
    assert short.headers["content-type"] == full.headers["content-type"] == "application/json"
    assert int(short.headers["content-length"]) == len(short.content)
    assert n_short == n_full == 1


@pytest.mark.parametrize("path", [INQUIRIES, SCORE])
@pytest.mark.parametrize(
    ("who", "request_body", "status"),
    [
        ("nobody", body(), 401),  # WWW-Authenticate
        ("subject", body(), 403),  # a valid credential of another role
        ("furnisher", body(), 403),
        ("inquirer", body(purpose="astrology"), 400),
        ("other_inquirer", body(purpose="account_review"), 403),  # not registered for it
        ("inquirer", body(RIC_NOBODY), 404),
        ("inquirer", body("123"), 422),  # the identifier, not the body, is invalid
    ],
)
def test_refusals_are_the_same_on_both_paths(
    world: World, path: str, who: str, request_body: dict[str, Any], status: int
) -> None:
    w = world
    headers = w.auth(who) if who != "nobody" else {"Authorization": "Bearer k_x.not-a-key"}
    short, full, n_short, n_full = both(w, path, json=request_body, headers=headers)
    assert short.status_code == full.status_code == status, (short.text, full.text)
    assert short.headers.multi_items() == full.headers.multi_items()
    assert short.content == full.content
    assert n_short == n_full


@pytest.mark.parametrize("path", [INQUIRIES, SCORE])
def test_rate_limited_is_the_same_on_both_paths(world: World, path: str) -> None:
    w = world
    w.client.app.state.limits = Limits(inquiries_per_window=1)  # type: ignore[attr-defined]
    assert w.client.post(path, json=body(), headers=w.auth("inquirer")).status_code == 200
    short, full, n_short, n_full = both(w, path, json=body(), headers=w.auth("inquirer"))
    assert short.status_code == full.status_code == 429
    assert short.headers["retry-after"]
    assert short.headers.multi_items() == full.headers.multi_items()
    assert short.content == full.content
    assert n_short == n_full == 1


@pytest.mark.parametrize("path", [INQUIRIES, SCORE])
def test_an_oversized_body_is_refused_as_by_the_size_limit(world: World, path: str) -> None:
    w = world
    w.client.app.state.limits = Limits(max_body_bytes=64)  # type: ignore[attr-defined]
    big = body()  # some hundred bytes
    short, full, n_short, n_full = both(w, path, json=big, headers=w.auth("inquirer"))
    assert short.status_code == full.status_code == 413
    assert short.headers.multi_items() == full.headers.multi_items()
    assert short.content == full.content
    assert n_short == n_full == 0
    # A body within the limit is read by the short path and answered.
    w.client.app.state.limits = Limits(max_body_bytes=1024)  # type: ignore[attr-defined]
    assert w.client.post(path, json=big, headers=w.auth("inquirer")).status_code == 200
