"""Synthetic load data at city scale: the demo's rules (incidents/demo.py), scaled to years and
millions of incidents, written by PostgreSQL itself (INSERT ... SELECT generate_series), so a
million incidents take minutes, not hours.

Each incident gets a plan of moments (acknowledged, dispatched, on scene, resolved, sometimes
reopened and resolved again, closed, or cancelled) drawn from plausible delays; its status is
the last planned moment already past, so recent incidents are still open and old ones closed.
Timeline rows record every move at its moment; outbox rows exist for the moves of the last
KOBAN_OUTBOX_RETENTION_HOURS, as the pruned outbox of a live system would hold. Follow-ups go to
officers of the area, on time, late, overdue or still to do, by their due date.

Run through `manage.py generate_load`, which refuses any database not named as a load database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from . import demo, services
from .models import Area, Category, Incident, NeighbourhoodConcern, Patrol

SOURCE = "load"
POINTS_PER_PARISH = 4000
# Shares of the paths an incident takes (the rest: acknowledged, then resolved directly).
CANCELLED, DISPATCHED, REOPENED = 0.07, 0.60, 0.03
FOLLOWUP_SHARE = 0.08

_PLAN_SQL = """
CREATE TEMP TABLE load_plan ON COMMIT DROP AS
WITH base AS (
    SELECT n, random() AS r_cat, random() AS r_prio, random() AS r_path, random() AS r_reopen,
           1 + floor(random() * %(parishes)s)::int AS parish_no,
           1 + floor(random() * %(points)s)::int AS point_no,
           %(now)s::timestamptz - random() * %(span)s::interval - interval '5 minutes' AS at0
    FROM generate_series(1, %(count)s) AS n
), shaped AS (
    SELECT b.*, c.id AS category_id, c.code AS category,
           -- evenings and nights are busier for noise and public order
           CASE WHEN c.code IN ('noise', 'public_order') AND random() < 0.7
                THEN date_trunc('day', b.at0)
                     + (ARRAY[21, 22, 23, 24, 25, 26])[1 + floor(random() * 6)::int]
                       * interval '1 hour' + random() * interval '1 hour'
                ELSE b.at0 END AS reported_raw,
           CASE WHEN b.r_prio < 0.2 THEN 'high' WHEN b.r_prio < 0.7 THEN 'medium' ELSE 'low' END
               AS priority
    FROM base b JOIN load_categories c ON b.r_cat >= c.lo AND b.r_cat < c.hi
)
SELECT s.n, s.category_id, s.category, s.priority, p.area_id, p.geom AS location,
       LEAST(s.reported_raw, %(now)s::timestamptz - interval '3 minutes') AS reported_at,
       CASE WHEN s.r_path < %(cancelled)s THEN 'cancelled'
            WHEN s.r_path < %(cancelled)s + %(dispatched)s THEN 'dispatched'
            ELSE 'direct' END AS path,
       s.r_reopen < %(reopened)s AS reopens,
       -- delays in minutes: high priority is answered faster
       (CASE s.priority WHEN 'high' THEN 2 WHEN 'medium' THEN 5 ELSE 10 END)
           * (1 + 12 * random() ^ 2) AS d_ack,
       2 + 15 * random() AS d_dispatch,
       5 + 40 * random() ^ 1.5 AS d_scene,
       15 + 240 * random() ^ 2 AS d_resolve,
       60 + 60 * 48 * random() AS d_close,
       120 + 60 * 48 * random() AS d_reopen,
       60 + 60 * 24 * random() AS d_resolve_again,
       10 + 110 * random() AS d_cancel
