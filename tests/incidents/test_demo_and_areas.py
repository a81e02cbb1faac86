"""Demo loading and the areas import."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        m._meta.label: m.objects.count()
        for app in ("incidents", "auth")
        for m in apps.get_app_config(app).get_models()
    }


def test_load_demo_twice_leaves_the_same_row_counts(settings):
    from incidents.demo import load_demo

    load_demo(incidents=40)
    first = _counts()
    assert first["incidents.Incident"] == 40
    assert first["incidents.Area"] == 25  # 24 parishes + the municipality
    assert first["incidents.PoliceStation"] == 90
    assert first["incidents.Patrol"] == 10
    load_demo(incidents=40)
    assert _counts() == first


def test_import_areas_refuses_invalid_geometry_with_a_clear_message(tmp_path):
    bowtie = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Bowtie", "code": "X1"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
                },
            }
        ],
    }
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(bowtie))
    with pytest.raises(CommandError, match=r"Bowtie.*invalid geometry.*Self-intersection"):
        call_command("import_areas", str(path))
    from incidents.models import Area

    assert not Area.objects.exists()


def test_import_areas_loads_lisbon_parishes_with_configured_properties(capsys):
    from incidents.demo import DATA

    call_command(
        "import_areas",
        str(DATA / "lisbon_freguesias.geojson"),
        "--name-property",
        "Freguesia",
        "--code-property",
        "Dicofre",
    )
    assert "24 created" in capsys.readouterr().out
    call_command(
        "import_areas",
        str(DATA / "lisbon_freguesias.geojson"),
        "--name-property",
        "Freguesia",
        "--code-property",
        "Dicofre",
    )
    assert "24 unchanged" in capsys.readouterr().out
