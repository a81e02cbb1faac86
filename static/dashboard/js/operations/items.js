// Incidents and concerns on screen: each one is a marker and a list row, added, updated and
// removed together, from a snapshot or from a live event.
/* global L */
import { concernMatches, incidentMatches } from "./filters.js";
import { concernMarker, incidentIcon, incidentMarker, layers } from "./layers.js";
import {
  belongsInList, concernRow, flash, incidentRow, insertIncidentRow, prependConcernRow, updateCounts,
} from "./list.js";
import { select } from "./selection.js";
import { isSelected, propsFromFeature, state } from "./state.js";

function makeIncidentMarker(p, latlng) {
  return incidentMarker(p, latlng, () => select("incident", p.id, { from: "map" }));
}

function makeIncidentRow(p) {
  return incidentRow(p, () => select("incident", p.id, { from: "list" }));
}

export function upsertIncident(p, { live = false } = {}) {
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
    const row = makeIncidentRow(existing.props);
    existing.row.replaceWith(row);
    existing.row = row;
    if (live) flash(row, existing.marker);
  } else {
    // Held for the list when it is among the newest, otherwise for the map only: the next
    // viewport answer keeps it if it is in view and drops it if not.
    const inList = belongsInList(p);
    const entry = newEntry(p, { inList, inView: !inList });
    state.incidents.set(p.id, entry);
    if (entry.marker) layers.incidents.addLayer(entry.marker);
    if (live) {
      if (inList) insertIncidentRow(entry);
      flash(entry.row, entry.marker, true);
      if (layers.heatOn && latlng) layers.heat.addLatLng([latlng.lat, latlng.lng, 1]);
    }
  }
  if (live) updateCounts();
}

function newEntry(p, { inList, inView }) {
  const latlng = p.location ? L.latLng(p.location[1], p.location[0]) : null;
  return {
    props: p, marker: latlng ? makeIncidentMarker(p, latlng) : null, row: makeIncidentRow(p), inList, inView,
  };
}

export function removeIncident(id) {
  const entry = state.incidents.get(id);
  if (!entry) return;
  if (entry.marker) layers.incidents.removeLayer(entry.marker);
  entry.row.remove();
  state.incidents.delete(id);
  updateCounts();
}

/** Replaces every incident with a snapshot's first list page (the list is drawn by the caller). */
export function applyIncidents(items) {
  layers.incidents.clearLayers();
  state.incidents.clear();
  addListPage(items);
}

/** A further page of the list: the next older incidents of the window. */
export function addListPage(items) {
  const markers = [];
  for (const f of items) {
    const p = propsFromFeature(f);
    const existing = state.incidents.get(p.id);
    if (existing) { existing.inList = true; continue; }
    const entry = newEntry(p, { inList: true, inView: false });
    state.incidents.set(p.id, entry);
    if (entry.marker) markers.push(entry.marker);
  }
  layers.incidents.addLayers(markers);
}

/** The incidents in the map's viewport at parish zoom (map/features): they replace the previous
 * viewport's, except those the list holds. An answer read before an incident's removal event
 * (by sequence) does not bring it back. */
export function applyViewFeatures(features, sequence) {
  const ids = new Set();
  const markers = [];
  for (const f of features) {
    const p = propsFromFeature(f);
    const removed = state.removedAt.get(p.id);
    if (removed !== undefined && (sequence === null || removed > sequence)) continue;
    ids.add(p.id);
    const existing = state.incidents.get(p.id);
    if (existing) { existing.inView = true; continue; }
    const entry = newEntry(p, { inList: false, inView: true });
    state.incidents.set(p.id, entry);
    if (entry.marker) markers.push(entry.marker);
  }
  dropView((id) => !ids.has(id));
  layers.incidents.addLayers(markers);
}

/** Forgets the viewport's incidents (all, or those `leaving` says), keeping the list's. */
export function dropView(leaving = () => true) {
  const gone = [];
  for (const [id, entry] of state.incidents) {
    if (!entry.inView || !leaving(id)) continue;
    entry.inView = false;
    if (entry.inList || isSelected("incident", id)) continue;
    if (entry.marker) gone.push(entry.marker);
    state.incidents.delete(id);
  }
  layers.incidents.removeLayers(gone);
}

export function upsertConcern(p, { live = false } = {}) {
  const existing = state.concerns.get(p.id);
  if (existing) {
    layers.concerns.removeLayer(existing.marker ?? L.layerGroup());
    existing.row.remove();
    state.concerns.delete(p.id);
  }
  if (!concernMatches(p)) { updateCounts(); return; }
  const merged = existing ? { ...existing.props, ...p } : p;
  const entry = {
    props: merged, marker: null,
    row: concernRow(merged, () => select("concern", merged.id, { from: "list" })),
  };
  if (merged.location) {
    entry.marker = concernMarker(merged, () => select("concern", merged.id, { from: "map" }));
    layers.concerns.addLayer(entry.marker);
  }
  state.concerns.set(merged.id, entry);
  if (live) {
    prependConcernRow(entry);
    flash(entry.row, entry.marker);
    updateCounts();
  }
}

export function removeConcern(id) {
  const entry = state.concerns.get(id);
  if (!entry) return;
  if (entry.marker) layers.concerns.removeLayer(entry.marker);
  entry.row.remove();
  state.concerns.delete(id);
  updateCounts();
}

/** Replaces every concern with a snapshot's (the list is drawn by the caller). */
export function applyConcerns(items) {
  layers.concerns.clearLayers();
  state.concerns.clear();
  for (const feature of items) upsertConcern(propsFromFeature(feature));
}
