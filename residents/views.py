"""The resident's one-question page, reached from the link in a message: no login, in the
resident's language, no JavaScript (a plain form), nothing about anyone on it."""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from incidents.errors import InvalidInput

from . import services
from .models import ResidentFeedback
from .tokens import message_for_token

SCORES = [(n, str(n)) for n in range(1, 6)]


class FeedbackForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Was the problem solved?"),
        help_text=_("1: not at all, 5: completely"),
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a number from 1 to 5."),
            "invalid_choice": _("Choose a number from 1 to 5."),
        },
    )
    comment = forms.CharField(
        label=_("Anything you want to add? (optional)"),
        required=False,
        max_length=services.MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def feedback(request: HttpRequest, token: str) -> HttpResponse:
    message = message_for_token(token)
    if message is None or message.status != message.Status.SENT:
        raise Http404
    with translation.override(message.language):
        answered = ResidentFeedback.objects.filter(message=message).exists()
        form = FeedbackForm(request.POST if request.method == "POST" and not answered else None)
        status = 200
        thanks = False
        if form.is_bound:
            if form.is_valid():
                try:
                    services.feedback_record(message=message, **form.cleaned_data)
                    thanks = True
                except services.AlreadyAnswered:
                    answered = True
                except InvalidInput as exc:  # the service's own checks, shown on the form
                    for field, errors in exc.errors.items():
                        form.add_error(field if field in form.fields else None, errors)
            if form.errors:
                status = 400
        context = {
            "form": form,
            "answered": answered,
            "thanks": thanks,
            "language": message.language,
        }
        return render(request, "residents/feedback.html", context, status=status)
