"""'You said, we did' in Chromium: a supervisor records a promise on a concern and publishes it;
the parish page shows it (CSP-clean, like every page)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import ARROIOS

from . import axe

pytestmark = pytest.mark.browser


def test_a_supervisor_records_a_promise_publishes_the_concern_and_the_parish_page_shows_it(
    open_page, api, asgi_server, screenshot_dir
):
    chefe = api("chefe.costa")
    title = f"Ruído no largo {uuid.uuid4().hex[:6]}"
    answer = chefe.post(
        "concerns/",
        json={
            "title": title,
            "category": "noise",
            "location": {"type": "Point", "coordinates": list(ARROIOS)},
        },
    )
    assert answer.status_code == 201, answer.text
    concern = answer.json()

    page = open_page("chefe.costa", f"/?concern={concern['id']}")
    plan = page.locator("#detail .concern-plan")
    expect(plan).to_be_visible()
    plan.locator("details.plan-add summary").click()
    form = plan.locator("form.plan-form")
    form.locator("textarea[name=text]").fill("Rondas às sextas à noite")
    form.locator("input[name=who]").fill("PSP, 1.ª Esquadra")
    due = (timezone.localdate() + timedelta(days=14)).isoformat()
    form.locator("input[name=due_on]").fill(due)
    form.locator("button[type=submit]").click()
    expect(plan.locator(".plan-list li")).to_contain_text("Rondas às sextas à noite")

    # Publishing without a summary for residents is refused with the field's message.
    plan.locator("details.plan-publish summary").click()
    publish = plan.locator("form.publish-form")
    publish.locator("button[name=publish]").click()
    expect(publish.locator(".field-error, .form-error").first).to_be_visible()
    publish.locator("textarea[name=public_summary]").fill("Ruído à noite no largo.")
    publish.locator("button[name=publish]").click()
    expect(page.locator("#detail .concern-plan button[name=unpublish]")).to_be_visible()
    page.locator("#detail").screenshot(path=str(screenshot_dir / "concern-plan.png"))
    axe.assert_accessible(page, 'a concern\'s "you said, we did" section')

    detail = chefe.get(f"concerns/{concern['id']}/").json()
    assert detail["published"] is True
    page.goto(f"{asgi_server}/parishes/")
    page.locator(".public-parishes a", has_text=detail["area_name"]).click()
    article = page.locator("article.public-concern", has_text=title)
    expect(article).to_contain_text("Rondas às sextas à noite")
    expect(article).to_contain_text("Ruído à noite no largo.")
    page.screenshot(path=str(screenshot_dir / "public-parish.png"), full_page=True)
    axe.assert_accessible(page, "a parish's public page")
    assert page.errors == []
