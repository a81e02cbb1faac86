"""Row 2, map: the map's two reads at BENCH_SIZE incidents (default 100 000), each beside the
same answer written by hand in SQL, then the dashboard's first load in Chromium.

(a) `map/cells` over the whole city at zoom 12 (7, 30 and 365 days, any time) and `map/features`
over a zoom-16 viewport of Arroios (7 and 365 days), through Django's full request stack as the
supervisor (who sees everything), timed REPEAT times after a warm-up in a process of its own
pointed at the load database `koban_load_<size>` (bench/loaddb.py, `ensure_load`); the hand
SQL runs on its own psycopg connection. (b) bench/map_browser.py: the real web server and
Chromium. Results: a table on stdout and var/bench/map.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import processes
from .loaddb import _pct, measure_elsewhere, report_written, write_results

REPEAT = 30
# A path stops repeating after this long (at least MIN_REPEAT runs): a whole-city year takes
# most of a second a run on two cores, and the section should stay within a few minutes.
BUDGET_SECONDS = 10.0
MIN_REPEAT = 10
TARGET_CELLS_MS = 150.0
TARGET_FEATURES_MS = 100.0
TARGET_FEATURES_SQL_RATIO = 3.0
# The city of Lisbon (every load incident lies inside) and a zoom-16 desktop viewport
# (1366 x 860 px) centred on Arroios.
CITY_BBOX = (-9.2400, 38.6790, -9.0850, 38.7980)
CITY_ZOOM = 12
PARISH_BBOX = (-9.1492, 38.7183, -9.1198, 38.7327)
FEATURE_LIMIT = 2000
CELL_WINDOWS: tuple[int | None, ...] = (7, 30, 365, None)
FEATURE_WINDOWS = (7, 365)
CELLS_URL = "/api/v1/incidents/map/cells/"
FEATURES_URL = "/api/v1/incidents/map/features/"
RESULTS = processes.ROOT / "var" / "bench" / "map.json"

STATUSES = (
    "new",
    "acknowledged",
    "dispatched",
    "on_scene",
    "resolved",
    "closed",
    "cancelled",
    "duplicate",
)
PRIORITIES = ("high", "medium", "low")


def _window_sql(days: int | None) -> str:
    """The window's start is a value, as the ORM sends it: the planner sees how much it keeps."""
    return "" if days is None else "AND reported_at >= %(since)s"


def _counts(column: str, values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}', count(*) FILTER (WHERE {column} = '{v}')" for v in values)


def hand_cells_sql(days: int | None) -> str:
    """What a person would write for the same answer: one GROUP BY on the point's coordinates
    rounded to the cell size (the cells of `ST_SnapToGrid`), averaged for the centre."""
    return f"""
        WITH cells AS (
            SELECT count(*) AS n,
                   avg(ST_X(location)) AS lon,
                   avg(ST_Y(location)) AS lat,
                   json_build_object({_counts("status", STATUSES)}) AS by_status,
                   json_build_object({_counts("priority", PRIORITIES)}) AS by_priority
            FROM incidents_incident
            WHERE location && ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326) {_window_sql(days)}
            GROUP BY round(ST_X(location) / %(size)s), round(ST_Y(location) / %(size)s)
        )
        SELECT json_build_object(
            'total', COALESCE(sum(n), 0),
            'cells', COALESCE(json_agg(json_build_object(
                'lon', round(lon::numeric, 6), 'lat', round(lat::numeric, 6), 'count', n,
                'by_status', by_status, 'by_priority', by_priority) ORDER BY n DESC), '[]'))::text
        FROM cells
    """  # noqa: S608  (fixed text only; values are parameters)


def hand_features_sql(days: int | None) -> str:
    """The newest `limit` in the viewport as GeoJSON, names joined to those rows only, and the
    true total."""
    where = f"location && ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326) {_window_sql(days)}"
    return f"""
        WITH newest AS (
            SELECT id, location, reference, title, category_id, priority, status, area_id,
                   address, reported_at, updated_at, concern_id
            FROM incidents_incident WHERE {where}
            ORDER BY reported_at DESC, id DESC LIMIT %(limit)s
        )
        SELECT json_build_object(
            'type', 'FeatureCollection',
            'total', (SELECT count(*) FROM incidents_incident WHERE {where}),
            'features', COALESCE(json_agg(json_build_object(
                'type', 'Feature', 'id', i.id,
                'geometry', ST_AsGeoJSON(i.location, 6)::json,
                'properties', json_build_object(
                    'reference', i.reference, 'title', i.title, 'category', c.code,
                    'priority', i.priority, 'status', i.status, 'area', i.area_id,
                    'area_name', a.name, 'address', i.address,
                    'reported_at', i.reported_at, 'updated_at', i.updated_at,
                    'concern', i.concern_id)
            ) ORDER BY i.reported_at DESC, i.id DESC), '[]'))::text
        FROM newest i
        JOIN incidents_category c ON c.id = i.category_id
        LEFT JOIN incidents_area a ON a.id = i.area_id
    """  # noqa: S608  (fixed text only; values are parameters)


def _time(fn: Callable[[], object], repeat: int) -> list[float]:
    """Milliseconds of `repeat` runs after a warm-up, fewer when over BUDGET_SECONDS."""
    fn()
    samples: list[float] = []
    deadline = time.perf_counter() + BUDGET_SECONDS
    while len(samples) < repeat and (len(samples) < MIN_REPEAT or time.perf_counter() < deadline):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _bbox_param(bbox: tuple[float, float, float, float]) -> str:
    return ",".join(f"{v:.4f}" for v in bbox)


def _days_param(days: int | None) -> str:
    return "" if days is None else f"&days={days}"


