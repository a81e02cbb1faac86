"""The public status notes of an incident: what residents and Open311 clients are told."""

from __future__ import annotations

import pytest

from incidents import services
from incidents.models import Incident, OutboxEvent, TimelineEntry

pytestmark = pytest.mark.django_db


def test_setting_status_notes_writes_one_timeline_entry_and_one_outbox_row(
    make_incident, supervisor
):
    incident = make_incident()
    timeline_before = TimelineEntry.objects.filter(incident=incident).count()
    outbox_before = OutboxEvent.objects.count()

    services.incident_set_status_notes(
        incident=incident, text="  Noise source identified; bar owner warned. ", actor=supervisor
    )

    assert Incident.objects.get(pk=incident.pk).status_notes == (
        "Noise source identified; bar owner warned."
    )
    entry = TimelineEntry.objects.filter(incident=incident).latest("id")
    assert TimelineEntry.objects.filter(incident=incident).count() == timeline_before + 1
    assert entry.actor == supervisor
    assert entry.data == {"changed": {"status_notes": "Noise source identified; bar owner warned."}}
    assert OutboxEvent.objects.count() == outbox_before + 1
    assert OutboxEvent.objects.latest("id").entity_id == incident.pk


def test_the_same_status_notes_again_writes_nothing(make_incident):
    incident = services.incident_set_status_notes(incident=make_incident(), text="Done.")
    timeline_before = TimelineEntry.objects.count()
    outbox_before = OutboxEvent.objects.count()

    services.incident_set_status_notes(incident=incident, text="Done.")

    assert TimelineEntry.objects.count() == timeline_before
    assert OutboxEvent.objects.count() == outbox_before
