"""The feed with the REST API, as the dashboard uses them: changes made over HTTP reach the
socket after commit only, and a snapshot plus the events after its sequence equals a fresh
snapshot (Zulip's check of its event system)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.test import Client

from incidents.models import OutboxEvent
from tests.conftest import ARROIOS, BELEM
from tests.live.helpers import FeedClient, db, run_async, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

SNAPSHOT_FIELDS = ("reference", "title", "category", "priority", "status", "area", "address")


def api_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def transition_over_http(client: Client, incident_id: int, status: str) -> int:
    response = client.post(
        f"/api/v1/incidents/{incident_id}/transition/",
        {"status": status},
        content_type="application/json",
    )
    return response.status_code


@run_async
async def test_a_change_through_the_api_reaches_the_client_and_a_refused_one_publishes_nothing(
    officer, supervisor, make_incident
):
    incident = await db(make_incident)(ARROIOS)
    http = await db(api_client)(supervisor)
    client = FeedClient(await db(session_cookie)(officer))
    hello = await client.connect()

    assert await db(transition_over_http)(http, incident.pk, "closed") == 409
    assert await client.quiet(0.5)
    assert not await db(OutboxEvent.objects.filter(id__gt=hello["sequence"]).exists)()

    assert await db(transition_over_http)(http, incident.pk, "acknowledged") == 200
    [event] = await client.events(1)
    assert (event["kind"], event["id"]) == ("incident.upserted", incident.pk)
    assert event["payload"]["status"] == "acknowledged"
    await client.close()


def snapshot(client: Client) -> tuple[int, dict[int, dict]]:
    response = client.get("/api/v1/incidents/geojson/?page_size=5000")
    assert response.status_code == 200
    assert response.json()["next"] is None
    features = {
        f["id"]: {
            **{k: f["properties"][k] for k in SNAPSHOT_FIELDS},
            "updated_at": datetime.fromisoformat(f["properties"]["updated_at"]),
            "location": [round(c, 6) for c in f["geometry"]["coordinates"]],
        }
        for f in response.json()["features"]
    }
    return int(response["X-Koban-Sequence"]), features


def apply(features: dict[int, dict], event: dict) -> None:
    """What the dashboard does with an incident event."""
    if event["kind"] != "incident.upserted":
        return
    payload = event["payload"]
    features[event["id"]] = {
        **{k: payload[k] for k in SNAPSHOT_FIELDS},
        "updated_at": datetime.fromisoformat(payload["updated_at"]),
        "location": payload["location"],
    }


def make_changes(http: Client, first: int, second: int, me: int) -> None:
    assert transition_over_http(http, first, "acknowledged") == 200
    assert http.post(
        f"/api/v1/incidents/{second}/notes/", {"text": "Vizinhos ouvidos."}, "application/json"
    ).status_code in (200, 201)
    assert (
        http.patch(
            f"/api/v1/incidents/{second}/", {"title": "Obras fora de horas"}, "application/json"
        ).status_code
        == 200
    )
    created = http.post(
        "/api/v1/incidents/",
        {
            "category": "public_space",
            "priority": "high",
            "title": "Candeeiro apagado",
            "description": "",
            "location": {"type": "Point", "coordinates": list(BELEM)},
            "address": "Rua de Belém",
        },
        "application/json",
    )
    assert created.status_code == 201, created.content
    sent = http.post(f"/api/v1/incidents/{first}/dispatch/", {"officer": me}, "application/json")
    assert sent.status_code == 200, sent.content


@run_async
async def test_snapshot_plus_the_events_after_its_sequence_equals_a_fresh_snapshot(
    supervisor, make_incident
):
    first = await db(make_incident)(ARROIOS, title="Ruído de obras")
    second = await db(make_incident)(BELEM, title="Obras")
    http = await db(api_client)(supervisor)
    sequence, features = await db(snapshot)(http)

    await db(make_changes)(http, first.pk, second.pk, supervisor.pk)
    expected = await db(OutboxEvent.objects.filter(id__gt=sequence).count)()
    client = FeedClient(await db(session_cookie)(supervisor), after=sequence)
    await client.connect()
    for event in await client.events(expected):
        apply(features, event)
    assert await client.quiet(0.3)
    await client.close()

    _, fresh = await db(snapshot)(http)
    assert features == fresh
    assert len(fresh) == 3
