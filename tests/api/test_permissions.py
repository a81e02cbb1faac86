"""The permission matrix: every role (and an officer of another area, and nobody) over list,
detail, write and the reveal of a reporter's contact. Refused writes change nothing; another
area's item is a 404 so ids cannot be probed; the detail never carries the contact, and only a
reveal with a purpose by someone with need-to-know shows it, logged once."""

from __future__ import annotations

import pytest

from incidents import services
from incidents.models import FollowUp, Incident, OutboxEvent, PersonalDataAccess
from tests.api.conftest import REPORTER

pytestmark = pytest.mark.django_db

ROLES = ["officer", "other_officer", "supervisor", "administrator", "integrator", "anonymous"]


@pytest.fixture
def as_role(request, client_for):
    """A client for the role named by the test's `role` parameter."""

    def make(role: str):
        user = None if role == "anonymous" else request.getfixturevalue(role)
        return client_for(user), user

    return make


def _listed_ids(response) -> set[int]:
    body = response.json()
    rows = body["results"] if "results" in body else body["features"]
    return {row["id"] for row in rows}


# What each role gets for an item in Arroios (the officer's area, not the other officer's).
READ = {
    "officer": 200,
    "other_officer": 404,
    "supervisor": 200,
    "administrator": 200,
    "integrator": 403,
    "anonymous": 401,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "url", ["/api/v1/incidents/", "/api/v1/incidents/geojson/", "/api/v1/concerns/"]
)
def test_lists_show_only_what_the_role_may_see(as_role, role, url, incident, concern):
    client, _ = as_role(role)

    response = client.get(url)

    expected = READ[role]
    if expected == 404:  # on a list, "not yours" means "not listed"
        assert response.status_code == 200
        assert _listed_ids(response) == set()
        return
    assert response.status_code == expected
    if expected == 200:
        assert _listed_ids(response) == {incident.pk if "incidents" in url else concern.pk}
        assert all("reporter" not in row for row in response.json().get("results", []))
    if expected == 401:
        assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", ["incident", "concern"])
def test_detail_answers_by_role(as_role, role, kind, incident, concern):
    client, _ = as_role(role)
    item = incident if kind == "incident" else concern

    response = client.get(f"/api/v1/{kind}s/{item.pk}/")

    assert response.status_code == READ[role]
    if READ[role] == 200:
        assert response.json()["reference"] == item.reference


@pytest.mark.parametrize("role", ROLES)
def test_transition_by_role_and_refusals_change_nothing(as_role, role, incident):
    client, _ = as_role(role)
    events_before = OutboxEvent.objects.count()

    response = client.post(
        f"/api/v1/incidents/{incident.pk}/transition/", {"status": "acknowledged"}, format="json"
    )

    assert response.status_code == READ[role]
    incident.refresh_from_db()
    if READ[role] == 200:
        assert incident.status == "acknowledged"
    else:
        assert incident.status == "new"
        assert OutboxEvent.objects.count() == events_before


@pytest.mark.parametrize("role", ROLES)
def test_creating_an_incident_by_role(as_role, role, areas):
    client, _ = as_role(role)
    before = Incident.objects.count()

    response = client.post(
        "/api/v1/incidents/",
        {"category": "noise", "location": {"type": "Point", "coordinates": [-9.1345, 38.7255]}},
        format="json",
    )

    expected = {"integrator": 403, "anonymous": 401}.get(role, 201)
    assert response.status_code == expected
    assert Incident.objects.count() == before + (1 if expected == 201 else 0)


@pytest.mark.parametrize("role", ROLES)
def test_followup_list_by_role(as_role, role, incident, officer, supervisor, tomorrow):
    followup = services.followup_assign(
        actor=supervisor, incident=incident, title="Visitar", due_at=tomorrow, assignee=officer
    )
    client, _ = as_role(role)

    response = client.get("/api/v1/followups/")

    expected = {"integrator": 403, "anonymous": 401}.get(role, 200)
    assert response.status_code == expected
    if expected == 200:
        visible = role != "other_officer"
        assert _listed_ids(response) == ({followup.pk} if visible else set())


@pytest.mark.parametrize("role", ROLES)
def test_assigning_a_followup_to_the_arroios_officer_by_role(
    as_role, role, incident, officer, tomorrow
):
    client, _ = as_role(role)

    response = client.post(
        "/api/v1/followups/",
        {"incident": incident.pk, "title": "Rever", "assignee": officer.pk, "due_at": tomorrow},
        format="json",
    )

    expected = {
        "officer": 201,  # taking it for themselves
        "other_officer": 400,  # the incident is not one they may see
        "supervisor": 201,
        "administrator": 201,
        "integrator": 403,
        "anonymous": 401,
    }[role]
    assert response.status_code == expected, response.json()
    assert FollowUp.objects.count() == (1 if expected == 201 else 0)


