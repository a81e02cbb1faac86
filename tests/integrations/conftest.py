"""Integrations fixtures: a real loopback HTTP server serving recorded payloads, Celery run
eagerly in-process (the worker tests start a real worker), and source factories."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

# Real payloads copied from ../shared/data, each folder with its SOURCE.txt.
DATA = Path(__file__).resolve().parent.parent / "data"
SF_REQUESTS = DATA / "open311_sf_2011_requests" / "sf_requests_2011.json"

# Categories for SF's service codes in the tests; everything else falls to "other".
SF_CATEGORIES = {
    "024": "public_space",  # Sidewalk_Cleaning
    "033": "traffic_parking",  # Abandoned Vehicle
    "049": "vandalism",  # Graffiti
    "default": "other",
}


Response = tuple[int, dict[str, str], bytes]


@dataclass
class Hit:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


@dataclass
class FeedServer:
    """What a remote system looks like to an adapter: routes by path, every request logged."""

    host: str = "127.0.0.1"
    port: int = 0
    routes: dict[str, Callable[[Hit], Response]] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def serve(
        self,
        path: str,
        body: bytes | str | Any,
        *,
        status: int = 200,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        if isinstance(body, str):
            body = body.encode()
        elif not isinstance(body, bytes):
            body = json.dumps(body).encode()
        response = (status, {"Content-Type": content_type, **(headers or {})}, body)
        self.routes[path] = lambda hit: response

    def serve_file(self, path: str, file: Path, content_type: str = "application/json") -> None:
        self.serve(path, file.read_bytes(), content_type=content_type)

    def route(self, path: str, handler: Callable[[Hit], Response]) -> None:
        self.routes[path] = handler

    def count(self, path: str) -> int:
        return sum(1 for hit in self.hits if hit.path == path)


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            hit = Hit(parts.path, parse_qs(parts.query), dict(self.headers.items()))
            server.hits.append(hit)
            route = server.routes.get(parts.path)
            status, headers, body = (
                route(hit) if route else (404, {"Content-Type": "text/plain"}, b"not found")
            )
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture(autouse=True)
def english(settings) -> None:
    """Pages are asserted on in English (the default language is pt-PT)."""
    settings.LANGUAGE_CODE = "en"


# The loopback networks the feed server listens on. Sources may reach only public addresses
# unless the administrator allows a network; these tests allow loopback explicitly (the guard's
# own tests, in test_outbound_guard.py, run with nothing allowed).
LOOPBACK_NETWORKS = ["127.0.0.0/8", "::1/128"]


@pytest.fixture(autouse=True)
def allow_loopback(settings) -> None:
    settings.KOBAN_SOURCES_ALLOWED_NETWORKS = list(LOOPBACK_NETWORKS)


@pytest.fixture
def feed() -> Iterator[FeedServer]:
    server = FeedServer()
    httpd = ThreadingHTTPServer((server.host, 0), _handler(server))
    httpd.daemon_threads = True
    httpd.block_on_close = False  # a deliberately hanging response must not hold the teardown
    server.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Tasks run in-process when sent (retries included, without their countdown)."""
    from koban.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture
def sf_feed(feed: FeedServer) -> FeedServer:
    """The 500 real San Francisco requests at /open311/v2/requests.json."""
    feed.serve_file("/open311/v2/requests.json", SF_REQUESTS)
    return feed


def open311_config(feed: FeedServer, **extra: Any) -> dict[str, Any]:
    return {
        "endpoint": feed.url("/open311/v2"),
        "service_categories": dict(SF_CATEGORIES),
        "status_map": {"open": "new", "closed": "closed"},
        "timezone": "America/Los_Angeles",
        **extra,
    }


@pytest.fixture
def make_source(db):
    from integrations import services

    def make(name: str = "sf311", adapter: str = "open311", config=None, **kwargs):
        return services.source_create(name=name, adapter=adapter, config=config or {}, **kwargs)

    return make


@pytest.fixture
def run_sync():
    """Execute a run of a source in-process (as `manage.py sync_source` does)."""
    from integrations import services

    def run(source):
        source.refresh_from_db()
        return services.run_inline(source=source)

    return run
