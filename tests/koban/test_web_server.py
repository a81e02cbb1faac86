"""The web server of koban/server.py: one command in the Procfile, docker-compose.yml and the
image; several processes serving HTTP and the live feed, sharing events through Redis."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import shlex
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import yaml
from django.conf import settings
from websockets.sync.client import connect

from tests.live.helpers import ROOT, free_port, session_cookie, stop, subprocess_database_url

SERVER = ["gunicorn", "-c", "python:koban.server"]
APP = "koban.asgi:application"


def _procfile_web() -> list[str]:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return shlex.split(line.removeprefix("web:"))
    raise AssertionError("no web process in the Procfile")


def test_make_run_compose_and_the_image_start_the_same_server():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    dockerfile = (ROOT / "Dockerfile").read_text()
    image = json.loads(next(ln for ln in dockerfile.splitlines() if ln.startswith("CMD "))[4:])

    assert _procfile_web() == [*SERVER, "-b", "127.0.0.1:${KOBAN_PORT:-8000}", APP]
    assert compose["services"]["web"]["command"] == [*SERVER, "-b", "0.0.0.0:8000", APP]
    assert image == compose["services"]["web"]["command"]


def test_one_process_per_core_unless_koban_web_workers_says_otherwise(monkeypatch):
    import koban.server

    monkeypatch.delenv("KOBAN_WEB_WORKERS", raising=False)
    assert importlib.reload(koban.server).workers == len(os.sched_getaffinity(0))
    monkeypatch.setenv("KOBAN_WEB_WORKERS", "3")
    assert importlib.reload(koban.server).workers == 3
    monkeypatch.setenv("KOBAN_WEB_WORKERS", "many")
    with pytest.raises(SystemExit, match="KOBAN_WEB_WORKERS"):
        importlib.reload(koban.server)
    monkeypatch.delenv("KOBAN_WEB_WORKERS")
    importlib.reload(koban.server)


@pytest.mark.django_db
def test_the_benchs_baseline_view_is_not_routed_unless_asked(client):
    assert client.get("/bench/trivial/").status_code == 404


def _worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def _sockets_on(port: int) -> set[int]:
    """The socket inodes of established connections to `port` on loopback."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        if local_port == port and fields[3] == "01":
            inodes.add(int(fields[9]))
    return inodes


def _holds(pid: int, inodes: set[int]) -> bool:
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:[") and int(target[8:-1]) in inodes:
            return True
    return False


@pytest.mark.django_db(transaction=True)
def test_two_processes_serve_pages_and_share_live_events(supervisor, make_incident, tmp_path):
    """`make run`'s server with two processes: /login/ answers, sockets held by both processes
    get their hello, and a status change served by one process reaches the sockets of both."""
    from dashboard.security import tokens

    port, log = free_port(), tmp_path / "web.log"
    env = {
        **os.environ,
        "DATABASE_URL": subprocess_database_url(),
        "DJANGO_SETTINGS_MODULE": "koban.settings",
        "KOBAN_TEST_DB": "",
        "KOBAN_WEB_WORKERS": "2",
        # One person's sockets, as many as it takes for both processes to hold one.
        "KOBAN_LIVE_MAX_CONNECTIONS_PER_USER": "20",
    }
    env.pop("KOBAN_PROCESS", None)
    incident = make_incident(title="Ruído no Largo do Intendente")
    cookie = session_cookie(supervisor)
    _, token = tokens.api_token_create(user=supervisor, name="smoke")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / SERVER[0]), *SERVER[1:], "-b", f"127.0.0.1:{port}", APP],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    sockets: list = []
    with contextlib.ExitStack() as opened:
        opened.callback(stop, proc)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/login/", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.3)
        workers = _worker_pids(proc.pid)
        assert len(workers) == 2

        # Sockets until each process holds at least one (the kernel hands connections out).
        while len(sockets) < 20:
            ws = opened.enter_context(
                connect(
                    f"ws://127.0.0.1:{port}/ws/operations/",
                    additional_headers={"Origin": base, "Cookie": f"sessionid={cookie}"},
                    open_timeout=20,
                )
            )
            sockets.append(ws)
            assert json.loads(ws.recv(timeout=20))["type"] == "hello"
            inodes = _sockets_on(port)
            if len(sockets) >= 2 and all(_holds(pid, inodes) for pid in workers):
                break
        assert all(_holds(pid, _sockets_on(port)) for pid in workers), "one process held all"

        # BodySizeLimit under this server: announced or streamed, a body over the cap is a 413.
        auth = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        too_big = b" " * (settings.KOBAN_MAX_REQUEST_BODY_KB * 1024 + 1)
        announced = httpx.post(f"{base}/api/v1/incidents/", content=too_big, headers=auth)
        assert announced.status_code == 413
        streamed = httpx.post(
            f"{base}/api/v1/incidents/", content=iter([too_big[:4096]] * 300), headers=auth
        )
        assert streamed.status_code == 413

        response = httpx.post(
            f"{base}/api/v1/incidents/{incident.pk}/transition/",
            json={"status": "acknowledged"},
            headers={"Authorization": f"Token {token}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        for ws in sockets:
            while (message := json.loads(ws.recv(timeout=20)))["type"] != "event":
                assert message["type"] in ("heartbeat", "pong"), message
            assert message["payload"]["id"] == incident.pk
            assert message["payload"]["status"] == "acknowledged"
    assert proc.returncode == 0, log.read_text()[-3000:]
