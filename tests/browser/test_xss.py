"""Stored script in the map (issue 10): names that people type elsewhere (a patrol's call sign
in the admin, a parish's name, a police station's name and address) reach every dashboard's
map tooltips and labels. In Chromium they show as the text they are, and nothing runs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# Each would run if it reached the page as HTML: it sets window.__pwned and opens a dialog.
CALL_SIGN = "<img src=x onerror=alert(__pwned=1)>"  # a call sign has at most 40 characters
PARISH = "<script>alert(window.__pwned=1)</script><img src=x onerror=alert(__pwned=2)>"
STATION = '<img src=x onerror="alert(window.__pwned=3)">'
ADDRESS = "<script>alert(window.__pwned=4)</script>Rua <b>Nova</b>, 1"


@pytest.fixture(scope="module")
def hostile(demo, django_db_blocker) -> Iterator[dict[str, Any]]:
    """A patrol, a parish and a station renamed to script, as a supervisor could in the admin."""
    from django.db import connections

    from incidents.models import Area, Patrol, PoliceStation

    with django_db_blocker.unblock():
        patrol = Patrol.objects.filter(last_position__isnull=False).order_by("pk").first()
        Patrol.objects.filter(pk=patrol.pk).update(call_sign=CALL_SIGN)
        parish = Area.objects.filter(kind=Area.Kind.PARISH).order_by("pk").first()
        Area.objects.filter(pk=parish.pk).update(name=PARISH)
        inside = parish.geom.point_on_surface
        station = PoliceStation.objects.order_by("pk").first()
        PoliceStation.objects.filter(pk=station.pk).update(name=STATION, address=ADDRESS)
        facts = {
            "patrol": patrol.pk,
            "patrol_at": (patrol.last_position.y, patrol.last_position.x),
            "parish_at": (inside.y, inside.x),
            "station_at": (station.location.y, station.location.x),
            "station_kind": station.kind,
        }
        connections.close_all()
    yield facts


@pytest.fixture
def dashboard(open_page, hostile) -> Iterator[Any]:
    """The operations map of a supervisor, recording dialogs and any request for the bait `x`."""
    page = open_page("chefe.costa")
    page.dialogs = []
    page.bait_requests = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: page.bait_requests.append(r.url) if r.url.endswith("/x") else None)
    yield page
    assert page.evaluate("window.__pwned") is None
    assert page.dialogs == []
    assert page.bait_requests == []


def _centre_on(page, at: tuple[float, float], zoom: int = 17) -> None:
    page.evaluate(f"koban.map.setView([{at[0]}, {at[1]}], {zoom}, {{animate: false}})")


def _hover_map_at(page, at: tuple[float, float]) -> None:
    """Move the mouse onto the map where `at` (lat, lon) is drawn, arriving from beside it."""
    point = page.evaluate(f"koban.map.latLngToContainerPoint([{at[0]}, {at[1]}])")
    box = page.locator("#map").bounding_box()
    x, y = box["x"] + point["x"], box["y"] + point["y"]
    page.mouse.move(x - 30, y - 30)
    page.mouse.move(x, y, steps=5)


def test_a_patrols_call_sign_shows_as_text_in_its_label_and_tooltip(dashboard, hostile):
    page = dashboard
    _centre_on(page, hostile["patrol_at"], 18)
    marker = page.locator(f".mk-patrol[data-id='{hostile['patrol']}']")
    expect(marker.locator("b")).to_have_text(CALL_SIGN)
    marker.hover()
    tooltip = page.locator(".leaflet-tooltip")
    expect(tooltip).to_contain_text(CALL_SIGN)
    assert page.locator(".leaflet-marker-pane img, .leaflet-tooltip-pane img").count() == 0


def test_a_parish_name_shows_as_text_in_its_tooltip(dashboard, hostile):
    page = dashboard
    for layer in ("incidents", "concerns", "patrols"):
        page.uncheck(f"#layers input[value={layer}]")
    _centre_on(page, hostile["parish_at"], 15)
    _hover_map_at(page, hostile["parish_at"])
    tooltip = page.locator(".leaflet-tooltip.area-tip")
    expect(tooltip).to_have_text(PARISH)
    assert tooltip.locator("script, img").count() == 0
    # The list and the parish filter name it as text too.
    expect(page.locator("#f-area option", has_text=PARISH)).to_have_count(1)


def test_a_police_stations_name_and_address_show_as_text_in_its_tooltip(dashboard, hostile):
    page = dashboard
    page.check("#layers input[value=stations]")
    _centre_on(page, hostile["station_at"], 18)
    marker = page.get_by_title(STATION, exact=True)
    expect(marker).to_have_count(1)
    marker.hover()
    tooltip = page.locator(".leaflet-tooltip")
    expected = " · ".join(x for x in (STATION, hostile["station_kind"], ADDRESS) if x)
    expect(tooltip).to_have_text(expected)
    assert tooltip.locator("script, img, b").count() == 0
