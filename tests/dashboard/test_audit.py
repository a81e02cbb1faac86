"""The audit pages: supervisors, administrators and auditors search the access log and the change
history by person, item, resident, date and purpose, and export them to CSV; each search and
export is itself logged (without the resident's contact searched)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import PersonalDataAccess
from tests.conftest import force_login_verified

pytestmark = pytest.mark.django_db

CONTACT = {"name": "Maria Almeida", "phone": "+351 912 345 678", "email": "maria@example.pt"}


@pytest.fixture
def scene(make_incident, supervisor, officer):
    mine = make_incident(title="Ruído", reporter=dict(CONTACT))
    other = make_incident(title="Grafitos", reporter={"name": "Rui Costa", "phone": "939000111"})
    services.reporter_contact_reveal(user=supervisor, incident=mine, purpose="clarify_report")
    services.reporter_contact_reveal(user=supervisor, incident=other, purpose="legal_request")
    services.incident_add_note(incident=mine, text="Nota", actor=officer)
    return {"mine": mine, "other": other}


def _login(client, user):
    force_login_verified(client, user)
    return client


@pytest.mark.parametrize(
    "role, expected",
    [
        ("supervisor", 200),
        ("administrator", 200),
        ("auditor", 200),
        ("officer", 403),
        ("integrator", 403),
    ],
)
@pytest.mark.parametrize("url", ["/audit/", "/audit/history/"])
def test_only_supervisors_administrators_and_auditors_see_the_logs(
    request, client, role, expected, url
):
    _login(client, request.getfixturevalue(role))

    assert client.get(url).status_code == expected


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get("/audit/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_an_auditor_lands_on_the_logs_and_sees_no_operational_data(client, auditor):
    _login(client, auditor)

    assert client.get("/").url == "/audit/"
    assert client.get("/api/v1/incidents/").status_code == 403


def test_the_access_log_is_searched_by_person_item_resident_date_and_purpose(
    client, auditor, supervisor, scene
):
    _login(client, auditor)
    today = timezone.localdate()

    def refs(**params):
        response = client.get("/audit/", {"action": "view", **params})
        assert response.status_code == 200
        return [r.reference for r in response.context["rows"]]

    mine, other = scene["mine"].reference, scene["other"].reference
    assert sorted(refs(person="chefe")) == sorted([mine, other])
    assert refs(item=mine) == [mine]
    assert refs(resident="912 345 678") == [mine]
    assert refs(resident="maria@example.pt") == [mine]
    assert refs(resident="rui costa") == [other]
    assert refs(purpose="legal_request") == [other]
    assert sorted(refs(date_from=today.isoformat(), date_to=today.isoformat())) == sorted(
        [mine, other]
    )
    assert refs(date_from=(today + timedelta(days=1)).isoformat()) == []

    searches = PersonalDataAccess.objects.filter(action="search", user=auditor)
    assert searches.count() == 8
    for row in searches:
        assert row.channel == "audit"
        for value in ("912", "maria@example.pt", "rui costa", "Rui Costa"):
            assert value not in str(row.detail)
    resident_searches = searches.filter(detail__filters__has_key="resident_incidents")
    assert sorted(r.detail["filters"]["resident_incidents"] for r in resident_searches) == sorted(
        [[scene["mine"].pk], [scene["mine"].pk], [scene["other"].pk]]
    )


def test_the_access_log_exports_to_csv_and_the_export_is_logged(client, supervisor, scene):
    _login(client, supervisor)

    response = client.get("/audit/", {"action": "view", "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {r["incident"] for r in rows} == {scene["mine"].reference, scene["other"].reference}
    assert {r["purpose_code"] for r in rows} == {"clarify_report", "legal_request"}
    export = PersonalDataAccess.objects.get(action="export", channel="audit")
    assert (export.user, export.detail["csv"], export.detail["results"]) == (supervisor, True, 2)


def test_the_change_history_is_searched_by_item_and_person_and_exported(
    client, auditor, officer, scene
):
    _login(client, auditor)
    mine = scene["mine"]

    by_item = client.get("/audit/history/", {"item": mine.reference})
    by_person = client.get("/audit/history/", {"person": officer.username})
    exported = client.get("/audit/history/", {"item": mine.reference, "format": "csv"})

    assert by_item.status_code == by_person.status_code == exported.status_code == 200
    labels = {(r.pgh_obj_model, r.pgh_label) for r in by_item.context["rows"]}
    assert ("incidents.Incident", "insert") in labels
    assert all(r.pgh_obj_id == str(mine.pk) for r in by_item.context["rows"])
    text = b"".join(exported.streaming_content).decode()
    assert "incidents.Incident" in text
    logged = PersonalDataAccess.objects.filter(user=auditor, channel="audit")
    assert sorted(logged.values_list("action", flat=True)) == ["export", "search", "search"]
    assert all(row.detail["log"] == "history" for row in logged)


@pytest.mark.parametrize(
    "params, field",
    [
        ({"date_from": "ontem"}, "date_from"),
        ({"date_from": "2026-05-02", "date_to": "2026-05-01"}, "date_to"),
        ({"purpose": "curiosity"}, "purpose"),
        ({"person": "a\x00b"}, "person"),
    ],
)
def test_bad_search_input_is_a_400_with_the_field_message(client, supervisor, params, field):
    _login(client, supervisor)

    response = client.get("/audit/", params)

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not PersonalDataAccess.objects.filter(channel="audit").exists()
