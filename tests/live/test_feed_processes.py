"""The feed across real processes: a change made in a Celery worker, and a Redis server that
dies and comes back while dashboards are connected."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.utils import timezone

from dashboard.live import protocol
from incidents import services
from incidents.models import PatrolPosition
from incidents.tasks import patrol_record_position_task
from tests.live.helpers import (
    FeedClient,
    RedisServer,
    connect_retrying,
    db,
    dispatch,
    free_port,
    run_async,
    session_cookie,
    start_celery_worker,
    stop,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def celery_queue(transactional_db, tmp_path):
    """A real `celery -A koban worker` on the test database, consuming a queue of its own."""
    queue = f"live-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    worker = start_celery_worker(connection.settings_dict["NAME"], queue, log)
    yield queue
    stop(worker)
    print(log.read_text(errors="replace")[-3000:])  # shown when the test fails


@pytest.fixture
def own_redis(settings):
    """The channel layer on a redis-server this test owns, so it can kill and restart it."""
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


@run_async
async def test_a_change_made_in_a_celery_worker_reaches_the_client(celery_queue, officer):
    patrol = await db(services.patrol_create)(call_sign="ALFA-1", kind="car", status="available")
    client = FeedClient(await db(session_cookie)(officer))
    hello = await client.connect()

    fix_at = timezone.now().replace(microsecond=0)
    await db(patrol_record_position_task.apply_async)(
        kwargs={
            "patrol_id": patrol.pk,
            "lon": -9.1401,
            "lat": 38.7223,
            "recorded_at": fix_at.isoformat(),
        },
        queue=celery_queue,
    )
    [event] = await client.events(1, timeout=40)  # includes the worker's start-up
    assert event["kind"] == "patrol.moved"
    assert event["id"] == patrol.pk
    assert event["seq"] > hello["sequence"]
    assert event["payload"]["location"] == [-9.1401, 38.7223]
    assert event["payload"]["position_at"] == fix_at.isoformat()
    position = await db(PatrolPosition.objects.get)(patrol=patrol)
    assert position.source == "tracker"
    await client.close()


@run_async
async def test_clients_reconnect_after_a_redis_restart_and_lose_nothing(
    own_redis, officer, supervisor, make_incident
):
    incident = await db(make_incident)()
    cookies = [await db(session_cookie)(officer), await db(session_cookie)(supervisor)]
    clients = [FeedClient(cookie) for cookie in cookies]
    for client in clients:
        await client.connect()
    await db(services.incident_transition)(
        incident=incident.pk, to_status="acknowledged", actor=supervisor
    )
    for client in clients:
        await client.events(1)

    own_redis.kill()
    for client in clients:
        assert await client.closed_with(timeout=10) == protocol.CLOSE_UNAVAILABLE

    # Work goes on while Redis is down: commits succeed, publishing fails, the outbox keeps all.
    await db(dispatch)(incident, supervisor)
    for status in ("on_scene", "resolved"):
        await db(services.incident_transition)(
            incident=incident.pk, to_status=status, actor=supervisor
        )
    probe = FeedClient(cookies[0])
    assert (await probe.ws.connect())[0]
    assert await probe.closed_with() == protocol.CLOSE_UNAVAILABLE

    own_redis.start()
    again = [await connect_retrying(c.cookie, after=c.last_seq) for c in clients]
    for client in again:
        missed = await client.events(3)
        assert [e["payload"]["status"] for e in missed] == ["dispatched", "on_scene", "resolved"]

    await db(services.incident_transition)(
        incident=incident.pk, to_status="closed", actor=supervisor
    )
    for client in again:
        [live] = await client.events(1)
        assert live["payload"]["status"] == "closed"
        await client.close()
