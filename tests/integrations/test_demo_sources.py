"""The example sources `make run` applies are valid and idempotent."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.conftest import ROOT

pytestmark = pytest.mark.django_db


def test_demo_sources_file_applies_cleanly_and_twice_changes_nothing(capsys):
    from integrations.models import Source

    path = str(ROOT / "data" / "demo" / "sources.yaml")
    call_command("apply_sources", path)
    assert "3 created" in capsys.readouterr().out
    assert set(Source.objects.values_list("name", "enabled")) == {
        ("na-minha-rua-lx", False),
        ("pm-lisboa-avl", False),
        ("sensores-ruido", False),
    }
    call_command("apply_sources", path)
    assert "3 unchanged" in capsys.readouterr().out
