"""Bad input is a 400 with a message for the field (or parameter) at fault, never a 500:
malformed JSON, wrong types, huge numbers, bad geometries and dates, bad filter values."""

from __future__ import annotations

import base64

import pytest

from incidents.models import Incident

pytestmark = pytest.mark.django_db

POINT = {"type": "Point", "coordinates": [-9.1345, 38.7255]}
HUGE = 10**30


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "no-such-thing"}, "category"),
        ({"category": 123}, "category"),
        ({"category": "noi\x00se"}, "category"),  # found by schemathesis: was a 500
        ({"category": ["noise"]}, "category"),
        ({"category": "noise", "priority": "urgent"}, "priority"),
        ({"category": "noise", "priority": ["high"]}, "priority"),
        ({"category": "noise", "title": {"a": 1}}, "title"),
        ({"category": "noise", "title": "x" * 201}, "title"),
        ({"category": "noise", "title": "nul\x00byte"}, "title"),
        ({"category": "noise", "location": "POINT(-9.13 38.72)"}, "location"),
        ({"category": "noise", "location": {"type": "Point"}}, "location"),
        (
            {"category": "noise", "location": {"type": "Point", "coordinates": ["a", "b"]}},
            "location",
        ),
        ({"category": "noise", "location": {"type": "Point", "coordinates": [1]}}, "location"),
        (
            {"category": "noise", "location": {"type": "Point", "coordinates": [200, 10]}},
            "location",
        ),
        (
            {"category": "noise", "location": {"type": "Point", "coordinates": [HUGE, 1]}},
            "location",
        ),
        (
            {"category": "noise", "location": {"type": "Point", "coordinates": [True, 1]}},
            "location",
        ),
        (
            {
                "category": "noise",
                "location": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
            },
            "location",
        ),
        ({"category": "noise", "location": [-9.13, 38.72]}, "location"),
        ({"category": "noise", "reported_at": "yesterday"}, "reported_at"),
        ({"category": "noise", "reported_at": "2025-13-45T00:00:00Z"}, "reported_at"),
        ({"category": "noise", "reported_at": "99999-01-01T00:00:00Z"}, "reported_at"),
        ({"category": "noise", "occurred_at": 1714550400}, "occurred_at"),
        ({"category": "noise", "reporter": "Maria"}, "reporter"),
        ({"category": "noise", "reporter": {"email": "not-an-email"}}, "reporter"),
        ({"category": "noise", "id": 5}, "id"),
        ({}, "category"),
    ],
)
def test_bad_incident_bodies_are_field_errors(client_for, officer, body, field):
    response = client_for(officer).post("/api/v1/incidents/", body, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        b'{"category": "noise",',  # truncated
        b"not json at all",
        b'{"category": "noise", "title": NaN}',
        b'{"category": "noise", "title": "\\ud800"}',  # a lone surrogate PostgreSQL cannot store
        b"[" * 100_000 + b"]" * 100_000,  # nested beyond the parser's recursion limit
        b'"just a string"',
        b"[1, 2, 3]",
    ],
)
def test_unreadable_json_is_400(client_for, officer, raw):
    response = client_for(officer).generic(
        "POST", "/api/v1/incidents/", raw, content_type="application/json"
    )

    assert response.status_code == 400, response.content
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("transition/", {"status": "teleported"}, "status"),
        ("transition/", {"status": 7}, "status"),
        ("transition/", {"status": "duplicate", "duplicate_of": HUGE}, "duplicate_of"),
        ("transition/", {"status": "duplicate", "duplicate_of": 1.5}, "duplicate_of"),
        ("transition/", {"status": "duplicate", "duplicate_of": True}, "duplicate_of"),
        ("transition/", {"status": "duplicate", "duplicate_of": "abc"}, "duplicate_of"),
        ("link-concern/", {"concern": HUGE}, "concern"),
        ("link-concern/", {"concern": -1}, "concern"),
        ("link-concern/", {}, "concern"),
        ("notes/", {"text": ["a"]}, "text"),
        ("notes/", {"text": "x" * 5001}, "text"),
    ],
)
def test_bad_operation_bodies_are_field_errors(client_for, officer, incident, path, body, field):
    response = client_for(officer).post(
        f"/api/v1/incidents/{incident.pk}/{path}", body, format="json"
    )

    assert response.status_code == 400, response.content
    assert field in response.json()


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "-9.2,38.7,-9.1"}, "bbox"),
        ({"bbox": "200,0,201,1"}, "bbox"),
        ({"bbox": "-9.1,38.8,-9.2,38.7"}, "bbox"),
        ({"bbox": "nan,0,1,1"}, "bbox"),
        ({"bbox": "1e999,0,1,1"}, "bbox"),
        ({"area": "x"}, "area"),
        ({"area": "-1"}, "area"),
        ({"area": "1.5"}, "area"),
        ({"area": str(HUGE)}, "area"),
        ({"area": ",".join(["1"] * 201)}, "area"),
        ({"area": "١٢"}, "area"),  # Arabic-Indic digits: not an id here
        ({"status": "bogus"}, "status"),
        ({"status": "new,bogus"}, "status"),
        ({"status": "%s%d"}, "status"),  # found by schemathesis: a format string was a 500
        ({"category": "%(x)s"}, "category"),
        ({"area": "%"}, "area"),
        ({"category": "nope"}, "category"),
        ({"category": "noi\x00se"}, "category"),
        ({"priority": "urgent"}, "priority"),
        ({"since": "garbage"}, "since"),
        ({"since": "2025-02-30"}, "since"),
        ({"until": "9999-12-31T23:59:59-14:00"}, "until"),
        ({"updated_since": "0001-01-01T00:00:00+14:00"}, "updated_since"),
        ({"days": "0"}, "days"),
        ({"days": "abc"}, "days"),
        ({"days": "99999999999999999999"}, "days"),
        ({"assignee": "someone"}, "assignee"),
        ({"assignee": str(HUGE)}, "assignee"),
        ({"ordering": "title"}, "ordering"),
        ({"q": "x" * 201}, "q"),
        ({"cursor": "!!!"}, "cursor"),
        ({"cursor": base64.b64encode(b"p=not-a-date").decode()}, "cursor"),
        ({"cursor": base64.b64encode(b"o=abc").decode()}, "cursor"),
    ],
)
def test_bad_filter_values_are_400_for_that_parameter(
    client_for, supervisor, incident, params, parameter
):
    client = client_for(supervisor)
    for url in ("/api/v1/incidents/", "/api/v1/incidents/geojson/"):
        response = client.get(url, params)

        assert response.status_code == 400, (url, response.content)
        assert parameter in response.json()


