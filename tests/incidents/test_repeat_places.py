"""Repeat places: the job proposes clusters of one category close in space and time (places
and times only, never people); a supervisor accepts, merges or dismisses each; a concern's
assessment compares equal periods before and after its response started."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from incidents import services
from incidents.errors import InvalidInput, NotAllowed
from incidents.models import (
    Incident,
    NeighbourhoodConcern,
    OutboxEvent,
    Patrol,
    RepeatPlaceDecision,
    RepeatPlaceProposal,
    RepeatPlaceRule,
    ReporterContact,
)
from incidents.selectors_repeat_places import concern_assessment, repeat_place_proposals_waiting
from incidents.services.repeat_places import (
    CLUSTERS_SQL,
    CONCERN_INPUT_COLUMNS,
    INCIDENT_INPUT_COLUMNS,
    repeat_place_clusters,
)

pytestmark = pytest.mark.django_db

# About 111 m per 0.001 degree of latitude; 0.001 of longitude is about 87 m in Lisbon.
SPOT = (-9.1345, 38.7255)  # Arroios


def near(dx: float = 0.0, dy: float = 0.0) -> tuple[float, float]:
    return (SPOT[0] + dx, SPOT[1] + dy)


@pytest.fixture
def noise_rule(db):
    rule = RepeatPlaceRule.objects.get(category__code="noise")
    assert (rule.min_incidents, rule.distance_m, rule.window_days, rule.active) == (
        3,
        150,
        30,
        True,
    )
    return rule


@pytest.fixture
def ago(make_incident):
    """An incident reported `days` ago at a point."""

    def make(lonlat, days=1, **kwargs):
        return make_incident(lonlat, reported_at=timezone.now() - timedelta(days=days), **kwargs)

    return make


def proposals() -> list[RepeatPlaceProposal]:
    return list(RepeatPlaceProposal.objects.order_by("id"))


def members(proposal: RepeatPlaceProposal) -> set[int]:
    return set(proposal.incidents.values_list("id", flat=True))


def test_the_job_proposes_incidents_of_one_category_close_in_space_and_time(
    noise_rule, ago, supervisor, settings
):
    settings.LANGUAGE_CODE = "en"  # the reason is written in the force's language
    inside = [ago(near()), ago(near(0.0005, 0.0003), days=5), ago(near(-0.0004, 0.0006), days=12)]
    ago(near(0.006))  # noise 500 m away
    ago(near(0.0001), category="vandalism")  # another category at the same spot
    ago(near(0.0002), days=40)  # outside the 30-day window
    cancelled = ago(near(-0.0001))
    services.incident_transition(incident=cancelled, to_status="cancelled", actor=supervisor)

    result = services.repeat_places_scan()

    [proposal] = proposals()
    assert result.proposed == [proposal.id]
    assert members(proposal) == {i.id for i in inside}
    assert proposal.status == "proposed" and proposal.category.code == "noise"
    assert proposal.rule_parameters == {"min_incidents": 3, "distance_m": 150, "window_days": 30}
    assert proposal.reason.startswith("3 incidents of Noise within 150 m in the last 30 days")
    assert sum(proposal.hours) == 3 and sum(proposal.weekdays) == 3 and len(proposal.hours) == 24
    assert all(proposal.place.covers(i.location) for i in inside)
    assert proposal.area.name == "Arroios"
    assert [d.action for d in proposal.decisions.all()] == ["proposed"]
    event = OutboxEvent.objects.filter(kind="repeat_place.upserted").get()
    assert event.entity_id == proposal.id and event.area_ids == [] and event.user_ids == []
    # Run again: nothing changes, nothing is proposed twice.
    again = services.repeat_places_scan()
    assert (again.proposed, again.updated, again.expired) == ([], [], [])
    assert OutboxEvent.objects.filter(kind="repeat_place.upserted").count() == 1


def test_incidents_of_an_open_concern_or_inside_its_place_are_not_proposed(ago, supervisor, point):
    linked = [ago(near()), ago(near(0.0003)), ago(near(0.0006))]
    concern = services.concern_create(
        actor=supervisor, title="Bar", category="noise", location=point(near(0.02))
    )
    for incident in linked:
        services.incident_link_concern(incident=incident, concern=concern, actor=supervisor)
    assert services.repeat_places_scan().proposed == []

    # Not linked, but within KOBAN_CONCERN_PLACE_RADIUS_M (150 m) of an open noise concern.
    elsewhere = near(0.03, 0.01)
    around = [ago(elsewhere), ago((elsewhere[0] + 0.0004, elsewhere[1])), ago(elsewhere)]
    services.concern_create(
        actor=supervisor, title="Esplanada", category="noise", location=point(elsewhere)
    )
    assert services.repeat_places_scan().proposed == []

    # Once the first concern is closed, its incidents may repeat again.
    services.concern_transition(
        concern=concern, to_status="closed", actor=supervisor, assessment_note="Parou."
    )
    services.repeat_places_scan()
    assert [members(p) for p in proposals()] == [{i.id for i in linked}]
    assert not any(members(p) & {i.id for i in around} for p in proposals())


def test_accepting_opens_a_concern_on_the_place_with_the_incidents_linked(
    noise_rule, ago, supervisor
):
    inside = [ago(near()), ago(near(0.0003)), ago(near(0.0001, 0.0005))]
    services.repeat_places_scan()
    [proposal] = proposals()

    services.repeat_place_accept(proposal=proposal, actor=supervisor, note="Falar com o bar.")

    proposal.refresh_from_db()
    concern = proposal.concern
    assert proposal.status == "accepted" and proposal.decided_by == supervisor
    assert proposal.decision_reason == "Falar com o bar." and proposal.decided_at is not None
    assert set(concern.incidents.values_list("id", flat=True)) == {i.id for i in inside}
    assert concern.raised_by == "repeat_place" and concern.category.code == "noise"
    assert concern.place.equals_exact(proposal.place, tolerance=1e-9)
    assert concern.timeline.filter(kind="note", data__repeat_place=proposal.id).exists()
    assert [d.action for d in proposal.decisions.all()] == ["proposed", "accepted"]
    assert list(repeat_place_proposals_waiting(user=supervisor)) == []
    # Its incidents now belong to an open concern: the next run proposes nothing there.
    assert services.repeat_places_scan().proposed == []
    with pytest.raises(InvalidInput) as decided:
        services.repeat_place_dismiss(proposal=proposal, actor=supervisor, reason="x")
    assert list(decided.value.errors) == ["status"]


def test_merging_adds_the_incidents_to_an_existing_concern(noise_rule, ago, supervisor, point):
    inside = [ago(near()), ago(near(0.0003)), ago(near(0.0001, 0.0005))]
    services.repeat_places_scan()
    target = services.concern_create(
        actor=supervisor, title="Rua", category="noise", location=point(near(0.05))
    )
    [proposal] = proposals()
    services.repeat_place_merge(proposal=proposal, concern=target, actor=supervisor)
    proposal.refresh_from_db()
    assert proposal.status == "merged" and proposal.concern == target
    assert set(target.incidents.values_list("id", flat=True)) == {i.id for i in inside}


def test_a_dismissed_place_comes_back_only_when_a_new_incident_joins(noise_rule, ago, supervisor):
    first = [ago(near()), ago(near(0.0003)), ago(near(0.0001, 0.0005))]
    services.repeat_places_scan()
    [proposal] = proposals()
    with pytest.raises(InvalidInput) as refused:
        services.repeat_place_dismiss(proposal=proposal, actor=supervisor, reason="  ")
    assert "reason" in refused.value.errors

    services.repeat_place_dismiss(proposal=proposal, actor=supervisor, reason="Obras licenciadas.")
    assert services.repeat_places_scan().skipped_dismissed == 1
    assert proposals() == [proposal]

    joined = ago(near(0.0002, 0.0002))
    result = services.repeat_places_scan()
    [again] = [p for p in proposals() if p.id != proposal.id]
    assert result.proposed == [again.id]
    assert members(again) == {i.id for i in [*first, joined]}
    dismissed = RepeatPlaceDecision.objects.get(proposal=proposal, action="dismissed")
    assert dismissed.reason == "Obras licenciadas." and dismissed.actor == supervisor


def test_only_supervisors_decide(noise_rule, ago, officer):
    for dx in (0, 0.0002, 0.0004):
        ago(near(dx))
    services.repeat_places_scan()
    [proposal] = proposals()
    with pytest.raises(NotAllowed):
        services.repeat_place_dismiss(proposal=proposal, actor=officer, reason="Não.")
    assert list(repeat_place_proposals_waiting(user=officer)) == []


def test_only_supervisors_receive_proposals_on_the_live_feed(noise_rule, ago, officer, supervisor):
    from incidents.selectors import event_visible_to

    for dx in (0, 0.0002, 0.0004):
        ago(near(dx))  # in Arroios, the officer's own area
    services.repeat_places_scan()
    event = OutboxEvent.objects.get(kind="repeat_place.upserted")
    assert event_visible_to(supervisor, event) is True
    assert event_visible_to(officer, event) is False


def test_a_waiting_proposal_that_is_no_longer_found_expires(noise_rule, ago, supervisor):
    inside = [ago(near()), ago(near(0.0003)), ago(near(0.0001, 0.0005))]
    services.repeat_places_scan()
    services.incident_transition(incident=inside[0], to_status="cancelled", actor=supervisor)
    result = services.repeat_places_scan()
    [proposal] = proposals()
    assert result.expired == [proposal.id] and proposal.status == "expired"


# --- No person is ever an input ------------------------------------------------------------------

PERSON_MODELS = {get_user_model(), Patrol, ReporterContact}


def _column_field(model, column):
    return next(f for f in model._meta.concrete_fields if f.column == column)


def test_no_input_of_the_repeat_place_job_references_a_person(noise_rule, ago):
    """The declared inputs are no person field, and the SQL runs with SELECT granted on those
    columns alone: reading a reporter, officer, patrol or user column would be refused."""
    for model, columns in (
        (Incident, INCIDENT_INPUT_COLUMNS),
        (NeighbourhoodConcern, CONCERN_INPUT_COLUMNS),
    ):
        for column in columns:
            field = _column_field(model, column)
            assert field.related_model not in PERSON_MODELS, column
            assert not any(word in column for word in ("officer", "owner", "user", "created_by"))
    person_columns = {
        f.column for f in Incident._meta.concrete_fields if f.related_model in PERSON_MODELS
    }
    assert {"assigned_officer_id", "assigned_patrol_id", "created_by_id"} <= person_columns
    assert not person_columns & set(INCIDENT_INPUT_COLUMNS)

    inside = [ago(near()), ago(near(0.0003)), ago(near(0.0001, 0.0005))]
    role = f"koban_rp_probe_{connection.settings_dict['NAME']}"[:60]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')
        cursor.execute(
            f'GRANT SELECT ({", ".join(INCIDENT_INPUT_COLUMNS)}) ON incidents_incident TO "{role}"'
        )
        cursor.execute(
            f"GRANT SELECT ({', '.join(CONCERN_INPUT_COLUMNS)}) "
            f'ON incidents_neighbourhoodconcern TO "{role}"'
        )
        cursor.execute(f'GRANT SELECT ON spatial_ref_sys TO "{role}"')
        cursor.execute(f'SET LOCAL ROLE "{role}"')
        clusters = repeat_place_clusters(rule=noise_rule)
        assert [set(c.incident_ids) for c in clusters] == [{i.id for i in inside}]
        # The probe is real: the same role may not read who an incident is assigned to.
        with pytest.raises(Exception, match="permission denied"), transaction.atomic():
            cursor.execute("SELECT assigned_officer_id FROM incidents_incident")
        cursor.execute("RESET ROLE")
        cursor.execute(
            f"REVOKE ALL ON incidents_incident, incidents_neighbourhoodconcern, "
            f'spatial_ref_sys FROM "{role}"'
        )
        cursor.execute(f'DROP ROLE "{role}"')
    assert "assigned" not in CLUSTERS_SQL and "reporter" not in CLUSTERS_SQL


# --- Demo ----------------------------------------------------------------------------------------


def test_the_demo_has_two_repeat_places_proposed_and_a_spread_one_not():
    from incidents.demo import load_demo

    load_demo(incidents=120)
    by_key: dict[str, set[int]] = {}
    for incident in Incident.objects.filter(external_id__startswith="demo-rp-"):
        by_key.setdefault(incident.external_id.split("-")[2], set()).add(incident.id)
    assert {k: len(v) for k, v in by_key.items()} == {"intendente": 5, "arco": 4, "spread": 4}
    waiting = RepeatPlaceProposal.objects.filter(status="proposed")
    assert sorted(map(members, waiting), key=min) == sorted(
        [by_key["intendente"], by_key["arco"]], key=min
    )


# --- Assessment ----------------------------------------------------------------------------------


def test_the_assessment_counts_equal_periods_before_and_after_the_response(ago, supervisor, point):
    concern = services.concern_create(
        actor=supervisor, title="Bar", category="noise", location=point(SPOT)
    )
    services.concern_transition(concern=concern, to_status="responding", actor=supervisor)
    concern.refresh_from_db()
    started = concern.response_started_at
    assert started is not None
    # Ten days of response; the "before" period is the ten days before it started.
    now = started + timedelta(days=10)
    for days_before in (1, 3, 9):
        services.incident_create(
            actor=supervisor,
            category="noise",
            location=point(near(0.0003)),
            reported_at=started - timedelta(days=days_before),
        )
    services.incident_create(  # before the "before" period: not counted
        actor=supervisor,
        category="noise",
        location=point(SPOT),
        reported_at=started - timedelta(days=11),
    )
    services.incident_create(
        actor=supervisor,
        category="noise",
        location=point(SPOT),
        reported_at=started + timedelta(days=2),
    )
    services.incident_create(  # other category
        actor=supervisor,
        category="theft",
        location=point(SPOT),
        reported_at=started + timedelta(days=2),
    )
    services.incident_create(  # 600 m away
        actor=supervisor,
        category="noise",
        location=point(near(0.007)),
        reported_at=started + timedelta(days=2),
    )
    assessment = concern_assessment(concern, now=now)
    assert (assessment.before, assessment.after, assessment.days) == (3, 1, 10)
    assert assessment.change_percent == -67


def test_a_concern_cannot_be_closed_without_an_assessment_note(supervisor):
    concern = services.concern_create(actor=supervisor, title="Bar", category="noise")
    with pytest.raises(InvalidInput) as refused:
        services.concern_transition(concern=concern, to_status="closed", actor=supervisor)
    assert list(refused.value.errors) == ["assessment_note"]
    concern.refresh_from_db()
    assert concern.status == "open"
    services.concern_transition(
        concern=concern,
        to_status="closed",
        actor=supervisor,
        assessment_note="Sem queixas há um mês.",
    )
    concern.refresh_from_db()
    assert concern.status == "closed" and concern.assessment_note == "Sem queixas há um mês."
