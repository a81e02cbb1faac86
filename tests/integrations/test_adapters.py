"""GeoJSON / OGC API - Features, CSV, vehicle positions and SensorThings, each against real
(or, for SensorThings, spec-shaped) payloads served over loopback HTTP."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from incidents import services as domain
from incidents.models import Incident, NeighbourhoodConcern, OutboxEvent, PatrolPosition
from integrations import services
from integrations.models import SyncRun

from .conftest import DATA

pytestmark = pytest.mark.django_db

POIS = DATA / "lisbon_cml_pois_seguranca_socorro" / "lisbon_police_security_pois.geojson"
SFPD = DATA / "sfpd_incidents_2016_sample" / "sfpd_incidents_2016_first3000.csv"
AVL = DATA / "avl_capmetro_austin_vehicle_positions" / "capmetro_vehicle_positions_2015-12-30.csv"
STA = DATA / "sensorthings_noise_constructed"


# --- GeoJSON / OGC API - Features ------------------------------------------------------------


def serve_ogc_items(feed, path: str = "/ogc/collections/police/items") -> None:
    """Lisbon's police points as an OGC API - Features collection, paged with next links."""
    features = json.loads(POIS.read_bytes())["features"]

    def items(hit):
        limit = int(hit.query.get("limit", ["10"])[0])
        offset = int(hit.query.get("offset", ["0"])[0])
        page = features[offset : offset + limit]
        links = [{"rel": "self", "href": feed.url(path), "type": "application/geo+json"}]
        if offset + limit < len(features):
            links.append(
                {
                    "rel": "next",
                    "type": "application/geo+json",
                    "href": f"{path}?limit={limit}&offset={offset + limit}",
                }
            )
        body = {
            "type": "FeatureCollection",
            "numberMatched": len(features),
            "numberReturned": len(page),
            "features": page,
            "links": links,
        }
        return 200, {"Content-Type": "application/geo+json"}, json.dumps(body).encode()

    feed.route(path, items)


def geojson_config(feed) -> dict:
    return {
        "url": feed.url("/ogc/collections/police/items"),
        "limit": 25,
        "fields": {"external_id": "GlobalID", "title": "{NOME}", "address": "MORADA"},
        "categories": {"default": "public_order"},
    }


def test_ogc_features_pages_are_followed_and_features_land_in_their_parish(
    feed, make_source, run_sync, areas
):
    serve_ogc_items(feed)
    source = make_source("police-points", "geojson", geojson_config(feed))

    run = run_sync(source)

    assert (run.status, run.fetched, run.created, run.rejected) == ("succeeded", 90, 90, 0)
    assert [h.query.get("offset") for h in feed.hits] == [None, ["25"], ["50"], ["75"]]
    first = Incident.objects.get(
        source="police-points", external_id="5eab4966-e96d-463b-9306-27972be2fd90"
    )
    assert (first.title, first.area.name) == ("19ª Esquadra LX", "Lumiar")
    assert first.address == "Rua Professor Luís Reis dos Santos, Lote H - 4 R/C"
    assert Incident.objects.filter(source="police-points", area__isnull=True).count() == 0
    stored = SyncRun.objects.get(pk=run.pk)
    assert (stored.fetched, stored.processed, stored.created) == (90, 90, 90)
    assert stored.started_at <= stored.finished_at
    assert run_sync(source).unchanged == 90


# --- CSV -----------------------------------------------------------------------------------


def sfpd_config(**extra) -> dict:
    return {
        "fields": {
            "external_id": "PdId",
            "title": "{Category}: {Descript}",
            "description": "{Descript} ({Resolution}, {PdDistrict})",
            "address": "Address",
            "category": "Category",
            "status": "Resolution",
            "reported_at": "{Date:.10} {Time}",
        },
        "categories": {
            "LARCENY/THEFT": "theft",
            "VEHICLE THEFT": "theft",
            "VANDALISM": "vandalism",
            "ASSAULT": "public_order",
            "default": "other",
        },
        "status_map": {"NONE": "new", "default": "closed"},
        "date_format": "%m/%d/%Y %H:%M",
        "timezone": "America/Los_Angeles",
        **extra,
    }


def sfpd_rows(count: int) -> bytes:
    lines = SFPD.read_bytes().splitlines(keepends=True)
    return b"".join(lines[: count + 1])


