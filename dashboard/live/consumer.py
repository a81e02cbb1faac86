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
from contextlib import suppress
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from incidents.selectors import event_visible_to

from ..security import two_factor
from ..throttle import ConnectionSlots, TokenBucket
from . import protocol, publisher, reads
from .health import layer_health
from .reads import on_db_thread
from .send_queue import SendQueue

logger = logging.getLogger(__name__)

# Outbox rows read per query while replaying; the socket drains between two batches.
REPLAY_BATCH = 500
# A replay waits this long for a full send queue to drain before giving up on the client.
DRAIN_TIMEOUT_SECONDS = 30.0
# The channel layer or the database went away: close, and let the client reconnect and replay.
UNAVAILABLE = (RedisError, OSError, DatabaseError)
# Longest wait for Redis while joining (connection slot, group) or leaving; a frozen Redis then
# refuses the socket (4503) instead of holding it, and a membership not removed in time is left
# to the publisher thread, which removes it once Redis answers (publisher.discard_later).
JOIN_TIMEOUT_SECONDS = 3.0
LEAVE_TIMEOUT_SECONDS = 2.0


class OperationsConsumer(AsyncWebsocketConsumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.groups = []
        self.user: Any = None
        # The newest sequence this client has been given or deliberately skipped (not visible).
        self.cursor = 0
        self._lock = asyncio.Lock()
        self._queue = SendQueue()
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
                await self._stop(protocol.CLOSE_UNAVAILABLE, send, reason=self._unavailable(exc))
        finally:
            self._cancel_tasks()
            for group in self.groups:  # not left (an error, or cancelled): leave in background
                publisher.discard_later(group, self.channel_name)
            self.groups = []
            await self._release_slot()

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Like Channels' own, minus closing stale DB connections before every message.

        That costs a trip to the one database thread per event per client, for handlers that
        mostly never touch the database (see `reads.on_db_thread`).
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
            await self._stop(protocol.CLOSE_UNAVAILABLE, reason=self._unavailable(exc))
            raise

    # --- Socket life cycle -------------------------------------------------------------------

    async def connect(self) -> None:
        # Accept first: a refused handshake reaches the browser without its close code.
        await self.accept()
        # Redis failed moments ago: refuse without trying it, and say when to come back.
        wait = layer_health(self.channel_layer).retry_after()
        if wait:
            await self._stop(protocol.CLOSE_UNAVAILABLE, reason=protocol.retry_after_reason(wait))
            return
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self._stop(protocol.CLOSE_UNAUTHENTICATED)
            return
        # A session that still owes its second factor is not signed in yet (log in again).
        if not await on_db_thread(two_factor.passes)(user, self.scope.get("session")):
            await self._stop(protocol.CLOSE_UNAUTHENTICATED)
            return
        if not await asyncio.wait_for(self._take_slot(user), JOIN_TIMEOUT_SECONDS):
            logger.info("live feed: %s has too many sockets open; refusing one", user)
            await self._stop(protocol.CLOSE_TOO_MANY_CONNECTIONS)
            return
        # Join before reading the newest sequence, so nothing committed in between is missed.
        group = publisher.group_name()
        self.groups.append(group)
        await asyncio.wait_for(
            self.channel_layer.group_add(group, self.channel_name), JOIN_TIMEOUT_SECONDS
        )
        layer_health(self.channel_layer).recovered()
        self._joined_at = time.monotonic()
        allowed, oldest, newest = await on_db_thread(reads.open_for)(user)
        if not allowed:
            await self._stop(protocol.CLOSE_FORBIDDEN)
            return
        self.user = user
        self._tasks = [
            asyncio.create_task(self._write_loop()),
            asyncio.create_task(self._heartbeat_loop()),
        ]
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        invalid = None
        try:
            after = protocol.parse_after((query.get("after") or [None])[-1])
        except protocol.ProtocolError as exc:
            after, invalid = None, str(exc)
        async with self._lock:
            self._queue.put(protocol.hello_frame(newest, self._heartbeat_seconds))
            if invalid:
                self._queue.put(protocol.error_frame(invalid))
                self._reload(protocol.RELOAD_UNKNOWN_SEQUENCE, newest)
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
                publisher.discard_later(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self._closed or self.user is None:
            return
        message: protocol.Resume | protocol.Ping | None = None
        try:
            message = protocol.parse_client_message(text_data)
        except protocol.ProtocolError as exc:
            invalid = str(exc)
        # A resume replays the outbox: it costs more, so a flood of them closes the socket after
        # a few replays instead of replaying again and again. (Channels hands a consumer its
        # messages one at a time: two replays of one socket never overlap.)
        cost = (
            protocol.RESUME_COST if isinstance(message, protocol.Resume) else protocol.MESSAGE_COST
        )
        if not self._bucket.take(cost):
            logger.info("live feed: %s sends messages too fast; closing", self.user)
            await self._stop(protocol.CLOSE_RATE_LIMITED)
            return
        if message is None:
            self._queue.put(protocol.error_frame(invalid))
            return
        if isinstance(message, protocol.Ping):
            self._queue.put(protocol.pong_frame())
            return
        async with self._lock:
            self._queue.drop_events()
            oldest, newest = await on_db_thread(reads.outbox_bounds)()
            await self._start_from(message.after, oldest, newest)

    # --- Events from the channel layer (see publisher.publish_events) -------------------

    async def feed_events(self, message: dict[str, Any]) -> None:
        events: list[protocol.WireEvent] = message["events"]
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
                self._reload(protocol.RELOAD_TOO_FAR_BEHIND, last)
            else:
                await self._catch_up()

    async def feed_unavailable(self, message: dict[str, Any]) -> None:
        """The process's Redis subscription failed (dashboard.live.layer): events may be lost
        until it is back, so close (4503, via dispatch) and let the client replay."""
        raise RedisConnectionError(message.get("error", "channel layer subscription failed"))

    # --- Delivery ---------------------------------------------------------------------------

    async def _start_from(self, after: int | None, oldest: int, newest: int) -> None:
        """Position the cursor at the client's `after` and replay, or tell it to reload."""
        if after is None:
            self.cursor = newest
        elif after > newest:
            self._reload(protocol.RELOAD_UNKNOWN_SEQUENCE, newest)
        elif after < oldest - 1:
            self._reload(protocol.RELOAD_EXPIRED, newest)
        elif newest - after > self._max_replay:
            self._reload(protocol.RELOAD_TOO_FAR_BEHIND, newest)
        else:
            self.cursor = after
            await self._catch_up()

    def _reload(self, reason: str, sequence: int) -> None:
        self.cursor = max(self.cursor, sequence)
        self._queue.put(protocol.reload_frame(reason, self.cursor))

    async def _catch_up(self, batch: list[protocol.WireEvent] | None = None) -> None:
        """Send everything committed after the cursor, from the outbox, in batches.

        `batch` is the first batch when the caller has read it already.
        """
        replayed = 0
        while not self._closed:
            if batch is None:
                batch = await on_db_thread(reads.wire_events_after)(self.cursor, REPLAY_BATCH)
            if not batch:
                return
            await self._deliver(batch, replaying=True)
            replayed += len(batch)
            if len(batch) < REPLAY_BATCH:
                return
            if replayed >= self._max_replay:
                _, newest = await on_db_thread(reads.outbox_bounds)()
                self._reload(protocol.RELOAD_TOO_FAR_BEHIND, newest)
                return
            batch = None
            await self._queue.drained()

    async def _deliver(self, events: list[protocol.WireEvent], replaying: bool = False) -> None:
        """Queue the events the user may see; advance past all of them.

        Queued, a patrol position replaces that patrol's unsent one (see SendQueue), so within
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
                await self._stop(protocol.CLOSE_TOO_SLOW)
                return
            key = (ev["kind"], ev["entity_id"]) if ev["kind"] in protocol.COALESCED_KINDS else None
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
                    user, refused, missed = await on_db_thread(reads.heartbeat_reads)(
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
                        await self.channel_layer.group_add(
                            publisher.group_name(), self.channel_name
                        )
                        self._joined_at = time.monotonic()
                    await self._catch_up(missed)
                    if not self._closed:
                        self._queue.put(protocol.heartbeat_frame(self.cursor))
            except UNAVAILABLE as exc:
                logger.warning("live feed heartbeat: %r; closing so the client reconnects", exc)
                await self._stop(protocol.CLOSE_UNAVAILABLE, reason=self._unavailable(exc))
                return
            await asyncio.sleep(self._heartbeat_seconds * random.uniform(0.9, 1.1))

    async def _take_slot(self, user: Any) -> bool:
        """One of the user's KOBAN_LIVE_MAX_CONNECTIONS_PER_USER sockets, counted in Redis."""
        connection = getattr(self.channel_layer, "connection", None)
        if connection is None:  # a layer without Redis (tests of other parts): no count
            return True
        slots = ConnectionSlots(
            connection(0),
            scope=publisher.group_name(),
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
        return protocol.retry_after_reason(layer_health(self.channel_layer).failed())

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
