"""The second factor (TOTP): who must give it, enrolment, the code step, and every way in that
must refuse a session still owing it: pages, the admin, the API and the live feed (issue 10)."""

from __future__ import annotations

import re
from base64 import b32encode

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import force_login_verified

from .helpers import totp_code

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_user(administrator):
    """The Administrator role, with staff access to the admin (password "pw-admin1")."""
    administrator.is_staff = True
    administrator.save()
    return administrator


def _log_in(client, username, password, next_url="/"):
    return client.post(
        f"/login/?next={next_url}",
        {"username": username, "password": password, "next": next_url},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def _device(user, confirmed=True):
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=confirmed)


def _wait_out_the_delay(device):
    """A wrong code makes the device wait before the next try (1 s, then doubling): as if
    that time had passed."""
    device.refresh_from_db()
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=None, throttling_failure_count=0
    )


# --- Who needs it --------------------------------------------------------------------------------


def test_an_administrator_without_a_device_is_sent_to_enrolment(client, admin_user):
    response = _log_in(client, "admin1", "pw-admin1", next_url="/followups/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/two-factor/?next=")


def test_a_role_named_in_the_setting_needs_it_too(client, settings, supervisor):
    # By default a supervisor (like an officer) logs in with the password alone.
    assert _log_in(client, "chefe", "pw-chefe")["Location"] == "/"
    client.logout()

    settings.KOBAN_2FA_ROLES = ["Supervisor"]
    assert _log_in(client, "chefe", "pw-chefe")["Location"].startswith("/login/two-factor/")


# --- Until enrolled, nothing else ----------------------------------------------------------------


def test_an_unenrolled_administrator_reaches_neither_pages_nor_admin_nor_api(client, admin_user):
    _log_in(client, "admin1", "pw-admin1")

    page = client.get("/")
    assert page.status_code == 302 and page["Location"].startswith("/login/two-factor/")
    admin_index = client.get("/admin/")
    assert admin_index.status_code == 302
    assert admin_index["Location"].startswith("/login/two-factor/")
    api = client.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en")
    assert api.status_code == 403
    assert api.json()["code"] == "second_factor_required"
    assert client.get("/integrations/").status_code == 302


