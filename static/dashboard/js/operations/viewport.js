// The map asks for what it shows. Below FEATURE_ZOOM (city and district) it draws counts per
// grid cell, computed by PostgreSQL for the viewport and the whole time window; from it on
// (parish and closer) it draws the incidents themselves and, when the viewport holds more than
// the server sends, says so ("showing 2 000 of 7 312: zoom in"). Live events refetch the
// visible cells or features (debounced); held incident markers are also kept current by events.
/* global L */
import { api, debounce, h, t } from "../core.js";
import { incidentParams } from "./filters.js";
import { applyViewFeatures, dropView } from "./items.js";
import { layers, map, nodeIcon, onIncidentLayerChange } from "./layers.js";
import { state } from "./state.js";

export const FEATURE_ZOOM = 15;
const note = document.getElementById("map-note");
const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

function viewportQuery() {
  const b = map.getBounds();
  const bbox = [
    clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90),
    clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90),
  ].map((v) => v.toFixed(5)).join(",");
  return { ...incidentParams(state.filters), bbox };
}

function cellMarker(cell) {
  const size = cell.count < 10 ? 30 : cell.count < 100 ? 38 : 46;
  const text = t("map_cell", { n: cell.count });
  const marker = L.marker([cell.lat, cell.lon], {
    icon: nodeIcon(() => h("span", {
      class: "mk-cell", dataset: { count: cell.count, high: cell.by_priority.high },
    }, String(cell.count)), { className: "mk-cell-wrap", iconSize: [size, size] }),
    keyboard: false, title: text, alt: text,
  });
  marker.on("click", () => map.setView(marker.getLatLng(), Math.min(map.getZoom() + 2, FEATURE_ZOOM)));
  return marker;
}

function showNote(text) {
  note.textContent = text;
  note.hidden = !text;
}

/** Only the newest answer is drawn: a quick pan cannot land an older viewport last. */
let ticket = 0;
async function refresh() {
  if (!state.filters) return;
  const mine = ++ticket;
  const far = map.getZoom() < FEATURE_ZOOM;
  if (layers.incidentsOn === false) { showNote(""); return; }
  if (far) {
    map.removeLayer(layers.incidents);
    layers.cells.addTo(map);
    const { data: answer } = await api("incidents/map/cells/", { params: { ...viewportQuery(), zoom: Math.floor(map.getZoom()) } });
    if (mine !== ticket) return;
    layers.cells.clearLayers();
    for (const cell of answer.cells) layers.cells.addLayer(cellMarker(cell));
    layers.cells.total = answer.total;
    dropView(); // the markers of the last parish viewport are not drawn out here
    showNote("");
  } else {
    map.removeLayer(layers.cells);
    layers.incidents.addTo(map);
    const { data: answer, sequence } = await api("incidents/map/features/", { params: viewportQuery() });
    if (mine !== ticket) return;
    applyViewFeatures(answer.features, sequence);
    showNote(answer.limited ? t("map_limited", { n: answer.returned, total: answer.total }) : "");
  }
  document.getElementById("map").dataset.mode = far ? "cells" : "features";
}

export const refreshViewport = debounce(() => refresh().catch((err) => console.error(err)), 250);

let bound = false;
export const viewportBound = () => bound;

/** Draws the mode of the current zoom now (at start), then follows every move. */
export function bindViewport() {
  bound = true;
  map.on("moveend", refreshViewport);
  onIncidentLayerChange(refreshViewport);
  return refresh().catch((err) => console.error(err));
}
