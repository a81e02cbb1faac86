"""The operations feed over a websocket (`/ws/operations/`); protocol in docs/live-feed.md.

A consumer authenticates from the session, joins the feed group, replays from the outbox what
the client missed, then forwards the committed events its user may see, in sequence order. It
never writes the database. Whenever it cannot vouch for the order (a lost group message, a
heartbeat, a reconnect) it reads the outbox instead of trusting the channel layer.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any, TypeVar
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError, connection
from redis.exceptions import RedisError

from incidents.selectors import event_visible_to

from . import feed, live
from .security import two_factor
from .throttle import ConnectionSlots, TokenBucket

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Outbox rows read per query while replaying; the socket drains between two batches.
REPLAY_BATCH = 500
# A replay waits this long for a full send queue to drain before giving up on the client.
DRAIN_TIMEOUT_SECONDS = 30.0
# The channel layer or the database went away: close, and let the client reconnect and replay.
UNAVAILABLE = (RedisError, OSError, DatabaseError)
# Longest wait for Redis while joining (connection slot, group) or leaving; a frozen Redis then
# refuses the socket (4503) instead of holding it, and a membership not removed in time is left
# to the publisher thread, which removes it once Redis answers (dashboard.live.discard_later).
JOIN_TIMEOUT_SECONDS = 3.0
LEAVE_TIMEOUT_SECONDS = 2.0


class _LayerHealth:
    """After a Redis failure, new sockets are refused for a while without trying Redis (a
    "circuit breaker" per process and channel layer); each failure after that window doubles it,
    from 1 s up to MAX_SECONDS. The refusal (4503, reason retry-after=N) says how long to wait."""

    MAX_SECONDS = 15.0

    def __init__(self) -> None:
        self.window = 0.0
        self.down_until = 0.0

    def retry_after(self) -> float:
        return max(0.0, self.down_until - time.monotonic())

    def failed(self) -> float:
        now = time.monotonic()
        if now >= self.down_until:
            self.window = min(self.MAX_SECONDS, max(1.0, self.window * 2))
            self.down_until = now + self.window
        return self.down_until - now

    def recovered(self) -> None:
        self.window = self.down_until = 0.0


_health: weakref.WeakKeyDictionary[Any, _LayerHealth] = weakref.WeakKeyDictionary()


def layer_health(layer: Any) -> _LayerHealth:
    if layer is None:  # no channel layer configured: nothing to remember
        return _LayerHealth()
    health = _health.get(layer)
    if health is None:
        health = _health[layer] = _LayerHealth()
    return health


def _read(fn: Callable[..., T]) -> Callable[..., Awaitable[T]]:
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


class _SendQueue:
    """Frames waiting for one client's socket, oldest first.

    A patrol position still waiting here is dropped when a newer one for the same patrol is
    queued (the latest wins), so a fleet of GPS feeds cannot pile up in front of a slow browser.
    """

    def __init__(self) -> None:
        # Each slot: [frame, or None once superseded; seq of an event or None; coalescing key].
        self._slots: deque[list[Any]] = deque()
        self._latest: dict[tuple[str, int], list[Any]] = {}
        self._ready = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()

    def __len__(self) -> int:
        return len(self._slots)

    def put(self, frame: str, seq: int | None = None, key: tuple[str, int] | None = None) -> None:
        slot = [frame, seq, key]
        if key is not None:
            older = self._latest.get(key)
            if older is not None:
                older[0] = None
            self._latest[key] = slot
        self._slots.append(slot)
        self._drained.clear()
        self._ready.set()

    def drop_events(self) -> None:
        """Forget queued events (a resume replays them); keep protocol messages such as hello."""
        for slot in self._slots:
            if slot[1] is not None:
                slot[0] = None
        self._latest.clear()

    async def get(self) -> str:
        while True:
            while not self._slots:
                self._drained.set()
                self._ready.clear()
                await self._ready.wait()
            slot = self._slots.popleft()
            if slot[2] is not None and self._latest.get(slot[2]) is slot:
                del self._latest[slot[2]]
            if slot[0] is not None:
                return slot[0]

    def sent(self) -> None:
        if not self._slots:
            self._drained.set()

    async def drained(self) -> None:
        await self._drained.wait()


class OperationsConsumer(AsyncWebsocketConsumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.groups = []
        self.user: Any = None
        # The newest sequence this client has been given or deliberately skipped (not visible).
        self.cursor = 0
        self._lock = asyncio.Lock()
        self._queue = _SendQueue()
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False
        self._joined_at = 0.0
        self._heartbeat_seconds = float(settings.KOBAN_LIVE_HEARTBEAT_SECONDS)
        self._max_replay = int(settings.KOBAN_LIVE_MAX_REPLAY)
        self._max_backlog = int(settings.KOBAN_LIVE_MAX_BACKLOG)
        self._bucket = TokenBucket(
            settings.KOBAN_LIVE_MESSAGE_BURST, settings.KOBAN_LIVE_MESSAGES_PER_MINUTE / 60
        )
        self._slots: ConnectionSlots | None = None
        self._slot_user = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        except UNAVAILABLE as exc:
            if not self._closed:  # else dispatch closed already
                logger.warning("live feed: %r; closing so the client reconnects and replays", exc)
                await self._stop(feed.CLOSE_UNAVAILABLE, send, reason=self._unavailable(exc))
        finally:
            self._cancel_tasks()
            for group in self.groups:  # not left (an error, or cancelled): leave in background
                live.discard_later(group, self.channel_name)
            self.groups = []
            await self._release_slot()

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Like Channels' own, minus closing stale DB connections before every message.

        That costs a trip to the one database thread per event per client, for handlers that
        mostly never touch the database (see `_read`).
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        try:
            await handler(message)
        except UNAVAILABLE as exc:
            # Close before leaving: Channels then cancels this consumer's channel-layer read,
            # which can take seconds after a Redis restart, and the client would wait as long.
            logger.warning("live feed: %r; closing so the client reconnects and replays", exc)
            await self._stop(feed.CLOSE_UNAVAILABLE, reason=self._unavailable(exc))
            raise

    # --- Socket life cycle -------------------------------------------------------------------

    async def connect(self) -> None:
        # Accept first: a refused handshake reaches the browser without its close code.
        await self.accept()
        # Redis failed moments ago: refuse without trying it, and say when to come back.
        wait = layer_health(self.channel_layer).retry_after()
        if wait:
            await self._stop(feed.CLOSE_UNAVAILABLE, reason=feed.retry_after_reason(wait))
            return
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self._stop(feed.CLOSE_UNAUTHENTICATED)
            return
        # A session that still owes its second factor is not signed in yet (log in again).
        if not await _read(two_factor.passes)(user, self.scope.get("session")):
            await self._stop(feed.CLOSE_UNAUTHENTICATED)
            return
        if not await asyncio.wait_for(self._take_slot(user), JOIN_TIMEOUT_SECONDS):
            logger.info("live feed: %s has too many sockets open; refusing one", user)
            await self._stop(feed.CLOSE_TOO_MANY_CONNECTIONS)
            return
        # Join before reading the newest sequence, so nothing committed in between is missed.
        group = live.group_name()
        self.groups.append(group)
        await asyncio.wait_for(
            self.channel_layer.group_add(group, self.channel_name), JOIN_TIMEOUT_SECONDS
        )
        layer_health(self.channel_layer).recovered()
        self._joined_at = time.monotonic()
        allowed, oldest, newest = await _read(live.open_for)(user)
        if not allowed:
            await self._stop(feed.CLOSE_FORBIDDEN)
            return
        self.user = user
        self._tasks = [
            asyncio.create_task(self._write_loop()),
            asyncio.create_task(self._heartbeat_loop()),
        ]
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        invalid = None
        try:
            after = feed.parse_after((query.get("after") or [None])[-1])
        except feed.ProtocolError as exc:
            after, invalid = None, str(exc)
        async with self._lock:
            self._queue.put(feed.hello_frame(newest, self._heartbeat_seconds))
            if invalid:
                self._queue.put(feed.error_frame(invalid))
                self._reload(feed.RELOAD_UNKNOWN_SEQUENCE, newest)
            else:
                await self._start_from(after, oldest, newest)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        self._closed = True
        self._cancel_tasks()
        groups, self.groups = self.groups, []
        for group in groups:
            await self._leave(group)
        await self._release_slot()
        raise StopConsumer()

    async def _leave(self, group: str) -> None:
        """Leave the group now, or have the publisher thread do it once Redis answers: a
        channel left behind would collect every event until group_expiry (and log "over
        capacity" for each)."""
        left = False
        try:
            await asyncio.wait_for(
                self.channel_layer.group_discard(group, self.channel_name), LEAVE_TIMEOUT_SECONDS
            )
            left = True
        except UNAVAILABLE as exc:
            logger.info(
                "live feed: could not leave %s now (%r); retrying in the background", group, exc
            )
        finally:  # also when Daphne cancels a consumer that takes too long to close
            if not left:
                live.discard_later(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self._closed or self.user is None:
            return
        message: feed.Resume | feed.Ping | None = None
        try:
            message = feed.parse_client_message(text_data)
        except feed.ProtocolError as exc:
            invalid = str(exc)
        # A resume replays the outbox: it costs more, so a flood of them closes the socket after
        # a few replays instead of replaying again and again. (Channels hands a consumer its
        # messages one at a time: two replays of one socket never overlap.)
        cost = feed.RESUME_COST if isinstance(message, feed.Resume) else feed.MESSAGE_COST
        if not self._bucket.take(cost):
            logger.info("live feed: %s sends messages too fast; closing", self.user)
            await self._stop(feed.CLOSE_RATE_LIMITED)
            return
        if message is None:
            self._queue.put(feed.error_frame(invalid))
            return
        if isinstance(message, feed.Ping):
            self._queue.put(feed.pong_frame())
            return
        async with self._lock:
            self._queue.drop_events()
            oldest, newest = await _read(live.outbox_bounds)()
            await self._start_from(message.after, oldest, newest)

    # --- Events from the channel layer (see dashboard.live.publish_events) -------------------

    async def feed_events(self, message: dict[str, Any]) -> None:
        events: list[feed.WireEvent] = message["events"]
        if self._closed or self.user is None or not events:
            return
        async with self._lock:
            last = events[-1]["seq"]
            if last <= self.cursor or self._closed:
                return
            if message["prev"] <= self.cursor:
                await self._deliver(events)
                return
            # Something between our cursor and these events never reached us: read the outbox.
            logger.info(
                "live feed: events %s..%s did not arrive; reading the outbox",
                self.cursor + 1,
                message["prev"],
            )
            if last - self.cursor > self._max_replay:
                self._reload(feed.RELOAD_TOO_FAR_BEHIND, last)
            else:
                await self._catch_up()

    # --- Delivery ---------------------------------------------------------------------------

    async def _start_from(self, after: int | None, oldest: int, newest: int) -> None:
        """Position the cursor at the client's `after` and replay, or tell it to reload."""
        if after is None:
            self.cursor = newest
        elif after > newest:
            self._reload(feed.RELOAD_UNKNOWN_SEQUENCE, newest)
        elif after < oldest - 1:
            self._reload(feed.RELOAD_EXPIRED, newest)
        elif newest - after > self._max_replay:
            self._reload(feed.RELOAD_TOO_FAR_BEHIND, newest)
        else:
            self.cursor = after
            await self._catch_up()

    def _reload(self, reason: str, sequence: int) -> None:
        self.cursor = max(self.cursor, sequence)
        self._queue.put(feed.reload_frame(reason, self.cursor))

    async def _catch_up(self, batch: list[feed.WireEvent] | None = None) -> None:
        """Send everything committed after the cursor, from the outbox, in batches.

        `batch` is the first batch when the caller has read it already.
        """
        replayed = 0
        while not self._closed:
            if batch is None:
                batch = await _read(live.wire_events_after)(self.cursor, REPLAY_BATCH)
            if not batch:
                return
            await self._deliver(batch, replaying=True)
            replayed += len(batch)
            if len(batch) < REPLAY_BATCH:
                return
            if replayed >= self._max_replay:
                _, newest = await _read(live.outbox_bounds)()
                self._reload(feed.RELOAD_TOO_FAR_BEHIND, newest)
                return
            batch = None
            await self._queue.drained()

    async def _deliver(self, events: list[feed.WireEvent], replaying: bool = False) -> None:
        """Queue the events the user may see; advance past all of them.

        Queued, a patrol position replaces that patrol's unsent one (see _SendQueue), so within
        a replayed batch only the newest position of each patrol goes out.

        Live events never wait: a client whose queue is full is disconnected. A replay waits
        for the socket to drain, up to DRAIN_TIMEOUT_SECONDS.
        """
        fresh = [ev for ev in events if ev["seq"] > self.cursor]
        for ev in fresh:
            if not event_visible_to(self.user, ev):  # type: ignore[arg-type]
                continue
            if len(self._queue) >= self._max_backlog and replaying:
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._queue.drained(), DRAIN_TIMEOUT_SECONDS)
            if len(self._queue) >= self._max_backlog:
                logger.info("live feed: %s is too slow; disconnecting it", self.user)
                await self._stop(feed.CLOSE_TOO_SLOW)
                return
            key = (ev["kind"], ev["entity_id"]) if ev["kind"] in feed.COALESCED_KINDS else None
            self._queue.put(ev["frame"], ev["seq"], key)
        if fresh:
            self.cursor = fresh[-1]["seq"]

    async def _write_loop(self) -> None:
        while True:
            frame = await self._queue.get()
            await self.base_send({"type": "websocket.send", "text": frame})
            self._queue.sent()

    async def _heartbeat_loop(self) -> None:
        """Every few seconds: re-check the session, catch up from the outbox, say the cursor.

        Jittered, so that hundreds of dashboards opened together do not beat together.
        """
        await asyncio.sleep(self._heartbeat_seconds * random.uniform(0.5, 1.0))
        while not self._closed:
            try:
                async with self._lock:
                    if self._closed:
                        return
                    user, refused, missed = await _read(live.heartbeat_reads)(
                        self.scope["session"].session_key, self.user.pk, self.cursor, REPLAY_BATCH
                    )
                    if refused:
                        await self._stop(refused)
                        return
                    self.user = user
                    if self._slots is not None:
                        await self._slots.renew(self.user.pk, self.channel_name)
                    # Membership expires after group_expiry (a socket whose leave was lost
                    # goes away by itself): re-join well before.
                    expiry = getattr(self.channel_layer, "group_expiry", 86400)
                    if time.monotonic() - self._joined_at > expiry / 4:
                        await self.channel_layer.group_add(live.group_name(), self.channel_name)
                        self._joined_at = time.monotonic()
                    await self._catch_up(missed)
                    if not self._closed:
                        self._queue.put(feed.heartbeat_frame(self.cursor))
            except UNAVAILABLE as exc:
                logger.warning("live feed heartbeat: %r; closing so the client reconnects", exc)
                await self._stop(feed.CLOSE_UNAVAILABLE, reason=self._unavailable(exc))
                return
            await asyncio.sleep(self._heartbeat_seconds * random.uniform(0.9, 1.1))

    async def _take_slot(self, user: Any) -> bool:
        """One of the user's KOBAN_LIVE_MAX_CONNECTIONS_PER_USER sockets, counted in Redis."""
        connection = getattr(self.channel_layer, "connection", None)
        if connection is None:  # a layer without Redis (tests of other parts): no count
            return True
        slots = ConnectionSlots(
            connection(0),
            scope=live.group_name(),
            max_per_user=int(settings.KOBAN_LIVE_MAX_CONNECTIONS_PER_USER),
            ttl=max(60.0, 3 * self._heartbeat_seconds),
        )
        if not await slots.acquire(user.pk, self.channel_name):
            return False
        self._slots, self._slot_user = slots, user.pk
        return True

    async def _release_slot(self) -> None:
        slots, self._slots = self._slots, None
        if slots is not None:  # left behind, the entry expires after its ttl
            with suppress(*UNAVAILABLE):
                await asyncio.wait_for(
                    slots.release(self._slot_user, self.channel_name), LEAVE_TIMEOUT_SECONDS
                )

    def _unavailable(self, exc: BaseException) -> str | None:
        """Note a Redis failure (new sockets are refused for a while); the close reason."""
        if isinstance(exc, DatabaseError):
            return None
        return feed.retry_after_reason(layer_health(self.channel_layer).failed())

    async def _stop(self, code: int, send: Any = None, reason: str | None = None) -> None:
        """Close with a protocol code (and a reason such as retry-after=N); nothing queued is
        sent after the close frame."""
        if self._closed:
            return
        self._closed = True
        self._cancel_tasks()
        message: dict[str, Any] = {"type": "websocket.close", "code": code}
        if reason:
            message["reason"] = reason
        with suppress(Exception):
            await (send or self.base_send)(message)

    def _cancel_tasks(self) -> None:
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
