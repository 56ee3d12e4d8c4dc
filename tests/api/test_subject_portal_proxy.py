"""The portal behind a TLS-terminating proxy: ``xinyong serve`` as a real process.

The proxy speaks HTTPS to the browser and plain HTTP to the server, saying so in
``X-Forwarded-Proto``. The server must believe that header only from the proxy
(``--forwarded-allow-ips``), and then mark the portal's cookies ``Secure``; from
anyone else, or with ``--no-proxy-headers``, the request is what it was (HTTP),
and the cookie is not. Each case starts ``xinyong serve`` on a free loopback port
over an embedded store of its own (the proxy handling is the web server's, the
same on every store backend).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from xinyong.api.portal_session import SIGN_IN_COOKIE
from xinyong.settings import Settings
from xinyong.system import initialise

STARTUP_SECONDS = 120.0  # a loaded 2-core machine
HASH_KEY = "proxy-test-key"


@pytest.fixture(scope="module")
def initialised_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A deployment home as ``xinyong init`` leaves it (store, ledger, key), made once."""
    home = tmp_path_factory.mktemp("proxy") / "home"
    initialise(Settings(home=home, hash_key=HASH_KEY))
    return home


def _xinyong() -> str:
    found = shutil.which("xinyong", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("the xinyong console script is not installed beside this python")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(home: Path, tmp_path: Path, *flags: str) -> Iterator[str]:
    """``xinyong serve --port <free> <flags>`` over a copy of ``home``; its URL."""
    with serving(home, tmp_path, *flags) as (base, _process):
        yield base


@contextmanager
def serving(
    home: Path, tmp_path: Path, *flags: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """As :func:`served`, with the server's process (terminated on leaving)."""
    port = _free_port()
    shutil.copytree(home, tmp_path / "home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINYONG_")}
    env |= {"XINYONG_HOME": str(tmp_path / "home"), "XINYONG_HASH_KEY": HASH_KEY}
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [_xinyong(), "serve", "--port", str(port), *flags],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise AssertionError((tmp_path / "serve.log").read_text(errors="replace"))
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "xinyong serve did not start"
            time.sleep(0.2)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def sign_in_cookie(base: str, headers: dict[str, str]) -> str:
    """The portal's pre-session cookie as the sign-in page sets it."""
    r = httpx.get(f"{base}/portal/sign-in", headers=headers, timeout=10)
    assert r.status_code == 200, r.text
    (cookie,) = [c for c in r.headers.get_list("set-cookie") if c.startswith(SIGN_IN_COOKIE)]
    return cookie


HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


@pytest.mark.parametrize(
    ("flags", "secure"),
    [
        (("--forwarded-allow-ips", "127.0.0.1"), True),  # the proxy is on this host
        (("--forwarded-allow-ips", "192.0.2.10,198.51.100.0/24"), False),  # we are not it
        (("--no-proxy-headers",), False),
    ],
    ids=["trusted", "untrusted", "proxy-headers-off"],
)
def test_the_cookie_is_secure_only_when_a_trusted_proxy_says_https(
    initialised_home: Path, tmp_path: Path, flags: tuple[str, ...], secure: bool
) -> None:
    with served(initialised_home, tmp_path, *flags) as base:
        assert ("Secure" in sign_in_cookie(base, HTTPS)) is secure
        # Without the proxy's header a request is plain HTTP, whoever sends it.
        assert "Secure" not in sign_in_cookie(base, {})
