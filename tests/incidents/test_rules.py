"""Who may work on follow-ups and concerns is decided by the services themselves, so a command,
a task or the admin obeys the same rule as the API; a refused change writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.errors import InvalidInput, NotAllowed
from incidents.models import OutboxEvent, TimelineEntry
from tests.conftest import ARROIOS, BELEM

pytestmark = pytest.mark.django_db


def _due():
    return timezone.now() + timedelta(days=1)


def _writes() -> tuple[int, int]:
    return OutboxEvent.objects.count(), TimelineEntry.objects.count()


@pytest.fixture
def followup(make_incident, supervisor, officer):
    return services.followup_assign(
        actor=supervisor,
        incident=make_incident(),
        title="Falar com o gerente",
        due_at=_due(),
        assignee=officer,
    )


def test_only_the_assignee_their_patrol_or_a_supervisor_starts_and_completes(
    followup, make_user, areas, officer, supervisor
):
    colleague = make_user("colega", "Officer", [areas["Arroios"]])
    before = _writes()
    with pytest.raises(NotAllowed):
        services.followup_start(followup=followup, actor=colleague)
    with pytest.raises(NotAllowed):
        services.followup_complete(followup=followup, actor=colleague, outcome="Feito")
    assert _writes() == before

    patrol = services.patrol_create(call_sign="LX-5", kind="foot", members=[colleague])
    services.followup_reassign(
        followup=followup, actor=supervisor, assignee=None, assignee_patrol=patrol
    )
    services.followup_start(followup=followup, actor=colleague)  # a member of the patrol
    services.followup_complete(followup=followup, actor=supervisor, outcome="Feito")
    followup.refresh_from_db()
    assert followup.status == "done"


def test_followup_start_writes_a_timeline_entry(followup, officer):
    services.followup_start(followup=followup, actor=officer)

    entry = TimelineEntry.objects.get(incident=followup.incident, data__action="started")
    assert (entry.actor, entry.from_status, entry.to_status) == (officer, "open", "in_progress")
    assert entry.data["followup"] == followup.pk


def test_an_officer_takes_work_for_themselves_but_never_assigns_it_to_others(
    make_incident, officer, other_officer, supervisor
):
    incident = make_incident()
    before = _writes()
    with pytest.raises(NotAllowed):
        services.followup_assign(
            actor=officer, incident=incident, title="X", due_at=_due(), assignee=supervisor
        )
    with pytest.raises(NotAllowed):  # does not see a Arroios incident
        services.followup_assign(
            actor=other_officer, incident=incident, title="X", due_at=_due(), assignee=other_officer
        )
    assert _writes() == before
    taken = services.followup_assign(
        actor=officer, incident=incident, title="Voltar lá", due_at=_due(), assignee=officer
    )
    assert taken.assigned_by == officer


def test_only_a_supervisor_reassigns_and_only_they_or_the_assigner_cancel(
    followup, officer, supervisor
):
    with pytest.raises(NotAllowed):
        services.followup_reassign(followup=followup, actor=officer, assignee=officer)
    with pytest.raises(NotAllowed):
        services.followup_cancel(followup=followup, actor=officer, reason="Já não é preciso")
    with pytest.raises(InvalidInput) as refused:
        services.followup_cancel(followup=followup, actor=supervisor, reason="  ")
    assert set(refused.value.errors) == {"reason"}  # the input that was wrong
    services.followup_cancel(followup=followup, actor=supervisor, reason="Já não é preciso")


def test_concerns_are_changed_by_people_who_see_them_and_closed_by_a_supervisor_or_owner(
    supervisor, officer, other_officer, point
):
    concern = services.concern_create(
        actor=supervisor, title="Ruído", category="noise", location=point(ARROIOS)
    )
    before = _writes()
    with pytest.raises(NotAllowed):  # Belém's officer does not see an Arroios concern
        services.concern_update(concern=concern, actor=other_officer, priority="high")
    with pytest.raises(NotAllowed):
        services.concern_add_note(concern=concern, actor=other_officer, text="Visto")
    with pytest.raises(NotAllowed):  # not its owner
        services.concern_transition(
            concern=concern, actor=officer, to_status="closed", assessment_note="Parou."
        )
    with pytest.raises(NotAllowed):  # handing it to someone else
        services.concern_update(concern=concern, actor=officer, owner=supervisor)
    assert _writes() == before

    services.concern_update(concern=concern, actor=officer, priority="high", owner=officer)
    services.concern_transition(concern=concern, actor=officer, to_status="analysing")
    services.concern_transition(  # the owner now
        concern=concern, actor=officer, to_status="closed", assessment_note="Parou."
    )
    concern.refresh_from_db()
    assert (concern.status, concern.owner, concern.priority) == ("closed", officer, "high")


def test_a_sensor_rule_still_reopens_a_closed_concern(supervisor, point):
    """The system (no person) is not refused: imports follow the upstream rule."""
    first = services.concern_signal_record(
        source="ruido",
        external_id="rule-1",
        title="Ruído",
        category="noise",
        note="75 dB",
        location=point(BELEM),
    )
    services.concern_transition(
        concern=first.concern, actor=supervisor, to_status="closed", assessment_note="Parou."
    )
    again = services.concern_signal_record(
        source="ruido", external_id="rule-1", title="Ruído", category="noise", note="80 dB"
    )
    assert (again.outcome, again.concern.pk, again.concern.status) == (
        "updated",
        first.concern.pk,
        "open",
    )