def _label(days: int | None) -> str:
    return "any time" if days is None else f"{days} days"


def _row(name: str, samples: list[float], target: float | None, **extra: object) -> dict:
    p50, p95, p99 = (_pct(samples, q) for q in (50, 95, 99))
    return {
        "path": name,
        "runs": len(samples),
        "p50_ms": round(p50, 1),
        "p95_ms": round(p95, 1),
        "p99_ms": round(p99, 1),
        "mean_ms": round(statistics.fmean(samples), 1),
        "target_ms": target,
        **extra,
    }


def measure(repeat: int, database: str) -> list[dict[str, object]]:
    """Each endpoint through the full request stack, then its hand SQL; the environment already
    points Django at the load database."""
    import django
    import psycopg

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from incidents.map_selectors import cell_size_for_zoom

    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT="application/json")
    client.force_login(get_user_model().objects.get(username="chefe.costa"))
    # Never prepared, as Django's connections: a generic plan could not see the window's size.
    hand = psycopg.connect(f"dbname={database}", autocommit=True, prepare_threshold=None)

    def get(url: str) -> Callable[[], bytes]:
        def call() -> bytes:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response.content

        return call

    def sql(text: str, params: dict[str, object]) -> Callable[[], str]:
        def call() -> str:
            if params["days"] is not None:
                params["since"] = timezone.now() - timezone.timedelta(days=params["days"])
            return hand.execute(text, params).fetchone()[0]

        return call

    cases = []
    for days in CELL_WINDOWS:
        url = f"{CELLS_URL}?bbox={_bbox_param(CITY_BBOX)}&zoom={CITY_ZOOM}{_days_param(days)}"
        params = dict(zip("wsen", CITY_BBOX, strict=True), days=days)
        params["size"] = cell_size_for_zoom(CITY_ZOOM)
        name = f"cells, city zoom {CITY_ZOOM}, {_label(days)}"
        cases.append((name, url, hand_cells_sql(days), params, TARGET_CELLS_MS))
    for days in FEATURE_WINDOWS:
        url = f"{FEATURES_URL}?bbox={_bbox_param(PARISH_BBOX)}&limit={FEATURE_LIMIT}"
        url += _days_param(days)
        params = dict(zip("wsen", PARISH_BBOX, strict=True), days=days, limit=FEATURE_LIMIT)
        name = f"features, Arroios zoom 16, {_label(days)}"
        cases.append((name, url, hand_features_sql(days), params, TARGET_FEATURES_MS))

    rows = []
    for name, url, text, params, target in cases:
        answer = json.loads(get(url)())
        by_hand = json.loads(sql(text, params)())
        api = _time(get(url), repeat)
        raw = _time(sql(text, params), repeat)
        size = len(get(url)())
        api_p95, raw_p95 = _pct(api, 95), _pct(raw, 95)
        met = api_p95 < target
        if name.startswith("features"):
            met = met and api_p95 <= TARGET_FEATURES_SQL_RATIO * raw_p95
        items = len(answer.get("cells", answer.get("features", [])))
        rows.append(
            _row(
                name,
                api,
                target,
                url=url,
                total=answer["total"],
                total_by_hand=by_hand["total"],
                items=items,
                bytes=size,
                sql=_row("hand SQL", raw, None),
                ratio_to_sql=round(api_p95 / raw_p95, 2),
                meets_target=met,
            )
        )
        print(f"  {name}: p95 {api_p95:.0f} ms (hand SQL {raw_p95:.0f} ms)", flush=True)
    hand.close()
    return rows


def _report(size: int, rows: list[dict], browser: dict | None) -> None:
    print(
        f"\n2. Map at {size:,} incidents (targets: cells p95 < {TARGET_CELLS_MS:.0f} ms; "
        f"features p95 < {TARGET_FEATURES_MS:.0f} ms and <= {TARGET_FEATURES_SQL_RATIO:.0f}x "
        "the hand SQL)"
    )
    head = f"{'path':36} {'total':>7} {'p50':>9} {'p95':>9} {'p99':>9} {'SQL p95':>9} {'x SQL':>6}"
    print(head + "  target")
    for r in rows:
        verdict = "met" if r["meets_target"] else "MISSED"
        print(
            f"{r['path']:36} {r['total']:>7} {r['p50_ms']:>6} ms {r['p95_ms']:>6} ms "
            f"{r['p99_ms']:>6} ms {r['sql']['p95_ms']:>6} ms {r['ratio_to_sql']:>6}  {verdict}"
        )
    if browser:
        from .map_browser import report

        report(browser)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.maps", description=__doc__)
    parser.add_argument("--size", type=int, default=int(os.environ.get("BENCH_SIZE", "100000")))
    parser.add_argument("--repeat", type=int, default=REPEAT, help="0: the browser only")
    parser.add_argument("--browser-runs", type=int, default=3, help="0: endpoints only")
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    database = f"koban_load_{args.size}"
    if args.measure_only:
        rows = measure(args.repeat, database) if args.repeat else []
        Path(os.environ["KOBAN_BENCH_OUT"]).write_text(json.dumps(rows))
        return 0
    started = time.monotonic()

    def browser(env: dict[str, str]) -> Any:
        from .map_browser import first_loads

        return first_loads(database, env, args.browser_runs) if args.browser_runs else None

    rows, loads, generated, database = measure_elsewhere(
        "bench.maps", args.size, ["--repeat", str(args.repeat)], RESULTS, after=browser
    )
    _report(args.size, rows, loads)
    load = write_results(
        RESULTS, "2. Map", args.size, database, generated, endpoints=rows, browser=loads
    )
    report_written(RESULTS, started, load)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
