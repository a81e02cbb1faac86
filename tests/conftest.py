"""Shared fixtures: real PostGIS, real Redis; Lisbon parishes and one user per role."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
# Browser tests drive sync Playwright inside pytest's event-loop-free thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "1")


@pytest.fixture(autouse=True)
def _own_throttle_counts(settings):
    """API throttle counts live in Redis: each test counts under its own key prefix, so what
    earlier tests or runs counted never turns into a 429 (the keys expire on their own)."""
    from uuid import uuid4

    settings.CACHES = {
        **settings.CACHES,
        "throttle": {**settings.CACHES["throttle"], "KEY_PREFIX": f"test-{uuid4().hex}"},
    }


def force_login_verified(client, user):
    """`client.force_login(user)` in a session verified with a second factor (a confirmed TOTP
    device), as after the code step: administrators and the admin need one."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


@pytest.fixture
def areas(db):
    """Lisbon's 24 parishes (and the municipality) as areas, keyed by name."""
    from incidents.demo import DATA, MUNICIPALITY_CODE
    from incidents.models import Area
    from incidents.services import area_import_geojson

    if not Area.objects.filter(kind=Area.Kind.PARISH).exists():
        area_import_geojson(
            path=DATA / "lisbon_freguesias.geojson",
            name_property="Freguesia",
            code_property="Dicofre",
            parent_code=MUNICIPALITY_CODE,
            parent_name="Lisboa",
        )
    return {a.name: a for a in Area.objects.all()}


def _user(username: str, role: str, area_objs=()):
    from django.contrib.auth import get_user_model

    from incidents.models import OfficerProfile
    from incidents.setup import ensure_groups

    ensure_groups()
    user = get_user_model().objects.create_user(
        username=username, password="pw-" + username, first_name=username.title()
    )
    user.groups.add(Group.objects.get(name=role))
    profile = OfficerProfile.objects.create(user=user)
    profile.areas.set(area_objs)
    return user


@pytest.fixture
def make_user(db):
    return _user


@pytest.fixture
def supervisor(db):
    return _user("chefe", "Supervisor")


@pytest.fixture
def administrator(db):
    return _user("admin1", "Administrator")


@pytest.fixture
def integrator(db):
    return _user("tecnico", "Integrator")


@pytest.fixture
def auditor(db):
    return _user("auditor", "Auditor")


@pytest.fixture
def officer(areas):
    """An officer of Arroios."""
    return _user("agente", "Officer", [areas["Arroios"]])


@pytest.fixture
def other_officer(areas):
    """An officer of Belém, who must not see Arroios' items."""
    return _user("agente2", "Officer", [areas["Belém"]])


# Points well inside parishes (checked against the CAOP boundaries).
ARROIOS = (-9.1345, 38.7255)
BELEM = (-9.2050, 38.6975)
ATLANTIC = (-9.60, 38.60)


@pytest.fixture
def point():
    from django.contrib.gis.geos import Point

    def make(lonlat):
        return Point(*lonlat, srid=4326)

    return make


@pytest.fixture
def make_incident(areas, supervisor, point):
    from incidents import services

    def make(lonlat=ARROIOS, **kwargs):
        kwargs.setdefault("category", "noise")
        kwargs.setdefault("actor", supervisor)
        return services.incident_create(location=point(lonlat) if lonlat else None, **kwargs)

    return make


@pytest.fixture
def one_of_each(make_incident, supervisor, areas, point):
    """One object of each kind an API path names, keyed by the path's collection."""
    from incidents import services as incident_services
    from integrations.models import Source, SyncRun

    incident = make_incident(ARROIOS)
    concern = incident_services.concern_create(
        actor=supervisor, title="Ruído", category="noise", location=point(ARROIOS)
    )
    patrol = incident_services.patrol_create(call_sign="LX-9", kind="car")
    followup = incident_services.followup_assign(
        actor=supervisor,
        incident=incident,
        title="Voltar ao local",
        due_at=timezone.now() + timedelta(days=1),
        assignee=supervisor,
    )
    # Only its id matters to the tests over every endpoint.
    source = Source.objects.create(name="Ficheiro", adapter="csv", config={}, enabled=False)
    run = SyncRun.objects.create(source=source, trigger=SyncRun.Trigger.MANUAL)
    # Issue 16: a waiting repeat-place proposal, made directly (the job needs three incidents).
    from incidents.models import RepeatPlaceProposal

    proposal = RepeatPlaceProposal.objects.create(
        category=incident.category,
        signature="one-of-each",
        place=point(ARROIOS).buffer(0.001),
        centre=point(ARROIOS),
        first_reported_at=incident.reported_at,
        last_reported_at=incident.reported_at,
        reason="Test.",
    )
    proposal.incidents.set([incident])
    return {
        "repeat-places": proposal.pk,
        "runs": run.pk,
        "incidents": incident.pk,
        "concerns": concern.pk,
        "patrols": patrol.pk,
        "followups": followup.pk,
        "sources": source.pk,
    }


def fill_path(template: str, objects: dict[str, int]) -> str:
    """An OpenAPI path template with each {id} replaced by the object of its collection."""

    def fill(match: re.Match[str]) -> str:
        collection = template[: match.start()].rstrip("/").rsplit("/", 1)[-1]
        return str(objects[collection])

    return re.sub(r"\{[^}]+\}", fill, template)


def api_operations() -> list[tuple[str, str, dict]]:
    """(method, path template, operation) of every operation in the OpenAPI schema, so that
    tests over "every endpoint" cover a new one without being touched."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method, path, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    ]
