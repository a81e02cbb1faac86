"""The web server: gunicorn starts KOBAN_WEB_WORKERS uvicorn processes serving koban.asgi.

One command everywhere (Procfile for `make run`, docker-compose.yml, the bench), loaded as
gunicorn's configuration: `gunicorn -c python:koban.server -b HOST:PORT koban.asgi:application`.
Each process serves HTTP and the live feed's websockets; Django runs a request's sync code on one
thread per process, so throughput grows with processes, one per core by default. Processes share
nothing but PostgreSQL and Redis (sessions, throttle counts, channel-layer groups), so an event
published in one reaches sockets held by another. Why not Daphne: docs/performance.md.
"""

from __future__ import annotations

import os
from typing import Any

from uvicorn_worker import UvicornWorker


def _env_int(name: str, default: int, minimum: int) -> int:
    """A whole number from the environment; a bad value stops the server, naming the variable."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise SystemExit(f"{name} must be at least {minimum}")
    return value


def cpu_count() -> int:
    """Cores this process may run on: a container's CPU set, but not a CPU quota (docker
    --cpus), which only KOBAN_WEB_WORKERS can express."""
    return len(os.sched_getaffinity(0)) or 1


class Worker(UvicornWorker):
    """uvicorn with uvloop and httptools where installed; Django has no lifespan protocol."""

    CONFIG_KWARGS: dict[str, Any] = {
        "loop": "auto",
        "http": "auto",
        "ws": "auto",
        "lifespan": "off",
        # The live feed sends its own heartbeats and re-checks the session at each one.
        "ws_ping_interval": None,
        "server_header": False,
    }


# --- gunicorn settings (module-level names gunicorn reads; the rest it ignores) ----------------
bind = ["127.0.0.1:8000"]  # the command line's -b wins: 127.0.0.1 for make run, 0.0.0.0 in compose
worker_class = "koban.server.Worker"
workers = _env_int("KOBAN_WEB_WORKERS", cpu_count(), minimum=1)
# Ctrl-C under honcho, or a compose stop, lets requests in flight finish for this long; open
# websockets are closed with 1012 (service restart) and browsers reconnect and replay.
graceful_timeout = _env_int("KOBAN_WEB_GRACEFUL_SECONDS", 10, minimum=1)
# A worker that does not report for this long (a request stuck in Python) is restarted.
timeout = _env_int("KOBAN_WEB_TIMEOUT_SECONDS", 60, minimum=10)
keepalive = 5
# Client addresses and scheme from X-Forwarded-For/-Proto only when the peer is one of these
# (FORWARDED_ALLOW_IPS; the proxy's address, or * where only the proxy reaches the port).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Access lines only when asked (KOBAN_ACCESS_LOG=-): at hundreds of requests a second they cost.
accesslog = os.environ.get("KOBAN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("KOBAN_SERVER_LOG_LEVEL", "info")
proc_name = "koban-web"
# gunicorn's control socket sits at one path per user: two servers (make run beside the bench or
# the tests) would take each other's. Workers are counted by KOBAN_WEB_WORKERS instead.
control_socket_disable = True
