"""In Chromium, as a supervisor: the shift briefing (sections and the hot-spot map) and the
closure-quality charts (drawn on canvas, with tables whose figures are the endpoint's, the
residents' feedback among them), with no Content-Security-Policy violation; screenshots saved
beside the others."""

from __future__ import annotations

from datetime import timedelta

import pytest

from . import axe

pytestmark = pytest.mark.django_db(transaction=True)


def _residents_answer(scores: list[int]) -> None:
    """Answers from residents of Arroios in the last hours (the demo has none)."""
    from django.contrib.auth import get_user_model
    from django.contrib.gis.geos import Point
    from django.test import override_settings
    from django.utils import timezone

    from tests.dashboard.feedback_data import answer
    from tests.dashboard.insight_data import ARROIOS

    users = get_user_model().objects.in_bulk(["chefe.costa", "agente.silva"], field_name="username")
    now = timezone.now()
    with override_settings(KOBAN_EVENT_PUBLISHER="builtins.len"):
        for n, score in enumerate(scores, start=1):
            answer(
                supervisor=users["chefe.costa"],
                officer=users["agente.silva"],
                location=Point(*ARROIOS, srid=4326),
                category="noise",
                priority="medium",
                at=now - timedelta(hours=n),
                score=score,
            )


def test_supervisor_opens_the_shift_briefing_and_the_charts(open_page, asgi_server, screenshot_dir):
    page = open_page("chefe.costa", "/insight/briefing/")

    for section in ("b-changes", "b-followups", "b-concerns", "b-proposals", "b-patrols"):
        assert page.locator(f"#{section}").is_visible()
    assert int(page.locator("#hotspot-map").get_attribute("data-cells")) > 0
    assert page.locator("#hotspot-map path.leaflet-interactive").count() > 0
    assert "LX-01" in page.locator("#b-patrols + table").inner_text()
    page.set_viewport_size({"width": 1366, "height": 2600})  # the page scrolls inside <main>
    page.screenshot(path=screenshot_dir / "shift-briefing.png")
    axe.assert_accessible(page, "the shift briefing")
    page.set_viewport_size({"width": 1366, "height": 860})
    page.emulate_media(media="print")
    assert not page.locator(".topbar").is_visible()  # the print stylesheet hides the frame
    page.emulate_media(media="screen")

    _residents_answer([5, 2, 4])
    page.goto(f"{asgi_server}/insight/closure/?days=30")
    page.wait_for_selector(".chart-card[data-chart=feedback] table")
    expected = page.evaluate("fetch('/insight/closure/data/?days=30').then((r) => r.json())")

    drawn = page.evaluate(
        "[...document.querySelectorAll('.chart-card canvas')]"
        ".map((c) => Boolean(Chart.getChart(c)) && c.width > 0)"
    )
    assert drawn == [True, True, True, True, True]
    week_table = page.locator(
        ".chart-card[data-chart=response_times][data-breakdown=week] tbody tr"
    )
    weeks = expected["response_times"]["week"]
    assert week_table.count() == len(weeks) > 0
    cells = week_table.nth(0).locator("th, td").all_inner_texts()
    assert cells[0] == weeks[0]["key"]
    assert cells[1] == str(weeks[0]["incidents"])
    shown = sum(int(week_table.nth(i).locator("td").nth(0).inner_text()) for i in range(len(weeks)))
    assert shown == expected["response_times"]["all"][0]["incidents"]
    csv_link = page.locator(".chart-card[data-chart=followups] .csv-link").get_attribute("href")
    assert "days=30" in csv_link and "chart=followups" in csv_link

    feedback = page.locator(".chart-card[data-chart=feedback]")
    answers = expected["feedback"]
    assert answers["all"][0]["answers"] == 3
    rows = feedback.locator("tbody tr")
    assert rows.count() == len(answers["week"]) > 0
    assert sum(int(rows.nth(i).locator("td").nth(0).inner_text()) for i in range(rows.count())) == 3
    feedback.locator(".breakdown-choice").select_option("area")
    expect_row = ["Arroios", "3", "3,7", "2", "66,7 %"]  # pt-PT numbers: 11/3 and 2 of 3
    assert feedback.locator("tbody tr").nth(0).locator("th, td").all_inner_texts() == expect_row
    assert "chart=feedback" in feedback.locator(".csv-link").get_attribute("href")
    assert "breakdown=area" in feedback.locator(".csv-link").get_attribute("href")
    page.set_viewport_size({"width": 1366, "height": 2400})
    page.screenshot(path=screenshot_dir / "closure-quality.png")
    axe.assert_accessible(page, "closure quality")
