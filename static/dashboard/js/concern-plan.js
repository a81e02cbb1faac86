// "You said, we did" on a concern's panel: what was agreed with residents (what, who, by when),
// what was done, and, for supervisors, whether the parish's public page shows it.
import { api, clearFormErrors, config, h, showFormErrors, t } from "./core.js";

// Which folded parts the user opened stay open when a write or a live event re-renders the panel.
const opened = new Set();
function foldable(d, name, summary, content) {
  const key = `${d.id}:${name}`;
  const details = h("details", { class: name, open: opened.has(key) ? true : null }, h("summary", {}, summary), content);
  details.addEventListener("toggle", () => { if (details.open) opened.add(key); else opened.delete(key); });
  return details;
}

const fmtDate = (iso) => (iso ? iso.split("-").reverse().join("/") : "");
const today = () => new Date().toLocaleDateString("en-CA", { timeZone: config.timeZone });

function entryItem(e, now) {
  const late = e.kind === "commitment" && !e.done_on && e.due_on && e.due_on < now;
  const when = e.kind === "action"
    ? fmtDate(e.done_on)
    : e.done_on ? t("plan_done_on", { date: fmtDate(e.done_on) })
      : t(late ? "plan_late_by" : "plan_by", { date: fmtDate(e.due_on) });
  return h("li", { class: late ? "plan-entry is-late" : "plan-entry" },
    h("span", { class: "plan-what" }, e.text),
    e.who ? h("span", { class: "plan-who muted small" }, ` · ${e.who}`) : null,
    h("span", { class: "plan-when muted small" }, ` · ${when}`));
}

function entryForm(d, onChanged) {
  const promises = (d.plan ?? []).filter((e) => e.kind === "commitment" && !e.done_on);
  const id = (name) => `plan-${name}`;
  const kind = h("select", { id: id("kind"), name: "kind" },
    h("option", { value: "commitment" }, t("plan_commitment")),
    h("option", { value: "action" }, t("plan_action")));
  const due = h("div", { class: "field" }, h("label", { for: id("due") }, t("plan_due_on")),
    h("input", { id: id("due"), name: "due_on", type: "date" }));
  const done = h("div", { class: "field", hidden: true }, h("label", { for: id("done") }, t("plan_done_date")),
    h("input", { id: id("done"), name: "done_on", type: "date", max: today() }));
  const fulfils = h("div", { class: "field", hidden: true }, h("label", { for: id("fulfils") }, t("plan_fulfils")),
    h("select", { id: id("fulfils"), name: "fulfils" },
      h("option", { value: "" }, t("plan_fulfils_none")),
      promises.map((p) => h("option", { value: String(p.id) }, p.text))));
  const sync = () => {
    const action = kind.value === "action";
    due.hidden = action;
    done.hidden = !action;
    fulfils.hidden = !action || promises.length === 0;
  };
  kind.addEventListener("change", sync);
  const form = h("form", { class: "plan-form stack" },
    h("div", { class: "field" }, h("label", { for: id("kind") }, t("plan_kind")), kind),
    h("div", { class: "field" }, h("label", { for: id("text") }, t("plan_text")),
      h("textarea", { id: id("text"), name: "text", rows: 2, required: true, maxlength: 2000 })),
    h("div", { class: "field" }, h("label", { for: id("who") }, t("plan_who")),
      h("input", { id: id("who"), name: "who", type: "text", maxlength: 200, placeholder: t("plan_who_hint") })),
    due, done, fulfils,
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "btn" }, t("plan_add"))));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFormErrors(form);
    const action = kind.value === "action";
    const body = { kind: kind.value, text: form.elements.text.value, who: form.elements.who.value };
    if (action) {
      body.done_on = form.elements.done_on.value || null;
      if (form.elements.fulfils.value) body.fulfils = Number(form.elements.fulfils.value);
    } else body.due_on = form.elements.due_on.value || null;
    try {
      await api(`concerns/${d.id}/plan/`, { method: "POST", body });
      form.reset();
      sync();
      await onChanged();
    } catch (err) {
      showFormErrors(form, err);
    }
  });
  queueMicrotask(sync);
  return form;
}

function publishForm(d, onChanged) {
  const form = h("form", { class: "publish-form stack" },
    h("div", { class: "field" }, h("label", { for: "plan-summary" }, t("plan_public_summary")),
      h("textarea", { id: "plan-summary", name: "public_summary", rows: 2, maxlength: 2000 })),
    h("p", { class: "muted small" }, d.published ? t("plan_published") : t("plan_not_published")),
    h("div", { class: "form-actions" },
      h("button", { type: "submit", class: "btn", name: "publish" }, d.published ? t("plan_update_public") : t("plan_publish")),
      d.published ? h("button", { type: "button", class: "btn btn-quiet", name: "unpublish", onclick: () => send(false) }, t("plan_unpublish")) : null,
      h("a", { href: config.urls.public_parishes ?? "/parishes/", class: "small" }, t("plan_public_pages"))));
  form.elements.public_summary.value = d.public_summary ?? "";
  async function send(published) {
    clearFormErrors(form);
    try {
      await api(`concerns/${d.id}/publish/`, { method: "POST", body: { published, public_summary: form.elements.public_summary.value } });
      await onChanged();
    } catch (err) {
      showFormErrors(form, err);
    }
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); send(true); });
  return form;
}

/** The panel section; `onChanged` reloads the concern. */
export function concernPlanSection(d, { onChanged }) {
  const now = today();
  const plan = d.plan ?? [];
  const promises = plan.filter((e) => e.kind === "commitment");
  const actions = plan.filter((e) => e.kind === "action");
  const section = h("section", { class: "panel-section concern-plan", "aria-labelledby": "plan-title" },
    h("h3", { id: "plan-title" }, t("plan_title")),
    h("h4", { id: "plan-promises" }, t("plan_promised")),
    promises.length ? h("ul", { class: "plan-list", "aria-labelledby": "plan-promises" }, promises.map((e) => entryItem(e, now)))
      : h("p", { class: "muted" }, t("none")),
    h("h4", { id: "plan-actions" }, t("plan_done")),
    actions.length ? h("ul", { class: "plan-list", "aria-labelledby": "plan-actions" }, actions.map((e) => entryItem(e, now)))
      : h("p", { class: "muted" }, t("none")),
    foldable(d, "plan-add", t("plan_add"), entryForm(d, onChanged)));
  if (config.me.sees_everything) {
    section.append(foldable(d, "plan-publish", t("plan_public_page"), publishForm(d, onChanged)));
  }
  return section;
}
