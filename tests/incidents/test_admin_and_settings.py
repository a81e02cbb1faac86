"""Django admin works for every model; settings refuse bad values at start-up."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.conftest import ROOT, force_login_verified


@pytest.mark.django_db
def test_admin_changelist_and_add_pages_load_for_every_model(client, administrator, make_incident):
    make_incident()
    administrator.is_staff = administrator.is_superuser = True
    administrator.save()
    force_login_verified(client, administrator)
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert client.get(url).status_code == 200, url
        if model_admin.has_add_permission(type("R", (), {"user": administrator})()):
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
            assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_admin_map_widget_serves_openlayers_locally(client, administrator, areas):
    administrator.is_staff = administrator.is_superuser = True
    administrator.save()
    force_login_verified(client, administrator)
    page = client.get(reverse("admin:incidents_area_change", args=[areas["Arroios"].pk]))
    html = page.content.decode()
    assert "vendor/ol/ol.js" in html
    assert "cdn." not in html


def test_incident_created_in_admin_goes_through_the_service(client, administrator, areas, db):
    from django.contrib.gis.geos import Point

    from incidents.models import Category, Incident

    # The map widget posts web-mercator coordinates, as a browser would.
    mercator = Point(-9.1345, 38.7255, srid=4326).transform(3857, clone=True)

    administrator.is_staff = administrator.is_superuser = True
    administrator.save()
    force_login_verified(client, administrator)
    response = client.post(
        reverse("admin:incidents_incident_add"),
        {
            "category": Category.objects.get(code="noise").pk,
            "priority": "high",
            "title": "Música alta",
            "location": mercator.json,
            "reported_at_0": "2026-11-20",
            "reported_at_1": "22:00:00",
            "timeline-TOTAL_FORMS": "0",
            "timeline-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    incident = Incident.objects.get()
    assert incident.area.name == "Arroios"
    assert incident.reference.startswith("OC-2026-")
    assert incident.timeline.filter(kind="created").count() == 1


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DATABASE_URL", "mysql://x@localhost/koban", "postgis://"),
        ("TIME_ZONE", "Europe/Atlantis", "TIME_ZONE"),
        ("DEBUG", "maybe", "DEBUG"),
        ("LANGUAGE_CODE", "pt-br", "LANGUAGE_CODE"),
    ],
)
def test_settings_fail_loudly_on_bad_values(name, value, message):
    env = {**os.environ, name: value}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']="
            "'koban.settings'; django.setup()",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.django_db
def test_administrators_may_revoke_tokens_and_unlock_people_on_a_fresh_database():
    """The test database is made by one `migrate`, as a new deployment's is: the role groups
    must already carry the permissions of apps migrated after incidents."""
    from django.contrib.auth.models import Group

    from incidents import roles

    codenames = set(
        Group.objects.get(name=roles.ADMINISTRATOR).permissions.values_list(
            "content_type__app_label", "codename"
        )
    )
    assert ("dashboard", "delete_apitoken") in codenames
    assert ("axes", "delete_accessattempt") in codenames
    assert ("otp_totp", "delete_totpdevice") in codenames


@pytest.mark.django_db
def test_reporters_contacts_are_not_in_the_admin_and_no_admin_page_shows_one(
    client, administrator, make_incident
):
    from incidents.models import PersonalDataAccess, ReporterContact

    incident = make_incident(reporter={"name": "Maria Almeida", "phone": "912345678"})
    administrator.is_staff = administrator.is_superuser = True
    administrator.save()
    force_login_verified(client, administrator)

    assert ReporterContact not in admin.site._registry
    assert client.get("/admin/incidents/reportercontact/").status_code == 404
    pages = [
        reverse("admin:incidents_incident_change", args=[incident.pk]),
        reverse("admin:incidents_incident_changelist"),
        reverse("admin:incidents_personaldataaccess_changelist"),
        reverse("admin:incidents_timelineentry_changelist"),
    ]
    for url in pages:
        text = client.get(url).content.decode()
        assert "Maria Almeida" not in text and "912345678" not in text, url
    assert not PersonalDataAccess.objects.filter(action="view").exists()
