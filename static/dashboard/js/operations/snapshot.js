// Loading snapshots over REST: the items the filters select, and the patrols. Each returns the
// outbox sequence it reflects, from which the live feed continues.
import { announce, api, apiAll, minSeq, t } from "../core.js";
import { incidentParams, readFilters } from "./filters.js";
import { addListPage, applyConcerns, applyIncidents } from "./items.js";
import { replayBuffer } from "./events.js";
import { layers, loadHeat, loadPatrols } from "./layers.js";
import { forgetPendingTotal, renderList } from "./list.js";
import { proposals, restyle } from "./selection.js";
import { OPEN_CONCERN_STATUSES, state } from "./state.js";
import { refreshViewport, viewportBound } from "./viewport.js";

function setLoading(delta) {
  state.loading += delta;
  document.getElementById("ops").classList.toggle("is-loading", state.loading > 0);
}

/** The list's first page (the newest of the window) and the server's count of the whole window:
 * the map draws counts and viewport features of its own (viewport.js), so nothing here grows
 * with the window. */
async function fetchIncidents() {
  const { data, sequence } = await api("incidents/geojson/", {
    params: { ...incidentParams(state.filters), page_size: state.listPage, count: true },
  });
  return { items: data.features, total: data.count, next: data.next, sequence };
}

/** The next page of the list ("Show more"). */
export async function loadMore() {
  if (!state.listNext) return;
  const url = new URL(state.listNext, window.location.origin);
  const { data } = await api(url.pathname + url.search);
  addListPage(data.features);
  state.listNext = data.next;
  renderList();
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
    forgetPendingTotal(); // a count already on its way is older than this snapshot's
    state.total = incidents.total;
    state.listNext = incidents.next;
    state.removedAt.clear();
    applyIncidents(incidents.items);
    applyConcerns(concerns.items);
    renderList();
    const sequence = minSeq([incidents.sequence, concerns.sequence]);
    replayBuffer(sequence);
    if (viewportBound()) refreshViewport(); // at start, bindViewport draws it
    if (layers.heatOn) loadHeat().catch(() => {});
    announce(`${t("count_incidents", { n: state.total })} · ${t("count_concerns", { n: state.concerns.size })}`);
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
