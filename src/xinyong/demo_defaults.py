"""The demo population's default size, apart from :mod:`xinyong.demo`.

The CLI shows these as option defaults; importing them from here keeps
``import xinyong.cli`` light (the demo module pulls in the whole pipeline),
which every command's start-up and every spawned worker under the
``xinyong`` command pays.
"""

from __future__ import annotations

from typing import Final

DEMO_PERSONS: Final = 3000
DEMO_ENTERPRISES: Final = 300
