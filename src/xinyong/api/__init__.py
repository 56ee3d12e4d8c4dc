"""The HTTP service (issue 7): FastAPI routers by role over the core functions.

``create_app(settings)`` in :mod:`xinyong.api.app` builds the application; the
routers in :mod:`xinyong.api.routers` only parse, call one function of this
package's service modules, and format.
"""

from __future__ import annotations

__all__ = ["create_app"]


def __getattr__(name: str) -> object:
    if name == "create_app":
        from xinyong.api.app import create_app

        return create_app
    raise AttributeError(name)
