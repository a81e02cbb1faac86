"""`python -m bench`: each section in its own function, run in turn (BENCH_SECTIONS picks some,
e.g. BENCH_SECTIONS=insight), in the issue's row order: an Open311 source's ingest beside raw
COPY; the map's reads beside hand-written SQL and its first load in Chromium, and the incident
lists, both at BENCH_SIZE incidents; the live feed's commit-to-client latency next to raw Redis
pub/sub; patrol positions at fleet scale; the API under load beside a trivial view; then the
supervisors' insight pages at BENCH_SIZE incidents. The whole table: var/bench/summary.md."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from . import processes


def _own_process(module: str, *args: str) -> int:
    """Each section points Django at a database of its own, which a process can do once: a
    section run after another in one process would write its users and sessions into the
    other's database, and its server would not know them."""
    command = [sys.executable, "-m", module, *args]
    return subprocess.run(command, cwd=processes.ROOT, check=False).returncode


def ingest() -> int:
    """Row 1 (bench/ingest.py), on its own database."""
    return _own_process("bench.ingest")


def maps() -> int:
    """Row 2 (bench/maps.py), on the load database."""
    return _own_process("bench.maps")


def lists() -> int:
    """Row 3 (bench/lists.py), on the load database."""
    return _own_process("bench.lists")


def live() -> int:
    """Row 4 (bench/feed_latency.py), on the `koban_bench` database."""
    return _own_process("bench.feed_latency")


def positions() -> int:
    """Row 5: 300 units reporting a position each second (bench/positions.py)."""
    return _own_process("bench.positions")


def api() -> int:
    """Row 6: the API under 50 concurrent clients beside a trivial view (bench/api_load.py)."""
    return _own_process("bench.api_load", *(sys.argv[2:] if sys.argv[1:2] == ["api"] else []))


def insight() -> int:
    """Issue 16's pages (bench/insight.py), on the load database."""
    return _own_process("bench.insight")


SECTIONS = {
    "ingest": ingest,
    "map": maps,
    "lists": lists,
    "live": live,
    "positions": positions,
    "api": api,
    "insight": insight,
}


def run() -> int:
    # `python -m bench api [--clients N --seconds S]` runs one section with its own arguments.
    default = sys.argv[1] if sys.argv[1:2] and sys.argv[1] in SECTIONS else ",".join(SECTIONS)
    names = [n.strip() for n in os.environ.get("BENCH_SECTIONS", default).split(",")]
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        print(f"unknown bench section(s): {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
        return 2
    started, status = time.time(), 0
    for name in names:
        status = SECTIONS[name]() or status
    from . import summary

    summary.write(names, started)
    print(f"make bench: {time.time() - started:.0f} s")
    return status


raise SystemExit(run())
