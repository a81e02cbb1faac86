"""The channel layer's health as this process saw it, so a Redis outage refuses new sockets
quickly instead of holding each one for a timeout."""

from __future__ import annotations

import time
import weakref
from typing import Any


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
