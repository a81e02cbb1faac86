"""The live feed's server side outside the socket: publishing committed outbox events to the
Channels layer, and the outbox reads the consumer needs.

Publishing is an optimisation, never the source of truth. The group message carries the events
(frames already encoded) and `prev`, the committed sequence just before them. A consumer whose
cursor is at or past `prev` forwards them without touching the database; any other consumer
(a lost, dropped or reordered message) reads what it missed from the outbox. So delivery is
exactly once and in order per client whatever channels-redis drops.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
from collections.abc import Iterable
from importlib import import_module
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib import auth
from django.db import DatabaseError
from django.db.models import Max, Min, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from incidents import roles
from incidents.models import OutboxEvent
from incidents.selectors import events_after, user_area_ids

from . import feed

logger = logging.getLogger(__name__)

# Events per channel-layer message: keeps one message small when a transaction emits many.
MAX_EVENTS_PER_MESSAGE = 100
# How long a committing thread waits for Redis before leaving the events to the outbox.
PUBLISH_TIMEOUT_SECONDS = 5.0
_WIRE_FIELDS = ("id", "kind", "entity_type", "entity_id", "area_ids", "user_ids", "payload")


def group_name() -> str:
    """The one group every feed consumer joins; visibility is decided per consumer.

    Named after the database, so two deployments (or a test run and a dev server) sharing a
    Redis database never receive each other's events.
    """
    database = re.sub(r"[^A-Za-z0-9_.-]", "-", str(settings.DATABASES["default"]["NAME"]))
    return f"koban.operations.{database[:60]}"


def _wire(row: OutboxEvent) -> feed.WireEvent:
    return feed.wire_event(
        seq=row.id,
        kind=row.kind,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        area_ids=row.area_ids,
        user_ids=row.user_ids,
        payload=row.payload,
    )


def publish_events(event_ids: Iterable[int]) -> None:
    """Hand committed outbox events to every connected consumer (called after commit).

    Failures are logged and swallowed: the events are committed, and clients get them from the
    outbox on their next message, heartbeat or reconnect.
    """
    ids = sorted(set(event_ids))
    layer = get_channel_layer()
    if not ids or layer is None:
        return
    # One query: the committed event just before (its id is `prev`) and the whole id range, so
    # each message is a contiguous run of the committed sequence.
    before = OutboxEvent.objects.filter(id__lt=ids[0]).order_by("-id").values("id")[:1]
    try:
        rows = list(
            OutboxEvent.objects.filter(
                id__gte=Coalesce(Subquery(before), Value(ids[0])), id__lte=ids[-1]
            )
            .only(*_WIRE_FIELDS)
            .order_by("id")
        )
    except DatabaseError:
        logger.exception("reading outbox events %s failed; clients will replay them", ids)
        return
    prev = rows[0].id if rows and rows[0].id < ids[0] else 0
    rows = [row for row in rows if row.id >= ids[0]]
    if not rows:
        return
    messages = []
    for start in range(0, len(rows), MAX_EVENTS_PER_MESSAGE):
        chunk = rows[start : start + MAX_EVENTS_PER_MESSAGE]
        messages.append({"type": "feed.events", "prev": prev, "events": [_wire(r) for r in chunk]})
        prev = chunk[-1].id
    sending = asyncio.run_coroutine_threadsafe(_send_all(layer, messages), _publishing_loop())
    try:
        sending.result(PUBLISH_TIMEOUT_SECONDS)
    except Exception as exc:  # Redis down, slow or full: the outbox keeps the events
        sending.cancel()
        logger.warning("channel layer unavailable (%r); events %s wait in the outbox", exc, ids)


async def _send_all(layer: Any, messages: list[dict[str, Any]]) -> None:
    for message in messages:
        await layer.group_send(group_name(), message)


_loop_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid: int | None = None


def _publishing_loop() -> asyncio.AbstractEventLoop:
    """One event loop per process, on a daemon thread, keeping its Redis connections open.

    async_to_sync from a plain thread (a Celery worker, a command) would build a loop and a
    Redis connection per call: about 5 ms each time instead of 0.5 ms. Re-created after fork.
    """
    global _loop, _loop_pid
    with _loop_lock:
        if _loop is None or _loop_pid != os.getpid():
            _loop, _loop_pid = asyncio.new_event_loop(), os.getpid()
            threading.Thread(
                target=_loop.run_forever, name="koban-live-publisher", daemon=True
            ).start()
        return _loop


# --- Reads for the consumer (each one trip to the database thread) ------------------------------


def outbox_bounds() -> tuple[int, int]:
    """(oldest retained id, newest id); (0, 0) for an empty outbox."""
    bounds = OutboxEvent.objects.aggregate(oldest=Min("id"), newest=Max("id"))
    return bounds["oldest"] or 0, bounds["newest"] or 0


def wire_events_after(sequence: int, limit: int) -> list[feed.WireEvent]:
    return [_wire(row) for row in events_after(sequence, limit).only(*_WIRE_FIELDS)]


def prepare_viewer(user: Any) -> bool:
    """Load the user's roles and areas once, so per-event visibility needs no query.

    Returns whether the user may watch the feed at all (an operational role).
    """
    for attr in ("_koban_roles", "_koban_area_ids"):
        if hasattr(user, attr):
            delattr(user, attr)
    roles.role_names(user)
    user_area_ids(user)
    return roles.is_operational(user)


def current_user(session_key: str | None) -> Any:
    """The session's user as of now (anonymous once logged out or the password changed)."""
    engine = import_module(settings.SESSION_ENGINE)
    request = HttpRequest()
    request.session = engine.SessionStore(session_key)
    return auth.get_user(request)


def open_for(user: Any) -> tuple[bool, int, int]:
    """At connect: (may watch the feed, oldest retained id, newest id)."""
    if not prepare_viewer(user):
        return False, 0, 0
    return True, *outbox_bounds()


def heartbeat_reads(
    session_key: str | None, user_id: int, sequence: int, limit: int
) -> tuple[Any, int | None, list[feed.WireEvent]]:
    """At each heartbeat: (fresh user, None, events after `sequence`), or (None, close code, [])
    when the session ended or the user lost their operational role."""
    user = current_user(session_key)
    if not user.is_authenticated or user.pk != user_id:
        return None, feed.CLOSE_UNAUTHENTICATED, []
    if not prepare_viewer(user):
        return None, feed.CLOSE_FORBIDDEN, []
    return user, None, wire_events_after(sequence, limit)
