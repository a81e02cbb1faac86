"""Dispatch in the domain: who may send a unit and record its progress (decided by the services,
whoever calls them), the timeline entries, the patrol's status and the events sent."""

from __future__ import annotations

import pytest

from incidents import services
from incidents.errors import InvalidInput, InvalidTransition, NotAllowed
from incidents.models import Incident, OutboxEvent, Patrol, TimelineEntry
from tests.conftest import ARROIOS

pytestmark = pytest.mark.django_db


@pytest.fixture
def crew(make_user, areas):
    """An officer of Belém who crews the patrol (so sees Arroios' incident only through it)."""
    return make_user("tripulante", "Officer", [areas["Belém"]])


@pytest.fixture
def patrol(areas, crew):
    return services.patrol_create(
        call_sign="LX-01", kind="car", area=areas["Arroios"], status="available", members=[crew]
    )


@pytest.fixture
def spare(areas):
    return services.patrol_create(call_sign="LX-02", kind="foot", status="available")


def _events(after: int, kind: str) -> list[OutboxEvent]:
    return list(OutboxEvent.objects.filter(id__gt=after, kind=kind).order_by("id"))


def _told(user, incident, after: int) -> bool:
    """Some event about the incident since `after` is addressed to the user (an update, or the
    news that it left their view)."""
    return any(
        user.pk in e.user_ids
        for e in OutboxEvent.objects.filter(
            id__gt=after, entity_type="incident", entity_id=incident.pk
        )
    )


def _last_event() -> int:
    return OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_dispatching_a_new_incident_records_the_unit_makes_the_patrol_busy_and_tells_its_crew(
    make_incident, supervisor, patrol, crew
):
    incident = make_incident(ARROIOS)
    mark = _last_event()

    services.incident_dispatch(incident=incident, patrol=patrol, actor=supervisor, note="Urgente")

    incident.refresh_from_db()
    assert incident.status == "dispatched"
    assert incident.assigned_patrol == patrol
    steps = list(incident.timeline.filter(kind="status").values_list("from_status", "to_status"))
    assert steps == [("new", "acknowledged"), ("acknowledged", "dispatched")]
    sent = incident.timeline.get(to_status="dispatched")
    assert sent.actor == supervisor
    assert sent.text == "LX-01\nUrgente"
    assert sent.data["dispatched"] == {"patrol": patrol.pk, "call_sign": "LX-01", "officer": None}
    assert Patrol.objects.get(pk=patrol.pk).status == "busy"
    assert [e.payload["status"] for e in _events(mark, "patrol.upserted")] == ["busy"]
    last = _events(mark, "incident.upserted")[-1]
    assert last.payload["status"] == "dispatched"
    assert crew.pk in last.user_ids


def test_the_unit_records_on_scene_and_resolved_and_the_patrol_is_available_again(
    make_incident, supervisor, patrol, crew
):
    incident = services.incident_dispatch(
        incident=make_incident(ARROIOS), patrol=patrol, actor=supervisor
    )
    services.incident_transition(incident=incident, to_status="on_scene", actor=crew)
    assert Patrol.objects.get(pk=patrol.pk).status == "busy"
    mark = _last_event()

    services.incident_transition(incident=incident, to_status="resolved", actor=crew)

    assert Incident.objects.get(pk=incident.pk).status == "resolved"
    assert Patrol.objects.get(pk=patrol.pk).status == "available"
    assert [e.payload["status"] for e in _events(mark, "patrol.upserted")] == ["available"]
    entries = incident.timeline.filter(kind="status", actor=crew).values_list("to_status")
    assert [s for (s,) in entries] == ["on_scene", "resolved"]


def test_an_officer_who_is_not_the_unit_may_not_record_on_scene_or_cancel(
    make_incident, supervisor, patrol, officer
):
    incident = services.incident_dispatch(
        incident=make_incident(ARROIOS), patrol=patrol, actor=supervisor
    )
    mark = _last_event()

    # The Arroios officer sees the incident, but was not sent to it.
    with pytest.raises(NotAllowed):
        services.incident_transition(incident=incident, to_status="on_scene", actor=officer)
    with pytest.raises(NotAllowed):
        services.incident_transition(incident=incident, to_status="cancelled", actor=officer)

    assert Incident.objects.get(pk=incident.pk).status == "dispatched"
    assert _last_event() == mark
    # A supervisor may, and the patrol is freed.
    services.incident_transition(incident=incident, to_status="cancelled", actor=supervisor)
    assert Patrol.objects.get(pk=patrol.pk).status == "available"


