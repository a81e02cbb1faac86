// Copies the browser builds of our front-end dependencies into static/vendor (served locally).
import { cpSync, mkdirSync, rmSync, writeFileSync, readFileSync } from "node:fs";

const out = "static/vendor";
const files = {
  "leaflet/dist/leaflet.js": "leaflet/leaflet.js",
  "leaflet/dist/leaflet.css": "leaflet/leaflet.css",
  "leaflet/dist/images": "leaflet/images",
  "leaflet/LICENSE": "leaflet/LICENSE",
  "leaflet.markercluster/dist/leaflet.markercluster.js": "leaflet.markercluster/leaflet.markercluster.js",
  "leaflet.markercluster/dist/MarkerCluster.css": "leaflet.markercluster/MarkerCluster.css",
  "leaflet.markercluster/dist/MarkerCluster.Default.css": "leaflet.markercluster/MarkerCluster.Default.css",
  "leaflet.markercluster/MIT-LICENCE.txt": "leaflet.markercluster/LICENSE",
  "leaflet.heat/dist/leaflet-heat.js": "leaflet.heat/leaflet-heat.js",
  "leaflet.heat/LICENSE": "leaflet.heat/LICENSE",
  "ol/dist/ol.js": "ol/ol.js",
  "ol/ol.css": "ol/ol.css",
  "ol/LICENSE.md": "ol/LICENSE.md",
  // Charts of the supervisors' insight pages (canvas only: no injected styles, CSP-clean).
  "chart.js/dist/chart.umd.min.js": "chart.js/chart.umd.min.js",
  "chart.js/LICENSE.md": "chart.js/LICENSE.md",
  // Not used by the pages: the browser tests inject it to check every page's accessibility.
  "axe-core/axe.min.js": "axe-core/axe.min.js",
  "axe-core/LICENSE": "axe-core/LICENSE",
  "axe-core/LICENSE-3RD-PARTY.txt": "axe-core/LICENSE-3RD-PARTY.txt",
};
rmSync(out, { recursive: true, force: true });
const versions = {};
for (const [src, dst] of Object.entries(files)) {
  mkdirSync(`${out}/${dst.split("/").slice(0, -1).join("/")}`, { recursive: true });
  cpSync(`node_modules/${src}`, `${out}/${dst}`, { recursive: true });
  const pkg = src.split("/")[0];
  versions[pkg] = JSON.parse(readFileSync(`node_modules/${pkg}/package.json`)).version;
}
writeFileSync(`${out}/VERSIONS.json`, JSON.stringify(versions, null, 2) + "\n");
console.log("vendored", versions);
