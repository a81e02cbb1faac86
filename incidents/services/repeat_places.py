"""Repeat places: the periodic job that proposes them (decisions: repeat_place_decisions.py).

The job reads places and times only. Its one SQL statement reads the incident columns in
`INCIDENT_INPUT_COLUMNS` and the concern columns in `CONCERN_INPUT_COLUMNS`, nothing else: no
reporter, officer, patrol or user field is ever an input (EU AI Act: place-based analysis, a
person decides). Tests run the statement under a database role that may read only those columns.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .. import events
from ..models import Category, RepeatPlaceRule
from ..models.choices import ConcernStatus
from ..models.repeat_places import RepeatPlaceDecision, RepeatPlaceProposal, members_signature
from ..selectors import area_containing
from ..selectors_repeat_places import CONCERN_PLACE_SQL

# The only columns the job reads. A test asserts none of them is a person (reporter, officer,
# patrol, user) and runs the statement with SELECT granted on these columns alone.
INCIDENT_INPUT_COLUMNS = ("id", "category_id", "location", "reported_at", "status", "concern_id")
CONCERN_INPUT_COLUMNS = ("id", "category_id", "status", "location", "place")
# Incidents that are not a real occurrence do not make a place repeat.
_NOT_COUNTED = ("cancelled", "duplicate")

CLUSTERS_SQL = f"""
WITH open_places AS MATERIALIZED (
    -- Each open concern's place, computed once: incidents inside one are already worked on.
    SELECT {CONCERN_PLACE_SQL} AS place
    FROM incidents_neighbourhoodconcern c
    WHERE c.status <> %(closed)s
      AND c.category_id = %(category)s
      AND (c.place IS NOT NULL OR c.location IS NOT NULL)
), candidates AS (
    SELECT i.id, i.location, i.reported_at
    FROM incidents_incident i
    WHERE i.category_id = %(category)s
      AND i.location IS NOT NULL
      AND i.reported_at >= %(since)s AND i.reported_at <= %(until)s
      AND i.status <> ALL(%(not_counted)s)
      AND NOT EXISTS (
          SELECT 1 FROM incidents_neighbourhoodconcern linked
          WHERE linked.id = i.concern_id AND linked.status <> %(closed)s
      )
      AND NOT EXISTS (SELECT 1 FROM open_places op WHERE ST_Covers(op.place, i.location))
), metric AS (
    -- A projection in metres: the configured one, else the UTM zone of the candidates.
    SELECT COALESCE(
        NULLIF(%(srid)s, 0),
        CASE WHEN ST_Y(centre) >= 0 THEN 32600 ELSE 32700 END
            + LEAST(60, floor((ST_X(centre) + 180) / 6)::int + 1)
    ) AS srid
    FROM (SELECT ST_Centroid(ST_Collect(location)) AS centre FROM candidates) AS extent
), clustered AS (
    SELECT c.id, c.reported_at, p.geom,
           ST_ClusterDBSCAN(p.geom, eps := %(distance)s, minpoints := %(min_incidents)s)
               OVER () AS cluster
    FROM candidates c
    CROSS JOIN metric m
    CROSS JOIN LATERAL (SELECT ST_Transform(c.location, m.srid) AS geom) AS p
), clusters AS (
    SELECT cluster,
           array_agg(id ORDER BY id) AS ids,
           ST_Collect(geom) AS geoms,
           ST_Centroid(ST_Collect(geom)) AS centre,
           min(reported_at) AS first_at,
           max(reported_at) AS last_at,
           array_agg(extract(hour FROM reported_at AT TIME ZONE %(tz)s)::int) AS hours,
           array_agg(extract(isodow FROM reported_at AT TIME ZONE %(tz)s)::int) AS weekdays
    FROM clustered
    WHERE cluster IS NOT NULL
    GROUP BY cluster
)
SELECT ids,
       ST_AsEWKT(ST_Transform(ST_Buffer(ST_ConvexHull(geoms), %(margin)s, 8), 4326)) AS place,
       ST_AsEWKT(ST_Transform(centre, 4326)) AS centre,
       ceil(ST_MaxDistance(centre, geoms) + %(margin)s)::int AS radius_m,
       first_at, last_at, hours, weekdays
