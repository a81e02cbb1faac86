// The side list: a row per incident and per concern, newest first, in two tabs with counts.
import { api, debounce, fmtWhen, h, label, t } from "../core.js";
import { incidentParams } from "./filters.js";
import { concernSvg, incidentSvg } from "../symbols.js";
import { PRIORITY_RANK, isSelected, state } from "./state.js";

const listIncidents = document.getElementById("list-incidents");
const listConcerns = document.getElementById("list-concerns");

export function incidentRow(p, onClick) {
  const meta = [p.reference, p.area_name || (p.area ? "" : t("no_area")), fmtWhen(p.reported_at)].filter(Boolean).join(" · ");
  return h("li", { dataset: { id: p.id, reported: p.reported_at ?? "" } },
    h("button", {
      type: "button", class: "item",
      dataset: { kind: "incident", id: p.id, status: p.status, priority: p.priority, category: p.category },
      "aria-current": isSelected("incident", p.id) ? "true" : null,
      onclick: onClick,
    },
    h("span", { class: "item-sym" }, incidentSvg(p.priority, p.status, 18)),
    h("span", { class: "item-main" },
      h("span", { class: "item-title" }, p.title || label("category", p.category)),
      h("span", { class: "item-meta" }, meta),
      p.address ? h("span", { class: "item-address" }, p.address) : null),
    h("span", { class: `badge badge-status st-${p.status}` }, label("incident_status", p.status))));
}

export function concernRow(p, onClick) {
  const meta = [p.reference, p.area_name, label("priority", p.priority)].filter(Boolean).join(" · ");
  return h("li", { dataset: { id: p.id } },
    h("button", {
      type: "button", class: "item", dataset: { kind: "concern", id: p.id, status: p.status },
      "aria-current": isSelected("concern", p.id) ? "true" : null,
      onclick: onClick,
    },
    h("span", { class: "item-sym" }, concernSvg(p.status, 18)),
    h("span", { class: "item-main" },
      h("span", { class: "item-title" }, p.title),
      h("span", { class: "item-meta" }, meta)),
    h("span", { class: `badge badge-status cst-${p.status}` }, label("concern_status", p.status))));
}

function listedIncidents() {
  return [...state.incidents.values()].filter((e) => e.inList).sort((a, b) =>
    new Date(b.props.reported_at) - new Date(a.props.reported_at) || b.props.id - a.props.id);
}

/** Whether an incident the view did not hold belongs in the list: the list is the newest part
 * of the window without gaps, so only if it is newer than the oldest row (or the list is whole). */
export function belongsInList(p) {
  if (!state.listNext) return true;
  let oldest = null;
  for (const e of state.incidents.values()) {
    if (e.inList && (oldest === null || e.props.reported_at < oldest)) oldest = e.props.reported_at;
  }
  return oldest === null || new Date(p.reported_at) >= new Date(oldest);
}

export function renderList() {
  const rows = listedIncidents();
  listIncidents.replaceChildren(...rows.map((e) => e.row));
  if (!rows.length) listIncidents.append(h("li", { class: "empty" }, t("no_results")));
  const concerns = [...state.concerns.values()].sort((a, b) =>
    (PRIORITY_RANK[b.props.priority] ?? 0) - (PRIORITY_RANK[a.props.priority] ?? 0) || a.props.id - b.props.id);
  listConcerns.replaceChildren(...concerns.map((e) => e.row));
  if (!concerns.length) listConcerns.append(h("li", { class: "empty" }, t("no_results")));
  updateCounts();
}

/** A new incident's row, placed by the time it was reported. */
export function insertIncidentRow(entry) {
  listIncidents.querySelector(".empty")?.remove();
  const when = new Date(entry.props.reported_at).getTime();
  for (const li of listIncidents.children) {
    if (new Date(li.dataset.reported).getTime() <= when) { li.before(entry.row); return; }
  }
  listIncidents.append(entry.row);
}

/** A concern that changed goes to the top of its list. */
export function prependConcernRow(entry) {
  listConcerns.querySelector(".empty")?.remove();
  listConcerns.prepend(entry.row);
}

/** The counters: incidents as the server counted them for the whole window (the list shows
 * its newest part, and says so), concerns as held. */
export function updateCounts() {
  const listed = listIncidents.querySelectorAll(":scope > li:not(.empty)").length;
  const total = state.total ?? listed;
  const counter = document.getElementById("count-incidents");
  counter.textContent = String(total);
  if (state.total === null) delete counter.dataset.total;
  else counter.dataset.total = String(state.total);
  const note = document.getElementById("list-note");
  note.hidden = !state.listNext;
  document.getElementById("list-note-text").textContent = t("shown_of", { n: listed, total });
  document.getElementById("count-concerns").textContent = String(state.concerns.size);
}

/** Draws the eye to a row (and its marker) that a live event changed. */
export function flash(row, marker, isNew = false) {
  row.classList.remove("flash");
  void row.offsetWidth; // restart the animation
  row.classList.add("flash");
  if (isNew) row.classList.add("is-new");
  const el = marker?.getElement?.()?.querySelector(".mk");
  if (el) { el.classList.remove("flash"); void el.offsetWidth; el.classList.add("flash"); }
}

export function showTab(kind) {
  const incidents = kind === "incident";
  document.getElementById("tab-incidents").setAttribute("aria-selected", String(incidents));
  document.getElementById("tab-concerns").setAttribute("aria-selected", String(!incidents));
  document.getElementById("tab-incidents").tabIndex = incidents ? 0 : -1;
  document.getElementById("tab-concerns").tabIndex = incidents ? -1 : 0;
  document.getElementById("panel-incidents").hidden = !incidents;
  document.getElementById("panel-concerns").hidden = incidents;
}

/** The counter after live changes: counted again by the server for the whole window (an event
 * alone cannot say whether an incident the view does not hold was counted before). */
let countTicket = 0;
export const refreshTotal = debounce(async () => {
  const mine = ++countTicket;
  try {
    const { data } = await api("incidents/geojson/", {
      params: { ...incidentParams(state.filters), page_size: 1, count: true },
    });
    if (mine !== countTicket || state.buffer) return;
    state.total = data.count;
    updateCounts();
  } catch (err) { console.error(err); }
}, 500);

/** A snapshot brings its own count: one asked for before it is older. */
export function forgetPendingTotal() {
  countTicket += 1;
}
