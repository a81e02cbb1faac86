"""The protocol's pure parts: client frames, the `after` parameter, the group's name."""

from __future__ import annotations

import pytest
from django.conf import settings

from dashboard.live import protocol
from dashboard.live.publisher import group_name


def test_client_messages_are_parsed_strictly():
    assert protocol.parse_client_message('{"type":"ping"}') == protocol.Ping(type="ping")
    assert protocol.parse_client_message('{"type":"resume","after":7}').after == 7
    for bad in (
        "",
        "null",
        "[]",
        '{"type":"resume"}',
        '{"type":"resume","after":-1}',
        '{"type":"resume","after":"7"}',
        '{"type":"subscribe"}',
        '{"type":"ping","extra":1}',
        "x" * 2000,
    ):
        with pytest.raises(protocol.ProtocolError):
            protocol.parse_client_message(bad)


def test_after_must_be_a_non_negative_integer():
    assert protocol.parse_after(None) is None
    assert protocol.parse_after("") is None
    assert protocol.parse_after("0") == 0
    assert protocol.parse_after("1841") == 1841
    for bad in ("-1", "1.5", "abc", "1e3", "9" * 30):
        with pytest.raises(protocol.ProtocolError):
            protocol.parse_after(bad)


def test_the_feed_group_is_named_after_the_database(monkeypatch):
    """A dev server and a test run sharing one Redis database do not see each other's events."""
    database = settings.DATABASES["default"]
    assert group_name() == f"koban.operations.{database['NAME']}"
    monkeypatch.setitem(database, "NAME", "koban/other db")
    assert group_name() == "koban.operations.koban-other-db"
