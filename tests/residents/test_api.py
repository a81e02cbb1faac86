"""The resident loop's API by role: reading, editing and sending a follow-up's message, recording a
resident's language, and reading residents' answers on a concern and on the supervisors' board."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from incidents import services as incident_services
from incidents.models import PersonalDataAccess
from residents import services
from residents.models import ResidentMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(db):
    def make(user=None) -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


def _url(message, suffix=""):
    return f"/api/v1/followups/{message.followup_id}/resident-message/{suffix}"


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        ("officer", 200, 200),  # the assignee
        ("arroios_colleague", 200, 403),  # sees the follow-up, does not work on it
        ("other_officer", 404, 404),  # Belém: does not see it
        ("supervisor", 200, 200),
        ("integrator", 403, 403),
        ("anonymous", 401, 401),
    ],
)
def test_who_reads_edits_and_sends_the_message(
    request, client_for, make_user, areas, drafted, mailoutbox, role, read, write
):
    if role == "arroios_colleague":
        user = make_user("agente3", "Officer", [areas["Arroios"]])
    else:
        user = None if role == "anonymous" else request.getfixturevalue(role)
    client = client_for(user)

    got = client.get(_url(drafted))
    edited = client.patch(_url(drafted), {"body": "Hola, resuelto."}, format="json")
    sent = client.post(_url(drafted, "send/"))

    assert (got.status_code, edited.status_code, sent.status_code) == (read, write, write)
    drafted.refresh_from_db()
    if write == 200:
        assert sent.json()["status"] == "sent" and sent.json()["body"] == "Hola, resuelto."
        assert len(mailoutbox) == 1
        assert "/r/feedback/" in mailoutbox[0].body
    else:
        assert (drafted.status, drafted.body.startswith("Hola:")) == ("draft", True)
        assert mailoutbox == []
    if read == 200:
        assert "lucia" not in got.content.decode().lower()  # no contact in the message


def test_an_empty_edit_is_a_field_error(client_for, officer, drafted):
    response = client_for(officer).patch(_url(drafted), {"body": " "}, format="json")
    assert response.status_code == 400
    assert "body" in response.json()


def test_recording_the_language_needs_the_right_to_reveal_the_contact(
    client_for, officer, supervisor, drafted
):
    url = f"/api/v1/incidents/{drafted.incident_id}/reporter-language/"

    refused = client_for(officer).post(url, {"language": "fr"}, format="json")
    unknown = client_for(supervisor).post(url, {"language": "de"}, format="json")
    done = client_for(supervisor).post(url, {"language": "fr"}, format="json")

    assert refused.status_code == 403
    assert unknown.status_code == 400 and "language" in unknown.json()
    assert done.status_code == 200 and done.json() == {"language": "fr"}
    assert PersonalDataAccess.objects.filter(action="change", user=supervisor).count() == 1
    assert ResidentMessage.objects.get(pk=drafted.pk).language == "fr"


def test_answers_appear_on_the_concern_and_on_the_supervisors_list(
    client_for, supervisor, officer, drafted, mailoutbox
):
    concern = incident_services.concern_create(
        actor=supervisor, title="Bar: música", category="noise", location=drafted.incident.location
    )
    incident_services.incident_link_concern(
        incident=drafted.incident, concern=concern, actor=supervisor
    )
    services.message_send(message=drafted, actor=officer, link_base="http://testserver")
    services.feedback_record(message=drafted, score=2, comment="Sigue igual")

    on_concern = client_for(supervisor).get(f"/api/v1/concerns/{concern.pk}/resident-feedback/")
    latest = client_for(supervisor).get("/api/v1/resident-feedback/")
    message = client_for(supervisor).get(_url(drafted))

    assert on_concern.status_code == 200
    assert [(a["score"], a["comment"]) for a in on_concern.json()] == [(2, "Sigue igual")]
    assert on_concern.json()[0]["incident_reference"] == drafted.incident.reference
    assert [a["followup"] for a in latest.json()] == [drafted.followup_id]
    assert message.json()["feedback"]["score"] == 2
