"""Publishing committed outbox events to the Channels layer, from a background thread.

Publishing is an optimisation, never the source of truth. The group message carries the events
(frames already encoded) and `prev`, the committed sequence just before them. A consumer whose
cursor is at or past `prev` forwards them without touching the database; any other consumer
(a lost, dropped or reordered message) reads what it missed from the outbox. So delivery is
exactly once and in order per client whatever channels-redis drops.

Nothing that commits waits on Redis: the after-commit hook only records the new sequence, and a
daemon thread per process reads the outbox and sends (see _Publisher).
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from channels.layers import get_channel_layer
from django.conf import settings
from django.db import close_old_connections
from django.db.models import Subquery, Value
from django.db.models.functions import Coalesce
from redis.exceptions import ConnectionError as RedisConnectionError

from incidents.models import OutboxEvent

from .reads import WIRE_FIELDS, wire

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Events per channel-layer message: keeps one message small when a transaction emits many.
MAX_EVENTS_PER_MESSAGE = 100
# Longest one Redis call of the publisher thread; a frozen Redis then fails fast and is retried.
PUBLISH_TIMEOUT_SECONDS = 2.0
# Pauses between attempts while Redis stays unavailable (the last one repeats).
PUBLISH_RETRY_SECONDS = (0.25, 0.5, 1.0, 2.0)
# Events one publish reads and sends at most; a consumer further behind reads the outbox.
MAX_EVENTS_PER_PUBLISH = 1000
# Stale group members waiting to be removed (more are left to channels-redis' group_expiry).
MAX_PENDING_DISCARDS = 10_000
# How long a process about to exit waits for its publisher to send what is left.
EXIT_FLUSH_SECONDS = 3.0


def group_name() -> str:
    """The one group every feed consumer joins; visibility is decided per consumer.

    Named after the database, so two deployments (or a test run and a dev server) sharing a
    Redis database never receive each other's events.
    """
    database = re.sub(r"[^A-Za-z0-9_.-]", "-", str(settings.DATABASES["default"]["NAME"]))
    return f"koban.operations.{database[:60]}"


def publish_events(event_ids: Iterable[int]) -> None:
    """Hand committed outbox events to this process's publisher (called after commit).

    Never blocks and never touches Redis or the database: it records "publish up to sequence N"
    and wakes the publisher thread. Whatever the publisher cannot send, clients read from the
    outbox on their next message, heartbeat or reconnect.
    """
    ids = [int(i) for i in event_ids]
    if ids:
        _publisher.submit(min(ids), max(ids))


def discard_later(group: str, channel: str) -> None:
    """Leave a group for a socket that is gone, once Redis answers again (retried, never lost
    for longer than channels-redis' group_expiry)."""
    _publisher.discard(group, channel)


def wait_published(timeout: float = 10.0) -> bool:
    """True once nothing is waiting to be published in this process (tests, benchmarks)."""
    return _publisher.wait_idle(timeout)


def _messages(low: int, high: int) -> list[dict[str, Any]]:
    """Channel-layer messages for committed events low..high, each carrying `prev`.

    One query: the committed event just before `low` (its id is `prev`) and the range, so each
    message is a contiguous run of the committed sequence. Only the newest MAX_EVENTS_PER_PUBLISH
    are sent; a consumer further behind sees `prev` above its cursor and reads the outbox.
    """
    low = max(low, high - MAX_EVENTS_PER_PUBLISH + 1)
    before = OutboxEvent.objects.filter(id__lt=low).order_by("-id").values("id")[:1]
    rows = list(
        OutboxEvent.objects.filter(id__gte=Coalesce(Subquery(before), Value(low)), id__lte=high)
        .only(*WIRE_FIELDS)
        .order_by("id")
    )
    prev = rows[0].id if rows and rows[0].id < low else 0
    rows = [row for row in rows if row.id >= low]
    messages = []
    for start in range(0, len(rows), MAX_EVENTS_PER_MESSAGE):
        chunk = rows[start : start + MAX_EVENTS_PER_MESSAGE]
        messages.append({"type": "feed.events", "prev": prev, "events": [wire(r) for r in chunk]})
        prev = chunk[-1].id
    return messages


class _Publisher:
    """One per process: a daemon thread that publishes what committed, in the background.

    Its whole backlog is a range of ids ("publish low..high") and a set of stale group members:
    bounded whatever the rate of commits or the length of an outage, and a full burst coalesces
    into one read of the outbox. The thread starts at the first event of each process (after a
    Celery prefork worker forked). Redis calls are short (PUBLISH_TIMEOUT_SECONDS); a failed one
    is retried at once on a fresh connection (a pooled one died with a Redis restart), then with
    back-off (PUBLISH_RETRY_SECONDS) while Redis stays down, keeping the range.
    """

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._cond = threading.Condition()
        self._low = self._high = 0
        self._discards: set[tuple[str, str]] = set()
        self._busy = False
        self._thread: threading.Thread | None = None
        self._flush_at_exit = getattr(self, "_flush_at_exit", False)

    def submit(self, low: int, high: int) -> None:
        with self._cond:
            self._low = min(self._low, low) if self._high else low
            self._high = max(self._high, high)
            self._wake()

    def discard(self, group: str, channel: str) -> None:
        with self._cond:
            if len(self._discards) < MAX_PENDING_DISCARDS:  # beyond: group_expiry cleans up
                self._discards.add((group, channel))
            self._wake()

    def wait_idle(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(
                lambda: not (self._high or self._discards or self._busy), timeout
            )

    def _wake(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="koban-publisher", daemon=True)
            self._thread.start()
            if not self._flush_at_exit:
                # A command that commits and exits still publishes (if Redis answers quickly).
                atexit.register(self.wait_idle, EXIT_FLUSH_SECONDS)
                self._flush_at_exit = True
        self._cond.notify_all()

    def _take(self) -> tuple[int, int, set[tuple[str, str]]]:
        with self._cond:
            self._cond.wait_for(lambda: self._high or self._discards)
            taken = (self._low, self._high, self._discards)
            self._low = self._high = 0
            self._discards = set()
            self._busy = True
            return taken

    def _give_back(self, low: int, high: int, discards: set[tuple[str, str]]) -> None:
        with self._cond:
            if high:
                self._low = min(self._low, low) if self._high else low
                self._high = max(self._high, high)
            room = MAX_PENDING_DISCARDS - len(self._discards)
            self._discards.update(list(discards)[: max(room, 0)])

    def _idle(self) -> None:
        with self._cond:
            self._busy = False
            self._cond.notify_all()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        failures = 0
        while True:
            low, high, discards = self._take()
            try:
                messages = _messages(low, high) if high else []
                loop.run_until_complete(self._send(get_channel_layer(), messages, discards))
                failures = 0
            except Exception as exc:  # Redis (or the database) unavailable: keep it, retry later
                self._give_back(low, high, discards)
                delay = PUBLISH_RETRY_SECONDS[min(failures, len(PUBLISH_RETRY_SECONDS) - 1)]
                failures += 1
                (logger.warning if failures == 1 else logger.info)(
                    "channel layer unavailable (%r); events up to %s wait in the outbox, "
                    "retrying in %s s",
                    exc,
                    high or "-",
                    delay,
                )
                time.sleep(delay)
            finally:
                close_old_connections()  # as after a request: CONN_MAX_AGE applies
                self._idle()

    async def _send(
        self, layer: Any, messages: list[dict[str, Any]], discards: set[tuple[str, str]]
    ) -> None:
        if layer is None:
            return
        for message in messages:
            await _retrying_once(lambda m=message: layer.group_send(group_name(), m))
        for group, channel in discards:
            await _retrying_once(lambda g=group, c=channel: layer.group_discard(g, c))


async def _retrying_once(call: Callable[[], Awaitable[Any]]) -> None:
    """One Redis call under PUBLISH_TIMEOUT_SECONDS, tried again once on a connection error.

    A pooled connection that died with a Redis restart fails once; redis-py then drops it, so
    the second try connects afresh. A timeout (a frozen Redis) is not tried again here.
    """
    try:
        await bounded(call(), PUBLISH_TIMEOUT_SECONDS)
    except (RedisConnectionError, ConnectionError):
        await bounded(call(), PUBLISH_TIMEOUT_SECONDS)


async def bounded(call: Awaitable[T], seconds: float) -> T:
    """Await a Redis call for at most `seconds`, then raise TimeoutError.

    Unlike asyncio.wait_for, it does not wait for the cancelled call to unwind, which may
    itself wait on the network.
    """
    task = asyncio.ensure_future(call)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
        task.add_done_callback(_forget)
        raise TimeoutError(f"no answer from Redis within {seconds} s")
    return task.result()


def _forget(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it as never retrieved


_publisher = _Publisher()
