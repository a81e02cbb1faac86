"""A new incident's live event is addressed from the row in memory (audience.new_item_audiences),
which must reach exactly whom the row read back from the database reaches."""

from __future__ import annotations

import pytest

from incidents import services
from incidents.audience import audience_of, item_audiences, key_of, new_item_audiences
from incidents.models import OutboxEvent
from tests.conftest import ARROIOS, ATLANTIC

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("where", [ARROIOS, ATLANTIC, None], ids=["parish", "outside", "none"])
def test_a_new_incidents_event_reaches_whom_its_row_reaches(make_incident, where):
    incident = make_incident(where)

    event = OutboxEvent.objects.filter(entity_type="incident", entity_id=incident.pk).get()
    expected = audience_of(incident)
    assert (set(event.area_ids), set(event.user_ids)) == (expected.area_ids, expected.user_ids)
    assert event.area_ids == ([incident.area_id] if where == ARROIOS else [])


def test_a_path_through_a_set_key_is_read_from_the_database(make_incident, supervisor, officer):
    incident = make_incident()
    patrol = services.patrol_create(
        call_sign="LX-77", kind="car", status="available", members=[officer]
    )
    incident = services.incident_dispatch(incident=incident, actor=supervisor, patrol=patrol)

    audience = new_item_audiences(incident)[key_of(incident)]

    assert audience == item_audiences(incident)[key_of(incident)]
    assert officer.pk in audience.user_ids


def test_importing_a_new_record_costs_twelve_queries(areas, point, django_assert_num_queries):
    # Two savepoints and their releases, the lookup, reference, category, area, the row, its
    # timeline entry, the outbox lock and event: the audience is not read back.
    with django_assert_num_queries(12):
        result = services.incident_upsert_external(
            source="sf311",
            external_id="909119",
            category="noise",
            location=point(ARROIOS),
            title="Ruído",
        )
    assert result.outcome == "created"
