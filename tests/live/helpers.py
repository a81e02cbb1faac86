"""Websocket clients for the live-feed tests: the real ASGI application (origin check, session
auth, routing, consumer) over the real Redis channel layer, driven by Channels' communicator."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from dashboard.live import protocol

ORIGIN = "http://localhost"
ROOT = Path(__file__).resolve().parents[2]


def run_async(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run an async test body in an event loop; its ORM calls go through `db`."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return async_to_sync(fn)(*args, **kwargs)

    return wrapper


def db(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Call a sync (ORM) function from a test body, on the test's own database connection."""
    return sync_to_async(fn, thread_sensitive=True)


def dispatch(incident: Any, actor: Any) -> Any:
    """Send `actor` to the incident: "dispatched" is reached only through the dispatch service,
    which needs a unit."""
    from incidents import services

    return services.incident_dispatch(incident=incident.pk, actor=actor, officer=actor)


def session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def drop_publish(event_ids: list[int]) -> None:
    """A publisher whose messages never arrive (Redis hiccup, full channel): the outbox has them."""


class Closed(Exception):
    def __init__(self, code: int | None) -> None:
        super().__init__(f"closed with code {code}")
        self.code = code


class FeedClient:
    """One browser tab on /ws/operations/: remembers the last sequence it applied."""

    def __init__(
        self, cookie: str | None, *, after: int | None = None, origin: str = ORIGIN
    ) -> None:
        from koban.asgi import application

        query = f"?after={after}" if after is not None else ""
        headers = [(b"host", b"localhost"), (b"origin", origin.encode())]
        if cookie:
            headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
        self.ws = WebsocketCommunicator(application, "/ws/operations/" + query, headers=headers)
        self.cookie = cookie
        self.last_seq = after or 0
        self.messages: list[dict[str, Any]] = []

    async def connect(self) -> dict[str, Any]:
        """Open the socket and return the hello message."""
        accepted, code = await self.ws.connect(timeout=5)
        if not accepted:
            raise Closed(code)
        hello = await self.next()
        assert hello["type"] == "hello", hello
        return hello

    async def next(self, timeout: float = 5) -> dict[str, Any]:
        out = await self.ws.receive_output(timeout)
        if out["type"] == "websocket.close":
            raise Closed(out.get("code"))
        message = json.loads(out["text"])
        protocol.ServerMessage.validate_python(message)  # every frame matches the protocol
        if message["type"] == "event":
            schema = protocol.EVENT_TYPES[message["kind"]].payload
            schema.model_validate_json(json.dumps(message["payload"]))
            assert message["seq"] > self.last_seq, (message["seq"], self.last_seq)
            self.last_seq = message["seq"]
        self.messages.append(message)
        return message

    async def next_of(self, *types: str, timeout: float = 5) -> dict[str, Any]:
        """The next message of one of these types; heartbeats and pongs in between are skipped."""
        deadline = time.monotonic() + timeout
        while True:
            message = await self.next(max(0.05, deadline - time.monotonic()))
            if message["type"] in types:
                return message
            assert message["type"] in ("heartbeat", "pong"), message

    async def events(self, count: int, timeout: float = 5) -> list[dict[str, Any]]:
        return [await self.next_of("event", timeout=timeout) for _ in range(count)]

    async def quiet(self, seconds: float = 0.5) -> bool:
        """True when no event arrived for a while (heartbeats do not count)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not await self.ws.receive_nothing(timeout=deadline - time.monotonic()):
                message = await self.next()
                if message["type"] not in ("heartbeat", "pong"):
                    return False
        return True

    async def closed_with(self, timeout: float = 5) -> int | None:
        """Wait for the server to close the socket, skipping whatever it sent before."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                await self.next(max(0.05, deadline - time.monotonic()))
        except Closed as closed:
            return closed.code

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_json_to(message)

    async def close(self) -> None:
        await self.ws.disconnect()


async def connect_retrying(cookie: str, after: int, seconds: float = 15) -> FeedClient:
    """Reconnect as the dashboard does: retry with a short backoff until the server takes us."""
    deadline = time.monotonic() + seconds
    while True:
        client = FeedClient(cookie, after=after)
        try:
            await client.connect()
            return client
        except Closed as closed:
            assert closed.code == protocol.CLOSE_UNAVAILABLE, closed.code
            await client.close()
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


# --- Real processes the tests start -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A throwaway redis-server on its own port, which a test may kill and start again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def start_celery_worker(database_name: str, queue: str, log: Path) -> subprocess.Popen[bytes]:
    """`celery -A koban worker` on the test database and this run's Redis, one queue."""
    env = {
        **os.environ,
        "DATABASE_URL": f"postgis:///{database_name}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "DJANGO_SETTINGS_MODULE": "koban.settings",
    }
    env.pop("KOBAN_TEST_DB", None)
    celery = ROOT / ".venv" / "bin" / "celery"
    return subprocess.Popen(
        [
            str(celery),
            "-A",
            "koban",
            "worker",
            "-P",
            "solo",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "-l",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def subprocess_database_url() -> str:
    """DATABASE_URL of the test database, for a server or worker the test starts itself."""
    from urllib.parse import quote

    from django.db import connection

    params = connection.settings_dict
    user = quote(params.get("USER") or "", safe="")
    password = quote(params.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = quote(params.get("HOST") or "", safe="")
    port = f":{params['PORT']}" if params.get("PORT") else ""
    return f"postgis://{auth}{host}{port}/{params['NAME']}"


def start_daphne(port: int, log: Path, **env: str) -> subprocess.Popen[bytes]:
    """Daphne serving koban.asgi on loopback against the test database, with `env` added to
    the inherited environment."""
    full = {
        **os.environ,
        "DATABASE_URL": subprocess_database_url(),
        "DJANGO_SETTINGS_MODULE": "koban.settings",
        "KOBAN_TEST_DB": "",
        **env,
    }
    full.pop("KOBAN_PROCESS", None)  # asgi.py marks itself as a web process
    daphne = ROOT / ".venv" / "bin" / "daphne"
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(daphne), "-b", "127.0.0.1", "-p", str(port), "koban.asgi:application"],
            cwd=ROOT,
            env=full,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_until_serving(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Until `url`/login/ answers 200; fails the test with Daphne's log if it never does."""
    import contextlib

    import httpx
    import pytest

    deadline = time.monotonic() + 60
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/login/", timeout=2).status_code == 200:
                return
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"Daphne did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)
