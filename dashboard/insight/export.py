"""The closure-quality tables as CSV rows: the same figures and columns as the page's tables."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from incidents.selectors_insight import MILESTONES

_KEY_HEADER = {"week": "week", "area": "parish", "category": "category", "priority": "priority"}


def closure_csv_rows(data: dict[str, Any], chart: str, breakdown: str) -> list[list[Any]]:
    """Header then one row per bucket; hours with two decimals, empty where nothing reached."""
    if chart == "followups":
        rows = data["followups"]
        return [["week", "on_time", "late", "overdue"]] + [
            [r["week"], r["on_time"], r["late"], r["overdue"]] for r in rows
        ]
    if chart == "reopened":
        rows = data["reopened"]
        return [["week", "incidents_reopened", "incidents_resolved", "concerns_reopened"]] + [
            [r["week"], r["incidents_reopened"], r["incidents_resolved"], r["concerns_reopened"]]
            for r in rows
        ]
    if chart == "feedback":
        return [[_KEY_HEADER[breakdown], "answers", "mean_score", "solved", "solved_percent"]] + [
            [
                r["key"],
                r["answers"],
                _blank(r["mean_score"]),
                r["solved"],
                "" if r["solved_percent"] is None else f"{r['solved_percent']:.1f}",
            ]
            for r in data["feedback"][breakdown]
        ]
    header = [_KEY_HEADER[breakdown], "incidents"]
    for name, _ in MILESTONES:
        header += [f"{name}_count", f"{name}_median_hours", f"{name}_p90_hours"]
    out: list[list[Any]] = [header]
    for r in data["response_times"][breakdown]:
        line = [r["key"], r["incidents"]]
        for name, _ in MILESTONES:
            m = r[name]
            line += [m["count"], _blank(m["median"]), _blank(m["p90"])]
        out.append(line)
    return out


def _blank(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def chart_strings() -> dict[str, str]:
    """Words the charts script writes (series, column heads), in the active language."""
    return {
        "week": gettext("Week"),
        "area": gettext("Parish"),
        "category": gettext("Category"),
        "priority": gettext("Priority"),
        "incidents": gettext("Incidents"),
        "acknowledged": gettext("Acknowledged"),
        "on_scene": gettext("On scene"),
        "resolved": gettext("Resolved"),
        "median": gettext("median"),
        "p90": gettext("p90"),
        "hours": gettext("hours"),
        "on_time": gettext("Done on time"),
        "late": gettext("Done late"),
        "overdue": gettext("Open, overdue"),
        "incidents_reopened": gettext("Incidents reopened"),
        "incidents_resolved": gettext("Incidents resolved"),
        "concerns_reopened": gettext("Concerns reopened"),
        "answers": gettext("Answers"),
        "mean_score": gettext("Mean score (1 to 5)"),
        "solved": gettext("Solved (4 or 5)"),
        "solved_percent": gettext("Share solved"),
        "loading": gettext("Loading…"),
        "load_failed": gettext("Could not load the figures. Try again."),
    }
