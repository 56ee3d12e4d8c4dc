"""``xinyong serve`` writes no line per request unless ``--access-log`` asks for one.

Every inquiry is recorded in the store and its audit chain, and a proxy in front
keeps its own log; the access line cost the worker a twentieth of an inquiry's
CPU, so it is off by default, as the benchmark (``benchmarks/service.py``, which
starts ``xinyong serve``) measures the service. Checked on a real process.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from test_subject_portal_proxy import initialised_home, served

__all__ = ["initialised_home"]  # the fixture, shared with the proxy test


@pytest.mark.parametrize(("flags", "logged"), [((), False), (("--access-log",), True)])
def test_request_lines_only_when_asked(
    initialised_home: Path, tmp_path: Path, flags: tuple[str, ...], logged: bool
) -> None:
    with served(initialised_home, tmp_path, *flags) as base:
        assert httpx.get(f"{base}/health?probe=access-log", timeout=10).status_code == 200
    text = (tmp_path / "serve.log").read_text(errors="replace")
    assert "Application startup complete" in text  # the server's own log is there
    assert ('"GET /health?probe=access-log HTTP/1.1" 200' in text) is logged, text
