"""Live-feed fixtures: a fresh handle on the real Redis channel layer for each test."""

from __future__ import annotations

import pytest
from channels.layers import channel_layers


@pytest.fixture(autouse=True)
def live_feed(settings):
    """Quiet heartbeats unless a test asks for them, and new channel-layer connections per test.

    Each test runs its own event loop; channels-redis keeps connection pools per loop. Nothing
    is flushed: the feed's group is named after the test database
    (dashboard.live.publisher.group_name).
    """
    settings.KOBAN_LIVE_HEARTBEAT_SECONDS = 60
    settings.KOBAN_EVENT_PUBLISHER = "dashboard.live.publisher.publish_events"
    channel_layers.backends = {}
    yield
    channel_layers.backends = {}
