"""The GeoReport v2 server through HTTP: the specification's shapes in XML and JSON (compared
field by field with its examples), only public fields, the filters, and its error format."""

from __future__ import annotations

import json
from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from django.utils import timezone

from incidents import services as incident_services
from incidents.models import Incident, OutboxEvent, PersonalDataAccess, ReporterContact
from open311.models import ServiceAttribute, ServiceSettings
from tests.conftest import ARROIOS, ATLANTIC, BELEM
from tests.integrations.conftest import DATA

from .conftest import BASE, RESIDENT

pytestmark = pytest.mark.django_db

SPEC = DATA / "open311_sf_cfa_ruby_gem"


def _xml(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)  # noqa: S314  (our own output)


def _tags(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


def _spec(name: str) -> ET.Element:
    return ET.parse(SPEC / name).getroot()  # noqa: S314  (a recorded file)


# --- Shapes, field by field with the specification's examples -------------------------------------


def test_services_in_xml_and_json_have_the_spec_fields(api):
    spec_service = _spec("services.xml")[0]

    xml = _xml(api.get(f"{BASE}/services.xml"))
    body = api.get(f"{BASE}/services.json")

    assert xml.tag == "services" and {c.tag for c in xml} == {"service"}
    assert sorted(_tags(xml[0])) == sorted(_tags(spec_service))
    assert body["Content-Type"] == "application/json; charset=utf-8"
    services = body.json()
    assert [s["service_code"] for s in services] == [c.findtext("service_code") for c in xml]
    assert sorted(services[0]) == sorted(_tags(spec_service))
    noise = next(s for s in services if s["service_code"] == "noise")
    assert noise["service_name"] == "Noise"
    assert (noise["metadata"], noise["type"]) == (False, "realtime")


def test_unpublished_category_is_not_offered_and_a_post_to_it_is_a_404(api, post_request):
    from incidents.models import Category

    ServiceSettings.objects.create(category=Category.objects.get(code="theft"), published=False)

    codes = [s["service_code"] for s in api.get(f"{BASE}/services.json").json()]
    response = post_request(service_code="theft")

    assert "theft" not in codes and "noise" in codes
    assert response.status_code == 404
    assert response.json() == [
        {"code": 404, "description": "No service with service_code 'theft'."}
    ]


@pytest.fixture
def noise_definition(db):
    from incidents.models import Category

    service = ServiceSettings.objects.create(
        category=Category.objects.get(code="noise"), service_notice="Uma patrulha passará no local."
    )
    ServiceAttribute.objects.create(
        service=service,
        code="SOURCE",
        datatype="singlevaluelist",
        required=True,
        order=1,
        description="Where does the noise come from?",
        values=[{"key": "bar", "name": "Bar"}, {"key": "home", "name": "Home"}],
    )
    ServiceAttribute.objects.create(
        service=service, code="NIGHTS", datatype="number", order=2, description="How many nights?"
    )
    return service


def test_service_definition_in_xml_and_json_follows_the_spec_nesting(api, noise_definition):
    xml = _xml(api.get(f"{BASE}/services/noise.xml"))
    body = api.get(f"{BASE}/services/noise.json").json()

    # <service_definition><service_code/><attributes><attribute>...<values><value><key/><name/>
    assert xml.tag == "service_definition" and _tags(xml) == ["service_code", "attributes"]
    attribute = xml.find("attributes")[0]
    assert attribute.tag == "attribute"
    assert _tags(attribute) == [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values",
    ]
    assert [(v.findtext("key"), v.findtext("name")) for v in attribute.find("values")] == [
        ("bar", "Bar"),
        ("home", "Home"),
    ]
    assert (attribute.findtext("variable"), attribute.findtext("required")) == ("true", "true")
    assert body["service_code"] == "noise"
    assert body["attributes"][0] == {
        "variable": True,
        "code": "SOURCE",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": None,
        "order": 1,
        "description": "Where does the noise come from?",
        "values": [{"key": "bar", "name": "Bar"}, {"key": "home", "name": "Home"}],
    }
    services = api.get(f"{BASE}/services.json").json()
    assert next(s for s in services if s["service_code"] == "noise")["metadata"] is True
    assert api.get(f"{BASE}/services/nope.json").status_code == 404


def test_post_answers_like_the_spec_example_and_the_request_reads_back_in_both_forms(
    api, post_request, noise_definition
):
    spec_post = _spec("post_service_request.xml")
    spec_get = _spec("get_service_request.xml")

    xml_answer = post_request("xml", **{"attribute[SOURCE]": "bar"})
    json_answer = post_request(**{"attribute[SOURCE]": "home", "attribute[NIGHTS]": "3"})

    assert xml_answer.status_code == json_answer.status_code == 201
    posted = _xml(xml_answer)
    assert (posted.tag, _tags(posted)) == (spec_post.tag, _tags(spec_post))
    assert _tags(posted[0]) == _tags(spec_post[0])
    assert posted[0].findtext("service_notice") == "Uma patrulha passará no local."
    [answer] = json_answer.json()
    assert list(answer) == _tags(spec_post[0])
    assert answer["account_id"] is None
    reference = answer["service_request_id"]

    one_xml = _xml(api.get(f"{BASE}/requests/{reference}.xml"))
    [one_json] = api.get(f"{BASE}/requests/{reference}.json").json()

    assert (one_xml.tag, _tags(one_xml)) == ("service_requests", ["request"])
    assert _tags(one_xml[0]) == _tags(spec_get[0])
    assert list(one_json) == _tags(spec_get[0])
    assert one_json["service_request_id"] == reference
    assert (one_json["status"], one_json["service_code"]) == ("open", "noise")
    assert one_xml[0].findtext("service_request_id") == reference
    incident = Incident.objects.get(reference=reference)
    assert incident.source == "open311:na-minha-rua"
    assert incident.open311_request.attributes == {"SOURCE": "home", "NIGHTS": "3"}


def test_list_in_xml_matches_the_spec_example_and_json_is_its_mapping(api, post_request):
    spec = _spec("service_requests.xml")
    post_request()
    post_request(service_code="vandalism")

    xml = _xml(api.get(f"{BASE}/requests.xml"))
    body = api.get(f"{BASE}/requests.json").json()

    assert (xml.tag, {c.tag for c in xml}) == (spec.tag, {"request"})
    assert len(xml) == len(body) == 2
    for element, item in zip(xml, body, strict=True):
        assert _tags(element) == _tags(spec[0]) == list(item)
        assert element.findtext("service_request_id") == item["service_request_id"]
        assert float(element.findtext("lat")) == item["lat"]
        assert element.findtext("status_notes") == "" and item["status_notes"] is None


def test_discovery_names_the_specification_endpoint_and_formats(api):
    [endpoint] = api.get(f"{BASE}/discovery.json").json()["endpoints"]
    xml = _xml(api.get(f"{BASE}/discovery.xml"))

    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == f"http://testserver{BASE}"
    assert api.get(endpoint["url"] + "/services.json").status_code == 200
    assert [f.text for f in xml.find("endpoints/endpoint/formats")] == [
        "text/xml",
        "application/json",
    ]


# --- Only public fields ---------------------------------------------------------------------------


def test_served_requests_carry_no_reporter_data_and_the_address_only_to_the_street(
    api, post_request
):
    [answer] = post_request().json()
    incident = Incident.objects.get(reference=answer["service_request_id"])
    contact = ReporterContact.objects.get(incident=incident)
    assert (contact.name, contact.email, contact.phone) == (
        "Maria Fonseca",
        RESIDENT["email"],
        RESIDENT["phone"],
    )
    # Collecting the contact is recorded like any other collection of personal data.
    assert PersonalDataAccess.objects.filter(
        incident=incident, action="create", channel="open311:na-minha-rua"
    ).exists()

    served = [
        api.get(f"{BASE}/requests.json").content,
        api.get(f"{BASE}/requests.xml").content,
        api.get(f"{BASE}/requests/{incident.reference}.json").content,
    ]

    [item] = json.loads(served[0])
    assert item["address"] == "Rua de Arroios, Lisboa"
    # About 100 m: the street, not the door.
    assert (item["lat"], item["long"]) == (round(ARROIOS[1], 3), round(ARROIOS[0], 3))
    assert item["description"] is None
    for body in served:
        text = body.decode()
        for secret in ("Maria", "Fonseca", "maria.fonseca", "912 345", "45", "2º", "1150"):
            assert secret not in text, (secret, text)


def test_sensitive_category_is_served_at_its_parish_not_its_street(api, post_request, areas):
    [answer] = post_request(
        service_code="welfare_check", address_string="Rua de Arroios 45, 3º Dto"
    ).json()
    [noise] = post_request().json()

    items = {i["service_request_id"]: i for i in api.get(f"{BASE}/requests.json").json()}

    sensitive = items[answer["service_request_id"]]
    assert sensitive["address"] == "Arroios"
    parish = areas["Arroios"].geom.point_on_surface
    assert (sensitive["lat"], sensitive["long"]) == (round(parish.y, 5), round(parish.x, 5))
    assert items[noise["service_request_id"]]["address"] == "Rua de Arroios, Lisboa"
    # The list of sensitive categories is data: unticking it serves the street again.
    ServiceSettings.objects.filter(category__code="welfare_check").update(generalise_location=False)
    [again] = api.get(f"{BASE}/requests/{answer['service_request_id']}.json").json()
    assert again["address"] == "Rua de Arroios"


@pytest.mark.parametrize(
    ("address", "street"),
    [
        ("Rua de Arroios 45, 2º Esq, 1150-001 Lisboa", "Rua de Arroios, Lisboa"),
        ("Avenida 24 de Julho 100", "Avenida 24 de Julho"),
        ("Rua 1º de Maio nº 3, R/C", "Rua 1º de Maio"),
        ("Av. Almirante Reis, 12-B", "Av. Almirante Reis"),
        ("851  POST ST SAN FRANCISCO , CA ", "POST ST SAN FRANCISCO, CA"),
        ("", ""),
    ],
)
def test_address_is_cut_to_the_street(address, street):
    from open311.public import street_only

    assert street_only(address) == street


def test_internal_notes_never_leave_and_status_notes_do(api, post_request, supervisor):
    [answer] = post_request().json()
    incident = Incident.objects.get(reference=answer["service_request_id"])
    incident_services.incident_add_note(incident=incident, text="Vizinho do 3º já conhecido.")
    incident_services.incident_set_status_notes(incident=incident, text="Patrulha no local às 23h.")

    [item] = api.get(f"{BASE}/requests/{incident.reference}.json").json()

    assert item["status_notes"] == "Patrulha no local às 23h."
    assert "Vizinho" not in api.get(f"{BASE}/requests.xml").content.decode()


# --- Lifecycle, filters and the default window ----------------------------------------------------


def test_status_is_open_until_resolved_and_the_filters_select(api, post_request, supervisor):
    [first] = post_request().json()
    [second] = post_request(service_code="vandalism").json()
    incident = Incident.objects.get(reference=first["service_request_id"])
    for step, public in [
        ("acknowledged", "open"),
        ("dispatched", "open"),
        ("on_scene", "open"),
        ("resolved", "closed"),
    ]:
        if step == "dispatched":  # only a dispatch sends a unit there
            incident_services.incident_dispatch(
                incident=incident, officer=supervisor, actor=supervisor
            )
        else:
            incident_services.incident_transition(
                incident=incident, to_status=step, actor=supervisor
            )
        [item] = api.get(f"{BASE}/requests/{incident.reference}.json").json()
        assert item["status"] == public, step

    def ids(**params) -> list[str]:
        return [i["service_request_id"] for i in api.get(f"{BASE}/requests.json", params).json()]

    both = [first["service_request_id"], second["service_request_id"]]
    assert ids() == both
    assert ids(status="closed") == both[:1]
    assert ids(status="open") == both[1:]
    assert ids(status="open,closed") == both
    assert ids(service_code="vandalism,theft") == both[1:]
    # service_request_id overrides every other argument.
    assert ids(service_request_id=",".join(both), status="open") == both
    assert ids(start_date=(timezone.now() + timedelta(hours=1)).isoformat()) == []


def test_default_window_is_the_most_recent_90_days_and_a_longer_range_is_a_400(api, make_incident):
    old = make_incident(reported_at=timezone.now() - timedelta(days=120))
    recent = make_incident()

    listed = [i["service_request_id"] for i in api.get(f"{BASE}/requests.json").json()]
    response = api.get(
        f"{BASE}/requests.json",
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
    )
    in_range = api.get(
        f"{BASE}/requests.json",
        {"start_date": (timezone.now() - timedelta(days=121)).isoformat()},
    ).json()

    assert listed == [recent.reference]
    assert response.status_code == 400
    assert response.json() == [
        {"code": 400, "description": "end_date: The range may not span more than 90 days."}
    ]
    assert [i["service_request_id"] for i in in_range] == [old.reference]


def test_a_posted_request_reaches_the_live_map_through_the_outbox(post_request):
    before = OutboxEvent.objects.count()

    [answer] = post_request().json()

    event = OutboxEvent.objects.get(
        id__gt=0, entity_id=Incident.objects.get(reference=answer["service_request_id"]).id
    )
    assert OutboxEvent.objects.count() == before + 1
    assert event.kind == "incident.upserted"
    assert event.area_ids  # Arroios' screens get it


def test_requests_list_costs_one_query_whatever_its_length(
    api, post_request, django_assert_num_queries
):
    for _ in range(3):
        post_request()
    post_request(service_code="welfare_check")

    with django_assert_num_queries(1):
        assert len(api.get(f"{BASE}/requests.json").json()) == 4


# --- Errors in the specification's format ---------------------------------------------------------


def test_missing_bad_or_revoked_key_is_a_403_in_the_spec_format_and_creates_nothing(
    post_request, client_app
):
    from open311 import services

    spec = _spec("get_service_request_not_found.xml")
    for key in (None, "", "k311_not-a-key", "revoked"):
        if key == "revoked":
            services.client_revoke(client=client_app[0])
            key = client_app[1]

        response = post_request(api_key=key)
        as_xml = post_request("xml", api_key=key)

        assert response.status_code == as_xml.status_code == 403, key
        [error] = response.json()
        assert list(error) == ["code", "description"] and error["code"] == 403
        errors = _xml(as_xml)
        assert (errors.tag, _tags(errors[0])) == (spec.tag, _tags(spec[0]))
        assert errors[0].findtext("code") == "403"
    assert not Incident.objects.exists()


BAD_INPUT = [
    ({"lat": ATLANTIC[1], "long": ATLANTIC[0]}, "lat"),  # outside the service area
    ({"lat": 95, "long": BELEM[0]}, "lat"),
    ({"lat": "nan", "long": "nan"}, "lat"),
    ({"lat": BELEM[1], "long": None}, "lat"),
    ({"lat": None, "long": None, "address_string": ""}, "lat"),
    ({"lat": None, "long": None, "address_string": "", "address_id": "545483"}, "address_id"),
    ({"email": "not-an-email"}, "email"),
    ({"first_name": "x" * 101}, "first_name"),
    ({"last_name": "Silva\nDROP"}, "last_name"),
    ({"phone": "call me maybe"}, "phone"),
    ({"phone": "9" * 31}, "phone"),
    ({"description": "x" * 4001}, "description"),
    ({"media_url": "javascript:alert(1)"}, "media_url"),
    ({"service_code": ""}, "service_code"),
    ({"attribute[SOURCE]": "bar"}, "attribute[SOURCE]"),  # noise has no attributes here
    ({"attribute": "bar"}, "attribute"),
]


def test_bad_input_is_a_400_naming_the_field_and_creates_nothing(post_request):
    for fields, field in BAD_INPUT:
        response = post_request(**fields)

        assert response.status_code == 400, (fields, response.content)
        errors = response.json()
        assert all(list(e) == ["code", "description"] and e["code"] == 400 for e in errors)
        assert any(e["description"].startswith(f"{field}: ") for e in errors), (fields, errors)
    assert not Incident.objects.exists()


def test_attributes_are_checked_against_the_definition(post_request, noise_definition):
    for attributes, field in [
        ({}, "attribute[SOURCE]"),  # required
        ({"attribute[SOURCE]": "shop"}, "attribute[SOURCE]"),
        ({"attribute[SOURCE]": ["bar", "home"]}, "attribute[SOURCE]"),  # one value only
        ({"attribute[SOURCE]": "bar", "attribute[NIGHTS]": "many"}, "attribute[NIGHTS]"),
        ({"attribute[SOURCE]": "bar", "attribute[OTHER]": "1"}, "attribute[OTHER]"),
    ]:
        response = post_request(**attributes)

        assert response.status_code == 400, attributes
        assert response.json()[0]["description"].startswith(f"{field}: "), attributes
    assert not Incident.objects.exists()


def test_unknown_request_or_service_is_a_404_in_the_spec_format(api):
    response = api.get(f"{BASE}/requests/OC-1999-000001.xml")

    assert response.status_code == 404
    errors = _xml(response)
    assert errors.tag == "errors" and errors[0].findtext("code") == "404"
    # Odd ids (a NUL byte PostgreSQL refuses) are unknown too, never a 500.
    for url in ("requests/%00.json", "services/%00.json", "services/a%20b.xml"):
        assert api.get(f"{BASE}/{url}").status_code == 404, url
    assert api.get(f"{BASE}/requests.json", {"service_code": "a\x00"}).status_code == 400


def test_posts_are_throttled_per_key(post_request, settings):
    settings.KOBAN_OPEN311_RATE_KEY = "2/hour"

    answers = [post_request().status_code for _ in range(3)]

    assert answers == [201, 201, 429]
    assert Incident.objects.count() == 2


def test_posting_needs_no_session_and_no_csrf_token(client_app, areas):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"{BASE}/requests.json",
        {"api_key": client_app[1], "service_code": "noise", "address_string": "Rua do Benformoso"},
    )

    assert response.status_code == 201, response.content
