"""The one table of a `make bench` run: each row of issue 14 (and issue 16's insight pages) with
what was measured, the baseline measured in the same run, the target and whether it was met,
read from the sections' JSON results in var/bench/. Printed at the end of the run and written
to var/bench/summary.md; a section that did not run shows as such, never as met."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from . import processes

RESULTS = processes.ROOT / "var" / "bench"
Row = tuple[str, str, str, str, str]  # row, measured, baseline, target, met


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _met(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "**missed**")


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} ms"


def ingest(data: dict[str, Any]) -> Iterator[Row]:
    first, copy, rerun = data["rows"][0], data["rows"][1], data["rows"][2]
    ratio = data["adapter_over_copy"]
    yield (
        f"1 Ingest, Open311 through the adapter ({data['size']} requests)",
        f"{first['records_per_s']:,.0f} records/s; unchanged re-run {rerun['seconds']:.2f} s",
        f"raw COPY {copy['records_per_s']:,.0f} rows/s",
        f">= 1/5 of COPY (ratio {ratio:.3f})",
        _met(ratio >= data["target_share_of_copy"]),
    )


def maps(data: dict[str, Any]) -> Iterator[Row]:
    for e in data.get("endpoints", []):
        yield (
            f"2 Map {e['path']} (p95)",
            _ms(e["p95_ms"]),
            f"hand SQL {_ms(e['sql']['p95_ms'])} ({e['ratio_to_sql']}x)",
            _ms(e["target_ms"]) if e.get("target_ms") else "—",
            _met(e.get("meets_target")),
        )
    for s in (data.get("browser") or {}).get("summary", []):
        right = s["cells_sum"] is None or s["cells_sum"] == s["sql_count"]
        yield (
            f"2 Map in Chromium: {s['step']}",
            f"{_ms(s['median_ms'])}, {s['bytes'] / 1000:,.0f} kB, {s['requests']:.0f} requests",
            "totals = SQL" if right else f"**cells {s['cells_sum']} != SQL {s['sql_count']}**",
            (
                f"< {_ms(s['target_ms'])}"
                + (f", < {s['target_bytes'] / 1e6:.0f} MB" if s["target_bytes"] else "")
                if s["target_ms"]
                else "—"
            ),
            _met(s["meets_target"] and right if s["meets_target"] is not None else None),
        )


def lists(data: dict[str, Any]) -> Iterator[Row]:
    for r in data["results"]:
        yield (
            f"3 List, {r['who']}: {r['path']} (p95)",
            _ms(r["p95_ms"]),
            "",
            f"< {_ms(r['target_ms'])}",
            _met(r.get("meets_target")),
        )


def live(data: dict[str, Any]) -> Iterator[Row]:
    for r in data["rows"]:
        p99 = r["feed_ms"]["p99"]
        yield (
            f"4 Live feed, {r['clients']} clients (p99, commit to client)",
            f"{_ms(p99)}; lost {r['lost']}",
            f"raw Redis pub/sub {_ms(r['redis_ms']['p99'])}",
            "< 100 ms at 500" if r["clients"] >= 500 else "—",
            _met(p99 < 100 and not r["lost"]) if r["clients"] >= 500 else "—",
        )


def positions(data: dict[str, Any]) -> Iterator[Row]:
    rate, lag = data["accepted_per_second"], data["lag_ms"]["p95"]
    yield (
        f"5 Positions, {data['units']} units a second for {data['seconds']} s",
        f"{rate:,.1f} accepted/s; browser lag p95 {_ms(lag)}",
        f"offered {data['offered_per_second']}/s",
        "300/s, lag p95 < 1 s",
        _met(rate >= 300 and lag is not None and lag < 1000),
    )


def api(data: dict[str, Any]) -> Iterator[Row]:
    paths, verdicts = data["paths"], data["targets"]
    listing, trivial = paths["list"], paths["trivial"]
    yield (
        f"6 API, {data['clients']} clients: incident list",
        f"{listing['rate']:,.1f} req/s, p99 {_ms(listing['p99_ms'])}",
        f"trivial view {trivial['rate']:,.1f} req/s",
        ">= 300 req/s, p99 < 250 ms, >= 1/3 of trivial",
        _met(all(verdicts.values())),
    )
    if "transition" in paths:
        change = paths["transition"]
        yield (
            "6 API: status change",
            f"{change['rate']:,.1f} req/s, p99 {_ms(change['p99_ms'])}",
            "",
            "—",
            "—",
        )


def insight(data: dict[str, Any]) -> Iterator[Row]:
    for r in data["results"]:
        p95 = r.get("p95_ms")
        yield (f"Insight (16): {r['path']} (p95)", _ms(p95), "", "< 300 ms", _met(p95 < 300))


SECTIONS: dict[str, tuple[str, Callable[[dict[str, Any]], Iterator[Row]]]] = {
    "ingest": ("ingest", ingest),
    "map": ("map", maps),
    "lists": ("lists", lists),
    "live": ("feed_latency", live),
    "positions": ("positions", positions),
    "api": ("api_load", api),
    "insight": ("insight", insight),
}


def table(names: list[str], started: float) -> str:
    """The markdown table of the sections that ran in this run (files older than it are not
    this run's: shown as not run)."""
    lines = [
        f"`make bench` at BENCH_SIZE={os.environ.get('BENCH_SIZE', '100000')}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, "
        f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}",
        "",
        "| row | measured | baseline (same run) | target | met? |",
        "|---|---|---|---|---|",
    ]
    for name in names:
        file, rows = SECTIONS[name]
        path = RESULTS / f"{file}.json"
        data = _load(file) if path.exists() and path.stat().st_mtime >= started else None
        if data is None:
            lines.append(f"| {name} | not run, or failed | | | |")
            continue
        try:
            lines += ["| " + " | ".join(row) + " |" for row in rows(data)]
        except (KeyError, IndexError, TypeError) as exc:
            lines.append(f"| {name} | results unreadable ({exc!r}) | | | |")
    return "\n".join(lines) + "\n"


def write(names: list[str], started: float) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = table(names, started)
    path = RESULTS / "summary.md"
    path.write_text(text)
    print("\n" + text + f"\n(written to {path})")
    return path
