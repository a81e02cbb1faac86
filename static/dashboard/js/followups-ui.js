// Follow-up cards and forms, shared by the detail panel, the supervisors' board and "my work".
import {
  api, apiAll, clearFormErrors, config, fmtDateTime, fmtRelative, fmtWhen, h, isoToWallTime,
  label, showFormErrors, t, wallTimeToIso,
} from "./core.js";
import { residentMessageBox } from "./resident-message.js";

const OPEN = new Set(["open", "in_progress"]);
let officersPromise = null;

/** People a supervisor can assign work to (loaded once per page). */
export function loadOfficers() {
  if (!config.me.can_assign) return Promise.resolve([]);
  officersPromise ??= apiAll("users/", { role: "Officer" })
    .then(({ items }) => items.sort((a, b) => (a.name || a.username).localeCompare(b.name || b.username)))
    .catch(() => { officersPromise = null; return []; });
  return officersPromise;
}

/** Still to do (open or in progress), as opposed to done or cancelled. */
export function isOpen(f) {
  return OPEN.has(f.status);
}

export function isOverdue(f, now = Date.now()) {
  if (typeof f.overdue === "boolean" && OPEN.has(f.status)) {
    // The server decided at response time; a live page keeps the decision current itself.
    return f.overdue || new Date(f.due_at).getTime() < now;
  }
  return OPEN.has(f.status) && new Date(f.due_at).getTime() < now;
}

/** Overdue first (most overdue first), then soonest due; finished ones last, newest first. */
export function compareFollowups(a, b) {
  const ao = OPEN.has(a.status), bo = OPEN.has(b.status);
  if (ao !== bo) return ao ? -1 : 1;
  if (!ao) return new Date(b.completed_at || b.due_at) - new Date(a.completed_at || a.due_at);
  return new Date(a.due_at) - new Date(b.due_at) || a.id - b.id;
}

function itemLink(f) {
  const kind = f.incident ? "incident" : "concern";
  const id = f.incident || f.concern;
  const href = `${config.urls.operations}?${kind}=${id}`;
  return h("a", { href, class: "fu-item-link" }, f.item_reference || `#${id}`);
}

export function defaultDue(hours = 24) {
  const d = new Date(Date.now() + hours * 3600 * 1000);
  d.setMinutes(0, 0, 0);
  return isoToWallTime(d.toISOString());
}

function officerSelect(name, officers, selected, id) {
  return h("select", { name, id, required: true },
    h("option", { value: "" }, t("select_assignee")),
    officers.map((o) => h("option", { value: o.id, selected: String(o.id) === String(selected) }, o.name || o.username)));
}

let uid = 0;

/**
 * One follow-up as a card with the actions this user may take.
 * @param {object} f follow-up as the API returns it
 * @param {object} o {onChanged(updated), showItem}
 */
