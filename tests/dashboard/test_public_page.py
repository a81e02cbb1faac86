"""A parish's public "you said, we did" page: promises and actions of published concerns, and
no personal data; public only where an administrator opened it."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import ReporterContact
from tests.conftest import ARROIOS, BELEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(make_incident, supervisor, officer, point, areas, make_user):
    """A published concern in Arroios with two reported incidents, a promise kept, a promise
    late and an action; plus an unpublished one and one in Belém."""
    officer.first_name, officer.last_name = "Rita", "Valente"
    officer.save()
    concern = services.concern_create(
        actor=supervisor,
        title="Ruído à saída do bar da Rua Morais Soares",
        category="noise",
        location=point(ARROIOS),
        address="Rua Morais Soares 27, 2.º Esq.",
        description="Queixa da D. Albertina Sequeira, 2.º Esq., que vê tudo da janela.",
        owner=officer,
    )
    for n, (name, phone, email) in enumerate(
        [
            ("Albertina Sequeira", "+351 912 345 678", "albertina.sequeira@example.pt"),
            ("Joaquim Brás", "213 456 789", "jbras@example.com"),
        ]
    ):
        incident = make_incident(
            ARROIOS,
            title=f"Ruído {n}",
            reporter={"name": name, "phone": phone, "email": email},
        )
        services.incident_link_concern(incident=incident, concern=concern, actor=supervisor)
    today = timezone.localdate()
    kept = services.concern_plan_add(
        concern=concern,
        kind="commitment",
        text="Rondas às sextas e sábados à noite",
        who="PSP, 1.ª Esquadra",
        due_on=today - timedelta(days=10),
        actor=officer,
    )
    services.concern_plan_add(
        concern=concern,
        kind="commitment",
        text="Pedir à Junta mais iluminação no largo",
        who="Junta de Freguesia de Arroios",
        due_on=today - timedelta(days=2),
        actor=officer,
    )
    services.concern_plan_add(
        concern=concern,
        kind="action",
        text="Seis rondas feitas em novembro",
        who="PSP",
        done_on=today - timedelta(days=12),
        fulfils=kept.pk,
        actor=officer,
    )
    services.concern_publish(
        concern=concern,
        published=True,
        public_summary="Ruído à noite à saída de um bar.",
        actor=supervisor,
    )
    services.concern_create(
        actor=supervisor, title="Graffiti não publicado", category="noise", location=point(ARROIOS)
    )
    belem = services.concern_create(
        actor=supervisor, title="Estacionamento em Belém", category="noise", location=point(BELEM)
    )
    services.concern_publish(
        concern=belem, published=True, public_summary="Carros no passeio.", actor=supervisor
    )
    areas["Arroios"].public_page = True
    areas["Arroios"].save()
    return concern


def _page(client, lang: str = "pt-pt", code: str | None = None, csv_: bool = False):
    from incidents.models import Area

    code = code or Area.objects.get(name="Arroios").code
    name = "dashboard:public_parish_csv" if csv_ else "dashboard:public_parish"
    return client.get(reverse(name, args=[code]), {"lang": lang})


def test_the_page_shows_promises_actions_and_what_is_late(client, published):
    response = _page(client)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ruído à saída do bar da Rua Morais Soares" in html
    assert "Ruído à noite à saída de um bar." in html
    for text in (
        "Rondas às sextas e sábados à noite",
        "Pedir à Junta mais iluminação no largo",
        "Seis rondas feitas em novembro",
        "Junta de Freguesia de Arroios",
    ):
        assert text in html
    assert html.count('class="is-late"') == 1
    assert "Graffiti não publicado" not in html
    assert "Estacionamento em Belém" not in html


def test_the_page_and_its_csv_hold_no_personal_data(client, published, officer):
    html = _page(client).content.decode()
    body = _page(client, csv_=True)
    assert body.status_code == 200
    table = b"".join(body.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(table)))
    assert len(rows) == 1 + 3  # header, two promises, one action
    contacts = ReporterContact.objects.all()
    assert contacts.count() == 2
    secrets = [officer.first_name, officer.last_name, officer.get_username(), "2.º Esq."]
    secrets += published.description.split(",")[:1]
    for contact in contacts:
        secrets += [contact.name, contact.phone, contact.email]
    for text in (html, table):
        for secret in filter(None, secrets):
            assert secret not in text, secret


def test_a_closed_page_is_for_logged_in_staff_only(client, published, areas, officer, integrator):
    areas["Arroios"].public_page = False
    areas["Arroios"].save()
    response = _page(client)
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert _page(client, csv_=True).status_code == 302
    client.force_login(integrator)
    assert _page(client).status_code == 404
    client.force_login(officer)
    preview = _page(client)
    assert preview.status_code == 200
    assert "Rondas às sextas e sábados à noite" in preview.content.decode()


def test_unknown_parish_is_404(client, published):
    assert _page(client, code="nope").status_code in (302, 404)
    client.force_login(published.owner)
    assert _page(client, code="nope").status_code == 404


@pytest.mark.parametrize(
    ("lang", "heading"),
    [
        ("pt-pt", "Disseram, fizemos"),
        ("en", "You said, we did"),
        ("es", "Nos lo dijeron, lo hicimos"),
        ("fr", "Vous l\u2019avez dit, nous l\u2019avons fait"),
    ],
)
def test_residents_read_the_page_in_their_language(client, published, lang, heading):
    html = _page(client, lang=lang).content.decode()
    assert heading in html
