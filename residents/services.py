"""Writes of the resident loop: draft the outcome message when a "tell the resident" follow-up is
done, let the officer edit it, deliver it through a channel, record the resident's language and
the resident's one answer. Every delivery uses the resident's contact: it is logged (Law 59/2019).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from incidents import events
from incidents.errors import InvalidInput
from incidents.models import AccessPurpose, FollowUp, Incident, PersonalDataAccess, ReporterContact
from incidents.services import access_record, incident_set_status_notes
from incidents.services._common import add_timeline, lock_row

from .channels import DeliveryResult, registry
from .models import ResidentFeedback, ResidentMessage
from .tokens import feedback_token

logger = logging.getLogger(__name__)

# The access-log purpose of a delivery (seeded by incidents.setup; data a force may rename).
DELIVERY_PURPOSE = "contact_outcome"
MAX_COMMENT = 2000


class AlreadyAnswered(Exception):
    """The message's one answer was given before; nothing was written."""


def resident_language(code: str | None) -> str:
    """A language residents can be written to in; anything else falls back to the default."""
    languages = dict(settings.KOBAN_RESIDENT_LANGUAGES)
    return code if code in languages else settings.KOBAN_RESIDENT_LANGUAGE_DEFAULT


def _draft(*, incident: Incident, outcome: str, language: str) -> tuple[str, str]:
    """Subject and body in the resident's language, from the per-language catalogues."""
    with translation.override(language):
        subject = gettext("Your report %(reference)s: what was done") % {
            "reference": incident.reference
        }
        body = render_to_string(
            "residents/message_body.txt",
            {
                "reference": incident.reference,
                "outcome": outcome,
                "signature": gettext("Your community policing team"),
            },
        )
    return subject[:200], body.strip()


def _footer(message: ResidentMessage, link_base: str) -> str:
    link = f"{link_base.rstrip('/')}/r/feedback/{feedback_token(message)}/"
    with translation.override(message.language):
        return render_to_string("residents/message_footer.txt", {"link": link})


def _emit_followup(followup: FollowUp) -> None:
    """Its audience is the domain's (incidents/audience.py), like every follow-up event."""
    events.emit_followup(followup)


def message_draft_on_completion(*, followup: FollowUp, actor: Any) -> ResidentMessage | None:
    """Hook of followup_complete (settings.KOBAN_FOLLOWUP_COMPLETED_HOOKS), in its transaction:
    the outcome becomes a draft to the reporter, in their language. Nothing when the resident
    need not be told, was told already, gave no way to reach them or did not agree to it."""
    if not followup.tell_resident or followup.resident_told_at or not followup.incident_id:
        return None
    contact = ReporterContact.objects.filter(incident_id=followup.incident_id).first()
    if contact is None or not contact.consent_to_contact or not (contact.email or contact.phone):
        return None
    incident = followup.incident
    language = resident_language(contact.language)
    subject, body = _draft(incident=incident, outcome=followup.outcome, language=language)
    message, _created = ResidentMessage.objects.update_or_create(
        followup=followup,
        defaults={"incident": incident, "language": language, "subject": subject, "body": body},
    )
    return message


@transaction.atomic
def message_edit(
    *,
    message: ResidentMessage | int,
    actor: Any,
    subject: str | None = None,
    body: str | None = None,
) -> ResidentMessage:
    """The officer's words before the message goes; a sent message is never changed."""
    obj = lock_row(ResidentMessage, message, "followup")
    if not obj.is_editable:
        raise InvalidInput({"body": ["This message has already gone; it cannot be changed."]})
    if subject is not None:
        if not subject.strip():
            raise InvalidInput({"subject": ["A message needs a subject."]})
        obj.subject = subject.strip()[:200]
    if body is not None:
        if not body.strip():
            raise InvalidInput({"body": ["The message cannot be empty."]})
        obj.body = body.strip()
    obj.edited_at, obj.edited_by = timezone.now(), actor
    obj.save()
    _emit_followup(obj.followup)
    return obj


def _claim(message: ResidentMessage | int) -> tuple[ResidentMessage, ReporterContact, Any]:
    """Marks the message as being sent (so a second click sends nothing) and picks the channel."""
    with transaction.atomic():
        obj = lock_row(ResidentMessage, message, "followup", "incident")
        if obj.status == ResidentMessage.Status.SENT:
            raise InvalidInput({"status": ["This message has already been sent."]})
        # A claim older than a delivery can take is one whose process died: it may go again.
        stale = timezone.now() - timedelta(seconds=4 * settings.EMAIL_TIMEOUT)
        if obj.status == ResidentMessage.Status.SENDING and obj.updated_at > stale:
            raise InvalidInput({"status": ["This message is being sent."]})
        contact = ReporterContact.objects.filter(incident_id=obj.incident_id).first()
        if contact is None or not (contact.name or contact.phone or contact.email):
            raise InvalidInput(
                {"channel": ["The resident's contact is no longer held (erased or never given)."]}
            )
        if not contact.consent_to_contact:
            raise InvalidInput({"channel": ["The resident did not agree to be contacted."]})
        channel = registry.for_contact(contact)
        if channel is None:
            raise InvalidInput({"channel": ["No channel can reach this resident (no e-mail)."]})
        obj.status, obj.channel = ResidentMessage.Status.SENDING, channel.code
        obj.attempts += 1
        obj.save()
    return obj, contact, channel


