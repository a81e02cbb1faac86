"""The change history: database triggers record every insert, update and delete with who and
which request, task or sync run made it (bulk writes by adapters included); history, access and
timeline rows cannot be updated or deleted by the application's database role, and keep their
subject when it is deleted."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction

from incidents import services
from incidents.models import Incident, PersonalDataAccess, TimelineEntry
from incidents.models.history import CONTACT_PERSONAL_FIELDS
from tests.integrations.conftest import LOOPBACK_NETWORKS, feed  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def _events(model_name: str):
    from django.apps import apps

    return apps.get_model("incidents", model_name).objects


def _csv(titles: list[str]) -> str:
    lines = ["id,title,X,Y"]
    for n, title in enumerate(titles):
        lines.append(f"r{n},{title},{-9.1345 + n * 0.0001:.6f},38.7255")
    return "\n".join(lines) + "\n"


def test_an_adapter_run_that_updates_100_incidents_leaves_100_history_rows_naming_it(
    settings,
    areas,
    feed,  # noqa: F811 (the imported fixture)
):
    from integrations import services as integrations

    settings.KOBAN_SOURCES_ALLOWED_NETWORKS = list(LOOPBACK_NETWORKS)
    config = {
        "url": feed.url("/data/list.csv"),
        "longitude": "X",
        "latitude": "Y",
        "fields": {"external_id": "id", "title": "{title}"},
        "categories": {"default": "noise"},
    }
    feed.serve("/data/list.csv", _csv([f"Ruído {n}" for n in range(100)]), content_type="text/csv")
    source = integrations.source_create(name="lista", adapter="csv", config=config)
    first = integrations.run_inline(source=source)
    assert first.created == 100

    feed.serve(
        "/data/list.csv",
        _csv([f"Ruído {n} (revisto)" for n in range(100)]),
        content_type="text/csv",
    )
    source.refresh_from_db()
    second = integrations.run_inline(source=source)

    assert second.updated == 100
    updates = _events("IncidentEvent").filter(
        pgh_label="update", pgh_context__metadata__sync_run=second.pk
    )
    assert updates.count() == 100
    assert set(updates.values_list("title", flat=True)) == {
        f"Ruído {n} (revisto)" for n in range(100)
    }
    inserts = _events("IncidentEvent").filter(
        pgh_label="insert", pgh_context__metadata__sync_run=first.pk
    )
    assert inserts.count() == 100
    assert inserts.first().pgh_context.metadata["source"] == "lista"


def test_an_api_write_records_the_user_and_the_request(officer, make_incident):
    from rest_framework.test import APIClient

    incident = make_incident()
    client = APIClient()
    client.force_authenticate(officer)
    response = client.patch(f"/api/v1/incidents/{incident.pk}/", {"priority": "low"}, format="json")

    assert response.status_code == 200
    event = _events("IncidentEvent").filter(pgh_obj_id=incident.pk, pgh_label="update").get()
    assert event.priority == "low"
    assert event.pgh_context.metadata["user"] == officer.pk
    assert event.pgh_context.metadata["url"] == f"/api/v1/incidents/{incident.pk}/"


def test_users_and_group_memberships_are_recorded_without_the_password_hash(make_user):
    user = make_user("agente3", "Officer")
    user.set_password("uma-palavra-passe-longa")
    user.save()
    user.groups.remove(Group.objects.get(name="Officer"))

    events = _events("UserEvent").filter(pgh_obj_id=user.pk)
    assert list(events.order_by("pgh_id").values_list("pgh_label", flat=True)) == [
        "insert",
        "update",
    ]
    assert "password" not in {f.name for f in _events("UserEvent").model._meta.fields}
    memberships = _events("GroupMembershipEvent").filter(user_id=user.pk).order_by("pgh_id")
    assert list(memberships.values_list("pgh_label", flat=True)) == ["group.add", "group.remove"]


def test_a_contact_history_says_it_changed_never_what_it_holds(make_incident):
    incident = make_incident(reporter={"name": "Maria Almeida", "phone": "912345678"})
    contact = incident.reporter
    contact.phone = "919999999"
    contact.save()

    events = _events("ReporterContactEvent").filter(pgh_obj_id=contact.pk)
    assert list(events.order_by("pgh_id").values_list("pgh_label", flat=True)) == [
        "insert",
        "update",
    ]
    fields = {f.name for f in events.model._meta.fields}
    assert not set(CONTACT_PERSONAL_FIELDS) & fields


TABLES = [
    "incidents_incidentevent",
    "incidents_reportercontactevent",
    "incidents_userevent",
    "incidents_groupmembershipevent",
    "integrations_sourceevent",
    "incidents_personaldataaccess",
    "incidents_timelineentry",
]


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("statement", ["UPDATE {table} SET id = id", "DELETE FROM {table}"])
def test_the_application_role_cannot_update_or_delete_history_and_access_rows(
    make_incident, make_user, table, statement
):
    make_user("agente4", "Officer")
    incident = make_incident(reporter={"name": "Maria Almeida", "phone": "912345678"})
    services.access_record(user=None, action="view", incident=incident, channel="test")
    from integrations import services as integrations

    integrations.source_create(
        name="csv-x",
        adapter="csv",
        config={"fields": {"external_id": "id"}, "categories": {"default": "noise"}},
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (fixed table names)
        assert cursor.fetchone()[0] > 0

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement.format(table=table))


def test_the_contexts_that_name_who_and_which_run_cannot_be_deleted(make_incident):
    import pghistory

    with pghistory.context(task="test"):
        make_incident()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM pghistory_context")


def test_deleting_an_incident_or_a_user_keeps_its_timeline_and_access_rows(
    make_incident, make_user
):
    user = make_user("agente5", "Officer")
    incident = make_incident(reporter={"name": "Maria Almeida", "phone": "912345678"})
    services.access_record(user=user, action="view", incident=incident, channel="test")
    services.incident_add_note(incident=incident, text="Nota", actor=user)
    incident_id, user_id = incident.pk, user.pk

    Incident.objects.filter(pk=incident_id).delete()
    user.delete()

    access = PersonalDataAccess.objects.get(user_id=user_id)
    assert (access.incident_id, access.username) == (incident_id, "agente5")
    assert TimelineEntry.objects.filter(incident_id=incident_id, actor_id=user_id).exists()
    deleted = _events("IncidentEvent").filter(pgh_obj_id=incident_id, pgh_label="delete")
    assert deleted.count() == 1
