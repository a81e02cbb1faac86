"""What one client may ask of the feed: a flood of messages closes its socket (4429) after a few
replays, a user's sockets are capped (4409) across processes, and nothing a client sends can
crash its consumer."""

from __future__ import annotations

import asyncio

import pytest
from channels.layers import get_channel_layer
from django.db import connection

from dashboard.live import protocol
from dashboard.live.publisher import group_name
from dashboard.throttle import ConnectionSlots, TokenBucket
from incidents import services
from tests.live.helpers import Closed, FeedClient, db, dispatch, run_async, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


def transition(incident, status, actor):
    return services.incident_transition(incident=incident.pk, to_status=status, actor=actor)


@run_async
async def test_a_flood_of_resumes_is_closed_with_4429_after_a_few_replays(
    settings, officer, supervisor, make_incident
):
    settings.KOBAN_LIVE_MESSAGE_BURST = 20
    settings.KOBAN_LIVE_MESSAGES_PER_MINUTE = 1  # no refill to speak of while the test runs
    incident = await db(make_incident)()
    client = FeedClient(await db(session_cookie)(officer))
    hello = await client.connect()
    await db(transition)(incident, "acknowledged", supervisor)
    await db(dispatch)(incident, supervisor)
    await client.events(2)

    flood = 3000
    for _ in range(flood):
        await client.send({"type": "resume", "after": hello["sequence"]})
    replayed = 0
    with pytest.raises(Closed) as closed:
        while True:
            message = await client.ws.receive_output(10)
            if message["type"] == "websocket.close":
                raise Closed(message.get("code"))
            if '"type":"event"' in message["text"]:
                replayed += 1
    assert closed.value.code == protocol.CLOSE_RATE_LIMITED
    # A bucket of 20 holds four resumes of 5: each replays the two events, and that is all.
    # Without the limit, the 3000 resumes would each have replayed them.
    max_resumes = settings.KOBAN_LIVE_MESSAGE_BURST // protocol.RESUME_COST
    assert 2 <= replayed <= 2 * max_resumes


@run_async
async def test_messages_beyond_the_burst_close_the_socket_with_4429(settings, officer):
    settings.KOBAN_LIVE_MESSAGE_BURST = 5
    settings.KOBAN_LIVE_MESSAGES_PER_MINUTE = 1
    client = FeedClient(await db(session_cookie)(officer))
    await client.connect()
    for _ in range(5):
        await client.send({"type": "ping"})
        assert (await client.next())["type"] == "pong"
    await client.send({"type": "ping"})  # the sixth at once: over a burst of five
    assert await client.closed_with() == protocol.CLOSE_RATE_LIMITED


@run_async
async def test_nested_or_broken_frames_are_protocol_errors_and_the_socket_goes_on(
    officer, supervisor, make_incident
):
    incident = await db(make_incident)()
    client = FeedClient(await db(session_cookie)(officer))
    await client.connect()
    for frame in (
        "[" * 500 + "]" * 500,
        '{"type":"resume","after":' + "[" * 300 + "]" * 300 + "}",
        '{"type":"ping"' + "}" * 900,
        "\udcff",
        "{" * 1025,
    ):
        await client.ws.send_to(text_data=frame)
        reply = await client.next()
        assert reply["type"] == "error", (frame[:40], reply)
    await client.ws.send_to(bytes_data=b'{"type":"ping"}')
    assert (await client.next())["type"] == "error"

    await db(transition)(incident, "acknowledged", supervisor)
    [event] = await client.events(1)
    assert event["payload"]["status"] == "acknowledged"
    await client.close()


@run_async
async def test_a_user_may_hold_only_so_many_sockets_and_a_closed_one_frees_its_place(
    settings, officer, supervisor
):
    settings.KOBAN_LIVE_MAX_CONNECTIONS_PER_USER = 3
    cookie = await db(session_cookie)(officer)
    tabs = [FeedClient(cookie) for _ in range(3)]
    for tab in tabs:
        await tab.connect()

    # A fourth tab, even with a new session (another device), is refused.
    for extra_cookie in (cookie, await db(session_cookie)(officer)):
        extra = FeedClient(extra_cookie)
        assert (await extra.ws.connect())[0]
        assert await extra.closed_with() == protocol.CLOSE_TOO_MANY_CONNECTIONS
        await extra.close()

    # Another user is not affected.
    chief = FeedClient(await db(session_cookie)(supervisor))
    await chief.connect()

    await tabs[0].close()
    again = FeedClient(cookie)
    await again.connect()
    for client in (*tabs[1:], again, chief):
        await client.close()


@run_async
async def test_sockets_of_a_crashed_process_expire_instead_of_locking_the_user_out(
    settings, officer
):
    """The count lives in Redis; a process that dies never releases its sockets' places."""
    settings.KOBAN_LIVE_MAX_CONNECTIONS_PER_USER = 2
    layer = get_channel_layer()
    dead = ConnectionSlots(layer.connection(0), scope=group_name(), max_per_user=2, ttl=1)
    assert await dead.acquire(officer.pk, "crashed-process-socket-1")
    assert await dead.acquire(officer.pk, "crashed-process-socket-2")

    cookie = await db(session_cookie)(officer)
    refused = FeedClient(cookie)
    assert (await refused.ws.connect())[0]
    assert await refused.closed_with() == protocol.CLOSE_TOO_MANY_CONNECTIONS
    await refused.close()

    await asyncio.sleep(1.2)  # their time-to-live: three heartbeats in production
    client = FeedClient(cookie)
    await client.connect()
    await client.close()


@run_async
async def test_the_count_of_sockets_is_kept_per_database(officer):
    """A test run and a development server sharing one Redis never count each other's sockets."""
    layer = get_channel_layer()
    here = ConnectionSlots(layer.connection(0), scope=group_name(), max_per_user=1, ttl=60)
    elsewhere = ConnectionSlots(
        layer.connection(0),
        scope=f"other-{connection.settings_dict['NAME']}",
        max_per_user=1,
        ttl=60,
    )
    assert await here.acquire(officer.pk, "a")
    assert await elsewhere.acquire(officer.pk, "b")
    assert not await here.acquire(officer.pk, "c")
    assert await here.acquire(officer.pk, "a")  # the same socket again (renewal) is no new one
    await here.release(officer.pk, "a")
    await elsewhere.release(officer.pk, "b")
    assert await here.acquire(officer.pk, "c")
    await here.release(officer.pk, "c")


def test_the_token_bucket_refills_with_time():
    now = [0.0]
    bucket = TokenBucket(10, 0.5, clock=lambda: now[0])
    assert bucket.take(5) and bucket.take(5)
    assert not bucket.take(1)
    now[0] += 2  # one token back
    assert bucket.take(1)
    assert not bucket.take(1)
    now[0] += 1000  # never more than the capacity
    assert bucket.take(10)
    assert not bucket.take(1)
