"""`manage.py generate_load`: realistic synthetic incidents written by PostgreSQL, only into a
database named as a load database."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from incidents.models import FollowUp, Incident, OutboxEvent, TimelineEntry

pytestmark = pytest.mark.django_db

N = 2000


def _url() -> str:
    return f"postgis:///{connection.settings_dict['NAME']}"


def test_refuses_without_a_named_load_database(monkeypatch):
    monkeypatch.delenv("KOBAN_LOAD_DATABASE_URL", raising=False)

    with pytest.raises(CommandError, match="Name the load database"):
        call_command("generate_load", "--incidents", "10")


def test_refuses_the_working_database_unless_it_is_named_as_the_load_database(monkeypatch):
    monkeypatch.delenv("KOBAN_LOAD_DATABASE_URL", raising=False)

    with pytest.raises(CommandError, match="not named as a load database"):
        call_command("generate_load", "--incidents", "10", "--database-url", _url())

    assert not Incident.objects.exists()


def test_generates_incidents_in_their_parishes_with_timeline_outbox_and_followups(
    monkeypatch, areas
):
    monkeypatch.setenv("KOBAN_LOAD_DATABASE_URL", _url())

    call_command("generate_load", "--incidents", str(N), "--years", "2")

    incidents = Incident.objects.filter(source="load")
    assert incidents.count() == N
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM incidents_incident i JOIN incidents_area a ON a.id = i.area_id
               WHERE i.source = 'load' AND a.kind = 'parish' AND ST_Covers(a.geom, i.location)"""
        )
        assert cursor.fetchone()[0] == N  # every one lies in its parish
    # each has its 'created' entry, and its status is the last move it made
    assert TimelineEntry.objects.filter(incident__source="load", kind="created").count() == N
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM incidents_incident i WHERE i.source = 'load' AND i.status <> (
                   SELECT t.to_status FROM incidents_timelineentry t WHERE t.incident_id = i.id
                   ORDER BY t.created_at DESC, t.id DESC LIMIT 1)"""
        )
        assert cursor.fetchone()[0] == 0
    statuses = set(incidents.values_list("status", flat=True))
    assert {"closed", "cancelled"} <= statuses
    assert (
        incidents.filter(resolved_at__isnull=False).exclude(status__in=["resolved", "closed"])
    ).count() == 0
    reopened = TimelineEntry.objects.filter(
        incident__source="load", from_status="resolved", to_status="acknowledged"
    )
    assert reopened.exists()
    assert set(incidents.values_list("category__code", flat=True)) >= {"noise", "theft"}
    assert set(incidents.values_list("priority", flat=True)) == {"high", "medium", "low"}
    assert FollowUp.objects.filter(incident__source="load").count() > N * 0.04
    # the change history has each one's insert, as the triggers would have written it
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM incidents_incidentevent e JOIN incidents_incident i
               ON i.id = e.pgh_obj_id AND i.reference = e.reference
               WHERE i.source = 'load' AND e.pgh_label = 'insert'"""
        )
        assert cursor.fetchone()[0] == N
    # the outbox holds the recent moves only, as a pruned live outbox does
    recent = OutboxEvent.objects.filter(kind="incident.upserted")
    assert 0 < recent.count() < TimelineEntry.objects.filter(incident__source="load").count()
