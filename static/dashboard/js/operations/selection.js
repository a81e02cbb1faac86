// What is selected, kept in step in three places: the marker on the map, the row in the list
// and the detail panel.
import { DetailPanel } from "../panel.js";
import { ProposalsLayer } from "../proposals.js"; // issue 16: repeat-place proposals layer
import { concernIcon, incidentIcon, layers, map } from "./layers.js";
import { showTab } from "./list.js";
import { isSelected, state } from "./state.js";

export const panel = new DetailPanel(document.getElementById("detail"), {
  onClose: (was) => {
    const previous = state.selected;
    state.selected = null;
    if (previous) restyle(previous.kind, previous.id);
    const row = document.querySelector(`.item[data-kind="${was.kind}"][data-id="${was.id}"]`);
    row?.focus();
  },
  onOpenItem: (kind, id) => select(kind, id, { from: "panel" }),
});

/** Redraws an item's marker and row as selected or not. */
export function restyle(kind, id) {
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

/** Selects an item; `from` says where (map, list, panel, url), so that place is left alone. */
export function select(kind, id, { from = "list" } = {}) {
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
      if (kind === "incident" && map.hasLayer(layers.incidents)) {
        layers.incidents.zoomToShowLayer(entry.marker, () => map.panTo(entry.marker.getLatLng()));
      } else if (kind === "incident") {
        // Far out the map shows counts (viewport.js): close in to where markers are drawn.
        map.setView(entry.marker.getLatLng(), Math.max(map.getZoom(), 16), { animate: false });
      } else {
        map.setView(entry.marker.getLatLng(), Math.max(map.getZoom(), 15));
      }
    }
  }
  panel.open(kind, id, { focus: from !== "map" });
}

// Issue 16: repeat-place proposals (supervisors only; the module adds its own layer toggle).
export const proposals = new ProposalsLayer(map, {
  onOpenItem: (kind, id) => select(kind, id, { from: "panel" }),
  closeDetail: () => panel.close(),
  concerns: () => [...state.concerns.values()].map((e) => e.props),
});
