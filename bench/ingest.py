"""Row 1 (issue 14): an Open311 source of N requests over loopback through the whole adapter
path, beside raw `COPY` of the same rows, then the unchanged re-runs.

The demo's Open311 source (data/demo/sources.yaml, its service codes and api_key variable) is
pointed at a GeoReport v2 server on 127.0.0.1, a thread of this process serving N synthetic
requests: the demo's service codes plus two it does not map, points inside Lisbon's parishes
(2 % without coordinates, as real feeds have), requested over the last year, 70 % closed with
status notes. The adapter does not page: it asks `requests.json` once per run with
`start_date` = its cursor, and the server honours `start_date` as GeoReport v2 says.

Each run is queued with `run_create` and executed by `run_execute`, exactly what the Celery task
calls, here synchronously: the fetch, mapping, area lookup, upsert, timeline, outbox and live
publishing (to a private redis-server) and the run record. Measured:

- the first run (N created), records/s;
- raw `COPY` of the same N incident rows (the columns the adapter fills, values from the same
  payload, prepared in memory before the clock starts) into a scratch table made
  `LIKE incidents_incident INCLUDING ALL` (same indexes and constraints), records/s;
- the scheduled re-run: the cursor asks only for requests at or after the newest one seen;
- the full re-read after "read everything again" (`source_update(reset_cursor=True)`): N
  fetched, every one unchanged (content hash), nothing written to the timeline or outbox.

Size: BENCH_INGEST_SIZE (default 5 000), not BENCH_SIZE: the path's cost is per record, so its
rate does not depend on how many rows the table holds, and BENCH_SIZE's 100 000 would take half
an hour. 20 000 was the first default; at the 25-100 records a second measured on this 2-core
machine it alone took 4 to 14 minutes, where 5 000 keeps the section near three. Database
`koban_bench_ingest`, dropped and made again each run (never the demo's). Results: a table on
stdout and var/bench/ingest.json (the COPY row is the median of three).
`BENCH_INGEST_PROFILE=path.prof` writes a cProfile of the first run.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import psycopg
import yaml

from . import processes
from .feed_latency import write_json

DATABASE = "koban_bench_ingest"
TARGET_SHARE = 0.2  # the adapter path at least a fifth of COPY's rate
SEED = 2026
API_KEY = "bench-ingest-key"
LISBON = ZoneInfo("Europe/Lisbon")
# Codes the demo's source does not map: they fall to its `default` category.
UNMAPPED = {"iluminacao": "Iluminação pública", "arvores": "Árvores e espaços verdes"}
NAMES = {
    "ruido": "Ruído",
    "espaco-publico": "Espaço público",
    "estacionamento": "Estacionamento abusivo",
    "grafitos": "Grafitos",
}
DESCRIPTIONS = [
    "Música alta depois da meia-noite, vários vizinhos incomodados.",
    "Passeio obstruído por entulho de obras.",
    "Viatura estacionada em cima da passadeira há dois dias.",
    "Pintura nova na fachada da escola.",
    "Candeeiro apagado na esquina, rua muito escura.",
    "Ramo partido a ameaçar cair sobre a via.",
    "Contentor do lixo tombado e lixo espalhado.",
    "Esplanada a ocupar todo o passeio.",
]
STREETS = ["Rua Augusta", "Av. da Liberdade", "Rua da Prata", "Calçada do Combro", "Rua do Ouro"]


def _demo_open311() -> dict[str, Any]:
    entries = yaml.safe_load((processes.ROOT / "data/demo/sources.yaml").read_text())["sources"]
    return next(e for e in entries if e["adapter"] == "open311")


# --- The feed -----------------------------------------------------------------------------------


def _parishes() -> list[tuple[int, Any]]:
    from incidents.models import Area

    return [(a.pk, a.geom) for a in Area.objects.filter(kind=Area.Kind.PARISH).order_by("code")]


def make_requests(n: int, now: datetime) -> tuple[list[dict[str, Any]], list[int | None]]:
    """N GeoReport v2 service requests and the parish (area id) each was placed in."""
    from django.contrib.gis.geos import Point

    rng = random.Random(SEED)
    parishes = [(pk, geom.prepared, geom.extent) for pk, geom in _parishes()]
    codes = [*NAMES, *UNMAPPED]
    names = {**NAMES, **UNMAPPED}
    requests, areas = [], []
    for i in range(n):
        requested = now - timedelta(seconds=rng.uniform(0, 365 * 86400))
        code = rng.choices(codes, weights=[30, 25, 20, 10, 8, 7])[0]
        closed = rng.random() < 0.7
        record: dict[str, Any] = {
            "service_request_id": f"LX-{100000 + i}",
            "status": "closed" if closed else "open",
            "status_notes": "Resolvido pela equipa no local." if closed else None,
            "service_name": names[code],
            "service_code": code,
            "description": rng.choice(DESCRIPTIONS),
            "agency_responsible": "Câmara Municipal de Lisboa",
            "service_notice": None,
            "requested_datetime": requested.astimezone(LISBON).isoformat(timespec="seconds"),
            "updated_datetime": (requested + timedelta(hours=rng.uniform(1, 200)))
            .astimezone(LISBON)
            .isoformat(timespec="seconds"),
            "expected_datetime": None,
            "address": f"{rng.choice(STREETS)} {rng.randint(1, 250)}, Lisboa",
            "address_id": None,
            "zipcode": f"1{rng.randint(100, 990)}-{rng.randint(1, 999):03d}",
            "media_url": None,
        }
        area = None
        if rng.random() >= 0.02:
            area, prepared, (xmin, ymin, xmax, ymax) = rng.choice(parishes)
            while True:
                lon, lat = rng.uniform(xmin, xmax), rng.uniform(ymin, ymax)
                if prepared.contains(Point(lon, lat, srid=4326)):
                    break
            record["lat"], record["long"] = round(lat, 6), round(lon, 6)
        requests.append(record)
        areas.append(area)
    return requests, areas


class Feed:
    """A GeoReport v2 server on loopback, in a thread: services.json and requests.json, which
    honours start_date (requested_datetime at or after it) and refuses a wrong api_key."""

    def __init__(self, requests: list[dict[str, Any]]) -> None:
        self.requests = sorted(requests, key=lambda r: r["requested_datetime"], reverse=True)
        self._moments = [datetime.fromisoformat(r["requested_datetime"]) for r in self.requests]
        self._everything = json.dumps(self.requests).encode()
        self.hits: list[str] = []
        feed = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                status, body = feed.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v2"

    def answer(self, path: str) -> tuple[int, bytes]:
        parts = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.hits.append(path)
        if query.get("api_key") != API_KEY:
            return 401, b'[{"code": 401, "description": "api_key"}]'
        if parts.path == "/v2/services.json":
            return 200, json.dumps([{"service_code": c} for c in [*NAMES, *UNMAPPED]]).encode()
        if parts.path != "/v2/requests.json":
            return 404, b"[]"
        if "start_date" not in query:
            return 200, self._everything
        since = datetime.fromisoformat(query["start_date"])
        return 200, json.dumps(
            [r for r, at in zip(self.requests, self._moments, strict=True) if at >= since]
        ).encode()

    def __enter__(self) -> Feed:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- Measurements -------------------------------------------------------------------------------


def _database_counts() -> dict[str, int]:
    from incidents.models import Incident, OutboxEvent, TimelineEntry

    return {
        "incidents": Incident.objects.count(),
        "timeline": TimelineEntry.objects.count(),
        "outbox": OutboxEvent.objects.count(),
    }


def sync(source: Any, profile: str = "") -> tuple[Any, float]:
    """One run as the Celery task runs it (run_execute, synchronously); (run, seconds)."""
    from integrations.models import SyncRun
    from integrations.services import run_create, run_execute

    run, _ = run_create(source=source, trigger=SyncRun.Trigger.MANUAL, enqueue=False)
    started = time.perf_counter()
    if profile:
        import cProfile

        with cProfile.Profile() as prof:
            run_execute(run_id=run.pk, worker="bench")
        prof.dump_stats(profile)
    else:
        run_execute(run_id=run.pk, worker="bench")
    seconds = time.perf_counter() - started
    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED, (run.status, run.error)
    return run, seconds


def copy_rows(requests: list[dict[str, Any]], areas: list[int | None], config: dict) -> list:
    """The incident rows the adapter writes for these requests, as plain values."""
    from incidents.models import Category

    category_ids = dict(Category.objects.values_list("code", "id"))
    mapped = config["service_categories"]
    now = datetime.now(UTC)
    rows = []
    for n, (r, area) in enumerate(zip(requests, areas, strict=True), start=1):
        reported = datetime.fromisoformat(r["requested_datetime"])
        closed = r["status"] == "closed"
        located = "lat" in r
        description = r["description"]
        if r["status_notes"]:
            description = f"{description}\n\n{r['status_notes']}"
        rows.append(
            (
                f"OC-{reported.year}-{n:06d}",
                category_ids[mapped.get(r["service_code"], mapped["default"])],
                "medium",
                "closed" if closed else "new",
                r["service_name"],
                description,
                "",
                f"SRID=4326;POINT({r['long']} {r['lat']})" if located else None,
                r["address"],
                area,
                reported,
                now if closed else None,
                "na-minha-rua-lx",
                r["service_request_id"],
                hashlib.sha256(json.dumps(r, sort_keys=True).encode()).hexdigest(),
                now,
                now,
            )
        )
    return rows


COPY_COLUMNS = (
    "reference, category_id, priority, status, title, description, status_notes, location, "
    "address, area_id, reported_at, resolved_at, source, external_id, content_hash, "
    "created_at, updated_at"
)


def copy_baseline(database: str, rows: list, repeat: int = 3) -> float:
    """Median seconds to COPY the rows into a new table shaped like incidents_incident (same
    indexes and constraints, no triggers) and commit; the table is dropped after each."""
    samples = []
    with psycopg.connect(f"dbname={database}") as conn:
        for _ in range(repeat):
            conn.execute("DROP TABLE IF EXISTS bench_ingest_copy")
            conn.execute("CREATE TABLE bench_ingest_copy (LIKE incidents_incident INCLUDING ALL)")
            conn.commit()
            started = time.perf_counter()
            statement = f"COPY bench_ingest_copy ({COPY_COLUMNS}) FROM STDIN"
            with conn.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
            conn.commit()
            samples.append(time.perf_counter() - started)
            (count,) = conn.execute("SELECT count(*) FROM bench_ingest_copy").fetchone()
            assert count == len(rows), count
            conn.execute("DROP TABLE bench_ingest_copy")
            conn.commit()
    return statistics.median(samples)


def _row(
    path: str, records: int, seconds: float, run: Any = None, *, rate: bool = True
) -> dict[str, Any]:
    """One measurement; `rate=False` where a handful of records makes a rate meaningless."""
    row: dict[str, Any] = {
        "path": path,
        "records": records,
        "seconds": round(seconds, 3),
        "records_per_s": round(records / seconds, 1) if rate and seconds else None,
    }
    if run is not None:
        row["run"] = {name: getattr(run, name) for name in run.COUNTS}
    return row


def measure(size: int, database: str) -> dict[str, Any]:
    """Everything after Django points at the bench database."""
    from incidents import services as domain
    from incidents.demo import DATA, MUNICIPALITY_CODE
    from incidents.models import Area
    from integrations.services import source_create, source_update

    domain.area_import_geojson(
        path=DATA / "lisbon_freguesias.geojson",
        name_property="Freguesia",
        code_property="Dicofre",
        kind=Area.Kind.PARISH,
        parent_code=MUNICIPALITY_CODE,
        parent_name="Lisboa",
    )
    demo = _demo_open311()
    started = time.perf_counter()
    requests, areas = make_requests(size, datetime.now(UTC))
    print(f"  {size} requests generated in {time.perf_counter() - started:.1f} s", flush=True)
    rows = []
    with Feed(requests) as feed:
        source = source_create(
            name=demo["name"],
            adapter="open311",
            config={**demo["config"], "endpoint": feed.endpoint},
            description=demo.get("description", ""),
        )
        run, seconds = sync(source, os.environ.get("BENCH_INGEST_PROFILE", ""))
        assert (run.created, run.rejected) == (size, 0), (run.created, run.rejected)
        rows.append(_row("adapter path: first run (all created)", run.processed, seconds, run))
        print(f"  first run: {size / seconds:.0f} records/s", flush=True)

        copy_seconds = copy_baseline(database, copy_rows(requests, areas, demo["config"]))
        rows.append(_row("raw COPY of the same rows", size, copy_seconds))
        print(f"  COPY: {size / copy_seconds:.0f} records/s", flush=True)

        before = _database_counts()
        source.refresh_from_db()
        run, seconds = sync(source)
        assert (run.created, run.updated) == (0, 0), (run.created, run.updated)
        rows.append(
            _row("re-run, unchanged (cursor: start_date)", run.processed, seconds, run, rate=False)
        )

        source, _ = source_update(source=source, reset_cursor=True)
        run, seconds = sync(source)
        assert (run.created, run.updated, run.unchanged) == (0, 0, size), run.unchanged
        rows.append(_row("re-read all, unchanged (cursor reset)", run.processed, seconds, run))
        after = _database_counts()
        print(f"  full re-read: {size / seconds:.0f} records/s", flush=True)
    first, copy = rows[0]["records_per_s"], rows[1]["records_per_s"]
    return {
        "rows": rows,
        "requests_served": len(feed.hits),
        "rows_written_by_reruns": {k: after[k] - before[k] for k in after},
        "adapter_over_copy": round(first / copy, 4),
        "met": first / copy >= TARGET_SHARE,
    }


def _report(size: int, result: dict[str, Any]) -> None:
    print(f"\nIngest: Open311, {size:,} requests over loopback (target: adapter path at least")
    print(f"{TARGET_SHARE:.0%} of COPY's rate)")
    print(f"{'path':44} {'records':>8} {'seconds':>9} {'records/s':>10}  created/unchanged")
    for r in result["rows"]:
        counts = r.get("run")
        made = f"{counts['created']}/{counts['unchanged']}" if counts else ""
        rate = f"{r['records_per_s']:,.0f}" if r["records_per_s"] else "-"
        print(f"{r['path']:44} {r['records']:>8} {r['seconds']:>9.2f} {rate:>10}  {made}")
    verdict = "met" if result["met"] else "MISSED"
    print(
        f"adapter / COPY: {result['adapter_over_copy']:.3f} (target {TARGET_SHARE}): {verdict}; "
        f"rows the re-runs wrote: {result['rows_written_by_reruns']}"
    )


def main() -> int:
    size = int(os.environ.get("BENCH_INGEST_SIZE", "5000"))
    load_at_start = os.getloadavg()
    redis_port = processes.free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = processes.server_env(DATABASE, redis_url)
    env["KOBAN_SOURCES_ALLOWED_NETWORKS"] = "127.0.0.0/8"
    env[_demo_open311()["config"]["api_key_env"]] = API_KEY
    with psycopg.connect("dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    started = time.perf_counter()
    processes.ensure_database(DATABASE, env)
    print(f"  {DATABASE} created and migrated in {time.perf_counter() - started:.0f} s")
    redis_proc = processes.start_redis(redis_port)
    try:
        os.environ.update(env)
        import django

        django.setup()
        result = measure(size, DATABASE)
    finally:
        processes.stop(redis_proc)
    _report(size, result)
    path = write_json(
        "ingest",
        {
            "size": size,
            "database": DATABASE,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "load_average_start_end": [load_at_start, os.getloadavg()],
            "target_share_of_copy": TARGET_SHARE,
            **result,
        },
    )
    print(f"load average at start {load_at_start}, at end {os.getloadavg()}; JSON: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
