"""Tokens, the signed-in user, people, reference data, and the OpenAPI schema and its pages."""

from __future__ import annotations

import json

import pytest

from incidents import services

pytestmark = pytest.mark.django_db


def test_a_token_from_json_or_a_form_opens_the_api(client, officer):
    by_json = client.post(
        "/api/v1/auth/token/",
        {"username": "agente", "password": "pw-agente"},
        content_type="application/json",
    )
    by_form = client.post(  # as `curl -d username=...&password=...` sends it
        "/api/v1/auth/token/",
        "username=agente&password=pw-agente",
        content_type="application/x-www-form-urlencoded",
    )

    assert by_json.status_code == by_form.status_code == 200
    tokens = [by_json.json()["token"], by_form.json()["token"]]
    assert tokens[0] != tokens[1]  # one token per client, each revocable on its own
    for token in tokens:
        me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
        assert me.json()["username"] == "agente"


def test_a_stale_token_does_not_block_getting_a_new_one(client, officer):
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "agente", "password": "pw-agente"},
        content_type="application/json",
        HTTP_AUTHORIZATION="Token revoked-long-ago",
    )
    assert response.status_code == 200


def test_a_wrong_password_gets_no_token(client, officer):
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "agente", "password": "nope"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_me_describes_roles_areas_and_patrols(client_for, officer, supervisor, areas, patrol):
    mine = client_for(officer).get("/api/v1/me/").json()
    chief = client_for(supervisor).get("/api/v1/me/").json()

    assert mine == {
        "id": officer.pk,
        "username": "agente",
        "name": "Agente",
        "roles": ["Officer"],
        "areas": [areas["Arroios"].pk],
        "patrols": [patrol.pk],
        "sees_everything": False,
        "can_assign": False,
    }
    assert (chief["sees_everything"], chief["can_assign"]) == (True, True)


def test_me_for_integrators_and_nobody(client_for, integrator, anon):
    assert client_for(integrator).get("/api/v1/me/").json()["roles"] == ["Integrator"]
    assert anon.get("/api/v1/me/").status_code == 401


def test_users_are_listed_for_supervisors_by_role(
    client_for, supervisor, officer, integrator, areas
):
    client = client_for(supervisor)

    officers = client.get("/api/v1/users/", {"role": "Officer"})
    everyone = client.get("/api/v1/users/")

    assert officers.json() == [
        {"id": officer.pk, "username": "agente", "name": "Agente", "areas": [areas["Arroios"].pk]}
    ]
    assert {u["username"] for u in everyone.json()} == {"agente", "chefe"}  # no integrators
    assert client.get("/api/v1/users/", {"role": "Integrator"}).status_code == 400
    assert client_for(officer).get("/api/v1/users/").status_code == 403


def test_categories_are_reference_data_for_every_signed_in_user(client_for, integrator, anon):
    response = client_for(integrator).get("/api/v1/categories/")

    assert response.status_code == 200
    noise = next(c for c in response.json() if c["code"] == "noise")
    assert noise == {"code": "noise", "name_pt": "Ruído", "name_en": "Noise"}
    assert anon.get("/api/v1/categories/").status_code == 401


def test_areas_as_rows_and_as_features(client_for, officer, areas):
    client = client_for(officer)
    arroios = areas["Arroios"]

    rows = {a["id"]: a for a in client.get("/api/v1/areas/").json()}
    collection = client.get("/api/v1/areas/geojson/").json()

    assert rows[arroios.pk] == {
        "id": arroios.pk,
        "name": "Arroios",
        "code": arroios.code,
        "kind": "parish",
        "parent": areas["Lisboa"].pk,
    }
    assert collection["type"] == "FeatureCollection"
    feature = next(f for f in collection["features"] if f["id"] == arroios.pk)
    assert feature["properties"] == {
        "name": "Arroios",
        "code": arroios.code,
        "kind": "parish",
        "parent": areas["Lisboa"].pk,
    }
    assert feature["geometry"]["type"] == "MultiPolygon"


def test_stations_geojson(client_for, officer, integrator, areas, tmp_path):
    source = tmp_path / "stations.geojson"
    source.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [-9.1345, 38.7255]},
                        "properties": {"NOME": "Esquadra de Arroios", "GlobalID": "g1"},
                    }
                ],
            }
        )
    )
    services.stations_import_geojson(path=source, source="test")

    response = client_for(officer).get("/api/v1/stations/geojson/")

    [feature] = response.json()["features"]
    assert feature["properties"]["name"] == "Esquadra de Arroios"
    assert feature["properties"]["area_name"] == "Arroios"
    assert client_for(integrator).get("/api/v1/stations/geojson/").status_code == 403


# --- The OpenAPI document and its pages ---------------------------------------------------------


def test_the_schema_and_its_pages_need_a_signed_in_user(client, supervisor):
    for url in ("/api/schema/", "/api/docs/", "/api/redoc/"):
        assert client.get(url).status_code in (401, 403), url
    client.force_login(supervisor)
    for url in ("/api/schema/", "/api/docs/", "/api/redoc/"):
        assert client.get(url).status_code == 200, url


@pytest.fixture
def schema(client, supervisor):
    client.force_login(supervisor)
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def test_every_operation_documents_its_errors(schema):
    operations = [
        (path, method, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if path.startswith("/api/v1/") and not path.startswith("/api/v1/integrations/")
    ]
    assert len(operations) >= 35
    for path, method, op in operations:
        codes = set(op["responses"])
        label = f"{method.upper()} {path}"
        if path == "/api/v1/auth/token/":
            assert "400" in codes, label
            continue
        assert {"401", "403"} <= codes, label
        if "{id}" in path:
            assert "404" in codes, label
        if method in ("post", "patch") and op.get("requestBody"):
            assert "400" in codes, label
        if path.endswith("/transition/"):
            assert "409" in codes, label


def test_lists_document_the_sequence_header_and_filters(schema):
    incidents = schema["paths"]["/api/v1/incidents/"]["get"]
    header = incidents["responses"]["200"]["headers"]["X-Koban-Sequence"]
    assert header["schema"]["type"] == "integer"
    params = {p["name"] for p in incidents["parameters"]}
    assert {"bbox", "area", "status", "category", "priority", "since", "until", "days"} <= params
    assert {"updated_since", "assignee", "q", "ordering", "page_size", "cursor"} <= params
    for path in ("/api/v1/incidents/geojson/", "/api/v1/followups/", "/api/v1/patrols/geojson/"):
        assert "X-Koban-Sequence" in schema["paths"][path]["get"]["responses"]["200"]["headers"]


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_documentation_pages_load_everything_from_the_project(client, supervisor, page):
    client.force_login(supervisor)
    response = client.get(page)

    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn" not in html.lower()
    assert "https://" not in html
