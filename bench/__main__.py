"""`python -m bench`: each section in its own function, run in turn (BENCH_SECTIONS picks some,
e.g. BENCH_SECTIONS=insight): an Open311 source's ingest beside raw COPY, the live feed's
commit-to-client latency next to raw Redis pub/sub, patrol positions at fleet scale, the API
under load beside a trivial view, then the supervisors' insight pages at BENCH_SIZE incidents."""

from __future__ import annotations

import os
import subprocess
import sys

from . import processes


def ingest() -> int:
    """Row 1 (bench/ingest.py), in its own process: it points Django at its own database."""
    command = [sys.executable, "-m", "bench.ingest"]
    return subprocess.run(command, cwd=processes.ROOT, check=False).returncode


def live() -> int:
    from .feed_latency import main

    return main()


def api() -> int:
    """Row 6: the API under 50 concurrent clients beside a trivial view (bench/api_load.py)."""
    from . import api_load

    return api_load.main(sys.argv[2:] if sys.argv[1:2] == ["api"] else [])


def positions() -> int:
    """Row 5: 300 units reporting a position each second (bench/positions.py)."""
    from .positions import main

    return main([])


def insight() -> int:
    """In its own process: it points Django at the load database, not the live bench's."""
    command = [sys.executable, "-m", "bench.insight"]
    return subprocess.run(command, cwd=processes.ROOT, check=False).returncode


SECTIONS = {"ingest": ingest, "live": live, "positions": positions, "api": api, "insight": insight}


def run() -> int:
    # `python -m bench api [--clients N --seconds S]` runs one section with its own arguments.
    default = sys.argv[1] if sys.argv[1:2] and sys.argv[1] in SECTIONS else ",".join(SECTIONS)
    names = [n.strip() for n in os.environ.get("BENCH_SECTIONS", default).split(",")]
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        print(f"unknown bench section(s): {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
        return 2
    status = 0
    for name in names:
        status = SECTIONS[name]() or status
    return status


raise SystemExit(run())
