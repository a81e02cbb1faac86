"""The Content-Security-Policy in Chromium: every kind of page the project serves (dashboard,
log-in, integrations, the admin with its map widgets, the API documentation and the browsable
API) works under it and breaks none of its rules; what it is there to stop, it stops."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from . import axe, csp
from .conftest import BROWSER_TIMEZONE, DESKTOP

pytestmark = pytest.mark.browser

DASHBOARD_READY = "html[data-ready=true]"
# Redoc's footer shows Redocly's logo from their CDN: the policy blocks it, and nothing else.
REDOC_LOGO = {"directive": "img-src", "blocked": "https://cdn.redoc.ly/redoc/logo-mini.svg"}


@pytest.fixture(scope="module")
def objects(demo, django_db_blocker) -> Iterator[dict[str, Any]]:
    """Ids of things whose pages are checked: a parish, a station, a patrol, a source, a run;
    and the demo's administrator may use the admin site (the fixture makes plain users)."""
    from django.contrib.auth import get_user_model
    from django.db import connections

    from incidents.models import Area, Patrol, PoliceStation
    from integrations import services

    with django_db_blocker.unblock():
        get_user_model().objects.filter(username="admin").update(is_staff=True, is_superuser=True)
        source = services.source_create(
            name="csp-check",
            adapter="open311",
            config={
                "endpoint": "https://city.example/v2",
                "service_categories": {"default": "other"},
            },
        )
        run, _ = services.run_create(source=source, trigger="manual", enqueue=False)
        ids = {
            "parish": Area.objects.filter(kind=Area.Kind.PARISH).order_by("pk").first().pk,
            "station": PoliceStation.objects.order_by("pk").first().pk,
            "patrol": Patrol.objects.order_by("pk").first().pk,
            "source": source.pk,
            "run": run.pk,
        }
        connections.close_all()
    yield ids


def _enrol(username: str, django_db_blocker) -> Callable[[], str]:
    """A fresh confirmed authenticator for `username`; returns what reads its current code (a
    new device for each log-in: a device accepts a code once)."""
    from django.contrib.auth import get_user_model
    from django.db import connections
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with django_db_blocker.unblock():
        user = get_user_model().objects.get(username=username)
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name="csp test", confirmed=True)
        connections.close_all()

    def code() -> str:
        value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        return f"{value:0{device.digits}d}"

    return code


@pytest.fixture
def visit(browser, asgi_server, demo, django_db_blocker) -> Iterator[Callable[..., Any]]:
    """visit(username or None) -> visit(path, ready=selector, allowed=[violation…]) checks one
    page: it loads, shows `ready`, has the header, breaks no rule of the policy, and axe-core
    finds no serious accessibility problem in it (unless `accessible=False`)."""
    contexts = []

    def session(username: str | None) -> Callable[..., Any]:
        context = browser.new_context(viewport=DESKTOP, locale="en", timezone_id=BROWSER_TIMEZONE)
        context.set_default_timeout(15_000)
        found = csp.watch_csp(context, asgi_server)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        if username:
            code = _enrol(username, django_db_blocker) if username == "admin" else None
            page.goto(f"{asgi_server}/login/?next={quote('/')}")
            page.fill("#id_username", username)
            page.fill("#id_password", demo["passwords"][username])
            page.click("form .btn-primary")
            page.wait_for_load_state()
            if "/login/code/" in page.url:
                assert code is not None, "only the administrator has a second factor here"
                page.fill("#id_code", code())
                page.click("form .btn-primary")
            page.wait_for_url(lambda url: "/login/" not in url)

        def check(
            path: str,
            ready: str,
            allowed: tuple[dict[str, str], ...] = (),
            accessible: bool = True,
            axe_exclude: tuple[str, ...] = (),
        ) -> Any:
            found.clear()
            errors.clear()
            response = page.goto(f"{asgi_server}{path}")
            assert response is not None and response.ok, f"{path}: {response and response.status}"
            policy = response.headers.get("content-security-policy", "")
            assert "script-src 'self'" in policy, f"{path}: {policy!r}"
            page.wait_for_selector(ready)
            page.wait_for_load_state("networkidle")
            csp.flush(context)
            unexpected = [v for v in found if not any(v.items() >= a.items() for a in allowed)]
            assert not unexpected, f"{path}: {unexpected}"
            assert not errors, f"{path}: {errors}"
            if accessible:
                axe.assert_accessible(page, path, exclude=axe_exclude)
            found.clear()
            return page

        return check

    yield session
    for context in contexts:
        context.close()


