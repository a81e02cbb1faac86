"""In Chromium, as a supervisor: the shift briefing (sections and the hot-spot map) and the
closure-quality charts (drawn on canvas, with tables whose figures are the endpoint's), with no
Content-Security-Policy violation; screenshots saved beside the others."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_supervisor_opens_the_shift_briefing_and_the_charts(open_page, asgi_server, screenshot_dir):
    page = open_page("chefe.costa", "/insight/briefing/")

    for section in ("b-changes", "b-followups", "b-concerns", "b-proposals", "b-patrols"):
        assert page.locator(f"#{section}").is_visible()
    assert int(page.locator("#hotspot-map").get_attribute("data-cells")) > 0
    assert page.locator("#hotspot-map path.leaflet-interactive").count() > 0
    assert "LX-01" in page.locator("#b-patrols + table").inner_text()
    page.set_viewport_size({"width": 1366, "height": 2600})  # the page scrolls inside <main>
    page.screenshot(path=screenshot_dir / "shift-briefing.png")
    page.set_viewport_size({"width": 1366, "height": 860})
    page.emulate_media(media="print")
    assert not page.locator(".topbar").is_visible()  # the print stylesheet hides the frame
    page.emulate_media(media="screen")

    page.goto(f"{asgi_server}/insight/closure/?days=30")
    page.wait_for_selector(".chart-card[data-chart=reopened] table")
    expected = page.evaluate("fetch('/insight/closure/data/?days=30').then((r) => r.json())")

    drawn = page.evaluate(
        "[...document.querySelectorAll('.chart-card canvas')]"
        ".map((c) => Boolean(Chart.getChart(c)) && c.width > 0)"
    )
    assert drawn == [True, True, True, True]
    week_table = page.locator(".chart-card[data-breakdown=week] tbody tr")
    weeks = expected["response_times"]["week"]
    assert week_table.count() == len(weeks) > 0
    cells = week_table.nth(0).locator("th, td").all_inner_texts()
    assert cells[0] == weeks[0]["key"]
    assert cells[1] == str(weeks[0]["incidents"])
    shown = sum(int(week_table.nth(i).locator("td").nth(0).inner_text()) for i in range(len(weeks)))
    assert shown == expected["response_times"]["all"][0]["incidents"]
    csv_link = page.locator(".chart-card[data-chart=followups] .csv-link").get_attribute("href")
    assert "days=30" in csv_link and "chart=followups" in csv_link
    page.set_viewport_size({"width": 1366, "height": 1900})
    page.screenshot(path=screenshot_dir / "closure-quality.png")
