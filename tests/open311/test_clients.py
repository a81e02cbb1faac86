"""Koban's Open311 server against clients it did not write, over real HTTP (live_server): a
GeoReport v2 client library from PyPI (civicbot), and Koban's own Open311 adapter (round trip)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from civicbot import Open311Client, Open311Error
from civicbot.http import HttpError, HttpTransport, RateLimiter
from civicbot.registry import Endpoint
from django.utils import timezone

from incidents import services as incident_services
from incidents.models import Category, Incident
from integrations import services as integration_services
from integrations.models import RejectedRecord, SyncRun
from open311 import services
from residents import services as resident_services
from residents.models import ResidentMessage
from tests.conftest import ARROIOS, ATLANTIC, BELEM

from .conftest import RESIDENT

LOOPBACK = ["127.0.0.0/8", "::1/128"]


@pytest.fixture
def client_key(areas) -> str:
    return services.client_create(name="na-minha-rua")[1]


@pytest.fixture
def library(live_server) -> Open311Client:
    endpoint = Endpoint(
        id="koban", name="Koban", base_url=f"{live_server.url}/open311/v2", write=True
    )
    return Open311Client(endpoint, transport=HttpTransport(rate_limiter=RateLimiter(0)))


def test_a_pypi_client_lists_posts_reads_back_and_sees_the_outcome(library, client_key, supervisor):
    services_offered = library.list_services()
    assert {"noise", "neighbour_dispute", "welfare_check"} <= {
        s["service_code"] for s in services_offered
    }

    sent = library.create_request(
        "noise",
        dry_run=False,
        confirm="SEND",
        api_key=client_key,
        validate_remote=True,  # the library checks its payload against our service list
        lat=ARROIOS[1],
        lng=ARROIOS[0],
        address_string="Rua de Arroios 45",
        description="Música alta todas as noites depois das 2h.",
        **RESIDENT,
    )

    [answer] = sent.response
    reference = answer["service_request_id"]
    incident = Incident.objects.get(reference=reference)
    assert incident.source == "open311:na-minha-rua"
    assert incident.reporter.email == RESIDENT["email"]
    by_id = library.get_request(reference)
    assert (by_id["status"], by_id["service_code"], by_id["address"]) == (
        "open",
        "noise",
        "Rua de Arroios",
    )
    now = timezone.now()
    in_range = library.list_requests(
        start_date=(now - timedelta(hours=1)).isoformat(),
        end_date=(now + timedelta(hours=1)).isoformat(),
    )
    assert [r["service_request_id"] for r in in_range] == [reference]
    assert library.list_requests(start_date=(now + timedelta(hours=1)).isoformat()) == []

    # The officer completes the "tell the resident" follow-up, sends the drafted message, and
    # resolves the incident: the outcome is what the client is told.
    followup = incident_services.followup_assign(
        actor=supervisor,
        incident=incident,
        title="Falar com o bar e informar a munícipe",
        due_at=timezone.now() + timedelta(days=1),
        assignee=supervisor,
        tell_resident=True,
    )
    incident_services.followup_complete(
        followup=followup, actor=supervisor, outcome="O bar foi advertido e a música parou."
    )
    message = ResidentMessage.objects.get(followup=followup)
    resident_services.message_send(message=message, actor=supervisor, link_base="http://testserver")
    for step in ("acknowledged", "resolved"):
        incident_services.incident_transition(incident=incident, to_status=step, actor=supervisor)

    closed = library.get_request(reference)
    assert closed["status"] == "closed"
    assert closed["status_notes"] == "O bar foi advertido e a música parou."
    assert [r["service_request_id"] for r in library.list_requests(status="closed")] == [reference]


def test_the_pypi_client_gets_403_for_a_bad_key_and_400_for_a_bad_location(library, client_key):
    with pytest.raises(HttpError) as bad_key:
        library.create_request(
            "noise", dry_run=False, confirm="SEND", api_key="k311_wrong", lat=BELEM[1], lng=BELEM[0]
        )
    with pytest.raises(HttpError) as bad_place:
        library.create_request(
            "noise",
            dry_run=False,
            confirm="SEND",
            api_key=client_key,
            lat=ATLANTIC[1],
            lng=ATLANTIC[0],
        )

    assert bad_key.value.status == 403
    assert json.loads(bad_key.value.body) == [
        {
            "code": 403,
            "description": "Invalid api_key received -- can't proceed with create_request.",
        }
    ]
    assert bad_place.value.status == 400
    assert json.loads(bad_place.value.body) == [
        {"code": 400, "description": "lat: This location is outside the service area."}
    ]
    assert not Incident.objects.exists()
    with pytest.raises(Open311Error):  # and the library itself refuses to send without a key
        library.create_request("noise", dry_run=False, confirm="SEND", lat=BELEM[1], lng=BELEM[0])


def test_koban_adapter_imports_what_koban_serves_with_nothing_rejected(
    live_server, client_key, make_incident, supervisor, settings
):
    settings.KOBAN_SOURCES_ALLOWED_NETWORKS = list(LOOPBACK)
    services_posted = [("noise", ARROIOS), ("welfare_check", ARROIOS), ("vandalism", BELEM)]
    for code, place in services_posted:
        services.service_request_create(
            client=_client(),
            service_code=code,
            location=_point(place),
            address_string="Rua de Arroios 45",
        )
    closed = make_incident(BELEM, category="theft")
    for step in ("acknowledged", "resolved", "closed"):
        incident_services.incident_transition(incident=closed, to_status=step, actor=supervisor)
    incident_services.incident_set_status_notes(incident=closed, text="Objeto devolvido.")
    make_incident(None, category="neighbour_dispute", address="Rua da Palma 12")  # not located
    served = Incident.objects.count()
    codes = {code: code for code in Category.objects.values_list("code", flat=True)}

    for name, fmt in (("koban-json", "json"), ("koban-xml", "xml")):
        source = integration_services.source_create(
            name=name,
            adapter="open311",
            config={
                "endpoint": f"{live_server.url}/open311/v2",
                "format": fmt,
                "service_categories": codes,
                "status_map": {"open": "new", "closed": "closed"},
            },
        )
        run = integration_services.run_inline(source=source)

        assert (run.status, run.error) == (SyncRun.Status.SUCCEEDED, "")
        assert (run.fetched, run.created, run.rejected) == (served, served, 0)
        assert not RejectedRecord.objects.filter(source=source).exists()
        imported = Incident.objects.filter(source=name)
        assert set(imported.values_list("external_id", flat=True)) >= {closed.reference}
        copy = imported.get(external_id=closed.reference)
        assert (copy.status, copy.category.code) == ("closed", "theft")
        assert "Objeto devolvido." in copy.description
        served = Incident.objects.count()  # the next source reads these too


def _client():
    from open311.models import ClientApplication

    return ClientApplication.objects.get(name="na-minha-rua")


def _point(lonlat):
    from django.contrib.gis.geos import Point

    return Point(*lonlat, srid=4326)
