"""Residents' answers for the feedback chart and the briefing line, small enough to work out by
hand. Each answer goes through the resident loop's services (an incident with a reporter who
agreed to be contacted, a "tell the resident" follow-up, the message sent, the answer), with
the clock set, so every answer's time is exact.

    incident  parish   category  priority  answered        score
    G1        Arroios  noise     high      week 1 (+30 h)  5
    G2        Arroios  noise     medium    week 1 (+40 h)  2
    G3        Belém    noise     low       week 1 (+50 h)  4
    G4        Belém    theft     high      week 2 (+190 h) 3
    G5        Belém    theft     high      week 2 (+200 h) 5
    G6        Arroios  theft     low       sent, never answered
    G7        Arroios  noise     high      after the window (+480 h)  1

So, in the window: 5 answers, mean 3.8, 3 solved (60 %); week 1: 3, 3.67, 2 (66.7 %); week 2:
2, 4.0, 1 (50 %); Arroios 2, 3.5, 1; Belém 3, 4.0, 2; noise 3, 3.67, 2; theft 2, 4.0, 1;
high 3, 4.33, 2 (66.7 %); medium 1, 2.0, 0; low 1, 4.0, 1.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from incidents import services
from residents import services as resident_services
from tests.dashboard.insight_data import ARROIOS, BELEM, clock, hours

REPORTER = {"name": "Rosa Lima", "email": "rosa@example.pt", "language": "pt-pt"}

ANSWERS = [
    ("G1", ARROIOS, "noise", "high", 30, 5),
    ("G2", ARROIOS, "noise", "medium", 40, 2),
    ("G3", BELEM, "noise", "low", 50, 4),
    ("G4", BELEM, "theft", "high", 190, 3),
    ("G5", BELEM, "theft", "high", 200, 5),
    ("G6", ARROIOS, "theft", "low", 60, None),
    ("G7", ARROIOS, "noise", "high", 480, 1),
]


def answer(
    *, supervisor, officer, location, category, priority, at: datetime, score: int | None, title=""
):
    """An incident reported a day before `at`, the outcome sent to its reporter, and (unless
    `score` is None) the reporter's answer at `at`."""
    before = at - timedelta(hours=24)
    with clock(before):
        incident = services.incident_create(
            actor=supervisor,
            category=category,
            priority=priority,
            title=title,
            location=location,
            reported_at=before,
            reporter=REPORTER,
        )
        followup = services.followup_assign(
            actor=supervisor,
            incident=incident,
            title="Informar a munícipe",
            due_at=at,
            assignee=officer,
            tell_resident=True,
        )
    with clock(at - timedelta(hours=1)):
        services.followup_complete(followup=followup, actor=officer, outcome="Resolvido.")
        followup.refresh_from_db()
        message = resident_services.message_send(
            message=followup.resident_message, actor=officer, link_base="http://testserver"
        )
    if score is not None:
        with clock(at):
            resident_services.feedback_record(message=message, score=score)
    return incident


def build_feedback(supervisor, officer, point) -> dict:
    """G1-G7 of the table above, by name."""
    return {
        name: answer(
            supervisor=supervisor,
            officer=officer,
            location=point(lonlat),
            category=category,
            priority=priority,
            at=hours(at),
            score=score,
            title=name,
        )
        for name, lonlat, category, priority, at, score in ANSWERS
    }
