"""Client keys: issued by an administrator (admin or command), shown once, kept only hashed,
revocable; the admin pages of the Open311 models load."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse

from open311.models import ClientApplication, hash_key
from open311.selectors import client_for_key
from tests.conftest import force_login_verified

pytestmark = pytest.mark.django_db

KEY = re.compile(r"k311_[A-Za-z0-9_-]{40,}")


def test_command_prints_the_key_once_and_keeps_only_its_hash():
    out = StringIO()

    call_command("open311_client", "create", "fixmystreet-lx", "--contact", "CML", stdout=out)

    [key] = KEY.findall(out.getvalue())
    client = ClientApplication.objects.get(name="fixmystreet-lx")
    assert client.key_hash == hash_key(key) and key not in str(client.__dict__)
    assert client_for_key(key) == client

    call_command("open311_client", "revoke", "fixmystreet-lx", stdout=StringIO())

    assert client_for_key(key) is None


def test_administrator_issues_a_key_in_the_admin_and_revokes_it(client, administrator):
    administrator.is_staff = True
    administrator.save()
    force_login_verified(client, administrator)

    response = client.post(
        reverse("admin:open311_clientapplication_add"),
        {"name": "na-minha-rua", "contact": "CML"},
        follow=True,
    )

    assert response.status_code == 200
    [key] = KEY.findall(" ".join(str(m) for m in get_messages(response.wsgi_request)))
    created = client_for_key(key)
    assert created is not None and created.name == "na-minha-rua"
    # Listed with its hint, never the key.
    listing = client.get(reverse("admin:open311_clientapplication_changelist")).content.decode()
    assert created.key_hint in listing and key not in listing

    client.post(
        reverse("admin:open311_clientapplication_changelist"),
        {"action": "revoke", "_selected_action": [created.pk]},
    )

    assert client_for_key(key) is None


def test_open311_admin_pages_load(client, administrator):
    administrator.is_staff = True
    administrator.save()
    force_login_verified(client, administrator)
    for model in ("clientapplication", "servicesettings", "servicerequest"):
        assert client.get(reverse(f"admin:open311_{model}_changelist")).status_code == 200
    assert client.get(reverse("admin:open311_servicesettings_add")).status_code == 200
