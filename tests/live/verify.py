"""Zulip's `verify_action` for Koban: a world with one user per role, a change of each kind
through its service, and what a dashboard does with its REST snapshot and the events it gets.
Used by test_verify_action.py (addressing, every case) and test_verify_action_feed.py (the real
consumer)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.gis.geos import Point
from django.test import Client
from django.utils import timezone

from incidents import services
from incidents.models import FollowUp, Incident, NeighbourhoodConcern, Patrol
from tests.conftest import ARROIOS, BELEM

# What each snapshot keeps: the fields the dashboard shows that events carry too.
FIELDS = {
    "incident": (
        "reference",
        "title",
        "category",
        "priority",
        "status",
        "area",
        "address",
        "concern",
        "reported_at",
        "updated_at",
        "location",
    ),
    "concern": (
        "reference",
        "title",
        "category",
        "priority",
        "status",
        "area",
        "next_review_on",
        "updated_at",
        "location",
    ),
    "patrol": ("call_sign", "kind", "status", "area", "position_at", "location"),
    # Issue 16's layer (supervisors only): waiting proposals.
    "repeat_place": (
        "status",
        "category",
        "incident_count",
        "radius_m",
        "area",
        "reason",
        "first_reported_at",
        "last_reported_at",
        "updated_at",
    ),
    "followup": (
        "title",
        "incident",
        "concern",
        "assignee",
        "assignee_patrol",
        "due_at",
        "status",
        "tell_resident",
        "updated_at",
    ),
}
GEOJSON = {"incident": "incidents", "concern": "concerns", "patrol": "patrols"}
ROLES = ("officer_a", "officer_b", "crew", "supervisor", "integrator")
Snapshot = dict[str, dict[int, dict[str, Any]]]


def _value(name: str, value: Any) -> Any:
    if value is not None and name.endswith("_at"):
        return datetime.fromisoformat(value)
    if name == "location" and value is not None:
        return [round(c, 6) for c in value]
    return value


def _row(entity: str, data: dict[str, Any]) -> dict[str, Any]:
    return {name: _value(name, data.get(name)) for name in FIELDS[entity]}


def snapshot(client: Client) -> tuple[int, Snapshot | None]:
    """What the dashboard loads over REST (None when the role may not read it), and the
    sequence it reflects (the lowest of the responses', as the dashboard takes it)."""
    taken: Snapshot = {}
    sequences = []
    for entity, path in GEOJSON.items():
        response = client.get(f"/api/v1/{path}/geojson/?page_size=5000")
        if response.status_code == 403:
            return 0, None
        assert response.status_code == 200, response.content
        assert response.json().get("next") is None
        sequences.append(int(response["X-Koban-Sequence"]))
        taken[entity] = {
            f["id"]: _row(
                entity,
                {**f["properties"], "location": (f["geometry"] or {}).get("coordinates")},
            )
            for f in response.json()["features"]
        }
    # The repeat-place layer, for those who may see it (supervisors).
    response = client.get("/api/v1/repeat-places/geojson/?page_size=500")
    if response.status_code == 200:
        assert response.json().get("next") is None
        sequences.append(int(response["X-Koban-Sequence"]))
        taken["repeat_place"] = {
            f["id"]: _row("repeat_place", f["properties"]) for f in response.json()["features"]
        }
    else:
        assert response.status_code == 403, response.content
    response = client.get("/api/v1/followups/?page_size=500")
    assert response.status_code == 200, response.content
    assert response.json()["next"] is None
    sequences.append(int(response["X-Koban-Sequence"]))
    taken["followup"] = {f["id"]: _row("followup", f) for f in response.json()["results"]}
    return min(sequences), taken


def apply(taken: Snapshot, event: dict[str, Any]) -> None:
    """What a dashboard does with an event: upsert, or drop an item that left its view."""
    entity, _, verb = event["kind"].partition(".")
    if entity not in FIELDS or entity not in taken:
        return
    if entity == "repeat_place":  # the layer shows waiting proposals only
        if event["payload"]["status"] == "proposed":
            taken[entity][event["id"]] = _row(entity, event["payload"])
        else:
            taken[entity].pop(event["id"], None)
        return
    if verb == "removed":
        taken[entity].pop(event["id"], None)
    elif entity in GEOJSON and event["payload"]["location"] is None:
        taken[entity].pop(event["id"], None)  # the map shows only what has a place
    elif verb in ("upserted", "moved"):
        taken[entity][event["id"]] = _row(entity, event["payload"])


@dataclass
class World:
    """Two parishes, an officer in each, a patrol whose member has no area, items in both."""

    users: dict[str, Any]
    incident_a: Incident
    incident_b: Incident
    concern_a: NeighbourhoodConcern
    patrol: Patrol
    followup: FollowUp  # on incident_a, for the patrol
    point: Callable[[tuple[float, float]], Point]

    @property
    def supervisor(self) -> Any:
        return self.users["supervisor"]


def _areas() -> dict[str, Any]:
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


def _point(lonlat: tuple[float, float]) -> Point:
    return Point(*lonlat, srid=4326)


def build_world() -> World:
    """Arroios and Belém with an officer each, a patrol (placed in Arroios) whose member has no
    area, incidents in both, a concern in Arroios, and the patrol's follow-up on incident_a."""
    from tests.conftest import _user

    areas = _areas()
    users = {
        "officer_a": _user("agente.a", "Officer", [areas["Arroios"]]),
        "officer_b": _user("agente.b", "Officer", [areas["Belém"]]),
        "crew": _user("agente.patrulha", "Officer"),
        "supervisor": _user("chefe.v", "Supervisor"),
        "integrator": _user("tecnico.v", "Integrator"),
    }
    sup = users["supervisor"]
    incident_a = services.incident_create(
        actor=sup, category="noise", title="Festa", location=_point(ARROIOS)
    )
    incident_b = services.incident_create(
        actor=sup, category="theft", title="Furto", location=_point(BELEM)
    )
    concern_a = services.concern_create(
        actor=sup, title="Bar ruidoso", category="noise", location=_point(ARROIOS)
    )
    patrol = services.patrol_create(
        call_sign="ALFA-V", kind="car", area=areas["Arroios"], members=[users["crew"]]
    )
    services.patrol_set_status(patrol=patrol, status="available")
    services.patrol_record_position(patrol=patrol, location=_point(ARROIOS))
    followup = services.followup_assign(
        actor=sup,
        incident=incident_a,
        title="Voltar ao local",
        assignee_patrol=patrol,
        due_at=timezone.now() + timedelta(days=2),
    )
    return World(users, incident_a, incident_b, concern_a, patrol, followup, _point)


def _due() -> datetime:
    return timezone.now() + timedelta(days=3)


# Each change through its service. The comment says whose view it changes.
CHANGES: dict[str, Callable[[World], Any]] = {
    # officer_a gains a new item in Arroios.
    "incident created": lambda w: services.incident_create(
        actor=w.supervisor, category="noise", title="Obras", location=w.point(ARROIOS)
    ),
    "incident updated": lambda w: services.incident_update(
        incident=w.incident_a, actor=w.supervisor, title="Festa de anos"
    ),
    # officer_a loses it, officer_b gains it and its follow-up; the crew keeps both.
    "incident moved": lambda w: services.incident_move(
        incident=w.incident_a, location=w.point(BELEM), actor=w.supervisor
    ),
    "incident transitioned": lambda w: services.incident_transition(
        incident=w.incident_b, to_status="acknowledged", actor=w.supervisor
    ),
    "incident note": lambda w: services.incident_add_note(
        incident=w.incident_a, text="Vizinhos ouvidos.", actor=w.supervisor
    ),
    # officer_a gains a Belém incident as its officer.
    "incident assigned": lambda w: services.incident_assign(
        incident=w.incident_b, officer=w.users["officer_a"], actor=w.supervisor
    ),
    # The crew gains a Belém incident; the patrol goes busy.
    "incident dispatched": lambda w: services.incident_dispatch(
        incident=w.incident_b, patrol=w.patrol, actor=w.supervisor
    ),
    # The crew loses it again to officer_a.
    "incident reassigned": lambda w: (
        services.incident_dispatch(incident=w.incident_b, patrol=w.patrol, actor=w.supervisor),
        services.incident_reassign(
            incident=w.incident_b, officer=w.users["officer_a"], actor=w.supervisor
        ),
    ),
    "incident stood down": lambda w: (
        services.incident_dispatch(incident=w.incident_b, patrol=w.patrol, actor=w.supervisor),
        services.incident_stand_down(incident=w.incident_b, actor=w.supervisor),
    ),
    "concern created": lambda w: services.concern_create(
        actor=w.supervisor,
        title="Candeeiro apagado",
        category="public_space",
        location=w.point(ARROIOS),
    ),
    "concern updated": lambda w: services.concern_update(
        concern=w.concern_a, actor=w.supervisor, priority="high"
    ),
    # officer_a loses it, officer_b gains it.
    "concern moved": lambda w: services.concern_update(
        concern=w.concern_a, location=w.point(BELEM), actor=w.supervisor
    ),
    # officer_b gains the concern as its owner.
    "concern handed over": lambda w: services.concern_update(
        concern=w.concern_a, owner=w.users["officer_b"], actor=w.supervisor
    ),
    # officer_b gains an Arroios incident and its new follow-up.
    "follow-up created": lambda w: services.followup_assign(
        actor=w.supervisor,
        incident=w.incident_a,
        title="Falar com o gerente",
        assignee=w.users["officer_b"],
        due_at=_due(),
    ),
    "follow-up on a concern": lambda w: services.followup_assign(
        actor=w.supervisor,
        concern=w.concern_a,
        title="Reunião com a junta",
        assignee_patrol=w.patrol,
        due_at=_due(),
    ),
    # The crew loses the follow-up and its incident; officer_b gains both.
    "follow-up reassigned": lambda w: services.followup_reassign(
        followup=w.followup, actor=w.supervisor, assignee=w.users["officer_b"]
    ),
    "follow-up started": lambda w: services.followup_start(
        followup=w.followup, actor=w.users["crew"]
    ),
    "follow-up completed": lambda w: services.followup_complete(
        followup=w.followup, actor=w.users["crew"], outcome="Feito."
    ),
    "follow-up cancelled": lambda w: services.followup_cancel(
        followup=w.followup, actor=w.supervisor, reason="Já resolvido."
    ),
    # On the map from its first position.
    "patrol created": lambda w: services.patrol_record_position(
        patrol=services.patrol_create(call_sign="BRAVO-V", kind="foot"), location=w.point(BELEM)
    ),
    "patrol updated": lambda w: services.patrol_update(patrol=w.patrol, area=None),
    "patrol moved": lambda w: services.patrol_record_position(
        patrol=w.patrol, location=w.point(BELEM)
    ),
    "patrol status": lambda w: services.patrol_set_status(patrol=w.patrol, status="off_duty"),
    # Supervisors gain a proposal (issue 16); officers see the new incidents only.
    "repeat place proposed": lambda w: _repeat_place(w),
    # The old crew loses the patrol's work; officer_b, its new crew, gains it.
    "patrol crew changed": lambda w: services.patrol_update(
        patrol=w.patrol, members=[w.users["officer_b"]]
    ),
}


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _repeat_place(w: World) -> Any:
    """Three noise incidents close together in Belém, then the job that proposes the place
    (with the seeded rules: a transactional test's flush removes them)."""
    from incidents.setup import ensure_default_categories, ensure_repeat_place_rules

    ensure_default_categories()
    ensure_repeat_place_rules()
    # About 350 m from the world's Belém point, where "concern moved" puts an open concern
    # (whose place the job leaves out).
    for dx in (0.0040, 0.0043, 0.0046):
        services.incident_create(
            actor=w.supervisor,
            category="noise",
            location=w.point((BELEM[0] + dx, BELEM[1])),
        )
    return services.repeat_places_scan()
