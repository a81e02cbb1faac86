"""The admin writes through the services: every editable field of every operational model is
saved, with its timeline entry and its outbox event; the rest is read-only; nothing is deleted;
a refusal by the domain is shown, not a server error."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.gis.geos import Point
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import (
    Category,
    FollowUp,
    Incident,
    NeighbourhoodConcern,
    OutboxEvent,
    Patrol,
    TimelineEntry,
)
from tests.conftest import ARROIOS, BELEM, force_login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, administrator):
    administrator.is_staff = administrator.is_superuser = True
    administrator.save()
    force_login_verified(client, administrator)
    return client


def _mercator(lonlat: tuple[float, float]) -> str:
    """The map widget posts web-mercator GeoJSON, as a browser would."""
    return Point(*lonlat, srid=4326).transform(3857, clone=True).json


def _when(value) -> dict[str, str]:
    local = timezone.localtime(value)
    return {"_0": local.strftime("%Y-%m-%d"), "_1": local.strftime("%H:%M:%S")}


def _post(client, model, pk: int, values: dict):
    """Post the change form with `values` (split date-times expanded) and no inline rows."""
    data = {"timeline-TOTAL_FORMS": "0", "timeline-INITIAL_FORMS": "0"}
    for name, value in values.items():
        if hasattr(value, "tzinfo"):
            data.update({name + suffix: part for suffix, part in _when(value).items()})
        else:
            data[name] = value
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk])
    return client.post(url, data)


def _editable(client, model, pk: int) -> set[str]:
    opts = model._meta
    page = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk]))
    assert page.status_code == 200
    return set(page.context["adminform"].form.fields)


def _events_after(sequence: int, kind: str, entity_id: int) -> list[OutboxEvent]:
    return list(OutboxEvent.objects.filter(id__gt=sequence, kind=kind, entity_id=entity_id))


def _old_area_told(sequence: int, entity: str, entity_id: int, area_id: int) -> bool:
    """The area an item moved out of hears of it (an update or a removal), so its screens
    drop it."""
    return OutboxEvent.objects.filter(
        id__gt=sequence, entity_type=entity, entity_id=entity_id, area_ids__contains=[area_id]
    ).exists()


def _last_event_id() -> int:
    return OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_every_editable_incident_field_is_saved_with_its_timeline_and_event(
    admin_client, administrator, make_incident, supervisor, point, areas
):
    incident = make_incident(ARROIOS, title="Música alta")
    concern = services.concern_create(
        actor=supervisor, title="Bar da esquina", category="noise", location=point(BELEM)
    )
    occurred = timezone.now().replace(microsecond=0) - timedelta(hours=3)
    values = {
        "title": "Música muito alta",
        "description": "Vizinhos do 3.º andar",
        "address": "Rua de Belém 10",
        "priority": "high",
        "occurred_at": occurred,
        "category": Category.objects.get(code="public_order").pk,
        "location": _mercator(BELEM),
        "concern": concern.pk,
    }
    assert _editable(admin_client, Incident, incident.pk) == set(values)
    before = _last_event_id()

    response = _post(admin_client, Incident, incident.pk, values)

    assert response.status_code == 302, response.content.decode()[:2000]
    incident.refresh_from_db()
    assert (incident.title, incident.description, incident.address, incident.priority) == (
        "Música muito alta",
        "Vizinhos do 3.º andar",
        "Rua de Belém 10",
        "high",
    )
    assert incident.occurred_at == occurred
    assert incident.category.code == "public_order"
    assert incident.area == areas["Belém"]
    assert incident.concern == concern
    entries = TimelineEntry.objects.filter(incident=incident, actor=administrator)
    assert set(entries.values_list("kind", flat=True)) == {"updated", "moved", "linked"}
    changed = entries.get(kind="updated").data["changed"]
    assert set(changed) == {
        "title",
        "description",
        "address",
        "priority",
        "occurred_at",
        "category",
    }
    events = _events_after(before, "incident.upserted", incident.pk)
    assert events and events[-1].payload["area"] == areas["Belém"].pk
    assert _old_area_told(before, "incident", incident.pk, areas["Arroios"].pk)


def test_every_editable_patrol_field_is_saved_with_its_history_and_event(
    admin_client, administrator, areas, officer, other_officer
):
    patrol = services.patrol_create(
        call_sign="LX-1", kind="car", area=areas["Arroios"], members=[officer]
    )
    starts = timezone.now().replace(microsecond=0) + timedelta(hours=1)
    values = {
        "call_sign": "LX-2",
        "kind": "foot",
        "status": "available",
        "area": areas["Belém"].pk,
        "members": [other_officer.pk],
        "vehicle_id": "AVL-22",
        "shift_starts_at": starts,
        "shift_ends_at": starts + timedelta(hours=8),
    }
    assert _editable(admin_client, Patrol, patrol.pk) == set(values)
    before = _last_event_id()

    response = _post(admin_client, Patrol, patrol.pk, values)

    assert response.status_code == 302, response.content.decode()[:2000]
    patrol.refresh_from_db()
    assert (patrol.call_sign, patrol.kind, patrol.status, patrol.vehicle_id) == (
        "LX-2",
        "foot",
        "available",
        "AVL-22",
    )
    assert patrol.area == areas["Belém"]
    assert list(patrol.members.all()) == [other_officer]
    assert (patrol.shift_starts_at, patrol.shift_ends_at) == (starts, starts + timedelta(hours=8))
    # The patrol's timeline is its change history, naming who changed it from where.
    history = apps.get_model("incidents", "PatrolEvent").objects.filter(
        pgh_obj_id=patrol.pk, pgh_label="update"
    )
    assert history.exists()
    assert {h.pgh_context.metadata["user"] for h in history} == {administrator.pk}
    events = _events_after(before, "patrol.upserted", patrol.pk)
    assert events and events[-1].payload["status"] == "available"
    assert _old_area_told(before, "patrol", patrol.pk, areas["Arroios"].pk)


def test_every_editable_concern_field_is_saved_with_its_timeline_and_event(
    admin_client, administrator, supervisor, officer, point, areas
):
    concern = services.concern_create(
        actor=supervisor, title="Ruído", category="noise", location=point(ARROIOS)
    )
    review = (timezone.localdate() + timedelta(days=14)).isoformat()
    values = {
        "title": "Ruído nocturno",
        "description": "Todas as sextas",
        "category": Category.objects.get(code="public_order").pk,
        "priority": "high",
        "location": _mercator(BELEM),
        "address": "Rua de Belém 10",
        "partners": "Junta de Freguesia",
        "next_review_on": review,
        "owner": officer.pk,
    }
    assert _editable(admin_client, NeighbourhoodConcern, concern.pk) == set(values)
    before = _last_event_id()

    response = _post(admin_client, NeighbourhoodConcern, concern.pk, values)

    assert response.status_code == 302, response.content.decode()[:2000]
    concern.refresh_from_db()
    assert (concern.title, concern.description, concern.priority, concern.address) == (
        "Ruído nocturno",
        "Todas as sextas",
        "high",
        "Rua de Belém 10",
    )
    assert (concern.partners, concern.next_review_on.isoformat()) == ("Junta de Freguesia", review)
    assert (concern.category.code, concern.owner, concern.area) == (
        "public_order",
        officer,
        areas["Belém"],
    )
    entry = TimelineEntry.objects.get(concern=concern, kind="updated", actor=administrator)
    assert set(entry.data["changed"]) == set(values)
    assert _events_after(before, "concern.upserted", concern.pk)


def test_every_editable_followup_field_is_saved_with_its_timeline_and_event(
    admin_client, administrator, make_incident, supervisor, officer
):
    incident = make_incident()
    followup = services.followup_assign(
        actor=supervisor,
        incident=incident,
        title="Voltar ao local",
        due_at=timezone.now() + timedelta(days=1),
        assignee=supervisor,
    )
    patrol = services.patrol_create(call_sign="LX-3", kind="car", members=[officer])
    due = timezone.now().replace(microsecond=0) + timedelta(days=3)
    values = {"assignee": officer.pk, "assignee_patrol": patrol.pk, "due_at": due}
    assert _editable(admin_client, FollowUp, followup.pk) == set(values)
    before = _last_event_id()

    response = _post(admin_client, FollowUp, followup.pk, values)

    assert response.status_code == 302, response.content.decode()[:2000]
    followup.refresh_from_db()
    assert (followup.assignee, followup.assignee_patrol, followup.due_at) == (officer, patrol, due)
    assert TimelineEntry.objects.filter(
        incident=incident, kind="followup", actor=administrator, data__action="reassigned"
    ).exists()
    assert _events_after(before, "followup.upserted", followup.pk)


def test_operational_rows_cannot_be_deleted_from_the_admin(admin_client, one_of_each):
    objects = {
        Incident: one_of_each["incidents"],
        NeighbourhoodConcern: one_of_each["concerns"],
        Patrol: one_of_each["patrols"],
        FollowUp: one_of_each["followups"],
    }
    for model, pk in objects.items():
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[pk])
        assert admin_client.post(url, {"post": "yes"}).status_code == 403, url
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        admin_client.post(changelist, {"action": "delete_selected", "_selected_action": [pk]})
        assert model.objects.filter(pk=pk).exists(), model


def test_a_refusal_by_the_domain_is_shown_and_changes_nothing(
    admin_client, make_incident, supervisor
):
    followup = services.followup_assign(
        actor=supervisor,
        incident=make_incident(),
        title="Voltar ao local",
        due_at=timezone.now() + timedelta(days=1),
        assignee=supervisor,
    )
    before = _last_event_id()
    past = timezone.now().replace(microsecond=0) - timedelta(days=2)

    response = _post(
        admin_client,
        FollowUp,
        followup.pk,
        {"assignee": supervisor.pk, "assignee_patrol": "", "due_at": past},
    )

    assert response.status_code == 302
    page = admin_client.get(response["Location"])
    assert "The due date cannot be in the past." in page.content.decode()
    followup.refresh_from_db()
    assert followup.due_at > timezone.now()
    assert _last_event_id() == before
