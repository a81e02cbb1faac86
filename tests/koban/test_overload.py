"""The web server under overload (issue 14): a request that gets no pooled database connection in
time, or whose query outlasts the web processes' statement_timeout, is a 503 with Retry-After
and one WARNING line, never a 500. Each test starts the Procfile's server (one process, a pool of
one) on the test database and holds a patrol's row lock from a second PostgreSQL session: a
request waiting for that lock is a real slow request."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest
from django.db import connection
from psycopg import sql

from incidents import services
from incidents.models import Patrol, PatrolPosition
from tests.koban.test_web_server import _procfile_web
from tests.live.helpers import (
    ROOT,
    free_port,
    session_cookie,
    stop,
    subprocess_database_url,
    wait_until_serving,
)

FIX = {"location": {"type": "Point", "coordinates": [-9.1345, 38.7255]}}


@contextlib.contextmanager
def web_server(log: Path, **env: str) -> Iterator[str]:
    """The Procfile's web command with one process and `env`; yields its base URL."""
    port = free_port()
    command = [part.replace("${KOBAN_PORT:-8000}", str(port)) for part in _procfile_web()]
    full = {
        **os.environ,
        "DATABASE_URL": subprocess_database_url(),
        "DJANGO_SETTINGS_MODULE": "koban.settings",
        "KOBAN_TEST_DB": "",
        "KOBAN_WEB_WORKERS": "1",
        **env,
    }
    full.pop("KOBAN_PROCESS", None)  # asgi.py marks itself as a web process
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / command[0]), *command[1:]],
            cwd=ROOT,
            env=full,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(proc, base, log)
        yield base
    finally:
        stop(proc)


@contextlib.contextmanager
def row_locked(patrol: Patrol) -> Iterator[None]:
    """Another session holds the patrol's row lock (a stuck writer) until the block ends."""
    params = connection.settings_dict
    holder = psycopg.connect(
        dbname=params["NAME"],
        user=params.get("USER") or None,
        password=params.get("PASSWORD") or None,
        host=params.get("HOST") or None,
        port=params.get("PORT") or None,
    )
    try:
        table = sql.Identifier(Patrol._meta.db_table)
        holder.execute(
            sql.SQL("SELECT 1 FROM {} WHERE id = %s FOR UPDATE").format(table), [patrol.pk]
        )
        yield
    finally:
        holder.rollback()
        holder.close()


def wait_for_a_lock_waiter(request: Future[httpx.Response]) -> None:
    """Until a session of the test database waits for a lock: the server's `request`. Asked on
    the test's own connection, in autocommit: a transaction sees one snapshot of the activity."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        if request.done():
            response = request.result()
            pytest.fail(f"answered without waiting: {response.status_code} {response.text[:500]}")
        time.sleep(0.05)
    pytest.fail("the request never waited for the row lock")


@pytest.fixture
def crewed_patrol(officer) -> Patrol:
    return services.patrol_create(call_sign="LX-01", kind="car", members=[officer])


def _api_token(user) -> dict[str, str]:
    from dashboard.security import tokens

    _, token = tokens.api_token_create(user=user, name="overload")
    return {"Authorization": f"Token {token}"}


def _assert_quiet(log: Path) -> None:
    """Warnings only: no 500, no traceback, no ERROR line (Django logs any 5xx as one)."""
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]
    assert " ERROR " not in text and "[ERROR]" not in text, text[-3000:]


@pytest.mark.django_db(transaction=True)
def test_requests_finding_the_pool_taken_get_a_503_with_retry_after_and_the_holder_finishes(
    officer, crewed_patrol, tmp_path
):
    log = tmp_path / "web.log"
    token = _api_token(officer)
    browser = {"Cookie": f"sessionid={session_cookie(officer)}"}
    positions = f"/api/v1/patrols/{crewed_patrol.pk}/positions/"
    env = {
        "KOBAN_DB_POOL_SIZE": "1",
        "KOBAN_DB_POOL_TIMEOUT_SECONDS": "1",
        "WEB_LOCK_TIMEOUT_SECONDS": "0",  # the holder waits for the lock as long as we hold it
    }
    with web_server(log, **env) as base, httpx.Client(base_url=base, timeout=30) as http:
        with ThreadPoolExecutor(1) as background, row_locked(crewed_patrol):
            # The process's only connection: a position report waiting for the row lock.
            holding = background.submit(http.post, positions, json=FIX, headers=token)
            wait_for_a_lock_waiter(holding)

            api_get = http.get("/api/v1/incidents/", headers=token)
            # By token, the first query is in the view; by session, in a middleware.
            api_post = http.post(positions, json=FIX, headers=token)
            browser_post = http.post(positions, json=FIX, headers=browser)
            page = http.get("/", headers={**browser, "Accept-Language": "en"})

            answers = {"API GET": api_get, "API POST": api_post, "browser POST": browser_post}
            for name, response in answers.items():
                assert response.status_code == 503, (name, response.text[:500])
                assert response.headers["Retry-After"] == "5"
                assert response.json()["code"] == "pool_timeout"
                assert response.json()["detail"]
            assert page.status_code == 503, page.text[:500]
            assert page.headers["Retry-After"] == "5"
            assert page.headers["Content-Type"].startswith("text/html")
            assert "Try again shortly" in page.text

        # The lock released, the holder records its fix and the process serves again.
        assert holding.result().status_code == 201, holding.result().text[:500]
        assert http.get("/api/v1/incidents/", headers=token).status_code == 200
    assert PatrolPosition.objects.filter(patrol=crewed_patrol).count() == 1
    warnings = [ln for ln in log.read_text().splitlines() if "no database connection" in ln]
    assert len(warnings) == 4, warnings
    assert all(" WARNING koban.middleware: " in ln for ln in warnings)
    assert any(f"POST {positions}" in ln for ln in warnings)
    _assert_quiet(log)


@pytest.mark.django_db(transaction=True)
def test_a_query_over_the_web_statement_timeout_is_a_503_and_only_web_processes_have_one(
    officer, crewed_patrol, tmp_path
):
    log = tmp_path / "web.log"
    token = _api_token(officer)
    positions = f"/api/v1/patrols/{crewed_patrol.pk}/positions/"
    # A lock wait counts towards statement_timeout; lock_timeout off, so that is what ends it.
    env = {"WEB_STATEMENT_TIMEOUT_SECONDS": "1", "WEB_LOCK_TIMEOUT_SECONDS": "0"}
    with web_server(log, **env) as base, httpx.Client(base_url=base, timeout=30) as http:
        with row_locked(crewed_patrol):
            started = time.monotonic()
            response = http.post(positions, json=FIX, headers=token)
            took = time.monotonic() - started
        assert response.status_code == 503, response.text[:500]
        assert response.headers["Retry-After"] == "30"
        assert response.json()["code"] == "query_timeout"
        assert 1 <= took < 10, took
        assert http.post(positions, json=FIX, headers=token).status_code == 201
    assert PatrolPosition.objects.filter(patrol=crewed_patrol).count() == 1
    warnings = [ln for ln in log.read_text().splitlines() if "statement_timeout" in ln]
    assert len(warnings) == 1, warnings
    assert (
        f"WARNING koban.middleware: query cancelled by statement_timeout: POST {positions}"
        in (warnings[0])
    )
    _assert_quiet(log)

    # This process is no web process (as Celery, migrations and management commands): no limit.
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"
