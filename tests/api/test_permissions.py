"""The permission matrix: every role (and an officer of another area, and nobody) over list,
detail, write and the personal-data fields. Refused writes change nothing; another area's item
is a 404 so ids cannot be probed; the reporter's contact appears only for those allowed, and
each time it does, the consultation is logged."""

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


PERSONAL_DATA = {
    "officer": False,  # officer of the area, but the incident is not assigned to them
    "supervisor": True,
    "administrator": True,
}


@pytest.mark.parametrize("role", sorted(PERSONAL_DATA))
def test_reporter_contact_only_for_allowed_roles_and_each_view_is_logged(as_role, role, incident):
    client, user = as_role(role)

    body = client.get(f"/api/v1/incidents/{incident.pk}/").json()

    allowed = PERSONAL_DATA[role]
    assert body["can_see_personal_data"] is allowed
    logged = PersonalDataAccess.objects.filter(user=user, incident=incident, action="view")
    if allowed:
        assert body["reporter"] == REPORTER
        access = logged.get()
        assert (access.action, access.channel) == ("view", "api")
    else:
        assert body["reporter"] is None
        assert not logged.exists()
    assert REPORTER["phone"] not in str(client.get("/api/v1/incidents/").content)


def test_the_officer_the_incident_is_assigned_to_sees_the_reporter(
    client_for, officer, supervisor, incident
):
    services.incident_assign(incident=incident, officer=officer, actor=supervisor)

    body = client_for(officer).get(f"/api/v1/incidents/{incident.pk}/").json()

    assert body["reporter"] == REPORTER
    assert (
        PersonalDataAccess.objects.filter(user=officer, incident=incident, action="view").count()
        == 1
    )


def test_an_open_followup_gives_its_assignee_the_reporter_while_it_is_open(
    client_for, officer, supervisor, incident, tomorrow
):
    followup = services.followup_assign(
        actor=supervisor, incident=incident, title="Ligar", due_at=tomorrow, assignee=officer
    )
    client = client_for(officer)
    assert client.get(f"/api/v1/incidents/{incident.pk}/").json()["reporter"] == REPORTER

    services.followup_complete(followup=followup, actor=officer, outcome="Contactada.")

    assert client.get(f"/api/v1/incidents/{incident.pk}/").json()["reporter"] is None


def test_an_incident_without_a_contact_logs_nothing(client_for, supervisor, belem_incident):
    body = client_for(supervisor).get(f"/api/v1/incidents/{belem_incident.pk}/").json()

    assert body["reporter"] is None
    assert body["can_see_personal_data"] is True
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
