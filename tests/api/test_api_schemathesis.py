"""Schemathesis over the published OpenAPI spec: no 5xx, responses match their schema.

In-process (ASGI transport, no network) against the seeded deployment of
``conftest.py``, on SQLite and PostgreSQL. Each operation gets the credential
of its role, so generated requests reach the handlers instead of stopping at
401. Bounded: a few examples per operation, derandomised (the same cases every
run), no Hypothesis deadline and no example database.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from api_testkit import World
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from xinyong.api.limits import Limits

pytest.importorskip("schemathesis")

EXAMPLES = 5
ROLE_BY_PREFIX = {
    "/v1/furnisher/": "furnisher",
    "/v1/inquirer/": "inquirer",
    "/v1/subject/": "subject",
    "/v1/operator/": "operator",
}
CHECKS = [not_a_server_error, response_schema_conformance]


def credential(w: World, path: str) -> dict[str, str]:
    if path == "/v1/subject/session":
        return {}
    for prefix, who in ROLE_BY_PREFIX.items():
        if path.startswith(prefix):
            return w.auth(who)
    return {}


def fuzz(
    operation: Any, headers: dict[str, str], seen: set[int], mode: GenerationMode, known: Any
) -> Any:
    """A Hypothesis test of ``operation``: call it with ``headers``, run the checks.

    ``known`` path parameters (ids that exist in the seeded store) are used in
    the positive mode, so that the operation is exercised past its 404.
    """
    names = {p.name for p in operation.path_parameters}
    fixed = (
        {k: v for k, v in known.items() if k in names} if mode is GenerationMode.POSITIVE else {}
    )
    strategy = operation.as_strategy(mode, path_parameters=fixed or None)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        seen.add(response.status_code)
        case.validate_response(response, checks=CHECKS)

    return run


@pytest.mark.slow
def test_no_server_error_and_every_response_matches_the_spec(world: World) -> None:
    w = world
    app: Any = w.client.app
    # Generated traffic must reach the handlers, not the rate limiter.
    app.state.limits = Limits(inquiries_per_window=10**6, uploads_per_window=10**6)
    subject = w.auth("subject")
    known = {
        "batch_id": "seed-batch",
        "consent_id": w.client.post(
            "/v1/subject/consents",
            json={"inquirer_org_id": "lender-a", "purpose": "account_review"},
            headers=subject,
        ).json()["consent_id"],
        "dispute_id": w.client.post(
            "/v1/subject/disputes",
            json={"item_kind": "account", "item_id": w.account1, "reason": "not mine"},
            headers=subject,
        ).json()["dispute_id"],
    }
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    statuses: dict[str, set[int]] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        label = f"{operation.method.upper()} {operation.path}"
        seen = statuses.setdefault(label, set())
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run = fuzz(operation, credential(w, operation.path), seen, mode, known)
            try:
                run()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # nothing to get wrong, e.g. /health
            except Exception as exc:  # collect every operation's failure, then report all
                failures.append(f"{label} ({mode.value}): {exc}"[:2000])
    assert operations >= 15
    # The credentials worked: generated requests reached the handlers.
    assert 200 in statuses["GET /v1/subject/file"]
    assert 200 in statuses["GET /v1/furnisher/disputes"]
    assert 200 in statuses["GET /v1/operator/disputes"]
    assert statuses["POST /v1/inquirer/inquiries"] - {401, 403, 429}
    assert failures == [], "\n\n".join(failures)
