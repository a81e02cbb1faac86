"""What the sections on the load database share (maps, lists, insight): the database itself,
made once by `manage.py generate_load` and reused; a run of the section's measuring half in a
process of its own, pointed at it; timing; and the JSON results with the run's conditions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import processes


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


def measure_elsewhere(
    module: str,
    size: int,
    args: list[str],
    results: Path,
    after: Callable[[dict], Any] | None = None,
) -> tuple[list[Any], Any, float, str]:
    """Runs `python -m <module> --measure-only --size N <args>` pointed at the load database
    (made or migrated first) with a private redis-server; returns its rows, what `after(env)`
    returned (run while that redis-server is up), the seconds spent generating the data and the
    database's name. Django can be pointed at a database once per process: hence the process."""
    database = f"koban_load_{size}"
    redis_port = processes.free_port()
    env = processes.server_env(database, f"redis://127.0.0.1:{redis_port}/0")
    env["KOBAN_DEV"] = "true"
    generated = ensure_load(database, size, {**os.environ, "KOBAN_DEV": "true"})
    redis_proc = processes.start_redis(redis_port)
    out = results.with_suffix(".part.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    extra = None
    try:
        command = [sys.executable, "-m", module, "--measure-only", "--size", str(size), *args]
        subprocess.run(
            command, cwd=processes.ROOT, env={**env, "KOBAN_BENCH_OUT": str(out)}, check=True
        )
        if after is not None:
            extra = after(env)
    finally:
        processes.stop(redis_proc)
    rows = json.loads(out.read_text())
    out.unlink()
    return rows, extra, generated, database


def write_results(
    path: Path, row: str, size: int, database: str, generated: float, **data: Any
) -> tuple[float, ...]:
    """The section's JSON with the run's conditions; returns the load average at the end."""
    load = os.getloadavg()
    body = {
        "row": row,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "size": size,
        "database": database,
        "generated_seconds": round(generated, 1),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in load],
        **data,
    }
    path.write_text(json.dumps(body, indent=2) + "\n")
    return load


def report_written(path: Path, started: float, load: tuple[float, ...]) -> None:
    print(
        f"\nJSON: {path.relative_to(processes.ROOT)}; {time.monotonic() - started:.0f} s, "
        "load " + ", ".join(f"{x:.1f}" for x in load)
    )


def section_main(
    module: str,
    row: str,
    doc: str,
    measure: Callable[[int], list[Any]],
    report: Callable[[int, list[Any]], None],
    results: Path,
    argv: list[str] | None,
    repeat: int = 30,
) -> int:
    """`main()` of a section timed on the load database: `--size`, `--repeat`, and the hidden
    `--measure-only` that the process started by `measure_elsewhere` runs."""
    import argparse

    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=doc)
    parser.add_argument("--size", type=int, default=int(os.environ.get("BENCH_SIZE", "100000")))
    parser.add_argument("--repeat", type=int, default=repeat)
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure_only:
        Path(os.environ["KOBAN_BENCH_OUT"]).write_text(json.dumps(measure(args.repeat)))
        return 0
    started = time.monotonic()
    rows, _, generated, database = measure_elsewhere(
        module, args.size, ["--repeat", str(args.repeat)], results
    )
    report(args.size, rows)
    load = write_results(results, row, args.size, database, generated, results=rows)
    report_written(results, started, load)
    return 0
