// Closure quality: one JSON request for the map's filters, then each chart drawn by Chart.js on
// a canvas with its figures in a table beside it (the accessible form) and a CSV link.
// To add a chart: a <section data-chart="name"> in the template and a drawer in CHARTS below.
import { apiUrl, config, debounce, h, label } from "./core.js";

const words = JSON.parse(document.getElementById("insight-strings").textContent);
const w = (key) => words[key] ?? key;
const form = document.getElementById("closure-filters");
const statusBox = document.getElementById("page-status");
const page = document.getElementById("closure-page");
const dataUrl = page.dataset.dataUrl;
const exportUrl = page.dataset.exportUrl;
const MILESTONES = ["acknowledged", "on_scene", "resolved"];
const COLOURS = { acknowledged: "#1c5fb8", on_scene: "#9a5b00", resolved: "#1b7f3b" };
const drawn = new Map();
let latest = null;

const fmt = new Intl.NumberFormat(config.locale, { maximumFractionDigits: 1 });
const num = (v) => (v === null || v === undefined ? "—" : fmt.format(v));

function renderPriorityChecks() {
  const box = document.getElementById("c-priority");
  for (const [value, text] of Object.entries(config.labels.priority)) {
    box.append(h("label", { class: "check" }, h("input", { type: "checkbox", name: "priority", value }), ` ${text}`));
  }
}

function readFilters() {
  const data = new FormData(form);
  return {
    days: data.get("days") || "", area: data.get("area") || "",
    category: data.getAll("category"), priority: data.getAll("priority"),
  };
}

/** The page's URL carries the filters (the map's parameter names), so a link shows the same. */
function applyUrl() {
  const params = new URLSearchParams(window.location.search);
  if (params.has("days")) form.elements.days.value = params.get("days");
  if (params.get("area")) form.elements.area.value = params.get("area").split(",")[0];
  for (const name of ["category", "priority"]) {
    const chosen = new Set((params.get(name) || "").split(",").filter(Boolean));
    form.querySelectorAll(`input[name=${name}]`).forEach((i) => { i.checked = chosen.has(i.value); });
  }
}

function keyLabel(breakdown, key) {
  if (key === null || key === undefined) return "—";
  if (breakdown === "category") return label("category", key);
  if (breakdown === "priority") return label("priority", key);
  return String(key);
}

function table(head, rows) {
  return h("table", { class: "data-table" },
    h("thead", {}, h("tr", {}, head.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c, i) => (i === 0 ? h("th", { scope: "row" }, c) : h("td", {}, c)))))));
}

function chart(section, cfg) {
  drawn.get(section)?.destroy();
  const canvas = section.querySelector("canvas");
  const instance = new Chart(canvas, {
    ...cfg,
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom" } },
      ...cfg.options,
    },
  });
  drawn.set(section, instance);
}

function responseTimes(section, data) {
  const breakdown = section.dataset.breakdown;
  const rows = data.response_times[breakdown] ?? [];
  const labels = rows.map((r) => keyLabel(breakdown, r.key));
  const datasets = [];
  for (const m of MILESTONES) {
    datasets.push({ label: `${w(m)} · ${w("median")}`, data: rows.map((r) => r[m].median), borderColor: COLOURS[m], backgroundColor: COLOURS[m] });
    if (breakdown === "week") {
      datasets.push({ label: `${w(m)} · ${w("p90")}`, data: rows.map((r) => r[m].p90), borderColor: COLOURS[m], backgroundColor: COLOURS[m], borderDash: [6, 4] });
    }
  }
  chart(section, {
    type: breakdown === "week" ? "line" : "bar",
    data: { labels, datasets },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: w("hours") } } } },
  });
  const head = [w(breakdown), w("incidents")];
  for (const m of MILESTONES) head.push(`${w(m)} ${w("median")}`, `${w(m)} ${w("p90")}`);
  const body = rows.map((r) => [keyLabel(breakdown, r.key), String(r.incidents),
    ...MILESTONES.flatMap((m) => [num(r[m].median), num(r[m].p90)])]);
  return table(head, body);
}

