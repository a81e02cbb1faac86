"""Outbound requests and secrets (issue 10): what a source may reach and what it may read.

A real listener on loopback plays the internal service an integrator aims a source at; it must
receive nothing, whatever the spelling of its address, through a redirect or a paging link.
Secrets come only from KOBAN_SECRET_* variables and never travel beyond their origin.
These tests run with KOBAN_SOURCES_ALLOWED_NETWORKS empty. Some allow one address, 127.0.0.2
("the city's allowed system"), to show that redirects and links from it open nothing else;
those about what a reachable server may learn (port probing, secrets) allow loopback, as an
administrator would allow the city's network.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import threading
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from incidents.errors import InvalidInput
from integrations import services
from integrations.adapters import PermanentError, TemporaryError
from integrations.adapters.http import Http
from integrations.models import RejectedRecord, Source, SyncRun

from .conftest import FeedServer, _handler

pytestmark = pytest.mark.django_db

FEATURES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "id": "f1",
            "geometry": {"type": "Point", "coordinates": [-9.14, 38.72]},
            "properties": {"ID": "1", "NAME": "one"},
        }
    ],
}
ALLOWED_HOST = "127.0.0.2"


@pytest.fixture(autouse=True)
def allow_loopback(settings) -> None:
    """Overrides the package's fixture: nothing but public addresses is allowed here."""
    settings.KOBAN_SOURCES_ALLOWED_NETWORKS = []


class Trap:
    """A raw TCP listener standing for an internal service: it records every connection and
    every byte, and answers whatever it gets with a body that must never be shown."""

    BODY = b'{"type": "FeatureCollection", "features": [], "leak": "TRAP-INTERNAL-BODY"}'

    def __init__(self, family: int, host: str, port: int = 0) -> None:
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.received = b""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            with conn:
                conn.settimeout(1)
                try:
                    self.received += conn.recv(65536)
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        + f"Content-Length: {len(self.BODY)}\r\nConnection: close\r\n\r\n".encode()
                        + self.BODY
                    )
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def trap() -> Iterator[Trap]:
    listener = Trap(socket.AF_INET, "127.0.0.1")
    yield listener
    listener.close()


@pytest.fixture
def trap6() -> Iterator[Trap]:
    listener = Trap(socket.AF_INET6, "::1")
    yield listener
    listener.close()


@pytest.fixture
def allowed_feed(settings) -> Iterator[FeedServer]:
    """A feed server on 127.0.0.2, the one address the administrator allowed."""
    from http.server import ThreadingHTTPServer

    settings.KOBAN_SOURCES_ALLOWED_NETWORKS = [f"{ALLOWED_HOST}/32"]
    server = FeedServer(host=ALLOWED_HOST)
    httpd = ThreadingHTTPServer((ALLOWED_HOST, 0), _handler(server))
    httpd.daemon_threads = True
    server.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    httpd.shutdown()
    httpd.server_close()


def geojson(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "url": url,
        "fields": {"external_id": "ID", "title": "{NAME}"},
        "categories": {"default": "other"},
        **extra,
    }


def spellings(port: int) -> list[str]:
    """127.0.0.1:port as people (and attackers) write it."""
    return [
        f"http://127.0.0.1:{port}/",
        f"http://127.1:{port}/",
        f"http://2130706433:{port}/",
        f"http://0x7f000001:{port}/",
        f"http://0x7f.0.0.1:{port}/",
        f"http://017700000001:{port}/",
        f"http://0177.1:{port}/",
        f"http://0177.0.0.1:{port}/",
        f"http://localhost:{port}/",
        f"http://LOCALHOST:{port}/",
        f"http://[::ffff:127.0.0.1]:{port}/",
        f"http://[::ffff:7f00:1]:{port}/",
        f"http://0.0.0.0:{port}/",
        f"http://0:{port}/",
        f"https://127.0.0.1:{port}/",
    ]


