"""Commit-to-client latency of the live feed with 1, 100 and 500 connected dashboards, next to a
raw Redis publish/subscribe round trip with as many subscribers, measured in the same run.

Everything runs on loopback: its own redis-server, the web server as the Procfile runs it
(gunicorn, a uvicorn process per core, so clients are spread over the processes by the kernel;
`--server daphne --servers 2` runs Daphne processes on ports of their own instead, clients split
between them; the channel layer is KOBAN_CHANNEL_LAYER's, pub/sub by default), and
the `koban_bench` database (created with PostGIS and migrated when missing). This process
commits patrol positions through the service, one at a time, and each is timed from the moment
COMMIT returned until each websocket client (in a separate receiver process) read the frame.
The next position is committed once every client has the previous one.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from . import processes

DEFAULT_CLIENTS = (1, 100, 500)
DELIVERY_TIMEOUT = 10.0
PAUSE = 0.01  # between two events, so each one is timed on a quiet system
DAPHNE_LOG = Path(tempfile.gettempdir()) / "koban-bench-daphne.log"
RESULTS = processes.ROOT / "var" / "bench"


def write_json(name: str, result: dict) -> Path:
    """var/bench/<name>.json: one run's numbers, for the performance table."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=1, default=str))
    return path


@dataclass
class Result:
    receivers: int
    events: int
    samples: list[float] = field(default_factory=list)  # seconds, one per (event, receiver)
    complete: list[float] = field(default_factory=list)  # until the last receiver had it
    publish: list[float] = field(default_factory=list)  # COMMIT until the publisher returned
    lost: int = 0


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] * 1000


class Receivers:
    """A `python -m bench.receivers` process and the lines it prints."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.receivers", *args],
            cwd=processes.ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
        )
        self._buffer = b""

    def line(self, timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                return None
            chunk = os.read(self.proc.stdout.fileno(), 1 << 20)
            if not chunk:
                raise RuntimeError(f"receivers exited with {self.proc.wait()}")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode()

    def wait_for(self, key: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while (line := self.line(deadline - time.monotonic())) is not None:
            if line == str(key):
                return True
        return False

    def finish(self) -> dict[int, list[float]]:
        self.proc.stdin.write(b"stop\n")
        while (line := self.line(60)) is not None:
            if line.startswith("{"):
                self.proc.wait(30)
                return {int(k): v for k, v in json.loads(line).items()}
        raise RuntimeError("receivers did not report")


def _setup_django(database: str, redis_url: str) -> None:
    os.environ.update(processes.server_env(database, redis_url))
    import django

    django.setup()


def _prepare(sessions: int) -> tuple[int, list[str]]:
    """A patrol to move, and signed-in supervisor sessions (a supervisor sees every event)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from incidents import roles, services
    from incidents.models import Patrol

    user, _ = get_user_model().objects.get_or_create(username="bench.chefe")
    user.groups.add(Group.objects.get(name=roles.SUPERVISOR))
    patrol = Patrol.objects.filter(call_sign="BENCH-1").first() or services.patrol_create(
        call_sign="BENCH-1", kind="car", status="available"
    )
    cookies = []
    for _ in range(sessions):
        client = Client()
        client.force_login(user)
        cookies.append(client.cookies["sessionid"].value)
    return patrol.pk, cookies


def _commit_position(patrol_id: int, n: int) -> tuple[float, float, int]:
    """Commit one patrol fix; return (COMMIT returned, publisher returned, outbox sequence)."""
    from django.contrib.gis.geos import Point
    from django.db import transaction
    from django.utils import timezone

    from incidents.models import OutboxEvent
    from incidents.services import patrol_record_position

    committed: list[float] = []
    with transaction.atomic():
        # Registered before the service's publisher, so it runs first, right after COMMIT.
        transaction.on_commit(lambda: committed.append(time.perf_counter()))
        patrol_record_position(
            patrol=patrol_id,
            location=Point(-9.14 + (n % 100) * 1e-4, 38.72, srid=4326),
            recorded_at=timezone.now() - timedelta(microseconds=1),
        )
    published = time.perf_counter()
    seq = OutboxEvent.objects.filter(entity_id=patrol_id, kind="patrol.moved").latest("id").id
    return committed[0], published, seq


def measure_feed(port: str, cookies: list[str], patrol_id: int, receivers: int, events: int):
    result = Result(receivers, events)
    clients = Receivers(
        "--mode",
        "feed",
        "--clients",
        str(receivers),
        "--port",
        port,
        "--cookies",
        ",".join(cookies),
    )
    if clients.line(120) != "ready":
        raise RuntimeError("websocket clients did not connect")
    sent: dict[int, float] = {}
    for n in range(events):
        committed_at, published_at, seq = _commit_position(patrol_id, n)
        sent[seq] = committed_at
        result.publish.append(published_at - committed_at)
        clients.wait_for(seq, DELIVERY_TIMEOUT)
        time.sleep(PAUSE)
    _collect(result, sent, clients.finish())
    return result


def measure_pubsub(redis_url: str, receivers: int, events: int) -> Result:
    import redis

    result = Result(receivers, events)
    subscribers = Receivers("--mode", "pubsub", "--clients", str(receivers), "--redis", redis_url)
    if subscribers.line(120) != "ready":
        raise RuntimeError("subscribers did not connect")
    publisher = redis.Redis.from_url(redis_url)
    sent: dict[int, float] = {}
    for n in range(events):
        sent[n] = time.perf_counter()
        publisher.publish("bench", str(n))
        subscribers.wait_for(n, DELIVERY_TIMEOUT)
        time.sleep(PAUSE)
    publisher.close()
    _collect(result, sent, subscribers.finish())
    return result


