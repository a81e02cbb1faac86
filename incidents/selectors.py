"""Reads. The visibility rule lives here, once: every list, detail, filter, export, count and
live event goes through `*_visible_to` / `event_visible_to`.

Rule: supervisors and administrators see everything; an officer sees the items of their areas
(and those areas' sub-areas) and the items assigned to them or to their patrol, or with a
follow-up for them or their patrol (the paths are `incidents.audience.RULES`, which also
address live events); integrators and anonymous users see no operational items.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point, Polygon
from django.db.models import Exists, F, Func, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import audience, roles
from .errors import InvalidInput
from .models import (
    Area,
    FollowUp,
    Incident,
    NeighbourhoodConcern,
    OutboxEvent,
    Patrol,
    PatrolPosition,
    PoliceStation,
    ReporterContact,
    TimelineEntry,
)
from .models.choices import FOLLOWUP_OPEN_STATUSES, INCIDENT_FINAL_STATUSES

# --- Areas ---------------------------------------------------------------------------------------

_KIND_RANK = {Area.Kind.SECTOR: 0, Area.Kind.PARISH: 1, Area.Kind.MUNICIPALITY: 2}


def area_containing(point: Point | None) -> Area | None:
    """The most specific area (sector, then parish, then municipality) covering the point."""
    if point is None:
        return None
    candidates = list(Area.objects.filter(geom__covers=point).only("id", "kind", "code"))
    if not candidates:
        return None
    return min(candidates, key=lambda a: (_KIND_RANK.get(a.kind, 9), a.id))


def user_area_ids(user: Any) -> set[int]:
    """The areas an officer works in, with all their sub-areas."""
    if not user or not user.is_authenticated:
        return set()
    cached = getattr(user, "_koban_area_ids", None)
    if cached is not None:
        return cached
    ids = area_ids_with_descendants(
        Area.objects.filter(officers__user=user).values_list("id", flat=True)
    )
    user._koban_area_ids = ids
    return ids


def user_patrol_ids(user: Any) -> set[int]:
    if not user or not user.is_authenticated:
        return set()
    return set(Patrol.objects.filter(members=user).values_list("id", flat=True))


# --- Visibility ----------------------------------------------------------------------------------


def incidents_visible_to(user: Any) -> QuerySet[Incident]:
    return _visible(Incident, user)


def concerns_visible_to(user: Any) -> QuerySet[NeighbourhoodConcern]:
    return _visible(NeighbourhoodConcern, user)


def followups_visible_to(user: Any) -> QuerySet[FollowUp]:
    return _visible(FollowUp, user)


def _visible(model: type[Any], user: Any) -> QuerySet[Any]:
    """The rule of `incidents.audience` (RULES) as a queryset for one user."""
    qs = model.objects.all()
    if roles.sees_everything(user):
        return qs
    if not roles.has_role(user, roles.OFFICER):
        return qs.none()
    return qs.filter(audience.visible_q(model, user, user_area_ids(user)))


def patrols_visible_to(user: Any) -> QuerySet[Patrol]:
    """Every operational user sees every patrol: knowing who is near is a safety matter."""
    qs = Patrol.objects.all()
    return qs if roles.is_operational(user) else qs.none()


def stations_visible_to(user: Any) -> QuerySet[PoliceStation]:
    qs = PoliceStation.objects.all()
    return qs if roles.is_operational(user) else qs.none()


def can_reveal_contact(user: Any, incident: Incident) -> bool:
    """Need-to-know for a reporter's contact: supervisors and administrators; an officer only
    while a follow-up on this item, assigned to them (or their patrol) by a supervisor or an
    administrator, is open. A follow-up an officer gave themselves does not count; integrators
    and auditors never. The caller has already checked that the user sees the incident."""
    if roles.sees_everything(user):
        return True
    if not roles.has_role(user, roles.OFFICER):
        return False
    by_supervisor = Q(assigned_by__groups__name__in=[roles.SUPERVISOR, roles.ADMINISTRATOR]) | Q(
        assigned_by__is_superuser=True
    )
    return (
        FollowUp.objects.filter(
            Q(assignee=user) | Q(assignee_patrol__members=user),
            by_supervisor,
            incident=incident,
            status__in=FOLLOWUP_OPEN_STATUSES,
        )
        .exclude(assigned_by=user)
        .exists()
    )


def incidents_ended_before(cutoff: datetime) -> QuerySet[Incident]:
    """Items closed, cancelled or merged before `cutoff`: when they ended is `closed_at`, else
    the status change (or import) that ended them, else their last change."""
    ended_by = (
        TimelineEntry.objects.filter(incident=OuterRef("pk"), to_status__in=INCIDENT_FINAL_STATUSES)
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return (
        Incident.objects.filter(status__in=INCIDENT_FINAL_STATUSES)
        .annotate(ended_at=Coalesce("closed_at", Subquery(ended_by), "updated_at"))
        .filter(ended_at__lt=cutoff)
    )


def contact_matches(
    *, phone: str = "", email: str = "", name: str = ""
) -> QuerySet[ReporterContact]:
    """The contacts that are this resident's (a read shared with the audit search)."""
    query = Q()
    if phone:
        digits = re.sub(r"\D", "", phone)
        if len(digits) < 6:
            raise InvalidInput({"phone": ["Give at least six digits."]})
        # Compare digits only, and the national number without a country prefix (+351…).
        query |= Q(phone_digits__endswith=digits[-9:])
    if email:
        query |= Q(email__iexact=email.strip())
    if name:
        query |= Q(name__iexact=" ".join(name.split()))
    if not (phone or email or name):
        raise InvalidInput({"subject": ["Give a phone, an e-mail or a name."]})
    return (
        ReporterContact.objects.annotate(
            phone_digits=Func(
                F("phone"), Value(r"\D"), Value(""), Value("g"), function="regexp_replace"
            )
        )
        .filter(query)
        .select_related("incident", "incident__category", "incident__area")
        .order_by("incident__reported_at", "pk")
    )