export function followupCard(f, { onChanged = () => {}, showItem = true } = {}) {
  uid += 1;
  const me = config.me;
  const open = OPEN.has(f.status);
  const overdue = isOverdue(f);
  const mine = f.assignee === me.id;
  const card = h("article", {
    class: `fu-card fu-${f.status}${overdue ? " is-overdue" : ""}`,
    dataset: { followupId: f.id, status: f.status, due: new Date(f.due_at).toISOString() },
    "aria-labelledby": `fu-title-${uid}`,
  });
  const badges = h("div", { class: "fu-badges" },
    h("span", { class: `badge badge-fu-${f.status}` }, label("followup_status", f.status)),
    overdue ? h("span", { class: "badge badge-overdue" }, t("overdue")) : null,
    f.tell_resident ? h("span", { class: "badge badge-tell" }, t("tell_resident")) : null);
  const assignee = f.assignee_name || f.assignee_patrol_call_sign || t("unassigned");
  card.append(...[
    badges,
    h("h3", { class: "fu-title", id: `fu-title-${uid}` }, f.title),
    showItem ? h("p", { class: "fu-item" }, itemLink(f), f.item_title ? ` · ${f.item_title}` : "",
      f.area_name ? h("span", { class: "fu-area" }, ` · ${f.area_name}`) : null) : null,
    h("p", { class: "fu-meta" },
      h("span", { class: "fu-due" }, `${t("due")}: `,
        h("time", { datetime: f.due_at, title: fmtDateTime(f.due_at) }, fmtWhen(f.due_at)),
        open ? ` (${fmtRelative(f.due_at)})` : ""),
      h("span", { class: "fu-assignee" }, ` · ${assignee}`),
      f.assigned_by_name ? h("span", { class: "fu-by" }, ` · ${t("assigned_by")} ${f.assigned_by_name}`) : null),
    !open && f.outcome ? h("p", { class: "fu-outcome" }, h("strong", {}, `${t("outcome")}: `), f.outcome,
      f.completed_at ? h("span", { class: "fu-done-at" }, ` · ${fmtWhen(f.completed_at)}`) : null) : null,
  ].filter(Boolean));
  const canWork = mine || me.can_assign;
  // Done and the resident must be told: the drafted message, its delivery and the answer.
  if (f.status === "done" && f.tell_resident) card.append(residentMessageBox(f, { canWork, onChanged }));
  if (!open) return card;

  const actions = h("div", { class: "fu-actions" });
  // The server says which moves are possible; without that list, fall back to the lifecycle.
  const allowed = f.allowed_transitions ?? (f.status === "open" ? ["in_progress", "done"] : ["done"]);
  const complete = completeForm(f, onChanged);
  const reassign = me.can_assign ? reassignForm(f, onChanged) : null;
  const toggle = (form) => {
    const show = form.hidden;
    card.querySelectorAll(".fu-form").forEach((x) => { x.hidden = true; });
    form.hidden = !show;
    if (show) form.querySelector("textarea, select, input")?.focus();
  };
  if (canWork && allowed.includes("in_progress") && f.status === "open") {
    actions.append(h("button", {
      type: "button", class: "btn btn-small", dataset: { action: "start" },
      onclick: async (e) => {
        e.currentTarget.disabled = true;
        try {
          const { data } = await api(`followups/${f.id}/start/`, { method: "POST", body: {} });
          onChanged(data);
        } catch (err) {
          e.currentTarget.disabled = false;
          card.prepend(h("p", { class: "field-error", role: "alert" }, t("error")));
        }
      },
    }, t("start")));
  }
  if (canWork && allowed.includes("done")) {
    actions.append(h("button", {
      type: "button", class: "btn btn-small btn-primary", dataset: { action: "complete" },
      "aria-expanded": "false", onclick: (e) => { toggle(complete); e.currentTarget.setAttribute("aria-expanded", String(!complete.hidden)); },
    }, t("complete")));
  }
  if (reassign) {
    actions.append(h("button", {
      type: "button", class: "btn btn-small btn-quiet", dataset: { action: "reassign" },
      onclick: () => toggle(reassign),
    }, t("reassign")));
  }
  if (actions.childElementCount) card.append(actions, complete);
  if (reassign) card.append(reassign);
  return card;
}

