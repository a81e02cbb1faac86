"""Residents' personal data in raw payloads (an Open311 request's name, e-mail and phone) is
masked wherever integrators see payloads: rejected records (page, API, admin), dry runs and
run errors; a source lists its own personal keys in `personal_fields`."""

from __future__ import annotations

import pytest

from integrations import services
from integrations.masking import MASK, mask_payload, mask_text
from integrations.models import RejectedRecord

pytestmark = pytest.mark.django_db

RESIDENT = {
    "service_request_id": "101",
    "first_name": "Maria",
    "last_name": "Almeida",
    "email": "maria.almeida@example.pt",
    "phone": "+351 912 345 678",
    "description": "Lixo na rua; ligar para 912345678 ou maria.almeida@example.pt",
    "attributes": [{"code": "Nome_Completo", "value": "x"}],
    "extra": {"NIF": "123456789", "morada_fiscal": "Rua A 1"},
    "lat": 38.7255,
    "long": -9.1345,
}


def test_personal_keys_and_values_in_text_are_masked_the_rest_kept():
    masked = mask_payload(RESIDENT, extra_keys=["morada-fiscal"])

    assert masked["first_name"] == masked["last_name"] == masked["email"] == MASK
    assert masked["phone"] == MASK
    assert masked["extra"] == {"NIF": MASK, "morada_fiscal": MASK}
    assert "912345678" not in masked["description"]
    assert "maria.almeida@example.pt" not in masked["description"]
    assert masked["description"].startswith("Lixo na rua")
    assert (masked["service_request_id"], masked["lat"], masked["long"]) == (
        "101",
        38.7255,
        -9.1345,
    )
    assert RESIDENT["first_name"] == "Maria"  # a copy: the stored payload is unchanged
    assert mask_text("OC-2026-000101 em 2026-05-01") == "OC-2026-000101 em 2026-05-01"


def _rejected(source):
    return services.record_quarantine(
        source=source,
        run=None,
        raw=RESIDENT,
        reason="Unknown service 'x' for maria.almeida@example.pt",
        external_id="101",
        fingerprint="f" * 64,
    )


@pytest.fixture
def source(make_source, feed):
    from tests.integrations.conftest import open311_config

    return make_source("sf311", "open311", open311_config(feed, personal_fields=["morada_fiscal"]))


def test_rejected_records_are_masked_in_the_api_the_page_and_the_admin(
    source, integrator, administrator, client
):
    from tests.conftest import force_login_verified

    _rejected(source)
    record = RejectedRecord.objects.get()
    assert record.payload["email"] == RESIDENT["email"]  # kept for replay until retention
    assert "maria.almeida" not in record.reason

    force_login_verified(client, integrator)
    api = client.get("/api/v1/integrations/rejected/")
    page = client.get(f"/integrations/{source.pk}/")
    administrator.is_staff = administrator.is_superuser = True
    administrator.save()
    force_login_verified(client, administrator)
    admin = client.get(f"/admin/integrations/rejectedrecord/{record.pk}/change/")

    for response in (api, page, admin):
        assert response.status_code == 200, response
        text = response.content.decode()
        for value in ("Maria", "Almeida", "maria.almeida@example.pt", "912 345 678", "Rua A 1"):
            assert value not in text, (response.request["PATH_INFO"], value)


def test_a_dry_run_shows_raw_records_masked(feed, areas):
    from tests.integrations.conftest import open311_config

    feed.serve("/open311/v2/services.json", [{"service_code": "x", "service_name": "X"}])
    feed.serve("/open311/v2/requests.json", [dict(RESIDENT, service_code="x")])

    result = services.source_dry_run(adapter="open311", config=open311_config(feed))

    text = str(result.as_dict())
    assert "maria.almeida@example.pt" not in text
    assert "Almeida" not in text
    assert result.records[0]["raw"]["service_request_id"] == "101"
