"""The reporter's contact in the panel: hidden until someone with need-to-know asks for it with a
purpose; then shown, logged exactly once, and still once after live events and refreshes."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from .test_dashboard import _create_incident

pytestmark = pytest.mark.browser


def _access_rows(django_db_blocker, incident_id: int) -> Callable[[], int]:
    def count() -> int:
        from django.db import connections

        from incidents.models import PersonalDataAccess

        with django_db_blocker.unblock():
            n = PersonalDataAccess.objects.filter(incident_id=incident_id, action="view").count()
            connections.close_all()
        return n

    return count


def test_revealing_a_contact_asks_a_purpose_shows_it_and_logs_one_row_whatever_follows(
    open_page, api, django_db_blocker, screenshot_dir
):
    chefe = api("chefe.costa")
    title = f"Vizinho com música {uuid.uuid4().hex[:6]}"
    incident = _create_incident(
        chefe, title, reporter={"name": "Rosa Moradora", "phone": "913000111", "email": ""}
    )
    rows = _access_rows(django_db_blocker, incident["id"])

    page = open_page("chefe.costa", f"/?incident={incident['id']}")
    panel = page.locator("#detail")
    expect(panel.locator("h2")).to_have_text(title)
    expect(panel.locator(".reporter")).not_to_contain_text("Rosa Moradora")
    assert rows() == 0

    panel.locator(".reveal-button").click()
    form = panel.locator("form.reveal-form")
    expect(form).to_be_visible()
    # "Other" needs a reason in words: the browser asks for it before anything is sent.
    form.locator("select[name=purpose]").select_option("other")
    expect(form.locator("input[name=purpose_text]")).to_be_visible()
    form.locator("input[name=purpose_text]").fill("Confirmar a morada com a munícipe")
    panel.screenshot(path=str(screenshot_dir / "reveal-purpose.png"))
    form.locator("button[type=submit]").click()

    contact = panel.locator(".reporter-contact")
    expect(contact).to_contain_text("Rosa Moradora")
    expect(contact).to_contain_text("913000111")
    panel.screenshot(path=str(screenshot_dir / "reveal-contact.png"))
    assert rows() == 1

    # Live events (another user's note, a status change by someone else) and the panel's own
    # writes re-fetch the detail: the contact stays on screen and nothing more is logged.
    other = api("agente.silva")
    other.post(f"incidents/{incident['id']}/notes/", json={"text": "Passei no local."})
    expect(panel.locator(".timeline li").first).to_contain_text("Passei no local.")
    chefe.post(f"incidents/{incident['id']}/transition/", json={"status": "acknowledged"})
    expect(panel.locator(".status-actions button[data-status=resolved]")).to_be_visible()
    panel.locator("#note-text").fill("Falei com a munícipe.")
    panel.locator("form.note-form button[type=submit]").click()
    expect(panel.locator(".timeline li").first).to_contain_text("Falei com a munícipe.")
    expect(contact).to_contain_text("Rosa Moradora")
    page.reload()
    page.wait_for_selector("html[data-ready=true]")
    expect(page.locator("#detail h2")).to_have_text(title)
    expect(page.locator("#detail .reporter")).not_to_contain_text("Rosa Moradora")

    assert rows() == 1
    assert page.errors == []
