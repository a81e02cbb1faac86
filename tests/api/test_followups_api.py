"""Follow-up endpoints: assign, start, complete, cancel, reassign; who may; list filters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import FollowUp, TimelineEntry

pytestmark = pytest.mark.django_db

CONTRACT_FIELDS = {
    "id",
    "title",
    "incident",
    "concern",
    "item_reference",
    "item_title",
    "assignee",
    "assignee_name",
    "assignee_patrol",
    "assignee_patrol_call_sign",
    "assigned_by_name",
    "due_at",
    "status",
    "overdue",
    "outcome",
    "tell_resident",
    "resident_told_at",
    "completed_at",
    "area",
    "area_name",
}


@pytest.fixture
def assigned(supervisor, officer, incident, tomorrow):
    return services.followup_assign(
        actor=supervisor,
        incident=incident,
        title="Falar com o gerente do bar",
        due_at=tomorrow,
        assignee=officer,
        tell_resident=True,
    )


def test_a_supervisor_assigns_a_followup_with_the_contract_fields(
    client_for, supervisor, officer, incident, tomorrow
):
    response = client_for(supervisor).post(
        "/api/v1/followups/",
        {
            "incident": incident.pk,
            "title": "Falar com o gerente",
            "assignee": officer.pk,
            "due_at": tomorrow.isoformat(),
            "tell_resident": True,
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) >= CONTRACT_FIELDS
    assert body["item_reference"] == incident.reference
    assert body["item_title"] == incident.title
    assert (body["assignee"], body["assignee_name"]) == (officer.pk, "Agente")
    assert body["assigned_by_name"] == "Chefe"
    assert (body["area_name"], body["status"], body["overdue"]) == ("Arroios", "open", False)
    assert TimelineEntry.objects.filter(incident=incident, kind="followup").exists()


def test_a_followup_on_a_concern_to_a_patrol(client_for, supervisor, concern, patrol, tomorrow):
    response = client_for(supervisor).post(
        "/api/v1/followups/",
        {
            "concern": concern.pk,
            "title": "Ronda às 2h",
            "assignee_patrol": patrol.pk,
            "due_at": tomorrow.isoformat(),
        },
        format="json",
    )

    body = response.json()
    assert response.status_code == 201, body
    assert (body["concern"], body["incident"]) == (concern.pk, None)
    assert body["assignee_patrol_call_sign"] == "LX-01"
    assert body["item_reference"] == concern.reference


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"due_at": "2001-01-01T00:00:00Z"}, "due_at"),
        ({"due_at": "amanhã"}, "due_at"),
        ({"incident": None}, "incident"),
        ({"concern": "CONCERN"}, "incident"),
        ({"assignee": None}, "assignee"),
        ({"assignee": 10**30}, "assignee"),
        ({"title": ""}, "title"),
        ({"tell_resident": "talvez"}, "tell_resident"),
    ],
)
def test_bad_assignments_are_field_errors_and_create_nothing(
    client_for, supervisor, officer, incident, concern, tomorrow, change, field
):
    payload = {
        "incident": incident.pk,
        "title": "Rever",
        "assignee": officer.pk,
        "due_at": tomorrow.isoformat(),
    }
    payload.update(change)
    if payload.get("concern") == "CONCERN":
        payload["concern"] = concern.pk  # both an incident and a concern

    response = client_for(supervisor).post("/api/v1/followups/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not FollowUp.objects.exists()


def test_an_officer_may_take_a_followup_but_not_give_one(
    client_for, officer, make_user, areas, incident, tomorrow
):
    colleague = make_user("agente3", "Officer", [areas["Arroios"]])
    client = client_for(officer)
    payload = {"incident": incident.pk, "title": "Voltar lá", "due_at": tomorrow.isoformat()}

    given = client.post("/api/v1/followups/", {**payload, "assignee": colleague.pk}, format="json")
    taken = client.post("/api/v1/followups/", {**payload, "assignee": officer.pk}, format="json")

    assert given.status_code == 403
    assert taken.status_code == 201
    assert list(FollowUp.objects.values_list("assignee", flat=True)) == [officer.pk]


def test_start_and_complete_by_the_assignee(client_for, officer, assigned):
    client = client_for(officer)

    started = client.post(f"/api/v1/followups/{assigned.pk}/start/")
    assert started.status_code == 200
    assert started.json()["status"] == "in_progress"

    done = client.post(
        f"/api/v1/followups/{assigned.pk}/complete/",
        {"outcome": "O gerente vai fechar às 2h.", "resident_told": True},
        format="json",
    )
    body = done.json()
    assert done.status_code == 200
    assert (body["status"], body["outcome"]) == ("done", "O gerente vai fechar às 2h.")
    assert body["completed_at"] and body["resident_told_at"]

    again = client.post(
        f"/api/v1/followups/{assigned.pk}/complete/", {"outcome": "De novo"}, format="json"
    )
    assert again.status_code == 409
    assert again.json()["allowed"] == []


def test_completing_needs_an_outcome(client_for, officer, assigned):
    response = client_for(officer).post(
        f"/api/v1/followups/{assigned.pk}/complete/", {"outcome": "  "}, format="json"
    )
    assert response.status_code == 400
    assert "outcome" in response.json()
    assigned.refresh_from_db()
    assert assigned.status == "open"


def test_only_the_assignee_or_a_supervisor_starts_it(
    client_for, make_user, areas, supervisor, assigned
):
    colleague = make_user("agente3", "Officer", [areas["Arroios"]])

    refused = client_for(colleague).post(f"/api/v1/followups/{assigned.pk}/start/")
    allowed = client_for(supervisor).post(f"/api/v1/followups/{assigned.pk}/start/")

    assert refused.status_code == 403
    assert allowed.status_code == 200


def test_a_patrol_member_starts_the_patrols_followup(
    client_for, officer, supervisor, patrol, concern, tomorrow
):
    followup = services.followup_assign(
        actor=supervisor, concern=concern, title="Ronda", due_at=tomorrow, assignee_patrol=patrol
    )
    response = client_for(officer).post(f"/api/v1/followups/{followup.pk}/start/")
    assert response.status_code == 200


def test_another_areas_officer_gets_404_not_403(client_for, other_officer, assigned):
    client = client_for(other_officer)
    assert client.get(f"/api/v1/followups/{assigned.pk}/").status_code == 404
    assert client.post(f"/api/v1/followups/{assigned.pk}/start/").status_code == 404


def test_cancel_by_a_supervisor_not_by_the_assignee(client_for, officer, supervisor, assigned):
    url = f"/api/v1/followups/{assigned.pk}/cancel/"

    refused = client_for(officer).post(url, {"reason": "Não é preciso"}, format="json")
    missing_reason = client_for(supervisor).post(url, {}, format="json")
    cancelled = client_for(supervisor).post(url, {"reason": "Resolvido noutro"}, format="json")

    assert refused.status_code == 403
    assert missing_reason.status_code == 400
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"


def test_reassign_is_for_supervisors(client_for, officer, supervisor, make_user, areas, assigned):
    colleague = make_user("agente3", "Officer", [areas["Arroios"]])
    url = f"/api/v1/followups/{assigned.pk}/reassign/"
    later = (timezone.now() + timedelta(days=3)).isoformat()

    refused = client_for(officer).post(url, {"assignee": colleague.pk}, format="json")
    moved = client_for(supervisor).post(
        url, {"assignee": colleague.pk, "due_at": later}, format="json"
    )

    assert refused.status_code == 403
    assert moved.status_code == 200
    assert moved.json()["assignee"] == colleague.pk
    assigned.refresh_from_db()
    assert assigned.assignee == colleague


def test_reassigning_a_closed_followup_is_refused(client_for, officer, supervisor, assigned):
    services.followup_complete(followup=assigned, actor=officer, outcome="Feito")
    response = client_for(supervisor).post(
        f"/api/v1/followups/{assigned.pk}/reassign/", {"assignee": officer.pk}, format="json"
    )
    assert response.status_code == 400
    assert "status" in response.json()


def test_list_filters_mine_overdue_status_item_and_area(
    client_for, officer, supervisor, incident, concern, areas, tomorrow
):
    past = timezone.now() - timedelta(hours=2)
    overdue = services.followup_assign(
        actor=supervisor,
        incident=incident,
        title="Atrasado",
        due_at=past,
        assignee=officer,
        allow_past_due=True,
    )
    on_concern = services.followup_assign(
        actor=supervisor, concern=concern, title="Reunião", due_at=tomorrow, assignee=supervisor
    )
    client = client_for(officer)

    def ids(**params):
        response = client.get("/api/v1/followups/", params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [overdue.pk, on_concern.pk]  # soonest due first
    assert ids(assignee="me") == [overdue.pk]
    assert ids(overdue="true") == [overdue.pk]
    assert ids(overdue="false") == [on_concern.pk]
    assert ids(status="open") == [overdue.pk, on_concern.pk]
    assert ids(status="done") == []
    assert ids(incident=incident.pk) == [overdue.pk]
    assert ids(concern=concern.pk) == [on_concern.pk]
    assert ids(area=areas["Arroios"].pk) == [overdue.pk, on_concern.pk]
    assert ids(area=areas["Belém"].pk) == []
    assert ids(ordering="-due_at") == [on_concern.pk, overdue.pk]
    row = client.get("/api/v1/followups/", {"overdue": "true"}).json()["results"][0]
    assert row["overdue"] is True
