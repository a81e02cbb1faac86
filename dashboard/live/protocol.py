"""The live-feed protocol: message types, event schemas, close codes, and frame builders.

One place says what travels on `/ws/operations/` so the consumer, the publisher, the docs
(docs/live-feed.md) and the tests agree. Event frames are encoded once, by whoever reads the
outbox row, and forwarded as text by every consumer that may see them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

# --- Close codes (the browser reads them from CloseEvent.code) ------------------------------------
CLOSE_UNAUTHENTICATED = 4401  # no valid session: log in again
CLOSE_FORBIDDEN = 4403  # signed in, but not an operational role
CLOSE_TOO_SLOW = 4408  # fell too far behind: reconnect with ?after=<last seq>
CLOSE_TOO_MANY_CONNECTIONS = 4409  # the user has KOBAN_LIVE_MAX_CONNECTIONS_PER_USER sockets open
CLOSE_RATE_LIMITED = 4429  # sent messages faster than allowed: reconnect after a pause
CLOSE_UNAVAILABLE = 4503  # channel layer or database unavailable: reconnect with backoff
# A 4503 may carry this close reason: wait at least that many seconds (plus jitter) before the
# next attempt; the server refuses new sockets without trying Redis until then.
RETRY_AFTER_REASON = "retry-after={seconds}"


def retry_after_reason(seconds: float) -> str:
    return RETRY_AFTER_REASON.format(seconds=max(1, math.ceil(seconds)))


# --- Reasons of a `reload` message ---------------------------------------------------------------
RELOAD_EXPIRED = "expired"  # events after `after` were pruned from the outbox
RELOAD_TOO_FAR_BEHIND = "too-far-behind"  # more events missed than a replay may carry
RELOAD_UNKNOWN_SEQUENCE = "unknown-sequence"  # `after` is not a sequence this server handed out


# --- Event payloads (built in incidents/events.py; no personal data) ----------------------------
class _Payload(BaseModel):
    # Unknown keys fail the schema test: a new field must be added here on purpose.
    model_config = ConfigDict(extra="forbid", strict=True)


LonLat = Annotated[list[float], Field(min_length=2, max_length=2)]


class IncidentPayload(_Payload):
    id: int
    reference: str
    title: str
    category: str
    priority: str
    status: str
    location: LonLat | None
    address: str
    area: int | None
    concern: int | None
    reported_at: datetime
    updated_at: datetime


class ConcernPayload(_Payload):
    id: int
    reference: str
    title: str
    category: str
    priority: str
    status: str
    location: LonLat | None
    area: int | None
    next_review_on: date | None
    updated_at: datetime


class PatrolPayload(_Payload):
    id: int
    call_sign: str
    kind: str
    status: str
    area: int | None
    location: LonLat | None
    position_at: datetime | None


class FollowUpPayload(_Payload):
    id: int
    title: str
    incident: int | None
    concern: int | None
    assignee: int | None
    assignee_patrol: int | None
    due_at: datetime
    status: str
    tell_resident: bool
    updated_at: datetime


class TimelinePayload(_Payload):
    id: int
    incident: int | None
    concern: int | None
    kind: str
    actor: str
    from_status: str
    to_status: str
    text: str
    created_at: datetime


class RepeatPlacePayload(_Payload):
    """A repeat-place proposal (issue 16): supervisors only, no person in it."""

    id: int
    status: str
    category: str
    incident_count: int
    centre: LonLat | None
    radius_m: int
    place: list[LonLat]
    area: int | None
    first_reported_at: datetime
    last_reported_at: datetime
    reason: str
    concern: int | None
    updated_at: datetime


class RemovedPayload(_Payload):
    """The item left this client's view (moved to an area it does not see, given to someone
    else): drop it. Never sent to those who see everything."""

    id: int


@dataclass(frozen=True)
class EventType:
    kind: str
    entities: tuple[str, ...]
    payload: type[BaseModel]
    # Only the newest event per entity is delivered within one batch (GPS fixes).
    coalesce: bool = False


EVENT_TYPES: dict[str, EventType] = {
    t.kind: t
    for t in (
        EventType("incident.upserted", ("incident",), IncidentPayload),
        EventType("concern.upserted", ("concern",), ConcernPayload),
        EventType("patrol.upserted", ("patrol",), PatrolPayload),
        EventType("patrol.moved", ("patrol",), PatrolPayload, coalesce=True),
        EventType("followup.upserted", ("followup",), FollowUpPayload),
        EventType("incident.removed", ("incident",), RemovedPayload),
        EventType("concern.removed", ("concern",), RemovedPayload),
        EventType("followup.removed", ("followup",), RemovedPayload),
        EventType("timeline.added", ("incident", "concern"), TimelinePayload),
        EventType("repeat_place.upserted", ("repeat_place",), RepeatPlacePayload),
    )
}
COALESCED_KINDS = frozenset(k for k, t in EVENT_TYPES.items() if t.coalesce)


# --- Server -> client messages -------------------------------------------------------------------
class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Hello(_Message):
    type: Literal["hello"]
    sequence: int
    heartbeat_seconds: float


class Event(_Message):
    type: Literal["event"]
    seq: int
    kind: str
    entity: str
    id: int
    payload: dict[str, Any]


class Reload(_Message):
    type: Literal["reload"]
    reason: str
    sequence: int


class Heartbeat(_Message):
    type: Literal["heartbeat"]
    sequence: int


class Pong(_Message):
    type: Literal["pong"]


class Error(_Message):
    type: Literal["error"]
    detail: str


ServerMessage = TypeAdapter(
    Annotated[Hello | Event | Reload | Heartbeat | Pong | Error, Field(discriminator="type")]
)


def _frame(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def hello_frame(sequence: int, heartbeat_seconds: float) -> str:
    return _frame({"type": "hello", "sequence": sequence, "heartbeat_seconds": heartbeat_seconds})


def reload_frame(reason: str, sequence: int) -> str:
    return _frame({"type": "reload", "reason": reason, "sequence": sequence})


def heartbeat_frame(sequence: int) -> str:
    return _frame({"type": "heartbeat", "sequence": sequence})


def pong_frame() -> str:
    return _frame({"type": "pong"})


def error_frame(detail: str) -> str:
    return _frame({"type": "error", "detail": detail})


# --- Client -> server messages -------------------------------------------------------------------
MAX_CLIENT_FRAME = 1024
# Tokens a message takes from the socket's bucket (KOBAN_LIVE_MESSAGE_BURST, refilled at
# KOBAN_LIVE_MESSAGES_PER_MINUTE): a resume reads and replays the outbox; anything else is cheap.
MESSAGE_COST = 1
RESUME_COST = 5


class Resume(_Message):
    type: Literal["resume"]
    after: int = Field(ge=0, strict=True)


class Ping(_Message):
    type: Literal["ping"]


_ClientMessage = TypeAdapter(Annotated[Resume | Ping, Field(discriminator="type")])


class ProtocolError(ValueError):
    """A client frame this protocol does not understand; answered with an `error` message."""


def parse_client_message(text: str | None) -> Resume | Ping:
    if not text:
        raise ProtocolError("Send JSON text frames.")
    if len(text) > MAX_CLIENT_FRAME:
        raise ProtocolError(f"Frames are limited to {MAX_CLIENT_FRAME} characters.")
    try:
        return _ClientMessage.validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "message"
        raise ProtocolError(f"{where}: {first['msg']}") from None


def parse_after(raw: str | None) -> int | None:
    """The `after` query parameter: None when absent; ProtocolError when not a sequence."""
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 19:
        raise ProtocolError("after must be a non-negative integer.")
    return int(raw)


# --- Events on their way to clients ---------------------------------------------------------------
class WireEvent(TypedDict):
    """An outbox row as the channel layer carries it: what visibility needs, plus the frame."""

    seq: int
    kind: str
    entity_id: int
    area_ids: list[int]
    user_ids: list[int]
    frame: str


def wire_event(
    *,
    seq: int,
    kind: str,
    entity_type: str,
    entity_id: int,
    area_ids: list[int],
    user_ids: list[int],
    payload: dict[str, Any],
) -> WireEvent:
    frame = _frame(
        {
            "type": "event",
            "seq": seq,
            "kind": kind,
            "entity": entity_type,
            "id": entity_id,
            "payload": payload,
        }
    )
    return {
        "seq": seq,
        "kind": kind,
        "entity_id": entity_id,
        "area_ids": list(area_ids),
        "user_ids": list(user_ids),
        "frame": frame,
    }
