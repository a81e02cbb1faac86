"""In Debian's Chromium: a run's page follows the run's progress as the service writes it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections
from django.urls import reverse

from integrations import services
from integrations.models import SyncRun
from integrations.services import runs as run_service
from tests.browser import csp

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def page(live_server) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(locale="en")
        context.set_default_timeout(10_000)
        violations = csp.watch_csp(context, live_server.url)  # the shared CSP net
        yield context.new_page()
        csp.flush(context)
        # Under Playwright's event loop the test's queries get their own connection (asgiref
        # locals follow the loop's context): close it here, or the test database stays busy.
        connections.close_all()
        browser.close()
    csp.assert_no_violations(violations)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_run_page_updates_its_counts_live_and_stops_when_the_run_ends(
    page, live_server, make_user, make_source
):
    from playwright.sync_api import expect

    make_user("tecnico", "Integrator")
    source = make_source(
        config={"endpoint": "https://city.example/v2", "service_categories": {"default": "other"}}
    )
    queued, _ = services.run_create(source=source, trigger="manual", enqueue=False)
    run = run_service._claim(queued.pk)  # the worker has claimed it: running
    path = reverse("integrations:run", args=[run.pk])
    page.goto(f"{live_server.url}/login/?next={path}")
    page.fill("#id_username", "tecnico")
    page.fill("#id_password", "pw-tecnico")
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{live_server.url}{path}")
    processed = page.locator("[data-field=processed]")
    status = page.locator("[data-field=status_label]")
    assert processed.inner_text() == "0"
    assert status.inner_text() == "Running"

    # The run's progress, written by the same code the worker runs.
    progress = run_service._Progress(run)
    progress.counts.update(fetched=40, processed=40, created=38, rejected=2)
    progress.flush(force=True)

    # Locator assertions, not wait_for_function: the pages' CSP forbids evaluating strings.
    expect(processed).to_have_text("40", timeout=10_000)
    assert page.locator("[data-field=created]").inner_text() == "38"

    progress.counts.update(fetched=90, processed=90, created=88)
    run_service._finish(run, progress, SyncRun.Status.PARTIAL, cursor={})
    expect(status).to_have_text("Succeeded with rejected records", timeout=10_000)
    assert processed.inner_text() == "90"
    assert "run-partial" in (status.get_attribute("class") or "")
