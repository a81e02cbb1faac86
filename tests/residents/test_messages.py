"""Outcome to the resident: the draft in the resident's language, the officer's edit, delivery
through the e-mail channel (Django's locmem backend here), and what a delivery records."""

from __future__ import annotations

import pytest

from incidents import services as incident_services
from incidents.errors import InvalidInput
from incidents.models import PersonalDataAccess, TimelineEntry
from residents import services
from residents.models import ResidentMessage

from .conftest import OUTCOME, REPORTER

pytestmark = pytest.mark.django_db

LINK_BASE = "https://koban.example.org"

# A phrase of each language's template, and of its subject.
DRAFTS = {
    "pt-pt": ("Isto foi o que foi feito:", "o que foi feito"),
    "en": ("This is what was done:", "what was done"),
    "es": ("Esto es lo que se hizo:", "lo que se hizo"),
    "fr": ("Voici ce qui a été fait :", "ce qui a été fait"),
}


@pytest.mark.parametrize("language", sorted(DRAFTS))
def test_completing_a_tell_the_resident_followup_drafts_the_outcome_in_their_language(
    make_told_followup, officer, language
):
    followup = make_told_followup(language)

    incident_services.followup_complete(followup=followup, actor=officer, outcome=OUTCOME)

    message = ResidentMessage.objects.get(followup=followup)
    in_body, in_subject = DRAFTS[language]
    assert message.language == language
    assert message.status == "draft"
    assert in_body in message.body
    assert OUTCOME in message.body
    assert in_subject in message.subject
    assert followup.incident.reference in message.subject
    # The letter says nothing personal: no name, no address of the resident.
    assert REPORTER["name"] not in message.body
    assert REPORTER["email"] not in message.body


def test_no_draft_when_the_resident_need_not_be_told_or_did_not_agree(make_told_followup, officer):
    untold = make_told_followup("en")
    untold.tell_resident = False
    untold.save()
    refused = make_told_followup("en", consent_to_contact=False)
    told_by_phone = make_told_followup("en")

    incident_services.followup_complete(followup=untold, actor=officer, outcome=OUTCOME)
    incident_services.followup_complete(followup=refused, actor=officer, outcome=OUTCOME)
    incident_services.followup_complete(
        followup=told_by_phone, actor=officer, outcome=OUTCOME, resident_told=True
    )

    assert not ResidentMessage.objects.exists()


def test_the_officer_edits_the_draft_and_a_sent_message_cannot_change(drafted, officer, mailoutbox):
    edited = services.message_edit(
        message=drafted, actor=officer, subject="O seu pedido", body="Hola, ya está resuelto."
    )
    assert (edited.subject, edited.body, edited.edited_by) == (
        "O seu pedido",
        "Hola, ya está resuelto.",
        officer,
    )
    with pytest.raises(InvalidInput) as empty:
        services.message_edit(message=drafted, actor=officer, body="  ")
    assert "body" in empty.value.errors

    services.message_send(message=drafted, actor=officer, link_base=LINK_BASE)

    with pytest.raises(InvalidInput) as late:
        services.message_edit(message=drafted, actor=officer, body="Outra coisa")
    assert "body" in late.value.errors
    drafted.refresh_from_db()
    assert drafted.body == "Hola, ya está resuelto."


def test_sending_delivers_by_email_and_records_state_timeline_access_and_status_notes(
    drafted, officer, mailoutbox
):
    services.message_edit(message=drafted, actor=officer, body="Hola: el bar cierra antes.")

    sent = services.message_send(message=drafted, actor=officer, link_base=LINK_BASE)

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [REPORTER["email"]]
    assert email.subject == drafted.subject
    assert email.body.startswith("Hola: el bar cierra antes.")
    assert f"{LINK_BASE}/r/feedback/" in email.body
    assert "¿Se ha resuelto el problema?" in email.body  # the footer, in Spanish too
    assert email.extra_headers["Content-Language"] == "es"
    assert sent.status == "sent" and sent.sent_at is not None and sent.sent_by == officer
    assert sent.channel == "email" and sent.attempts == 1
    followup = sent.followup
    followup.refresh_from_db()
    assert followup.resident_told_at == sent.sent_at
    entry = TimelineEntry.objects.filter(incident=sent.incident, data__action="resident_told").get()
    assert entry.text == "Hola: el bar cierra antes." and entry.actor == officer
    assert "/r/feedback/" not in entry.text  # the link is the resident's secret
    access = PersonalDataAccess.objects.get(incident=sent.incident, channel="resident-message")
    assert (access.user, access.action, access.purpose_code) == (officer, "view", "contact_outcome")
    assert access.detail["delivered"] is True
    sent.incident.refresh_from_db()
    assert sent.incident.status_notes == OUTCOME

    with pytest.raises(InvalidInput) as again:
        services.message_send(message=drafted, actor=officer, link_base=LINK_BASE)
    assert "status" in again.value.errors
    assert len(mailoutbox) == 1


def test_a_refused_delivery_is_recorded_with_its_reason_and_can_be_retried(
    drafted, officer, settings, mailoutbox
):
    settings.EMAIL_BACKEND = "tests.residents.conftest.RefusingBackend"

    failed = services.message_send(message=drafted, actor=officer, link_base=LINK_BASE)

    assert failed.status == "failed"
    assert "SMTPRecipientsRefused" in failed.failure_reason
    assert "550" in failed.failure_reason
    assert REPORTER["email"] not in failed.failure_reason  # staff see it: no personal data
    assert failed.failed_at is not None and failed.sent_at is None
    assert TimelineEntry.objects.filter(data__action="resident_message_failed").count() == 1
    access = PersonalDataAccess.objects.get(incident=failed.incident, channel="resident-message")
    assert access.detail["delivered"] is False
    failed.incident.refresh_from_db()
    assert failed.incident.status_notes == ""

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    retried = services.message_send(message=drafted, actor=officer, link_base=LINK_BASE)
    assert retried.status == "sent" and retried.attempts == 2
    assert len(mailoutbox) == 1


def test_a_resident_without_an_email_cannot_be_reached_by_the_email_channel(
    make_told_followup, officer, mailoutbox
):
    followup = make_told_followup("fr", email="")
    incident_services.followup_complete(followup=followup, actor=officer, outcome=OUTCOME)

    with pytest.raises(InvalidInput) as refused:
        services.message_send(message=followup.resident_message, actor=officer, link_base=LINK_BASE)

    assert "channel" in refused.value.errors
    assert ResidentMessage.objects.get(followup=followup).status == "draft"
    assert mailoutbox == []


def test_recording_a_residents_language_logs_it_and_redrafts_an_untouched_draft(
    drafted, supervisor
):
    services.reporter_language_set(incident=drafted.incident, actor=supervisor, language="fr")

    drafted.refresh_from_db()
    assert drafted.language == "fr"
    assert "Voici ce qui a été fait" in drafted.body
    assert drafted.incident.reporter.language == "fr"
    change = PersonalDataAccess.objects.get(incident=drafted.incident, action="change")
    assert change.user == supervisor
    with pytest.raises(InvalidInput) as unknown:
        services.reporter_language_set(incident=drafted.incident, actor=supervisor, language="de")
    assert "language" in unknown.value.errors
