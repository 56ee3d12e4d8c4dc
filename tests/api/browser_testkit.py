"""A real server and a real browser for the page tests.

``serve`` runs an app under uvicorn on a free loopback port, in a thread of
the test process, so the test's settable clock and seeded store are the ones
the server sees. ``chromium_path`` finds Debian's chromium (Playwright drives
it through ``executable_path``; no browser is downloaded) or skips the test.
``Watch`` records what a user would notice went wrong on a page: console
errors, uncaught exceptions, requests that failed or came back 4xx/5xx.
"""

from __future__ import annotations

import io
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
import uvicorn

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM_NAMES = ("chromium", "chromium-browser")
STARTUP_SECONDS = 15.0

# Every <section> of a page: its heading without the "(n)" count, and the
# visible text of each of its table rows (or of its paragraphs, if it has no
# table). innerText is what a user sees: hidden elements give "".
SECTIONS_JS = """
() => [...document.querySelectorAll('section')].map(s => {
  const h = s.querySelector('h1, h2');
  const title = h ? h.innerText.replace(/\\s*\\(\\d+\\)\\s*$/, '').trim() : '';
  let parts = [...s.querySelectorAll('tr')];
  if (!parts.length) parts = [...s.querySelectorAll('p, li, dd')];
  const rows = parts.map(r => r.innerText.replace(/\\s+/g, ' ').trim()).filter(t => t);
  return {title, rows};
})
"""

# For each character of the element's text, [character, drawn as the font's
# "missing glyph" box (tofu)?]: the character is drawn on a canvas in the
# element's own font and compared with a code point that no font has.
TOFU_JS = """
(el) => {
  const font = getComputedStyle(el).font;
  const draw = (ch) => {
    const c = document.createElement('canvas');
    c.width = 64; c.height = 64;
    const g = c.getContext('2d');
    g.font = font; g.textBaseline = 'top'; g.fillStyle = '#000';
    g.fillText(ch, 4, 4);
    return Array.from(g.getImageData(0, 0, 64, 64).data).join(',');
  };
  const missing = draw('\\u{10FFFD}');
  return [...el.innerText.trim()].filter(ch => ch.trim()).map(ch => [ch, draw(ch) === missing]);
}
"""


def chromium_path() -> str:
    """The chromium executable, or a skip saying how to get it (and Playwright)."""
    pytest.importorskip(
        "playwright.sync_api",
        reason="playwright is not installed: pip install -e '.[test]' (no browser download)",
    )
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("chromium is not on PATH: on Debian, apt-get install -y chromium")


@contextmanager
def launch_chromium() -> Iterator[Any]:
    """Debian's chromium, headless, through Playwright (no browser download), or a skip."""
    path = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=path, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run ``app`` under uvicorn on 127.0.0.1 and a free port; yield its base URL.

    The socket is bound here, so the port is known before the server starts
    and no other process can take it in between. Lifespan is off: the caller
    owns the app's resources (the TestClient of the ``world`` fixture).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port}")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(STARTUP_SECONDS)
        sock.close()


@dataclass
class Watch:
    """What went wrong on a page, as a user (or its console) would see it."""

    problems: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"uncaught: {exc}"))
        page.on(
            "requestfailed",
            lambda req: self.problems.append(f"failed: {req.method} {req.url} {req.failure}"),
        )
        page.on("response", self._response)

    def _console(self, msg: Any) -> None:
        if msg.type in ("error", "warning"):
            self.problems.append(f"console {msg.type}: {msg.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")


def png_is_blank(png: bytes) -> bool:
    """True if every pixel of the image has one colour (Pillow comes with WeasyPrint)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        return image.convert("RGB").getcolors(maxcolors=1) is not None


# Elements that stick out of the body's content box, to the right (a table
# too wide for the page, a line that cannot wrap), unless a box of their own
# scrolls them; and whether the page itself scrolls sideways.
OVERFLOW_JS = """
() => {
  const right = document.body.getBoundingClientRect().right;
  const scrolled = e => {
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(a).overflowX)) return true;
    }
    return false;
  };
  const out = [...document.body.querySelectorAll('*')]
    .filter(e => e.getBoundingClientRect().right > right + 1 && !scrolled(e))
    .map(e => e.tagName + ' ' + (e.innerText || '').slice(0, 40));
  if (document.documentElement.scrollWidth > window.innerWidth) out.push('page scrolls sideways');
  return out;
}
"""


def sections(page: Page) -> dict[str, list[str]]:
    """The visible rows of each ``<section>`` of the page, by heading (counts dropped)."""
    return {s["title"]: s["rows"] for s in page.evaluate(SECTIONS_JS)}


def overflowing(page: Page) -> list[str]:
    """What sticks out of the page's text column (empty when the layout holds)."""
    found: list[str] = page.evaluate(OVERFLOW_JS)
    return found


def tofu(page: Page, selector: str) -> list[str]:
    """The characters of ``selector``'s text drawn as missing-glyph boxes."""
    drawn = page.locator(selector).evaluate(TOFU_JS)
    return [ch for ch, missing in drawn if missing]