def _collect(result: Result, sent: dict[int, float], arrivals: dict[int, list[float]]) -> None:
    for key, at in sent.items():
        got = [t - at for t in arrivals.get(key, [])]
        result.samples += got
        result.lost += result.receivers - len(got)
        if len(got) == result.receivers:
            result.complete.append(max(got))


def _events_for(receivers: int, events: int | None) -> int:
    return events or (300 if receivers <= 1 else 100 if receivers <= 100 else 50)


def _report(rows: list[tuple[Result, Result]]) -> None:
    head = (
        f"{'clients':>7} {'events':>6} | {'feed p50':>9} {'p95':>8} {'p99':>8} "
        f"{'all-clients p95':>15} {'publish p50':>11} {'lost':>4} | "
        f"{'redis p50':>9} {'p95':>8} {'p99':>8}"
    )
    print(head)
    print("-" * len(head))
    for feed, raw in rows:
        print(
            f"{feed.receivers:>7} {feed.events:>6} | {_pct(feed.samples, 50):>7.2f}ms "
            f"{_pct(feed.samples, 95):>6.2f}ms {_pct(feed.samples, 99):>6.2f}ms "
            f"{_pct(feed.complete, 95):>13.2f}ms {_pct(feed.publish, 50):>9.2f}ms "
            f"{feed.lost:>4} | {_pct(raw.samples, 50):>7.2f}ms "
            f"{_pct(raw.samples, 95):>6.2f}ms {_pct(raw.samples, 99):>6.2f}ms"
        )
    print(
        "\nfeed: COMMIT returned -> frame read by a websocket client (publisher reads the rows,"
        "\n  channels-redis group_send, Daphne consumer filters and forwards), per client and event"
        "\nall-clients: until the last client had the event; publish: COMMIT -> publisher returned"
        "\nredis: PUBLISH sent -> read by a SUBSCRIBE connection, as many receivers, same run"
        f"\nlost: deliveries missing {DELIVERY_TIMEOUT:.0f} s after the commit"
    )


def _row(feed: Result, raw: Result) -> dict:
    return {
        "clients": feed.receivers,
        "events": feed.events,
        "feed_ms": {q: _pct(feed.samples, int(q[1:])) for q in ("p50", "p95", "p99")},
        "all_clients_p95_ms": _pct(feed.complete, 95),
        "publish_p50_ms": _pct(feed.publish, 50),
        "lost": feed.lost,
        "redis_ms": {q: _pct(raw.samples, int(q[1:])) for q in ("p50", "p95", "p99")},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--clients",
        type=lambda s: [int(x) for x in s.split(",")],
        default=list(DEFAULT_CLIENTS),
        help="comma-separated numbers of connected clients (default 1,100,500)",
    )
    parser.add_argument("--events", type=int, default=None, help="events per client count")
    parser.add_argument("--database", default=os.environ.get("KOBAN_BENCH_DB", "koban_bench"))
    parser.add_argument("--servers", type=int, default=1, help="web servers (clients split)")
    parser.add_argument(
        "--server",
        choices=("gunicorn", "daphne"),
        default="gunicorn",
        help="gunicorn: as the Procfile runs it, a uvicorn process per core (default)",
    )
    args = parser.parse_args(argv)

    redis_port = processes.free_port()
    daphne_ports = [processes.free_port() for _ in range(args.servers)]
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = processes.server_env(args.database, redis_url)
    env["KOBAN_LIVE_MAX_CONNECTIONS_PER_USER"] = "1000"  # the clients share a few sessions
    redis_proc, daphnes = None, []
    started = time.monotonic()
    try:
        print(f"database {args.database}: created and migrated if needed", flush=True)
        processes.ensure_database(args.database, env)
        redis_proc = processes.start_redis(redis_port)
        daphnes = [
            processes.start_server(args.server, port, env, DAPHNE_LOG) for port in daphne_ports
        ]
        ports = ",".join(map(str, daphne_ports))
        layer = os.environ.get("KOBAN_CHANNEL_LAYER", "pubsub")
        print(
            f"redis-server :{redis_port}, {args.server} :{ports} ({layer} layer; loopback; log "
            f"{DAPHNE_LOG})",
            flush=True,
        )
        _setup_django(args.database, redis_url)
        patrol_id, cookies = _prepare(min(max(args.clients), 50))
        rows = []
        for receivers in args.clients:
            events = _events_for(receivers, args.events)
            feed = measure_feed(ports, cookies, patrol_id, receivers, events)
            raw = measure_pubsub(redis_url, receivers, events)
            rows.append((feed, raw))
            print(f"  {receivers} clients: {events} events measured", flush=True)
        print()
        _report(rows)
    finally:
        for daphne in daphnes:
            processes.stop(daphne)
        processes.stop(redis_proc)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\ntotal {time.monotonic() - started:.0f} s on {os.cpu_count()} CPUs, load {load}")
    path = write_json(
        "feed_latency",
        {
            "channel_layer": os.environ.get("KOBAN_CHANNEL_LAYER", "pubsub"),
            "servers": args.servers,
            "server": args.server,
            "load_average": os.getloadavg(),
            "rows": [_row(feed, raw) for feed, raw in rows],
        },
    )
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
