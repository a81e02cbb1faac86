"""Outcome to the resident, in Chromium: the officer completes a "tell the resident" follow-up,
edits the message drafted in the resident's language and sends it; the e-mail leaves through
Django's mail backend, the timeline shows it, and the feedback link takes one answer only.

The server is Daphne in its own process (tests/browser/conftest.py), so its mail cannot land in
this process's locmem outbox: this module's server writes mail with Django's file backend into
a folder the test reads. The locmem outbox is asserted in tests/residents/."""

from __future__ import annotations

import email
import re
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.live.helpers import start_daphne, wait_until_serving

from . import csp
from .conftest import _free_port

pytestmark = pytest.mark.browser

ARROIOS = [-9.1345, 38.7255]
RESIDENT = {"name": "Lucía Gómez", "phone": "", "email": "lucia@example.es", "language": "es"}


@pytest.fixture(scope="module")
def mail_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mail")


@pytest.fixture(scope="module")
def asgi_server(django_db_setup, tmp_path_factory, mail_dir) -> Iterator[str]:
    """The shared server, writing its mail into `mail_dir` (Django's file e-mail backend)."""
    port = _free_port()
    log = tmp_path_factory.mktemp("daphne") / "daphne.log"
    proc = start_daphne(
        port,
        log,
        KOBAN_API_RATE_TOKEN="1000/minute",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(proc, url, log)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _mails(mail_dir: Path) -> list[email.message.EmailMessage]:
    """Every e-mail the server wrote (the file backend separates them with a line of dashes)."""
    found = []
    for path in sorted(mail_dir.glob("*.log")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                found.append(email.message_from_bytes(chunk.lstrip(), policy=policy.default))
    return found


def test_officer_sends_the_outcome_in_the_residents_language_and_the_resident_answers_once(
    open_page, api, browser, asgi_server, mail_dir, screenshot_dir
):
    chefe = api("chefe.costa")
    title = f"Música alta no bar {uuid.uuid4().hex[:6]}"
    incident = chefe.post(
        "incidents/",
        json={
            "category": "noise",
            "title": title,
            "location": {"type": "Point", "coordinates": ARROIOS},
            "reporter": RESIDENT,
        },
    ).json()
    due = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    officer_id = api("agente.silva").get("me/").json()["id"]
    task = "Falar com o bar e informar a munícipe"
    assigned = chefe.post(
        "followups/",
        json={
            "incident": incident["id"],
            "title": task,
            "assignee": officer_id,
            "due_at": due,
            "tell_resident": True,
        },
    )
    assert assigned.status_code == 201, assigned.text

    officer = open_page("agente.silva", f"/?incident={incident['id']}")
    panel = officer.locator("#detail")
    expect(panel.locator("h2")).to_have_text(title)
    card = panel.locator(".fu-card", has_text=task)
    card.locator("[data-action=complete]").click()
    card.get_by_label("Resultado").fill("Falámos com o gerente: a música acaba às 23h.")
    card.get_by_role("button", name="Registar conclusão").click()

    # The draft is in Spanish, the resident's language, with the outcome in it.
    form = panel.locator(".fu-card", has_text=task).locator("form.rm-form")
    body = form.get_by_label("Mensagem")
    expect(body).to_have_value(re.compile("Esto es lo que se hizo:"))
    expect(body).to_have_value(re.compile("a música acaba às 23h"))
    expect(panel.locator(".rm-language")).to_contain_text("Español")
    edited = "Hola: hemos hablado con el bar y la música terminará a las 23:00."
    body.fill(edited)
    form.get_by_role("button", name="Enviar ao munícipe").click()

    box = panel.locator(".fu-card", has_text=task).locator(".rm-box")
    expect(box.locator(".badge-rm-sent")).to_have_text("Enviada")
    expect(box).to_contain_text("Ainda sem resposta.")
    expect(panel.locator(".timeline .tl-text", has_text=edited)).to_be_visible()
    officer.screenshot(path=screenshot_dir / "resident-message.png")

    # Django's mail backend carried it: to the resident, in Spanish, with the feedback link.
    (sent,) = _mails(mail_dir)
    assert sent["To"] == RESIDENT["email"]
    assert sent["Content-Language"] == "es"
    text = sent.get_content()
    assert text.startswith(edited)
    assert "¿Se ha resuelto el problema?" in text
    link = re.search(r"http://\S+/r/feedback/\S+/", text).group(0)
    assert link.startswith(asgi_server)

    # The resident opens the link twice (no login), answers in one tab, then in the other.
    context = browser.new_context(locale="es-ES")
    violations = csp.watch_csp(context, asgi_server)
    first, second = context.new_page(), context.new_page()
    for page in (first, second):
        page.goto(link)
        expect(page.locator("html")).to_have_attribute("lang", "es")
        expect(page.locator("legend")).to_have_text("¿Se ha resuelto el problema?")
    first.get_by_label("4", exact=True).check()
    first.get_by_label("¿Quiere añadir algo? (opcional)").fill("Mucho mejor, gracias.")
    first.get_by_role("button", name="Enviar mi respuesta").click()
    expect(first.locator(".feedback-done")).to_have_text(
        "Gracias: su respuesta ha quedado registrada."
    )
    second.get_by_label("1", exact=True).check()
    second.get_by_role("button", name="Enviar mi respuesta").click()
    expect(second.locator(".feedback-done")).to_have_text("Ya ha respondido. Gracias.")
    csp.flush(context)
    context.close()
    csp.assert_no_violations(violations)

    # The one answer is on the follow-up, where the officer and the supervisor see it.
    officer.reload()
    officer.wait_for_selector("html[data-ready=true]")
    box = officer.locator("#detail .fu-card", has_text=task).locator(".rm-box")
    expect(box.locator(".rm-score")).to_have_text("resolvido: 4/5")
    expect(box.locator(".rm-comment")).to_have_text("Mucho mejor, gracias.")
    assert officer.errors == []
