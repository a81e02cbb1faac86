"""API fixtures: token clients per role, and a small Arroios/Belém scene built by services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from dashboard.security import tokens
from tests.conftest import ARROIOS, BELEM

ARROIOS_BBOX = "-9.145,38.72,-9.125,38.735"
REPORTER = {"name": "Maria Santos", "phone": "+351 912 345 678", "email": "maria@example.pt"}


@pytest.fixture(scope="package", autouse=True)
def _lisbon_areas_once(django_db_setup, django_db_blocker):
    """Import the parishes once for the whole API package (committed), not once per test
    (1.5 s each), and remove them afterwards so other packages find the database as usual.
    The shared `areas` fixture reuses them; a flush (transactional test) just re-imports."""
    from incidents.demo import DATA, MUNICIPALITY_CODE
    from incidents.models import Area
    from incidents.services import area_import_geojson

    with django_db_blocker.unblock():
        imported = not Area.objects.exists()
        if imported:
            area_import_geojson(
                path=DATA / "lisbon_freguesias.geojson",
                name_property="Freguesia",
                code_property="Dicofre",
                parent_code=MUNICIPALITY_CODE,
                parent_name="Lisboa",
            )
    yield
    with django_db_blocker.unblock():
        if imported:
            Area.objects.filter(parent__isnull=False).delete()
            Area.objects.all().delete()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 costs 0.6 s per user made; these tests are about the API, not the hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client_for(db):
    """An API client authenticated with a token, as a machine client would be."""

    def make(user=None) -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        if user is not None:
            _, token = tokens.api_token_create(user=user, name="tests")
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return make


@pytest.fixture
def anon(client_for):
    return client_for(None)


@pytest.fixture
def incident(make_incident):
    """An Arroios noise incident with a reporter's contact (personal data)."""
    return make_incident(
        ARROIOS,
        title="Música alta no 3.º esquerdo",
        address="Rua Morais Soares 10",
        priority="high",
        reporter=dict(REPORTER),
    )


@pytest.fixture
def belem_incident(make_incident):
    return make_incident(BELEM, title="Grafitos no muro", category="vandalism")


@pytest.fixture
def concern(areas, supervisor, point):
    from incidents import services

    return services.concern_create(
        actor=supervisor,
        title="Bar da esquina: ruído às sextas",
        category="noise",
        location=point(ARROIOS),
    )


@pytest.fixture
def patrol(areas, officer):
    from incidents import services

    return services.patrol_create(
        call_sign="LX-01", kind="car", area=areas["Arroios"], members=[officer]
    )


@pytest.fixture
def tomorrow():
    return timezone.now() + timedelta(days=1)
