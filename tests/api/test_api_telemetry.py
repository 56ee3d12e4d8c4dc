"""FastAPI's own OpenTelemetry: spans and metrics only where the deployment asks for
them (``XINYONG_OTEL``), its log records never (they would quote request values)."""

from __future__ import annotations

from pathlib import Path

import pytest

from xinyong.api.app import create_app, telemetry
from xinyong.settings import Settings
from xinyong.store.migrate import upgrade


def test_spans_and_metrics_follow_the_setting_and_logs_stay_off() -> None:
    assert telemetry(False) == {"tracing": False, "metrics": False, "logs": False}
    assert telemetry(True) == {"tracing": True, "metrics": True, "logs": False}


@pytest.mark.parametrize("otel", [False, True])
def test_the_app_takes_the_deployments_choice(
    otel: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XINYONG_OTEL", "true" if otel else "false")
    settings = Settings(home=tmp_path, hash_key="k" * 32)
    assert settings.otel is otel
    upgrade(settings.database_url)
    app = create_app(settings)
    # FastAPI keeps the configuration it was given (its defaults are all on).
    config = app._telemetry  # type: ignore[attr-defined]
    assert {k: config[k] for k in ("tracing", "metrics", "logs")} == telemetry(otel)


def test_off_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XINYONG_OTEL", raising=False)
    assert Settings(home=tmp_path).otel is False
