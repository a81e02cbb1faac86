"""The resident's one-question page: a signed link, no login, one answer per message, in the
resident's language, and no script on the page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from residents import services
from residents.models import ResidentFeedback
from residents.tokens import feedback_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(drafted, officer, mailoutbox):
    return services.message_send(message=drafted, actor=officer, link_base="http://testserver")


def _url(message) -> str:
    return reverse("residents:feedback", args=[feedback_token(message)])


def test_the_link_in_the_email_opens_the_question_in_the_residents_language(client, sent):
    link = next(w for w in sent_mail_words(sent) if "/r/feedback/" in w)

    page = client.get(link.removeprefix("http://testserver"))

    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="es">' in html
    assert "¿Se ha resuelto el problema?" in html
    assert "Enviar mi respuesta" in html
    assert "<script" not in html and " style=" not in html


def sent_mail_words(message):
    from django.core import mail

    return mail.outbox[-1].body.split()


def test_one_answer_per_message_is_stored_against_the_followup(client, sent):
    first = client.post(_url(sent), {"score": "4", "comment": "Está mejor, gracias."})
    second = client.post(_url(sent), {"score": "1", "comment": "Otra vez"})

    assert first.status_code == 200
    assert "Gracias: su respuesta ha quedado registrada." in first.content.decode()
    assert second.status_code == 200
    assert "Ya ha respondido. Gracias." in second.content.decode()
    answer = ResidentFeedback.objects.get()
    assert (answer.score, answer.comment, answer.followup) == (
        4,
        "Está mejor, gracias.",
        sent.followup,
    )
    assert "Ya ha respondido" in client.get(_url(sent)).content.decode()


def test_a_bad_score_is_a_400_with_the_field_message_in_the_residents_language(client, sent):
    for score in ("0", "6", "", "abc"):
        response = client.post(_url(sent), {"score": score})
        assert response.status_code == 400
        assert "Elija un número del 1 al 5." in response.content.decode()
    assert not ResidentFeedback.objects.exists()


def test_bad_or_tampered_tokens_and_unsent_messages_are_not_found(client, sent, drafted):
    token = feedback_token(sent)
    message_id, nonce_and_signature = token.split(".", 1)
    forged = f"{int(message_id) + 1}.{nonce_and_signature}"
    for bad in ("nothing", token[:-2] + "xx", forged):
        assert client.get(reverse("residents:feedback", args=[bad])).status_code == 404
        assert (
            client.post(reverse("residents:feedback", args=[bad]), {"score": 5}).status_code == 404
        )
    assert not ResidentFeedback.objects.exists()


def test_a_draft_has_no_feedback_page_yet(client, drafted):
    assert client.get(_url(drafted)).status_code == 404