FROM shaped s JOIN load_points p ON p.parish_no = s.parish_no AND p.point_no = s.point_no
"""

# Each planned move, with its moment; only those already past happen.
_MOVES_SQL = """
CREATE TEMP TABLE load_moves ON COMMIT DROP AS
WITH t AS (
    SELECT n, path, reopens, reported_at,
           reported_at + d_cancel * interval '1 minute' AS cancelled_at,
           reported_at + d_ack * interval '1 minute' AS ack_at,
           reported_at + (d_ack + d_dispatch) * interval '1 minute' AS dispatched_at,
           reported_at + (d_ack + d_dispatch + d_scene) * interval '1 minute' AS scene_at,
           reported_at + (d_ack + CASE WHEN path = 'dispatched' THEN d_dispatch + d_scene ELSE 0 END
                          + d_resolve) * interval '1 minute' AS resolved_at,
           d_reopen, d_resolve_again, d_close
    FROM load_plan
), m AS (
    SELECT t.*, resolved_at + d_reopen * interval '1 minute' AS reopened_at,
           resolved_at + (d_reopen + d_resolve_again) * interval '1 minute' AS resolved_again_at
    FROM t
)
SELECT n, step, from_status, to_status, at FROM m CROSS JOIN LATERAL (VALUES
    (1, 'new', 'cancelled', CASE WHEN path = 'cancelled' THEN cancelled_at END),
    (2, 'new', 'acknowledged', CASE WHEN path <> 'cancelled' THEN ack_at END),
    (3, 'acknowledged', 'dispatched', CASE WHEN path = 'dispatched' THEN dispatched_at END),
    (4, 'dispatched', 'on_scene', CASE WHEN path = 'dispatched' THEN scene_at END),
    (5, CASE WHEN path = 'dispatched' THEN 'on_scene' ELSE 'acknowledged' END, 'resolved',
        CASE WHEN path <> 'cancelled' THEN resolved_at END),
    (6, 'resolved', 'acknowledged', CASE WHEN path <> 'cancelled' AND reopens THEN reopened_at END),
    (7, 'acknowledged', 'resolved',
        CASE WHEN path <> 'cancelled' AND reopens THEN resolved_again_at END),
    (8, 'resolved', 'closed', CASE WHEN path <> 'cancelled' THEN
        CASE WHEN reopens THEN resolved_again_at ELSE resolved_at END
        + d_close * interval '1 minute' END)
) AS v(step, from_status, to_status, at)
WHERE at IS NOT NULL AND at <= %(now)s::timestamptz
"""

_INCIDENTS_SQL = """
INSERT INTO incidents_incident (
    id, reference, category_id, priority, status, title, description, location, address, area_id,
    reported_at, occurred_at, resolved_at, closed_at, source, external_id, content_hash,
    created_at, updated_at, assigned_officer_id, created_by_id, status_notes
)
SELECT %(base)s + p.n,
       'LD-' || to_char(p.reported_at, 'YYYY') || '-' || lpad((%(base)s + p.n)::text, 8, '0'),
       p.category_id, p.priority, COALESCE(last.to_status, 'new'),
       t.title, '', p.location,
       st.street || ', ' || (1 + p.n %% 180),
       p.area_id, p.reported_at, p.reported_at - (p.n %% 40) * interval '1 minute',
       CASE WHEN last.to_status IN ('resolved', 'closed') THEN lastres.at END,
       CASE WHEN last.to_status IN ('closed', 'cancelled') THEN last.at END,
       %(source)s, 'load-' || (%(base)s + p.n), '', p.reported_at, COALESCE(last.at, p.reported_at),
       NULL, %(supervisor)s, ''
FROM load_plan p
JOIN load_titles t ON t.category = p.category AND t.k = 1 + p.n %% t.cnt
JOIN load_streets st ON st.area_id = p.area_id AND st.k = 1 + p.n %% st.cnt
LEFT JOIN load_last last ON last.n = p.n
LEFT JOIN load_last_resolved lastres ON lastres.n = p.n
"""

# Per incident, its last move (the status it is in) and its last resolution, in one pass each.
_LAST_SQL = """
CREATE TEMP TABLE load_last ON COMMIT DROP AS
SELECT DISTINCT ON (n) n, to_status, at FROM load_moves ORDER BY n, at DESC, step DESC;
CREATE TEMP TABLE load_last_resolved ON COMMIT DROP AS
SELECT n, max(at) AS at FROM load_moves WHERE to_status = 'resolved' GROUP BY n;
ANALYZE load_plan; ANALYZE load_moves; ANALYZE load_last; ANALYZE load_last_resolved;
"""

_TIMELINE_SQL = """
INSERT INTO incidents_timelineentry (
    incident_id, kind, actor_id, actor_label, from_status, to_status, text, data, created_at
)
SELECT %(base)s + p.n, 'created', %(supervisor)s, '', '', 'new', '', '{}'::jsonb, p.reported_at
FROM load_plan p
UNION ALL
SELECT %(base)s + m.n, 'status', (%(officers)s::int[])[1 + (m.n + m.step) %% %(officer_count)s],
       '', m.from_status, m.to_status, '', '{}'::jsonb, m.at
