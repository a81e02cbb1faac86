"""Everything a resident sees exists in their language: the message and the feedback page,
rendered in pt-PT, es and fr, share no sentence with the English ones (an untranslated string
would show through), and the catalogues name each language in its own words."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from incidents import services as incident_services
from residents import services
from residents.tokens import feedback_token

from .conftest import OUTCOME

pytestmark = pytest.mark.django_db

OTHERS = ["pt-pt", "es", "fr"]


def _sentences(text: str) -> set[str]:
    """Visible text, split into lines that carry words (no markup, no numbers alone)."""
    text = re.sub(r"<[^>]+>", "\n", text)
    lines = {line.strip() for line in text.splitlines()}
    return {line for line in lines if re.search(r"[A-Za-z]{3}", line) and line != "Koban"}


def _message(make_told_followup, officer, language):
    followup = make_told_followup(language)
    incident_services.followup_complete(followup=followup, actor=officer, outcome=OUTCOME)
    message = followup.resident_message
    services.message_send(message=message, actor=officer, link_base="http://testserver")
    return message


def test_the_message_and_its_link_text_are_translated_for_every_resident_language(
    make_told_followup, officer, mailoutbox
):
    _message(make_told_followup, officer, "en")
    english = _sentences(mailoutbox[0].body + "\n" + mailoutbox[0].subject) - {OUTCOME}
    for language in OTHERS:
        _message(make_told_followup, officer, language)
        mail = mailoutbox[-1]
        shown = _sentences(mail.body + "\n" + mail.subject)
        assert english.isdisjoint(shown), (language, english & shown)


def test_the_feedback_page_and_its_errors_are_translated_for_every_resident_language(
    client, make_told_followup, officer, mailoutbox
):
    def page(language):
        message = _message(make_told_followup, officer, language)
        url = reverse("residents:feedback", args=[feedback_token(message)])
        form = client.get(url).content.decode()
        error = client.post(url, {"score": "9"}).content.decode()
        done = client.post(url, {"score": "3"}).content.decode()
        again = client.post(url, {"score": "3"}).content.decode()
        return _sentences(form + error + done + again)

    english = page("en")
    for language in OTHERS:
        shown = page(language)
        assert english.isdisjoint(shown), (language, english & shown)


def test_residents_languages_are_the_interfaces_two_plus_spanish_and_french():
    assert [code for code, _ in settings.KOBAN_RESIDENT_LANGUAGES] == ["pt-pt", "en", "es", "fr"]
    # The staff interface keeps its two.
    assert [code for code, _ in settings.LANGUAGES] == ["pt-pt", "en"]
