"""The verify_action check through the real consumer and Channels layer: one change of every
event kind, a socket per role, and each role's snapshot plus what its socket received equals a
fresh snapshot (the cases of every change are in test_verify_action.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from dashboard.live import protocol
from incidents.models import OutboxEvent
from incidents.selectors import event_visible_to, latest_event_sequence
from tests.live.helpers import Closed, FeedClient, db, run_async, session_cookie
from tests.live.test_verify_action import QUICK_PASSWORDS
from tests.live.verify import CHANGES, ROLES, apply, build_world, logged_in, snapshot

# One change of each event kind, in order, on one world (each needs the state the one before left).
THROUGH_THE_CONSUMER = (
    "incident created",
    "incident note",
    "incident moved",
    "concern moved",
    "follow-up reassigned",
    "incident dispatched",
    "patrol moved",
    "patrol crew changed",
    "repeat place proposed",
)


def _expected_counts(users: dict[str, Any], after: int) -> dict[str, int]:
    rows = list(OutboxEvent.objects.filter(id__gt=after).order_by("id"))
    return {role: sum(event_visible_to(u, r) for r in rows) for role, u in users.items()}


@pytest.mark.django_db(transaction=True)
@run_async
@override_settings(PASSWORD_HASHERS=QUICK_PASSWORDS)
async def test_the_real_consumer_delivers_each_role_exactly_what_makes_its_snapshot_fresh():
    world = await db(build_world)()
    roles = [r for r in ROLES if r != "integrator"]
    clients = {role: await db(logged_in)(world.users[role]) for role in roles}
    before = {role: await db(snapshot)(clients[role]) for role in roles}
    first = await db(latest_event_sequence)()
    sockets = {}
    for role in roles:
        sockets[role] = FeedClient(await db(session_cookie)(world.users[role]), after=first)
        await sockets[role].connect()
    refused = FeedClient(await db(session_cookie)(world.users["integrator"]))
    with pytest.raises(Closed) as closed:
        await refused.connect()
    assert closed.value.code == protocol.CLOSE_FORBIDDEN

    for change in THROUGH_THE_CONSUMER:
        await db(CHANGES[change])(world)
    counts = await db(_expected_counts)(world.users, first)
    kinds = set()
    for role in roles:
        _, taken = before[role]
        for event in await sockets[role].events(counts[role], timeout=10):
            kinds.add(event["kind"])
            apply(taken, event)
        assert await sockets[role].quiet(0.3)
        await sockets[role].close()
        _, fresh = await db(snapshot)(clients[role])
        assert taken == fresh, role
    assert kinds == set(protocol.EVENT_TYPES)
