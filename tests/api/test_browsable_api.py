"""The browsable API: every GET endpoint asked for HTML by a browser answers a page, never a 500."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.conftest import api_operations, fill_path


@pytest.mark.django_db
def test_every_get_endpoint_renders_as_html_for_a_browser(supervisor, integrator, one_of_each):
    clients = {"operations": APIClient(), "integrations": APIClient()}
    clients["operations"].force_login(supervisor)
    clients["integrations"].force_login(integrator)
    pages = [(path, op) for method, path, op in api_operations() if method == "get"]
    assert len(pages) > 20
    answers = {}
    for template, _operation in pages:
        client = clients["integrations" if "/integrations/" in template else "operations"]
        response = client.get(fill_path(template, one_of_each), HTTP_ACCEPT="text/html")
        answers[template] = response.status_code
    assert {path: status for path, status in answers.items() if status >= 500} == {}
    assert answers["/api/v1/incidents/{id}/"] == 200
