"""Django's Redis cache for data Koban can do without for a while: API throttle counts and the
live map's session activity. A request must never wait on a frozen Redis for them.

Calls run under short socket timeouts (settings: CACHES). When one fails, reads miss and writes
are skipped for FAIL_OPEN_SECONDS without trying Redis, then the next call tries again: during a
Redis outage the API answers without rate limits instead of hanging or failing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
T = TypeVar("T")

# How long the cache is skipped after a failure.
FAIL_OPEN_SECONDS = 5.0


# Per Redis server, for the whole process: Django makes a cache object per request context.
_down_until: dict[tuple[str, ...], float] = {}


class FailOpenRedisCache(RedisCache):
    def _guard(self, call: Callable[..., T], fallback: T, *args: Any, **kwargs: Any) -> T:
        servers = tuple(self._servers)
        if time.monotonic() < _down_until.get(servers, 0.0):
            return fallback
        try:
            return call(self, *args, **kwargs)
        except (RedisError, OSError) as exc:
            _down_until[servers] = time.monotonic() + FAIL_OPEN_SECONDS
            logger.warning("cache unavailable (%r); skipped for %s s", exc, FAIL_OPEN_SECONDS)
            return fallback

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._guard(RedisCache.get, default, key, default, version)

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return self._guard(RedisCache.get_many, {}, keys, version)

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._guard(RedisCache.has_key, False, key, version)

    def set(self, key: Any, *args: Any, **kwargs: Any) -> None:
        self._guard(RedisCache.set, None, key, *args, **kwargs)

    def add(self, key: Any, *args: Any, **kwargs: Any) -> bool:
        return self._guard(RedisCache.add, False, key, *args, **kwargs)

    def set_many(self, data: Any, *args: Any, **kwargs: Any) -> list[Any]:
        return self._guard(RedisCache.set_many, [], data, *args, **kwargs)

    def touch(self, key: Any, *args: Any, **kwargs: Any) -> bool:
        return self._guard(RedisCache.touch, False, key, *args, **kwargs)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._guard(RedisCache.delete, False, key, version)

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._guard(RedisCache.delete_many, None, keys, version)
