"""Row 2, map, in the browser: the operations page's first load in Chromium, served by the real
web server (bench/processes.py `start_web`: gunicorn as the Procfile runs it, with the static
files collected, hashed and compressed as in production) on the load database.

Each run signs the supervisor in through the login form in a new browser context (an empty
cache), then loads `/` and times, from navigation start, until the map is drawn with the right
totals: nothing loading (`#ops` without `is-loading`), the map in cell mode, cell markers whose
`data-count`s add up to what SQL counts in the map's bounds for the window, and the incidents
counter set. Then, on the same page: zoom 16 on Arroios (incident markers), back to the city,
and each longer window chosen in `#f-days`, timed from the change. Bytes are the transfer sizes
of the Resource Timing entries (the navigation's included for the first load); requests are
their number. The page's CSP forbids string eval: the probes are function sources evaluated by
Playwright, polled from Python.
"""

from __future__ import annotations

import hashlib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

from . import processes

CHROMIUM = "/usr/bin/chromium"  # Debian's, as tests/browser/conftest.py uses it
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1366, "height": 860}
SUPERVISOR = ("chefe.costa", "koban-chefe-demo")  # incidents/demo.py DEMO_PASSWORDS
ARROIOS = (38.7255, -9.1345)
STEP_TIMEOUT = 120.0
POLL = 0.02
STATIC_ROOT = processes.ROOT / "var" / "bench" / "static"
SERVER_LOG = Path(tempfile.gettempdir()) / "koban-bench-map-web.log"
# Issue 14, at 1 000 000 incidents: (milliseconds, bytes).
TARGETS: dict[str, tuple[float, int | None]] = {
    "first load": (1500.0, 1_000_000),
    "1 year": (2000.0, None),
}

# What the page shows now; the one probe every wait polls.
PROBE = """() => {
  const ops = document.getElementById("ops");
  const map = document.getElementById("map");
  const cells = [...document.querySelectorAll("#map .mk-cell")];
  const counter = document.getElementById("count-incidents");
  const m = window.koban && window.koban.map;
  let bbox = null;
  if (m) {
    const b = m.getBounds();
    const c = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
    bbox = [c(b.getWest(), -180, 180), c(b.getSouth(), -90, 90),
            c(b.getEast(), -180, 180), c(b.getNorth(), -90, 90)].map((v) => Number(v.toFixed(5)));
  }
  return {
    now: performance.now(),
    loading: !ops || ops.classList.contains("is-loading"),
    mode: (map && map.dataset.mode) || "",
    cells: cells.length,
    sum: cells.reduce((a, el) => a + Number(el.dataset.count), 0),
    markers: document.querySelectorAll("#map .mk-incident, #map .mk-cluster").length,
    total: counter ? counter.getAttribute("data-total") : null,
    text: counter ? counter.textContent : null,
    note: (document.getElementById("map-note") || {}).textContent || "",
    bbox,
    zoom: m ? m.getZoom() : null,
  };
}"""

TRAFFIC = """(since) => {
  const entries = performance.getEntriesByType("resource").filter((e) => e.startTime >= since);
  if (since === 0) entries.push(...performance.getEntriesByType("navigation"));
  return {
    requests: entries.length,
    bytes: entries.reduce((a, e) => a + (e.transferSize || 0), 0),
    decoded_bytes: entries.reduce((a, e) => a + (e.decodedBodySize || 0), 0),
    api_requests: entries.filter((e) => e.name.includes("/api/")).length,
    // Where the time went: the slowest requests, from the step's start.
    slowest: entries.filter((e) => e.entryType === "resource")
      .sort((a, b) => b.duration - a.duration).slice(0, 6)
      .map((e) => ({
        url: new URL(e.name).pathname + new URL(e.name).search.slice(0, 40),
        start_ms: Math.round(e.startTime - since),
        ms: Math.round(e.duration),
        kB: Math.round(e.transferSize / 100) / 10,
      })),
    last_response_ms: Math.round(Math.max(0, ...entries.map((e) => e.responseEnd)) - since),
  };
}"""

CHOOSE_DAYS = """(value) => {
  const select = document.getElementById("f-days");
  const at = performance.now();
  select.value = value;
  select.dispatchEvent(new Event("change", { bubbles: true }));
  return at;
}"""

OPTIONS = """() => [...document.querySelectorAll("#f-days option")].map((o) => o.value)"""

CITY = """() => {
  const c = window.koban.map.getCenter();
  return [c.lat, c.lng, window.koban.map.getZoom()];
}"""

ZOOM = """([lat, lon, zoom]) => {
  const at = performance.now();
  window.koban.map.setView([lat, lon], zoom, { animate: false });
  return at;
}"""


