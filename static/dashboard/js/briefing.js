// The shift briefing: a small map of the last 7 days' hot spots (grid cells counted in SQL, sent
// in a json_script block), drawn over the parish outlines; and the print button.
import { apiAll, config, h } from "./core.js";

const spots = JSON.parse(document.getElementById("hot-spots")?.textContent ?? "[]");
const box = document.getElementById("hotspot-map");

document.getElementById("print-briefing")?.addEventListener("click", () => window.print());

async function drawMap() {
  if (!box || !window.L) return;
  const map = L.map(box, { zoomControl: true, attributionControl: false, scrollWheelZoom: false });
  if (config.basemap) L.tileLayer(config.basemap, { maxZoom: 19, crossOrigin: true }).addTo(map);
  map.setView([38.7223, -9.1393], 12);
  const { items } = await apiAll("areas/geojson/");
  const parishes = items.filter((f) => f.properties.kind !== "municipality");
  const outline = L.geoJSON(parishes, {
    style: () => ({ color: "#7d8fa3", weight: 1, fillColor: "#ffffff", fillOpacity: config.basemap ? 0.05 : 0.9 }),
  }).addTo(map);
  const max = Math.max(1, ...spots.map((s) => s.count));
  const cells = spots.map((s) => L.rectangle(s.bounds, {
    color: "#b42318", weight: 1, fillColor: "#b42318", fillOpacity: 0.2 + 0.6 * (s.count / max),
  }).bindTooltip(h("span", {}, String(s.count)), { permanent: false }).addTo(map));
  const group = cells.length ? L.featureGroup(cells) : outline;
  if (group.getBounds().isValid()) map.fitBounds(group.getBounds(), { padding: [12, 12], maxZoom: 15 });
  box.dataset.cells = String(cells.length);
  document.documentElement.dataset.ready = "true";
}

drawMap().catch((err) => {
  console.error(err);
  document.documentElement.dataset.ready = "true";
});
