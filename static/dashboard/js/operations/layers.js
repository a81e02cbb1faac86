// The map and its layers: parish outlines, incidents (clustered), concerns, patrols, stations
// and the heat view. Nothing reaches the map as an HTML string: icons are elements built by
// `build()` each time Leaflet draws them, and tooltips are elements whose strings are text nodes.
/* global L */
import { announce, api, apiAll, config, fmtWhen, h, label, t } from "../core.js";
import {
  PATROL_COLOURS, PRIORITY_COLOURS, concernSvg, incidentSvg, stationSvg,
} from "../symbols.js";
import { OPEN_STATUSES, PRIORITY_RANK, isSelected, propsFromFeature, state } from "./state.js";

const LISBON = [38.7223, -9.1393];

export const map = L.map("map", {
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

const NodeIcon = L.DivIcon.extend({
  options: { html: false },
  createIcon(oldIcon) {
    const div = L.DivIcon.prototype.createIcon.call(this, oldIcon);
    div.replaceChildren(this.options.build());
    return div;
  },
});

export function nodeIcon(build, options) {
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

export const layers = {
  areas: L.featureGroup([], { pane: "areas" }).addTo(map),
  incidents: L.markerClusterGroup({
    showCoverageOnHover: false, maxClusterRadius: 42, disableClusteringAtZoom: 16,
    spiderfyOnMaxZoom: true, chunkedLoading: true, iconCreateFunction: clusterIcon,
  }),
  // Counts per grid cell, drawn instead of `incidents` below the features zoom (viewport.js).
  cells: L.layerGroup(),
  heat: L.heatLayer([], { radius: 22, blur: 18, maxZoom: 15, minOpacity: 0.3, pane: "heat" }),
  concerns: L.layerGroup(),
  patrols: L.layerGroup(),
  stations: L.layerGroup(),
};

// --- Incidents and concerns ---------------------------------------------------------------------
export function incidentIcon(p, selected) {
  return nodeIcon(() => h("span", {
    class: `mk mk-incident${selected ? " is-selected" : ""}`,
    dataset: { kind: "incident", id: p.id, status: p.status, priority: p.priority },
  }, incidentSvg(p.priority, p.status, selected ? 26 : 20)), {
    className: "mk-wrap", iconSize: selected ? [26, 26] : [20, 20],
  });
}

export function incidentMarker(p, latlng, onClick) {
  const marker = L.marker(latlng, {
    icon: incidentIcon(p, isSelected("incident", p.id)), keyboard: false, riseOnHover: true,
    title: `${p.reference ?? ""} ${p.title ?? ""}`.trim(), koban: p,
  });
  marker.on("click", onClick);
  return marker;
}

export function concernIcon(p, selected) {
  return nodeIcon(() => h("span", {
    class: `mk mk-concern${selected ? " is-selected" : ""}`,
    dataset: { kind: "concern", id: p.id, status: p.status },
  }, concernSvg(p.status, selected ? 26 : 18)), {
    className: "mk-wrap", iconSize: selected ? [26, 26] : [18, 18],
  });
}

export function concernMarker(p, onClick) {
  return L.marker([p.location[1], p.location[0]], {
    icon: concernIcon(p, isSelected("concern", p.id)), keyboard: false, title: p.title, zIndexOffset: 500,
  }).on("click", onClick);
}

// --- Patrols ------------------------------------------------------------------------------------
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

export function upsertPatrol(p) {
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

/** Stale positions age on their own: the caller re-evaluates them now and then. */
export function refreshPatrolIcons() {
  state.patrols.forEach((e) => e.marker.setIcon(patrolIcon(e.props)));
}

export async function loadPatrols() {
  const { items, sequence } = await apiAll("patrols/geojson/", { page_size: 5000 });
  layers.patrols.clearLayers();
  state.patrols.clear();
  for (const f of items) upsertPatrol(propsFromFeature(f));
  return sequence;
}

// --- Areas, stations, heat ----------------------------------------------------------------------
export async function loadAreas() {
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

/** The heat of the whole window: fine grid counts computed by the server (zoom-16 cells, about
 * 100 m), weighted by priority, so the layer is right for any number of incidents. */
export async function loadHeat() {
  const f = state.filters;
  const days = document.getElementById("heat-days").value;
  const b = layers.areas.getBounds().isValid() ? layers.areas.getBounds() : map.getBounds();
  const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(",");
  const { data } = await api("incidents/map/cells/", {
    params: { days, category: f.category, priority: f.priority, area: f.area, bbox, zoom: 16 },
  });
  const points = data.cells.map((c) => [
    c.lat, c.lon, c.by_priority.high + 0.7 * c.by_priority.medium + 0.45 * c.by_priority.low,
  ]);
  layers.heat.setLatLngs(points);
}

let refreshViewportSoon = () => {};
/** viewport.js registers how to redraw the incidents' mode (it imports this module). */
export function onIncidentLayerChange(fn) {
  refreshViewportSoon = fn;
}

export function setLayer(name, on) {
  const layer = layers[name];
  if (!layer) return;
  if (name === "heat") layers.heatOn = on;
  if (name === "incidents") {
    // viewport.js draws incidents as cells or as markers, by zoom.
    layers.incidentsOn = on;
    refreshViewportSoon();
    if (!on) { map.removeLayer(layers.incidents); map.removeLayer(layers.cells); }
    return;
  }
  if (on) {
    layer.addTo(map);
    if (name === "stations") loadStations().catch(() => announce(t("load_failed")));
    if (name === "heat") loadHeat().catch(() => announce(t("load_failed")));
  } else map.removeLayer(layer);
}

export function renderLegend() {
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
