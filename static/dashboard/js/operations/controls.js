// The page's controls: filters, search, layer switches, list tabs, the filter drawer on small
// screens, and an item named in the address (?incident=12).
import { announce, debounce, t } from "../core.js";
import { form, search } from "./filters.js";
import { layers, loadHeat, refreshPatrolIcons, setLayer } from "./layers.js";
import { showTab } from "./list.js";
import { select } from "./selection.js";
import { loadItems, loadMore } from "./snapshot.js";
import { OPEN_STATUSES, state } from "./state.js";

export function bindControls() {
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
  const more = document.getElementById("list-more");
  more.addEventListener("click", () => {
    more.disabled = true;
    loadMore().catch(() => announce(t("load_failed"))).finally(() => { more.disabled = false; });
  });
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
  setInterval(refreshPatrolIcons, 30000);
}

function focusSingleMatch() {
  if (search.value.trim() && state.total === 1) {
    const only = [...state.incidents.entries()].find(([, e]) => e.inList);
    if (only) select("incident", only[0], { from: "list" });
  }
}

export function openFromUrl() {
  const params = new URLSearchParams(window.location.search);
  for (const kind of ["incident", "concern"]) {
    const id = params.get(kind);
    if (id && /^\d+$/.test(id)) select(kind, Number(id), { from: "url" });
  }
}
