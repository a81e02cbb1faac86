"""Outcome to the resident, in Chromium: the officer completes a "tell the resident" follow-up,
edits the message drafted in the resident's language and sends it; the e-mail lands in Django's
locmem outbox, the timeline shows it, and the feedback link takes one answer only.

The shared server (tests/browser/conftest.py) is Daphne in its own process, whose outbox this
process cannot see. This scenario needs no websocket, so the module serves it from pytest-django's
live_server instead: WSGI in a thread of this process, where `mailoutbox` is Django's own."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from . import csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARROIOS = [-9.1345, 38.7255]
RESIDENT = {"name": "Lucía Gómez", "phone": "", "email": "lucia@example.es", "language": "es"}


@pytest.fixture(scope="module")
def asgi_server(live_server) -> str:
    """Replaces the shared Daphne for open_page and api: this process's live_server, so the mail
    the server sends is in `mailoutbox`. Its requests run in threads of their own; the ORM work
    beside sync Playwright (the flushes) is allowed by tests/conftest.py, which sets
    DJANGO_ALLOW_ASYNC_UNSAFE."""
    return live_server.url


@pytest.fixture
def published() -> Iterator[None]:
    """The server's services hand their events to this process's publisher thread: it must be
    done while the test may use the database, or it retries into the next modules' setup."""
    yield
    from dashboard.live.publisher import wait_published

    assert wait_published(), "this process's live events were not published in time"


def test_officer_sends_the_outcome_in_the_residents_language_and_the_resident_answers_once(
    open_page, api, browser, asgi_server, mailoutbox, screenshot_dir, published
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
    assert mailoutbox == []  # drafting and editing send nothing
    form.get_by_role("button", name="Enviar ao munícipe").click()

    box = panel.locator(".fu-card", has_text=task).locator(".rm-box")
    expect(box.locator(".badge-rm-sent")).to_have_text("Enviada")
    expect(box).to_contain_text("Ainda sem resposta.")
    expect(panel.locator(".timeline .tl-text", has_text=edited)).to_be_visible()
    officer.screenshot(path=screenshot_dir / "resident-message.png")

    # Django's mail backend carried it, in this process: to the resident, in Spanish, with the
    # feedback link to this server.
    (sent,) = mailoutbox
    assert sent.to == [RESIDENT["email"]]
    assert sent.message()["Content-Language"] == "es"
    assert sent.body.startswith(edited)
    assert "¿Se ha resuelto el problema?" in sent.body
    link = re.search(r"http://\S+/r/feedback/\S+/", sent.body).group(0)
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
