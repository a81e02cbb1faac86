"""Publishing committed outbox events to the Channels layer (the live feed's sending side)."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

OPERATIONS_GROUP = "operations"


def publish_events(event_ids: list[int]) -> None:
    """Tell every connected consumer that these outbox events were committed.

    Consumers read the rows themselves (and filter by visibility), so a lost message only
    delays delivery until the next one or the client's replay.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            OPERATIONS_GROUP, {"type": "outbox.committed", "ids": list(event_ids)}
        )
    except Exception:
        logger.exception("channel layer unavailable; events %s stay in the outbox", event_ids)
