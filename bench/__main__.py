"""`python -m bench`: the live feed's commit-to-client latency next to raw Redis pub/sub."""

from __future__ import annotations

from .feed_latency import main

raise SystemExit(main())
