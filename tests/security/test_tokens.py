"""API tokens (knox): hashed at rest, expiring, named, listed and revoked by their owner and by
administrators, and ended by a password change or a deactivation (issue 10, class 5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from dashboard.models import APIToken
from tests.conftest import force_login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _new_token(client, username="agente", password="pw-agente", name="CAD bridge") -> dict:  # noqa: S107  (test users)
    response = client.post(
        "/api/v1/auth/token/",
        {"username": username, "password": password, "name": name},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def _api(token: str) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _works(token: str) -> bool:
    response = _api(token).get("/api/v1/me/")
    assert response.status_code in (200, 401), response.status_code
    if response.status_code == 401:
        assert response["WWW-Authenticate"] == "Token"
    return response.status_code == 200


def test_a_token_is_stored_only_as_a_digest(client, officer):
    answer = _new_token(client)
    token = answer["token"]

    assert answer["name"] == "CAD bridge"
    assert answer["prefix"] == token[:15]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM dashboard_apitoken")
        rows = cursor.fetchall()
    assert len(rows) == 1
    assert not any(token in str(value) for value in rows[0])
    assert _works(token)


def test_a_token_expires(client, settings, officer):
    answer = _new_token(client)
    expiry = APIToken.objects.get().expiry
    assert expiry - timezone.now() == pytest.approx(
        timedelta(days=settings.KOBAN_API_TOKEN_TTL_DAYS), abs=timedelta(minutes=1)
    )
    assert answer["expiry"]

    APIToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    assert not _works(answer["token"])
    assert not APIToken.objects.exists()


def test_a_password_change_ends_the_owners_tokens(client, officer):
    token = _new_token(client)["token"]

    officer.set_password("a-brand-new-passphrase")
    officer.save()

    assert not _works(token)
    assert not APIToken.objects.exists()


def test_a_password_changed_in_the_admin_ends_the_owners_tokens(client, administrator, officer):
    token = _new_token(client)["token"]
    administrator.is_staff = True
    administrator.save()
    force_login_verified(client, administrator)

    changed = client.post(
        f"/admin/auth/user/{officer.pk}/password/",
        {"password1": "a-brand-new-passphrase", "password2": "a-brand-new-passphrase"},
    )

    assert changed.status_code == 302
    assert not _works(token)


def test_deactivating_the_owner_ends_their_tokens(client, officer):
    token = _new_token(client)["token"]

    officer.is_active = False
    officer.save()

    assert not _works(token)
    officer.is_active = True
    officer.save()
    assert not _works(token)  # deleted, not suspended


def test_the_owner_lists_names_and_revokes_a_token_by_its_prefix(client, officer, supervisor):
    first = _new_token(client, name="CAD bridge")
    second = _new_token(client, name="Night script")
    _new_token(client, username="chefe", password="pw-chefe", name="Not yours")

    listed = _api(first["token"]).get("/api/v1/auth/tokens/").json()
    assert [t["name"] for t in listed] == ["Night script", "CAD bridge"]
    assert all(set(t) == {"prefix", "name", "created", "expiry"} for t in listed)
    assert first["token"] not in str(listed)

    revoked = _api(first["token"]).delete(f"/api/v1/auth/tokens/{second['prefix']}/")
    assert revoked.status_code == 204
    assert not _works(second["token"])
    assert _works(first["token"])

    chiefs = APIToken.objects.get(user=supervisor).token_key
    assert _api(first["token"]).delete(f"/api/v1/auth/tokens/{chiefs}/").status_code == 404


def test_logging_out_revokes_the_token_in_use(client, officer):
    token = _new_token(client)["token"]

    assert _api(token).post("/api/v1/auth/logout/").status_code == 204
    assert not _works(token)


def test_a_signed_in_browser_makes_named_tokens_but_a_token_cannot(client, officer):
    client.force_login(officer)
    made = client.post("/api/v1/auth/tokens/", {"name": "Tablet"}, content_type="application/json")
    assert made.status_code == 201
    assert _works(made.json()["token"])

    refused = _api(made.json()["token"]).post(
        "/api/v1/auth/tokens/", {"name": "Forever"}, format="json"
    )
    assert refused.status_code == 403
    assert APIToken.objects.count() == 1


def test_administrators_see_tokens_in_the_admin_without_the_secret_and_revoke_them(
    client, administrator, officer
):
    answer = _new_token(client)
    row = APIToken.objects.get()
    administrator.is_staff = True
    administrator.save()
    force_login_verified(client, administrator)

    listing = client.get("/admin/dashboard/apitoken/").content.decode()
    assert "CAD bridge" in listing and "agente" in listing and row.token_key[:8] in listing
    assert answer["token"] not in listing
    page = client.get(f"/admin/dashboard/apitoken/{row.pk}/change/").content.decode()
    assert answer["token"] not in page
    assert 'name="digest"' not in page and 'name="name"' not in page  # nothing editable
    assert client.get("/admin/dashboard/apitoken/add/").status_code == 403

    deleted = client.post(f"/admin/dashboard/apitoken/{row.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert not _works(answer["token"])


def test_drf_plain_tokens_are_gone_from_the_admin_and_the_apps(client, administrator):
    from django.apps import apps

    administrator.is_staff = True
    administrator.save()
    force_login_verified(client, administrator)

    assert not apps.is_installed("rest_framework.authtoken")
    assert client.get("/admin/authtoken/tokenproxy/").status_code == 404
    assert client.get("/admin/knox/authtoken/").status_code == 404
