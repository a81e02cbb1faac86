"""The figures of the closure-quality charts and the shift briefing, for a data set small
enough to work out by hand (tests/dashboard/insight_data.py says how)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incidents.selectors_briefing import default_briefing_window, shift_briefing
from incidents.selectors_insight import InsightScope, closure_quality
from tests.dashboard.insight_data import T0, WEEK1, WEEK2, build, hours

pytestmark = pytest.mark.django_db


@pytest.fixture
def known(supervisor, officer, point, areas):
    return build(supervisor, officer, point, areas)


def _scope(**kwargs):
    return InsightScope(start=T0 - timedelta(days=1), end=T0 + timedelta(days=14), **kwargs)


def _figures(row):
    return {
        m: (row[m]["count"], row[m]["median"], row[m]["p90"])
        for m in row
        if m in ("acknowledged", "on_scene", "resolved")
    }


def test_response_times_give_exact_medians_and_p90_by_week_parish_category_priority(
    known, supervisor
):
    times = closure_quality(supervisor, _scope())["response_times"]

    (everything,) = times["all"]
    assert everything["incidents"] == 5
    assert _figures(everything) == {
        "acknowledged": (4, 2.5, 4.4),
        "on_scene": (2, 3.5, 4.7),
        # the last resolution counts: C was reopened and resolved again at +20 h
        "resolved": (3, 9.0, 17.8),
    }
    weeks = {r["key"]: r for r in times["week"]}
    assert list(weeks) == [WEEK1, WEEK2]
    assert weeks[WEEK1]["incidents"] == 3
    assert _figures(weeks[WEEK1])["acknowledged"] == (3, 2.0, 2.8)
    assert _figures(weeks[WEEK2]) == {
        "acknowledged": (1, 5.0, 5.0),
        "on_scene": (0, None, None),
        "resolved": (0, None, None),
    }
    parishes = {r["key"]: _figures(r) for r in times["area"]}
    assert parishes["Arroios"]["resolved"] == (2, 6.5, 8.5)
    assert parishes["Belém"]["acknowledged"] == (2, 3.5, 4.7)
    categories = {r["key"]: r["incidents"] for r in times["category"]}
    assert categories == {"noise": 2, "theft": 3}
    priorities = {r["key"]: _figures(r)["acknowledged"] for r in times["priority"]}
    assert priorities == {"high": (2, 3.0, 4.6), "low": (1, 2.0, 2.0), "medium": (1, 3.0, 3.0)}


def test_filters_narrow_every_figure(known, supervisor, areas):
    data = closure_quality(supervisor, _scope(areas=(areas["Arroios"].id,), priorities=("high",)))

    (everything,) = data["response_times"]["all"]
    assert everything["incidents"] == 1  # A only
    assert _figures(everything)["resolved"] == (1, 4.0, 4.0)
    assert data["reopened"] == [
        {"week": WEEK1, "incidents_reopened": 0, "incidents_resolved": 1, "concerns_reopened": 0}
    ]


def test_followups_on_time_late_and_overdue_by_week_of_due_date(known, supervisor):
    followups = closure_quality(supervisor, _scope())["followups"]

    assert followups == [
        {"week": WEEK1, "on_time": 1, "late": 1, "overdue": 0},
        {"week": WEEK2, "on_time": 0, "late": 0, "overdue": 2},  # F3 and F5; F4 was cancelled
    ]


def test_reopened_items_by_week_of_reopening(known, supervisor):
    reopened = closure_quality(supervisor, _scope())["reopened"]

    assert reopened == [
        {"week": WEEK1, "incidents_reopened": 1, "incidents_resolved": 4, "concerns_reopened": 0},
        {"week": WEEK2, "incidents_reopened": 0, "incidents_resolved": 0, "concerns_reopened": 1},
    ]


def test_briefing_sections_for_a_shift(known, supervisor, officer, areas):
    brief = shift_briefing(supervisor, start=hours(168), end=hours(176), now=hours(175))

    assert brief.counts == {"new": 2, "escalated": 1, "resolved": 0}
    flags = {i.title: (i.is_new, i.is_escalated, i.is_resolved) for i in brief.changes}
    assert flags == {"D": (True, False, False), "E": (True, True, False)}
    assert [(r["name"], r["overdue"], r["due"]) for r in brief.followups_by_officer] == [
        (officer.get_full_name(), 1, 0)
    ]
    assert [f.title for f in brief.followups] == ["F3"]
    assert [(c.title, c.next_step) for c in brief.concerns] == [
        ("Ruído do bar", "Reunião com o dono do bar")
    ]
    assert brief.concerns_total == 1
    assert brief.proposals == []
    assert {p.call_sign for p in brief.patrols} == {"LX-A", "LX-B"}
    (spot,) = brief.hot_spots  # D and E, both in Belém, in the last seven days
    assert spot["count"] == 2


def test_briefing_for_a_parish_leaves_the_others_out(known, supervisor, areas):
    belem = shift_briefing(
        supervisor, areas=(areas["Belém"].id,), start=hours(0), end=hours(24), now=hours(23)
    )
    arroios = shift_briefing(
        supervisor, areas=(areas["Arroios"].id,), start=hours(0), end=hours(24), now=hours(23)
    )

    assert belem.counts == {"new": 1, "escalated": 0, "resolved": 1}  # C (resolved at +10 h)
    assert arroios.counts == {"new": 2, "escalated": 0, "resolved": 2}  # A and B
    assert [p.call_sign for p in belem.patrols] == ["LX-B"]
    assert belem.concerns == [] and [c.title for c in arroios.concerns] == ["Ruído do bar"]


def test_default_window_is_the_previous_shift_and_the_current_one():
    start, end = default_briefing_window(T0.replace(hour=9))  # in the 08-16 shift

    assert (start, end) == (T0.replace(hour=0), T0.replace(hour=16))
    # at 02:00 the previous shift started the day before, at 16:00
    assert default_briefing_window(T0.replace(hour=2)) == (
        T0.replace(hour=16) - timedelta(days=1),
        T0.replace(hour=8),
    )
