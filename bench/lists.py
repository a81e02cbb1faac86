"""Row 3, lists: the incident list at BENCH_SIZE incidents (default 100 000) through Django's
full request stack, for a supervisor (the whole division) and for an officer of one parish.

Page 1 and cursor page 50 (`next` followed 49 times, then page 50's URL timed), a `q=` search
for a street-name fragment and for a reference fragment, and `count=true` when the list answers
it with a `count`. The data is the load database `koban_load_<size>` (bench/loaddb.py,
`ensure_load`); each path is timed REPEAT times after a warm-up in a process of its own pointed
at it. Results: a table on stdout and var/bench/lists.json.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from . import processes
from .loaddb import _pct, _time, section_main

TARGET_MS = 100.0
TARGET_SEARCH_MS = 300.0
REPEAT = 30
PAGE = 50
LIST_URL = "/api/v1/incidents/"
# The officer of one parish (Arroios); the load generator's officers each have two or three.
OFFICER = "bench.officer.arroios"
OFFICER_PARISH = "110656"
STREET_FRAGMENT = "dos Anjos"  # Rua dos Anjos, Arroios (incidents/demo.py STREETS)
RESULTS = processes.ROOT / "var" / "bench" / "lists.json"


def _officer_of_one_parish() -> Any:
    """An officer whose only area is Arroios, made once in the load database."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from incidents import roles
    from incidents.models import Area, OfficerProfile

    user, _ = get_user_model().objects.get_or_create(username=OFFICER)
    user.groups.set([Group.objects.get(name=roles.OFFICER)])
    profile, _ = OfficerProfile.objects.get_or_create(user=user)
    profile.areas.set([Area.objects.get(code=OFFICER_PARISH, kind=Area.Kind.PARISH)])
    return user


def _reference_fragment() -> str:
    """The last six digits of the reference of an Arroios incident of a year ago, as someone
    types the end of a reference: both people may see it."""
    from django.utils import timezone

    from incidents.models import Incident

    reference = (
        Incident.objects.filter(
            area__code=OFFICER_PARISH,
            reported_at__lt=timezone.now() - timezone.timedelta(days=365),
        )
        .order_by("-reported_at")
        .values_list("reference", flat=True)
        .first()
    )
    return reference[-6:]


def measure(repeat: int) -> list[dict[str, object]]:
    """Time each path; the environment already points Django at the load database."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    people = {
        "supervisor": get_user_model().objects.get(username="chefe.costa"),
        "officer": _officer_of_one_parish(),
    }
    reference = _reference_fragment()
    rows = []
    for who, user in people.items():
        client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT="application/json")
        client.force_login(user)

        def fetch(url: str, client: Client = client) -> dict[str, Any]:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response.json()

        def page(n: int, fetch: Callable[[str], dict[str, Any]] = fetch) -> tuple[int, str]:
            """Page n's URL by following `next`, or the last page's when there are fewer (an
            Arroios officer has about 40 pages at 100 000 incidents)."""
            url = LIST_URL
            for k in range(1, n):
                nxt = fetch(url)["next"]
                if nxt is None:
                    return k, url
                parts = urlsplit(nxt)
                url = f"{parts.path}?{parts.query}"
            return n, url

        deep, deep_url = page(PAGE)
        paths = [
            ("page 1", LIST_URL, TARGET_MS),
            (f"cursor page {deep}", deep_url, TARGET_MS),
            (
                f"q={STREET_FRAGMENT} (street)",
                f"{LIST_URL}?q={quote(STREET_FRAGMENT)}",
                TARGET_SEARCH_MS,
            ),
            (f"q={reference} (reference)", f"{LIST_URL}?q={reference}", TARGET_SEARCH_MS),
        ]
        if "count" in fetch(f"{LIST_URL}?count=true"):
            paths.append(("page 1, count=true", f"{LIST_URL}?count=true", TARGET_MS))
        for name, url, target in paths:
            answer = fetch(url)
            samples = _time(lambda url=url: fetch(url), repeat)
            p50, p95, p99 = (_pct(samples, q) for q in (50, 95, 99))
            rows.append(
                {
                    "who": who,
                    "path": name,
                    "url": url,
                    "rows": len(answer["results"]),
                    "count": answer.get("count"),
                    "runs": repeat,
                    "p50_ms": round(p50, 1),
                    "p95_ms": round(p95, 1),
                    "p99_ms": round(p99, 1),
                    "mean_ms": round(statistics.fmean(samples), 1),
                    "target_ms": target,
                    "meets_target": p95 < target,
                }
            )
            print(f"  {who}, {name}: p95 {p95:.0f} ms", flush=True)
    return rows


def _report(size: int, rows: list[dict[str, object]]) -> None:
    print(
        f"\n3. Lists at {size:,} incidents (target: p95 under {TARGET_MS:.0f} ms a page, "
        f"{TARGET_SEARCH_MS:.0f} ms a q= search)"
    )
    print(f"{'who':11} {'path':34} {'rows':>5} {'p50':>9} {'p95':>9} {'p99':>9}  target")
    for r in rows:
        verdict = "met" if r["meets_target"] else "MISSED"
        print(
            f"{r['who']:11} {r['path']:34} {r['rows']:>5} {r['p50_ms']:>6} ms {r['p95_ms']:>6} ms "
            f"{r['p99_ms']:>6} ms  < {r['target_ms']:.0f} ms {verdict}"
        )


def main(argv: list[str] | None = None) -> int:
    return section_main(
        "bench.lists", "3. Lists", __doc__ or "", measure, _report, RESULTS, argv, REPEAT
    )


if __name__ == "__main__":
    raise SystemExit(main())
