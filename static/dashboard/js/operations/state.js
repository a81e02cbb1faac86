// What the operations view holds: the items on screen, the selection and the filters in force.
// Every other module of the view reads and writes this one object.

// The list holds the newest page of the window and more on request; the count is the server's.
export const LIST_PAGE = 200;
export const OPEN_STATUSES = ["new", "acknowledged", "dispatched", "on_scene"];
export const OPEN_CONCERN_STATUSES = ["open", "analysing", "responding", "assessing"];
export const PRIORITY_RANK = { high: 3, medium: 2, low: 1 };

export const state = {
  // id -> {props, marker, row, inList, inView}: an incident is held because it is in the list
  // (the newest of the window), or in the map's viewport at parish zoom (viewport.js), or both.
  incidents: new Map(),
  listPage: LIST_PAGE, // rows per list page (a test may make it smaller)
  total: null, // incidents the filters select in the whole window, as counted by the server
  listNext: null, // the list's next page (cursor URL), null when the list is complete
  removedAt: new Map(), // id -> sequence of its removal event, so an older answer cannot revive it
  concerns: new Map(),
  patrols: new Map(),
  areaNames: new Map(),
  selected: null, // {kind, id}
  filters: null,
  loading: 0,
  buffer: null, // live events held while a snapshot loads
};

export function isSelected(kind, id) {
  return state.selected?.kind === kind && String(state.selected.id) === String(id);
}

export function propsFromFeature(feature) {
  const p = { ...feature.properties, id: feature.id ?? feature.properties.id };
  if (p.category && typeof p.category === "object") p.category = p.category.code;
  const c = feature.geometry?.coordinates;
  p.location = c ? [c[0], c[1]] : null;
  return p;
}

export function propsFromPayload(payload) {
  const p = { ...payload };
  p.area_name = state.areaNames.get(p.area) ?? p.area_name ?? "";
  return p;
}
