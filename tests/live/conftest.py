"""Live-feed fixtures: the real Redis channel layer, emptied of feed state before each test."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers, get_channel_layer


@pytest.fixture(autouse=True)
def live_feed(settings):
    """Quiet heartbeats unless a test asks for them, and a fresh channel layer per test.

    Each test runs its own event loop; channels-redis keeps connection pools per loop.
    """
    settings.KOBAN_LIVE_HEARTBEAT_SECONDS = 60
    settings.KOBAN_EVENT_PUBLISHER = "dashboard.live.publish_events"
    assert settings.REDIS_URL.rsplit("/", 1)[-1] != "0", "run the live tests on their own Redis db"
    channel_layers.backends = {}
    async_to_sync(get_channel_layer().flush)()
    yield
    channel_layers.backends = {}