def event_visible_to(user: Any, event: OutboxEvent | dict[str, Any]) -> bool:
    """The live-feed form of the rule, decided from the event's audience alone (computed by the
    service with `audience.audience_of`). A `*.removed` event (the item left some people's view)
    never concerns those who see everything."""
    if isinstance(event, dict):
        kind, area_ids, user_ids = event["kind"], event["area_ids"], event["user_ids"]
    else:
        kind, area_ids, user_ids = event.kind, event.area_ids, event.user_ids
    if roles.sees_everything(user):
        return not kind.endswith(".removed")
    if not roles.has_role(user, roles.OFFICER):
        return False
    if kind.startswith("repeat_place."):  # issue 16: proposals are for supervisors only
        return False
    if kind.startswith(tuple(f"{entity}." for entity in audience.SEEN_BY_EVERY_OPERATIONAL_USER)):
        return True
    if user.id in user_ids:
        return True
    return bool(set(area_ids) & user_area_ids(user))


# --- Reads used by pages and the API --------------------------------------------------------------


def incidents_in_bbox(qs: QuerySet[Incident], bbox: tuple[float, float, float, float]):
    """Viewport filter with the bbox operator on an SRID-carrying polygon, so GiST is used."""
    poly = Polygon.from_bbox(bbox)
    poly.srid = 4326
    return qs.filter(location__bboverlaps=poly)


def followups_overdue(qs: QuerySet[FollowUp], now: datetime | None = None) -> QuerySet[FollowUp]:
    return qs.filter(status__in=FOLLOWUP_OPEN_STATUSES, due_at__lt=now or timezone.now())


# --- Query rules behind the API filter parameters (dashboard/api/filters) ----------------------


def items_in_areas(qs: QuerySet, area_ids: Iterable[int]) -> QuerySet:
    """Incidents, concerns or patrols in these areas or any of their sub-areas."""
    return qs.filter(area_id__in=area_ids_with_descendants(area_ids))


def items_matching(qs: QuerySet, text: str) -> QuerySet:
    """Incidents or concerns whose reference, title or address contains the text."""
    text = text.strip()
    if not text:
        return qs
    return qs.filter(
        Q(reference__icontains=text) | Q(title__icontains=text) | Q(address__icontains=text)
    )


def followups_in_areas(qs: QuerySet[FollowUp], area_ids: Iterable[int]) -> QuerySet[FollowUp]:
    """Follow-ups on an incident or a concern in these areas (sub-areas included)."""
    ids = area_ids_with_descendants(area_ids)
    return qs.filter(Q(incident__area_id__in=ids) | Q(concern__area_id__in=ids))


def followups_by_overdue(qs: QuerySet[FollowUp], *, overdue: bool) -> QuerySet[FollowUp]:
    """The overdue ones (open and past due), or all the others."""
    late = followups_overdue(qs)
    return late if overdue else qs.exclude(pk__in=late.values("pk"))


def events_after(sequence: int, limit: int = 1000) -> QuerySet[OutboxEvent]:
    return OutboxEvent.objects.filter(id__gt=sequence).order_by("id")[:limit]


def position_is_stale(at: datetime | None, now: datetime | None = None) -> bool:
    if at is None:
        return True
    age = (now or timezone.now()) - at
    return age.total_seconds() > settings.KOBAN_POSITION_STALE_MINUTES * 60