function completeForm(f, onChanged) {
  const id = `fu-outcome-${f.id}-${uid}`;
  const form = h("form", { class: "fu-form fu-complete stack", hidden: true },
    h("label", { for: id }, t("outcome")),
    h("textarea", { id, name: "outcome", rows: 3, required: true, placeholder: t("outcome_placeholder") }),
    f.tell_resident ? h("label", { class: "check" },
      h("input", { type: "checkbox", name: "resident_told" }), ` ${t("resident_told")}`) : null,
    h("div", { class: "form-actions" },
      h("button", { type: "submit", class: "btn btn-primary btn-small" }, t("complete_submit")),
      h("button", { type: "button", class: "btn btn-quiet btn-small", onclick: () => { form.hidden = true; } }, t("cancel"))));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFormErrors(form);
    const button = form.querySelector("[type=submit]");
    button.disabled = true;
    try {
      const { data } = await api(`followups/${f.id}/complete/`, {
        method: "POST",
        body: { outcome: form.outcome.value, resident_told: Boolean(form.resident_told?.checked) },
      });
      onChanged(data);
    } catch (err) {
      showFormErrors(form, err);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function reassignForm(f, onChanged) {
  const sid = `fu-re-${f.id}-${uid}`;
  const did = `fu-due-${f.id}-${uid}`;
  const select = officerSelect("assignee", [], f.assignee, sid);
  loadOfficers().then((officers) => select.replaceWith(officerSelect("assignee", officers, f.assignee, sid)));
  const form = h("form", { class: "fu-form fu-reassign stack", hidden: true },
    h("label", { for: sid }, t("assignee")), select,
    h("label", { for: did }, t("due")),
    h("input", { type: "datetime-local", id: did, name: "due_at", value: isoToWallTime(f.due_at) }),
    h("div", { class: "form-actions" },
      h("button", { type: "submit", class: "btn btn-primary btn-small" }, t("reassign")),
      h("button", { type: "button", class: "btn btn-quiet btn-small", onclick: () => { form.hidden = true; } }, t("cancel"))));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFormErrors(form);
    const body = { assignee: Number(form.assignee.value) || null };
    const due = wallTimeToIso(form.due_at.value);
    if (due && form.due_at.value !== isoToWallTime(f.due_at)) body.due_at = due;
    try {
      const { data } = await api(`followups/${f.id}/reassign/`, { method: "POST", body });
      onChanged(data);
    } catch (err) {
      showFormErrors(form, err);
    }
  });
  return form;
}

/** The "n overdue · n follow-ups" figures above the board and "my work". */
export function summaryStats(overdue, open) {
  return [
    h("span", { class: `stat${overdue ? " is-bad" : ""}` }, h("strong", {}, String(overdue)), t("overdue")),
    h("span", { class: "stat" }, h("strong", {}, String(open)), t("followups")),
  ];
}

/** The supervisor's "assign a follow-up" form for an incident or a concern. */
export function assignForm(kind, itemId, onAssigned) {
  uid += 1;
  const ids = { title: `fa-title-${uid}`, who: `fa-who-${uid}`, due: `fa-due-${uid}`, tell: `fa-tell-${uid}` };
  const select = officerSelect("assignee", [], null, ids.who);
  loadOfficers().then((officers) => {
    const filled = officerSelect("assignee", officers, select.dataset.draft || select.value, ids.who);
    select.replaceWith(filled);
  });
  const form = h("form", { class: "assign-form stack", id: `assign-form-${uid}` },
    h("label", { for: ids.title }, t("what_to_do")),
    h("input", { id: ids.title, name: "title", required: true, maxlength: 255 }),
    h("div", { class: "row2" },
      h("div", { class: "field" }, h("label", { for: ids.who }, t("assignee")), select),
      h("div", { class: "field" }, h("label", { for: ids.due }, t("due")),
        h("input", { type: "datetime-local", id: ids.due, name: "due_at", required: true, value: defaultDue() }))),
    h("label", { class: "check", for: ids.tell },
      h("input", { type: "checkbox", id: ids.tell, name: "tell_resident" }), ` ${t("tell_resident")}`),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "btn btn-primary" }, t("assign"))));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFormErrors(form);
    const button = form.querySelector("[type=submit]");
    button.disabled = true;
    try {
      const { data } = await api("followups/", {
        method: "POST",
        body: {
          [kind]: itemId,
          title: form.elements.title.value,
          assignee: Number(form.assignee.value) || null,
          due_at: wallTimeToIso(form.due_at.value),
          tell_resident: form.tell_resident.checked,
        },
      });
      form.reset();
      form.due_at.value = defaultDue();
      onAssigned(data);
    } catch (err) {
      showFormErrors(form, err);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