FROM clusters
ORDER BY ids[1]
"""  # noqa: S608  (constant fragments; values are parameters)


@dataclass(frozen=True)
class Cluster:
    incident_ids: list[int]
    place: GEOSGeometry
    centre: GEOSGeometry
    radius_m: int
    first_reported_at: datetime
    last_reported_at: datetime
    hours: list[int]
    weekdays: list[int]


def repeat_place_clusters(*, rule: RepeatPlaceRule, now: datetime | None = None) -> list[Cluster]:
    """The clusters the rule finds now, computed in PostGIS (ST_ClusterDBSCAN in metres)."""
    now = now or timezone.now()
    params = {
        "category": rule.category_id,
        "since": now - timedelta(days=rule.window_days),
        "until": now,
        "not_counted": list(_NOT_COUNTED),
        "closed": ConcernStatus.CLOSED,
        "radius": settings.KOBAN_CONCERN_PLACE_RADIUS_M,
        "srid": settings.KOBAN_METRIC_SRID,
        "distance": float(rule.distance_m),
        "min_incidents": rule.min_incidents,
        "margin": rule.distance_m / 2,
        "tz": settings.TIME_ZONE,
    }
    with connection.cursor() as cursor:
        cursor.execute(CLUSTERS_SQL, params)
        rows = cursor.fetchall()
    clusters = []
    for ids, place, centre, radius_m, first_at, last_at, hours, weekdays in rows:
        hour_counts, day_counts = Counter(hours), Counter(weekdays)
        clusters.append(
            Cluster(
                incident_ids=list(ids),
                place=GEOSGeometry(place),
                centre=GEOSGeometry(centre),
                radius_m=radius_m,
                first_reported_at=first_at,
                last_reported_at=last_at,
                hours=[hour_counts.get(h, 0) for h in range(24)],
                weekdays=[day_counts.get(d, 0) for d in range(1, 8)],
            )
        )
    return clusters


def _reason(rule: RepeatPlaceRule, cluster: Cluster) -> str:
    """Stored with the proposal, in the force's language (the job has no user's language)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _reason_text(rule, cluster)


def _reason_text(rule: RepeatPlaceRule, cluster: Cluster) -> str:
    return _(
        "%(count)s incidents of %(category)s within %(distance)s m in the last %(days)s days "
        "(rule: at least %(min)s within %(distance)s m in %(days)s days)."
    ) % {
        "count": len(cluster.incident_ids),
        "category": rule.category.label(settings.LANGUAGE_CODE),
        "distance": rule.distance_m,
        "days": rule.window_days,
        "min": rule.min_incidents,
    }


def emit_proposal(proposal: RepeatPlaceProposal) -> None:
    # No areas and no users: officers never receive these events, supervisors see everything.
    events.emit(
        "repeat_place.upserted",
        entity_type="repeat_place",
        entity_id=proposal.id,
        payload=events.repeat_place_payload(proposal),
    )


