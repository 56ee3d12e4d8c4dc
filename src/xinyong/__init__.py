"""xinyong: an open credit information system for persons and enterprises."""

from __future__ import annotations

__version__ = "0.1.0"
