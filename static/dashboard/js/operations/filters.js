// The filter form: its checkboxes, what it asks the server for, and the same rule applied to
// items that arrive live.
import { config, h } from "../core.js";
import { PRIORITY_COLOURS, incidentSvg } from "../symbols.js";
import { OPEN_CONCERN_STATUSES, state } from "./state.js";

export const form = document.getElementById("filters");
export const search = document.getElementById("q");

export function renderFilterChecks() {
  const statusBox = document.getElementById("f-status");
  for (const [value, text] of Object.entries(config.labels.incident_status)) {
    statusBox.append(h("label", { class: "check" },
      h("input", { type: "checkbox", name: "status", value }),
      h("span", { class: "check-sym" }, incidentSvg("neutral", value, 14)), ` ${text}`));
  }
  const prioBox = document.getElementById("f-priority");
  for (const [value, text] of Object.entries(config.labels.priority)) {
    prioBox.append(h("label", { class: "check" },
      h("input", { type: "checkbox", name: "priority", value }),
      h("span", { class: "swatch", style: { background: PRIORITY_COLOURS[value] } }), ` ${text}`));
  }
}

export function readFilters() {
  const data = new FormData(form);
  return {
    days: data.get("days") || "",
    area: data.get("area") || "",
    status: data.getAll("status"),
    category: data.getAll("category"),
    priority: data.getAll("priority"),
    q: search.value.trim(),
  };
}

export function incidentParams(f) {
  return {
    days: f.days, area: f.area, status: f.status, category: f.category, priority: f.priority,
    q: f.q,
  };
}

/** The same rule the server applies, for items that arrive live. */
export function incidentMatches(p, f = state.filters) {
  if (f.status.length && !f.status.includes(p.status)) return false;
  if (f.category.length && !f.category.includes(p.category)) return false;
  if (f.priority.length && !f.priority.includes(p.priority)) return false;
  if (f.area && String(p.area) !== String(f.area)) return false;
  if (f.days && new Date(p.reported_at).getTime() < Date.now() - Number(f.days) * 86400000) return false;
  return textMatches(p, f.q);
}

export function concernMatches(p, f = state.filters) {
  if (!OPEN_CONCERN_STATUSES.includes(p.status)) return false;
  if (f.category.length && !f.category.includes(p.category)) return false;
  if (f.priority.length && !f.priority.includes(p.priority)) return false;
  if (f.area && String(p.area) !== String(f.area)) return false;
  return textMatches(p, f.q);
}

function textMatches(p, q) {
  if (!q) return true;
  const hay = `${p.reference ?? ""} ${p.title ?? ""} ${p.address ?? ""}`.toLocaleLowerCase();
  return hay.includes(q.toLocaleLowerCase());
}
