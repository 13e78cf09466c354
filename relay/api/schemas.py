"""The API's request and response shapes. Bounds on every field: a bad request is a 422 naming the field,
never a 500, and never a request the database cannot store."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# A region or topic: no control characters (PostgreSQL refuses NUL in text; nobody types the others).
Tag = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]+$")]


def _no_nul(value: Any) -> Any:
    """The one rule for every text the API takes: no NUL anywhere (PostgreSQL refuses it in text; no
    person types it), whatever the field's own pattern says (`\\S` matches a NUL)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("contains a NUL character")
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            _no_nul(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_nul(key)
            _no_nul(item)
    return value


class Strict(BaseModel):
    """Every request body of the API (and of alerts' routes): unknown fields, non-finite numbers and NUL
    characters are a 422 naming the field."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _text_without_nul(cls, value: Any) -> Any:
        return _no_nul(value)


class AudienceIn(Strict):
    regions: list[Tag] = Field(default_factory=list, max_length=50)
    topics: list[Tag] = Field(default_factory=list, max_length=50)
    tiers: list[Literal["observer", "contributor", "partner", "coordinator", "moderator"]] = Field(
        default_factory=list, max_length=5)


class AreaIn(Strict):
    """relay/geo: only the people inside these polygons and circles or with these geocodes (CAP forms)."""

    polygons: list[Annotated[str, Field(min_length=1, max_length=20000)]] = Field(
        default_factory=list, max_length=20, description='"lat,lon lat,lon ...": a closed ring, as in CAP')
    circles: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=20, description='"lat,lon radius_km"')
    geocodes: list[Annotated[str, Field(min_length=3, max_length=100)]] = Field(
        default_factory=list, max_length=50, description="NAME=VALUE, e.g. SAME=006113")
    no_location: Literal["include", "exclude"] | None = Field(
        None, description="The people who have no location: include or exclude (default: [geo] no_location; "
        "'ask' there refuses a broadcast that has some and says how many)")


class BroadcastIn(Strict):
    kind: Literal["crisis", "webinar", "notice"] = "notice"
    severity: Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"] = "Unknown"
    urgency: Literal["Immediate", "Expected", "Future", "Past", "Unknown"] = "Unknown"
    certainty: Literal["Observed", "Likely", "Possible", "Unlikely", "Unknown"] = "Unknown"
    body: str = Field(min_length=1, max_length=4000, pattern=r"^[^\x00]*$")
    language: str | None = Field(None, pattern=r"^[a-z]{2,3}$", description="Language of the body "
                                 "(default: the relay's default_language)")
    audience: AudienceIn = Field(default_factory=AudienceIn)
    human_texts: dict[str, Annotated[str, Field(max_length=4000, pattern=r"^[^\x00]*$")]] = Field(default_factory=dict, max_length=60,
                                        description="language -> a person's text, used instead of a machine one")
    expires_minutes: int | None = Field(None, ge=1, le=60 * 24 * 30)
    poll_options: list[Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[^\x00-\x1f]+$")]] = Field(default_factory=list, max_length=9, description="Make it a poll: one answer "
                                    "per option, numbered in order (safe, help, yes, no are known in several "
                                    "languages; !word marks an answer whose people need help)")
    area: AreaIn | None = None


class ChannelCost(BaseModel):
    channel: str
    recipients: int
    encoding: str | None = None  # SMS only: GSM-7 or UCS-2
    units: int | None = None
    segments: int | None = None  # per message
    template: int | None = None  # WhatsApp: recipients outside their 24-hour window, sent the template instead
    cost: float


class LanguagePreview(BaseModel):
    language: str
    recipients: int
    text: str
    origin: str  # original | human | machine | untranslated
    engine: str | None
    pending_approval: bool
    gate: dict | None = None  # the quality gate's verdict and each check (machine texts only)
    gate_action: str | None = None  # what a failed text gets: hold | original
    channels: list[ChannelCost]


class ChannelEstimate(BaseModel):
    channel: str
    recipients: int
    units: int  # segments for SMS, messages otherwise
    rate_per_second: float | None  # None: no limit configured
    seconds: float | None


class PreviewOut(BaseModel):
    total: int
    by_channel: dict[str, int]
    by_language: dict[str, int]
    languages: list[LanguagePreview]
    estimates: list[ChannelEstimate]
    estimated_seconds: float | None
    cost: float
    currency: str
    needs_second_approval: bool
    # relay/fatigue: deliveries that would wait for their people's quiet hours, and when the last goes
    quiet_hours: "QuietHoursPreview | None" = None
    # relay/geo: people per part of the area, inside in all, and those without a location
    area: "AreaPreview | None" = None


class AreaPreview(BaseModel):
    parts: list[dict[str, str | int]]
    inside: int
    no_location: int
    no_location_policy: str | None = None
    message: str


class LocationIn(Strict):
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    geocodes: list[Annotated[str, Field(min_length=3, max_length=100)]] = Field(
        default_factory=list, max_length=20, description="NAME=VALUE, e.g. SAME=006113")


class LocationOut(BaseModel):
    subscriber: int
    latitude: float | None
    longitude: float | None
    geocodes: list[str]


class QuietHoursPreview(BaseModel):
    waiting: int
    last_release: str | None = None


class BroadcastCreated(BaseModel):
    id: int | None = None  # the broadcast, once queued
    draft_id: int | None = None  # or the draft that waits for a second coordinator
    status: Literal["queued", "awaiting_second_approval"]
    deliveries: int = 0
    languages: dict[str, str] = Field(default_factory=dict)
    pending_approval: list[str] = Field(default_factory=list)


class Progress(BaseModel):
    id: int
    total: int
    final: int
    by_status: dict[str, int]
    by_channel: dict[str, dict[str, int]]
    by_language: dict[str, dict[str, int]]


class Unreached(BaseModel):
    channel: str
    address: str | None = Field(description="Personal data: null unless the caller may view subscribers")
    status: str
    error: str | None


class BroadcastOut(BaseModel):
    id: int
    kind: str
    severity: str
    body: str
    source_language: str
    sender: str
    status: str
    created_at: str
    audience: dict
    progress: Progress
    unreached: list[Unreached]


class BroadcastSummary(BaseModel):
    id: int
    kind: str
    severity: str
    body: str
    status: str
    created_at: str


class Cancelled(BaseModel):
    id: int
    cancelled: int


class DraftOut(BaseModel):
    id: int
    status: str
    created_by: str
    request: dict
    broadcast_id: int | None


class Me(BaseModel):
    actor: str
    name: str | None
    tier: str
    regions: list[str]
    topics: list[str]
    can: dict[str, bool]


class SubscriberIn(Strict):
    language: str = Field(pattern=r"^[a-z]{2,3}$")
    name: str | None = Field(None, max_length=200, pattern=r"^[^\x00]*$")
    phone: str | None = Field(None, max_length=40, pattern=r"^[^\x00]*$")
    telegram: str | None = Field(None, max_length=40, pattern=r"^[^\x00]*$")
    matrix: str | None = Field(None, max_length=255, pattern=r"^[^\x00]*$")
    timezone: str | None = Field(None, max_length=64, pattern=r"^[^\x00]*$")
    tier: Literal["observer", "contributor", "partner", "coordinator", "moderator"] = "observer"
    regions: list[Tag] = Field(default_factory=list, max_length=50)
    topics: list[Tag] = Field(default_factory=list, max_length=50)


class EndpointOut(BaseModel):
    channel: str
    address: str
    opted_out: bool


class SubscriberOut(BaseModel):
    id: int
    name: str | None
    language: str
    timezone: str
    tier: str
    regions: list[str]
    topics: list[str]
    endpoints: list[EndpointOut]


class RowError(BaseModel):
    line: int
    error: str


class ImportOut(BaseModel):
    created: int
    updated: int
    errors: list[RowError]


class Forgotten(BaseModel):
    id: int
    addresses: int


class VoteOut(BaseModel):
    moderator: str
    decision: str
    reason: str | None


class FlagOut(BaseModel):
    id: int
    status: str
    state: str
    text: str
    channel: str
    sender: str
    language: str | None
    score: float
    reasons: list[str]
    created_at: str
    votes: list[VoteOut]


class VoteIn(Strict):
    decision: Literal["release", "warn", "false"]
    reason: str | None = Field(None, max_length=1000, pattern=r"^[^\x00]*$")
    correction: str | None = Field(None, max_length=1000, pattern=r"^[^\x00]*$")


class VoteResultOut(BaseModel):
    flag_id: int
    decision: str
    votes_for: int
    quorum: int
    decided: str | None
    claim_id: int | None
    corrections: list[int]
    released: bool


class CorrectionIn(Strict):
    text: str | None = Field(None, min_length=1, max_length=2000, pattern=r"^[^\x00]*$",
                             description="What to tell people instead (omitted: the moderators' standard text)")
    language: str | None = Field(None, pattern=r"^[a-z]{2,3}$")


class CorrectionOut(BaseModel):
    id: int  # the correction broadcast
    corrects: int
    deliveries: int


class TextOut(BaseModel):
    language: str
    text: str
    origin: str
    status: str  # ready | pending_approval | approved
    draft: str | None  # the machine text waiting for a person
    engine: str | None = None
    gate_verdict: str | None = None  # pass | fail: the quality gate's answer for a machine text
    gate_checks: dict | None = None  # its verdict and each check (name, status, value, threshold)
    offer_deadline: str | None = None  # until when volunteer translators were asked for this text


class ApproveIn(Strict):
    text: str | None = Field(None, min_length=1, max_length=4000, pattern=r"^[^\x00]*$",
                             description="A person's text instead of the machine draft (omitted: approve the draft)")


class ApprovalOut(BaseModel):
    language: str
    released: int
    follow_up: int | None
    follow_up_deliveries: int


class PollOut(BaseModel):
    broadcast_id: int
    asked: int
    answered: int
    by_option: dict[str, int]


class Problem(BaseModel):
    detail: str | list
