"""The incident lifecycle, area assignment and the timeline/outbox written with each change."""

from __future__ import annotations

import pytest
from django.db import transaction

from incidents import services
from incidents.errors import InvalidInput, InvalidTransition
from incidents.models import Incident, OutboxEvent, TimelineEntry
from incidents.selectors import incidents_visible_to
from tests.conftest import ARROIOS, ATLANTIC, BELEM

pytestmark = pytest.mark.django_db


def test_incident_in_arroios_gets_area_arroios_and_follows_a_move_to_belem(make_incident, point):
    incident = make_incident(ARROIOS)
    assert incident.area.name == "Arroios"
    assert incident.reference.startswith("OC-")

    moved = services.incident_move(incident=incident, location=point(BELEM))
    moved.refresh_from_db()
    assert moved.area.name == "Belém"
    assert moved.timeline.filter(kind="moved").count() == 1


def test_point_outside_every_area_is_kept_without_area_and_listed_as_such(make_incident):
    incident = make_incident(ATLANTIC)
    incident.refresh_from_db()
    assert incident.area is None
    assert incident.location is not None
    assert list(Incident.objects.filter(area__isnull=True)) == [incident]


def test_outside_every_area_is_refused_when_configured(make_incident, settings):
    from incidents.errors import OutsideServiceArea

    settings.KOBAN_REJECT_OUTSIDE_AREA = True
    with pytest.raises(OutsideServiceArea):
        make_incident(ATLANTIC)
    assert not Incident.objects.exists()


def _close(incident, actor):
    for status in ("acknowledged", "resolved", "closed"):
        incident = services.incident_transition(incident=incident, to_status=status, actor=actor)
    return incident


def test_reopening_a_closed_incident_is_refused_and_changes_nothing(make_incident, supervisor):
    incident = _close(make_incident(), supervisor)
    timeline_before = list(TimelineEntry.objects.filter(incident=incident).values_list("id"))
    outbox_before = OutboxEvent.objects.count()
    updated_at = Incident.objects.get(pk=incident.pk).updated_at

    with pytest.raises(InvalidTransition) as caught:
        services.incident_transition(incident=incident, to_status="acknowledged", actor=supervisor)

    assert "closed" in str(caught.value) and "acknowledged" in str(caught.value)
    row = Incident.objects.get(pk=incident.pk)
    assert row.status == "closed" and row.updated_at == updated_at
    assert list(TimelineEntry.objects.filter(incident=incident).values_list("id")) == (
        timeline_before
    )
    assert OutboxEvent.objects.count() == outbox_before


def test_dispatched_and_on_scene_are_refused_as_plain_moves_without_a_unit(
    make_incident, supervisor
):
    incident = services.incident_transition(
        incident=make_incident(), to_status="acknowledged", actor=supervisor
    )
    outbox_before = OutboxEvent.objects.count()

    with pytest.raises(InvalidInput) as plain:
        services.incident_transition(incident=incident, to_status="dispatched", actor=supervisor)
    assert list(plain.value.errors) == ["status"]
    # A row left "dispatched" with nobody sent (older data) cannot go on scene either.
    Incident.objects.filter(pk=incident.pk).update(status="dispatched")
    with pytest.raises(InvalidInput) as no_unit:
        services.incident_transition(incident=incident, to_status="on_scene", actor=supervisor)
    assert list(no_unit.value.errors) == ["status"]
    with pytest.raises(InvalidInput):
        services.incident_create(category="noise", status="on_scene", actor=supervisor)

    assert Incident.objects.get(pk=incident.pk).status == "dispatched"
    assert OutboxEvent.objects.count() == outbox_before


def test_an_upstream_dispatched_or_on_scene_is_not_applied_koban_sends_its_own_units():
    record = {"source": "cad", "external_id": "77", "category": "noise"}
    created = services.incident_upsert_external(**record, status="dispatched", title="Ruído")
    assert created.incident.status == "acknowledged"

    services.incident_upsert_external(**record, status="on_scene", title="Ruído, festa")
    incident = Incident.objects.get(pk=created.incident.pk)
    assert (incident.status, incident.title) == ("acknowledged", "Ruído, festa")
    assert incident.timeline.filter(kind="note", text__contains="on_scene").count() == 1


def test_valid_transition_writes_one_timeline_entry_and_one_outbox_row(make_incident, supervisor):
    incident = make_incident()
    timeline_before = TimelineEntry.objects.count()
    outbox_before = OutboxEvent.objects.count()

    services.incident_transition(incident=incident, to_status="acknowledged", actor=supervisor)

    assert TimelineEntry.objects.count() == timeline_before + 1
    entry = TimelineEntry.objects.latest("id")
    assert (entry.from_status, entry.to_status, entry.actor) == ("new", "acknowledged", supervisor)
    assert OutboxEvent.objects.count() == outbox_before + 1
    event = OutboxEvent.objects.latest("id")
    assert event.kind == "incident.upserted"
    assert event.payload["status"] == "acknowledged"
    assert event.area_ids == [incident.area_id]


def test_outbox_sequence_strictly_increases(make_incident, supervisor):
    first = make_incident()
    services.incident_transition(incident=first, to_status="acknowledged", actor=supervisor)
    ids = list(OutboxEvent.objects.order_by("created_at", "id").values_list("id", flat=True))
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_events_carry_no_personal_data(make_incident):
    make_incident(reporter={"name": "Maria Almeida", "phone": "912345678"})
    payload = OutboxEvent.objects.latest("id").payload
    assert "Maria" not in str(payload) and "912345678" not in str(payload)


def test_a_rolled_back_change_leaves_no_outbox_row(make_incident, supervisor):
    incident = make_incident()
    before = OutboxEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.incident_transition(incident=incident, to_status="acknowledged", actor=supervisor)
        raise RuntimeError("abort")
    assert OutboxEvent.objects.count() == before
    assert Incident.objects.get(pk=incident.pk).status == "new"


def test_officer_sees_only_their_areas_and_assigned_items(make_incident, officer, other_officer):
    mine = make_incident(ARROIOS)
    theirs = make_incident(BELEM)
    assert set(incidents_visible_to(officer)) == {mine}
    assert set(incidents_visible_to(other_officer)) == {theirs}
    services.incident_assign(incident=theirs, officer=officer)
    assert set(incidents_visible_to(officer)) == {mine, theirs}


def test_incidents_outside_every_area_are_listed_as_such_by_the_api(
    client, make_incident, supervisor
):
    inside = make_incident(ARROIOS)
    outside = make_incident(ATLANTIC)
    client.force_login(supervisor)
    listed = client.get("/api/v1/incidents/", {"no_area": "true"}).json()["results"]
    assert [row["id"] for row in listed] == [outside.id]
    assert listed[0]["area"] is None
    others = client.get("/api/v1/incidents/", {"no_area": "false"}).json()["results"]
    assert [row["id"] for row in others] == [inside.id]


def test_recording_a_reporter_logs_the_collection_of_personal_data(make_incident, supervisor):
    from incidents.models import PersonalDataAccess

    incident = make_incident(reporter={"name": "Maria Almeida", "phone": "912345678"})
    log = PersonalDataAccess.objects.get(incident=incident)
    assert (log.user, log.action) == (supervisor, "create")
