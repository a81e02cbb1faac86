"""Open311 reads: keys, the services offered, and incidents as public service requests."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from django.contrib.gis.db.models import PointField
from django.contrib.gis.db.models.functions import PointOnSurface
from django.db.models import Case, CharField, F, Prefetch, Q, QuerySet, Value, When

from incidents.models import Area, Category, Incident
from incidents.models.choices import INCIDENT_OPEN_STATUSES, IncidentStatus

from .models import ClientApplication, ServiceAttribute, ServiceSettings, hash_key

# GeoReport v2: "open" while the police work on it, "closed" once it is over for the resident.
OPEN_STATUSES = tuple(str(s) for s in INCIDENT_OPEN_STATUSES)
CLOSED_STATUSES = tuple(str(s) for s in IncidentStatus if s not in INCIDENT_OPEN_STATUSES)
_IDENTIFIER = re.compile(r"[\w.-]{1,128}")
# "first 1000 requests returned" (GeoReport v2, Response Volume).
MAX_REQUESTS = 1000

Offered = tuple[Category, ServiceSettings | None, list[ServiceAttribute]]


def client_for_key(key: str) -> ClientApplication | None:
    """The active client holding this key, or None (unknown or revoked)."""
    if not key:
        return None
    return ClientApplication.objects.filter(key_hash=hash_key(key), revoked_at__isnull=True).first()


def _categories() -> QuerySet[Category]:
    return (
        Category.objects.filter(active=True)
        .exclude(open311__published=False)
        .select_related("open311")
        .prefetch_related(
            Prefetch("open311__attributes", queryset=ServiceAttribute.objects.order_by("order"))
        )
    )


def _offered(category: Category) -> Offered:
    settings_row = getattr(category, "open311", None)
    attributes = list(settings_row.attributes.all()) if settings_row is not None else []
    return category, settings_row, attributes


def offered_services() -> list[Offered]:
    """Every active category not unpublished, with its settings and attributes (2 queries)."""
    return [_offered(c) for c in _categories()]


def _is_identifier(value: str) -> bool:
    """Codes and references are short words; anything else (a NUL byte...) matches nothing."""
    return bool(_IDENTIFIER.fullmatch(value or ""))


def offered_service(code: str) -> Offered | None:
    if not _is_identifier(code):
        return None
    category = _categories().filter(code=code).first()
    return _offered(category) if category is not None else None


def _public_rows() -> QuerySet[Incident]:
    """Incidents of offered services with what the public form needs; a sensitive one carries
    its parish's point and name (a sector's parent), computed in SQL for those rows only."""
    sensitive = Q(category__open311__generalise_location=True)
    sector = Q(area__kind=Area.Kind.SECTOR)
    return (
        Incident.objects.filter(category__active=True)
        .exclude(category__open311__published=False)
        .select_related("category", "category__open311")
        .annotate(
            parish_point=Case(
                When(sensitive & sector, then=PointOnSurface("area__parent__geom")),
                When(sensitive, then=PointOnSurface("area__geom")),
                default=Value(None),
                output_field=PointField(srid=4326),
            ),
            parish_name=Case(
                When(sector, then=F("area__parent__name")),
                default=F("area__name"),
                output_field=CharField(),
            ),
        )
        .only(
            "reference",
            "status",
            "status_notes",
            "location",
            "address",
            "reported_at",
            "updated_at",
            "category__code",
            "category__name_en",
            "category__name_pt",
            "category__open311__generalise_location",
            "category__open311__service_notice",
        )
        .order_by("reported_at", "id")
    )


def public_requests(
    *,
    ids: Iterable[str] | None = None,
    service_codes: Iterable[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    status: str | None = None,
) -> list[Incident]:
    """Incidents of offered services as public service requests, oldest first, at most 1000 (an
    incremental reader advancing on requested_datetime misses nothing past the cap). `ids`
    overrides every other filter, as the specification says."""
    rows = _public_rows()
    if ids is not None:
        wanted = [i for i in ids if _is_identifier(i)]
        return list(rows.filter(reference__in=wanted)[:MAX_REQUESTS])
    if service_codes:
        rows = rows.filter(category__code__in=[c for c in service_codes if _is_identifier(c)])
    if start is not None:
        rows = rows.filter(reported_at__gte=start)
    if end is not None:
        rows = rows.filter(reported_at__lte=end)
    if status == "open":
        rows = rows.filter(status__in=OPEN_STATUSES)
    elif status == "closed":
        rows = rows.filter(status__in=CLOSED_STATUSES)
    return list(rows[:MAX_REQUESTS])


def public_request(request_id: str) -> Incident | None:
    if not _is_identifier(request_id):
        return None
    return _public_rows().filter(reference=request_id).first()
