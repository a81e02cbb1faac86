"""Browser tests: a real ASGI server (Daphne, websockets included) on the test database, the
Lisbon demo loaded once per module, and Debian's Chromium driven by Playwright.

pytest-django's live_server speaks WSGI only, so the fixtures start Daphne in a subprocess
pointed at the test database. The demo is loaded once (it takes seconds) and committed, so the
server sees it; the module flushes the database when it is done, as transactional tests do.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.live.helpers import start_daphne, wait_until_serving

from . import csp

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Far from Lisbon on purpose: the pages must show Lisbon time whatever the device says.
BROWSER_TIMEZONE = "America/Sao_Paulo"
DESKTOP = {"width": 1366, "height": 860}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def asgi_server(django_db_setup, tmp_path_factory) -> Iterator[str]:
    """Daphne serving koban.asgi (HTTP + websockets) on the test database; yields its URL."""
    port = _free_port()
    log = tmp_path_factory.mktemp("daphne") / "daphne.log"
    proc = start_daphne(
        port,
        log,
        # Short heartbeats: a cut connection is noticed and repaired quickly.
        KOBAN_LIVE_HEARTBEAT_SECONDS="5",
        # Throttle counts outlive a run in Redis: runs in quick succession must not meet a 429.
        KOBAN_API_RATE_TOKEN="1000/minute",
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(proc, url, log)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _flush() -> None:
    from django.core.management import call_command
    from django.db import connection

    # pytest-django makes the test database only when a collected test is marked django_db: a
    # browser module run on its own would flush the real one (add tests/browser/test_pages.py).
    name = connection.settings_dict["NAME"]
    if name != (connection.settings_dict.get("TEST") or {}).get("NAME") and not name.startswith(
        "test_"
    ):
        pytest.fail("no test database: run with a django_db test, e.g. tests/browser/test_pages.py")
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=False)


def _close_connections() -> None:
    """Playwright's greenlets give fixtures different contexts, so each one closes what it
    opened; a forgotten connection would keep the test database from being dropped."""
    from django.db import connections

    connections.close_all()


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[dict[str, Any]]:
    """The Lisbon demo with 60 incidents, committed; flushed again when the module ends."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.test import override_settings

    from incidents.demo import DEMO_DEFAULT_PASSWORD, DEMO_PASSWORDS, PEOPLE, load_demo

    with django_db_blocker.unblock():
        _flush()
        # The demo's users, made first with cheap password hashes (the demo keeps existing
        # users): full-strength hashing of nine passwords would cost seconds per module.
        hasher = PBKDF2PasswordHasher()
        users = {}
        for username, first, last, _role, _areas in PEOPLE:
            password = DEMO_PASSWORDS.get(username, DEMO_DEFAULT_PASSWORD)
            users[username] = get_user_model().objects.create(
                username=username,
                first_name=first,
                last_name=last,
                password=hasher.encode(password, hasher.salt(), iterations=1000),
            )
        # Nobody is connected yet: publishing the demo's hundreds of events would only cost time.
        with override_settings(KOBAN_EVENT_PUBLISHER="builtins.len"):
            load_demo(incidents=60)
        passwords = {u: DEMO_PASSWORDS.get(u, DEMO_DEFAULT_PASSWORD) for u in users}
        _close_connections()
    yield {"users": {u: x.pk for u, x in users.items()}, "passwords": passwords}
    with django_db_blocker.unblock():
        _flush()
        _close_connections()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser, asgi_server, demo) -> Iterator[Callable[..., Any]]:
    """open_page(username, path="/", viewport=DESKTOP) -> a logged-in Playwright page.

    Every page is watched for Content-Security-Policy violations (page.csp_violations): the
    test fails at teardown if there are any; a test that provokes one on purpose clears it."""
    contexts = []

    def open_(username: str, path: str = "/", viewport: dict[str, int] | None = None) -> Any:
        context = browser.new_context(
            viewport=viewport or DESKTOP, locale="pt-PT", timezone_id=BROWSER_TIMEZONE
        )
        context.set_default_timeout(10_000)
        violations = csp.watch_csp(context, asgi_server)
        contexts.append((context, violations))
        page = context.new_page()
        page.csp_violations = violations
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.goto(f"{asgi_server}/login/?next={quote(path)}")
        page.fill("#id_username", username)
        page.fill("#id_password", demo["passwords"][username])
        page.click("form .btn-primary")
        page.wait_for_url(lambda url: url == f"{asgi_server}{path}")
        page.wait_for_selector("html[data-ready=true]")
        return page

    yield open_
    violations = []
    for context, found in contexts:
        csp.flush(context)
        violations += found
        context.close()
    csp.assert_no_violations(violations)


@pytest.fixture
def api(asgi_server, demo) -> Iterator[Callable[[str], httpx.Client]]:
    """api(username) -> an httpx client of the running server, authenticated by API token."""
    clients = []

    def client(username: str) -> httpx.Client:
        answer = httpx.post(
            f"{asgi_server}/api/v1/auth/token/",
            json={"username": username, "password": demo["passwords"][username]},
        )
        answer.raise_for_status()
        c = httpx.Client(
            base_url=f"{asgi_server}/api/v1/",
            headers={"Authorization": f"Token {answer.json()['token']}"},
            timeout=10,
        )
        clients.append(c)
        return c

    yield client
    for c in clients:
        c.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