def _refused_or_invalid(message: str) -> bool:
    return message.startswith(("refused: ", "Invalid URL ")) or "to an invalid URL" in message


# --- The address rule ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "ff02::1",
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo
        "2001:db8::1",
    ],
)
def test_non_public_addresses_are_refused_and_connected_to_never(address):
    from integrations.adapters.outbound import is_permitted

    ip = ipaddress.ip_address(address)
    assert not is_permitted(ip, [])
    host = f"[{address}]" if ip.version == 6 else address
    with Http() as http, pytest.raises(PermanentError) as refused:
        http.get(f"http://{host}:9/feed.json")
    assert str(refused.value).startswith(f"refused: {address} resolves to a non-public address")


def test_public_addresses_pass_and_the_administrator_can_allow_a_network():
    from integrations.adapters.outbound import is_permitted

    assert is_permitted(ipaddress.ip_address("8.8.8.8"), [])
    assert is_permitted(ipaddress.ip_address("2606:4700:4700::1111"), [])
    city = [ipaddress.ip_network("10.20.0.0/16")]
    assert is_permitted(ipaddress.ip_address("10.20.3.4"), city)
    assert not is_permitted(ipaddress.ip_address("10.21.0.1"), city)
    assert not is_permitted(ipaddress.ip_address("127.0.0.1"), city)


