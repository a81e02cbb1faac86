"""One Redis subscription per server process, however many sockets it serves: an event costs one
Redis message per process, and the process hands it to its sockets in memory
(dashboard.live.layer, docs/live-feed.md "Channel layer")."""

from __future__ import annotations

import asyncio
import json

import pytest
import redis
from django.conf import settings as django_settings
from django.contrib.gis.geos import Point
from websockets.asyncio.client import connect

from dashboard.live import publisher
from incidents import services
from tests.live.helpers import (
    RedisServer,
    db,
    free_port,
    run_async,
    session_cookie,
    start_daphne,
    stop,
    wait_until_serving,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def own_redis(settings):
    """The channel layer on a redis-server of this test, so that its clients can be counted."""
    server = RedisServer(free_port())
    server.start()
    layer = settings.CHANNEL_LAYERS["default"]
    [host] = layer["CONFIG"]["hosts"]
    settings.CHANNEL_LAYERS = {
        "default": {
            **layer,
            "CONFIG": {**layer["CONFIG"], "hosts": [{**host, "address": server.url}]},
        }
    }
    yield server
    server.kill()


def subscriptions(server: RedisServer) -> tuple[int, int]:
    """(subscribers of the feed group's Redis channel, channels subscribed by all clients)."""
    client = redis.Redis.from_url(server.url)
    try:
        group = f"asgi__group__{publisher.group_name()}"
        [(_, numsub)] = client.pubsub_numsub(group)
        return numsub, sum(int(c.get("sub", 0)) for c in client.client_list())
    finally:
        client.close()


async def open_sockets(port: int, cookie: str, count: int) -> list:
    sockets = []
    for _ in range(count):
        ws = await connect(
            f"ws://127.0.0.1:{port}/ws/operations/",
            origin="http://localhost",
            additional_headers={"Cookie": f"{django_settings.SESSION_COOKIE_NAME}={cookie}"},
            open_timeout=30,
        )
        hello = json.loads(await asyncio.wait_for(ws.recv(), 30))
        assert hello["type"] == "hello", hello
        sockets.append(ws)
    return sockets


async def next_event(ws) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if frame["type"] == "event":
            return frame


@run_async
async def test_one_redis_subscription_per_process_whatever_the_number_of_sockets(
    own_redis, tmp_path, supervisor
):
    assert django_settings.KOBAN_CHANNEL_LAYER == "pubsub"
    port = free_port()
    log = tmp_path / "daphne.log"
    server = start_daphne(
        port,
        log,
        REDIS_URL=own_redis.url,
        CELERY_BROKER_URL=own_redis.url,
        KOBAN_LIVE_MAX_CONNECTIONS_PER_USER="25",
        LOG_LEVEL="WARNING",
    )
    sockets = []
    try:
        await db(wait_until_serving)(server, f"http://127.0.0.1:{port}", log)
        cookie = await db(session_cookie)(supervisor)
        patrol = await db(services.patrol_create)(call_sign="FAN-1", kind="car", status="available")

        sockets += await open_sockets(port, cookie, 1)
        assert await db(subscriptions)(own_redis) == (1, 1)
        sockets += await open_sockets(port, cookie, 19)
        assert await db(subscriptions)(own_redis) == (1, 1)

        # The one message reaches every socket of the process.
        await db(services.patrol_record_position)(
            patrol=patrol, location=Point(-9.14, 38.72, srid=4326)
        )
        frames = await asyncio.gather(*(next_event(ws) for ws in sockets))
        assert {(f["kind"], f["id"]) for f in frames} == {("patrol.moved", patrol.pk)}

        # The last socket to leave ends the process's subscription to the group.
        while sockets:
            await sockets.pop().close()
        for _ in range(50):
            if (await db(subscriptions)(own_redis))[0] == 0:
                break
            await asyncio.sleep(0.1)
        assert (await db(subscriptions)(own_redis))[0] == 0
    finally:
        for ws in sockets:
            await ws.close()
        stop(server)
