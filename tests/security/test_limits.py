"""Input limits: nested JSON is a 400 on every endpoint, request bodies over the limit are a 413
before anything reads them (also in a real Daphne process), and web requests cannot run a query
for ever."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import OperationalError, connection
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.parsers import JSONParser
from rest_framework.test import APIClient
from rest_framework.views import APIView

from koban.limits import MAX_JSON_DEPTH, LimitedJSONParser
from koban.middleware import BodySizeLimit, QueryTimeoutMiddleware
from tests.conftest import api_operations, fill_path
from tests.live.helpers import free_port, session_cookie, start_daphne, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


def nested(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


# --- Nested JSON ----------------------------------------------------------------------------------


def _json_endpoints() -> list[tuple[str, str]]:
    """(method, path template) of every operation whose request body may be JSON."""
    return [
        (method, path)
        for method, path, operation in api_operations()
        if method in ("post", "put", "patch")
        and "application/json" in (operation.get("requestBody") or {}).get("content", {})
    ]


def _drf_views(patterns: list[Any] | None = None) -> Iterator[type[APIView]]:
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from _drf_views(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            view = getattr(entry.callback, "cls", None)
            if isinstance(view, type) and issubclass(view, APIView):
                yield view


def test_every_api_view_parses_json_with_the_depth_limit():
    views = list(_drf_views())
    assert len(views) > 20
    for view in views:
        for parser in view.parser_classes:
            if issubclass(parser, JSONParser):
                assert issubclass(parser, LimitedJSONParser), (view, parser)


@pytest.mark.parametrize("depth", [5000, MAX_JSON_DEPTH + 8])
def test_nested_json_is_a_400_on_every_json_endpoint(depth, supervisor, integrator, one_of_each):
    # Each signed in with a role that may call the endpoint, so the body is what gets judged.
    clients = {"operations": APIClient(), "integrations": APIClient()}
    clients["operations"].force_login(supervisor)
    clients["integrations"].force_login(integrator)
    endpoints = _json_endpoints()
    assert len(endpoints) > 15
    answers = {}
    for method, template in endpoints:
        client = clients["integrations" if "/integrations/" in template else "operations"]
        response = getattr(client, method)(
            fill_path(template, one_of_each), nested(depth), content_type="application/json"
        )
        answers[f"{method.upper()} {template}"] = (response.status_code, response.content[:200])
        if response.status_code == 400:
            assert "nested too deeply" in json.dumps(response.json()), template
    assert {k: v for k, v in answers.items() if v[0] != 400} == {}


def test_json_as_deep_as_the_limit_still_parses():
    from io import BytesIO

    parser = LimitedJSONParser()
    assert parser.parse(BytesIO(nested(MAX_JSON_DEPTH)), "application/json", {}) == eval(  # noqa: S307
        nested(MAX_JSON_DEPTH).decode()
    )


# --- Request body size, in the ASGI application ---------------------------------------------------


class _App:
    """An ASGI app that reads the whole body, as Django does, then answers 200."""

    def __init__(self) -> None:
        self.read = 0
        self.disconnected = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.disconnected = True
                return
            self.read += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def _call(
    path: str, chunks: list[bytes], content_length: int | None
) -> tuple[list[dict[str, Any]], _App, int]:
    app = _App()
    limited = BodySizeLimit(
        app,
        max_bytes=1 * MB,
        upload_max_bytes=50 * MB,
        upload_routes={"integrations-api:source-run", "integrations:source-run"},
    )
    headers = [(b"content-type", b"application/octet-stream")]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    queue = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(limited(scope, receive, send))
    return sent, app, pulled


def test_a_body_announced_over_the_limit_is_refused_before_reading_it():
    sent, app, pulled = _call("/api/v1/incidents/", [b"x" * 1024], content_length=2 * MB)
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["code"] == "request_too_large"
    assert pulled == 0
    assert app.read == 0


def test_a_streamed_body_is_cut_off_at_the_limit():
    chunk = b"x" * (256 * 1024)
    sent, app, pulled = _call("/api/v1/incidents/", [chunk] * 400, content_length=None)
    assert [m.get("status") for m in sent[:1]] == [413]
    assert len(sent) == 2  # only the 413: the application's own answer was dropped
    assert app.disconnected
    assert pulled <= 5  # 1 MB of 100 MB was read
    assert app.read <= 1 * MB


def test_the_upload_route_takes_a_file_up_to_the_sync_limit_and_no_more():
    chunk = b"x" * MB
    sent, app, _ = _call("/api/v1/integrations/sources/7/run/", [chunk] * 20, 20 * MB)
    assert sent[0]["status"] == 200
    assert app.read == 20 * MB
    sent, app, _ = _call("/integrations/7/run/", [chunk] * 20, None)
    assert sent[0]["status"] == 200
    sent, _, _ = _call("/api/v1/integrations/sources/7/run/", [chunk], 60 * MB)
    assert sent[0]["status"] == 413
    sent, app, _ = _call("/api/v1/integrations/sources/7/run/", [chunk] * 60, None)
    assert sent[0]["status"] == 413
    assert app.read <= 51 * MB


def test_djangos_own_limits_are_set_to_match(settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == settings.KOBAN_MAX_REQUEST_BODY_KB * 1024
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 2.5 * MB
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS <= 1000
    assert settings.KOBAN_MAX_UPLOAD_BODY_BYTES > settings.KOBAN_SYNC_MAX_BYTES_MB * MB


# --- Request body size, in a real Daphne process --------------------------------------------------


@pytest.fixture
def daphne(transactional_db, tmp_path) -> Iterator[tuple[str, int]]:
    """Daphne serving koban.asgi on the test database; yields its URL and process id."""
    port = free_port()
    log = tmp_path / "daphne.log"
    proc = start_daphne(port, log)
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(proc, url, log)
    yield url, proc.pid
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
    print(log.read_text(errors="replace")[-3000:])  # shown when the test fails


def _memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in bytes."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024
    return fields


def _reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS


def test_daphne_refuses_a_60_mb_upload_without_holding_it_in_memory(daphne, integrator, settings):
    url, pid = daphne
    cookies = {settings.SESSION_COOKIE_NAME: session_cookie(integrator)}
    upload = f"{url}/api/v1/integrations/sources/1/run/"
    body = b"a,b\n" + b"1,2\n" * (15 * MB)  # 60 MB
    boundary = "koban-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    multipart = head + body + f"\r\n--{boundary}--\r\n".encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}

    def chunked() -> Iterator[bytes]:
        for start in range(0, len(multipart), MB):
            yield multipart[start : start + MB]

    with httpx.Client(cookies=cookies, timeout=60) as client:
        client.get(f"{url}/login/")  # warm up: the first request imports the URLconf and views
        for content in (multipart, chunked):
            before = _memory(pid)["VmRSS"]
            _reset_peak(pid)
            response = client.post(
                upload, content=content() if callable(content) else content, headers=headers
            )
            assert response.status_code == 413, response.text[:500]
            assert response.json()["code"] == "request_too_large"
            grown = _memory(pid)["VmHWM"] - before
            assert grown < 50 * MB, f"Daphne grew by {grown / MB:.0f} MB"

        # Under the limits, the same route and an ordinary one behave as before.
        response = client.post(upload, content=multipart[: 2 * MB], headers=headers)
        assert response.status_code not in (413, 500)
        response = client.post(
            f"{url}/api/v1/incidents/", content=b"[" + b"0," * MB + b"0]", headers={}
        )
        assert response.status_code == 413


# --- Query time -----------------------------------------------------------------------------------


def _show_statement_timeout(code: str, **env: str) -> str:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "koban.settings", **env}
    environment.pop("KOBAN_PROCESS", None)
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


SHOW = (
    "from django.db import connection\n"
    "with connection.cursor() as c:\n"
    "    c.execute('SHOW statement_timeout'); print(c.fetchone()[0])\n"
)


def test_web_processes_and_only_they_run_queries_under_a_statement_timeout():
    web = _show_statement_timeout("import koban.asgi\n" + SHOW, WEB_STATEMENT_TIMEOUT_SECONDS="7")
    assert web == "7s"
    wsgi = _show_statement_timeout("import koban.wsgi\n" + SHOW)
    assert wsgi == "30s"
    # A management command (migrations, imports) or a Celery worker: no limit.
    other = _show_statement_timeout("import django; django.setup()\n" + SHOW)
    assert other == "0"


@pytest.mark.django_db
def test_a_query_over_the_limit_is_a_clean_503():
    with pytest.raises(OperationalError) as cancelled, connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 50")
        cursor.execute("SELECT pg_sleep(2)")
    request = RequestFactory().get("/api/v1/incidents/")
    response = QueryTimeoutMiddleware(lambda r: None).process_exception(request, cancelled.value)
    assert response is not None
    assert response.status_code == 503
    assert response["Retry-After"]
    assert json.loads(response.content)["code"] == "query_timeout"
    # Other database errors stay what they were.
    other = OperationalError("connection refused")
    assert QueryTimeoutMiddleware(lambda r: None).process_exception(request, other) is None