def test_a_force_logged_in_administrator_is_held_at_enrolment_too(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/api/v1/incidents/").status_code == 403
    assert client.get("/").status_code == 302


def test_the_enrolment_page_shows_a_qr_code_and_the_secret_without_inline_script(
    client, admin_user
):
    _log_in(client, "admin1", "pw-admin1")
    html = client.get("/login/two-factor/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    device = TOTPDevice.objects.get(user=admin_user, confirmed=False)
    secret = re.search(r'<code class="totp-secret">([A-Z2-7 ]+)</code>', html).group(1)
    assert secret.replace(" ", "") == b32encode(device.bin_key).decode().rstrip("=")
    assert "<svg" in html and 'class="segno"' in html
    assert "<script" not in html and "style=" not in html


def test_the_code_pages_speak_portuguese_of_portugal(client, admin_user):
    _log_in(client, "admin1", "pw-admin1")
    enrol = client.get("/login/two-factor/").content.decode()
    assert "Configure a sua aplicação de autenticação" in enrol
    assert "Leia este código QR" in enrol

    _device(admin_user)
    verify = client.get("/login/code/").content.decode()
    assert "Confirme o início de sessão" in verify
    assert "código de seis algarismos" in verify


def test_confirming_a_code_finishes_enrolment_and_opens_the_dashboard(client, admin_user):
    _log_in(client, "admin1", "pw-admin1", next_url="/followups/")
    client.get("/login/two-factor/")
    device = TOTPDevice.objects.get(user=admin_user)

    wrong = client.post("/login/two-factor/", {"code": "000000", "next": "/followups/"})
    assert wrong.status_code == 200
    assert client.get("/").status_code == 302
    _wait_out_the_delay(device)

    right = client.post("/login/two-factor/", {"code": totp_code(device), "next": "/followups/"})
    assert right.status_code == 302 and right["Location"] == "/followups/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    assert client.get("/admin/").status_code == 200


# --- With a device: the code step ----------------------------------------------------------------


def test_with_a_device_the_password_leads_to_the_code_step(client, admin_user):
    device = _device(admin_user)

    response = _log_in(client, "admin1", "pw-admin1", next_url="/admin/")
    assert response["Location"] == "/login/code/?next=%2Fadmin%2F"
    assert client.get("/admin/").status_code == 302

    refused = client.post(
        "/login/code/", {"code": "123456", "next": "/admin/"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 200
    assert "That code is not right" in refused.content.decode()
    assert client.get("/api/v1/me/").status_code == 403

    _wait_out_the_delay(device)
    accepted = client.post("/login/code/", {"code": totp_code(device), "next": "/admin/"})
    assert accepted.status_code == 302 and accepted["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_an_officer_who_enrolled_by_choice_gives_the_code_too(client, officer):
    device = _device(officer)
    assert _log_in(client, "agente", "pw-agente")["Location"].startswith("/login/code/")
    assert client.get("/").status_code == 302
    client.post("/login/code/", {"code": totp_code(device), "next": "/"})
    assert client.get("/").status_code == 200


def test_a_code_is_accepted_only_once(client, admin_user):
    device = _device(admin_user)
    code = totp_code(device)
    _log_in(client, "admin1", "pw-admin1")
    assert client.post("/login/code/", {"code": code})["Location"] == "/"

    client.logout()
    _log_in(client, "admin1", "pw-admin1")
    assert client.post("/login/code/", {"code": code}).status_code == 200  # replayed: refused


def test_the_admin_login_form_leads_to_the_same_code_step(client, admin_user):
    _device(admin_user)
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "admin1", "password": "pw-admin1"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/login/code/")
    assert client.get("/admin/").status_code == 302


def test_staff_whose_role_needs_no_code_still_need_one_for_the_admin(client, integrator):
    integrator.is_staff = True
    integrator.save()
    client.force_login(integrator)
    assert client.get("/integrations/").status_code == 200  # their pages: password is enough

    admin_index = client.get("/admin/")
    login = client.get(admin_index["Location"])
    assert login.status_code == 302 and login["Location"].startswith("/login/two-factor/")

    force_login_verified(client, integrator)
    assert client.get("/admin/").status_code == 200


# --- The token endpoint --------------------------------------------------------------------------


def _token(client, **body):
    return client.post(
        "/api/v1/auth/token/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )


def test_the_token_endpoint_needs_the_code_for_such_users(client, admin_user, officer):
    assert _token(client, username="agente", password="pw-agente").status_code == 200

    no_device = _token(client, username="admin1", password="pw-admin1")
    assert no_device.status_code == 400 and "otp" in no_device.json()

    device = _device(admin_user)
    assert "otp" in _token(client, username="admin1", password="pw-admin1").json()
    wrong = _token(client, username="admin1", password="pw-admin1", otp="000000")
    assert wrong.status_code == 400 and "token" not in wrong.json()

    _wait_out_the_delay(device)
    right = _token(client, username="admin1", password="pw-admin1", otp=totp_code(device))
    assert right.status_code == 200
    assert "token" in right.json()


# --- The live feed -------------------------------------------------------------------------------


@pytest.fixture
def fresh_channel_layer():
    """Each test runs its own event loop; channels-redis keeps connection pools per loop."""
    from channels.layers import channel_layers

    channel_layers.backends = {}
    yield
    channel_layers.backends = {}


def _cookie(user, verified: bool) -> str:
    from django.conf import settings
    from django.test import Client

    client = Client()
    if verified:
        force_login_verified(client, user)
    else:
        client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.mark.django_db(transaction=True)
def test_the_live_feed_refuses_a_session_still_owing_the_code(admin_user, fresh_channel_layer):
    from dashboard.live import protocol
    from tests.live.helpers import FeedClient, db, run_async

    @run_async
    async def check():
        held = FeedClient(await db(_cookie)(admin_user, False))
        assert (await held.ws.connect())[0]
        assert await held.closed_with() == protocol.CLOSE_UNAUTHENTICATED

        verified = FeedClient(await db(_cookie)(admin_user, True))
        assert (await verified.connect())["type"] == "hello"
        await verified.close()

    check()