def test_officers_dispatch_only_their_own_patrol_and_only_when_the_force_allows_it(
    make_incident, patrol, spare, officer, settings
):
    patrol.members.add(officer)  # the Arroios officer crews LX-01
    incident = make_incident(ARROIOS)

    with pytest.raises(NotAllowed):
        services.incident_dispatch(incident=incident, patrol=patrol, actor=officer)
    settings.KOBAN_OFFICERS_MAY_DISPATCH_OWN_PATROL = True
    with pytest.raises(NotAllowed):
        services.incident_dispatch(incident=incident, patrol=spare, actor=officer)
    assert not TimelineEntry.objects.filter(incident=incident, kind="status").exists()

    services.incident_dispatch(incident=incident, patrol=patrol, officer=officer, actor=officer)
    assert Incident.objects.get(pk=incident.pk).assigned_officer == officer


def test_a_busy_patrol_or_no_unit_is_a_field_error_and_a_closed_incident_cannot_be_dispatched(
    make_incident, supervisor, patrol, spare
):
    services.patrol_set_status(patrol=spare, status="busy")
    incident = make_incident(ARROIOS)

    with pytest.raises(InvalidInput) as busy:
        services.incident_dispatch(incident=incident, patrol=spare, actor=supervisor)
    with pytest.raises(InvalidInput) as nobody:
        services.incident_dispatch(incident=incident, actor=supervisor)

    assert "patrol" in busy.value.errors and "patrol" in nobody.value.errors
    assert Incident.objects.get(pk=incident.pk).status == "new"
    for status in ("acknowledged", "resolved", "closed"):
        services.incident_transition(incident=incident, to_status=status, actor=supervisor)
    with pytest.raises(InvalidTransition):
        services.incident_dispatch(incident=incident, patrol=patrol, actor=supervisor)


def test_reassigning_frees_the_old_patrol_busies_the_new_and_tells_the_old_crew(
    make_incident, supervisor, patrol, spare, crew
):
    incident = services.incident_dispatch(
        incident=make_incident(ARROIOS), patrol=patrol, actor=supervisor
    )
    mark = _last_event()

    services.incident_reassign(incident=incident, patrol=spare, actor=supervisor, note="Mais perto")

    assert Patrol.objects.get(pk=patrol.pk).status == "available"
    assert Patrol.objects.get(pk=spare.pk).status == "busy"
    entry = incident.timeline.get(kind="reassigned")
    assert entry.text == "LX-01 → LX-02\nMais perto"
    assert entry.data["from"]["patrol"] == patrol.pk and entry.data["to"]["patrol"] == spare.pk
    assert _told(crew, incident, mark)  # so the item leaves the old crew's work


def test_standing_down_acknowledges_again_without_a_unit_and_frees_the_patrol(
    make_incident, supervisor, patrol, crew
):
    incident = services.incident_dispatch(
        incident=make_incident(ARROIOS), patrol=patrol, actor=supervisor
    )
    mark = _last_event()

    services.incident_stand_down(incident=incident, actor=supervisor, reason="Falso alarme")

    incident.refresh_from_db()
    assert (incident.status, incident.assigned_patrol) == ("acknowledged", None)
    entry = incident.timeline.get(kind="stood_down")
    assert (entry.from_status, entry.to_status, entry.text) == (
        "dispatched",
        "acknowledged",
        "LX-01\nFalso alarme",
    )
    assert Patrol.objects.get(pk=patrol.pk).status == "available"
    assert _told(crew, incident, mark)
    with pytest.raises(InvalidTransition):
        services.incident_stand_down(incident=incident, actor=supervisor)


def test_a_refused_dispatch_writes_nothing(make_incident, officer, patrol):
    incident = make_incident(ARROIOS)
    mark = _last_event()
    entries = TimelineEntry.objects.count()

    with pytest.raises(NotAllowed):
        services.incident_dispatch(incident=incident, patrol=patrol, actor=officer)

    assert (_last_event(), TimelineEntry.objects.count()) == (mark, entries)
    assert Patrol.objects.get(pk=patrol.pk).status == "available"