# --- Reads for the REST API (visibility first, then the joins a response needs) ------------------
# Each helper starts from a `*_visible_to` queryset and fixes the related rows fetched, so list
# and map endpoints issue the same number of queries whatever the page size.


def latest_event_sequence() -> int:
    """The newest outbox id: a snapshot read after it includes every event up to it."""
    return OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def area_ids_with_descendants(area_ids: Iterable[int]) -> set[int]:
    """The areas and all their sub-areas, so filtering by a municipality finds its parishes."""
    ids = set(area_ids)
    frontier = set(ids)
    while frontier:
        frontier = set(Area.objects.filter(parent_id__in=frontier).values_list("id", flat=True))
        frontier -= ids
        ids |= frontier
    return ids


def incidents_for_list(user: Any) -> QuerySet[Incident]:
    """Visible incidents with what list rows and map features show (no area geometry)."""
    return (
        incidents_visible_to(user)
        .select_related("category")
        .annotate(area_name=F("area__name"))
        .defer("description", "content_hash")
    )


def incident_for_detail(
    user: Any, queryset: QuerySet[Incident] | None = None
) -> QuerySet[Incident]:
    """Incidents with their timeline and the follow-ups this user may see, prefetched."""
    base = incidents_visible_to(user) if queryset is None else queryset
    return (
        base.select_related("category", "concern", "assigned_officer", "assigned_patrol")
        .annotate(
            area_name=F("area__name"),
            has_reporter_contact=Exists(
                ReporterContact.objects.filter(incident=OuterRef("pk")).exclude(
                    name="", phone="", email=""
                )
            ),
        )
        .prefetch_related(
            Prefetch("timeline", queryset=TimelineEntry.objects.select_related("actor")),
            Prefetch("followups", queryset=followups_for_list(user)),
        )
    )


def concerns_for_list(user: Any) -> QuerySet[NeighbourhoodConcern]:
    return (
        concerns_visible_to(user)
        .select_related("category", "owner")
        .annotate(area_name=F("area__name"))
        .defer("description", "content_hash")
    )


def concern_for_detail(
    user: Any, queryset: QuerySet[NeighbourhoodConcern] | None = None
) -> QuerySet[NeighbourhoodConcern]:
    """Concerns with their timeline, the follow-ups and linked incidents this user may see."""
    base = concerns_visible_to(user) if queryset is None else queryset
    return (
        base.select_related("category", "owner")
        .annotate(area_name=F("area__name"))
        .prefetch_related(
            Prefetch("timeline", queryset=TimelineEntry.objects.select_related("actor")),
            Prefetch("followups", queryset=followups_for_list(user)),
            "plan_entries",
            Prefetch(
                "incidents",
                queryset=incidents_visible_to(user)
                .select_related("category")
                .defer("description", "content_hash"),
                to_attr="visible_incidents",
            ),
        )
    )


def followups_for_list(user: Any, queryset: QuerySet[FollowUp] | None = None) -> QuerySet[FollowUp]:
    """Visible follow-ups with their item, people and area names joined in one query."""
    base = followups_visible_to(user) if queryset is None else queryset
    return (
        base.select_related("incident", "concern", "assignee", "assignee_patrol", "assigned_by")
        .defer("incident__description", "concern__description")
        .annotate(
            item_area_id=Coalesce("incident__area_id", "concern__area_id"),
            item_area_name=Coalesce("incident__area__name", "concern__area__name"),
        )
    )


def patrols_for_list(user: Any) -> QuerySet[Patrol]:
    return (
        patrols_visible_to(user)
        .annotate(area_name=F("area__name"))
        .prefetch_related(Prefetch("members", queryset=_user_model().objects.only("id")))
    )


def patrol_positions(patrol: Patrol) -> QuerySet[PatrolPosition]:
    return PatrolPosition.objects.filter(patrol=patrol)


def stations_for_map(user: Any) -> QuerySet[PoliceStation]:
    return stations_visible_to(user).annotate(area_name=F("area__name"))


def areas_for_list() -> QuerySet[Area]:
    """Reference geography is not operational data: every signed-in user may read it."""
    return Area.objects.defer("properties")


def assignable_users(role: str | None = None) -> QuerySet[Any]:
    """Active operational users (those a follow-up can go to), with their areas prefetched."""
    names = [role] if role else [roles.OFFICER, roles.SUPERVISOR, roles.ADMINISTRATOR]
    in_role = Q(groups__name__in=names)
    if roles.ADMINISTRATOR in names:
        in_role |= Q(is_superuser=True)
    return (
        _user_model()
        .objects.filter(in_role, is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "username", "id")
        .prefetch_related(
            Prefetch("officer__areas", queryset=Area.objects.only("id")),
        )
        .select_related("officer")
    )


def _user_model() -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model()
