// The operations view: map + list + filters + detail panel, kept current by the live feed.
/* global L */
import { announce, api, apiAll, config, debounce, fmtWhen, h, label, minSeq, t } from "./core.js";
import { LiveFeed } from "./live.js";
import { DetailPanel } from "./panel.js";
import { ProposalsLayer } from "./proposals.js"; // issue 16: repeat-place proposals layer
import {
  CONCERN_COLOUR, PATROL_COLOURS, PRIORITY_COLOURS, STATUS_SHAPES, concernSvg, incidentColour,
  incidentSvg, stationSvg,
} from "./symbols.js";

const LISBON = [38.7223, -9.1393];
const LIST_LIMIT = 400;
const OPEN_STATUSES = ["new", "acknowledged", "dispatched", "on_scene"];
const OPEN_CONCERN_STATUSES = ["open", "analysing", "responding", "assessing"];
const PRIORITY_RANK = { high: 3, medium: 2, low: 1 };

const state = {
  incidents: new Map(), // id -> {props, latlng, marker, row}
  concerns: new Map(),
  patrols: new Map(),
  areaNames: new Map(),
  selected: null, // {kind, id}
  filters: null,
  loading: 0,
  buffer: null, // live events held while a snapshot loads
};

// --- Map --------------------------------------------------------------------------------------------
const map = L.map("map", {
  zoomControl: false, minZoom: 10, maxZoom: 19, keyboard: true, zoomSnap: 0.5, zoomDelta: 0.5,
});
map.setView(LISBON, 12);
L.control.zoom({ zoomInTitle: t("zoom_in"), zoomOutTitle: t("zoom_out") }).addTo(map);
// Patrol labels say their status only when there is room for it.
const mapBox = document.getElementById("map");
map.on("zoomend", () => mapBox.classList.toggle("zoom-far", map.getZoom() < 14));
mapBox.classList.add("zoom-far");
map.attributionControl.setPrefix(false);
map.createPane("areas").style.zIndex = 250;
map.createPane("heat").style.zIndex = 350;
if (config.basemap) {
  L.tileLayer(config.basemap, { maxZoom: 19, crossOrigin: true }).addTo(map);
  document.getElementById("map").classList.add("has-basemap");
}

// Nothing reaches the map as an HTML string: icons are elements built by `build()` each time
// Leaflet draws them, and tooltips are elements whose strings are text nodes (h()).
const NodeIcon = L.DivIcon.extend({
  options: { html: false },
  createIcon(oldIcon) {
    const div = L.DivIcon.prototype.createIcon.call(this, oldIcon);
    div.replaceChildren(this.options.build());
    return div;
  },
});

function nodeIcon(build, options) {
  return new NodeIcon({ ...options, build });
}

/** Tooltip content: the parts, as text, joined by " · ". */
function tip(...parts) {
  return h("span", {}, parts.filter(Boolean).join(" · "));
}

function clusterIcon(cluster) {
  const markers = cluster.getAllChildMarkers();
  let top = 0;
  for (const m of markers) {
    const p = m.options.koban;
    if (p && OPEN_STATUSES.includes(p.status)) top = Math.max(top, PRIORITY_RANK[p.priority] ?? 0);
  }
  const priority = Object.keys(PRIORITY_RANK).find((k) => PRIORITY_RANK[k] === top);
  const n = cluster.getChildCount();
  const size = n < 10 ? 30 : n < 50 ? 36 : 42;
  const ring = priority ? PRIORITY_COLOURS[priority] : "#7b8794";
  return nodeIcon(() => h("span", { class: "mk-cluster", style: { "--ring": ring } }, String(n)), {
    className: "mk-cluster-wrap", iconSize: [size, size],
  });
}

const layers = {
  areas: L.featureGroup([], { pane: "areas" }).addTo(map),
  incidents: L.markerClusterGroup({
    showCoverageOnHover: false, maxClusterRadius: 42, disableClusteringAtZoom: 16,
    spiderfyOnMaxZoom: true, chunkedLoading: true, iconCreateFunction: clusterIcon,
  }),
  heat: L.heatLayer([], { radius: 22, blur: 18, maxZoom: 15, minOpacity: 0.3, pane: "heat" }),
  concerns: L.layerGroup(),
  patrols: L.layerGroup(),
  stations: L.layerGroup(),
};

