"""Open311 server fixtures: a client application with its key, and requests posted through the
HTTP interface (the way a citizen app does), so the tests read back what really went in."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient

from tests.conftest import ARROIOS

BASE = "/open311/v2"
# What a resident's app sends: a noise complaint in Arroios, with the reporter's contact.
RESIDENT = {
    "first_name": "Maria",
    "last_name": "Fonseca",
    "email": "maria.fonseca@example.pt",
    "phone": "+351 912 345 678",
}


@pytest.fixture(autouse=True)
def english(settings) -> None:
    """Service names are asserted on in English (the default language is pt-PT)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def client_app(db) -> tuple[Any, str]:
    from open311 import services

    return services.client_create(name="na-minha-rua", contact="CML")


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def post_request(api, client_app, areas):
    """POST requests.json with a valid key; returns the parsed answer and the response."""
    _, key = client_app

    def post(fmt: str = "json", **fields: Any):
        data = {
            "api_key": key,
            "service_code": "noise",
            "lat": ARROIOS[1],
            "long": ARROIOS[0],
            "address_string": "Rua de Arroios 45, 2º Esq, 1150-001 Lisboa",
            "description": "Música alta todas as noites depois das 2h.",
            **RESIDENT,
            **fields,
        }
        data = {k: v for k, v in data.items() if v is not None}
        return api.generic(
            "POST",
            f"{BASE}/requests.{fmt}",
            urlencode(data, doseq=True),
            content_type="application/x-www-form-urlencoded; charset=utf-8",
        )

    return post
