"""Subject access: `manage.py subject_access` for a demo resident writes a JSON and an HTML file
with every incident they reported and every access to their data, and logs the export."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from incidents import services
from incidents.demo import load_demo
from incidents.models import Incident, PersonalDataAccess, ReporterContact

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    with override_settings(KOBAN_EVENT_PUBLISHER="builtins.len"):
        load_demo(incidents=120)


def _run(tmp_path, *args: str) -> dict:
    call_command("subject_access", *args, "--out", str(tmp_path))
    (json_file,) = tmp_path.glob("subject-access-*.json")
    (html_file,) = tmp_path.glob("subject-access-*.html")
    assert html_file.read_text().startswith("<!doctype html>")
    return json.loads(json_file.read_text())


def test_a_demo_resident_gets_every_incident_and_every_access_and_the_export_is_logged(
    demo, tmp_path
):
    from django.contrib.auth import get_user_model

    chefe = get_user_model().objects.get(username="chefe.costa")
    name, _ = Counter(
        ReporterContact.objects.exclude(name="").values_list("name", flat=True)
    ).most_common(1)[0]
    theirs = Incident.objects.filter(reporter__name=name)
    assert theirs.count() >= 1
    first = theirs.first()
    services.reporter_contact_reveal(user=chefe, incident=first, purpose="clarify_report")
    accesses = PersonalDataAccess.objects.filter(incident__in=theirs)
    expected_accesses = accesses.count()
    assert expected_accesses >= theirs.count() + 1  # collected each, revealed one

    answer = _run(tmp_path, "--name", name.upper(), "--by", "chefe.costa", "--reason", "P-17")

    assert {i["reference"] for i in answer["incidents"]} == set(
        theirs.values_list("reference", flat=True)
    )
    assert {c["name"] for c in answer["contacts"]} == {name}
    assert len(answer["accesses"]) == expected_accesses
    assert any(
        a["action"] == "view" and a["by"] == "chefe.costa" and a["incident"] == first.reference
        for a in answer["accesses"]
    )
    assert {e["incident"] for e in answer["timeline"]} == {
        i["reference"] for i in answer["incidents"]
    }
    logged = PersonalDataAccess.objects.filter(action="export", channel="subject_access")
    assert set(logged.values_list("incident_id", flat=True)) == set(
        theirs.values_list("pk", flat=True)
    )
    assert all(row.user == chefe and "P-17" in row.purpose for row in logged)


def test_by_phone_matches_whatever_the_spelling(demo, tmp_path):
    contact = ReporterContact.objects.exclude(phone="").first()
    spaced = "+351 " + " ".join(contact.phone[i : i + 3] for i in range(0, 9, 3))

    answer = _run(tmp_path, "--phone", spaced, "--by", "chefe.costa")

    assert contact.incident.reference in {i["reference"] for i in answer["incidents"]}


def test_nobody_found_is_an_answer_and_is_logged_too(demo, tmp_path):
    answer = _run(tmp_path, "--email", "ninguem@example.pt", "--by", "chefe.costa")

    assert answer["incidents"] == answer["contacts"] == answer["accesses"] == []
    row = PersonalDataAccess.objects.get(action="export")
    assert (row.incident_id, row.detail) == (None, {"matched_incidents": 0})


def test_only_supervisors_administrators_and_auditors_may_run_it(demo, tmp_path):
    with pytest.raises(CommandError, match="--by"):
        call_command(
            "subject_access", "--name", "x", "--by", "agente.silva", "--out", str(tmp_path)
        )
    assert not PersonalDataAccess.objects.filter(action="export").exists()
