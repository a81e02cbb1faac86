"""Every event kind the services emit has a schema, its payloads match it exactly, and no event
carries a resident's personal data (Zulip-style event schema checks)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from dashboard.live import protocol, reads
from incidents import services
from incidents.models import OutboxEvent
from tests.conftest import ARROIOS, BELEM

pytestmark = pytest.mark.django_db

REPORTER = {
    "name": "Maria Fictícia Antunes",
    "phone": "+351 912 000 111",
    "email": "maria@example.pt",
}


def emit_every_kind(supervisor, officer, point) -> None:
    incident = services.incident_create(
        actor=supervisor,
        category="noise",
        title="Festa",
        location=point(ARROIOS),
        address="Rua Morais Soares 10",
        reporter=REPORTER,
    )
    services.incident_add_note(incident=incident, text="Contactado o munícipe.", actor=supervisor)
    concern = services.concern_create(
        actor=supervisor,
        title="Bar ruidoso aos fins de semana",
        category="noise",
        location=point(ARROIOS),
        next_review_on=timezone.localdate() + timedelta(days=14),
    )
    services.concern_add_note(concern=concern, text="Reunião marcada.", actor=supervisor)
    patrol = services.patrol_create(call_sign="ALFA-1", kind="car", members=[officer])
    services.patrol_record_position(patrol=patrol, location=Point(-9.14, 38.72, srid=4326))
    services.patrol_set_status(patrol=patrol, status="busy")
    followup = services.followup_assign(
        actor=supervisor,
        incident=incident,
        title="Voltar ao local",
        assignee=officer,
        due_at=timezone.now() + timedelta(days=2),
        tell_resident=True,
    )
    # Issue 16: three noise incidents close together far from the concern: a repeat place.
    for dx in (0.0, 0.0003, 0.0006):
        services.incident_create(
            actor=supervisor, category="noise", location=Point(-9.2050 + dx, 38.6975, srid=4326)
        )
    services.repeat_places_scan()
    # Changes that take items from some people's view: their `*.removed` events.
    services.followup_reassign(followup=followup, actor=supervisor, assignee=supervisor)
    services.incident_move(incident=incident, location=point(BELEM), actor=supervisor)
    services.concern_update(concern=concern, location=point(BELEM), actor=supervisor)


def test_each_event_kind_matches_its_schema_and_every_kind_is_covered(supervisor, officer, point):
    emit_every_kind(supervisor, officer, point)
    rows = list(OutboxEvent.objects.order_by("id"))
    assert {row.kind for row in rows} == set(protocol.EVENT_TYPES)
    for row in rows:
        event_type = protocol.EVENT_TYPES[row.kind]
        assert row.entity_type in event_type.entities, row
        event_type.payload.model_validate_json(json.dumps(row.payload))
        frame = json.loads(reads.wire_events_after(row.id - 1, 1)[0]["frame"])
        protocol.ServerMessage.validate_python(frame)
        assert frame == {
            "type": "event",
            "seq": row.id,
            "kind": row.kind,
            "entity": row.entity_type,
            "id": row.entity_id,
            "payload": row.payload,
        }


def test_no_event_carries_a_residents_personal_data(supervisor, officer, point):
    emit_every_kind(supervisor, officer, point)
    frames = [ev["frame"] for ev in reads.wire_events_after(0, 1000)]
    assert frames
    for frame in frames:
        for value in REPORTER.values():
            assert value not in frame
        assert "reporter" not in json.loads(frame)["payload"]


def test_a_payload_with_an_unexpected_field_fails_its_schema():
    payload = {
        "id": 1,
        "call_sign": "A",
        "kind": "car",
        "status": "busy",
        "area": None,
        "location": None,
        "position_at": None,
    }
    protocol.PatrolPayload.model_validate_json(json.dumps(payload))
    with pytest.raises(ValueError, match="extra"):
        protocol.PatrolPayload.model_validate_json(json.dumps({**payload, "phone": "912"}))