def test_sfpd_csv_from_a_url_with_a_lat_lon_column_and_date_formats(feed, make_source, run_sync):
    feed.serve("/data/sfpd.csv", sfpd_rows(150), content_type="text/csv")
    config = sfpd_config(url=feed.url("/data/sfpd.csv"), latlon="Location")
    source = make_source("sfpd", "csv", config)

    run = run_sync(source)

    assert (run.status, run.fetched, run.created, run.rejected) == ("succeeded", 150, 150, 0)
    weapon = Incident.objects.get(source="sfpd", external_id="12005827212120")
    assert weapon.title == "WEAPON LAWS: POSS OF PROHIBITED WEAPON"
    assert weapon.description == "POSS OF PROHIBITED WEAPON (ARREST, BOOKED, SOUTHERN)"
    assert weapon.category.code == "other"
    assert weapon.status == "closed"
    # 01/29/2016 11:00 in San Francisco.
    assert weapon.reported_at == datetime(2016, 1, 29, 19, 0, tzinfo=UTC)
    assert (round(weapon.location.x, 6), round(weapon.location.y, 6)) == (-122.403405, 37.775421)
    rows = list(csv.DictReader(io.StringIO(sfpd_rows(150).decode())))
    thefts = sum(r["Category"] in ("LARCENY/THEFT", "VEHICLE THEFT") for r in rows)
    assert Incident.objects.filter(source="sfpd", category__code="theft").count() == thefts
    opened = sum(r["Resolution"] == "NONE" for r in rows)
    assert Incident.objects.filter(source="sfpd", status="new").count() == opened


def test_an_uploaded_csv_with_coordinate_columns_is_imported_by_the_worker_task(
    make_source, eager_celery, django_capture_on_commit_callbacks, integrator
):
    source = make_source("sfpd-upload", "csv", sfpd_config(longitude="X", latitude="Y"))
    data = sfpd_rows(30)
    broken = data + b"999,ASSAULT,BATTERY,Friday,13/45/2016 12:00:00 AM,25:99,X,NONE,Somewhere\n"

    with django_capture_on_commit_callbacks(execute=True):
        run, _ = services.run_now(source=source, user=integrator, upload=broken, name="sfpd.csv")

    run.refresh_from_db()
    assert (run.trigger, run.status, run.created, run.rejected) == ("upload", "partial", 30, 1)
    assert run.upload is None  # the file is not kept once the run has read it
    reason = source.rejected_records.get().reason
    assert reason == "the row ends early; no value for X, Y, Location, PdId."


def test_a_csv_missing_a_mapped_column_fails_the_run_naming_the_key(feed, make_source, run_sync):
    feed.serve("/data/sfpd.csv", sfpd_rows(5), content_type="text/csv")
    config = sfpd_config(url=feed.url("/data/sfpd.csv"), longitude="LON", latitude="Y")
    source = make_source("sfpd", "csv", config)

    run = run_sync(source)

    assert run.status == "failed"
    assert "config.longitude: no column 'LON'" in run.error
    assert not Incident.objects.exists()


# --- Vehicle positions ----------------------------------------------------------------------

AUSTIN_TO_LISBON = {"offset_lat": 8.4438, "offset_lon": 88.6065}


def avl_config(feed, **extra) -> dict:
    latest = max(r["timestamp"] for r in csv.DictReader(AVL.open()))
    shift = timezone.now() - timedelta(minutes=1) - datetime.fromisoformat(latest)
    return {
        "url": feed.url("/avl/positions.csv"),
        "fields": {"speed": "speed"},
        "speed_unit": "m/s",
        "time_offset_seconds": int(shift.total_seconds()),
        **AUSTIN_TO_LISBON,
        **extra,
    }


def test_bus_fixes_shifted_into_lisbon_move_the_patrols_carrying_those_vehicles(
    feed, make_source, run_sync, areas
):
    feed.serve_file("/avl/positions.csv", AVL, content_type="text/csv")
    car = domain.patrol_create(call_sign="LX-21", kind="car", vehicle_id="5008")
    bike = domain.patrol_create(call_sign="LX-40", kind="motorbike", vehicle_id="5062")
    source = make_source("tracker", "avl", avl_config(feed))
    before = OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    run = run_sync(source)

    # 679 fixes of 172 buses; 46 each belong to the two patrols' vehicles.
    assert (run.status, run.fetched, run.created, run.skipped, run.rejected) == (
        "succeeded",
        679,
        92,
        587,
        0,
    )
    car.refresh_from_db()
    assert PatrolPosition.objects.filter(patrol=car).count() == 46
    # The last fix of bus 5008 (30.41848, -97.66868 at 00:52:02 CST), shifted.
    assert (round(car.last_position.y, 4), round(car.last_position.x, 4)) == (38.8623, -9.0622)
    shift = timedelta(seconds=source.config["time_offset_seconds"])
    assert car.last_position_at == datetime.fromisoformat("2015-12-30T00:52:02-06:00") + shift
    fix = PatrolPosition.objects.filter(patrol=bike).order_by("recorded_at").first()
    assert fix.source == "tracker"
    first_fix = next(r for r in csv.DictReader(AVL.open()) if r["vehicle_id"] == "5062")
    assert fix.speed_kmh == round(float(first_fix["speed"]) * 3.6, 2)
    assert OutboxEvent.objects.filter(id__gt=before, kind="patrol.moved").count() == 92

    again = run_sync(source)
    assert (again.created, again.unchanged, again.skipped) == (0, 92, 587)