@pytest.mark.parametrize(
    ("url", "params", "parameter"),
    [
        ("/api/v1/followups/", {"overdue": "maybe"}, "overdue"),
        ("/api/v1/followups/", {"incident": "abc"}, "incident"),
        ("/api/v1/followups/", {"concern": str(HUGE)}, "concern"),
        ("/api/v1/followups/", {"ordering": "title"}, "ordering"),
        ("/api/v1/concerns/", {"status": "new"}, "status"),
        ("/api/v1/concerns/", {"owner": "x"}, "owner"),
        ("/api/v1/patrols/", {"kind": "horse"}, "kind"),
        ("/api/v1/users/", {"role": "Mayor"}, "role"),
    ],
)
def test_bad_filters_on_other_lists(client_for, supervisor, areas, url, params, parameter):
    response = client_for(supervisor).get(url, params)

    assert response.status_code == 400, response.content
    assert parameter in response.json()


@pytest.mark.parametrize("page_size", ["abc", "0", "-5", str(HUGE)])
def test_odd_page_sizes_fall_back_or_cap_instead_of_failing(
    client_for, supervisor, incident, page_size
):
    response = client_for(supervisor).get("/api/v1/incidents/", {"page_size": page_size})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [incident.pk]


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/incidents/{HUGE}/",
        f"/api/v1/incidents/{HUGE}/transition/",
        f"/api/v1/concerns/{HUGE}/",
        f"/api/v1/followups/{HUGE}/start/",
        f"/api/v1/patrols/{HUGE}/positions/",
        "/api/v1/incidents/0/",
    ],
)
def test_huge_or_unknown_ids_in_paths_are_404(client_for, supervisor, areas, path):
    client = client_for(supervisor)
    response = client.post(path, {"status": "acknowledged"}, format="json")
    if response.status_code == 405:
        response = client.get(path)
    assert response.status_code == 404


def test_a_body_that_is_not_json_is_refused_as_such(client_for, officer):
    response = client_for(officer).post(
        "/api/v1/incidents/", "category=noise", content_type="text/plain"
    )
    assert response.status_code == 415
