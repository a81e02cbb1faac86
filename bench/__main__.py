"""`python -m bench`: the live feed's commit-to-client latency next to raw Redis pub/sub, then
patrol positions at fleet scale (bench/positions.py)."""

from __future__ import annotations

from .feed_latency import main
from .positions import main as positions_main

raise SystemExit(main() or positions_main([]))