FROM load_moves m
"""

_OUTBOX_SQL = """
INSERT INTO incidents_outboxevent (
    kind, entity_type, entity_id, area_ids, user_ids, payload, created_at, published_at
)
SELECT 'incident.upserted', 'incident', i.id, ARRAY[i.area_id]::bigint[], '{}'::bigint[],
       jsonb_build_object(
           'id', i.id, 'reference', i.reference, 'title', i.title, 'category', c.code,
           'priority', i.priority, 'status', i.status,
           'location', jsonb_build_array(round(ST_X(i.location)::numeric, 6),
                                         round(ST_Y(i.location)::numeric, 6)),
           'address', i.address, 'area', i.area_id, 'concern', NULL,
           'reported_at', i.reported_at, 'updated_at', i.updated_at),
       t.created_at, t.created_at
FROM incidents_timelineentry t
JOIN incidents_incident i ON i.id = t.incident_id
JOIN incidents_category c ON c.id = i.category_id
WHERE i.source = %(source)s AND t.created_at >= %(since)s
ORDER BY t.created_at, t.id
"""

_FOLLOWUPS_SQL = """
INSERT INTO incidents_followup (
    incident_id, concern_id, title, assignee_id, assignee_patrol_id, assigned_by_id, due_at, status,
    outcome, tell_resident, resident_told_at, completed_at, created_at, updated_at
)
SELECT i.id, NULL, f.title, f.assignee, NULL, %(supervisor)s, f.due_at, f.status, o.outcome,
       f.tell, CASE WHEN f.tell AND f.status = 'done' THEN f.completed_at END, f.completed_at,
       i.reported_at, COALESCE(f.completed_at, i.reported_at)
FROM incidents_incident i
CROSS JOIN LATERAL (
    SELECT r.*, CASE WHEN r.status IN ('done', 'cancelled')
                     THEN r.due_at + (random() * 4 - 3) * interval '1 day' END AS completed_at
    FROM (
        SELECT d.*,
               CASE WHEN d.due_at < %(now)s::timestamptz - interval '14 days'
                        THEN CASE WHEN d.r < 0.85 THEN 'done' ELSE 'cancelled' END
                    WHEN d.due_at < %(now)s::timestamptz
                        THEN CASE WHEN d.r < 0.6 THEN 'done' ELSE 'open' END
                    ELSE CASE WHEN d.r < 0.8 THEN 'open' ELSE 'in_progress' END END AS status
        FROM (
            SELECT i.reported_at + (1 + random() * 6) * interval '1 day' AS due_at, random() AS r,
                   (%(officers)s::int[])[1 + i.id %% %(officer_count)s] AS assignee,
                   i.id %% 3 = 0 AS tell,
                   CASE WHEN i.id %% 3 = 0 THEN 'Contactar o munícipe e informar do resultado'
                        ELSE 'Verificar no local e registar a situação' END AS title
        ) d
    ) r
) f(due_at, r, assignee, tell, title, status, completed_at)
CROSS JOIN LATERAL (SELECT CASE WHEN f.status = 'done' THEN 'Situação verificada.' ELSE '' END
                    AS outcome) o(outcome)