# --- Personal data ---------------------------------------------------------------------------


def _reveal(client, incident, purpose="clarify_report", text=""):
    return client.post(
        f"/api/v1/incidents/{incident.pk}/reveal-contact/",
        {"purpose": purpose, "purpose_text": text},
        format="json",
    )


# Revealing a contact: need-to-know, not whatever the officer says.
REVEAL = {
    "officer": 403,  # sees the item (their area) but has no supervisor-assigned follow-up
    "other_officer": 404,  # does not even see it
    "supervisor": 200,
    "administrator": 200,
    "integrator": 403,
    "auditor": 403,
    "anonymous": 401,
}


@pytest.mark.parametrize("role", sorted(REVEAL))
def test_the_detail_never_carries_the_contact_and_reveal_is_by_role(
    request, client_for, role, incident
):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    client = client_for(user)

    detail = client.get(f"/api/v1/incidents/{incident.pk}/")
    response = _reveal(client, incident)

    if detail.status_code == 200:
        body = detail.json()
        assert "reporter" not in body
        assert REPORTER["phone"] not in detail.content.decode()
        assert REPORTER["name"] not in detail.content.decode()
        assert body["has_reporter_contact"] is True
        assert body["can_reveal_contact"] is (REVEAL[role] == 200)
    assert response.status_code == REVEAL[role]
    logged = PersonalDataAccess.objects.filter(incident=incident, action="view")
    if REVEAL[role] == 200:
        assert {k: response.json()[k] for k in REPORTER} == REPORTER
        access = logged.get()
        assert (access.user, access.purpose_code, access.channel) == (
            user,
            "clarify_report",
            "api",
        )
    else:
        assert not logged.exists()
        assert REPORTER["phone"] not in response.content.decode()


def test_an_officer_with_a_supervisor_assigned_open_followup_may_reveal_until_it_is_done(
    client_for, officer, supervisor, incident, tomorrow
):
    followup = services.followup_assign(
        actor=supervisor, incident=incident, title="Ligar", due_at=tomorrow, assignee=officer
    )
    client = client_for(officer)
    assert client.get(f"/api/v1/incidents/{incident.pk}/").json()["can_reveal_contact"] is True
    assert _reveal(client, incident).json()["phone"] == REPORTER["phone"]

    services.followup_complete(followup=followup, actor=officer, outcome="Contactada.")

    assert client.get(f"/api/v1/incidents/{incident.pk}/").json()["can_reveal_contact"] is False
    assert _reveal(client, incident).status_code == 403
    assert PersonalDataAccess.objects.filter(user=officer, action="view").count() == 1


def test_an_officer_who_assigned_themselves_a_followup_may_not_reveal(
    client_for, officer, incident, tomorrow
):
    services.followup_assign(
        actor=officer, incident=incident, title="Ligar", due_at=tomorrow, assignee=officer
    )
    client = client_for(officer)

    assert client.get(f"/api/v1/incidents/{incident.pk}/").json()["can_reveal_contact"] is False
    assert _reveal(client, incident).status_code == 403
    assert not PersonalDataAccess.objects.filter(user=officer, action="view").exists()


def test_the_officer_the_incident_is_assigned_to_may_not_reveal_without_a_followup(
    client_for, officer, supervisor, incident
):
    services.incident_assign(incident=incident, officer=officer, actor=supervisor)

    assert _reveal(client_for(officer), incident).status_code == 403


def test_reading_the_detail_logs_nothing_whoever_reads_it(client_for, supervisor, incident):
    client = client_for(supervisor)
    for _ in range(3):
        assert client.get(f"/api/v1/incidents/{incident.pk}/").status_code == 200

    assert not PersonalDataAccess.objects.filter(action="view").exists()


def test_an_incident_without_a_contact_has_nothing_to_reveal(
    client_for, supervisor, belem_incident
):
    client = client_for(supervisor)
    body = client.get(f"/api/v1/incidents/{belem_incident.pk}/").json()

    assert (body["has_reporter_contact"], body["can_reveal_contact"]) == (False, False)
    assert _reveal(client, belem_incident).status_code == 404
    assert not PersonalDataAccess.objects.filter(action="view").exists()


def test_session_writes_need_the_csrf_token(officer, incident):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(officer)
    assert client.get(f"/api/v1/incidents/{incident.pk}/").status_code == 200

    response = client.post(
        f"/api/v1/incidents/{incident.pk}/transition/", {"status": "acknowledged"}, format="json"
    )

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    incident.refresh_from_db()
    assert incident.status == "new"


def test_an_invalid_token_is_401(client, incident):
    response = client.get("/api/v1/incidents/", HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code == 401
