"""The operations feed end to end: koban.asgi.application (origin check, session auth, routing,
consumer) over the real Redis channel layer, with changes made through the services."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import pytest
from django.contrib.gis.geos import Point
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction
from django.utils import timezone

from dashboard.live import protocol
from incidents import services
from incidents.models import OutboxEvent
from incidents.services.outbox import outbox_prune
from tests.conftest import ARROIOS, BELEM
from tests.live.helpers import FeedClient, db, dispatch, run_async, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


def transition(incident, status, actor):
    return services.incident_transition(incident=incident.pk, to_status=status, actor=actor)


def retitle(incident, title, actor):
    return services.incident_update(incident=incident.pk, title=title, actor=actor)


def patrol(call_sign):
    return services.patrol_create(call_sign=call_sign, kind="car", status="available")


def move(patrol_obj, lonlat, seconds_ago):
    return services.patrol_record_position(
        patrol=patrol_obj.pk,
        location=Point(*lonlat, srid=4326),
        recorded_at=timezone.now() - timedelta(seconds=seconds_ago),
    )


def newest_seq():
    return OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


# --- After commit only ------------------------------------------------------------------------


@run_async
async def test_a_committed_change_reaches_the_client_and_a_rolled_back_one_never_does(
    officer, supervisor, make_incident
):
    incident = await db(make_incident)(title="Música alta")
    client = FeedClient(await db(session_cookie)(officer))
    hello = await client.connect()

    def rolled_back():
        with pytest.raises(RuntimeError), transaction.atomic():
            transition(incident, "acknowledged", supervisor)
            raise RuntimeError("the request failed after the change")

    await db(rolled_back)()
    assert await client.quiet(0.5)
    assert await db(newest_seq)() == hello["sequence"]

    await db(transition)(incident, "acknowledged", supervisor)
    [event] = await client.events(1)
    assert event["kind"] == "incident.upserted"
    assert event["entity"] == "incident"
    assert event["id"] == incident.pk
    assert event["payload"]["status"] == "acknowledged"
    assert event["seq"] == await db(newest_seq)()
    await client.close()


@run_async
async def test_nothing_is_sent_while_the_transaction_is_open(officer, supervisor, make_incident):
    incident = await db(make_incident)()
    client = FeedClient(await db(session_cookie)(officer))
    await client.connect()
    written, release = threading.Event(), threading.Event()

    def slow_request():  # a request thread with its own connection, slow to commit
        try:
            with transaction.atomic():
                transition(incident, "acknowledged", supervisor)
                written.set()
                release.wait(10)
        finally:
            connection.close()

    loop = asyncio.get_running_loop()
    request = loop.run_in_executor(None, slow_request)
    assert await loop.run_in_executor(None, written.wait, 10)
    assert await client.quiet(0.5)
    release.set()
    await request
    [event] = await client.events(1)
    assert event["payload"]["status"] == "acknowledged"
    await client.close()


# --- Who may listen, and to what ------------------------------------------------------------


@run_async
async def test_an_officer_of_another_area_does_not_receive_the_event(
    officer, other_officer, supervisor, make_incident
):
    in_arroios = await db(make_incident)(ARROIOS)
    in_belem = await db(make_incident)(BELEM)
    arroios = FeedClient(await db(session_cookie)(officer))
    belem = FeedClient(await db(session_cookie)(other_officer))
    chief = FeedClient(await db(session_cookie)(supervisor))
    for client in (arroios, belem, chief):
        await client.connect()

    await db(transition)(in_arroios, "acknowledged", supervisor)
    await db(transition)(in_belem, "acknowledged", supervisor)

    assert [e["id"] for e in await arroios.events(1)] == [in_arroios.pk]
    # Belém's first event is its own incident: Arroios' change was never sent to it.
    assert [e["id"] for e in await belem.events(1)] == [in_belem.pk]
    assert [e["id"] for e in await chief.events(2)] == [in_arroios.pk, in_belem.pk]
    assert await arroios.quiet(0.3)
    for client in (arroios, belem, chief):
        await client.close()


@run_async
async def test_an_incident_moved_out_of_an_area_reaches_that_area_once_then_stops(
    officer, other_officer, supervisor, make_incident
):
    incident = await db(make_incident)(ARROIOS)
    arroios = FeedClient(await db(session_cookie)(officer))
    belem = FeedClient(await db(session_cookie)(other_officer))
    for client in (arroios, belem):
        await client.connect()

    await db(services.incident_move)(
        incident=incident, location=Point(*BELEM, srid=4326), actor=supervisor
    )
    # Both areas hear of the move: Arroios' screens drop the item, Belém's add it.
    [left] = await arroios.events(1)
    [arrived] = await belem.events(1)
    assert left["id"] == arrived["id"] == incident.pk
    assert left["kind"] == "incident.removed" and left["payload"] == {"id": incident.pk}
    assert arrived["kind"] == "incident.upserted"
    assert arrived["payload"]["area"] != incident.area_id

    await db(transition)(incident, "acknowledged", supervisor)
    assert [e["id"] for e in await belem.events(1)] == [incident.pk]
    assert await arroios.quiet(0.3)
    for client in (arroios, belem):
        await client.close()


@run_async
async def test_anonymous_integrators_and_stale_sessions_are_closed_with_a_code(integrator):
    anonymous = FeedClient(None)
    assert (await anonymous.ws.connect())[0]
    assert await anonymous.closed_with() == protocol.CLOSE_UNAUTHENTICATED

    unknown_session = FeedClient("no-such-session-key")
    assert (await unknown_session.ws.connect())[0]
    assert await unknown_session.closed_with() == protocol.CLOSE_UNAUTHENTICATED

    technician = FeedClient(await db(session_cookie)(integrator))
    assert (await technician.ws.connect())[0]
    assert await technician.closed_with() == protocol.CLOSE_FORBIDDEN


@run_async
async def test_a_foreign_origin_is_refused_at_the_handshake(officer):
    cookie = await db(session_cookie)(officer)
    accepted, _ = await FeedClient(cookie, origin="https://evil.example").ws.connect()
    assert not accepted
    client = FeedClient(cookie, origin="http://localhost:8000")
    accepted, _ = await client.ws.connect()
    assert accepted
    # Closed here: a socket left open made the test's teardown hang on a loaded machine.
    await client.close()


@run_async
async def test_logging_out_ends_the_feed_at_the_next_heartbeat(settings, officer):
    settings.KOBAN_LIVE_HEARTBEAT_SECONDS = 0.2
    cookie = await db(session_cookie)(officer)
    client = FeedClient(cookie)
    await client.connect()
    assert (await client.next_of("heartbeat"))["type"] == "heartbeat"
    await db(SessionStore(cookie).delete)()
    assert await client.closed_with() == protocol.CLOSE_UNAUTHENTICATED


# --- Replay, resume, reload ---------------------------------------------------------------------


@run_async
async def test_reconnecting_with_the_last_sequence_replays_exactly_the_missed_events_in_order(
    officer, supervisor, make_incident
):
    incident = await db(make_incident)(ARROIOS, title="Garagem aberta")
    elsewhere = await db(make_incident)(BELEM)
    cookie = await db(session_cookie)(officer)
    client = FeedClient(cookie)
    await client.connect()
    await db(transition)(incident, "acknowledged", supervisor)
    await client.events(1)
    last = client.last_seq
    await client.close()

    await db(dispatch)(incident, supervisor)
    await db(transition)(elsewhere, "acknowledged", supervisor)  # not the officer's area
    await db(retitle)(incident, "Garagem aberta, alarme", supervisor)
    await db(transition)(incident, "on_scene", supervisor)

    again = FeedClient(cookie, after=last)
    await again.connect()
    missed = await again.events(3)
    assert [(e["payload"]["status"], e["payload"]["title"]) for e in missed] == [
        ("dispatched", "Garagem aberta"),
        ("dispatched", "Garagem aberta, alarme"),
        ("on_scene", "Garagem aberta, alarme"),
    ]
    assert [e["seq"] for e in missed] == sorted(e["seq"] for e in missed)
    assert await again.quiet(0.3)

    await db(transition)(incident, "resolved", supervisor)
    [live] = await again.events(1)
    assert live["payload"]["status"] == "resolved"
    assert live["seq"] > missed[-1]["seq"]
    await again.close()


@run_async
async def test_resume_message_replays_and_bad_messages_get_an_error(
    officer, supervisor, make_incident
):
    incident = await db(make_incident)()
    client = FeedClient(await db(session_cookie)(officer))
    hello = await client.connect()
    await client.send({"type": "ping"})
    assert (await client.next())["type"] == "pong"
    await client.send({"type": "resume", "after": "yesterday"})
    assert (await client.next())["type"] == "error"
    await client.ws.send_to(text_data="not json")
    assert (await client.next())["type"] == "error"

    await db(transition)(incident, "acknowledged", supervisor)
    await db(dispatch)(incident, supervisor)
    first = await client.events(2)

    await client.send({"type": "resume", "after": hello["sequence"]})
    client.last_seq = hello["sequence"]
    assert await client.events(2) == first
    await client.close()


@run_async
async def test_a_client_behind_the_pruned_outbox_is_told_to_reload(
    officer, supervisor, make_incident
):
    incident = await db(make_incident)()
    await db(transition)(incident, "acknowledged", supervisor)
    old = await db(newest_seq)()
    await db(dispatch)(incident, supervisor)

    def age_and_prune():
        OutboxEvent.objects.filter(id__lte=old).update(
            created_at=timezone.now() - timedelta(days=30)
        )
        return outbox_prune()

    assert await db(age_and_prune)() >= 2
    newest = await db(newest_seq)()
    cookie = await db(session_cookie)(officer)

    behind = FeedClient(cookie, after=old - 1)
    await behind.connect()
    reload = await behind.next_of("reload", "event")
    assert reload == {"type": "reload", "reason": protocol.RELOAD_EXPIRED, "sequence": newest}
    # After a reload the feed goes on from the newest sequence.
    await db(transition)(incident, "on_scene", supervisor)
    assert (await behind.events(1))[0]["payload"]["status"] == "on_scene"
    await behind.close()

    ahead = FeedClient(cookie, after=newest + 100)
    await ahead.connect()
    assert (await ahead.next_of("reload", "event"))["reason"] == protocol.RELOAD_UNKNOWN_SEQUENCE
    await ahead.close()

    garbled = FeedClient(cookie)
    garbled.ws.scope["query_string"] = b"after=12abc"
    await garbled.connect()
    assert (await garbled.next())["type"] == "error"
    assert (await garbled.next())["reason"] == protocol.RELOAD_UNKNOWN_SEQUENCE
    await garbled.close()


@run_async
async def test_a_client_too_far_behind_reloads_instead_of_replaying(
    settings, supervisor, make_incident
):
    settings.KOBAN_LIVE_MAX_REPLAY = 3
    await db(make_incident)()
    start = await db(newest_seq)()
    for _ in range(4):
        await db(make_incident)()
    client = FeedClient(await db(session_cookie)(supervisor), after=start)
    await client.connect()
    reload = await client.next_of("reload", "event")
    assert reload["reason"] == protocol.RELOAD_TOO_FAR_BEHIND
    assert reload["sequence"] == await db(newest_seq)()
    await client.close()


# --- Coalescing, lost messages, heartbeats ----------------------------------------------------


@run_async
async def test_replayed_patrol_positions_are_coalesced_to_the_latest_per_patrol(
    settings, officer, supervisor, make_incident
):
    settings.KOBAN_LIVE_HEARTBEAT_SECONDS = 0.3
    incident = await db(make_incident)()
    alpha, bravo = await db(patrol)("ALFA-1"), await db(patrol)("BRAVO-2")
    cookie = await db(session_cookie)(officer)
    after = await db(newest_seq)()

    await db(move)(alpha, (-9.140, 38.720), 50)
    await db(move)(alpha, (-9.141, 38.721), 40)
    await db(move)(bravo, (-9.150, 38.730), 35)
    await db(transition)(incident, "acknowledged", supervisor)
    await db(move)(alpha, (-9.142, 38.722), 30)
    await db(move)(bravo, (-9.151, 38.731), 20)
    newest = await db(newest_seq)()

    client = FeedClient(cookie, after=after)
    await client.connect()
    got = await client.events(3)
    assert [(e["kind"], e["id"]) for e in got] == [
        ("incident.upserted", incident.pk),
        ("patrol.moved", alpha.pk),
        ("patrol.moved", bravo.pk),
    ]
    assert got[1]["payload"]["location"] == [-9.142, 38.722]
    assert got[2]["payload"]["location"] == [-9.151, 38.731]
    # The skipped positions still count: the cursor is at the newest event.
    assert got[2]["seq"] == newest
    assert (await client.next_of("heartbeat", "event"))["sequence"] == newest
    await client.close()


@run_async
async def test_events_whose_notification_was_lost_arrive_in_order_with_the_next_one(
    settings, supervisor, make_incident
):
    incident = await db(make_incident)()
    client = FeedClient(await db(session_cookie)(supervisor))
    await client.connect()

    settings.KOBAN_EVENT_PUBLISHER = "tests.live.helpers.drop_publish"
    await db(transition)(incident, "acknowledged", supervisor)
    await db(dispatch)(incident, supervisor)
    assert await client.quiet(0.3)

    settings.KOBAN_EVENT_PUBLISHER = "dashboard.live.publisher.publish_events"
    await db(transition)(incident, "on_scene", supervisor)
    got = await client.events(3)
    assert [e["payload"]["status"] for e in got] == ["acknowledged", "dispatched", "on_scene"]
    await client.close()


@run_async
async def test_heartbeats_deliver_lost_events_and_carry_the_sequence(
    settings, supervisor, make_incident
):
    settings.KOBAN_LIVE_HEARTBEAT_SECONDS = 0.3
    incident = await db(make_incident)()
    client = FeedClient(await db(session_cookie)(supervisor))
    await client.connect()
    settings.KOBAN_EVENT_PUBLISHER = "tests.live.helpers.drop_publish"
    await db(transition)(incident, "acknowledged", supervisor)
    [event] = await client.events(1, timeout=3)
    assert event["payload"]["status"] == "acknowledged"
    assert (await client.next_of("heartbeat"))["sequence"] == event["seq"]
    await client.close()


# --- Slow clients ----------------------------------------------------------------------------


@run_async
async def test_a_slow_client_is_disconnected_and_the_others_keep_up(
    settings, supervisor, make_incident
):
    settings.KOBAN_LIVE_MAX_BACKLOG = 5
    incident = await db(make_incident)()
    cookie = await db(session_cookie)(supervisor)
    fast, slow = FeedClient(cookie), FeedClient(cookie)
    # The slow browser's socket buffer holds one frame: the server's sends then wait on it.
    slow.ws._output_queue = asyncio.Queue(maxsize=1)
    await fast.connect()
    await slow.connect()

    for n in range(12):
        await db(retitle)(incident, f"Ruído {n}", supervisor)
    titles = [e["payload"]["title"] for e in await fast.events(12, timeout=5)]
    assert titles == [f"Ruído {n}" for n in range(12)]

    assert await slow.closed_with() == protocol.CLOSE_TOO_SLOW
    assert len([m for m in slow.messages if m["type"] == "event"]) < 12
    # It reconnects from its last sequence and gets the rest, in order.
    again = FeedClient(cookie, after=slow.last_seq)
    await again.connect()
    rest = await again.events(12 - len([m for m in slow.messages if m["type"] == "event"]))
    assert rest[-1]["payload"]["title"] == "Ruído 11"
    for client in (fast, slow, again):
        await client.close()


# --- Consumers only read ----------------------------------------------------------------------


def test_the_consumer_never_writes_to_the_database(settings, officer, supervisor, make_incident):
    settings.KOBAN_LIVE_HEARTBEAT_SECONDS = 0.2
    incident = make_incident()
    start = newest_seq()
    transition(incident, "acknowledged", supervisor)
    dispatch(incident, supervisor)
    cookie = session_cookie(officer)
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql.split(None, 1)[0].upper())
        return execute(sql, params, many, context)

    @run_async
    async def listen():
        client = FeedClient(cookie, after=start)
        await client.connect()
        await client.events(2)  # acknowledged, dispatched
        await client.next_of("heartbeat")
        await client.send({"type": "resume", "after": start})
        client.last_seq = start
        await client.events(2)
        await client.close()

    with connection.execute_wrapper(record):
        listen()
    assert "SELECT" in statements
    assert not {"INSERT", "UPDATE", "DELETE"} & set(statements)


@run_async
async def test_an_idle_client_outlasts_the_channel_layers_blocking_read(supervisor, make_incident):
    """channels-redis blocks 5 s per read; a Redis socket timeout at or under that kills idle
    consumers (redis-py 8's default)."""
    incident = await db(make_incident)()
    client = FeedClient(await db(session_cookie)(supervisor))
    await client.connect()
    assert await client.quiet(6.5)
    await db(transition)(incident, "acknowledged", supervisor)
    assert (await client.events(1))[0]["payload"]["status"] == "acknowledged"
    await client.close()
