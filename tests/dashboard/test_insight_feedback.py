"""The residents' feedback chart (answers, mean score, share solved by week, parish, category and
priority) and the briefing's feedback line: exact figures for tests/dashboard/feedback_data.py,
the map's filters, supervisors only, CSV, and one query whatever the data."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboard.insight.views import closure_figures
from incidents.selectors_insight import InsightScope
from tests.conftest import force_login_verified
from tests.dashboard.feedback_data import answer, build_feedback
from tests.dashboard.insight_data import ARROIOS, T0, WEEK1, WEEK2, hours

pytestmark = pytest.mark.django_db

WINDOW = "since=2026-03-01&until=2026-03-20"
EXPORT = f"/insight/closure/export.csv?{WINDOW}&chart=feedback"


@pytest.fixture
def answered(supervisor, officer, point, areas):
    return build_feedback(supervisor, officer, point)


def _scope(**kwargs):
    return InsightScope(start=T0 - timedelta(days=1), end=T0 + timedelta(days=14), **kwargs)


def _by_key(rows):
    return {
        r["key"]: (r["answers"], r["mean_score"], r["solved"], r["solved_percent"]) for r in rows
    }


def test_feedback_scores_give_exact_figures_by_week_parish_category_priority(answered, supervisor):
    scores = closure_figures(supervisor, _scope())["feedback"]

    assert _by_key(scores["all"]) == {None: (5, 3.8, 3, 60.0)}  # G6 unanswered, G7 too late
    assert _by_key(scores["week"]) == {WEEK1: (3, 3.67, 2, 66.7), WEEK2: (2, 4.0, 1, 50.0)}
    assert [r["key"] for r in scores["week"]] == [WEEK1, WEEK2]
    assert _by_key(scores["area"]) == {"Arroios": (2, 3.5, 1, 50.0), "Belém": (3, 4.0, 2, 66.7)}
    assert _by_key(scores["category"]) == {"noise": (3, 3.67, 2, 66.7), "theft": (2, 4.0, 1, 50.0)}
    assert _by_key(scores["priority"]) == {
        "high": (3, 4.33, 2, 66.7),
        "low": (1, 4.0, 1, 100.0),
        "medium": (1, 2.0, 0, 0.0),
    }


def test_feedback_takes_the_map_filters(answered, supervisor, areas):
    belem_high = _scope(areas=(areas["Belém"].id,), priorities=("high",))
    noise = _scope(categories=("noise",))

    scores = closure_figures(supervisor, belem_high)["feedback"]

    assert _by_key(scores["all"]) == {None: (2, 4.0, 1, 50.0)}  # G4 and G5
    assert _by_key(scores["week"]) == {WEEK2: (2, 4.0, 1, 50.0)}
    assert _by_key(closure_figures(supervisor, noise)["feedback"]["all"]) == {
        None: (3, 3.67, 2, 66.7)
    }


def test_no_answer_gives_an_empty_chart_and_a_zero_total(supervisor):
    scores = closure_figures(supervisor, _scope())["feedback"]

    assert scores["week"] == [] and scores["area"] == []
    assert _by_key(scores["all"]) == {None: (0, None, 0, None)}


@pytest.fixture
def as_user(client):
    def login(user):
        force_login_verified(client, user)
        return client

    return login


def test_the_data_endpoint_carries_the_feedback_and_the_page_its_chart(
    answered, as_user, supervisor, areas
):
    client = as_user(supervisor)

    data = client.get(f"/insight/closure/data/?{WINDOW}&area={areas['Arroios'].id}").json()
    page = client.get("/insight/closure/").content.decode()

    assert _by_key(data["feedback"]["all"]) == {None: (2, 3.5, 1, 50.0)}
    assert 'data-chart="feedback"' in page


@pytest.mark.parametrize("role", ["officer", "integrator", "auditor"])
def test_only_supervisors_get_the_feedback_figures(request, as_user, role):
    client = as_user(request.getfixturevalue(role))

    assert client.get(EXPORT).status_code == 403
    assert client.get(f"/insight/closure/data/?{WINDOW}").status_code == 403


def test_csv_export_of_feedback_by_week_and_by_priority(answered, as_user, supervisor):
    client = as_user(supervisor)

    by_week = client.get(EXPORT)
    by_priority = client.get(f"{EXPORT}&breakdown=priority")

    assert by_week.status_code == 200
    assert by_week["Content-Type"].startswith("text/csv")
    assert 'filename="koban-feedback-week.csv"' in by_week["Content-Disposition"]
    assert list(csv.reader(io.StringIO(by_week.content.decode()))) == [
        ["week", "answers", "mean_score", "solved", "solved_percent"],
        [WEEK1, "3", "3.67", "2", "66.7"],
        [WEEK2, "2", "4.00", "1", "50.0"],
    ]
    assert list(csv.reader(io.StringIO(by_priority.content.decode())))[1:] == [
        ["high", "3", "4.33", "2", "66.7"],
        ["low", "1", "4.00", "1", "100.0"],
        ["medium", "1", "2.00", "0", "0.0"],
    ]


def test_briefing_shows_the_answers_received_in_the_shift(answered, as_user, supervisor, areas):
    client = as_user(supervisor)

    shift = client.get("/insight/briefing/?since=2026-03-10T00:00&until=2026-03-11T00:00")
    arroios = client.get(
        f"/insight/briefing/?since=2026-03-10T00:00&until=2026-03-11T00:00&area={areas['Arroios'].id}"
    )

    assert shift.status_code == 200
    assert shift.context["feedback"] == {
        "answers": 2,
        "mean_score": 4.0,
        "solved": 1,
        "solved_percent": 50.0,
    }  # G4 (+190 h) and G5 (+200 h)
    assert "pontuação média de 4,0 em 5, 50% resolvidos" in shift.content.decode()  # pt-PT
    assert arroios.context["feedback"]["answers"] == 0
    assert "Nenhuma resposta de munícipes neste período." in arroios.content.decode()


def test_feedback_costs_one_query_whatever_the_data(answered, supervisor, officer, point):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            closure_figures(supervisor, _scope(), only="feedback")
        return len(ctx.captured_queries)

    count()  # the user's roles are read once and kept on the user
    before = count()
    for n in range(3):
        answer(
            supervisor=supervisor,
            officer=officer,
            location=point(ARROIOS),
            category="theft",
            priority="medium",
            at=hours(100 + n),
            score=n + 1,
        )

    assert count() == before == 1
