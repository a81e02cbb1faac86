"""Demo repeat places (issue 16): two places the job must propose and one it must not.

The demo's random items stay away from them, so the proposals have exactly these incidents
whatever the demo's size (tests/incidents/test_repeat_places.py checks their members).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.gis.geos import Point
from django.utils import timezone

from . import services
from .models.choices import IncidentStatus, Priority, incident_status_path

# Two places the job must propose and one it must not: (key, category, title, address,
# (lon, lat) of each incident, days ago, local hour). Kept out of the demo concerns' reach.
REPEAT_PLACE_DEMO = [
    # A bar's noise on weekend nights, within about 60 m.
    *(
        (
            "intendente",
            "noise",
            "Ruído à porta de bar",
            "Largo do Intendente Pina Manique",
            (-9.13560 + dx, 38.72150 + dy),
            days,
            hour,
        )
        for dx, dy, days, hour in [
            (0.0000, 0.0000, 2, 23),
            (0.0003, 0.0001, 3, 1),
            (-0.0002, 0.0002, 9, 23),
            (0.0001, -0.0003, 10, 0),
            (0.0004, 0.0003, 16, 2),
        ]
    ),
    # Graffiti in a garden, within about 80 m.
    *(
        (
            "arco-do-cego",
            "vandalism",
            "Grafitos no jardim",
            "Jardim do Arco do Cego",
            (-9.13930 + dx, 38.73810 + dy),
            days,
            hour,
        )
        for dx, dy, days, hour in [
            (0.0000, 0.0000, 4, 7),
            (0.0005, 0.0002, 8, 8),
            (-0.0003, 0.0004, 13, 7),
            (0.0002, -0.0004, 20, 9),
        ]
    ),
    # Noise spread along a long avenue, about 430 m apart: not one place, never proposed.
    *(
        (
            "spread",
            "noise",
            "Música alta num apartamento",
            "Rua Ferreira Borges",
            (-9.17000 + step * 0.0050, 38.71650),
            days,
            22,
        )
        for step, days in [(0, 3), (1, 6), (2, 11), (3, 15)]
    ),
]


PLANTED_POINTS = sorted({lonlat for _k, _c, _t, _a, lonlat, _d, _h in REPEAT_PLACE_DEMO})


def near_a_planted_place(p: Point) -> bool:
    """Random demo items stay about 400 m away from the planted repeat places, so the places
    the job proposes have exactly the planted incidents whatever the demo's size."""
    return any(abs(p.x - x) < 0.005 and abs(p.y - y) < 0.004 for x, y in PLANTED_POINTS)


def plant_repeat_places(supervisor: object, now: datetime) -> None:
    for n, (key, category, title, address, lonlat, days, hour) in enumerate(REPEAT_PLACE_DEMO):
        local = timezone.localtime(now - timedelta(days=days))
        reported = local.replace(hour=hour, minute=10 + n, second=0, microsecond=0)
        incident = services.incident_create(
            actor=supervisor,
            category=category,
            priority=Priority.MEDIUM,
            title=title,
            location=Point(*lonlat, srid=4326),
            address=address,
            reported_at=min(reported, now - timedelta(minutes=5)),
            source="demo",
            external_id=f"demo-rp-{key}-{n + 1:02d}",
        )
        for step in incident_status_path(incident.status, IncidentStatus.CLOSED) or []:
            services.incident_transition(incident=incident, to_status=step, actor=supervisor)
