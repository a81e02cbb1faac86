"""Revealing a reporter's contact: an explicit call with a purpose from a list kept as data,
free text for "other", exactly one access row per reveal, bad input a 400 with field messages."""

from __future__ import annotations

import pytest

from incidents.models import AccessPurpose, PersonalDataAccess
from tests.api.conftest import REPORTER

pytestmark = pytest.mark.django_db


def _reveal(client, incident, body):
    return client.post(f"/api/v1/incidents/{incident.pk}/reveal-contact/", body, format="json")


def test_the_purposes_are_data_and_listed_for_operational_users(client_for, officer, integrator):
    response = client_for(officer).get("/api/v1/access-purposes/")

    assert response.status_code == 200
    codes = [p["code"] for p in response.json()]
    assert codes == list(AccessPurpose.objects.filter(active=True).values_list("code", flat=True))
    assert {"contact_outcome", "clarify_report", "legal_request", "other"} <= set(codes)
    assert client_for(integrator).get("/api/v1/access-purposes/").status_code == 403


def test_other_needs_a_reason_in_words(client_for, supervisor, incident):
    client = client_for(supervisor)

    refused = _reveal(client, incident, {"purpose": "other"})
    assert refused.status_code == 400
    assert "purpose_text" in refused.json()
    assert not PersonalDataAccess.objects.filter(action="view").exists()

    response = _reveal(client, incident, {"purpose": "other", "purpose_text": "Pedido da junta"})
    assert response.status_code == 200
    assert response.json()["email"] == REPORTER["email"]
    access = PersonalDataAccess.objects.get(action="view")
    assert access.purpose_code == "other"
    assert "Pedido da junta" in access.purpose
    assert access.username == supervisor.username


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "purpose"),
        ({"purpose": "curiosity"}, "purpose"),
        ({"purpose": 12}, "purpose"),
        ({"purpose": "legal_request", "purpose_text": "x" * 401}, "purpose_text"),
        ({"purpose": "legal_request", "unknown": 1}, "unknown"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client_for, supervisor, incident, body, field):
    response = _reveal(client_for(supervisor), incident, body)

    assert response.status_code == 400
    assert field in response.json()
    assert not PersonalDataAccess.objects.filter(action="view").exists()


def test_an_inactive_purpose_is_refused(client_for, supervisor, incident):
    AccessPurpose.objects.filter(code="legal_request").update(active=False)

    response = _reveal(client_for(supervisor), incident, {"purpose": "legal_request"})

    assert response.status_code == 400


def test_each_reveal_writes_exactly_one_row(client_for, supervisor, incident):
    client = client_for(supervisor)

    for _ in range(2):
        assert _reveal(client, incident, {"purpose": "contact_outcome"}).status_code == 200
        client.get(f"/api/v1/incidents/{incident.pk}/")

    assert PersonalDataAccess.objects.filter(action="view", incident=incident).count() == 2
