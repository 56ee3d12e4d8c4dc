"""Choose a jurisdiction profile: the one place that maps settings to rules."""

from __future__ import annotations

from typing import Final

from xinyong.policy import cn, eu, us
from xinyong.policy.model import Profile
from xinyong.settings import Jurisdiction

__all__ = ["PROFILES", "get_profile"]

PROFILES: Final[dict[Jurisdiction, Profile]] = {
    Jurisdiction.CN: cn.PROFILE,
    Jurisdiction.US: us.PROFILE,
    Jurisdiction.EU: eu.PROFILE,
}


def get_profile(jurisdiction: Jurisdiction | str) -> Profile:
    """The profile for ``jurisdiction`` (``Settings.jurisdiction``: CN, US or EU)."""
    return PROFILES[Jurisdiction(jurisdiction)]
