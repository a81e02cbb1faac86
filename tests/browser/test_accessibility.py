"""Accessibility (issue 12): axe-core finds no serious or critical problem on the pages that no
other browser test opens. The others are checked where they are already open: every page of
test_csp.py's tour (each role's pages, the detail panel, the browsable API, the admin)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from . import axe, csp
from .conftest import BROWSER_TIMEZONE, DESKTOP

pytestmark = pytest.mark.browser


@pytest.fixture
def new_page(browser, asgi_server) -> Iterator[Callable[[], Any]]:
    """new_page() -> a page of a fresh browser context, not logged in, watched for CSP."""
    contexts = []

    def open_() -> Any:
        context = browser.new_context(
            viewport=DESKTOP, locale="pt-PT", timezone_id=BROWSER_TIMEZONE
        )
        context.set_default_timeout(10_000)
        contexts.append((context, csp.watch_csp(context, asgi_server)))
        return context.new_page()

    yield open_
    violations = []
    for context, found in contexts:
        csp.flush(context)
        violations += found
        context.close()
    csp.assert_no_violations(violations)


def _password_step(page: Any, base: str, demo: dict[str, Any], username: str) -> None:
    page.goto(f"{base}/login/?next={quote('/')}")
    page.fill("#id_username", username)
    page.fill("#id_password", demo["passwords"][username])
    page.click("form .btn-primary")
    page.wait_for_selector("#id_code")


def _officer_with_a_concern_open(open_page, new_page, asgi_server, demo, tmp_path) -> Any:
    page = open_page("agente.silva")
    page.locator("#tab-concerns").click()
    page.locator("#list-concerns .item").first.click()
    expect(page.locator("#detail .panel-head")).to_be_visible()
    page.wait_for_load_state("networkidle")
    return page


def _second_factor_enrolment(open_page, new_page, asgi_server, demo, tmp_path) -> Any:
    # An administrator without an authenticator: the log-in asks to set one up.
    from django.db import connections
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user__username="admin").delete()
    connections.close_all()
    page = new_page()
    _password_step(page, asgi_server, demo, "admin")
    assert "/login/two-factor/" in page.url
    return page


def _second_factor_code(open_page, new_page, asgi_server, demo, tmp_path) -> Any:
    from django.contrib.auth import get_user_model
    from django.db import connections
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model().objects.get(username="admin")
    TOTPDevice.objects.create(user=user, name="axe", confirmed=True)
    connections.close_all()
    page = new_page()
    _password_step(page, asgi_server, demo, "admin")
    assert "/login/code/" in page.url
    return page


def _resident_file(open_page, new_page, asgi_server, demo, tmp_path) -> Any:
    # The export a supervisor hands a resident: a standalone HTML file, opened from disk.
    from django.core.management import call_command
    from django.db import connections

    from incidents.models import ReporterContact

    phone = ReporterContact.objects.exclude(phone="").values_list("phone", flat=True).first()
    call_command("subject_access", phone=phone, by="chefe.costa", out=str(tmp_path))
    connections.close_all()
    [html] = Path(tmp_path).glob("subject-access-*.html")
    page = new_page()
    page.goto(html.as_uri())
    expect(page.locator("h1")).to_be_visible()
    return page


@pytest.mark.parametrize(
    "reach",
    [
        _officer_with_a_concern_open,
        _second_factor_enrolment,
        _second_factor_code,
        _resident_file,
    ],
    ids=lambda f: f.__name__.strip("_"),
)
def test_pages_no_other_browser_test_opens_have_no_serious_accessibility_problem(
    reach, open_page, new_page, asgi_server, demo, tmp_path, django_db_blocker
):
    with django_db_blocker.unblock():
        page = reach(open_page, new_page, asgi_server, demo, tmp_path)
    axe.assert_accessible(page)