function followups(section, data) {
  const rows = data.followups;
  const series = [["on_time", "#1b7f3b"], ["late", "#9a5b00"], ["overdue", "#b42318"]];
  chart(section, {
    type: "bar",
    data: { labels: rows.map((r) => r.week), datasets: series.map(([k, c]) => ({ label: w(k), data: rows.map((r) => r[k]), backgroundColor: c })) },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
  });
  return table([w("week"), ...series.map(([k]) => w(k))], rows.map((r) => [r.week, ...series.map(([k]) => String(r[k]))]));
}

function reopened(section, data) {
  const rows = data.reopened;
  const series = [["incidents_reopened", "#b42318"], ["concerns_reopened", "#6b3fa0"]];
  chart(section, {
    type: "bar",
    data: { labels: rows.map((r) => r.week), datasets: series.map(([k, c]) => ({ label: w(k), data: rows.map((r) => r[k]), backgroundColor: c })) },
    options: { scales: { y: { beginAtZero: true } } },
  });
  const cols = ["incidents_reopened", "incidents_resolved", "concerns_reopened"];
  return table([w("week"), ...cols.map(w)], rows.map((r) => [r.week, ...cols.map((k) => String(r[k]))]));
}

// Residents' answers (1-5): how many (bars), the mean score and the share of 4-5 (lines).
function feedback(section, data) {
  const breakdown = section.dataset.breakdown;
  const rows = data.feedback?.[breakdown] ?? [];
  chart(section, {
    type: "bar",
    data: {
      labels: rows.map((r) => keyLabel(breakdown, r.key)),
      datasets: [
        { label: w("answers"), data: rows.map((r) => r.answers), backgroundColor: "#9fb7d9", yAxisID: "y", order: 2 },
        { type: "line", label: w("mean_score"), data: rows.map((r) => r.mean_score), borderColor: "#1c5fb8", backgroundColor: "#1c5fb8", yAxisID: "score", order: 1 },
        { type: "line", label: w("solved_percent"), data: rows.map((r) => r.solved_percent), borderColor: "#1b7f3b", backgroundColor: "#1b7f3b", borderDash: [6, 4], yAxisID: "share", order: 0 },
      ],
    },
    options: {
      scales: {
        y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: w("answers") } },
        score: { position: "right", min: 1, max: 5, title: { display: true, text: w("mean_score") } },
        share: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false }, ticks: { callback: (v) => `${v} %` } },
      },
    },
  });
  const cols = ["answers", "mean_score", "solved", "solved_percent"];
  return table([w(breakdown), ...cols.map(w)], rows.map((r) => [keyLabel(breakdown, r.key),
    String(r.answers), num(r.mean_score), String(r.solved), r.solved_percent === null ? "—" : `${num(r.solved_percent)} %`]));
}

const CHARTS = { response_times: responseTimes, followups, reopened, feedback };

function params(f) {
  return { days: f.days, area: f.area, category: f.category, priority: f.priority };
}

function draw(data) {
  for (const section of document.querySelectorAll("[data-chart]")) {
    const name = section.dataset.chart;
    const tableNode = CHARTS[name](section, data);
    section.querySelector(".table-scroll").replaceChildren(tableNode);
    const link = apiUrl(exportUrl, { ...params(latest), chart: name, breakdown: section.dataset.breakdown });
    section.querySelector(".csv-link").href = link.pathname + link.search;
  }
}

let lastData = null;
let generation = 0;

async function load() {
  latest = readFilters();
  const url = apiUrl(dataUrl, params(latest));
  history.replaceState(null, "", window.location.pathname + url.search);
  const mine = ++generation;
  statusBox.textContent = w("loading");
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (mine !== generation) return;
  if (!response.ok) { statusBox.textContent = w("load_failed"); return; }
  lastData = await response.json();
  draw(lastData);
  statusBox.textContent = "";
  document.documentElement.dataset.ready = "true";
}

renderPriorityChecks();
applyUrl();
form.addEventListener("change", debounce(() => load().catch(() => { statusBox.textContent = w("load_failed"); }), 250));
document.querySelectorAll(".breakdown-choice").forEach((choice) => choice.addEventListener("change", (e) => {
  e.target.closest("[data-chart]").dataset.breakdown = e.target.value;
  if (lastData) draw(lastData);
}));
load().catch(() => { statusBox.textContent = w("load_failed"); });
