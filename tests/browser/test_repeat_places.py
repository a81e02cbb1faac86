"""Repeat places in a real browser: a supervisor turns on the proposals layer, opens the
demo's bar-noise proposal, accepts it, and sees the concern it opened with its incidents."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from . import axe

pytestmark = pytest.mark.browser

TITLE = "Ruído à porta de bar no Intendente"


def _scan(django_db_blocker) -> None:
    """What the hourly job does, here and now (committed: the server publishes nothing itself)."""
    from django.db import connections

    from incidents import services

    with django_db_blocker.unblock():
        services.repeat_places_scan()
        connections.close_all()


def test_a_supervisor_accepts_a_proposal_from_the_map_and_sees_the_concern(
    open_page, api, screenshot_dir, django_db_blocker
):
    client = api("chefe.costa")
    waiting = client.get("repeat-places/geojson/").json()["features"]
    assert sorted(f["properties"]["incident_count"] for f in waiting) == [4, 5]
    page = open_page("chefe.costa")

    page.check("#layer-proposals")
    expect(page.locator(".mk-proposal")).to_have_count(2)
    expect(page.locator("path.rp-place")).to_have_count(2)
    # A third place appears live when the job finds it (three incidents in Belém's garden).
    for dx in (0.0, 0.0004, 0.0008):
        answer = client.post(
            "incidents/",
            json={
                "category": "public_space",
                "title": "Lixo no jardim",
                "location": {"type": "Point", "coordinates": [-9.2050 + dx, 38.6975]},
            },
        )
        assert answer.status_code == 201, answer.text
    _scan(django_db_blocker)
    expect(page.locator(".mk-proposal")).to_have_count(3)
    expect(page.locator("#count-proposals")).to_have_text("3")
    page.locator(".mk-proposal", has_text="5").click()
    proposal = page.locator("#proposal-detail")
    expect(proposal.locator("#rp-members-title .count")).to_have_text("5")
    expect(proposal.locator(".rp-history li")).to_have_count(1)
    page.screenshot(path=screenshot_dir / "repeat-place-proposal.png")
    axe.assert_accessible(page, "a repeat-place proposal open on the map")

    proposal.locator("#rp-title").fill(TITLE)
    proposal.locator(".rp-accept button[type=submit]").click()

    detail = page.locator("#detail")
    expect(detail.locator("h2")).to_have_text(TITLE)
    expect(proposal).to_be_hidden()
    expect(detail.locator("#linked-title .count")).to_have_text("5")
    expect(detail.locator(".assessment")).to_be_visible()
    expect(page.locator(".mk-proposal")).to_have_count(2)
    page.screenshot(path=screenshot_dir / "repeat-place-accepted-concern.png")
    # Responding starts the before/after comparison, drawn as a small bar chart.
    detail.locator("button[data-status=responding]").click()
    expect(detail.locator(".as-counts .as-before")).to_have_text("0")
    expect(detail.locator(".as-chart canvas")).to_be_visible()
    detail.locator(".assessment").screenshot(path=screenshot_dir / "concern-assessment.png")
    left = client.get("repeat-places/geojson/").json()["features"]
    assert sorted(f["properties"]["incident_count"] for f in left) == [3, 4]
    assert page.errors == []
