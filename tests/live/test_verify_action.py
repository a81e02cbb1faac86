"""Zulip's `verify_action` for every kind of change and every role: a client's REST snapshot
plus the events addressed to it equals a fresh snapshot, including items that leave its view.

Events are addressed as the consumer does it (`event_visible_to` on the outbox rows after the
snapshot's sequence); test_verify_action_feed.py sends them through the real consumer. One
world and its snapshots serve every case: each change runs in the test's own savepoint.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import override_settings

from dashboard.live import reads
from incidents.selectors import event_visible_to, latest_event_sequence
from tests.live.verify import CHANGES, World, apply, build_world, logged_in, snapshot

# Five users: full-strength password hashing would cost a second each.
QUICK_PASSWORDS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[tuple[World, dict, dict, int]]:
    """The world, a logged-in client per role and each one's snapshot, kept for the module in
    a transaction rolled back at its end."""
    quick = override_settings(PASSWORD_HASHERS=QUICK_PASSWORDS)
    with django_db_blocker.unblock(), quick, transaction.atomic():
        built = build_world()
        clients = {role: logged_in(user) for role, user in built.users.items()}
        before = {role: snapshot(client) for role, client in clients.items()}
        yield built, clients, before, latest_event_sequence()
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.parametrize("change", list(CHANGES))
def test_snapshot_plus_the_events_addressed_to_each_role_equals_a_fresh_snapshot(change, world):
    world, clients, before, first = world

    CHANGES[change](world)

    wire = reads.wire_events_after(first, 1000)
    assert wire, f"{change} emitted no event"
    changed_someones_view = False
    for role, user in world.users.items():
        sequence, taken = before[role]
        received = [ev for ev in wire if event_visible_to(user, ev)]
        _, fresh = snapshot(clients[role])
        if taken is None:  # IT staff read no operational data, and hear none
            assert fresh is None and received == [], (role, received)
            continue
        assert sequence == first
        taken = {entity: dict(rows) for entity, rows in taken.items()}  # shared by the cases
        expected = {entity: dict(rows) for entity, rows in taken.items()}
        for ev in received:
            apply(taken, json.loads(ev["frame"]))
        assert taken == fresh, (change, role)
        changed_someones_view |= taken != expected
    assert changed_someones_view, f"{change} changed nothing anyone sees"
