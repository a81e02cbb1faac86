"""The resident loop's scene: an Arroios incident whose reporter reads a given language, and a
"tell the resident" follow-up a supervisor gave the Arroios officer."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from tests.conftest import ARROIOS

REPORTER = {"name": "Lucía Gómez", "phone": "+351 913 000 111", "email": "lucia@example.es"}
OUTCOME = "Falámos com o gerente do bar; a música passa a acabar às 23h."


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses the recipient, as a real SMTP server answers 550."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({"lucia@example.es": (550, b"mailbox unavailable")})


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_told_followup(make_incident, supervisor, officer):
    """make(language="es", **reporter) -> a "tell the resident" follow-up, not yet done."""
    from incidents import services

    def make(language: str = "es", **reporter):
        incident = make_incident(
            ARROIOS,
            title="Música alta no bar",
            reporter={**REPORTER, "language": language, **reporter},
        )
        return services.followup_assign(
            actor=supervisor,
            incident=incident,
            title="Falar com o bar e informar a munícipe",
            due_at=timezone.now() + timedelta(days=1),
            assignee=officer,
            tell_resident=True,
        )

    return make


@pytest.fixture
def drafted(make_told_followup, officer):
    """A follow-up just completed by the officer, so its message to the resident is a draft."""
    from incidents import services

    followup = make_told_followup("es")
    services.followup_complete(followup=followup, actor=officer, outcome=OUTCOME)
    return followup.resident_message.__class__.objects.get(followup=followup)