def _static_digest() -> str:
    """Names, sizes and times of the static sources: collect again only when they change."""
    h = hashlib.sha256()
    for path in sorted((processes.ROOT / "static").rglob("*")):
        if path.is_file():
            st = path.stat()
            h.update(f"{path.relative_to(processes.ROOT)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def collect_static(env: dict[str, str]) -> None:
    """`collectstatic` as a release runs it (hashed names, gzip and brotli), into var/bench/static,
    once per change of the sources: compressing everything takes minutes on two cores."""
    stamp = STATIC_ROOT / ".source-digest"
    digest = _static_digest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    print("collecting static files (hashed, compressed) into var/bench/static ...", flush=True)
    command = [sys.executable, "manage.py", "collectstatic", "--noinput", "--clear", "-v0"]
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    subprocess.run(command, cwd=processes.ROOT, env=env, check=True)
    stamp.write_text(digest)


class Counter:
    """What SQL counts in a bbox and window: the truth the map's cells must add up to. The
    window's start moves with the clock, so a count taken a little later is accepted too."""

    def __init__(self, database: str) -> None:
        self.conn = psycopg.connect(f"dbname={database}", autocommit=True)
        self.cache: dict[tuple[Any, ...], tuple[int, int]] = {}

    def in_bbox(self, bbox: list[float], days: str) -> tuple[int, int]:
        key = (*bbox, days)
        if key not in self.cache:
            start = "now() - %(d)s * interval '1 day'"
            window = f"reported_at >= {start}" if days else "true"
            early = f"reported_at >= {start} - interval '30 seconds'" if days else "true"
            sql = f"""SELECT count(*) FILTER (WHERE {window}), count(*) FILTER (WHERE {early})
                      FROM incidents_incident
                      WHERE location && ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326)"""  # noqa: S608
            params = dict(zip("wsen", bbox, strict=True), d=int(days or 0))
            self.cache[key] = self.conn.execute(sql, params).fetchone()
        return self.cache[key]

    def in_window(self, days: str) -> int:
        window = "" if not days else "WHERE reported_at >= now() - %s * interval '1 day'"
        return self.conn.execute(
            f"SELECT count(*) FROM incidents_incident {window}",  # noqa: S608
            [int(days)] if days else [],
        ).fetchone()[0]


def _wait(page: Any, done: Any, since: float) -> dict[str, Any]:
    """Poll the probe until `done(state)`; the time is the page's own clock minus `since`."""
    deadline = time.monotonic() + STEP_TIMEOUT
    while True:
        state = page.evaluate(PROBE)
        if done(state):
            state["ms"] = round(state["now"] - since, 1)
            return state
        if time.monotonic() > deadline:
            state["ms"] = None
            state["timed_out"] = True
            return state
        time.sleep(POLL)


def _drawn(counter: Counter, days: str, wants_total: bool) -> Any:
    def done(s: dict[str, Any]) -> bool:
        if s["loading"] or s["mode"] != "cells" or not s["cells"] or s["bbox"] is None:
            return False
        if wants_total and s["total"] is None:
            return False
        now, early = counter.in_bbox(s["bbox"], days)
        s["sql_count"] = now
        return now <= s["sum"] <= early

    return done


def _features(s: dict[str, Any]) -> bool:
    return not s["loading"] and s["mode"] == "features" and s["markers"] > 0


def _login(context: Any, base: str) -> Any:
    page = context.new_page()
    page.goto(f"{base}/login/?next=/bench/trivial/")
    page.fill("#id_username", SUPERVISOR[0])
    page.fill("#id_password", SUPERVISOR[1])
    page.click("form .btn-primary")
    page.wait_for_url(f"{base}/bench/trivial/")
    page.close()


def _run(
    browser: Any, base: str, counter: Counter, wants_total: bool, *, windows: bool
) -> list[dict[str, Any]]:
    """One fresh session: the first load and the zoom to Arroios, then (`windows`) the longer
    windows, slow enough at a year that the bench times them once."""
    context = browser.new_context(viewport=DESKTOP, locale="pt-PT")
    context.set_default_timeout(STEP_TIMEOUT * 1000)
    _login(context, base)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")  # the login page's stylesheet must not count as cached
    steps = []

    def step(name: str, since: float, days: str | None, target: str | None = None) -> None:
        done = _features if days is None else _drawn(counter, days, wants_total)
        state = _wait(page, done, since)
        state.update(step=name, days=days, target=target, **page.evaluate(TRAFFIC, since))
        if days is not None:
            state["window_total_sql"] = counter.in_window(days)
        steps.append(state)

    page.goto(f"{base}/", wait_until="commit")
    step("first load, 7 days", 0, "7", target="first load")
    options = page.evaluate(OPTIONS)
    city = page.evaluate(CITY)
    step("Arroios at zoom 16 (7 days), from setView", page.evaluate(ZOOM, [*ARROIOS, 16]), None)
    if windows:
        page.evaluate(ZOOM, city)
        _wait(page, _drawn(counter, "7", wants_total), 0)
        step("30 days, from the change", page.evaluate(CHOOSE_DAYS, "30"), "30")
        if "365" in options:
            at = page.evaluate(CHOOSE_DAYS, "365")
            step("1 year, from the change", at, "365", target="1 year")
        else:
            at = page.evaluate(CHOOSE_DAYS, "")
            step("any time (no 1-year option yet), from the change", at, "")
    for s in steps:
        s["page_errors"] = list(errors)
    context.close()
    return steps


def _counter_has_total() -> bool:
    """Whether the dashboard sets the incidents counter's `data-total` (the true count of the
    window); until it does, the wait accepts the counter's text."""
    for path in (processes.ROOT / "static" / "dashboard" / "js").rglob("*.js"):
        text = path.read_text()
        if "count-incidents" in text and ("data-total" in text or "dataset.total" in text):
            return True
    return False


def first_loads(database: str, env: dict[str, str], runs: int) -> dict[str, Any]:
    """Start the web server, run Chromium `runs` times, stop; the steps of every run."""
    from playwright.sync_api import sync_playwright

    from .processes import start_web

    web_env = {
        **env,
        "KOBAN_STATIC_MANIFEST": "true",
        "STATIC_ROOT": str(STATIC_ROOT),
        "KOBAN_BENCH_VIEWS": "true",
    }
    collect_static(web_env)
    wants_total = _counter_has_total()
    port = processes.free_port()
    web = start_web(port, web_env, SERVER_LOG)
    counter = Counter(database)
    all_runs = []
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            # A first session warms the server (each worker's first queries and templates).
            _run(browser, base, counter, wants_total, windows=False)
            for n in range(runs):
                steps = _run(browser, base, counter, wants_total, windows=n == 0)
                all_runs.append(steps)
                print(
                    f"  browser run {n + 1}: "
                    + "; ".join(
                        f"{s['step']} {s['ms']} ms, {s['bytes'] / 1e3:.0f} kB" for s in steps
                    ),
                    flush=True,
                )
            browser.close()
    finally:
        processes.stop(web)
        counter.conn.close()
    return {"runs": all_runs, "summary": _summary(all_runs), "counter_attribute": wants_total}


def _summary(all_runs: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per step, over the runs that took it: median time and bytes, the first run's counts."""
    rows = []
    for first in all_runs[0]:
        same = [s for run in all_runs for s in run if s["step"] == first["step"]]
        times = [s["ms"] for s in same if s["ms"] is not None]
        median = statistics.median(times) if times else None
        bytes_ = statistics.median(s["bytes"] for s in same)
        target_ms, target_bytes = TARGETS.get(first["target"] or "", (None, None))
        met = None
        if target_ms is not None:
            met = median is not None and len(times) == len(same) and median < target_ms
            met = met and (target_bytes is None or bytes_ < target_bytes)
        rows.append(
            {
                "step": first["step"],
                "runs": len(same),
                "median_ms": median,
                "max_ms": max(times) if times else None,
                "timed_out": len(same) - len(times),
                "bytes": bytes_,
                "requests": statistics.median(s["requests"] for s in same),
                "api_requests": statistics.median(s["api_requests"] for s in same),
                "cells_sum": first.get("sum") if first["days"] is not None else None,
                "sql_count": first.get("sql_count"),
                "counter": first["total"] if first["total"] is not None else first["text"],
                "window_total_sql": first.get("window_total_sql"),
                "markers": first["markers"],
                "note": first["note"],
                "target_ms": target_ms,
                "target_bytes": target_bytes,
                "meets_target": met,
            }
        )
    return rows


def report(browser: dict[str, Any]) -> None:
    print(f"\nMap first load in Chromium ({len(browser['runs'])} runs, median)")
    print(f"{'step':52} {'time':>9} {'max':>9} {'kB':>7} {'req':>4}  cells = SQL  counter  target")
    for r in browser["summary"]:
        target = ""
        if r["target_ms"] is not None:
            target = f"< {r['target_ms']:.0f} ms"
            if r["target_bytes"]:
                target += f", < {r['target_bytes'] / 1e6:.0f} MB"
            target += " met" if r["meets_target"] else " MISSED"
        cells = "" if r["sql_count"] is None else f"{r['cells_sum']} = {r['sql_count']}"
        print(
            f"{r['step']:52} {r['median_ms'] or 0:>6.0f} ms {r['max_ms'] or 0:>6.0f} ms "
            f"{r['bytes'] / 1e3:>7.0f} {r['requests']:>4.0f}  {cells:>11}  "
            f"{r['counter'] or '':>7}  {target}"
        )
