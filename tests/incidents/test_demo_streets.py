"""The demo reads as Lisbon does: each address is a street of the parish its point is in."""

from __future__ import annotations

import pytest

from incidents.demo import CONCERNS, STREETS, load_demo
from incidents.models import Area, Incident, NeighbourhoodConcern
from incidents.selectors import area_containing


@pytest.mark.django_db
def test_demo_addresses_are_streets_of_the_parish_their_point_falls_in():
    load_demo(incidents=30)
    parishes = set(Area.objects.filter(kind=Area.Kind.PARISH).values_list("code", flat=True))
    assert set(STREETS) == parishes  # every parish has streets, and no code is mistyped

    incidents = Incident.objects.filter(source="demo").select_related("area")
    assert incidents.count() == 30
    for incident in incidents:
        parish = area_containing(incident.location)
        street = incident.address.rsplit(",", 1)[0]
        assert street in STREETS[parish.code], (incident.address, parish.name)

    places = {(place, code) for _, _, place, code in CONCERNS}
    for concern in NeighbourhoodConcern.objects.filter(source="demo"):
        parish = area_containing(concern.location)
        assert (
            concern.address in STREETS[parish.code] or (concern.address, parish.code) in places
        ), (
            concern.address,
            parish.name,
        )
