// The detail panel's dispatch section: who was sent to an incident and, for those who may send
// a unit, the nearest available patrols to dispatch (or reassign to), and "stand down".
import { api, clearFormErrors, config, fmtRelative, h, label, showFormErrors, t } from "./core.js";
import { loadOfficers } from "./followups-ui.js";

function fmtDistance(metres) {
  if (metres < 1000) return `${metres} m`;
  return `${(metres / 1000).toLocaleString(config.locale, { maximumFractionDigits: 1 })} km`;
}

/** Who was sent, and (for those who may send a unit) the nearest available patrols: fresh
 * positions first, nearest first, stale ones marked (the server orders them). A new or
 * acknowledged incident is dispatched; a dispatched one can go to another unit or be stood
 * down. The list is fetched once per incident and status, not on every live re-render. */
export function dispatchSection(panel, d) {
  const unit = [d.assigned_patrol_call_sign, d.assigned_officer_name].filter(Boolean).join(" · ");
  const canSend = config.me.can_dispatch && ["new", "acknowledged", "dispatched"].includes(d.status);
  if (!canSend && !unit) return null;
  const section = h("section", { class: "panel-section dispatch", "aria-labelledby": "dispatch-title" },
    h("h3", { id: "dispatch-title" }, canSend ? t("dispatch_title") : t("unit")),
    unit ? h("p", { class: "dispatch-unit" }, h("strong", {}, `${t("unit")}: `), unit) : null);
  if (!canSend) return section;
  const verb = d.status === "dispatched" ? "reassign" : "dispatch";
  const officer = h("select", { id: "dispatch-officer", name: "officer" },
    h("option", { value: "" }, t("dispatch_no_officer")));
  loadOfficers().then((people) => {
    const keep = officer.dataset.draft ?? officer.value;
    officer.append(...people.map((p) => h("option", { value: p.id }, p.name || p.username)));
    officer.value = keep;
  }).catch(() => {});
  const send = async (patrol) => {
    section.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    clearFormErrors(form);
    const body = { patrol, officer: officer.value ? Number(officer.value) : null };
    try {
      await api(`incidents/${d.id}/${verb}/`, { method: "POST", body });
      panel.nearest = null;
      await panel.refresh();
    } catch (err) {
      showFormErrors(form, err);
      section.querySelectorAll("button").forEach((b) => { b.disabled = false; });
    }
  };
  const list = h("ul", { class: "nearest", "aria-labelledby": "nearest-title" },
    h("li", { class: "muted" }, t("loading")));
  // Officers allowed to send their own patrol send the patrol only; choosing people is for
  // supervisors (as for follow-ups).
  const choosesPeople = config.me.can_assign;
  const form = h("form", { class: "dispatch-form stack" },
    choosesPeople ? h("div", { class: "field" }, h("label", { for: "dispatch-officer" }, t("dispatch_officer")), officer) : null,
    h("p", { id: "nearest-title", class: "small" }, t("dispatch_nearest")),
    list,
    h("div", { class: "form-actions" },
      choosesPeople ? h("button", { type: "submit", class: "btn dispatch-officer-only" }, t("dispatch_officer_only")) : null,
      d.status === "dispatched" ? h("button", {
        type: "button", class: "btn stand-down", onclick: async () => {
          try {
            await api(`incidents/${d.id}/stand-down/`, { method: "POST", body: {} });
            panel.nearest = null;
            await panel.refresh();
          } catch (err) { showFormErrors(form, err); }
        },
      }, t("stand_down")) : null));
  form.addEventListener("submit", (e) => { e.preventDefault(); send(null); });
  section.append(form);
  const key = `${d.id}:${d.status}:${d.assigned_patrol ?? ""}`;
  const cached = panel.nearest?.key === key && Date.now() - panel.nearest.at < 30000;
  const rows = cached ? Promise.resolve(panel.nearest.rows)
    : api(`incidents/${d.id}/nearest-patrols/`).then(({ data }) => {
      panel.nearest = { key, rows: data, at: Date.now() };
      return data;
    });
  rows.then((data) => {
    const mine = config.me.sees_everything ? data : data.filter((p) => p.members.includes(config.me.id));
    list.replaceChildren(...mine.map((p) => h("li", { class: `nearest-patrol${p.stale ? " is-stale" : ""}`, dataset: { id: p.id } },
      h("span", { class: "call-sign" }, p.call_sign),
      h("span", { class: "muted small" }, ` · ${label("patrol_kind", p.kind)} · `,
        p.distance_m === null ? t("no_position") : fmtDistance(p.distance_m),
        p.position_at ? ` · ${t("position_age", { age: fmtRelative(p.position_at) })}` : ""),
      p.stale ? h("span", { class: "badge badge-stale" }, t("stale")) : null,
      h("button", {
        type: "button", class: "btn btn-small send", onclick: () => send(p.id),
        "aria-label": `${verb === "dispatch" ? t("dispatch") : t("reassign_to")} ${p.call_sign}`,
      }, verb === "dispatch" ? t("dispatch") : t("reassign_to")))));
    if (!mine.length) list.replaceChildren(h("li", { class: "muted" }, t("dispatch_none")));
  }).catch(() => list.replaceChildren(h("li", { class: "muted" }, t("error"))));
  return section;
}