def message_send(*, message: ResidentMessage | int, actor: Any, link_base: str) -> ResidentMessage:
    """Delivers the message with the feedback link (built on `link_base`, the address residents
    reach Koban at). The channel is called outside any transaction of ours: no row stays locked
    while a mail server answers. A failure is recorded with its reason and may be retried."""
    obj, contact, channel = _claim(message)
    text = f"{obj.body}\n{_footer(obj, link_base)}"
    try:
        result = channel.send(obj, recipient=contact, text=text)
    except Exception as exc:  # a channel must not raise; if one does, the message must not hang
        logger.exception("channel %s raised for resident message %s", channel.code, obj.pk)
        result = DeliveryResult(ok=False, reason=f"{type(exc).__name__}: {exc}"[:500])
    return _record_delivery(message=obj, actor=actor, result=result)


def _purpose_name() -> str:
    purpose = AccessPurpose.objects.filter(code=DELIVERY_PURPOSE).first()
    return purpose.name_en if purpose else "Tell the resident the outcome"


@transaction.atomic
def _record_delivery(
    *, message: ResidentMessage, actor: Any, result: DeliveryResult
) -> ResidentMessage:
    obj = lock_row(ResidentMessage, message, "incident")
    followup = lock_row(FollowUp, obj.followup_id)
    now = timezone.now()
    detail = {"message": obj.pk, "followup": followup.pk, "delivery": obj.channel}
    if result.ok:
        obj.status, obj.sent_at, obj.sent_by = ResidentMessage.Status.SENT, now, actor
        obj.failure_reason = ""
        followup.resident_told_at = now
        followup.save(update_fields=["resident_told_at", "updated_at"])
        text, action = obj.body, "resident_told"
    else:
        obj.status, obj.failed_at = ResidentMessage.Status.FAILED, now
        obj.failure_reason = (result.reason or "The channel gave no reason.")[:500]
        text, action = obj.failure_reason, "resident_message_failed"
    obj.save()
    add_timeline(
        item=obj.incident,
        kind="followup",
        actor=actor,
        text=text,
        data={
            "followup": followup.pk,
            "action": action,
            "channel": obj.channel,
            "language": obj.language,
            "message": obj.pk,
        },
    )
    # Using the contact to reach the resident is a use of personal data, delivered or not.
    access_record(
        user=actor,
        action=PersonalDataAccess.Action.VIEW,
        incident=obj.incident,
        channel="resident-message",
        purpose_code=DELIVERY_PURPOSE,
        purpose=_purpose_name(),
        detail={**detail, "delivered": result.ok},
    )
    if result.ok:
        # What residents and Open311 clients are told publicly: the outcome, not the letter.
        incident_set_status_notes(incident=obj.incident_id, text=followup.outcome, actor=actor)
    _emit_followup(followup)
    return obj


@transaction.atomic
def reporter_language_set(
    *, incident: Incident | int, actor: Any, language: str, channel: str = "api"
) -> ReporterContact:
    """Records the language a resident is written to in; unsent drafts nobody edited yet are
    drafted again in it. Changing it alters personal data, so it is logged."""
    if language not in dict(settings.KOBAN_RESIDENT_LANGUAGES):
        raise InvalidInput({"language": [f"Unknown language '{language}'."]})
    incident_pk = incident.pk if isinstance(incident, Incident) else incident
    contact = (
        ReporterContact.objects.select_for_update()
        .select_related("incident")
        .filter(incident_id=incident_pk)
        .first()
    )
    if contact is None:
        raise InvalidInput({"language": ["This incident has no reporter's contact."]})
    if contact.language == language:
        return contact
    contact.language = language
    contact.save(update_fields=["language"])
    access_record(
        user=actor,
        action=PersonalDataAccess.Action.CHANGE,
        incident=contact.incident,
        channel=channel,
        purpose="Resident's language recorded",
        detail={"field": "language"},
    )
    add_timeline(
        item=contact.incident,
        kind="updated",
        actor=actor,
        data={"changed": {"reporter_language": language}},
    )
    drafts = ResidentMessage.objects.select_for_update().filter(
        incident_id=incident_pk, status="draft", edited_at__isnull=True
    )
    for message in drafts.select_related("followup"):
        message.language = language
        message.subject, message.body = _draft(
            incident=contact.incident, outcome=message.followup.outcome, language=language
        )
        message.save()
        _emit_followup(message.followup)
    return contact


@transaction.atomic
def feedback_record(
    *, message: ResidentMessage | int, score: int, comment: str = ""
) -> ResidentFeedback:
    """The resident's one answer (no login: the caller checked the signed link). A second one
    raises AlreadyAnswered and writes nothing; the unique key is the net under that rule."""
    obj = lock_row(ResidentMessage, message, "followup", "incident")
    if obj.status != ResidentMessage.Status.SENT:
        raise InvalidInput({"score": ["This message was never sent."]})
    if ResidentFeedback.objects.filter(message=obj).exists():
        raise AlreadyAnswered
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise InvalidInput({"score": ["Choose a number from 1 to 5."]})
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidInput({"comment": [f"At most {MAX_COMMENT} characters."]})
    feedback = ResidentFeedback.objects.create(
        message=obj, followup=obj.followup, score=score, comment=comment
    )
    add_timeline(
        item=obj.incident,
        kind="followup",
        actor_label="resident",
        text=f"{score}/5" + (f" · {comment}" if comment else ""),
        data={"followup": obj.followup_id, "action": "resident_feedback", "score": score},
    )
    _emit_followup(obj.followup)
    return feedback
