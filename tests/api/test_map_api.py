"""The map's reads: grid-cell counts and viewport features counted by PostgreSQL over the whole
window (never a truncated page), through the visibility rule, with a constant query count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import services
from tests.conftest import ARROIOS, BELEM

pytestmark = pytest.mark.django_db

LISBON = "-9.25,38.68,-9.08,38.80"
CELLS = "/api/v1/incidents/map/cells/"
FEATURES = "/api/v1/incidents/map/features/"


def test_cells_count_every_incident_by_status_and_priority(client_for, supervisor, make_incident):
    for _ in range(3):
        make_incident(ARROIOS, priority="high")
    make_incident(BELEM, priority="low")
    body = client_for(supervisor).get(CELLS, {"bbox": LISBON, "zoom": 12}).json()
    assert body["total"] == 4
    assert sorted(cell["count"] for cell in body["cells"]) == [1, 3]
    arroios = max(body["cells"], key=lambda cell: cell["count"])
    assert arroios["by_priority"] == {"high": 3, "medium": 0, "low": 0}
    assert arroios["by_status"]["new"] == 3
    assert arroios["lon"] == pytest.approx(ARROIOS[0]) and arroios["lat"] == pytest.approx(
        ARROIOS[1]
    )


def test_cells_count_only_what_an_officer_sees(client_for, officer, supervisor, make_incident):
    make_incident(ARROIOS)
    seen_through_assignment = make_incident(BELEM)
    make_incident(BELEM)
    services.incident_assign(incident=seen_through_assignment, officer=officer)
    body = client_for(officer).get(CELLS, {"bbox": LISBON, "zoom": 11}).json()
    assert body["total"] == 2


def test_cells_follow_the_map_filters_and_the_viewport(client_for, supervisor, make_incident):
    make_incident(ARROIOS, priority="high")
    make_incident(ARROIOS, priority="low")
    make_incident(BELEM, priority="low")
    client = client_for(supervisor)
    assert client.get(CELLS, {"bbox": LISBON, "zoom": 12, "priority": "low"}).json()["total"] == 2
    arroios_only = "-9.15,38.71,-9.12,38.74"
    assert client.get(CELLS, {"bbox": arroios_only, "zoom": 14}).json()["total"] == 2


def test_features_say_when_they_are_limited_and_give_the_true_total(
    client_for, supervisor, make_incident
):
    made = [make_incident(ARROIOS, title=f"Ocorrência {n}") for n in range(5)]
    body = client_for(supervisor).get(FEATURES, {"bbox": LISBON, "limit": 3}).json()
    assert body["type"] == "FeatureCollection"
    assert (body["total"], body["returned"], body["limited"]) == (5, 3, True)
    assert [f["id"] for f in body["features"]] == [i.pk for i in reversed(made)][:3]
    feature = body["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [ARROIOS[0], ARROIOS[1]]}
    assert feature["properties"]["category"] == "noise"
    assert feature["properties"]["reported_at"].endswith("Z")

    whole = client_for(supervisor).get(FEATURES, {"bbox": LISBON, "limit": 5}).json()
    assert (whole["total"], whole["returned"], whole["limited"]) == (5, 5, False)


def test_features_match_the_geojson_serializer(client_for, supervisor, make_incident):
    """PostgreSQL builds the same properties as the paged GeoJSON endpoint's serializer."""
    make_incident(ARROIOS, title="Ruído", address="Rua A")
    client = client_for(supervisor)
    ours = client.get(FEATURES, {"bbox": LISBON}).json()["features"][0]
    theirs = client.get("/api/v1/incidents/geojson/").json()["features"][0]
    assert ours["id"] == theirs["id"]
    assert ours["geometry"] == theirs["geometry"]
    for key in ("reported_at", "updated_at"):
        assert ours["properties"].pop(key)[:19] == theirs["properties"].pop(key)[:19]
    assert ours["properties"] == theirs["properties"]


@pytest.mark.parametrize(
    ("url", "query", "field"),
    [
        (CELLS, {"bbox": LISBON}, "zoom"),
        (CELLS, {"zoom": 12}, "bbox"),
        (CELLS, {"bbox": "1,2,3", "zoom": 12}, "bbox"),
        (CELLS, {"bbox": LISBON, "zoom": 40}, "zoom"),
        (FEATURES, {"bbox": LISBON, "limit": 0}, "limit"),
        (FEATURES, {"bbox": LISBON, "status": "nope"}, "status"),
    ],
)
def test_bad_map_queries_are_400_naming_the_field(client_for, supervisor, url, query, field):
    response = client_for(supervisor).get(url, query)
    assert response.status_code == 400
    assert field in str(response.json())


def test_map_reads_need_an_operational_user(client_for, integrator):
    assert client_for(None).get(CELLS, {"bbox": LISBON, "zoom": 12}).status_code == 401
    assert client_for(integrator).get(FEATURES, {"bbox": LISBON}).status_code == 403


def _queries(client, url: str, query: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, query).status_code == 200
    return len(queries)


def test_map_query_counts_do_not_grow_with_the_rows(client_for, officer, supervisor, make_incident):
    clients = [client_for(officer), client_for(supervisor)]

    def measure() -> list[int]:
        return [
            _queries(client, url, query)
            for client in clients
            for url, query in ((CELLS, {"bbox": LISBON, "zoom": 13}), (FEATURES, {"bbox": LISBON}))
        ]

    make_incident(ARROIOS)
    few = measure()
    for _ in range(5):
        make_incident(ARROIOS)
    assert measure() == few


# The list's count (issue 14): the dashboard's counter is the server's, for the whole window.
GEOJSON = "/api/v1/incidents/geojson/"


def test_a_list_page_carries_the_true_count_of_the_window_when_asked(
    client_for, supervisor, officer, make_incident
):
    for _ in range(5):
        make_incident(ARROIOS)
    make_incident(BELEM)
    client = client_for(supervisor)
    page = client.get(GEOJSON, {"page_size": 2, "count": "true"}).json()
    assert (page["count"], len(page["features"])) == (6, 2)
    assert page["next"]
    plain = client.get("/api/v1/incidents/", {"page_size": 2, "count": "true"}).json()
    assert (plain["count"], len(plain["results"])) == (6, 2)
    assert client.get(GEOJSON, {"page_size": 2, "count": "true", "area": ""}).json()["count"] == 6
    # The officer counts only what they may see (Arroios is theirs), and no count unless asked.
    assert client_for(officer).get(GEOJSON, {"count": "1"}).json()["count"] == 5
    assert "count" not in client.get(GEOJSON, {"page_size": 2}).json()


def test_a_bad_count_flag_is_a_400_on_its_field(client_for, supervisor):
    answer = client_for(supervisor).get(GEOJSON, {"count": "maybe"})
    assert answer.status_code == 400
    assert "count" in answer.json()
