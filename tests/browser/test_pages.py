"""The dashboard's pages on the server side: who may open them, what the frame offers, and the
configuration the scripts start from (no browser needed)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tests.conftest import force_login_verified

pytestmark = pytest.mark.django_db

PAGES = ["dashboard:operations", "dashboard:followups", "dashboard:my_work"]


def _config(response) -> dict:
    html = response.content.decode()
    start = html.index('id="koban-config"')
    body = html[html.index(">", start) + 1 : html.index("</script>", start)]
    return json.loads(body)


@pytest.mark.parametrize("name", PAGES)
def test_pages_send_anonymous_visitors_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", PAGES)
def test_integrators_see_no_operational_pages_and_go_to_integrations(client, integrator, name):
    client.force_login(integrator)
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"] == reverse("integrations:sources")


def test_a_user_without_any_role_is_refused(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", password="x"))
    assert client.get(reverse("dashboard:operations")).status_code == 403


def test_officers_have_their_work_but_no_board_and_no_integrations_link(client, officer):
    client.force_login(officer)
    response = client.get(reverse("dashboard:followups"))
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:my_work")

    page = client.get(reverse("dashboard:operations"))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("dashboard:my_work") in html
    assert f'href="{reverse("dashboard:followups")}"' not in html
    assert f'href="{reverse("integrations:sources")}"' not in html
    config = _config(page)
    assert config["me"]["id"] == officer.id
    assert config["me"]["can_assign"] is False


def test_supervisors_get_the_board_and_administrators_also_the_integrations_link(
    client, supervisor, administrator
):
    client.force_login(supervisor)
    board = client.get(reverse("dashboard:followups"))
    assert board.status_code == 200
    assert _config(board)["me"]["can_assign"] is True
    assert f'href="{reverse("integrations:sources")}"' not in board.content.decode()

    force_login_verified(client, administrator)
    html = client.get(reverse("dashboard:operations")).content.decode()
    assert f'href="{reverse("integrations:sources")}"' in html


def test_login_page_speaks_portuguese_of_portugal_by_default(client):
    html = client.get(reverse("login")).content.decode()
    assert "Iniciar sessão" in html
    assert "Nome de utilizador" in html
    assert "usuário" not in html


def test_language_choice_changes_page_text_and_script_strings(client, supervisor):
    client.force_login(supervisor)
    pt = client.get(reverse("dashboard:operations"))
    assert "As minhas tarefas" in pt.content.decode()
    assert _config(pt)["strings"]["live_connected"] == "Ao vivo"
    assert _config(pt)["labels"]["incident_status"]["acknowledged"] == "Aceite"
    assert _config(pt)["labels"]["category"]["noise"] == "Ruído"

    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    en = client.get(reverse("dashboard:operations"))
    assert "My work" in en.content.decode()
    assert _config(en)["strings"]["live_connected"] == "Live"
    assert _config(en)["labels"]["category"]["noise"] == "Noise"
    assert _config(en)["timeZone"] == "Europe/Lisbon"


def test_basemap_url_from_settings_reaches_the_map(client, supervisor, settings):
    client.force_login(supervisor)
    assert _config(client.get(reverse("dashboard:operations")))["basemap"] == ""
    settings.KOBAN_BASEMAP_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    config = _config(client.get(reverse("dashboard:operations")))
    assert config["basemap"] == "https://tiles.example.org/{z}/{x}/{y}.png"


# --- Content-Security-Policy: the header (tests/browser/test_csp.py checks it in Chromium) ------


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


@pytest.mark.parametrize(
    "url", ["/login/", "/", "/followups/", "/my-work/", "/api/docs/", "/api/v1/areas/"]
)
def test_pages_forbid_inline_script_eval_plugins_framing_and_foreign_hosts(client, supervisor, url):
    if url != "/login/":
        client.force_login(supervisor)
    policy = _policy(client.get(url))
    assert policy == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }


def test_only_redoc_may_style_inline_and_it_still_runs_no_inline_script(client, supervisor):
    client.force_login(supervisor)
    policy = _policy(client.get("/api/redoc/"))
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["worker-src"] == ["'self'", "blob:"]
    assert policy["script-src"] == ["'self'"]


def test_the_basemap_host_is_allowed_for_images_and_nothing_else():
    from django.core.exceptions import ImproperlyConfigured

    from koban.settings import _tile_source

    assert _tile_source("") == []
    assert _tile_source("https://{s}.tile.example.org/{z}/{x}/{y}.png") == [
        "https://*.tile.example.org"
    ]
    assert _tile_source("https://tiles.example.org:8443/{z}/{x}/{y}.png") == [
        "https://tiles.example.org:8443"
    ]
    for bad in ("javascript:alert(1)//{z}", "https://a.{s}.example.org/{z}", "/tiles/{z}"):
        with pytest.raises(ImproperlyConfigured):
            _tile_source(bad)


def test_documentation_and_map_widget_pages_carry_no_inline_script(
    client, supervisor, administrator, areas
):
    client.force_login(supervisor)
    for url in ("/api/docs/", "/api/redoc/"):
        html = client.get(url).content.decode()
        assert "<script>" not in html and "<style>" not in html, url
    script = client.get("/api/docs/", {"script": ""})
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content

    administrator.is_staff = administrator.is_superuser = True
    administrator.save()
    force_login_verified(client, administrator)
    page = client.get(reverse("admin:incidents_area_change", args=[areas["Arroios"].pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "data-koban-map-widget" in html and "dashboard/js/admin-map-widget.js" in html
    assert "<script>" not in html and "new MapWidget" not in html
