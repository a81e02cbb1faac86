"""Reads for the map: what the viewport shows, computed and encoded by PostgreSQL.

Both reads take an incident queryset that already went through the visibility rule
(`selectors.incidents_visible_to`) and the map's filters, and wrap its SQL: PostGIS counts and
PostgreSQL builds the JSON (`json_agg`), so neither cost grows with Python per row, and no
count is ever taken from a truncated page.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import F, QuerySet

from .models import Incident
from .models.choices import IncidentStatus, Priority

# Cells of about a quarter of a 256-pixel web-map tile: four to a tile side, so a city
# viewport (about 1 000 x 700 px) holds at most a few hundred of them.
CELLS_PER_TILE = 4
MAX_ZOOM = 22
# Incidents one map-features answer carries at most, by default (the dashboard draws cells
# below zoom 15, static/dashboard/js/operations/viewport.js, so a parish rarely reaches it).
FEATURE_LIMIT = 2000


def cell_size_for_zoom(zoom: int) -> float:
    """The side of a grid cell in degrees at this web-map zoom (a tile spans 360 / 2^zoom)."""
    return 360.0 / (2**zoom) / CELLS_PER_TILE


def _inner_sql(qs: QuerySet[Incident], *columns: str) -> tuple[str, tuple[Any, ...]]:
    """The filtered queryset's SQL, reduced to the columns the wrapper reads."""
    inner = qs.order_by().values(*columns)
    sql, params = inner.query.get_compiler(connection=connection).as_sql()
    return sql, tuple(params)


def _fetch_json(sql: str, params: tuple[Any, ...]) -> str:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _counts_by(column: str, values: list[str]) -> tuple[str, list[str]]:
    """`json_build_object('v1', count(*) FILTER (WHERE column = 'v1'), ...)` for a legend."""
    parts = ", ".join(f"%s, count(*) FILTER (WHERE {column} = %s)" for _ in values)
    params = [p for value in values for p in (value, value)]
    return f"json_build_object({parts})", params


def incident_cells(qs: QuerySet[Incident], *, zoom: int) -> str:
    """Counts per grid cell (the cells of `ST_SnapToGrid` on the zoom's cell size: coordinates
    rounded to it), by status and priority, with the cell's centre of mass and the viewport
    total, as one JSON document. Grouped by two numbers and averaged, not by a snapped geometry
    with `ST_Centroid(ST_Collect(...))`: the same cells and centres, three times faster on a
    year of a city's incidents (issue 14's bench)."""
    size = cell_size_for_zoom(zoom)
    inner, inner_params = _inner_sql(qs, "location", "status", "priority")
    by_status, status_params = _counts_by("status", list(IncidentStatus.values))
    by_priority, priority_params = _counts_by("priority", list(Priority.values))
    # Only ORM-compiled SQL and fixed text are formatted in; every value is a parameter.
    sql = f"""
        WITH cells AS (
            SELECT count(*) AS n,
                   avg(ST_X(location)) AS lon,
                   avg(ST_Y(location)) AS lat,
                   {by_status} AS by_status,
                   {by_priority} AS by_priority
            FROM ({inner}) AS visible
            GROUP BY round(ST_X(location) / %s), round(ST_Y(location) / %s)
        )
        SELECT json_build_object(
            'zoom', %s,
            'cell_size', %s,
            'total', COALESCE((SELECT sum(n) FROM cells), 0),
            'cells', COALESCE(
                (SELECT json_agg(json_build_object(
                    'lon', round(lon::numeric, 6), 'lat', round(lat::numeric, 6),
                    'count', n, 'by_status', by_status, 'by_priority', by_priority
                ) ORDER BY n DESC) FROM cells),
                '[]'::json
            )
        )::text
    """  # noqa: S608
    params = (*status_params, *priority_params, *inner_params, size, size, zoom, size)
    return _fetch_json(sql, params)


FEATURE_COLUMNS = (
    "id",
    "location",
    "reference",
    "title",
    "category_code",
    "priority",
    "status",
    "area_id",
    "area_name",
    "address",
    "reported_at",
    "updated_at",
    "concern_id",
)


def incident_features(qs: QuerySet[Incident], *, limit: int) -> str:
    """The newest `limit` incidents as a GeoJSON FeatureCollection (the properties of
    `IncidentFeatureSerializer`), with the true `total` and `limited` when it is cut short."""
    named = qs.annotate(category_code=F("category__code"), area_name=F("area__name"))
    inner, inner_params = _inner_sql(named, *FEATURE_COLUMNS)
    counted, counted_params = _inner_sql(qs, "id")
    # Only ORM-compiled SQL and fixed text are formatted in; every value is a parameter.
    sql = f"""
        WITH total AS (SELECT count(*) AS n FROM ({counted}) AS visible),
        newest AS (
            SELECT * FROM ({inner}) AS visible ORDER BY reported_at DESC, id DESC LIMIT %s
        )
        SELECT json_build_object(
            'type', 'FeatureCollection',
            'total', (SELECT n FROM total),
            'returned', (SELECT count(*) FROM newest),
            'limit', %s,
            'limited', (SELECT n FROM total) > %s,
            'features', COALESCE((SELECT json_agg(json_build_object(
                'type', 'Feature',
                'id', id,
                'geometry', ST_AsGeoJSON(location, 6)::json,
                'properties', json_build_object(
                    'reference', reference, 'title', title, 'category', category_code,
                    'priority', priority, 'status', status, 'area', area_id,
                    'area_name', area_name, 'address', address,
                    'reported_at', to_char(reported_at AT TIME ZONE 'UTC',
                                           'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                    'updated_at', to_char(updated_at AT TIME ZONE 'UTC',
                                          'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                    'concern', concern_id
                )
            ) ORDER BY reported_at DESC, id DESC) FROM newest), '[]'::json)
        )::text
    """  # noqa: S608
    params = (*counted_params, *inner_params, limit, limit, limit)
    return _fetch_json(sql, params)
