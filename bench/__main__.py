"""`python -m bench`: the live feed's commit-to-client latency next to raw Redis pub/sub."""

from __future__ import annotations

import sys

from . import api_load
from .feed_latency import main

if sys.argv[1:2] == ["api"]:  # row 6 alone: python -m bench api [--clients N --seconds S]
    raise SystemExit(api_load.main(sys.argv[2:]))
raise SystemExit(main() or api_load.main([]))