def test_unknown_vehicles_can_be_rejected_and_json_feeds_are_read_by_path(
    feed, make_source, run_sync
):
    firsts: dict[str, dict] = {}
    for row in csv.DictReader(AVL.open()):
        firsts.setdefault(row["vehicle_id"], row)
    rows = list(firsts.values())[:5]
    feed.serve("/avl/positions.json", {"data": {"vehicles": rows}})
    domain.patrol_create(call_sign="LX-01", kind="car", vehicle_id=rows[0]["vehicle_id"])
    config = avl_config(
        feed,
        url=feed.url("/avl/positions.json"),
        format="json",
        records_path="data.vehicles",
        unknown_vehicles="reject",
    )
    source = make_source("tracker", "avl", config)

    run = run_sync(source)

    assert (run.status, run.created, run.rejected) == ("partial", 1, 4)
    assert {r.reason for r in source.rejected_records.all()} == {
        f"no patrol carries vehicle id '{r['vehicle_id']}'."
        for r in rows
        if r["vehicle_id"] != rows[0]["vehicle_id"]
    }


# --- SensorThings ---------------------------------------------------------------------------


def serve_sensorthings(feed, observations: list | None = None) -> None:
    base = feed.url("/sta/v1.1")

    def load(name: str) -> dict:
        text = (STA / name).read_text().replace("http://sensors.example/FROST-Server/v1.1", base)
        return json.loads(text)

    feed.serve("/sta/v1.1/Datastreams(7)", load("datastream_7.json"))
    pages = [load("observations_page1.json"), load("observations_page2.json")]
    if observations is not None:
        pages = [{"value": observations}]

    def page(hit):
        index = 1 if hit.query.get("$skip") == ["20"] and len(pages) > 1 else 0
        return 200, {"Content-Type": "application/json"}, json.dumps(pages[index]).encode()

    feed.route("/sta/v1.1/Datastreams(7)/Observations", page)


def sensor_config(feed) -> dict:
    return {
        "endpoint": feed.url("/sta/v1.1"),
        "datastreams": [7],
        "rule": {"threshold": 65, "from_time": "23:00", "until_time": "07:00"},
        "concern": {"title": "Night-time noise at {sensor}", "category": "noise"},
    }


def test_night_noise_above_the_threshold_opens_one_concern_and_notes_each_breach(
    feed, make_source, run_sync, areas
):
    serve_sensorthings(feed)
    source = make_source("noise", "sensorthings", sensor_config(feed))

    run = run_sync(source)

    # 40 quarter-hours; 9 are above 65 dB(A) between 23:00 and 07:00 Lisbon time.
    assert (run.status, run.fetched, run.created, run.updated, run.skipped) == (
        "succeeded",
        40,
        1,
        8,
        31,
    )
    concern = NeighbourhoodConcern.objects.get(source="noise", external_id="datastream:7")
    assert concern.title == "Night-time noise at Sound level meter Rua da Atalaia"
    assert (concern.raised_by, concern.category.code, concern.area.name) == (
        "sensor",
        "noise",
        "Misericórdia",
    )
    notes = list(concern.timeline.filter(kind="note").values_list("text", flat=True))
    assert len(notes) == 9
    assert notes[0] == (
        "Sound level meter Rua da Atalaia: 66.3 dB(A) at 2024-06-14 23:45 "
        "(above 65 dB(A); observation 5007)."
    )
    source.refresh_from_db()
    assert source.cursor == {"since": {"7": "2024-06-15T07:00:00Z"}}

    # The server ignores $filter and sends the night again: nothing is noted twice.
    again = run_sync(source)
    assert (again.fetched, again.updated) == (0, 0)
    asked = [h.query.get("$filter") for h in feed.hits if h.path.endswith("/Observations")]
    assert asked == [None, None, ["phenomenonTime gt 2024-06-15T07:00:00Z"], None]


def test_a_new_breach_reopens_a_closed_sensor_concern(feed, make_source, run_sync, areas):
    serve_sensorthings(feed)
    source = make_source("noise", "sensorthings", sensor_config(feed))
    run_sync(source)
    concern = NeighbourhoodConcern.objects.get(source="noise")
    domain.concern_transition(
        concern=concern, to_status="closed", assessment_note="Sem ruído há uma semana."
    )
    serve_sensorthings(
        feed,
        [
            {
                "@iot.id": 9001,
                "phenomenonTime": "2024-06-21T23:00:00.000Z/2024-06-21T23:15:00.000Z",
                "result": 70.4,
            }
        ],
    )

    run = run_sync(source)

    concern.refresh_from_db()
    assert (run.updated, concern.status) == (1, "open")
    assert concern.timeline.filter(kind="status", to_status="open").count() == 1
    assert concern.timeline.filter(kind="note").count() == 10
