"""Seed rows: which default categories are sensitive on the public Open311 interface."""

from __future__ import annotations

from typing import Any

from incidents.models import Category

from .models import ServiceSettings

# Categories whose public location is generalised to the parish (the place itself points at a
# person). Seeded once; afterwards the force edits them in the admin.
DEFAULT_SENSITIVE_CATEGORIES = ("neighbour_dispute", "welfare_check")


def ensure_sensitive_services(**_: Any) -> None:
    if ServiceSettings.objects.exists():
        return
    for category in Category.objects.filter(code__in=DEFAULT_SENSITIVE_CATEGORIES):
        ServiceSettings.objects.create(category=category, generalise_location=True)
