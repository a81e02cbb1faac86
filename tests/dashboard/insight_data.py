"""A small known data set for the insight tests: every figure the charts and the briefing show
can be worked out by hand from it (see the comments). Writes go through the services, at
chosen moments (the clock is set for each write, so timeline times are exact)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

from incidents import services

LISBON = ZoneInfo("Europe/Lisbon")
# Monday 2 March 2026, 10:00 in Lisbon (UTC+0 in winter).
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=LISBON)
WEEK1 = "2026-03-02"
WEEK2 = "2026-03-09"
ARROIOS = (-9.1345, 38.7255)
BELEM = (-9.2050, 38.6975)


@contextmanager
def clock(at: datetime) -> Iterator[None]:
    """Run the writes inside as if it were `at` (auto_now_add and services read this)."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


def build(supervisor, officer, point, areas) -> dict:
    """Incidents A-E, follow-ups F1-F4, one concern reopened. Returns them by name."""
    made: dict = {}

    def incident(name, at, lonlat, category, priority):
        with clock(at):
            made[name] = services.incident_create(
                actor=supervisor,
                category=category,
                priority=priority,
                title=name,
                location=point(lonlat),
                reported_at=at,
            )

    def move(name, at, *statuses):
        # A supervisor moves them (the officer of Arroios does not see Belém); "dispatched" is a
        # dispatch of the officer, who is then the unit.
        for status in statuses:
            with clock(at):
                if status == "dispatched":
                    services.incident_dispatch(
                        incident=made[name], officer=officer, actor=supervisor
                    )
                else:
                    services.incident_transition(
                        incident=made[name], to_status=status, actor=supervisor
                    )

    # Week 1. A (Arroios, noise, high): ack +1 h, on scene +2 h, resolved +4 h, closed +5 h.
    incident("A", T0, ARROIOS, "noise", "high")
    move("A", hours(1), "acknowledged")
    move("A", hours(1.5), "dispatched")
    move("A", hours(2), "on_scene")
    move("A", hours(4), "resolved")
    move("A", hours(5), "closed")
    # B (Arroios, noise, medium): ack +3 h, on scene +5 h, resolved +9 h.
    incident("B", T0, ARROIOS, "noise", "medium")
    move("B", hours(3), "acknowledged")
    move("B", hours(4), "dispatched")
    move("B", hours(5), "on_scene")
    move("B", hours(9), "resolved")
    # C (Belém, theft, low): ack +2 h, resolved +10 h, reopened +12 h, resolved again +20 h.
    incident("C", T0, BELEM, "theft", "low")
    move("C", hours(2), "acknowledged")
    move("C", hours(10), "resolved")
    move("C", hours(12), "acknowledged")
    move("C", hours(20), "resolved")
    # Week 2. D (Belém, theft, high): ack +5 h, still open. E (Belém, theft, high): new.
    incident("D", hours(168), BELEM, "theft", "high")
    move("D", hours(173), "acknowledged")
    incident("E", hours(170), BELEM, "theft", "medium")
    with clock(hours(171)):  # escalated: E is raised to high priority
        services.incident_update(incident=made["E"], actor=supervisor, priority="high")

    # Follow-ups: F1 done on time and F2 late (due in week 1), F3 open past due (week 2),
    # F4 cancelled (not counted).
    def followup(name, due, item="A"):
        with clock(T0):
            made[name] = services.followup_assign(
                actor=supervisor,
                incident=made[item],
                title=name,
                due_at=due,
                assignee=officer,
                allow_past_due=True,
            )

    followup("F1", hours(26))
    followup("F2", hours(26))
    followup("F3", hours(170), item="D")
    followup("F4", hours(170), item="D")
    with clock(hours(24)):
        services.followup_complete(followup=made["F1"], actor=officer, outcome="feito")
    with clock(hours(48)):
        services.followup_complete(followup=made["F2"], actor=officer, outcome="feito")
    with clock(hours(30)):
        services.followup_cancel(followup=made["F4"], actor=supervisor, reason="não é preciso")

    # A concern in Arroios closed in week 1 and reopened in week 2.
    with clock(hours(1)):
        made["concern"] = services.concern_create(
            actor=supervisor, title="Ruído do bar", category="noise", location=point(ARROIOS)
        )
    with clock(hours(50)):
        services.concern_transition(
            concern=made["concern"],
            to_status="closed",
            actor=supervisor,
            assessment_note="Parou durante uma semana.",
        )
    with clock(hours(180)):
        services.concern_transition(concern=made["concern"], to_status="open", actor=supervisor)
    # Its next step: F5, due in week 2, open (so overdue too).
    with clock(hours(181)):
        made["F5"] = services.followup_assign(
            actor=supervisor,
            concern=made["concern"],
            title="Reunião com o dono do bar",
            due_at=hours(200),
            assignee=officer,
        )
    # Patrols: one on duty in Belém, one in Arroios.
    made["belem_patrol"] = services.patrol_create(
        call_sign="LX-B", kind="car", area=areas["Belém"], members=[officer]
    )
    made["arroios_patrol"] = services.patrol_create(
        call_sign="LX-A", kind="foot", area=areas["Arroios"]
    )
    return made