def test_the_log_in_page_keeps_the_policy(visit):
    check = visit(None)
    check("/login/", "#id_username")


def test_the_dashboard_pages_keep_the_policy(visit):
    check = visit("chefe.costa")
    page = check("/", DASHBOARD_READY)
    # Every layer on, the legend and a detail panel open: all of the map's drawing code runs.
    for layer in ("heat", "stations"):
        page.check(f"#layers input[value={layer}]")
    page.locator("#list-incidents .item").first.click()
    expect(page.locator("#detail .panel-head")).to_be_visible()
    page.wait_for_load_state("networkidle")
    csp.flush(page.context)
    assert page.evaluate("window.__cspViolations") == []
    axe.assert_accessible(page, "the operations view with every layer and an incident open")
    check("/followups/", DASHBOARD_READY)
    check("/audit/?person=chefe.costa", "main form.filters")
    check("/audit/history/?item=1", "main form.filters")
    officer = visit("agente.silva")
    officer("/my-work/", DASHBOARD_READY)


def test_the_api_documentation_and_browsable_api_keep_the_policy(visit):
    check = visit("chefe.costa")
    # Swagger UI and Redoc are others' applications, served as they come (axe finds their
    # colour contrast and nested controls): only the browsable API is Koban's own template.
    check("/api/docs/", ".swagger-ui .opblock", accessible=False)
    check("/api/redoc/", ".api-content h1", allowed=(REDOC_LOGO,), accessible=False)
    check("/api/v1/incidents/?page_size=2", ".response-info")
    check("/api/v1/followups/?page_size=2", ".response-info")


def test_the_integrations_pages_keep_the_policy(visit, objects):
    check = visit("tecnico.sousa")
    check("/integrations/", "main")
    check("/integrations/new/", "main")
    check("/integrations/new/?adapter=open311", "main form")
    check(f"/integrations/{objects['source']}/", "main")
    check(f"/integrations/{objects['source']}/edit/", "main form")
    check(f"/integrations/runs/{objects['run']}/", "[data-progress-url]")


def test_deleting_a_source_asks_first_without_inline_script(visit, objects):
    check = visit("tecnico.sousa")
    page = check(f"/integrations/{objects['source']}/", "main")
    asked: list[str] = []

    def dismiss(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.get_by_role("button", name="Delete source").click()
    expect(page.get_by_role("button", name="Delete source")).to_be_visible()
    assert asked and "Delete this source" in asked[0]
    assert re.search(rf"/integrations/{objects['source']}/$", page.url)


def test_the_admin_and_its_map_widgets_keep_the_policy(visit, objects):
    check = visit("admin")
    check("/admin/", "#content")
    check("/admin/incidents/area/", "#result_list")
    # GeoDjango's widgets (a parish's polygon, a station's point, a new incident) and the page
    # where a supervisor renames a patrol.
    page = check(f"/admin/incidents/area/{objects['parish']}/change/", ".dj_map .ol-viewport")
    assert page.locator("[data-koban-map-widget][data-started=true]").count() == 1
    check(f"/admin/incidents/policestation/{objects['station']}/change/", ".dj_map .ol-viewport")
    # Django's two-list widget (SelectFilter2.js) puts aria-label on a bare <span> icon.
    check(
        f"/admin/incidents/patrol/{objects['patrol']}/change/",
        "#patrol_form",
        axe_exclude=(".selector .help-tooltip",),
    )
    page = check("/admin/incidents/incident/add/", ".dj_map .ol-viewport")
    # The widget still writes what is drawn into its field: click the map, a point appears.
    page.locator(".dj_map .ol-viewport").first.click()
    expect(page.locator("textarea.vSerializedField").first).to_have_value(re.compile("Point"))


def test_the_policy_blocks_injected_inline_script_and_handlers(open_page):
    page = open_page("chefe.costa")
    outcome = page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__inline = 'script'";
          document.body.append(script);
          const box = document.createElement("div");
          box.setAttribute("onclick", "window.__inline = 'handler'");
          document.body.append(box);
          box.click();
          return window.__inline ?? null;
        }"""
    )
    assert outcome is None
    page.wait_for_function("window.__cspViolations.length >= 2")
    csp.flush(page.context)
    directives = {v["directive"] for v in page.csp_violations}
    assert {"script-src-elem", "script-src-attr"} <= directives
    page.csp_violations.clear()  # provoked on purpose: the shared fixture must not fail on them
