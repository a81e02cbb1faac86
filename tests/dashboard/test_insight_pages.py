"""The briefing and closure-quality pages, their JSON and CSV: supervisors only, the map's
filters, the same figures everywhere, and a fixed number of queries whatever the data."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import services
from tests.conftest import force_login_verified
from tests.dashboard.insight_data import ARROIOS, BELEM, build, hours

pytestmark = pytest.mark.django_db

WINDOW = "since=2026-03-01&until=2026-03-20"
BRIEFING = "/insight/briefing/"
CLOSURE = "/insight/closure/"
DATA = f"/insight/closure/data/?{WINDOW}"
EXPORT = f"/insight/closure/export.csv?{WINDOW}&chart=response_times&breakdown=area"
URLS = [BRIEFING, CLOSURE, DATA, EXPORT]


@pytest.fixture
def known(supervisor, officer, point, areas):
    return build(supervisor, officer, point, areas)


@pytest.fixture
def as_user(client):
    def login(user):
        force_login_verified(client, user)
        return client

    return login


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("role", ["officer", "integrator", "auditor"])
def test_only_supervisors_open_the_insight_pages_and_data(request, as_user, url, role):
    client = as_user(request.getfixturevalue(role))

    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", URLS)
def test_anonymous_people_are_sent_to_log_in(client, url):
    response = client.get(url)

    assert response.status_code in (302, 401, 403)
    if response.status_code == 302:
        assert response["Location"].startswith("/login/")


def test_navigation_links_show_for_supervisors_only(as_user, supervisor, officer):
    assert BRIEFING in as_user(supervisor).get("/followups/").content.decode()
    assert BRIEFING not in as_user(officer).get("/my-work/").content.decode()


def test_data_endpoint_takes_the_map_filters(known, as_user, supervisor, areas):
    client = as_user(supervisor)

    whole = client.get(DATA).json()
    arroios = client.get(f"{DATA}&area={areas['Arroios'].id}&category=noise").json()

    assert whole["response_times"]["all"][0]["incidents"] == 5
    assert arroios["response_times"]["all"][0]["incidents"] == 2
    assert {r["key"] for r in arroios["response_times"]["area"]} == {"Arroios"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("days=0", "days"),
        ("category=nope", "category"),
        ("priority=urgent", "priority"),
        ("area=x", "area"),
        ("since=yesterday", "since"),
    ],
)
def test_bad_filters_are_a_400_with_a_message_for_the_parameter(as_user, supervisor, query, field):
    response = as_user(supervisor).get(f"/insight/closure/data/?{query}")

    assert response.status_code == 400
    assert field in response.json()


def test_csv_export_has_the_table_of_the_chart(known, as_user, supervisor):
    response = as_user(supervisor).get(EXPORT)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == [
        "parish",
        "incidents",
        "acknowledged_count",
        "acknowledged_median_hours",
        "acknowledged_p90_hours",
    ]
    by_parish = {r[0]: r for r in rows[1:]}
    assert by_parish["Arroios"][1:5] == ["2", "2", "2.00", "2.80"]
    assert by_parish["Belém"][-3:] == ["1", "20.00", "20.00"]


def test_csv_export_of_followups(known, as_user, supervisor):
    response = as_user(supervisor).get(f"/insight/closure/export.csv?{WINDOW}&chart=followups")

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["week", "on_time", "late", "overdue"],
        ["2026-03-02", "1", "1", "0"],
        ["2026-03-09", "0", "0", "2"],
    ]


def test_briefing_page_shows_each_section(known, as_user, supervisor):
    response = as_user(supervisor).get(f"{BRIEFING}?since=2026-03-09T10:00&until=2026-03-09T18:00")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-count="new">2<' in page
    assert 'data-count="escalated">1<' in page
    for text in ("Ruído do bar", "Reunião com o dono do bar", "LX-B", "hot-spots", "F3"):
        assert text in page


def test_briefing_refuses_a_window_that_ends_before_it_starts(as_user, supervisor):
    response = as_user(supervisor).get(f"{BRIEFING}?since=2026-03-09T10:00&until=2026-03-09T08:00")

    assert response.status_code == 400
    assert "field-error" in response.content.decode()


def _more(supervisor, officer, point, areas, n):
    """More of every row a section lists: incidents (new, escalated, resolved), follow-ups,
    concerns with next steps, patrols with members."""
    for i in range(n):
        incident = services.incident_create(
            actor=supervisor,
            category="noise",
            priority="low",
            location=point(ARROIOS),
            reported_at=hours(170),
        )
        services.incident_update(incident=incident, actor=supervisor, priority="high")
        services.incident_transition(incident=incident, to_status="acknowledged", actor=officer)
        services.incident_transition(incident=incident, to_status="resolved", actor=officer)
        services.followup_assign(
            actor=supervisor,
            incident=incident,
            title=f"x{i}",
            due_at=hours(-1),
            assignee=officer,
            allow_past_due=True,
        )
        concern = services.concern_create(
            actor=supervisor, title=f"c{i}", category="theft", location=point(BELEM)
        )
        services.followup_assign(
            actor=supervisor,
            concern=concern,
            title=f"y{i}",
            due_at=hours(-1),
            assignee=officer,
            allow_past_due=True,
        )
        services.patrol_create(
            call_sign=f"LX-{i}", kind="car", area=areas["Arroios"], members=[officer]
        )


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow_with_the_data(known, as_user, supervisor, officer, point, areas):
    client = as_user(supervisor)
    # a shift with changes in it (an empty one skips fetching the rows to list)
    urls = [f"{BRIEFING}?since=2026-03-09T00:00&until=2026-03-10T00:00", DATA, EXPORT]
    _queries(client, urls[0])  # the session's first request also notes when it was last seen
    before = [_queries(client, u) for u in urls]

    _more(supervisor, officer, point, areas, 6)

    assert [_queries(client, u) for u in urls] == before
