"""The supervisors' insight pages at city scale: shift briefing and closure-quality charts,
against the 300 ms target (issue 16), at BENCH_SIZE incidents (default 100 000).

The data lives in its own load database, `koban_load_<size>`, filled once by
`manage.py generate_load` (three years of synthetic incidents with their timeline, follow-ups
and outbox) and reused by later runs. Each path is timed REPEAT times after a warm-up: the
selectors alone, then the pages and endpoints through Django's full request stack (middleware,
session, permission, template or JSON). Results: a table on stdout and var/bench/insight.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from . import processes

TARGET_MS = 300.0
REPEAT = 30
RESULTS = processes.ROOT / "var" / "bench" / "insight.json"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _load_count(database: str) -> int:
    import psycopg

    try:
        with psycopg.connect(f"dbname={database}") as conn:
            row = conn.execute("SELECT count(*) FROM incidents_incident WHERE source = 'load'")
            return row.fetchone()[0]
    except psycopg.Error:
        return 0


def ensure_load(database: str, size: int, env: dict[str, str]) -> float:
    """Create, migrate and fill the load database up to `size` incidents; seconds spent."""
    have = _load_count(database)
    if have >= size:
        # Made by an earlier checkout, perhaps: brought to this one's schema first.
        migrate = [sys.executable, "manage.py", "migrate", "-v0"]
        subprocess.run(
            migrate,
            cwd=processes.ROOT,
            env={**env, "DATABASE_URL": f"postgis:///{database}"},
            check=True,
        )
        print(f"load database {database}: {have} incidents (reused)", flush=True)
        return 0.0
    started = time.monotonic()
    command = [sys.executable, "manage.py", "generate_load", "--incidents", str(size - have)]
    command += ["--years", "3", "--database-url", f"postgis:///{database}"]
    subprocess.run(command, cwd=processes.ROOT, env=env, check=True)
    seconds = time.monotonic() - started
    print(f"load database {database}: {size - have} incidents generated in {seconds:.0f} s")
    return seconds


# A path stops after this many seconds once it has MIN_REPEAT runs: at a million incidents a
# year's closure quality takes seconds a call, and 30 of them would hold `make bench` for minutes.
BUDGET_SECONDS = 10.0
MIN_REPEAT = 5


def _time(fn: Callable[[], object], repeat: int) -> list[float]:
    fn()  # warm-up: connection, caches, plans
    samples: list[float] = []
    until = time.monotonic() + BUDGET_SECONDS
    for _ in range(repeat):
        if len(samples) >= MIN_REPEAT and time.monotonic() > until:
            break
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def measure(repeat: int) -> list[dict[str, object]]:
    """Time each path; the environment already points Django at the load database."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from incidents.models import Area
    from incidents.selectors_briefing import shift_briefing
    from incidents.selectors_insight import InsightScope, closure_quality

    supervisor = get_user_model().objects.get(username="chefe.costa")
    parish = Area.objects.filter(kind=Area.Kind.PARISH).order_by("code").first()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(supervisor)
    from django.utils import timezone

    def window(days: int, **kw: object) -> InsightScope:
        now = timezone.now()
        return InsightScope(start=now - timezone.timedelta(days=days), end=now, **kw)

    def get(url: str) -> Callable[[], object]:
        def call() -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return call

    paths: list[tuple[str, Callable[[], object]]] = [
        ("selector: shift briefing, division", lambda: shift_briefing(supervisor)),
        (
            "selector: shift briefing, one parish",
            lambda: shift_briefing(supervisor, areas=(parish.pk,)),
        ),
        ("selector: closure quality, 13 weeks", lambda: closure_quality(supervisor, window(91))),
        ("selector: closure quality, 1 year", lambda: closure_quality(supervisor, window(365))),
        (
            "selector: closure quality, 13 weeks, one parish",
            lambda: closure_quality(supervisor, window(91, areas=(parish.pk,))),
        ),
        ("page: /insight/briefing/", get("/insight/briefing/")),
        ("page: /insight/closure/", get("/insight/closure/")),
        ("json: /insight/closure/data/?days=91", get("/insight/closure/data/?days=91")),
        ("json: /insight/closure/data/?days=365", get("/insight/closure/data/?days=365")),
        (
            "csv: /insight/closure/export.csv (by parish, 13 weeks)",
            get("/insight/closure/export.csv?days=91&chart=response_times&breakdown=area"),
        ),
    ]
    rows = []
    for name, fn in paths:
        samples = _time(fn, repeat)
        p50, p95, p99 = (_pct(samples, q) for q in (50, 95, 99))
        rows.append(
            {
                "path": name,
                "runs": repeat,
                "p50_ms": round(p50, 1),
                "p95_ms": round(p95, 1),
                "p99_ms": round(p99, 1),
                "mean_ms": round(statistics.fmean(samples), 1),
                "target_ms": TARGET_MS,
                "meets_target": p95 < TARGET_MS,
            }
        )
        print(f"  {name}: p95 {p95:.0f} ms", flush=True)
    return rows


def _report(size: int, rows: list[dict[str, object]]) -> None:
    print(f"\nInsight pages at {size:,} incidents (target: p95 under {TARGET_MS:.0f} ms)")
    print(f"{'path':58} {'p50':>8} {'p95':>8} {'p99':>8}  target")
    for r in rows:
        verdict = "met" if r["meets_target"] else "MISSED"
        print(
            f"{r['path']:58} {r['p50_ms']:>6} ms {r['p95_ms']:>6} ms {r['p99_ms']:>6} ms  {verdict}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.insight", description=__doc__)
    parser.add_argument("--size", type=int, default=int(os.environ.get("BENCH_SIZE", "100000")))
    parser.add_argument("--repeat", type=int, default=REPEAT)
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    database = f"koban_load_{args.size}"
    if args.measure_only:
        rows = measure(args.repeat)
        Path(os.environ["KOBAN_BENCH_OUT"]).write_text(json.dumps(rows))
        return 0

    redis_port = processes.free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = processes.server_env(database, redis_url)
    env["KOBAN_DEV"] = "true"
    # generate_load runs from the ordinary settings and is told where the load database is.
    generated = ensure_load(database, args.size, {**os.environ, "KOBAN_DEV": "true"})
    redis_proc = processes.start_redis(redis_port)
    out = RESULTS.with_suffix(".part.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        env["KOBAN_BENCH_OUT"] = str(out)
        command = [sys.executable, "-m", "bench.insight", "--measure-only"]
        command += ["--size", str(args.size), "--repeat", str(args.repeat)]
        subprocess.run(command, cwd=processes.ROOT, env=env, check=True)
    finally:
        processes.stop(redis_proc)
    rows = json.loads(out.read_text())
    out.unlink()
    _report(args.size, rows)
    RESULTS.write_text(
        json.dumps(
            {
                "size": args.size,
                "database": database,
                "generated_seconds": round(generated, 1),
                "load_average": os.getloadavg(),
                "results": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nJSON: {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
