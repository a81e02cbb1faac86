"""Every database read of the live feed: the outbox (replay, bounds, the rows the publisher
sends) and the viewer (session, roles, areas). The consumer makes each on the database thread,
one trip per call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import import_module
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, connection
from django.db.models import Max, Min
from django.http import HttpRequest

from incidents import roles
from incidents.models import OutboxEvent
from incidents.selectors import events_after, user_area_ids

from ..security import sessions
from . import protocol

T = TypeVar("T")

# The outbox columns an event on the wire needs.
WIRE_FIELDS = ("id", "kind", "entity_type", "entity_id", "area_ids", "user_ids", "payload")


def wire(row: OutboxEvent) -> protocol.WireEvent:
    return protocol.wire_event(
        seq=row.id,
        kind=row.kind,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        area_ids=row.area_ids,
        user_ids=row.user_ids,
        payload=row.payload,
    )


def outbox_bounds() -> tuple[int, int]:
    """(oldest retained id, newest id); (0, 0) for an empty outbox."""
    bounds = OutboxEvent.objects.aggregate(oldest=Min("id"), newest=Max("id"))
    return bounds["oldest"] or 0, bounds["newest"] or 0


def wire_events_after(sequence: int, limit: int) -> list[protocol.WireEvent]:
    return [wire(row) for row in events_after(sequence, limit).only(*WIRE_FIELDS)]


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
    if sessions.expired(request.session):  # idle, or logged in longer than a shift ago
        return AnonymousUser()
    return auth.get_user(request)


def open_for(user: Any) -> tuple[bool, int, int]:
    """At connect: (may watch the feed, oldest retained id, newest id)."""
    if not prepare_viewer(user):
        return False, 0, 0
    return True, *outbox_bounds()


def heartbeat_reads(
    session_key: str | None, user_id: int, sequence: int, limit: int
) -> tuple[Any, int | None, list[protocol.WireEvent]]:
    """At each heartbeat: (fresh user, None, events after `sequence`), or (None, close code, [])
    when the session ended or the user lost their operational role. An open map is activity:
    it keeps the session from idling out (never past the shift cap)."""
    user = current_user(session_key)
    if not user.is_authenticated or user.pk != user_id:
        return None, protocol.CLOSE_UNAUTHENTICATED, []
    sessions.note_live_activity(session_key)
    if not prepare_viewer(user):
        return None, protocol.CLOSE_FORBIDDEN, []
    return user, None, wire_events_after(sequence, limit)


def on_db_thread(fn: Callable[..., T]) -> Callable[..., Awaitable[T]]:
    """Run a read on Channels' one database thread and keep its connection open.

    database_sync_to_async closes "old" connections around every call, and with CONN_MAX_AGE=0
    that is a new PostgreSQL connection per call: per heartbeat, per client. A failed read
    drops the connection so that the next one reconnects.
    """

    def call(*args: Any) -> T:
        try:
            return fn(*args)
        except DatabaseError:
            connection.close()
            raise

    return sync_to_async(call, thread_sensitive=True)
