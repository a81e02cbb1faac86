"""Retention: with the clock moved past KOBAN_PERSONAL_DATA_RETENTION_DAYS, the nightly task
erases the contacts of items that ended long enough ago and nothing else (open items, recent
items and the operational record untouched), and logs each erasure without the values; rejected
records go after KOBAN_REJECTED_RETENTION_DAYS."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Incident, PersonalDataAccess, ReporterContact, TimelineEntry
from incidents.tasks import retention_task

pytestmark = pytest.mark.django_db

CONTACT = {"name": "Maria Almeida", "phone": "912345678", "email": "maria@example.pt"}


def _ended(make_incident, supervisor, status: str) -> Incident:
    incident = make_incident(reporter=dict(CONTACT))
    path = {
        "closed": ["acknowledged", "resolved", "closed"],
        "cancelled": ["cancelled"],
    }[status]
    for step in path:
        services.incident_transition(incident=incident, to_status=step, actor=supervisor)
    return Incident.objects.get(pk=incident.pk)


def _snapshot(incident: Incident) -> tuple:
    incident.refresh_from_db()
    timeline = list(
        TimelineEntry.objects.filter(incident=incident).values_list("kind", "to_status", "text")
    )
    return (
        incident.category_id,
        incident.location.wkt,
        incident.status,
        incident.reported_at,
        incident.closed_at,
        incident.title,
        timeline,
    )


def test_the_task_with_the_clock_moved_forward_erases_old_ended_contacts_only(
    make_incident, supervisor, settings
):
    settings.KOBAN_PERSONAL_DATA_RETENTION_DAYS = 365
    old_closed = _ended(make_incident, supervisor, "closed")
    old_cancelled = _ended(make_incident, supervisor, "cancelled")
    still_open = make_incident(reporter=dict(CONTACT))
    recent_closed = _ended(make_incident, supervisor, "closed")
    # Closed 300 days from now: only 66 days before the moved clock.
    Incident.objects.filter(pk=recent_closed.pk).update(
        closed_at=timezone.now() + timedelta(days=300)
    )
    before = {i.pk: _snapshot(i) for i in (old_closed, old_cancelled, still_open, recent_closed)}

    later = timezone.now() + timedelta(days=366)
    with mock.patch("django.utils.timezone.now", return_value=later):
        erased = retention_task()

    assert erased == 2
    assert not ReporterContact.objects.filter(incident__in=[old_closed, old_cancelled]).exists()
    assert ReporterContact.objects.filter(incident__in=[still_open, recent_closed]).count() == 2
    for incident in (old_closed, old_cancelled, still_open, recent_closed):
        assert _snapshot(incident) == before[incident.pk]
    log = PersonalDataAccess.objects.filter(action="erase").order_by("incident_id")
    assert [row.incident_id for row in log] == sorted([old_closed.pk, old_cancelled.pk])
    for row in log:
        assert (row.channel, row.user_id, row.at) == ("retention", None, later)
        assert row.detail["rule"] == "KOBAN_PERSONAL_DATA_RETENTION_DAYS"
        assert row.detail["fields"] == ["name", "phone", "email"]
        for value in CONTACT.values():
            assert value not in str(row.detail) + row.purpose

    with mock.patch("django.utils.timezone.now", return_value=later):
        assert retention_task() == 0  # nothing twice


def test_nothing_is_erased_before_the_retention_period(make_incident, supervisor):
    _ended(make_incident, supervisor, "closed")

    assert retention_task() == 0
    assert ReporterContact.objects.count() == 1
    assert not PersonalDataAccess.objects.filter(action="erase").exists()


def test_rejected_records_are_deleted_after_their_retention_and_logged(make_source_db):
    from integrations import services as integrations
    from integrations.models import RejectedRecord
    from integrations.tasks import rejected_prune_task

    source = make_source_db
    for n in range(2):
        integrations.record_quarantine(
            source=source,
            run=None,
            raw={"id": n, "email": "maria@example.pt"},
            reason="bad",
            external_id=str(n),
            fingerprint=str(n) * 64,
        )
    RejectedRecord.objects.filter(external_id="0").update(
        updated_at=timezone.now() - timedelta(days=31)
    )

    assert rejected_prune_task() == 1

    assert list(RejectedRecord.objects.values_list("external_id", flat=True)) == ["1"]
    row = PersonalDataAccess.objects.get(action="erase")
    assert row.detail["rule"] == "KOBAN_REJECTED_RETENTION_DAYS"
    assert row.detail["external_id"] == "0"
    assert "maria@example.pt" not in str(row.detail)


@pytest.fixture
def make_source_db(db):
    from integrations import services as integrations

    return integrations.source_create(
        name="csv-r",
        adapter="csv",
        config={"fields": {"external_id": "id"}, "categories": {"default": "noise"}},
    )
