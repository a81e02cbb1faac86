// Loading snapshots over REST: the items the filters select, and the patrols. Each returns the
// outbox sequence it reflects, from which the live feed continues.
import { announce, apiAll, minSeq, t } from "../core.js";
import { incidentParams, readFilters } from "./filters.js";
import { applyConcerns, applyIncidents } from "./items.js";
import { replayBuffer } from "./events.js";
import { layers, loadHeat, loadPatrols } from "./layers.js";
import { renderList } from "./list.js";
import { proposals, restyle } from "./selection.js";
import { OPEN_CONCERN_STATUSES, state } from "./state.js";
import { refreshViewport } from "./viewport.js";

function setLoading(delta) {
  state.loading += delta;
  document.getElementById("ops").classList.toggle("is-loading", state.loading > 0);
}

function fetchIncidents() {
  return apiAll("incidents/geojson/", incidentParams(state.filters));
}

function fetchConcerns() {
  const f = state.filters;
  return apiAll("concerns/geojson/", {
    status: OPEN_CONCERN_STATUSES, category: f.category, priority: f.priority, area: f.area, q: f.q, page_size: 5000,
  });
}

/** Snapshot of the items the filters select; live events that arrive meanwhile are replayed.
 * Only the newest request is applied, so quick filter changes cannot land out of order. */
let loadTicket = 0;
export async function loadItems() {
  state.filters = readFilters();
  state.buffer = state.buffer ?? [];
  const ticket = ++loadTicket;
  setLoading(1);
  try {
    const [incidents, concerns] = await Promise.all([fetchIncidents(), fetchConcerns()]);
    if (ticket !== loadTicket) return minSeq([incidents.sequence, concerns.sequence]);
    applyIncidents(incidents.items);
    applyConcerns(concerns.items);
    renderList();
    const sequence = minSeq([incidents.sequence, concerns.sequence]);
    replayBuffer(sequence);
    refreshViewport();
    if (layers.heatOn) loadHeat().catch(() => {});
    announce(`${t("count_incidents", { n: state.incidents.size })} · ${t("count_concerns", { n: state.concerns.size })}`);
    if (state.selected) restyle(state.selected.kind, state.selected.id);
    return sequence;
  } catch (err) {
    console.error(err);
    announce(t("load_failed"));
    if (ticket === loadTicket) replayBuffer(null);
    throw err;
  } finally {
    setLoading(-1);
  }
}

export async function loadAll() {
  if (proposals.loaded) proposals.load().catch(() => {}); // issue 16: after a live-feed reload
  const [items, patrols] = await Promise.all([loadItems(), loadPatrols()]);
  return minSeq([items, patrols]);
}