// --- Filters ---------------------------------------------------------------------------------------
const form = document.getElementById("filters");
const search = document.getElementById("q");

function renderFilterChecks() {
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

function readFilters() {
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

function incidentParams(f) {
  return {
    days: f.days, area: f.area, status: f.status, category: f.category, priority: f.priority,
    q: f.q, page_size: 5000,
  };
}

/** The same rule the server applies, for items that arrive live. */
function incidentMatches(p, f = state.filters) {
  if (f.status.length && !f.status.includes(p.status)) return false;
  if (f.category.length && !f.category.includes(p.category)) return false;
  if (f.priority.length && !f.priority.includes(p.priority)) return false;
  if (f.area && String(p.area) !== String(f.area)) return false;
  if (f.days && new Date(p.reported_at).getTime() < Date.now() - Number(f.days) * 86400000) return false;
  return textMatches(p, f.q);
}

function concernMatches(p, f = state.filters) {
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

// --- Incidents ----------------------------------------------------------------------------------------
function incidentIcon(p, selected) {
  return nodeIcon(() => h("span", {
    class: `mk mk-incident${selected ? " is-selected" : ""}`,
    dataset: { kind: "incident", id: p.id, status: p.status, priority: p.priority },
  }, incidentSvg(p.priority, p.status, selected ? 26 : 20)), {
    className: "mk-wrap", iconSize: selected ? [26, 26] : [20, 20],
  });
}

function propsFromFeature(feature) {
  const p = { ...feature.properties, id: feature.id ?? feature.properties.id };
  if (p.category && typeof p.category === "object") p.category = p.category.code;
  const c = feature.geometry?.coordinates;
  p.location = c ? [c[0], c[1]] : null;
  return p;
}

function propsFromPayload(payload) {
  const p = { ...payload };
  p.area_name = state.areaNames.get(p.area) ?? p.area_name ?? "";
  return p;
}

function isSelected(kind, id) {
  return state.selected?.kind === kind && String(state.selected.id) === String(id);
}

function upsertIncident(p, { live = false } = {}) {
  const existing = state.incidents.get(p.id);
  if (existing && p.updated_at && existing.props.updated_at
      && new Date(p.updated_at) < new Date(existing.props.updated_at)) return; // older news
  if (!incidentMatches(p)) {
    if (existing) removeIncident(p.id);
    return;
  }
  const latlng = p.location ? L.latLng(p.location[1], p.location[0]) : null;
  if (existing) {
    existing.props = { ...existing.props, ...p };
    if (existing.marker) {
      if (latlng) {
        existing.marker.options.koban = existing.props;
        existing.marker.setLatLng(latlng);
        existing.marker.setIcon(incidentIcon(existing.props, isSelected("incident", p.id)));
        layers.incidents.refreshClusters(existing.marker);
      } else {
        layers.incidents.removeLayer(existing.marker);
        existing.marker = null;
      }
    } else if (latlng) {
      existing.marker = makeIncidentMarker(existing.props, latlng);
      layers.incidents.addLayer(existing.marker);
    }
    const row = incidentRow(existing.props);
    existing.row.replaceWith(row);
    existing.row = row;
    if (live) flash(row, existing.marker);
  } else {
    const entry = { props: p, marker: latlng ? makeIncidentMarker(p, latlng) : null, row: incidentRow(p) };
    state.incidents.set(p.id, entry);
    if (entry.marker) layers.incidents.addLayer(entry.marker);
    if (live) {
      insertRowSorted(entry);
      flash(entry.row, entry.marker, true);
      if (layers.heatOn && latlng) layers.heat.addLatLng([latlng.lat, latlng.lng, 1]);
    }
  }
  if (live) updateCounts();
}

function makeIncidentMarker(p, latlng) {
  const marker = L.marker(latlng, {
    icon: incidentIcon(p, isSelected("incident", p.id)), keyboard: false, riseOnHover: true,
    title: `${p.reference ?? ""} ${p.title ?? ""}`.trim(), koban: p,
  });
  marker.on("click", () => select("incident", p.id, { from: "map" }));
  return marker;
}

function removeIncident(id) {
  const entry = state.incidents.get(id);
  if (!entry) return;
  if (entry.marker) layers.incidents.removeLayer(entry.marker);
  entry.row.remove();
  state.incidents.delete(id);
  updateCounts();
}

function flash(row, marker, isNew = false) {
  row.classList.remove("flash");
  void row.offsetWidth; // restart the animation
  row.classList.add("flash");
  if (isNew) row.classList.add("is-new");
  const el = marker?.getElement?.()?.querySelector(".mk");
  if (el) { el.classList.remove("flash"); void el.offsetWidth; el.classList.add("flash"); }
}

// --- The list ---------------------------------------------------------------------------------------
const listIncidents = document.getElementById("list-incidents");
const listConcerns = document.getElementById("list-concerns");

function incidentRow(p) {
  const meta = [p.reference, p.area_name || (p.area ? "" : t("no_area")), fmtWhen(p.reported_at)].filter(Boolean).join(" · ");
  return h("li", { dataset: { id: p.id, reported: p.reported_at ?? "" } },
    h("button", {
      type: "button", class: "item",
      dataset: { kind: "incident", id: p.id, status: p.status, priority: p.priority, category: p.category },
      "aria-current": isSelected("incident", p.id) ? "true" : null,
      onclick: () => select("incident", p.id, { from: "list" }),
    },
    h("span", { class: "item-sym" }, incidentSvg(p.priority, p.status, 18)),
    h("span", { class: "item-main" },
      h("span", { class: "item-title" }, p.title || label("category", p.category)),
      h("span", { class: "item-meta" }, meta),
      p.address ? h("span", { class: "item-address" }, p.address) : null),
    h("span", { class: `badge badge-status st-${p.status}` }, label("incident_status", p.status))));
}

function concernRow(p) {
  const meta = [p.reference, p.area_name, label("priority", p.priority)].filter(Boolean).join(" · ");
  return h("li", { dataset: { id: p.id } },
    h("button", {
      type: "button", class: "item", dataset: { kind: "concern", id: p.id, status: p.status },
      "aria-current": isSelected("concern", p.id) ? "true" : null,
      onclick: () => select("concern", p.id, { from: "list" }),
    },
    h("span", { class: "item-sym" }, concernSvg(p.status, 18)),
    h("span", { class: "item-main" },
      h("span", { class: "item-title" }, p.title),
      h("span", { class: "item-meta" }, meta)),
    h("span", { class: `badge badge-status cst-${p.status}` }, label("concern_status", p.status))));
}

function sortedIncidents() {
  return [...state.incidents.values()].sort((a, b) =>
    new Date(b.props.reported_at) - new Date(a.props.reported_at) || b.props.id - a.props.id);
}

function renderList() {
  const rows = sortedIncidents();
  listIncidents.replaceChildren(...rows.slice(0, LIST_LIMIT).map((e) => e.row));
  const note = document.getElementById("list-note");
  note.hidden = rows.length <= LIST_LIMIT;
  note.textContent = t("shown_of", { n: LIST_LIMIT });
  if (!rows.length) listIncidents.append(h("li", { class: "empty" }, t("no_results")));
  const concerns = [...state.concerns.values()].sort((a, b) =>
    (PRIORITY_RANK[b.props.priority] ?? 0) - (PRIORITY_RANK[a.props.priority] ?? 0) || a.props.id - b.props.id);
  listConcerns.replaceChildren(...concerns.map((e) => e.row));
  if (!concerns.length) listConcerns.append(h("li", { class: "empty" }, t("no_results")));
  updateCounts();
}

function insertRowSorted(entry) {
  listIncidents.querySelector(".empty")?.remove();
  const when = new Date(entry.props.reported_at).getTime();
  for (const li of listIncidents.children) {
    if (new Date(li.dataset.reported).getTime() <= when) { li.before(entry.row); return; }
  }
  listIncidents.append(entry.row);
}

function updateCounts() {
  document.getElementById("count-incidents").textContent = String(state.incidents.size);
  document.getElementById("count-concerns").textContent = String(state.concerns.size);
}

// --- Concerns, patrols, stations ------------------------------------------------------------------------
function concernIcon(p, selected) {
  return nodeIcon(() => h("span", {
    class: `mk mk-concern${selected ? " is-selected" : ""}`,
    dataset: { kind: "concern", id: p.id, status: p.status },
  }, concernSvg(p.status, selected ? 26 : 18)), {
    className: "mk-wrap", iconSize: selected ? [26, 26] : [18, 18],
  });
}

function upsertConcern(p, { live = false } = {}) {
  const existing = state.concerns.get(p.id);
  if (existing) {
    layers.concerns.removeLayer(existing.marker ?? L.layerGroup());
    existing.row.remove();
    state.concerns.delete(p.id);
  }
  if (!concernMatches(p)) { updateCounts(); return; }
  const merged = existing ? { ...existing.props, ...p } : p;
  const entry = { props: merged, marker: null, row: concernRow(merged) };
  if (merged.location) {
    entry.marker = L.marker([merged.location[1], merged.location[0]], {
      icon: concernIcon(merged, isSelected("concern", merged.id)), keyboard: false, title: merged.title, zIndexOffset: 500,
    }).on("click", () => select("concern", merged.id, { from: "map" }));
    layers.concerns.addLayer(entry.marker);
  }
  state.concerns.set(merged.id, entry);
  if (live) {
    listConcerns.querySelector(".empty")?.remove();
    listConcerns.prepend(entry.row);
    flash(entry.row, entry.marker);
    updateCounts();
  }
}

function isStale(p) {
  if (!p.position_at) return true;
  return Date.now() - new Date(p.position_at).getTime() > config.staleMinutes * 60000;
}

function patrolIcon(p) {
  const stale = isStale(p);
  const text = stale ? t("stale") : label("patrol_status", p.status);
  return nodeIcon(() => h("span", {
    class: `mk-patrol st-${p.status}${stale ? " is-stale" : ""}`,
    dataset: { kind: "patrol", id: p.id, status: p.status, stale: String(stale) },
    style: { "--c": PATROL_COLOURS[p.status] ?? "#5f6b7a" },
  },
  h("span", { class: "pdot", "aria-hidden": "true" }),
  h("b", {}, p.call_sign ?? ""),
  h("span", { class: "pstatus" }, text)), { className: "mk-wrap", iconSize: [0, 0] });
}

function upsertPatrol(p) {
  const existing = state.patrols.get(p.id);
  const merged = existing ? { ...existing.props, ...p } : p;
  if (existing && p.position_at && existing.props.position_at
      && new Date(p.position_at) < new Date(existing.props.position_at)) return;
  if (!merged.location) return;
  const latlng = [merged.location[1], merged.location[0]];
  const title = tip(merged.call_sign, label("patrol_kind", merged.kind), label("patrol_status", merged.status),
    merged.position_at ? `${t("position_at")} ${fmtWhen(merged.position_at)}` : "");
  if (existing?.marker) {
    existing.props = merged;
    existing.marker.setLatLng(latlng);
    existing.marker.setIcon(patrolIcon(merged));
    existing.marker.setTooltipContent(title);
  } else {
    const marker = L.marker(latlng, { icon: patrolIcon(merged), keyboard: false, zIndexOffset: 1000 })
      .bindTooltip(title, { direction: "top", offset: [0, -12] });
    layers.patrols.addLayer(marker);
    state.patrols.set(merged.id, { props: merged, marker });
  }
}

// --- Selection: list and map stay in step ---------------------------------------------------------------
const panel = new DetailPanel(document.getElementById("detail"), {
  onClose: (was) => {
    const previous = state.selected;
    state.selected = null;
    if (previous) restyle(previous.kind, previous.id);
    const row = document.querySelector(`.item[data-kind="${was.kind}"][data-id="${was.id}"]`);
    row?.focus();
  },
  onOpenItem: (kind, id) => select(kind, id, { from: "panel" }),
});

// Issue 16: repeat-place proposals (supervisors only; the module adds its own layer toggle).
const proposals = new ProposalsLayer(map, {
  onOpenItem: (kind, id) => select(kind, id, { from: "panel" }),
  closeDetail: () => panel.close(),
  concerns: () => [...state.concerns.values()].map((e) => e.props),
});

function restyle(kind, id) {
  const store = kind === "incident" ? state.incidents : state.concerns;
  const entry = store.get(Number(id)) ?? store.get(id);
  if (!entry) return;
  const selected = isSelected(kind, id);
  if (entry.marker) {
    entry.marker.setIcon(kind === "incident" ? incidentIcon(entry.props, selected) : concernIcon(entry.props, selected));
    entry.marker.setZIndexOffset(selected ? 2000 : kind === "concern" ? 500 : 0);
  }
  const item = entry.row.querySelector(".item");
  if (selected) item?.setAttribute("aria-current", "true");
  else item?.removeAttribute("aria-current");
}

function showTab(kind) {
  const incidents = kind === "incident";
  document.getElementById("tab-incidents").setAttribute("aria-selected", String(incidents));
  document.getElementById("tab-concerns").setAttribute("aria-selected", String(!incidents));
  document.getElementById("tab-incidents").tabIndex = incidents ? 0 : -1;
  document.getElementById("tab-concerns").tabIndex = incidents ? -1 : 0;
  listIncidents.hidden = !incidents;
  listConcerns.hidden = incidents;
}

function select(kind, id, { from = "list" } = {}) {
  id = Number(id);
  const previous = state.selected;
  state.selected = { kind, id };
  if (previous) restyle(previous.kind, previous.id);
  restyle(kind, id);
  const store = kind === "incident" ? state.incidents : state.concerns;
  const entry = store.get(id);
  if (entry) {
    showTab(kind);
    if (from !== "list") entry.row.scrollIntoView({ block: "nearest" });
    if (entry.marker && from !== "map") {
      if (kind === "incident") {
        layers.incidents.zoomToShowLayer(entry.marker, () => map.panTo(entry.marker.getLatLng()));
      } else {
        map.setView(entry.marker.getLatLng(), Math.max(map.getZoom(), 15));
      }
    }
  }
  panel.open(kind, id, { focus: from !== "map" });
}

// --- Loading snapshots ---------------------------------------------------------------------------------
function setLoading(delta) {
  state.loading += delta;
  document.getElementById("ops").classList.toggle("is-loading", state.loading > 0);
}

async function loadAreas() {
  const { items } = await apiAll("areas/geojson/");
  layers.areas.clearLayers();
  const parishes = [];
  for (const f of items) {
    state.areaNames.set(f.id ?? f.properties.id, f.properties.name);
    if (f.properties.kind !== "municipality") parishes.push(f);
  }
  const outline = items.filter((f) => f.properties.kind === "municipality");
  const basemap = Boolean(config.basemap);
  L.geoJSON(parishes, {
    pane: "areas",
    style: () => ({ color: "#7d8fa3", weight: 1.2, fillColor: "#ffffff", fillOpacity: basemap ? 0.08 : 0.92 }),
    onEachFeature: (f, layer) => {
      layer.bindTooltip(tip(f.properties.name), { sticky: true, className: "area-tip" });
      layer.on("mouseover", () => layer.setStyle({ weight: 2.4, color: "#365475" }));
      layer.on("mouseout", () => layer.setStyle({ weight: 1.2, color: "#7d8fa3" }));
    },
  }).addTo(layers.areas);
  L.geoJSON(outline, { pane: "areas", interactive: false, style: () => ({ color: "#22384f", weight: 2.5, fill: false }) })
    .addTo(layers.areas);
  const bounds = layers.areas.getBounds();
  if (bounds.isValid()) {
    // Not animated: a zoom still running when the page says it is ready would swallow the next
    // setView (Leaflet ignores one while it animates).
    map.fitBounds(bounds, { padding: [8, 8], animate: false });
    map.setMaxBounds(bounds.pad(0.6));
  }
}

function fetchIncidents() {
  return apiAll("incidents/geojson/", incidentParams(state.filters));
}

function applyIncidents(items) {
  layers.incidents.clearLayers();
  state.incidents.clear();
  const markers = [];
  for (const f of items) {
    const p = propsFromFeature(f);
    const latlng = p.location ? L.latLng(p.location[1], p.location[0]) : null;
    const entry = { props: p, marker: latlng ? makeIncidentMarker(p, latlng) : null, row: incidentRow(p) };
    state.incidents.set(p.id, entry);
    if (entry.marker) markers.push(entry.marker);
  }
  layers.incidents.addLayers(markers);
}

function fetchConcerns() {
  const f = state.filters;
  return apiAll("concerns/geojson/", {
    status: OPEN_CONCERN_STATUSES, category: f.category, priority: f.priority, area: f.area, q: f.q, page_size: 5000,
  });
}

function applyConcerns(items) {
  layers.concerns.clearLayers();
  state.concerns.clear();
  for (const feature of items) upsertConcern(propsFromFeature(feature));
}

async function loadPatrols() {
  const { items, sequence } = await apiAll("patrols/geojson/", { page_size: 5000 });
  layers.patrols.clearLayers();
  state.patrols.clear();
  for (const f of items) upsertPatrol(propsFromFeature(f));
  return sequence;
}

let stationsLoaded = false;
async function loadStations() {
  if (stationsLoaded) return;
  const { items } = await apiAll("stations/geojson/", { page_size: 5000 });
  for (const f of items) {
    const c = f.geometry?.coordinates;
    if (!c) continue;
    const name = f.properties.name ?? "";
    L.marker([c[1], c[0]], {
      icon: nodeIcon(() => h("span", { class: "mk mk-station" }, stationSvg(18)), { className: "mk-wrap", iconSize: [18, 18] }),
      keyboard: false, title: name, zIndexOffset: -100,
    }).bindTooltip(tip(name, f.properties.kind, f.properties.address)).addTo(layers.stations);
  }
  stationsLoaded = true;
}

async function loadHeat() {
  const f = state.filters;
  const days = document.getElementById("heat-days").value;
  const { items } = await apiAll("incidents/geojson/", {
    days, category: f.category, priority: f.priority, area: f.area, page_size: 5000,
  });
  const weight = { high: 1, medium: 0.7, low: 0.45 };
  layers.heat.setLatLngs(items.filter((x) => x.geometry).map((x) => [
    x.geometry.coordinates[1], x.geometry.coordinates[0], weight[x.properties.priority] ?? 0.6,
  ]));
}

/** Snapshot of the items the filters select; live events that arrive meanwhile are replayed.
 * Only the newest request is applied, so quick filter changes cannot land out of order. */
let loadTicket = 0;
async function loadItems() {
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

function replayBuffer(sequence) {
  const held = state.buffer ?? [];
  state.buffer = null;
  for (const msg of held) if (sequence === null || msg.seq > sequence) applyEvent(msg);
}

async function loadAll() {
  if (proposals.loaded) proposals.load().catch(() => {}); // issue 16: after a live-feed reload
  const [items, patrols] = await Promise.all([loadItems(), loadPatrols()]);
  return minSeq([items, patrols]);
}

// --- Live events -----------------------------------------------------------------------------------------
/** An item that left the officer's areas stays only if the server still shows it (assigned). */
async function dropIfNoLongerVisible(id) {
  try {
    await api(`incidents/${id}/`);
  } catch (err) {
    if (err.status === 404) {
      removeIncident(id);
      if (panel.isShowing("incident", id)) panel.close();
    }
  }
}

function applyEvent(msg) {
  if (state.buffer && (msg.kind.startsWith("incident.") || msg.kind.startsWith("concern."))) {
    state.buffer.push(msg);
    return;
  }
  const p = msg.payload ?? {};
  switch (msg.kind) {
    case "incident.upserted":
      upsertIncident(propsFromPayload(p), { live: true });
      if (panel.isShowing("incident", p.id)) panel.refresh();
      if (!config.me.sees_everything && !(config.me.areas ?? []).includes(p.area)) {
        dropIfNoLongerVisible(p.id);
      }
      break;
    case "concern.upserted":
      upsertConcern(propsFromPayload(p), { live: true });
      if (panel.isShowing("concern", p.id)) panel.refresh();
      break;
    case "patrol.upserted":
    case "patrol.moved":
      upsertPatrol(p);
      break;
    case "repeat_place.upserted": // issue 16
      proposals.apply(p);
      break;
    case "followup.upserted":
    case "timeline.added":
      if ((p.incident && panel.isShowing("incident", p.incident)) || (p.concern && panel.isShowing("concern", p.concern))) {
        refreshPanelSoon();
      }
      break;
    default:
      break;
  }
}
const refreshPanelSoon = debounce(() => panel.refresh(), 150);

const live = new LiveFeed({ path: config.ws, onEvent: applyEvent, reload: loadAll });

// --- Controls --------------------------------------------------------------------------------------------
function setLayer(name, on) {
  const layer = layers[name];
  if (!layer) return;
  if (name === "heat") layers.heatOn = on;
  if (on) {
    layer.addTo(map);
    if (name === "stations") loadStations().catch(() => announce(t("load_failed")));
    if (name === "heat") loadHeat().catch(() => announce(t("load_failed")));
  } else map.removeLayer(layer);
}

function renderLegend() {
  const box = document.getElementById("legend");
  const prio = h("ul", { class: "legend-list" }, Object.entries(config.labels.priority).map(([v, text]) =>
    h("li", {}, h("span", {}, incidentSvg(v, "new", 14)), ` ${text}`)));
  const statuses = h("ul", { class: "legend-list" }, ["new", "acknowledged", "dispatched", "on_scene", "resolved", "cancelled"].map((s) =>
    h("li", {}, h("span", {}, incidentSvg("neutral", s, 14)), ` ${label("incident_status", s)}${s === "resolved" ? ` / ${label("incident_status", "closed")}` : ""}${s === "cancelled" ? ` / ${label("incident_status", "duplicate")}` : ""}`)));
  const others = h("ul", { class: "legend-list" },
    h("li", {}, h("span", {}, concernSvg("open", 14)), ` ${t("concern")}`),
    h("li", {}, h("span", { class: "legend-patrol", style: { "--c": PATROL_COLOURS.available } }), ` ${t("patrols")}`),
    h("li", {}, h("span", { class: "legend-patrol is-stale" }), ` ${t("stale")}`),
    h("li", {}, h("span", {}, stationSvg(14)), ` ${t("stations")}`));
  box.replaceChildren(prio, statuses, others);
}

function bindControls() {
  const reload = debounce(() => loadItems().catch(() => {}), 250);
  form.addEventListener("change", reload);
  form.addEventListener("submit", (e) => e.preventDefault());
  search.addEventListener("input", debounce(() => loadItems().then(focusSingleMatch).catch(() => {}), 350));
  document.getElementById("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    loadItems().then(focusSingleMatch).catch(() => {});
  });
  document.querySelectorAll("[data-status-preset]").forEach((b) => b.addEventListener("click", () => {
    const open = b.dataset.statusPreset === "open";
    form.querySelectorAll("input[name=status]").forEach((i) => { i.checked = open && OPEN_STATUSES.includes(i.value); });
    reload();
  }));
  document.getElementById("filters-reset").addEventListener("click", () => {
    form.reset();
    search.value = "";
    reload();
  });
  document.querySelectorAll("#layers input[name=layer]").forEach((box) => {
    box.addEventListener("change", () => setLayer(box.value, box.checked));
  });
  document.getElementById("heat-days").addEventListener("change", () => { if (layers.heatOn) loadHeat(); });
  const tabs = [document.getElementById("tab-incidents"), document.getElementById("tab-concerns")];
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => showTab(i === 0 ? "incident" : "concern"));
    tab.addEventListener("keydown", (e) => {
      if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
        const other = tabs[1 - i];
        other.click();
        other.focus();
      }
    });
  });
  const toggle = document.getElementById("filters-toggle");
  toggle.addEventListener("click", () => {
    const open = !document.getElementById("ops").classList.contains("filters-open");
    document.getElementById("ops").classList.toggle("filters-open", open);
    toggle.setAttribute("aria-expanded", String(open));
    if (open) document.getElementById("filters-panel").querySelector("select, input")?.focus();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && document.getElementById("ops").classList.contains("filters-open")) {
      document.getElementById("ops").classList.remove("filters-open");
      toggle.setAttribute("aria-expanded", "false");
      toggle.focus();
    }
  });
  // Stale positions age on their own: re-evaluate every half minute.
  setInterval(() => state.patrols.forEach((e) => e.marker.setIcon(patrolIcon(e.props))), 30000);
}

function focusSingleMatch() {
  if (search.value.trim() && state.incidents.size === 1) {
    const [id] = state.incidents.keys();
    select("incident", id, { from: "list" });
  }
}

function openFromUrl() {
  const params = new URLSearchParams(window.location.search);
  for (const kind of ["incident", "concern"]) {
    const id = params.get(kind);
    if (id && /^\d+$/.test(id)) select(kind, Number(id), { from: "url" });
  }
}

async function start() {
  renderFilterChecks();
  renderLegend();
  bindControls();
  for (const name of ["incidents", "concerns", "patrols"]) setLayer(name, true);
  state.filters = readFilters();
  await loadAreas().catch((err) => { console.error(err); announce(t("load_failed")); });
  for (let attempt = 0; ; attempt += 1) {
    try {
      const sequence = await loadAll();
      live.start(sequence);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, Math.min(30000, 1000 * 2 ** attempt)));
    }
  }
  openFromUrl();
  document.documentElement.dataset.ready = "true";
}

// For people debugging and for the browser tests.
window.koban = { map, live, state, select, panel, layers, reload: loadItems, proposals };
start();