WHERE i.source = %(source)s AND random() < %(share)s
"""


@dataclass
class LoadSummary:
    incidents: int
    timeline: int
    followups: int
    outbox: int
    seconds: float


def _reference_data(now: datetime) -> tuple[int, list[int], list[Area]]:
    """Parishes, people and patrols as the demo has them (created once)."""
    if not Area.objects.filter(kind=Area.Kind.PARISH).exists():
        services.area_import_geojson(
            path=demo.DATA / "lisbon_freguesias.geojson",
            name_property="Freguesia",
            code_property="Dicofre",
            kind=Area.Kind.PARISH,
            parent_code=demo.MUNICIPALITY_CODE,
            parent_name="Lisboa",
        )
    users = demo._ensure_people()
    officers = [u for name, u in users.items() if name.startswith("agente.")]
    parishes = list(Area.objects.filter(kind=Area.Kind.PARISH).order_by("code"))
    for i in range(10):
        if not Patrol.objects.filter(call_sign=f"LX-{i + 1:02d}").exists():
            hour = now.replace(minute=0, second=0, microsecond=0)
            services.patrol_create(
                call_sign=f"LX-{i + 1:02d}",
                kind=["car", "foot", "motorbike", "bicycle"][i % 4],
                area=parishes[(i * 5) % len(parishes)],
                status=["available", "busy", "off_duty"][i % 3],
                members=[officers[i % len(officers)]],
                shift_starts_at=hour - timedelta(hours=3),
                shift_ends_at=hour + timedelta(hours=5),
            )
    return users["chefe.costa"].pk, [o.pk for o in officers], parishes


def _concerns(count: int, supervisor_id: int, officers: list[int], rng: random.Random) -> None:
    """Neighbourhood concerns through the services (few: one per two thousand incidents)."""
    from django.contrib.auth import get_user_model

    people = get_user_model().objects.in_bulk([supervisor_id, *officers])
    supervisor = people[supervisor_id]
    parishes = list(Area.objects.filter(kind=Area.Kind.PARISH).order_by("code"))
    now = timezone.now()
    for i in range(count):
        category, title, _place, _code = demo.CONCERNS[i % len(demo.CONCERNS)]
        area = parishes[(i * 7) % len(parishes)]
        # The demo's places belong to their parish: here a street of the parish it lands in.
        place = (demo.STREETS.get(area.code) or [""])[0]
        concern = services.concern_create(
            actor=supervisor,
            title=f"{title} ({area.name})",
            category=category,
            location=area.geom.point_on_surface,
            address=place,
            next_review_on=(now + timedelta(days=rng.randint(-5, 21))).date(),
            source=SOURCE,
            external_id=f"load-concern-{NeighbourhoodConcern.objects.count() + 1}",
        )
        for step in ["analysing", "responding"][: i % 3]:
            services.concern_transition(concern=concern, to_status=step, actor=supervisor)
        services.followup_assign(
            actor=supervisor,
            concern=concern,
            title="Reunião com a junta e os moradores",
            due_at=now + timedelta(hours=rng.randint(-48, 240)),
            assignee=people[officers[i % len(officers)]],
            allow_past_due=True,
        )


def _history(cursor: Any, table: str, events: str, after_id: int) -> None:
    """The 'insert' history rows the triggers would have written, for rows past `after_id`."""
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
        "AND column_name NOT LIKE 'pgh%%' ORDER BY ordinal_position",
        [events],
    )
    columns = ", ".join(connection.ops.quote_name(c) for (c,) in cursor.fetchall())
    cursor.execute(
        f"INSERT INTO {events} ({columns}, pgh_context_id, pgh_created_at, pgh_label, pgh_obj_id) "  # noqa: S608  (names from the catalogue)
        f"SELECT {columns}, NULL, now(), 'insert', id FROM {table} WHERE id > %s",
        [after_id],
    )


def generate(*, incidents: int, years: float = 3.0, seed: int = 2026) -> LoadSummary:
    """Append `incidents` synthetic incidents (with timeline, outbox rows and follow-ups)."""
    started = timezone.now()
    rng = random.Random(seed)
    supervisor, officers, parishes = _reference_data(started)
    categories = list(Category.objects.filter(code__in=demo.CATEGORY_WEIGHTS))
    total = sum(demo.CATEGORY_WEIGHTS[c.code] for c in categories)
    now = timezone.now()
    params = {
        "now": now,
        "count": incidents,
        "span": timedelta(days=365 * years),
        "parishes": len(parishes),
        "points": POINTS_PER_PARISH,
        "cancelled": CANCELLED,
        "dispatched": DISPATCHED,
        "reopened": REOPENED,
        "supervisor": supervisor,
        "officers": officers,
        "officer_count": len(officers),
        "source": SOURCE,
        "since": now - timedelta(hours=settings.KOBAN_OUTBOX_RETENTION_HOURS),
        "share": FOLLOWUP_SHARE,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [rng.random() * 2 - 1])
        cursor.execute(
            "CREATE TEMP TABLE load_categories (id int, code text, lo float, hi float) "
            "ON COMMIT DROP"
        )
        low = 0.0
        for c in categories:
            high = low + demo.CATEGORY_WEIGHTS[c.code] / total
            if c == categories[-1]:
                high = 1.0000001
            cursor.execute(
                "INSERT INTO load_categories VALUES (%s, %s, %s, %s)", [c.id, c.code, low, high]
            )
            low = high
        cursor.execute(
            "CREATE TEMP TABLE load_titles (category text, k int, cnt int, title text) "
            "ON COMMIT DROP"
        )
        for code, titles in demo.TITLES.items():
            for k, title in enumerate(titles, start=1):
                cursor.execute(
                    "INSERT INTO load_titles VALUES (%s, %s, %s, %s)",
                    [code, k, len(titles), title],
                )
        # Addresses are streets of the parish the point falls in (the demo's rule).
        cursor.execute(
            "CREATE TEMP TABLE load_streets (area_id int, k int, cnt int, street text) "
            "ON COMMIT DROP"
        )
        for area_id, code in Area.objects.filter(kind=Area.Kind.PARISH).values_list("id", "code"):
            streets = demo.STREETS.get(code) or ["Rua"]
            for k, street in enumerate(streets, start=1):
                cursor.execute(
                    "INSERT INTO load_streets VALUES (%s, %s, %s, %s)",
                    [area_id, k, len(streets), street],
                )
        cursor.execute(
            """CREATE TEMP TABLE load_points ON COMMIT DROP AS
               SELECT a.parish_no, d.path[1] AS point_no, a.area_id, d.geom
               FROM (SELECT row_number() OVER (ORDER BY code) AS parish_no, id AS area_id, geom
                     FROM incidents_area WHERE kind = 'parish') a
               CROSS JOIN LATERAL ST_Dump(ST_GeneratePoints(a.geom, %s)) d""",
            [POINTS_PER_PARISH],
        )
        cursor.execute("CREATE INDEX ON load_points (parish_no, point_no)")
        # Row by row, the history triggers cost a millisecond each (two PL/pgSQL exception
        # blocks): they are off for this transaction and the history is written in bulk below.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(_PLAN_SQL, params)
        cursor.execute(_MOVES_SQL, params)
        cursor.execute(_LAST_SQL)
        cursor.execute("SELECT COALESCE(max(id), 0) FROM incidents_incident")
        params["base"] = cursor.fetchone()[0]
        cursor.execute(_INCIDENTS_SQL, params)
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('incidents_incident', 'id'), "
            "(SELECT max(id) FROM incidents_incident))"
        )
        cursor.execute(_TIMELINE_SQL, params)
        timeline = cursor.rowcount
        cursor.execute("SELECT COALESCE(max(id), 0) FROM incidents_followup")
        followup_base = cursor.fetchone()[0]
        cursor.execute(_FOLLOWUPS_SQL, params)
        followups = cursor.rowcount
        _history(cursor, "incidents_incident", "incidents_incidentevent", params["base"])
        _history(cursor, "incidents_followup", "incidents_followupevent", followup_base)
        cursor.execute(_OUTBOX_SQL, params)
        outbox = cursor.rowcount
    _concerns(max(10, incidents // 2000), supervisor, officers, rng)
    # As a live system leaves its tables: incidents stored in the order they were reported (a
    # city's table grows by the day; the generator writes them in random order, which would make
    # every time window read pages from all over the table), with statistics and the visibility
    # map that lets counts be index-only scans. Neither CLUSTER nor VACUUM runs inside a
    # transaction (as in a test): then ANALYZE only.
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        if not connection.in_atomic_block:
            cursor.execute("CLUSTER incidents_incident USING incident_reported_desc")
        for table in ("incidents_incident", "incidents_timelineentry", "incidents_followup"):
            cursor.execute(f"{command} {table}")
    return LoadSummary(
        incidents=Incident.objects.filter(source=SOURCE).count(),
        timeline=timeline,
        followups=followups,
        outbox=outbox,
        seconds=(timezone.now() - started).total_seconds(),
    )
