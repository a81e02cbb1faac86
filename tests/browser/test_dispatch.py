"""Dispatch in a real browser (issue 12's acceptance): a supervisor sends the nearest available
patrol from the detail panel; the patrol's member, in a second browser context, sees the
incident arrive in "my work" through the live feed, records "on scene" and "resolved"; the
supervisor's map and timeline follow each step and the patrol goes busy and back."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from . import axe

pytestmark = pytest.mark.browser

ARROIOS = (-9.1345, 38.7255)
IN_PANEL = "(target) => Boolean(document.querySelector(target)?.closest('#detail'))"


def _patrol(client, call_sign: str) -> dict:
    answer = client.get("patrols/")
    answer.raise_for_status()
    return next(p for p in answer.json() if p["call_sign"] == call_sign)


def test_supervisor_dispatches_nearest_patrol_and_its_member_works_it_live(
    open_page, api, screenshot_dir
):
    chefe = api("chefe.costa")
    title = f"Alarme a tocar {uuid.uuid4().hex[:6]}"
    created = chefe.post(
        "incidents/",
        json={
            "category": "public_order",
            "priority": "high",
            "title": title,
            "location": {"type": "Point", "coordinates": list(ARROIOS)},
            "address": "Rua Morais Soares, 10",
        },
    )
    assert created.status_code == 201, created.text
    incident = created.json()
    # LX-01 (crewed by agente.silva, available) reports a fix 55 m away: the nearest patrol.
    lx01 = _patrol(chefe, "LX-01")
    assert lx01["status"] == "available"
    fix = chefe.post(
        f"patrols/{lx01['id']}/positions/",
        json={"location": {"type": "Point", "coordinates": [ARROIOS[0], ARROIOS[1] + 0.0005]}},
    )
    assert fix.status_code == 201, fix.text

    # The patrol's member keeps "my work" open in another browser context.
    member = open_page("agente.silva", "/my-work/")
    member.evaluate("window.__sameDocument = true")
    expect(member.locator("#work-incidents .work-incident")).to_have_count(0)

    supervisor = open_page("chefe.costa", f"/?incident={incident['id']}")
    supervisor.evaluate(f"koban.map.setView([{ARROIOS[1]}, {ARROIOS[0]}], 17, {{animate: false}})")
    panel = supervisor.locator("#detail")
    expect(panel.locator("h2")).to_have_text(title)
    first = panel.locator(".nearest .nearest-patrol").first
    expect(first.locator(".call-sign")).to_have_text("LX-01")
    expect(first).not_to_have_class("nearest-patrol is-stale")
    marker = supervisor.locator(f"#map .mk-incident[data-id='{incident['id']}']")
    patrol_marker = supervisor.locator(f"#map .mk-patrol[data-id='{lx01['id']}']")
    expect(patrol_marker).to_have_attribute("data-status", "available")
    # Stale positions (LX-10 has not reported for an hour) are marked and listed last.
    rows = panel.locator(".nearest .nearest-patrol")
    stale = rows.evaluate_all("els => els.map(e => e.classList.contains('is-stale'))")
    assert stale == sorted(stale) and stale[-1] is True, stale
    panel.screenshot(path=str(screenshot_dir / "dispatch-panel.png"))

    first.locator("button.send").click()

    expect(panel.locator(".facts .badge-status")).to_have_text("Despachada")
    expect(panel.locator(".dispatch-unit")).to_contain_text("LX-01")
    expect(panel.locator(".timeline li").first).to_contain_text("LX-01")
    expect(marker).to_have_attribute("data-status", "dispatched")
    expect(patrol_marker).to_have_attribute("data-status", "busy")

    # Live, without a reload, in the member's "my work".
    card = member.locator(f"#work-incidents .work-incident[data-id='{incident['id']}']")
    expect(card).to_be_visible()
    expect(card).to_contain_text(title)
    member.screenshot(path=str(screenshot_dir / "my-work-dispatched.png"), full_page=True)
    axe.assert_accessible(member, "my work with an incident sent to the patrol")
    # The panel's dispatch section, as a supervisor sees it (the rest of the page is the
    # operations page's own check).
    in_panel = [
        v
        for v in axe.violations(supervisor)
        if v["impact"] in axe.FAILING_IMPACTS
        and any(supervisor.evaluate(IN_PANEL, n["target"]) for n in v["nodes"])
    ]
    assert not in_panel, axe.describe(in_panel, "the detail panel's dispatch section")

    card.locator("button[data-status=on_scene]").click()
    expect(card).to_have_attribute("data-status", "on_scene")
    expect(marker).to_have_attribute("data-status", "on_scene")
    expect(panel.locator(".facts .badge-status")).to_have_text("No local")
    expect(panel.locator(".timeline li").first).to_contain_text("Marta Silva")
    expect(patrol_marker).to_have_attribute("data-status", "busy")

    card.locator("button[data-status=resolved]").click()
    expect(card).to_have_count(0)
    expect(marker).to_have_attribute("data-status", "resolved")
    expect(panel.locator(".facts .badge-status")).to_have_text("Resolvida")
    expect(patrol_marker).to_have_attribute("data-status", "available")
    steps = panel.locator(".timeline li .tl-status").all_inner_texts()
    assert [s.strip() for s in steps[:4]] == [
        "No local → Resolvida",
        "Despachada → No local",
        "Aceite → Despachada",
        "Nova → Aceite",
    ]
    assert _patrol(chefe, "LX-01")["status"] == "available"
    assert member.evaluate("window.__sameDocument") is True
    assert member.errors == [] and supervisor.errors == []
