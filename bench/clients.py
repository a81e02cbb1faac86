"""Many receivers in one asyncio loop: websocket clients of the live feed and raw Redis pub/sub
subscribers, both stamping arrival times (time.perf_counter: CLOCK_MONOTONIC, comparable across
processes on Linux).

The websocket client is a few lines of RFC 6455 on asyncio.Protocol: autobahn's asyncio flavour
cannot share a process with Daphne's Twisted one (txaio picks one framework per process).
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis

_SEQ = re.compile(rb'^\{"type":"event","seq":(\d+),')


class Arrivals:
    """Arrival times per message key; calls `complete(key)` once every receiver has it."""

    def __init__(self, receivers: int, complete: Callable[[int], None]) -> None:
        self.receivers = receivers
        self.complete = complete
        self.times: dict[int, list[float]] = defaultdict(list)

    def record(self, key: int, at: float) -> None:
        got = self.times[key]
        got.append(at)
        if len(got) == self.receivers:
            self.complete(key)


class _FeedProtocol(asyncio.Protocol):
    """A minimal RFC 6455 client: handshake, unmasked server frames, masked close/pong."""

    def __init__(self, request: bytes, arrivals: Arrivals) -> None:
        loop = asyncio.get_running_loop()
        self.request = request
        self.arrivals = arrivals
        self.hello: asyncio.Future[bytes] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.upgraded = False
        self.close_code: int | None = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.hello.done():
            self.hello.set_exception(ConnectionError(f"closed ({self.close_code}, {exc})"))

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.buffer += data
        if not self.upgraded:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            if b" 101 " not in head.split(b"\r\n", 1)[0]:
                self.hello.set_exception(ConnectionError(head.split(b"\r\n", 1)[0].decode()))
                self.transport.close()
                return
            self.upgraded, self.buffer = True, rest
        while True:
            frame = self._next_frame()
            if frame is None:
                return
            opcode, payload = frame
            if opcode == 1:
                self._text(payload, now)
            elif opcode == 8:
                self.close_code = int.from_bytes(payload[:2]) if len(payload) >= 2 else None
                self.transport.close()
            elif opcode == 9:
                self._send(10, payload)

    def _next_frame(self) -> tuple[int, bytes] | None:
        buf = self.buffer
        if len(buf) < 2:
            return None
        opcode, length, offset = buf[0] & 0x0F, buf[1] & 0x7F, 2
        if length == 126:
            if len(buf) < 4:
                return None
            length, offset = int.from_bytes(buf[2:4]), 4
        elif length == 127:
            if len(buf) < 10:
                return None
            length, offset = int.from_bytes(buf[2:10]), 10
        if len(buf) < offset + length:
            return None
        self.buffer = buf[offset + length :]
        return opcode, buf[offset : offset + length]

    def _text(self, payload: bytes, now: float) -> None:
        match = _SEQ.match(payload)  # cheaper than json.loads for 500 clients in one loop
        if match:
            self.arrivals.record(int(match.group(1)), now)
        elif payload.startswith(b'{"type":"hello"') and not self.hello.done():
            self.hello.set_result(payload)

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    def close(self) -> None:
        if self.transport and not self.transport.is_closing():
            self._send(8, (1000).to_bytes(2))


async def open_feed_client(port: int, cookie: str, arrivals: Arrivals) -> _FeedProtocol:
    """Connect to /ws/operations/ as a signed-in browser and wait for the hello."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        "GET /ws/operations/ HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: http://127.0.0.1:{port}\r\nCookie: sessionid={cookie}\r\n\r\n"
    ).encode()
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(
        lambda: _FeedProtocol(request, arrivals), "127.0.0.1", port
    )
    await asyncio.wait_for(protocol.hello, 30)
    return protocol


async def close_feed_clients(clients: list[_FeedProtocol]) -> None:
    for client in clients:
        client.close()
    await asyncio.sleep(0.2)
    for client in clients:
        if client.transport:
            client.transport.close()


async def open_subscribers(
    url: str, channel: str, count: int, arrivals: Arrivals
) -> list[tuple[Any, asyncio.Task[None]]]:
    """`count` connections SUBSCRIBEd to one channel; the message body is the key."""

    async def listen(pubsub: Any) -> None:
        async for message in pubsub.listen():
            if message["type"] == "message":
                arrivals.record(int(message["data"]), time.perf_counter())

    subscribers = []
    for _ in range(count):
        client = aioredis.Redis.from_url(url)
        pubsub = client.pubsub()
        await pubsub.subscribe(channel)
        await pubsub.get_message(timeout=5)  # the subscribe confirmation
        subscribers.append((client, pubsub, asyncio.create_task(listen(pubsub))))
    return [(client, task) for client, _, task in subscribers]


async def close_subscribers(subscribers: list[tuple[Any, asyncio.Task[None]]]) -> None:
    for client, task in subscribers:
        task.cancel()
        await client.aclose()
