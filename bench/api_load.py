"""Row 6, API under load: 50 concurrent clients on the incident list and on a status change,
next to a trivial Django view, all served by the production server command (koban/server.py:
gunicorn, one uvicorn process per core) on loopback.

The bench starts its own redis-server and web server on free ports against its own database
(`koban_bench_api`, created, migrated and given the Lisbon demo when missing; point --database at
a `generate_load` database for city-scale rows). Each client is a signed-in person (half
supervisors, half officers of different parishes) on its own keep-alive connection, sending its
next request as soon as the last one answered (a closed loop), for a fixed time per path. The
status change resolves and reopens each client's own incidents (acknowledged and resolved), so
no two clients wait on one row lock. `python -m bench api` runs this row alone; results go to
var/bench/api_load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import processes

CLIENTS = 50
SECONDS = 15.0
WARM_UP = 3.0  # seconds of load before measuring (connections, caches)
LIST_URL = "/api/v1/incidents/?page_size=50"
ME_URL = "/api/v1/me/"
TRIVIAL_URL = "/bench/trivial/"
INCIDENTS_PER_CLIENT = 4
SERVER_LOG = Path(tempfile.gettempdir()) / "koban-bench-web.log"
RESULTS = processes.ROOT / "var" / "bench" / "api_load.json"
# Targets of issue 14 on the 2-core machine.
TARGET_RATE = 300.0
TARGET_P99_MS = 250.0
TARGET_SHARE_OF_TRIVIAL = 1 / 3


@dataclass
class PathResult:
    path: str
    requests: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    client_cpu_seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]

    def summary(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("latencies_ms")
        data.update(
            rate=round(self.rate, 1),
            p50_ms=round(self.pct(50), 1),
            p95_ms=round(self.pct(95), 1),
            p99_ms=round(self.pct(99), 1),
        )
        return data


@dataclass
class Person:
    session: str
    csrf: str  # the CSRF cookie, sent back in X-CSRFToken as a browser's script does
    incidents: list[int]


def _setup_django(database: str, redis_url: str) -> None:
    os.environ.update(processes.server_env(database, redis_url))
    import django

    django.setup()


def _prepare(clients: int) -> list[Person]:
    """Demo data if missing; `clients` signed-in people, each with incidents of their own."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client
    from django.utils.crypto import get_random_string

    from incidents import roles, services
    from incidents.demo import load_demo
    from incidents.models import Area, Incident, IncidentStatus, OfficerProfile
    from incidents.setup import ensure_groups

    ensure_groups()
    if not Area.objects.filter(kind=Area.Kind.PARISH).exists():
        load_demo()
    parishes = list(Area.objects.filter(kind=Area.Kind.PARISH).order_by("code"))
    supervisor_group = Group.objects.get(name=roles.SUPERVISOR)
    officer_group = Group.objects.get(name=roles.OFFICER)
    people = []
    for n in range(clients):
        user, _ = get_user_model().objects.get_or_create(username=f"bench.{n:03d}")
        parish = parishes[n % len(parishes)]
        if n % 2:
            user.groups.set([officer_group])
            profile, _ = OfficerProfile.objects.get_or_create(user=user)
            profile.areas.set([parish])
        else:
            user.groups.set([supervisor_group])
        mine = list(
            Incident.objects.filter(source="bench", title__startswith=f"bench.{n:03d} ")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for k in range(len(mine), INCIDENTS_PER_CLIENT):
            incident = services.incident_create(
                title=f"bench.{n:03d} {k}",
                category="noise",
                location=parish.geom.point_on_surface,
                source="bench",
                actor=user,
            )
            mine.append(incident.pk)
        for pk in mine:
            incident = Incident.objects.get(pk=pk)
            if incident.status == IncidentStatus.NEW:
                services.incident_transition(
                    incident=incident, to_status=IncidentStatus.ACKNOWLEDGED, actor=user
                )
        client = Client()
        client.force_login(user)
        people.append(Person(client.cookies["sessionid"].value, get_random_string(32), mine))
    return people


async def _client(
    base: str,
    person: Person,
    kind: str,
    result: PathResult,
    measure_from: float,
    stop_at: float,
) -> None:
    import httpx

    cookies = {"sessionid": person.session, "csrftoken": person.csrf}
    headers = {"X-CSRFToken": person.csrf, "Accept": "application/json"}
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(
        base_url=base, cookies=cookies, headers=headers, limits=limits, timeout=30
    ) as http:
        n = 0
        while (now := time.perf_counter()) < stop_at:
            if kind == "transition":
                pk = person.incidents[n % len(person.incidents)]
                # Each incident alternates: acknowledged -> resolved -> acknowledged (reopened) ...
                status = "resolved" if (n // len(person.incidents)) % 2 == 0 else "acknowledged"
                request = http.post(f"/api/v1/incidents/{pk}/transition/", json={"status": status})
            else:
                request = http.get({"list": LIST_URL, "me": ME_URL}.get(kind, TRIVIAL_URL))
            n += 1
            try:
                response = await request
                outcome = str(response.status_code)
                ok = response.status_code == 200
            except httpx.HTTPError as exc:
                outcome, ok = type(exc).__name__, False
            done = time.perf_counter()
            if now < measure_from:
                continue
            if ok:
                result.requests += 1
                result.latencies_ms.append((done - now) * 1000)
            else:
                result.errors[outcome] = result.errors.get(outcome, 0) + 1


def measure(base: str, people: list[Person], kind: str, seconds: float) -> PathResult:
    result = PathResult(path=kind)
    cpu = time.process_time()

    async def run() -> None:
        start = time.perf_counter()
        measure_from, stop_at = start + WARM_UP, start + WARM_UP + seconds
        await asyncio.gather(
            *(_client(base, p, kind, result, measure_from, stop_at) for p in people)
        )
        result.seconds = seconds

    asyncio.run(run())
    result.client_cpu_seconds = round(time.process_time() - cpu, 1)
    if kind == "transition":
        # Every person's incidents back to acknowledged, for the next run.
        _reset_statuses(people)
    return result


def _reset_statuses(people: list[Person]) -> None:
    from incidents import services
    from incidents.models import Incident, IncidentStatus

    ids = [pk for p in people for pk in p.incidents]
    for incident in Incident.objects.filter(pk__in=ids, status=IncidentStatus.DISPATCHED):
        services.incident_transition(incident=incident, to_status=IncidentStatus.ACKNOWLEDGED)


def verdicts(results: dict[str, PathResult]) -> dict[str, bool]:
    trivial, listing = results["trivial"], results["list"]
    return {
        f"list >= {TARGET_RATE:.0f} req/s": listing.rate >= TARGET_RATE,
        f"list p99 < {TARGET_P99_MS:.0f} ms": listing.pct(99) < TARGET_P99_MS,
        "list >= 1/3 of trivial": listing.rate >= TARGET_SHARE_OF_TRIVIAL * trivial.rate,
        "no errors": not any(r.errors for r in results.values()),
    }


def report(results: dict[str, PathResult], workers: int, clients: int) -> None:
    head = (
        f"{'path':<34} {'req/s':>7} {'p50':>8} {'p95':>8} {'p99':>8} {'errors':>7} "
        f"{'client CPU':>10}"
    )
    print(f"\n6. API under load: {clients} clients, {workers} web processes")
    print(head)
    print("-" * len(head))
    labels = {
        "trivial": f"trivial view {TRIVIAL_URL}",
        "me": f"who am I {ME_URL}",
        "list": f"incident list {LIST_URL.split('/v1')[1]}",
        "transition": "status change (POST transition)",
    }
    for kind, r in results.items():
        errors = sum(r.errors.values())
        print(
            f"{labels[kind]:<34} {r.rate:>7.1f} {r.pct(50):>6.1f}ms {r.pct(95):>6.1f}ms "
            f"{r.pct(99):>6.1f}ms {errors:>7} {r.client_cpu_seconds:>9.1f}s"
        )
    for name, met in verdicts(results).items():
        print(f"  {name:<32} {'met' if met else 'MISSED'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench api", description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--seconds", type=float, default=SECONDS, help="measured time per path")
    parser.add_argument("--workers", type=int, default=None, help="web processes (default: cores)")
    parser.add_argument(
        "--database", default=os.environ.get("KOBAN_BENCH_API_DB", "koban_bench_api")
    )
    args = parser.parse_args(argv)
    from koban.server import cpu_count

    workers = args.workers or int(os.environ.get("KOBAN_WEB_WORKERS") or cpu_count())
    redis_port, web_port = processes.free_port(), processes.free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = processes.server_env(args.database, redis_url)
    env.update(KOBAN_BENCH_VIEWS="true", KOBAN_WEB_WORKERS=str(workers))
    redis_proc = web = None
    started = time.monotonic()
    try:
        print(f"database {args.database}: created and migrated if needed", flush=True)
        processes.ensure_database(args.database, env)
        redis_proc = processes.start_redis(redis_port)
        _setup_django(args.database, redis_url)
        people = _prepare(args.clients)
        web = processes.start_web(web_port, env, SERVER_LOG)
        print(f"gunicorn :{web_port}, {workers} processes (log {SERVER_LOG})", flush=True)
        base = f"http://127.0.0.1:{web_port}"
        results = {}
        for kind in ("trivial", "me", "list", "transition"):
            results[kind] = measure(base, people, kind, args.seconds)
            print(f"  {kind}: {results[kind].requests} requests measured", flush=True)
    finally:
        processes.stop(web)
        processes.stop(redis_proc)
    load = os.getloadavg()
    report(results, workers, args.clients)
    _write(results, workers, args, load)
    print(
        f"\ntotal {time.monotonic() - started:.0f} s on {os.cpu_count()} CPUs, load "
        + ", ".join(f"{x:.1f}" for x in load)
        + f"; max RSS of this client {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss} kB"
    )
    return 0


def _write(
    results: dict[str, PathResult],
    workers: int,
    args: argparse.Namespace,
    load: tuple[float, float, float],
) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "row": "6. API under load",
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "clients": args.clients,
        "seconds_per_path": args.seconds,
        "web_processes": workers,
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in load],
        "paths": {kind: r.summary() for kind, r in results.items()},
        "targets": verdicts(results),
    }
    RESULTS.write_text(json.dumps(data, indent=2) + "\n")
    print(f"results: {RESULTS.relative_to(processes.ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