def test_the_allowed_networks_setting_refuses_a_bad_value_at_start_up(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from koban.settings import env_networks

    monkeypatch.setenv("KOBAN_SOURCES_ALLOWED_NETWORKS", " 10.20.0.0/16, fd00:20::/48 ,")
    assert env_networks("KOBAN_SOURCES_ALLOWED_NETWORKS") == ["10.20.0.0/16", "fd00:20::/48"]
    monkeypatch.delenv("KOBAN_SOURCES_ALLOWED_NETWORKS")
    assert env_networks("KOBAN_SOURCES_ALLOWED_NETWORKS") == []
    for bad in ("10.20.0.1/16", "intranet", "10.0.0.0/33"):
        monkeypatch.setenv("KOBAN_SOURCES_ALLOWED_NETWORKS", bad)
        with pytest.raises(ImproperlyConfigured, match="KOBAN_SOURCES_ALLOWED_NETWORKS"):
            env_networks("KOBAN_SOURCES_ALLOWED_NETWORKS")


def test_only_http_and_https_are_fetched():
    with Http() as http:
        for url in ("file:///etc/passwd", "gopher://127.0.0.1:70/", "ftp://example.org/x"):
            with pytest.raises(PermanentError):
                http.get(url)


# --- A listener on loopback receives nothing ------------------------------------------------


def test_every_spelling_of_loopback_is_refused_and_the_listener_gets_nothing(
    trap, make_source, run_sync
):
    for number, url in enumerate(spellings(trap.port)):
        result = services.source_dry_run(adapter="geojson", config=geojson(url))
        assert not result.ok, url
        assert _refused_or_invalid(result.message), (url, result.message)
        assert "TRAP-INTERNAL-BODY" not in json.dumps(result.as_dict())

        run = run_sync(make_source(name=f"s{number}", adapter="geojson", config=geojson(url)))
        assert run.status == SyncRun.Status.FAILED and run.attempts == 1, url
        assert _refused_or_invalid(run.error), (url, run.error)
    assert (trap.connections, trap.received) == (0, b"")
    assert not RejectedRecord.objects.exists()


def test_ipv6_loopback_and_unspecified_are_refused(trap6):
    for url in (f"http://[::1]:{trap6.port}/", f"http://[::]:{trap6.port}/"):
        result = services.source_dry_run(adapter="geojson", config=geojson(url))
        assert result.message.startswith("refused: "), result.message
    assert trap6.connections == 0


def test_test_connection_in_the_api_and_the_page_reach_nothing(client, integrator, trap):
    client.force_login(integrator)
    url = f"http://2130706433:{trap.port}/"
    api = client.post(
        reverse("integrations-api:test-connection"),
        {"adapter": "geojson", "config": geojson(url)},
        content_type="application/json",
    )
    assert api.status_code == 200
    assert api.json()["ok"] is False
    assert api.json()["message"].startswith("refused: 2130706433 resolves to a non-public")
    page = client.post(
        reverse("integrations:source-new") + "?adapter=geojson",
        {
            "name": "probe",
            "action": "test",
            "cfg__url": url,
            "cfg__fields": "external_id: ID",
            "cfg__categories": "default: other",
        },
    )
    assert page.status_code == 200
    assert page.context["dry_run"].message.startswith("refused: ")
    assert trap.connections == 0


def test_a_name_that_resolves_to_loopback_is_refused(trap, monkeypatch):
    """DNS is simulated (an attacker's name pointing at 127.0.0.1); the peer is real."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host == "internal.attacker.example":
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    result = services.source_dry_run(
        adapter="geojson", config=geojson(f"http://internal.attacker.example:{trap.port}/x")
    )
    assert result.message.startswith("refused: internal.attacker.example resolves to a non-public")
    assert "127.0.0.1" not in result.message  # what it resolved to is not echoed
    assert trap.connections == 0


def test_a_redirect_from_an_allowed_server_to_loopback_is_refused(
    allowed_feed, trap, make_source, run_sync
):
    targets = [*spellings(trap.port), "http://169.254.169.254/latest/meta-data/"]
    for number, target in enumerate(targets):
        path = f"/r{number}"
        allowed_feed.serve(path, b"", status=302, headers={"Location": target})
        result = services.source_dry_run(adapter="geojson", config=geojson(allowed_feed.url(path)))
        assert not result.ok and _refused_or_invalid(result.message), (target, result.message)
    run = run_sync(make_source(adapter="geojson", config=geojson(allowed_feed.url("/r0"))))
    assert run.status == SyncRun.Status.FAILED and run.error.startswith("refused: 127.0.0.1")
    assert allowed_feed.count("/r0") == 2
    assert (trap.connections, trap.received) == (0, b"")


def test_redirects_are_followed_at_most_five_times(allowed_feed):
    for hop in range(7):
        allowed_feed.serve(f"/hop{hop}", b"", status=302, headers={"Location": f"/hop{hop + 1}"})
    allowed_feed.serve("/hop7", FEATURES)
    allowed_feed.serve("/hop2-ok", b"", status=301, headers={"Location": "/done"})
    allowed_feed.serve("/done", FEATURES)
    with Http() as http:
        assert http.get(allowed_feed.url("/hop2-ok")).url == allowed_feed.url("/done")
        with pytest.raises(PermanentError, match="more than 5 redirects"):
            http.get(allowed_feed.url("/hop0"))
    assert allowed_feed.count("/hop6") == 0


def test_a_paging_next_link_to_loopback_is_refused(allowed_feed, trap, make_source, run_sync):
    page = {**FEATURES, "links": [{"rel": "next", "href": f"http://127.1:{trap.port}/page2"}]}
    allowed_feed.serve("/items", page)
    run = run_sync(make_source(adapter="geojson", config=geojson(allowed_feed.url("/items"))))
    assert run.status == SyncRun.Status.FAILED
    assert run.error.startswith("refused: 127.1 resolves to a non-public address")
    assert (trap.connections, trap.received) == (0, b"")

    stream = {"@iot.id": 1, "name": "noise", "unitOfMeasurement": {"symbol": "dB"}}
    observations = {
        "value": [{"@iot.id": 1, "phenomenonTime": "2026-01-01T23:30:00Z", "result": 70}],
        "@iot.nextLink": f"http://[::ffff:127.0.0.1]:{trap.port}/Observations?page=2",
    }
    allowed_feed.serve("/sta/Datastreams(1)", stream)
    allowed_feed.serve("/sta/Datastreams(1)/Observations", observations)
    config = {"endpoint": allowed_feed.url("/sta"), "datastreams": [1], "rule": {"threshold": 1}}
    run = run_sync(make_source(name="sta", adapter="sensorthings", config=config))
    assert run.status == SyncRun.Status.FAILED
    assert run.error.startswith("refused: ::ffff:127.0.0.1 resolves to a non-public address")
    assert (trap.connections, trap.received) == (0, b"")


def test_the_connection_goes_to_the_address_that_was_checked(
    allowed_feed, monkeypatch, make_source, run_sync
):
    """A name that answers the allowed address once, then loopback (DNS rebinding). The
    first page goes to the checked address with the name in the Host header; the second
    connection resolves again, gets loopback and is refused: the listener sees nothing."""
    real = socket.getaddrinfo
    answers: list[str] = []

    def fake(host, port, *args, **kwargs):
        if host == "rebind.example":
            answers.append(ALLOWED_HOST if not answers else "127.0.0.1")
            return real(answers[-1], port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    # The same port on both addresses: the address connected to is the one that gets hit.
    listener = Trap(socket.AF_INET, "127.0.0.1", allowed_feed.port)
    try:
        base = f"http://rebind.example:{allowed_feed.port}"
        page = {**FEATURES, "links": [{"rel": "next", "href": f"{base}/items?page=2"}]}
        allowed_feed.serve("/items", page)
        run = run_sync(make_source(adapter="geojson", config=geojson(f"{base}/items")))
        assert allowed_feed.count("/items") == 1
        assert allowed_feed.hits[0].headers["Host"] == f"rebind.example:{allowed_feed.port}"
        assert run.status == SyncRun.Status.FAILED
        assert run.error.startswith("refused: rebind.example resolves to a non-public address")
        assert (listener.connections, listener.received) == (0, b"")
    finally:
        listener.close()


# --- Failures say little: no remote bodies, one message for every connection failure -----------


def test_a_refused_port_and_a_port_that_closes_at_once_look_the_same(settings):
    """With loopback allowed (an administrator's network), a source could still probe ports:
    refused, closed at once and an unknown name all read 'could not connect to host:port'."""
    settings.KOBAN_SOURCES_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    refused_port = closed.getsockname()[1]
    closed.close()

    slam = socket.socket()
    slam.bind(("127.0.0.1", 0))
    slam.listen(8)
    slam_port = slam.getsockname()[1]
    stop = threading.Event()

    def accept_and_close() -> None:
        slam.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = slam.accept()
            except OSError:
                continue
            conn.close()

    thread = threading.Thread(target=accept_and_close, daemon=True)
    thread.start()
    try:
        messages = {}
        for port in (refused_port, slam_port):
            with Http() as http, pytest.raises(TemporaryError) as failed:
                http.get(f"http://127.0.0.1:{port}/feed.json")
            messages[port] = str(failed.value).replace(str(port), "PORT")
            result = services.source_dry_run(
                adapter="geojson", config=geojson(f"http://127.0.0.1:{port}/feed.json")
            )
            assert result.message.replace(str(port), "PORT") == messages[port]
        assert (
            messages[refused_port]
            == messages[slam_port]
            == ("could not connect to 127.0.0.1:PORT.")
        )
        with Http() as http, pytest.raises(TemporaryError) as unknown:
            http.get("http://no-such-host.invalid/feed.json")
        assert str(unknown.value) == "could not connect to no-such-host.invalid:80."
    finally:
        stop.set()
        thread.join(timeout=2)
        slam.close()


@pytest.mark.parametrize("status", [404, 500])
def test_the_body_of_a_failed_request_is_never_shown(
    allowed_feed, status, make_source, run_sync, client, integrator
):
    body = b"<html><h1>Oops</h1> REMOTE-BODY db=10.0.0.5 user=admin</html>"
    allowed_feed.serve("/items", body, status=status, content_type="text/html")
    page = {**FEATURES, "links": [{"rel": "next", "href": "/items"}]}
    allowed_feed.serve("/first", page)
    source = make_source(adapter="geojson", config=geojson(allowed_feed.url("/first")))

    run = run_sync(source)
    client.force_login(integrator)
    api = client.post(reverse("integrations-api:source-test-connection", args=[source.pk]))
    shown = [
        run.error,
        api.content.decode(),
        json.dumps(list(RejectedRecord.objects.values())),
        client.get(reverse("integrations:run", args=[run.pk])).content.decode(),
    ]
    assert run.status == SyncRun.Status.FAILED
    reason = "Not Found" if status == 404 else "Internal Server Error"
    assert f"HTTP {status} from {allowed_feed.url('/items')} ({reason})." in run.error
    assert api.json()["ok"] is False and f"HTTP {status} from" in api.json()["message"]
    for text in shown:
        assert "REMOTE-BODY" not in text and "Oops" not in text


# --- Secrets --------------------------------------------------------------------------------

FORBIDDEN_NAMES = ["PATH", "SECRET_KEY", "DATABASE_URL", "HOME", "koban_secret_x", "KOBAN_SECRET_"]


def _form_error(client, name: str) -> list[str]:
    response = client.post(
        reverse("integrations:source-new") + "?adapter=geojson",
        {
            "name": "probe",
            "cfg__url": "https://city.example/items",
            "cfg__fields": "external_id: ID",
            "cfg__categories": "default: other",
            "cfg__auth_header_env": name,
        },
    )
    assert response.status_code == 400
    return response.context["form"].errors["cfg__auth_header_env"]


def _api_errors(client, name: str) -> tuple[Any, Any]:
    config = geojson("https://city.example/items", auth_header_env=name)
    created = client.post(
        reverse("integrations-api:sources"),
        {"name": "probe", "adapter": "geojson", "config": config},
        content_type="application/json",
    )
    tested = client.post(
        reverse("integrations-api:test-connection"),
        {"adapter": "geojson", "config": config},
        content_type="application/json",
    )
    assert created.status_code == tested.status_code == 400
    return created.json(), tested.json()


def _apply_error(tmp_path: Path, name: str) -> str:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n  - name: probe\n    adapter: open311\n    config:\n"
        "      endpoint: https://city.example/v2\n"
        "      service_categories: {default: other}\n"
        f"      api_key_env: {name}\n"
    )
    with pytest.raises(CommandError) as refused:
        call_command("apply_sources", str(path), stdout=StringIO())
    return str(refused.value)


@pytest.mark.parametrize("name", FORBIDDEN_NAMES)
def test_environment_names_outside_koban_secret_are_refused_the_same_whether_set_or_not(
    name, client, integrator, monkeypatch, tmp_path
):
    client.force_login(integrator)
    answers = []
    for present in (True, False):
        if present:
            monkeypatch.setenv(name, "value-that-must-not-leak")
        else:
            monkeypatch.delenv(name, raising=False)
        answers.append(
            (_form_error(client, name), _api_errors(client, name), _apply_error(tmp_path, name))
        )
    assert answers[0] == answers[1]
    form, (created, tested), applied = answers[0]
    assert form == [
        "Must be the NAME of an environment variable starting with KOBAN_SECRET_ (capital "
        "letters, digits, _; e.g. KOBAN_SECRET_SF311_API_KEY), never the secret itself."
    ]
    assert created["config.auth_header_env"] == tested["config.auth_header_env"] == form
    assert "api_key_env: Must be the NAME of an environment variable starting with" in applied
    assert not Source.objects.exists()


def test_only_koban_secret_variables_are_read_at_run_time(feed, monkeypatch, settings, run_sync):
    """Sources saved before the rule (written straight to the table) are refused at run time,
    and a missing KOBAN_SECRET_* variable is named, alone."""
    settings.KOBAN_SOURCES_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    monkeypatch.setenv("SECRET_KEY", "the-django-secret-key")
    feed.serve("/items", FEATURES)
    for number, (key, adapter, config) in enumerate(
        [
            ("auth_header_env", "geojson", geojson(feed.url("/items"))),
            (
                "api_key_env",
                "open311",
                {"endpoint": feed.url("/v2"), "service_categories": {"default": "other"}},
            ),
        ]
    ):
        source = Source.objects.create(
            name=f"old{number}", adapter=adapter, config={**config, key: "SECRET_KEY"}
        )
        run = run_sync(source)
        assert run.status == SyncRun.Status.FAILED
        assert f"config.{key}: Must be the NAME of an environment variable" in run.error
        assert "the-django-secret-key" not in run.error
        with pytest.raises(InvalidInput) as refused:
            services.source_dry_run(adapter=adapter, config=source.config)
        assert "the-django-secret-key" not in json.dumps(refused.value.errors)
    monkeypatch.delenv("KOBAN_SECRET_NOPE", raising=False)
    config = geojson(feed.url("/items"), auth_header_env="KOBAN_SECRET_NOPE")
    run = run_sync(services.source_create(name="s", adapter="geojson", config=config))
    assert run.error == (
        "config.auth_header_env: the environment variable KOBAN_SECRET_NOPE is not set in the "
        "process running syncs."
    )
    assert feed.hits == []


def test_a_secret_goes_only_to_its_origin_and_is_never_echoed(
    feed, allowed_feed, settings, monkeypatch, run_sync, client, integrator, caplog
):
    """The header goes to the configured server; a redirect or a next link to another origin
    does not carry it; no answer, error, page, export or log line shows it."""
    settings.KOBAN_SOURCES_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    secret = "Bearer s3cr3t-t0ken-value"
    monkeypatch.setenv("KOBAN_SECRET_CITY_TOKEN", secret)
    allowed_feed.serve("/elsewhere", FEATURES)
    feed.serve("/moved", b"", status=302, headers={"Location": allowed_feed.url("/elsewhere")})
    page = {**FEATURES, "links": [{"rel": "next", "href": allowed_feed.url("/page2")}]}
    feed.serve("/items", page)
    allowed_feed.serve("/page2", {"type": "FeatureCollection", "features": []})
    feed.serve("/denied", b"no", status=401)
    feed.serve("/v2/requests.json", [])
    feed.serve("/v2/services.json", [])
    caplog.set_level(logging.DEBUG)
    env = "KOBAN_SECRET_CITY_TOKEN"
    open311 = {"endpoint": feed.url("/v2"), "service_categories": {"default": "other"}}
    sources = [
        *[("geojson", geojson(feed.url(path), auth_header_env=env)) for path in PATHS],
        ("open311", {**open311, "api_key_env": env}),
    ]

    outputs = []
    for number, (adapter, config) in enumerate(sources):
        source = services.source_create(name=f"s{number}", adapter=adapter, config=config)
        run = run_sync(source)
        outputs.append(run.error)
        client.force_login(integrator)
        outputs.append(client.get(reverse("integrations-api:source", args=[source.pk])).content)
        outputs.append(
            client.post(
                reverse("integrations-api:source-test-connection", args=[source.pk])
            ).content
        )
        outputs.append(client.get(reverse("integrations:source-edit", args=[source.pk])).content)
        outputs.append(client.get(reverse("integrations:run", args=[run.pk])).content)
    out = StringIO()
    call_command("export_sources", stdout=out)
    outputs.append(out.getvalue())
    outputs.append(caplog.text)

    assert {h.headers.get("Authorization") for h in feed.hits if h.path == "/items"} == {secret}
    assert {h.query["api_key"][0] for h in feed.hits if h.path.startswith("/v2/")} == {secret}
    assert all("Authorization" not in hit.headers for hit in allowed_feed.hits)
    assert {hit.path for hit in allowed_feed.hits} == {"/page2", "/elsewhere"}
    for text in outputs:
        text = text.decode() if isinstance(text, bytes) else text
        assert "s3cr3t" not in text
    assert "KOBAN_SECRET_CITY_TOKEN" in outputs[-2]  # the export names the variable only


PATHS = ("/items", "/moved", "/denied")


# --- Parsing within limits ------------------------------------------------------------------


def deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


def test_deep_configuration_is_a_field_error_everywhere(client, integrator, tmp_path):
    client.force_login(integrator)
    config = geojson("https://city.example/items", params={"a": "b"})
    config["categories"] = {"default": "other", "x": deep(40)}
    api = client.post(
        reverse("integrations-api:sources"),
        {"name": "deep", "adapter": "geojson", "config": config},
        content_type="application/json",
    )
    assert api.status_code == 400 and "nested too deeply" in api.content.decode()
    tested = client.post(
        reverse("integrations-api:test-connection"),
        {"adapter": "geojson", "config": config},
        content_type="application/json",
    )
    assert tested.status_code == 400 and "nested too deeply" in tested.content.decode()

    yaml_deep = "[" * 5000 + "]" * 5000
    page = client.post(
        reverse("integrations:source-new") + "?adapter=geojson",
        {"name": "deep", "cfg__url": "https://x.example/", "cfg__fields": yaml_deep},
    )
    assert page.status_code == 400
    assert "nested too deeply" in " ".join(page.context["form"].errors["cfg__fields"])

    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - name: deep\n    adapter: csv\n    config: " + yaml_deep + "\n")
    with pytest.raises(CommandError, match="nested too deeply"):
        call_command("apply_sources", str(path), stdout=StringIO())
    bomb = 'a: &a ["x", "x"]\nb: &b [*a, *a]\nc: &c [*b, *b]\nsources: []\n'
    path.write_text(bomb)
    with pytest.raises(CommandError, match="aliases"):
        call_command("apply_sources", str(path), stdout=StringIO())
    assert not Source.objects.exists()


def test_deep_feeds_are_a_run_error_not_a_crash(allowed_feed, make_source, run_sync):
    allowed_feed.serve("/deep.json", ("[" * 100000 + "]" * 100000).encode())
    allowed_feed.serve("/v2/requests.xml", "<a>" * 5000 + "</a>" * 5000, content_type="text/xml")
    allowed_feed.serve("/v2/services.xml", "<a>" * 5000 + "</a>" * 5000, content_type="text/xml")
    run = run_sync(make_source(adapter="geojson", config=geojson(allowed_feed.url("/deep.json"))))
    assert run.status == SyncRun.Status.FAILED and "nested too deeply" in run.error
    xml = {
        "endpoint": allowed_feed.url("/v2"),
        "format": "xml",
        "service_categories": {"default": "other"},
    }
    run = run_sync(make_source(name="xml", adapter="open311", config=xml))
    assert run.status == SyncRun.Status.FAILED and "nested too deeply" in run.error
    dry = services.source_dry_run(adapter="open311", config=xml)
    assert not dry.ok and "nested too deeply" in dry.message


# --- Schedules ------------------------------------------------------------------------------


def test_sub_minute_intervals_are_refused_and_every_minute_is_fine(client, integrator):
    client.force_login(integrator)
    config = geojson("https://city.example/items")
    for schedule, ok in (("30", False), ("59", False), ("60", True), ("* * * * *", True)):
        response = client.post(
            reverse("integrations-api:sources"),
            {
                "name": f"s{len(schedule)}",
                "adapter": "geojson",
                "config": config,
                "schedule": schedule,
            },
            content_type="application/json",
        )
        assert (response.status_code == 201) is ok, (schedule, response.content)
        if not ok:
            assert response.json()["schedule"][0].startswith(
                "An interval must be at least 60 seconds"
            )
