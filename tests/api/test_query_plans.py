"""The list, search, aggregate and feature queries can use their indexes (`EXPLAIN`), on a few
thousand rows made by one INSERT ... SELECT generate_series, with sequential scans priced out
(`enable_seqscan = off`: a plan that still scans the table has no usable index)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import selectors
from incidents.models import Incident
from tests.conftest import ARROIOS

pytestmark = pytest.mark.django_db

ROWS = 3000
LISBON = "-9.25,38.68,-9.08,38.80"


@pytest.fixture
def many_incidents(make_incident, areas):
    """ROWS copies of one incident, spread over a year and a few kilometres, then ANALYZE."""
    template = make_incident(ARROIOS, title="Ruído na rua", address="Rua de Arroios 1")
    columns = [
        f.column
        for f in Incident._meta.concrete_fields
        if f.column not in ("id", "reference", "reported_at", "location", "area_id")
    ]
    listed = ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO incidents_incident (reference, reported_at, location, area_id, {listed})
            SELECT 'T-' || g, reported_at - g * interval '3 hours',
                   ST_Translate(location, (g %% 50) * 0.002 - 0.05, (g / 50) * 0.001 - 0.03),
                   (SELECT id FROM incidents_area ORDER BY id OFFSET (g %% 20) LIMIT 1),
                   {listed}
            FROM incidents_incident, generate_series(1, %s) AS g WHERE id = %s
            """,  # noqa: S608 (column names from the model)
            [ROWS, template.pk],
        )
        cursor.execute("ANALYZE incidents_incident")
        cursor.execute("ANALYZE incidents_followup")
        cursor.execute("SET LOCAL enable_seqscan = off")


def plan_of(sql: str, params=()) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params or None)
        return "\n".join(row[0] for row in cursor.fetchall())


def plan_of_queryset(qs) -> str:
    sql, params = qs.query.sql_with_params()
    return plan_of(sql, params)


def plan_of_request(client, url: str, marker: str) -> str:
    """The plan of the query a request ran that contains `marker`."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    (sql,) = [q["sql"] for q in queries.captured_queries if marker in q["sql"]]
    # django-pghistory runs its context `set_config` in the same statement: skip it.
    return plan_of(sql[sql.index(";") + 1 :] if sql.startswith("SELECT set_config") else sql)


def test_default_list_order_uses_the_reported_at_id_index(many_incidents, supervisor):
    qs = selectors.incidents_for_list(supervisor).order_by("-reported_at", "-id")[:50]
    plan = plan_of_queryset(qs)
    assert "incident_reported_desc" in plan, plan
    assert "Sort" not in plan, plan


def test_the_officers_page_walks_the_list_index_and_each_person_path_uses_an_index(
    many_incidents, officer
):
    """The page is read in index order and stops after it: the area test is on the row, the
    person paths are one hashed set built once from their own indexes (no sort of everything
    the officer may see, which at a million incidents took seconds)."""
    qs = selectors.incidents_for_list(officer).order_by("-reported_at", "-id")[:50]
    plan = plan_of_queryset(qs)
    assert "Seq Scan" not in plan and "Sort" not in plan, plan
    assert "Index Scan using incident_reported_desc" in plan, plan
    assert "hashed SubPlan" in plan, plan
    for condition in (
        "Index Cond: (assigned_officer_id = ",
        "Index Cond: (assignee_id = ",
        "Index Cond: (user_id = ",
    ):
        assert condition in plan, plan


def test_text_search_uses_the_trigram_indexes(many_incidents, supervisor):
    found = selectors.items_matching(Incident.objects.order_by(), "Travessa do Fala-Só")
    plan = plan_of_queryset(found)
    for name in ("reference", "title", "address"):
        assert f"incident_{name}_trgm" in plan, plan


def test_map_cells_and_features_use_the_location_index(many_incidents, client_for, supervisor):
    client = client_for(supervisor)
    cells = plan_of_request(
        client, f"/api/v1/incidents/map/cells/?bbox={LISBON}&zoom=13", "by_priority"
    )
    features = plan_of_request(
        client, f"/api/v1/incidents/map/features/?bbox={LISBON}&days=30", "ST_AsGeoJSON"
    )
    assert (
        "Seq Scan" not in cells and "Index Cond: ((location IS NOT NULL) AND (location &&" in cells
    )
    # The 30-day window is narrower than the city here: the window's index leads.
    assert "Seq Scan" not in features and "Index Scan on incident_reported_desc" in features
