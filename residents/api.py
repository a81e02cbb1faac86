"""API of the resident loop, one view per operation: read, edit and send the message drafted
for a follow-up; record the resident's language; read residents' answers (on a concern, and the
latest ones for the supervisors' board).

Who may do what: anyone who sees the follow-up reads its message (it holds no contact details);
editing and sending are for whoever works on the follow-up (assignee, patrol, supervisor);
recording a resident's language is for those who may reveal the contact."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from dashboard.api.docs import AUTH_ERRORS, errors
from dashboard.api.permissions import works_on_followup
from dashboard.api.serializers.common import StrictInputSerializer, UTCDateTimeField, display_name
from dashboard.api.views.base import KobanAPIView, validated
from incidents import selectors as incident_selectors
from incidents.errors import NotAllowed

from . import selectors, services
from .models import ResidentFeedback, ResidentMessage

TAG = ["residents"]
LANGUAGE_CHOICES = [code for code, _name in settings.KOBAN_RESIDENT_LANGUAGES]


class FeedbackSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    followup = serializers.IntegerField(source="followup_id")
    followup_title = serializers.CharField(source="followup.title")
    incident = serializers.IntegerField(source="followup.incident_id", allow_null=True)
    incident_reference = serializers.SerializerMethodField()
    score = serializers.IntegerField(help_text="Was the problem solved? 1 (no) to 5 (yes).")
    comment = serializers.CharField()
    answered_at = UTCDateTimeField()

    def get_incident_reference(self, obj: ResidentFeedback) -> str:
        incident = obj.followup.incident
        return incident.reference if incident is not None else ""


class AnswerSerializer(serializers.Serializer):
    score = serializers.IntegerField()
    comment = serializers.CharField()
    answered_at = UTCDateTimeField()


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    followup = serializers.IntegerField(source="followup_id")
    incident = serializers.IntegerField(source="incident_id")
    language = serializers.CharField(help_text="The resident's language (pt-pt, en, es, fr).")
    language_name = serializers.SerializerMethodField()
    subject = serializers.CharField()
    body = serializers.CharField(help_text="The text before the feedback link is added.")
    status = serializers.ChoiceField(choices=ResidentMessage.Status.choices)
    channel = serializers.CharField(help_text="The channel that carried it (e.g. email).")
    failure_reason = serializers.CharField()
    attempts = serializers.IntegerField()
    editable = serializers.BooleanField(source="is_editable")
    drafted_at = UTCDateTimeField()
    edited_at = UTCDateTimeField(allow_null=True)
    sent_at = UTCDateTimeField(allow_null=True)
    sent_by_name = serializers.SerializerMethodField()
    failed_at = UTCDateTimeField(allow_null=True)
    feedback = serializers.SerializerMethodField()

    def get_language_name(self, obj: ResidentMessage) -> str:
        return dict(settings.KOBAN_RESIDENT_LANGUAGES).get(obj.language, obj.language)

    def get_sent_by_name(self, obj: ResidentMessage) -> str:
        return display_name(obj.sent_by)

    @extend_schema_field(AnswerSerializer(allow_null=True))
    def get_feedback(self, obj: ResidentMessage) -> dict[str, Any] | None:
        feedback = getattr(obj, "feedback", None)
        return AnswerSerializer(feedback).data if feedback is not None else None


class MessageEditSerializer(StrictInputSerializer):
    subject = serializers.CharField(max_length=200, required=False)
    body = serializers.CharField(max_length=10000, required=False)


class LanguageSerializer(StrictInputSerializer):
    language = serializers.ChoiceField(
        choices=LANGUAGE_CHOICES, help_text="The language the resident is written to in."
    )


class LanguageAnswerSerializer(serializers.Serializer):
    language = serializers.CharField()


def _message_or_404(request: Request, pk: int) -> ResidentMessage:
    message = selectors.message_for_followup(request.user, pk)
    if message is None:
        raise Http404
    return message


def _check_works_on(request: Request, message: ResidentMessage) -> None:
    if not works_on_followup(request.user, message.followup):
        raise PermissionDenied("Only the follow-up's assignee (or their patrol) or a supervisor.")


def _answer(request: Request, pk: int) -> Response:
    return Response(MessageSerializer(_message_or_404(request, pk)).data)


class ResidentMessageView(KobanAPIView):
    @extend_schema(
        tags=TAG,
        summary="The message to the resident drafted for a follow-up",
        responses={200: MessageSerializer, **errors(*AUTH_ERRORS, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return _answer(request, pk)

    @extend_schema(
        tags=TAG,
        summary="Edit the drafted message before it goes",
        request=MessageEditSerializer,
        responses={200: MessageSerializer, **errors(400, *AUTH_ERRORS, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        data = validated(MessageEditSerializer, request)
        message = _message_or_404(request, pk)
        _check_works_on(request, message)
        services.message_edit(message=message, actor=request.user, **data)
        return _answer(request, pk)


class ResidentMessageSendView(KobanAPIView):
    @extend_schema(
        tags=TAG,
        summary="Send the message to the resident (its delivery state is in the answer)",
        description="A delivery failure is not an error of the request: the answer is 200 with "
        "`status` `failed` and the reason; sending again retries.",
        request=None,
        responses={200: MessageSerializer, **errors(400, *AUTH_ERRORS, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        message = _message_or_404(request, pk)
        _check_works_on(request, message)
        link_base = settings.KOBAN_PUBLIC_URL or request.build_absolute_uri("/")
        services.message_send(message=message, actor=request.user, link_base=link_base)
        return _answer(request, pk)


class ReporterLanguageView(KobanAPIView):
    @extend_schema(
        tags=TAG,
        summary="Record the language of the resident who reported an incident",
        request=LanguageSerializer,
        responses={200: LanguageAnswerSerializer, **errors(400, *AUTH_ERRORS, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = validated(LanguageSerializer, request)
        incident = incident_selectors.incidents_visible_to(request.user).filter(pk=pk).first()
        if incident is None:
            raise Http404
        if not incident_selectors.can_reveal_contact(request.user, incident):
            raise NotAllowed("Only those who may reveal the contact may change it.")
        contact = services.reporter_language_set(
            incident=incident, actor=request.user, language=data["language"]
        )
        return Response({"language": contact.language})


class ConcernFeedbackView(KobanAPIView):
    @extend_schema(
        tags=TAG,
        summary="Residents' answers about a concern (its follow-ups and its incidents')",
        responses={200: FeedbackSerializer(many=True), **errors(*AUTH_ERRORS, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        concern = incident_selectors.concerns_visible_to(request.user).filter(pk=pk).first()
        if concern is None:
            raise Http404
        rows = selectors.feedback_for_concern(request.user, concern)[:200]
        return Response(FeedbackSerializer(rows, many=True).data)


class FeedbackListView(KobanAPIView):
    @extend_schema(
        tags=TAG,
        summary="The latest 50 residents' answers on follow-ups you may see",
        responses={200: FeedbackSerializer(many=True), **errors(*AUTH_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        rows = selectors.feedback_visible_to(request.user)[:50]
        return Response(FeedbackSerializer(rows, many=True).data)
