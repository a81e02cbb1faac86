"""Session rules: an idle limit and a cap of one shift after the log-in.

The idle limit is kept here rather than in the session's expiry date, so that an open live map
can count as activity without its consumer writing the database: each heartbeat notes the
socket's activity in Redis, and the limit looks at the later of the last request and that.
The database row lives as long as the cap (SESSION_COOKIE_AGE).
"""

from __future__ import annotations

import time
from hashlib import sha256
from typing import Any

from django.conf import settings
from django.core.cache import cache

AUTH_AT = "koban_auth_at"
SEEN_AT = "koban_seen_at"


def _live_key(session_key: str) -> str:
    return "live-seen:" + sha256(session_key.encode()).hexdigest()[:32]


def mark_login(session: Any) -> None:
    now = int(time.time())
    session[AUTH_AT] = now
    session[SEEN_AT] = now


# Requests within this many seconds of the last noted one leave the session unchanged, so a
# busy screen writes its session row once a minute, not at every request (issue 14).
SEEN_AT_RESOLUTION_SECONDS = 60


def note_request(session: Any) -> None:
    now = int(time.time())
    if now - session.get(SEEN_AT, 0) >= SEEN_AT_RESOLUTION_SECONDS:
        session[SEEN_AT] = now


def note_live_activity(session_key: str | None) -> None:
    """An open live map is activity (called at each websocket heartbeat; Redis, not the
    database)."""
    if session_key:
        idle_seconds = settings.KOBAN_SESSION_IDLE_MINUTES * 60
        cache.set(_live_key(session_key), int(time.time()), timeout=idle_seconds)


def expired(session: Any) -> bool:
    """Whether the session is past the shift cap, or idle (no request and no live map) for
    longer than KOBAN_SESSION_IDLE_MINUTES."""
    now = time.time()
    auth_at = session.get(AUTH_AT)
    if auth_at is not None and now - auth_at > settings.KOBAN_SESSION_MAX_HOURS * 3600:
        return True
    seen = session.get(SEEN_AT)
    if seen is None:
        return False
    if now - seen <= settings.KOBAN_SESSION_IDLE_MINUTES * 60:
        return False
    live = cache.get(_live_key(session.session_key)) if session.session_key else None
    return now - max(seen, live or 0) > settings.KOBAN_SESSION_IDLE_MINUTES * 60
