"""The feed's channel layer: one Redis subscription per process, fan-out in memory.

channels-redis' `RedisPubSubChannelLayer` subscribes each process once to a group's Redis
channel and hands every message to the process's member sockets itself, so an event costs one
Redis message per process instead of one per socket (Zulip's and Phoenix's shape). What it
gives up, and why the feed does not depend on it, is in docs/live-feed.md ("Channel layer"):
membership lives in the process, and a message published while the subscription reconnects is
lost; the consumer sees the gap by `prev` and reads the outbox.

Written against channels-redis 4.3 (pinned): it reaches into the per-loop layer's `channels`
dict and subclasses its shard connection.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref
from typing import Any

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisSingleShardConnection
from channels_redis.utils import create_pool, decode_hosts
from redis import asyncio as aioredis

logger = logging.getLogger(__name__)

# What every local socket receives when the process's subscription fails (Redis went away):
# the consumer closes with 4503, as it did when its own Redis read failed (see
# OperationsConsumer.feed_unavailable), and the client reconnects and replays.
UNAVAILABLE_TYPE = "feed.unavailable"


class PubSubChannelLayer(RedisPubSubChannelLayer):
    """`RedisPubSubChannelLayer` with three changes for the feed:

    - a socket's own channel stays in the process (no Redis SUBSCRIBE per socket): the feed
      only ever sends to its group, so the process holds one subscription, the group's;
    - a failed subscription is told to the local sockets (`feed.unavailable`);
    - `connection(index)`, a plain Redis client per event loop, as the core layer offers, for
      the per-user socket count (dashboard.throttle.ConnectionSlots).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._hosts = decode_hosts(kwargs.get("hosts"))
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = (
            weakref.WeakKeyDictionary()
        )

    def _get_layer(self) -> Any:
        loop = asyncio.get_running_loop()
        fresh = loop not in self._layers
        layer = super()._get_layer()
        if fresh:
            layer._shards = [_Shard(host, layer) for host in self._hosts]
        return layer

    async def new_channel(self, prefix: str = "specific.") -> str:
        layer = self._get_layer()
        channel = f"{layer.prefix}{prefix}{uuid.uuid4().hex}"
        layer.channels[channel] = asyncio.Queue()  # in memory only; see the class docstring
        return channel

    def connection(self, index: int) -> aioredis.Redis:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            pool = create_pool(self._hosts[index])
            client = self._clients[loop] = aioredis.Redis(connection_pool=pool)
        return client


class _Shard(RedisSingleShardConnection):
    """channels-redis' receive loop, except that a failure is told to the sockets instead of
    only logged (redis-py then reconnects and subscribes again on the next read)."""

    async def _do_receiving(self) -> None:
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=0.1
                    )
                    self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except (asyncio.CancelledError, GeneratorExit):
                raise
            except Exception as exc:
                logger.warning("live feed subscription failed (%r); closing local sockets", exc)
                self._tell_sockets(exc)
                await asyncio.sleep(1)

    def _tell_sockets(self, exc: Exception) -> None:
        layer = self.channel_layer
        data = layer.channel_layer.serialize({"type": UNAVAILABLE_TYPE, "error": repr(exc)})
        for queue in list(layer.channels.values()):
            queue.put_nowait(data)