def log_decision(
    proposal: RepeatPlaceProposal,
    action: str,
    *,
    actor: Any = None,
    actor_label: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> RepeatPlaceDecision:
    return RepeatPlaceDecision.objects.create(
        proposal=proposal,
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=actor_label,
        reason=reason,
        data=data or {},
    )


_JOB = "job:repeat-places"
# Arbitrary constant key of the advisory lock that serialises scans.
_SCAN_LOCK_KEY = 7_326_116


def _apply_cluster(proposal: RepeatPlaceProposal, rule: RepeatPlaceRule, cluster: Cluster) -> None:
    proposal.rule = rule
    proposal.rule_parameters = rule.parameters()
    proposal.signature = members_signature(cluster.incident_ids)
    proposal.incident_count = len(cluster.incident_ids)
    proposal.place = cluster.place
    proposal.centre = cluster.centre
    proposal.radius_m = cluster.radius_m
    proposal.area = area_containing(cluster.centre)
    proposal.first_reported_at = cluster.first_reported_at
    proposal.last_reported_at = cluster.last_reported_at
    proposal.hours = cluster.hours
    proposal.weekdays = cluster.weekdays
    proposal.reason = _reason(rule, cluster)
    proposal.save()
    proposal.incidents.set(cluster.incident_ids)


@dataclass
class ScanResult:
    proposed: list[int]
    updated: list[int]
    expired: list[int]
    skipped_dismissed: int = 0


@transaction.atomic
def repeat_places_scan(*, now: datetime | None = None) -> ScanResult:
    """Propose the repeat places every active rule finds; refresh waiting proposals whose
    cluster changed; expire those no longer found. A cluster wholly inside dismissed proposals
    is not proposed again: it must grow (a new incident join it) first."""
    result = ScanResult([], [], [])
    Status = RepeatPlaceProposal.Status
    with connection.cursor() as cursor:  # one scan at a time (beat and a manual run may meet)
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SCAN_LOCK_KEY])
    rules = RepeatPlaceRule.objects.filter(active=True, category__active=True)
    for rule in rules.select_related("category"):
        # One scan per category at a time; waiting proposals are locked while refreshed.
        waiting = {
            p.id: p
            for p in RepeatPlaceProposal.objects.select_for_update().filter(
                category=rule.category, status=Status.PROPOSED
            )
        }
        members_of = _members(list(waiting))
        dismissed = _dismissed_members(rule.category)
        seen: set[int] = set()
        for cluster in repeat_place_clusters(rule=rule, now=now):
            ids = set(cluster.incident_ids)
            if ids <= dismissed:
                result.skipped_dismissed += 1
                continue
            matches = sorted(pid for pid in waiting if members_of.get(pid, set()) & ids)
            matches = [pid for pid in matches if pid not in seen]
            if not matches:
                proposal = RepeatPlaceProposal(category=rule.category)
                _apply_cluster(proposal, rule, cluster)
                log_decision(proposal, "proposed", actor_label=_JOB, data=rule.parameters())
                result.proposed.append(proposal.id)
                emit_proposal(proposal)
                continue
            proposal = waiting[matches[0]]
            seen.add(proposal.id)
            if proposal.signature != members_signature(ids):
                _apply_cluster(proposal, rule, cluster)
                log_decision(
                    proposal,
                    "updated",
                    actor_label=_JOB,
                    data={"incidents": sorted(ids), **rule.parameters()},
                )
                result.updated.append(proposal.id)
                emit_proposal(proposal)
        for pid, proposal in waiting.items():
            if pid not in seen:
                proposal.status = Status.EXPIRED
                proposal.save(update_fields=["status", "updated_at"])
                log_decision(proposal, "expired", actor_label=_JOB)
                result.expired.append(pid)
                emit_proposal(proposal)
    return result


def _members(proposal_ids: list[int]) -> dict[int, set[int]]:
    through = RepeatPlaceProposal.incidents.through
    out: dict[int, set[int]] = {}
    rows = through.objects.filter(repeatplaceproposal_id__in=proposal_ids)
    for pid, iid in rows.values_list("repeatplaceproposal_id", "incident_id"):
        out.setdefault(pid, set()).add(iid)
    return out


def _dismissed_members(category: Category) -> set[int]:
    through = RepeatPlaceProposal.incidents.through
    return set(
        through.objects.filter(
            repeatplaceproposal__category=category,
            repeatplaceproposal__status=RepeatPlaceProposal.Status.DISMISSED,
        ).values_list("incident_id", flat=True)
    )
