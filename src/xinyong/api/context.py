"""What every request handler works with: the opened system, the profile, a clock,
and the authenticated principal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from xinyong.policy import Profile
from xinyong.system import System

__all__ = ["Clock", "Principal", "ServiceContext", "utc_clock"]

Clock = Callable[[], datetime]
Role = Literal["furnisher", "inquirer", "operator", "subject"]


def utc_clock() -> datetime:
    """The current instant, aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ServiceContext:
    """One per application: the engine is created once and shared by all requests."""

    system: System
    profile: Profile
    clock: Clock = utc_clock

    def now(self) -> datetime:
        return self.clock()


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an organisation's key (with one role) or a signed-in subject."""

    role: Role
    credential_id: str
    org_id: str | None = None
    subject_id: str | None = None

    @property
    def actor(self) -> str:
        """The audit actor: role, organisation (never the subject's id) and credential."""
        if self.role == "subject":
            return f"subject:{self.credential_id}"
        return f"{self.role}:{self.org_id}:{self.credential_id}"

    def org(self) -> str:
        if self.org_id is None:  # pragma: no cover - guarded by the role dependencies
            raise RuntimeError("this principal is not an organisation")
        return self.org_id

    def subject(self) -> str:
        if self.subject_id is None:  # pragma: no cover - guarded by the role dependencies
            raise RuntimeError("this principal is not a subject")
        return self.subject_id
