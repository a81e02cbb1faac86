"""What one user may ask of the live feed: messages per socket, sockets at once.

Both limits are in docs/live-feed.md ("Limits"); the consumer closes with feed.CLOSE_RATE_LIMITED
or feed.CLOSE_TOO_MANY_CONNECTIONS when they are reached.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


class TokenBucket:
    """`capacity` tokens, refilled at `per_second`; a message takes its cost or is refused."""

    def __init__(
        self, capacity: float, per_second: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.capacity = capacity
        self.per_second = per_second
        self._clock = clock
        self._tokens = capacity
        self._at = clock()

    def take(self, cost: float = 1.0) -> bool:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.per_second)
        self._at = now
        if self._tokens < cost:
            return False
        self._tokens -= cost
        return True


# Drop the expired sockets (their process died without saying goodbye), then take a slot if the
# user has one left, atomically. KEYS[1]: the user's set; ARGV: now, expires at, socket, max, ttl.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if not redis.call('ZSCORE', KEYS[1], ARGV[3])
   and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


class ConnectionSlots:
    """The sockets a user has open, across every ASGI process: a Redis sorted set per user of
    socket -> expiry time. Each socket renews its entry at every heartbeat and removes it when
    it closes; a process that crashes leaves entries that expire after `ttl` seconds, so a user
    is never locked out for longer than that.

    `redis` is an asyncio Redis client (the channel layer's, so that a Redis outage closes the
    socket with 4503 like every other Redis failure of the feed).
    """

    def __init__(self, redis: Any, *, scope: str, max_per_user: int, ttl: float) -> None:
        self.redis = redis
        self.scope = scope
        self.max_per_user = max_per_user
        self.ttl = ttl

    def _key(self, user_id: int) -> str:
        return f"koban:live-sockets:{self.scope}:{user_id}"

    async def acquire(self, user_id: int, socket: str) -> bool:
        now = time.time()
        taken = await self.redis.eval(
            _ACQUIRE,
            1,
            self._key(user_id),
            now,
            now + self.ttl,
            socket,
            self.max_per_user,
            int(self.ttl) + 1,
        )
        return bool(taken)

    async def renew(self, user_id: int, socket: str) -> None:
        key = self._key(user_id)
        await self.redis.zadd(key, {socket: time.time() + self.ttl})
        await self.redis.expire(key, int(self.ttl) + 1)

    async def release(self, user_id: int, socket: str) -> None:
        await self.redis.zrem(self._key(user_id), socket)
