// The operations view: map + list + filters + detail panel, kept current by the live feed.
// The parts live in ./operations/: state, filters, layers (the map), list, items (marker and row
// together), selection, snapshot (REST loads), events (live) and controls.
import { announce, config, t } from "./core.js";
import { LiveFeed } from "./live.js";
import { bindControls, openFromUrl } from "./operations/controls.js";
import { applyEvent } from "./operations/events.js";
import { readFilters, renderFilterChecks } from "./operations/filters.js";
import { layers, loadAreas, map, renderLegend, setLayer } from "./operations/layers.js";
import { panel, proposals, select } from "./operations/selection.js";
import { loadAll, loadItems } from "./operations/snapshot.js";
import { state } from "./operations/state.js";
import { bindViewport } from "./operations/viewport.js";

const live = new LiveFeed({ path: config.ws, onEvent: applyEvent, reload: loadAll });

async function start() {
  renderFilterChecks();
  renderLegend();
  bindControls();
  for (const name of ["incidents", "concerns", "patrols"]) setLayer(name, true);
  state.filters = readFilters();
  // The parishes, the list and the map's counts load side by side: the counts wait only for
  // the parishes (they set the map's extent), not for the list.
  const items = (async () => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        live.start(await loadAll());
        return;
      } catch {
        await new Promise((r) => setTimeout(r, Math.min(30000, 1000 * 2 ** attempt)));
      }
    }
  })();
  await loadAreas().catch((err) => { console.error(err); announce(t("load_failed")); });
  await Promise.all([bindViewport(), items]);
  openFromUrl();
  document.documentElement.dataset.ready = "true";
}

// For people debugging and for the browser tests.
window.koban = { map, live, state, select, panel, layers, reload: loadItems, proposals };
start();
