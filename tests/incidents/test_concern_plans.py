"""'You said, we did': promises and actions on a concern, and publishing it (services)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.errors import InvalidInput, NotAllowed
from incidents.models import ConcernPlanEntry, OutboxEvent, TimelineEntry
from tests.conftest import ARROIOS

pytestmark = pytest.mark.django_db


@pytest.fixture
def concern(supervisor, point, areas):
    return services.concern_create(
        actor=supervisor, title="Ruído do bar", category="noise", location=point(ARROIOS)
    )


def test_a_promise_needs_a_date_and_an_action_is_dated_in_the_past(concern, officer):
    with pytest.raises(InvalidInput) as promise:
        services.concern_plan_add(concern=concern, kind="commitment", text="Rondas", actor=officer)
    assert set(promise.value.errors) == {"due_on"}
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(InvalidInput) as action:
        services.concern_plan_add(
            concern=concern, kind="action", text="Ronda feita", done_on=tomorrow, actor=officer
        )
    assert set(action.value.errors) == {"done_on"}
    with pytest.raises(InvalidInput) as kind:
        services.concern_plan_add(concern=concern, kind="wish", text="x", actor=officer)
    assert set(kind.value.errors) == {"kind"}
    assert not ConcernPlanEntry.objects.exists()


def test_an_action_keeps_a_promise_and_both_reach_the_timeline_and_the_feed(concern, officer):
    today = timezone.localdate()
    promise = services.concern_plan_add(
        concern=concern,
        kind="commitment",
        text="Rondas às sextas à noite",
        who="PSP, 1.ª Esquadra",
        due_on=today - timedelta(days=3),
        actor=officer,
    )
    assert promise.is_late(today)
    events_before = OutboxEvent.objects.count()
    action = services.concern_plan_add(
        concern=concern,
        kind="action",
        text="Quatro rondas feitas",
        who="PSP",
        done_on=today - timedelta(days=1),
        fulfils=promise.pk,
        actor=officer,
    )
    promise.refresh_from_db()
    assert promise.done_on == action.done_on
    assert not promise.is_late(today)
    plan_entries = TimelineEntry.objects.filter(concern=concern, data__has_key="plan")
    assert [e.data["plan"] for e in plan_entries] == ["commitment", "action"]
    assert OutboxEvent.objects.count() == events_before + 1


def test_an_action_cannot_keep_a_promise_of_another_concern(concern, supervisor, officer, point):
    other = services.concern_create(
        actor=supervisor, title="Outra", category="noise", location=point(ARROIOS)
    )
    promise = services.concern_plan_add(
        concern=other,
        kind="commitment",
        text="x",
        due_on=timezone.localdate(),
        actor=officer,
    )
    with pytest.raises(InvalidInput) as error:
        services.concern_plan_add(
            concern=concern,
            kind="action",
            text="y",
            done_on=timezone.localdate(),
            fulfils=promise.pk,
            actor=officer,
        )
    assert set(error.value.errors) == {"fulfils"}


def test_only_people_who_see_the_concern_record_its_plan(concern, other_officer, integrator):
    for actor in (other_officer, integrator):
        with pytest.raises(NotAllowed):
            services.concern_plan_add(
                concern=concern,
                kind="commitment",
                text="x",
                due_on=timezone.localdate(),
                actor=actor,
            )
    assert not ConcernPlanEntry.objects.exists()


def test_only_supervisors_publish_and_only_with_a_summary_for_residents(
    concern, supervisor, officer
):
    with pytest.raises(NotAllowed):
        services.concern_publish(concern=concern, published=True, public_summary="x", actor=officer)
    with pytest.raises(InvalidInput) as error:
        services.concern_publish(concern=concern, published=True, actor=supervisor)
    assert set(error.value.errors) == {"public_summary"}
    concern.refresh_from_db()
    assert not concern.published
    services.concern_publish(
        concern=concern, published=True, public_summary="Ruído à noite", actor=supervisor
    )
    concern.refresh_from_db()
    assert concern.published and concern.published_at is not None
    services.concern_publish(concern=concern, published=False, actor=supervisor)
    concern.refresh_from_db()
    assert not concern.published and concern.published_at is None


def test_only_administrators_open_a_parish_page(areas, supervisor, administrator):
    arroios = areas["Arroios"]
    with pytest.raises(NotAllowed):
        services.area_set_public_page(area=arroios, enabled=True, actor=supervisor)
    services.area_set_public_page(area=arroios, enabled=True, actor=administrator)
    arroios.refresh_from_db()
    assert arroios.public_page
