"""Patrol positions at fleet scale: N units each reporting a position every second through the
real endpoint (POST /api/v1/patrols/<id>/positions/, one officer and API token per unit), a
supervisor's websocket receiving `patrol.moved`, and the queues sampled every second.

Measures positions accepted per second, report-to-client lag (request sent until the frame with
that position was read) p50/p95, and whether a queue grows without bound: outbox rows, the
Celery queue in Redis, Redis memory and the web server's memory (workers included).
`BENCH_QUICK=1` runs 10 seconds instead of 60. Own redis-server and web server (gunicorn as the
Procfile runs it) on loopback, database `koban_bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import processes
from .feed_latency import _pct, _setup_django, write_json

DAPHNE_LOG = Path(tempfile.gettempdir()) / "koban-bench-positions-daphne.log"
# Requests in flight at once, as a device gateway's connection pool would hold. Django's ASGI
# handler gives each concurrent request its own thread and database connection: 300 at once
# exhaust PostgreSQL's max_connections (the machine is shared) and answer 500.
CONNECTIONS = int(os.environ.get("BENCH_POSITIONS_CONNECTIONS", "20"))


def _prepare(units: int) -> tuple[list[tuple[int, str]], str]:
    """(patrol id, API token) per unit, each unit an officer crewing its own patrol; and a
    supervisor's session cookie."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from dashboard.security.tokens import api_token_create
    from incidents import roles, services
    from incidents.models import Patrol

    users = get_user_model().objects
    officers = Group.objects.get(name=roles.OFFICER)
    fleet = []
    for n in range(units):
        user, _ = users.get_or_create(username=f"bench.unit-{n:03d}")
        user.groups.add(officers)
        patrol = Patrol.objects.filter(call_sign=f"BENCH-U{n:03d}").first()
        if patrol is None:
            patrol = services.patrol_create(
                call_sign=f"BENCH-U{n:03d}", kind="car", status="available", members=[user]
            )
        _, token = api_token_create(user=user, name="bench positions")
        fleet.append((patrol.pk, token))
    chief, _ = users.get_or_create(username="bench.chefe")
    chief.groups.add(Group.objects.get(name=roles.SUPERVISOR))
    client = Client()
    client.force_login(chief)
    return fleet, client.cookies["sessionid"].value


class Run:
    def __init__(self) -> None:
        self.sent: dict[tuple[int, datetime], float] = {}
        self.lags: list[float] = []
        self.http: list[float] = []
        self.statuses: dict[int, int] = {}
        self.accepted_at: list[float] = []
        self.samples: list[dict[str, Any]] = []
        self.elapsed = 0.0  # from the first report until the last answer


async def _unit(client: Any, port: int, patrol: int, token: str, run: Run, until: float) -> None:
    n = 0
    next_at = time.monotonic() + (patrol % 1000) / 1000  # spread over the second
    while next_at < until:
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        at = datetime.now(UTC)
        body = {
            "location": {"type": "Point", "coordinates": [-9.14 + (n % 100) * 1e-4, 38.72]},
            "recorded_at": at.isoformat(),
        }
        started = time.perf_counter()
        run.sent[(patrol, at)] = started
        try:
            response = await client.post(
                f"http://127.0.0.1:{port}/api/v1/patrols/{patrol}/positions/",
                json=body,
                headers={"Authorization": f"Token {token}"},
            )
            status = response.status_code
        except Exception:  # a refused or timed-out request counts as not accepted
            status = 0
        run.http.append(time.perf_counter() - started)
        run.statuses[status] = run.statuses.get(status, 0) + 1
        if status == 201:
            run.accepted_at.append(time.monotonic())
        n += 1
        # A unit that fell behind sends its newest fix at once, not the ones it missed.
        next_at = max(next_at + 1.0, time.monotonic())


async def _watch(port: int, cookie: str, run: Run, ready: asyncio.Event) -> None:
    from websockets.asyncio.client import connect

    async with connect(
        f"ws://127.0.0.1:{port}/ws/operations/",
        origin=f"http://127.0.0.1:{port}",
        additional_headers={"Cookie": f"sessionid={cookie}"},
        max_queue=None,
    ) as ws:
        ready.set()
        async for raw in ws:
            now = time.perf_counter()
            frame = json.loads(raw)
            if frame.get("kind") != "patrol.moved":
                continue
            payload = frame["payload"]
            at = datetime.fromisoformat(payload["position_at"].replace("Z", "+00:00"))
            started = run.sent.get((payload["id"], at))
            if started is not None:
                run.lags.append(now - started)


