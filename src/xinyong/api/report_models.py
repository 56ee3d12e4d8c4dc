"""Bodies of the score and adverse-action routes (the report ones are in ``models``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from xinyong.api.models import ScoreOut, ScoreReason

__all__ = ["AdverseActionNotice", "BureauContact", "ScoreResult"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScoreResult(_Model):
    inquiry_id: str
    purpose: str
    kind: Literal["hard", "soft"]
    score: ScoreOut | None = Field(description="null when no score is on file for the subject")


class BureauContact(_Model):
    name: str
    address: str
    phone: str
    web: str


class AdverseActionNotice(_Model):
    """What FCRA 615(a) makes the user give the applicant, from the inquiry's own score."""

    inquiry_id: str
    inquirer_org_id: str
    inquirer_name: str
    purpose: str
    inquired_at: datetime
    issued_at: datetime
    jurisdiction: str
    basis: str
    score: ScoreOut | None
    key_factors: list[ScoreReason] = Field(
        description="up to 4 in order of importance, a 5th if the number of inquiries was one"
    )
    model_note: str
    bureau: BureauContact
    rights: list[str]
