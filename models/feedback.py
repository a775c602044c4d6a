"""Feedback on suggestions: a caller marks a suggested partner relevant, not relevant, contacted
or hidden, for one seeker (a profile, an alert, a need) or for all its searches.

The public shapes (`FeedbackCreate`, `FeedbackPublic`, `FeedbacksPublic`, `FeedbackReceived`)
are what `/v1/feedback` speaks; `FeedbackRecord`, `FeedbackScope` and `FeedbackCounts` are the
internal ones between the gateway, the profiles service (which stores it) and the matcher.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from models.common import ProfileId

__all__ = [
    "MAX_EXCLUDE",
    "REASONS",
    "FeedbackCounts",
    "FeedbackCreate",
    "FeedbackPublic",
    "FeedbackReceived",
    "FeedbackRecord",
    "FeedbackScope",
    "FeedbacksPublic",
    "ReceivedCount",
    "Signal",
]

# The most recent exclusions a match carries (hide / not_relevant marks of one caller).
MAX_EXCLUDE = 500

# Suggested reasons (the web page offers these); any other short text is accepted too.
REASONS = (
    "too_early_stage",
    "benefit_unclear",
    "wrong_field",
    "wrong_region",
    "already_known",
    "not_reachable",
)


class Signal(StrEnum):
    relevant = "relevant"
    not_relevant = "not_relevant"
    contacted = "contacted"
    hide = "hide"

    @property
    def excludes(self) -> bool:
        """The candidate leaves this caller's results for this seeker."""
        return self in (Signal.hide, Signal.not_relevant)

    @property
    def endorses(self) -> bool:
        """The candidate moves up for this seeker and counts in the aggregate."""
        return self in (Signal.relevant, Signal.contacted)


Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
NeedText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000)]
AlertId = Annotated[int, Field(ge=1, le=2**31 - 1, description="An alert id")]


class FeedbackCreate(BaseModel):
    """`POST /v1/feedback`. At most one of `seeker_id`, `alert_id`, `need_text` says whose
    results the mark is about; with `seeker_id` or `alert_id` it applies to those results only,
    otherwise (a need text or nothing) to all of the caller's searches without a seeker."""

    model_config = ConfigDict(extra="forbid")

    seeker_id: ProfileId | None = None
    alert_id: AlertId | None = None
    need_text: NeedText | None = None
    candidate_id: ProfileId
    signal: Signal
    reason: Reason | None = Field(
        default=None, description=f"One of {', '.join(REASONS)}, or a short free text"
    )

    @model_validator(mode="after")
    def _one_seeker(self) -> FeedbackCreate:
        given = [n for n in ("seeker_id", "alert_id", "need_text") if getattr(self, n) is not None]
        if len(given) > 1:
            raise ValueError(
                f"send at most one of seeker_id, alert_id, need_text (got {', '.join(given)})"
            )
        if self.seeker_id is not None and self.seeker_id == self.candidate_id:
            raise ValueError("candidate_id is the seeker itself; mark a suggested partner")
        return self


class FeedbackRecord(FeedbackCreate):
    """Internal (gateway -> profiles): the mark with who owns it and who it counts for.

    `owner` sees and undoes it (a hub, or one anonymous browser); `voter` is the identity the
    aggregate counts once per candidate and caps per day (a hub, or an anonymous address)."""

    owner: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    voter: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class FeedbackPublic(BaseModel):
    id: int
    seeker_id: int | None = None
    alert_id: int | None = None
    need_text: str | None = None
    candidate_id: int
    signal: Signal
    reason: str | None = None
    counted: bool = Field(description="Whether it counts in the candidate's aggregate")
    created_at: datetime


class FeedbacksPublic(BaseModel):
    data: list[FeedbackPublic]
    count: int


class FeedbackScope(BaseModel):
    """Internal (profiles -> gateway -> matcher): what one caller's marks do to one search."""

    exclude_ids: list[int] = Field(default_factory=list, max_length=MAX_EXCLUDE)
    boost_ids: list[int] = Field(default_factory=list, max_length=MAX_EXCLUDE)


class FeedbackCounts(BaseModel):
    """Internal (profiles -> matcher): per candidate, how many distinct callers endorsed it
    (`relevant` or `contacted`, within each caller's daily cap)."""

    counts: dict[int, int] = Field(default_factory=dict)


class ReceivedCount(BaseModel):
    profile_id: int
    contacted: int = Field(description="Distinct callers who marked it contacted")
    relevant: int = Field(description="Distinct callers who marked it relevant")


class FeedbackReceived(BaseModel):
    """`GET /v1/feedback/received`: what others said about the caller's hub's profiles
    (counts only, never who)."""

    data: list[ReceivedCount]
    count: int