def _sample(redis_client: Any, daphnes: list[Any], started: float) -> dict[str, Any]:
    from incidents.models import OutboxEvent

    rss = processes.tree_rss_kb(daphnes)
    return {
        "t": round(time.monotonic() - started, 1),
        "outbox_rows": OutboxEvent.objects.count(),
        "celery_queue": redis_client.llen("celery"),
        "redis_used_memory": redis_client.info("memory")["used_memory"],
        "daphne_rss_kb": rss,
    }


async def _measure(ports: list[int], fleet, cookie, seconds, redis_url, daphnes) -> Run:
    import httpx
    import redis
    from asgiref.sync import sync_to_async

    run = Run()
    ready = asyncio.Event()
    watcher = asyncio.create_task(_watch(ports[0], cookie, run, ready))
    await asyncio.wait_for(ready.wait(), 30)
    redis_client = redis.Redis.from_url(redis_url)
    sample = sync_to_async(_sample, thread_sensitive=True)
    started = time.monotonic()
    until = started + seconds
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        units = [
            asyncio.create_task(_unit(client, ports[i % len(ports)], pk, token, run, until))
            for i, (pk, token) in enumerate(fleet)
        ]
        while time.monotonic() < until:
            run.samples.append(await sample(redis_client, daphnes, started))
            await asyncio.sleep(1.0)
        await asyncio.gather(*units)
    run.elapsed = time.monotonic() - started
    await asyncio.sleep(3)  # the last frames
    run.samples.append(await sample(redis_client, daphnes, started))
    watcher.cancel()
    redis_client.close()
    return run


def main(argv: list[str] | None = None) -> int:
    quick = os.environ.get("BENCH_QUICK") == "1"
    parser = argparse.ArgumentParser(prog="python -m bench.positions", description=__doc__)
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=10 if quick else 60)
    parser.add_argument("--servers", type=int, default=1, help="web servers (each on a port)")
    parser.add_argument(
        "--server",
        choices=("gunicorn", "daphne"),
        default="gunicorn",
        help="gunicorn: as the Procfile runs it, a uvicorn process per core (default)",
    )
    parser.add_argument("--database", default=os.environ.get("KOBAN_BENCH_DB", "koban_bench"))
    args = parser.parse_args(argv)

    redis_port = processes.free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = processes.server_env(args.database, redis_url)
    env["KOBAN_API_RATE_USER"] = "600/minute"  # one unit reports 60 a minute
    redis_proc, daphnes = None, []
    try:
        processes.ensure_database(args.database, env)
        redis_proc = processes.start_redis(redis_port)
        ports = [processes.free_port() for _ in range(args.servers)]
        daphnes = [processes.start_server(args.server, port, env, DAPHNE_LOG) for port in ports]
        _setup_django(args.database, redis_url)
        fleet, cookie = _prepare(args.units)
        run = asyncio.run(_measure(ports, fleet, cookie, args.seconds, redis_url, daphnes))
    finally:
        for proc in daphnes:
            processes.stop(proc)
        processes.stop(redis_proc)
    accepted = len(run.accepted_at)
    first, last = run.samples[0], run.samples[-1]
    result = {
        "units": args.units,
        "seconds": args.seconds,
        "servers": args.servers,
        "server": args.server,
        "web_workers": os.environ.get("KOBAN_WEB_WORKERS", f"{os.cpu_count()} (cores)"),
        "channel_layer": os.environ.get("KOBAN_CHANNEL_LAYER", "pubsub"),
        "offered_per_second": args.units,
        "connections": CONNECTIONS,
        "elapsed_seconds": round(run.elapsed, 1),
        "accepted_per_second": round(accepted / run.elapsed, 1),
        "reports_sent": sum(run.statuses.values()),
        "statuses": {str(k): v for k, v in sorted(run.statuses.items())},
        "http_ms": {"p50": _pct(run.http, 50), "p95": _pct(run.http, 95)},
        "lag_ms": {"p50": _pct(run.lags, 50), "p95": _pct(run.lags, 95), "n": len(run.lags)},
        "queues": {
            "outbox_rows_added": last["outbox_rows"] - first["outbox_rows"],
            "celery_queue_max": max(s["celery_queue"] for s in run.samples),
            "redis_used_memory_start_end": [first["redis_used_memory"], last["redis_used_memory"]],
            "daphne_rss_kb_start_end": [first["daphne_rss_kb"], last["daphne_rss_kb"]],
        },
        "samples": run.samples,
        "load_average": os.getloadavg(),
    }
    path = write_json("positions", result)
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}, indent=1))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
