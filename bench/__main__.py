"""`python -m bench`: each section in its own function, run in turn (BENCH_SECTIONS picks some,
e.g. BENCH_SECTIONS=insight): the live feed's commit-to-client latency next to raw Redis
pub/sub, then the supervisors' insight pages at BENCH_SIZE incidents."""

from __future__ import annotations

import os
import subprocess
import sys

from . import processes


def live() -> int:
    from .feed_latency import main

    return main()


def insight() -> int:
    """In its own process: it points Django at the load database, not the live bench's."""
    command = [sys.executable, "-m", "bench.insight"]
    return subprocess.run(command, cwd=processes.ROOT, check=False).returncode


SECTIONS = {"live": live, "insight": insight}


def run() -> int:
    names = [n.strip() for n in os.environ.get("BENCH_SECTIONS", ",".join(SECTIONS)).split(",")]
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        print(f"unknown bench section(s): {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
        return 2
    status = 0
    for name in names:
        status = SECTIONS[name]() or status
    return status


raise SystemExit(run())
