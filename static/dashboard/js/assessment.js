// A concern's assessment (issue 16): incidents of its category in its place, in equal periods
// before and after the response started, side by side and as a small bar chart (Chart.js,
// vendored); and closing, which needs an assessment note (the server refuses it without one).
/* global Chart */
import { api, clearFormErrors, fmtDateTime, h, showFormErrors, t } from "./core.js";

const charts = new WeakMap();

function drawChart(canvas, a) {
  if (typeof Chart === "undefined") return; // the table says the same
  charts.get(canvas)?.destroy();
  charts.set(canvas, new Chart(canvas, {
    type: "bar",
    data: {
      labels: [t("as_before"), t("as_after")],
      datasets: [{ label: t("incidents"), data: [a.before, a.after], backgroundColor: ["#8696a8", "#1c5fb8"] }],
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  }));
}

/** The panel section; `onChanged` reloads the panel after the concern was closed. */
export function assessmentSection(d, { onChanged = () => {} } = {}) {
  const a = d.assessment;
  const section = h("section", { class: "panel-section assessment", "aria-labelledby": "as-title" },
    h("h3", { id: "as-title" }, t("as_title")));
  if (!a || !a.response_started_at) {
    section.append(h("p", { class: "muted" }, t("as_not_started")));
  } else {
    const change = a.change_percent === null ? "—" : `${a.change_percent > 0 ? "+" : ""}${a.change_percent}%`;
    section.append(
      h("p", { class: "small" }, t(a.days === 1 ? "as_explain_one" : "as_explain", {
        days: a.days, when: fmtDateTime(a.response_started_at),
      })),
      h("table", { class: "data-table as-counts" },
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, t("as_before")), h("th", { scope: "col" }, t("as_after")),
          h("th", { scope: "col" }, t("as_change")))),
        h("tbody", {}, h("tr", {},
          h("td", { class: "as-before" }, String(a.before)), h("td", { class: "as-after" }, String(a.after)),
          h("td", {}, change)))));
    const canvas = h("canvas", { "aria-hidden": "true" });
    section.append(h("div", { class: "as-chart" }, canvas));
    queueMicrotask(() => drawChart(canvas, a));
  }
  if (d.assessment_note) section.append(h("p", { class: "description as-note" }, d.assessment_note));
  const allowed = (d.allowed_transitions ?? []).map((x) => (typeof x === "object" ? x.status ?? x.value : x));
  if (allowed.includes("closed")) section.append(closeForm(d, onChanged));
  return section;
}

function closeForm(d, onChanged) {
  const form = h("form", { class: "stack as-close" },
    h("div", { class: "field" }, h("label", { for: "as-note" }, t("as_note")),
      h("textarea", { id: "as-note", name: "assessment_note", rows: 2, placeholder: t("as_note_placeholder") })),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "btn btn-status to-closed" }, t("as_close"))));
  form.elements.assessment_note.value = d.assessment_note ?? "";
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFormErrors(form);
    try {
      await api(`concerns/${d.id}/transition/`, {
        method: "POST", body: { status: "closed", assessment_note: form.elements.assessment_note.value },
      });
      onChanged();
    } catch (err) {
      delete form.dataset.sent;
      showFormErrors(form, err);
    }
  });
  return form;
}
