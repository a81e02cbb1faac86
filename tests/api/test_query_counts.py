"""List and map endpoints issue the same number of queries for 5 rows as for 50."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboard.api.filters import IncidentFilter
from incidents import selectors, services
from tests.conftest import ARROIOS

pytestmark = pytest.mark.django_db

ROWS = 50  # the large page takes them all


@pytest.fixture
def busy_arroios(areas, supervisor, officer, patrol, point, make_incident):
    """50 of everything in Arroios, related every way a row can be (patrol, concern, people)."""
    due = timezone.now() + timedelta(days=1)
    now = timezone.now()
    for n in range(ROWS):
        concern = services.concern_create(
            actor=supervisor,
            title=f"Preocupação {n}",
            category="noise",
            location=point(ARROIOS),
            owner=officer,
        )
        incident = make_incident(title=f"Ocorrência {n}", reporter={"name": f"Munícipe {n}"})
        services.incident_link_concern(incident=incident, concern=concern, actor=supervisor)
        services.incident_assign(incident=incident, officer=officer, patrol=patrol)
        services.followup_assign(
            actor=supervisor,
            incident=incident,
            title=f"Seguimento {n}",
            due_at=due,
            assignee=officer if n % 2 else None,
            assignee_patrol=None if n % 2 else patrol,
        )
        services.patrol_record_position(
            patrol=patrol, location=point(ARROIOS), recorded_at=now - timedelta(seconds=n)
        )


URLS = [
    "/api/v1/incidents/",
    "/api/v1/incidents/geojson/",
    "/api/v1/concerns/",
    "/api/v1/concerns/geojson/",
    "/api/v1/followups/",
    "/api/v1/followups/?assignee={officer}&overdue=false",
    "/api/v1/incidents/?bbox=-9.145,38.72,-9.125,38.735&status=new&category=noise&area={arroios}",
    "/api/v1/patrols/{patrol}/positions/",
]


def _count(client, url: str, page_size: int) -> tuple[int, int]:
    separator = "&" if "?" in url else "?"
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{url}{separator}page_size={page_size}")
    assert response.status_code == 200, response.content
    body = response.json()
    rows = body.get("results", body.get("features"))
    return len(queries), len(rows)


def test_query_count_does_not_grow_with_the_page(
    client_for, busy_arroios, areas, patrol, supervisor, officer
):
    """One test over every list (the 50-row scene takes seconds to build), both the
    see-everything path and the officer's visibility rule."""
    counts = {}
    for user in (supervisor, officer):
        client = client_for(user)
        for template in URLS:
            url = template.format(arroios=areas["Arroios"].pk, patrol=patrol.pk, officer=officer.pk)
            small, small_rows = _count(client, url, 5)
            large, large_rows = _count(client, url, 50)
            assert (small_rows, large_rows) == (5, 50), url
            counts[(user.username, url)] = (small, large)

    growing = {key: pair for key, pair in counts.items() if pair[0] != pair[1]}
    assert not growing, f"queries for 5 rows vs 50: {growing}"


@pytest.mark.parametrize(
    "url", ["/api/v1/patrols/", "/api/v1/patrols/geojson/", "/api/v1/areas/geojson/"]
)
def test_unpaginated_lists_have_a_fixed_query_count(
    client_for, supervisor, areas, point, django_assert_max_num_queries, url
):
    for n in range(12):
        patrol = services.patrol_create(call_sign=f"P{n}", kind="foot", members=[supervisor])
        services.patrol_record_position(patrol=patrol, location=point(ARROIOS))
    client = client_for(supervisor)

    with django_assert_max_num_queries(8):
        response = client.get(url)

    assert response.status_code == 200


def test_the_bbox_filter_can_use_the_spatial_index(rf, supervisor, incident):
    """The viewport filter is `&&` on the SRID-carrying column, which the GiST index serves."""

    request = rf.get("/", {"bbox": "-9.145,38.72,-9.125,38.735"})
    request.user = supervisor
    filterset = IncidentFilter(
        request.GET, queryset=selectors.incidents_for_list(supervisor), request=request
    )
    assert filterset.is_valid()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = filterset.qs.explain()

    assert "incidents_incident_location" in plan, plan
    assert "&&" in plan
