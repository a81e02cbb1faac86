"""The supervisors' insight pages at city scale: shift briefing and closure-quality charts,
against the 300 ms target (issue 16), at BENCH_SIZE incidents (default 100 000).

The data lives in its own load database, `koban_load_<size>`, filled once by
`manage.py generate_load` (three years of synthetic incidents with their timeline, follow-ups
and outbox) and reused by later runs. Each path is timed REPEAT times after a warm-up: the
selectors alone, then the pages and endpoints through Django's full request stack (middleware,
session, permission, template or JSON). Results: a table on stdout and var/bench/insight.json.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable

from . import processes
from .loaddb import _pct, _time, section_main

TARGET_MS = 300.0
REPEAT = 30
RESULTS = processes.ROOT / "var" / "bench" / "insight.json"


def measure(repeat: int) -> list[dict[str, object]]:
    """Time each path; the environment already points Django at the load database."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from incidents.models import Area
    from incidents.selectors_briefing import shift_briefing
    from incidents.selectors_insight import InsightScope, closure_quality

    supervisor = get_user_model().objects.get(username="chefe.costa")
    parish = Area.objects.filter(kind=Area.Kind.PARISH).order_by("code").first()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(supervisor)
    from django.utils import timezone

    def window(days: int, **kw: object) -> InsightScope:
        now = timezone.now()
        return InsightScope(start=now - timezone.timedelta(days=days), end=now, **kw)

    def get(url: str) -> Callable[[], object]:
        def call() -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return call

    paths: list[tuple[str, Callable[[], object]]] = [
        ("selector: shift briefing, division", lambda: shift_briefing(supervisor)),
        (
            "selector: shift briefing, one parish",
            lambda: shift_briefing(supervisor, areas=(parish.pk,)),
        ),
        ("selector: closure quality, 13 weeks", lambda: closure_quality(supervisor, window(91))),
        ("selector: closure quality, 1 year", lambda: closure_quality(supervisor, window(365))),
        (
            "selector: closure quality, 13 weeks, one parish",
            lambda: closure_quality(supervisor, window(91, areas=(parish.pk,))),
        ),
        ("page: /insight/briefing/", get("/insight/briefing/")),
        ("page: /insight/closure/", get("/insight/closure/")),
        ("json: /insight/closure/data/?days=91", get("/insight/closure/data/?days=91")),
        ("json: /insight/closure/data/?days=365", get("/insight/closure/data/?days=365")),
        (
            "csv: /insight/closure/export.csv (by parish, 13 weeks)",
            get("/insight/closure/export.csv?days=91&chart=response_times&breakdown=area"),
        ),
    ]
    rows = []
    for name, fn in paths:
        samples = _time(fn, repeat)
        p50, p95, p99 = (_pct(samples, q) for q in (50, 95, 99))
        rows.append(
            {
                "path": name,
                "runs": repeat,
                "p50_ms": round(p50, 1),
                "p95_ms": round(p95, 1),
                "p99_ms": round(p99, 1),
                "mean_ms": round(statistics.fmean(samples), 1),
                "target_ms": TARGET_MS,
                "meets_target": p95 < TARGET_MS,
            }
        )
        print(f"  {name}: p95 {p95:.0f} ms", flush=True)
    return rows


def _report(size: int, rows: list[dict[str, object]]) -> None:
    print(f"\nInsight pages at {size:,} incidents (target: p95 under {TARGET_MS:.0f} ms)")
    print(f"{'path':58} {'p50':>8} {'p95':>8} {'p99':>8}  target")
    for r in rows:
        verdict = "met" if r["meets_target"] else "MISSED"
        print(
            f"{r['path']:58} {r['p50_ms']:>6} ms {r['p95_ms']:>6} ms {r['p99_ms']:>6} ms  {verdict}"
        )


def main(argv: list[str] | None = None) -> int:
    return section_main(
        "bench.insight",
        "Insight (issue 16)",
        __doc__ or "",
        measure,
        _report,
        RESULTS,
        argv,
        REPEAT,
    )


if __name__ == "__main__":
    raise SystemExit(main())
