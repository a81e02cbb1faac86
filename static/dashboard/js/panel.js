// The detail panel of an incident or a concern: facts, status actions, notes, timeline,
// linked items, follow-ups and (for supervisors) the form to assign one.
import {
  api, clearFormErrors, config, fmtDateTime, fmtWhen, h, label, showFormErrors, t,
} from "./core.js";
import { assessmentSection } from "./assessment.js";
import { dispatchSection } from "./dispatch-ui.js";
import { assignForm, compareFollowups, followupCard } from "./followups-ui.js";
import { concernFeedback, reporterLanguage } from "./resident-message.js";
import { concernPlanSection } from "./concern-plan.js";
import { concernSvg, incidentSvg } from "./symbols.js";

const PATH = { incident: "incidents", concern: "concerns" };

function statusKind(kind) { return kind === "incident" ? "incident_status" : "concern_status"; }

function idOf(value) { return value && typeof value === "object" ? value.id : value; }

// A form control's identity across re-renders: its item (follow-up card), its form, its name.
function draftKey(el) {
  return `${el.closest("[data-id]")?.dataset.id ?? ""}|${el.form?.className ?? ""}|${el.name}`;
}

export class DetailPanel {
  /** @param {HTMLElement} root  @param {{onClose, onOpenItem, onLoaded}} hooks */
  constructor(root, { onClose = () => {}, onOpenItem = () => {}, onLoaded = () => {} } = {}) {
    this.root = root;
    this.hooks = { onClose, onOpenItem, onLoaded };
    this.current = null; // {kind, id}
    this.data = null;
    this.loading = null;
    root.addEventListener("keydown", (e) => {
      if (e.key === "Escape") { e.stopPropagation(); this.close(); }
    });
    // A sent form is done with: its values must not come back after the refresh that follows.
    root.addEventListener("submit", (e) => { e.target.dataset.sent = "true"; }, true);
  }

  /** What someone is typing in the panel's forms: live events re-render the panel at any time
   * (another officer's note, a status change), and must not wipe a half-written follow-up. */
  drafts() {
    const drafts = [];
    for (const el of this.root.querySelectorAll("form:not([data-sent]) [name]")) {
      drafts.push({
        key: draftKey(el),
        value: el.type === "checkbox" ? el.checked : el.value,
        formHidden: el.form.hidden,
        focused: el === document.activeElement,
      });
    }
    return drafts;
  }

  restoreDrafts(drafts) {
    const controls = new Map([...this.root.querySelectorAll("form [name]")].map((el) => [draftKey(el), el]));
    for (const draft of drafts) {
      const el = controls.get(draft.key);
      if (!el) continue;
      el.form.hidden = draft.formHidden;
      if (el.type === "checkbox") el.checked = draft.value;
      else {
        el.value = draft.value;
        // A list still loading (officers) takes the value when its options arrive.
        if (el.tagName === "SELECT" && el.value !== draft.value) el.dataset.draft = draft.value;
      }
      if (draft.focused) el.focus({ preventScroll: true });
    }
  }

  isShowing(kind, id) {
    return this.current && this.current.kind === kind && String(this.current.id) === String(id);
  }

  async open(kind, id, { focus = true } = {}) {
    if (!this.isShowing(kind, id)) this.revealed = null;
    this.current = { kind, id };
    this.root.hidden = false;
    document.body.classList.add("has-detail");
    if (!this.data || !this.isShowing(kind, this.data.__id?.id)) {
      this.root.replaceChildren(h("p", { class: "panel-loading" }, t("loading")));
    }
    await this.refresh();
    if (focus && this.isShowing(kind, id)) this.root.querySelector("h2")?.focus();
  }

  async refresh() {
    if (!this.current) return;
    const { kind, id } = this.current;
    const ticket = Symbol("load");
    this.loading = ticket;
    try {
      const { data } = await api(`${PATH[kind]}/${id}/`);
      if (this.loading !== ticket || !this.isShowing(kind, id)) return;
      data.__id = { kind, id };
      this.data = data;
      this.render(kind, data);
      this.hooks.onLoaded(kind, data);
    } catch (err) {
      if (this.loading !== ticket) return;
      this.root.replaceChildren(this.header(kind, null), h("p", { class: "alert alert-error", role: "alert" },
        err.status === 404 ? t("no_results") : t("error")));
    }
  }

  close() {
    if (!this.current) return;
    const was = this.current;
    this.current = null;
    this.data = null;
    this.rendered = null;
    this.revealed = null;
    this.root.hidden = true;
    this.root.replaceChildren();
    document.body.classList.remove("has-detail");
    this.hooks.onClose(was);
  }

  header(kind, d) {
    const symbol = d ? (kind === "incident" ? incidentSvg(d.priority, d.status, 22) : concernSvg(d.status, 24)) : null;
    return h("header", { class: "panel-head" },
      h("span", { class: "panel-symbol" }, symbol),
      h("div", { class: "panel-titles" },
        h("p", { class: "panel-kind" }, `${t(kind)}${d?.reference ? ` · ${d.reference}` : ""}`),
        h("h2", { id: "detail-title", tabindex: "-1" }, d ? d.title || label("category", d.category) : t("loading"))),
      h("button", { type: "button", class: "btn btn-icon panel-close", "aria-label": t("close"), title: t("close"), onclick: () => this.close() }, "×"));
  }

  render(kind, d) {
    const scroll = this.root.querySelector(".panel-body")?.scrollTop ?? 0;
    const same = this.rendered?.kind === kind && String(this.rendered.id) === String(d.id);
    const drafts = same ? this.drafts() : [];
    const body = h("div", { class: "panel-body" },
      this.facts(kind, d),
      this.statusActions(kind, d),
      kind === "concern" ? assessmentSection(d, { onChanged: () => this.refresh() }) : null,
      kind === "incident" ? dispatchSection(this, d) : null,
      kind === "incident" && d.has_reporter_contact ? this.reporter(d) : null,
      this.links(kind, d),
      kind === "concern" ? concernPlanSection(d, { onChanged: () => this.refresh() }) : null,
      this.followups(kind, d),
      kind === "concern" ? concernFeedback(d.id) : null,
      this.notes(kind, d),
      this.timeline(kind, d));
    this.root.replaceChildren(this.header(kind, d), body);
    this.restoreDrafts(drafts);
    this.rendered = { kind, id: d.id };
    body.scrollTop = scroll;
  }

  facts(kind, d) {
    const rows = [
      [t("status"), h("span", { class: `badge badge-status st-${d.status}` }, label(statusKind(kind), d.status))],
      [t("priority"), h("span", { class: `prio prio-${d.priority}` }, label("priority", d.priority))],
      [t("category"), label("category", idOf(d.category)?.code ?? idOf(d.category))],
      [t("address"), d.address || "—"],
      [t("area"), d.area_name || (d.area ? "" : t("no_area"))],
    ];
    if (kind === "incident") rows.push([t("reported_at"), h("time", { datetime: d.reported_at }, fmtDateTime(d.reported_at))]);
    if (kind === "concern" && d.next_review_on) rows.push([t("next_review"), d.next_review_on.split("-").reverse().join("/")]);
    if (kind === "concern" && d.partners) rows.push([t("partners"), d.partners]);
    if (d.updated_at) rows.push([t("updated_at"), h("time", { datetime: d.updated_at }, fmtDateTime(d.updated_at))]);
    return h("section", { class: "panel-section" },
      h("dl", { class: "facts" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
      d.description ? h("p", { class: "description" }, d.description) : null);
  }

  statusActions(kind, d) {
    // "Dispatched" is reached only by sending a unit, from the dispatch section, never by a
    // plain status button.
    const allowed = (d.allowed_transitions ?? []).map((x) => (typeof x === "object" ? x.status ?? x.value : x))
      .filter((status) => !(kind === "incident" && status === "dispatched"));
    const section = h("section", { class: "panel-section", "aria-labelledby": "st-actions-title" },
      h("h3", { id: "st-actions-title" }, t("change_status")));
    if (!allowed.length) {
      section.append(h("p", { class: "muted" }, t("no_next_status")));
      return section;
    }
    const group = h("div", { class: "status-actions", role: "group", "aria-labelledby": "st-actions-title" });
    for (const status of allowed) {
      group.append(h("button", {
        type: "button", class: `btn btn-status to-${status}`, dataset: { status },
        onclick: async (e) => {
          group.querySelectorAll("button").forEach((b) => { b.disabled = true; });
          section.querySelector(".field-error")?.remove();
          try {
            await api(`${PATH[kind]}/${d.id}/transition/`, { method: "POST", body: { status } });
            await this.refresh();
          } catch (err) {
            showFormErrors(section, err);
            group.querySelectorAll("button").forEach((b) => { b.disabled = false; });
            if (err.status === 409) this.refresh();
          }
          e.preventDefault();
        },
      }, label(statusKind(kind), status)));
    }
    section.append(group);
    return section;
  }

  /** The reporter's contact is never in the detail: revealing it is an explicit request with a
   * purpose, logged once by the server. What was revealed stays on screen (kept here, not
   * fetched again) while the panel shows this incident, whatever live events re-render it. */
  reporter(d) {
    const section = h("section", { class: "panel-section reporter", "aria-labelledby": "reporter-title" },
      h("h3", { id: "reporter-title" }, t("reporter")));
    const shown = this.revealed && String(this.revealed.id) === String(d.id) ? this.revealed.contact : null;
    if (shown) {
      section.append(
        h("dl", { class: "facts reporter-contact" },
          shown.name ? [h("dt", {}, t("reporter_name")), h("dd", {}, shown.name)] : null,
          shown.phone ? [h("dt", {}, t("reporter_phone")), h("dd", {}, h("a", { href: `tel:${shown.phone}` }, shown.phone))] : null,
          shown.email ? [h("dt", {}, t("reporter_email")), h("dd", {}, h("a", { href: `mailto:${shown.email}` }, shown.email))] : null),
        shown.language ? reporterLanguage(d.id, shown.language) : null,
        h("p", { class: "muted small" }, t("reporter_logged")));
      return section;
    }
    if (!d.can_reveal_contact) {
      section.append(h("p", { class: "muted" }, t("reveal_not_allowed")));
      return section;
    }
    const purposes = config.purposes ?? [];
    const reason = h("div", { class: "field reveal-reason", hidden: true },
      h("label", { for: "reveal-text" }, t("reveal_reason")),
      h("input", { id: "reveal-text", name: "purpose_text", type: "text", maxlength: 400 }));
    const select = h("select", { id: "reveal-purpose", name: "purpose", required: true },
      h("option", { value: "" }, t("reveal_choose")),
      purposes.map((p) => h("option", { value: p.code }, p.name)));
    const syncReason = () => {
      const needs = purposes.find((p) => p.code === select.value)?.needs_text ?? false;
      reason.hidden = !needs;
      reason.querySelector("input").required = needs;
    };
    select.addEventListener("change", syncReason);
    const form = h("form", { class: "reveal-form stack", hidden: true },
      h("div", { class: "field" }, h("label", { for: "reveal-purpose" }, t("reveal_purpose")), select),
      reason,
      h("div", { class: "form-actions" },
        h("button", { type: "submit", class: "btn btn-primary" }, t("reveal_submit"))));
    const open = h("button", { type: "button", class: "btn reveal-button", onclick: () => {
      form.hidden = false;
      open.hidden = true;
      select.focus();
    } }, t("reveal_contact"));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearFormErrors(form);
      try {
        const { data } = await api(`incidents/${d.id}/reveal-contact/`, {
          method: "POST", body: { purpose: select.value, purpose_text: form.elements.purpose_text.value },
        });
        this.revealed = { id: d.id, contact: data };
        if (this.data && String(this.data.id) === String(d.id)) this.render("incident", this.data);
      } catch (err) {
        delete form.dataset.sent;
        showFormErrors(form, err);
      }
    });
    // A re-render while the form is open keeps it open (drafts restore the values).
    queueMicrotask(() => { syncReason(); open.hidden = !form.hidden; });
    section.append(h("p", { class: "muted small" }, t("reveal_explain")), open, form);
    return section;
  }

  links(kind, d) {
    if (kind === "incident") {
      if (!d.concern) return null;
      const c = typeof d.concern === "object"
        ? d.concern : { id: d.concern, reference: d.concern_reference, title: d.concern_title };
      return h("section", { class: "panel-section" },
        h("h3", {}, t("linked_concern")),
        h("button", { type: "button", class: "link-button", onclick: () => this.hooks.onOpenItem("concern", c.id) },
          [c.reference, c.title].filter(Boolean).join(" · ") || `#${c.id}`));
    }
    const items = d.incidents ?? d.linked_incidents ?? [];
    return h("section", { class: "panel-section", "aria-labelledby": "linked-title" },
      h("h3", { id: "linked-title" }, t("linked_incidents"), h("span", { class: "count" }, String(items.length))),
      items.length ? h("ul", { class: "linked" }, items.map((i) => {
        const inc = typeof i === "object" ? i : { id: i };
        return h("li", {}, h("button", { type: "button", class: "link-button", onclick: () => this.hooks.onOpenItem("incident", inc.id) },
          inc.status ? h("span", {}, incidentSvg(inc.priority, inc.status, 14)) : null,
          ` ${[inc.reference, inc.title].filter(Boolean).join(" · ") || `#${inc.id}`}`,
          inc.reported_at ? h("span", { class: "muted" }, ` · ${fmtWhen(inc.reported_at)}`) : null));
      })) : h("p", { class: "muted" }, t("none")));
  }

  followups(kind, d) {
    const list = [...(d.followups ?? [])].sort(compareFollowups);
    const section = h("section", { class: "panel-section", "aria-labelledby": "fu-section-title" },
      h("h3", { id: "fu-section-title" }, t("followups"), h("span", { class: "count" }, String(list.length))));
    if (list.length) {
      section.append(h("div", { class: "fu-list" }, list.map((f) => followupCard(
        { ...f, item_reference: f.item_reference ?? d.reference },
        { showItem: false, onChanged: () => this.refresh() }))));
    } else section.append(h("p", { class: "muted" }, t("no_followups")));
    if (config.me.can_assign) {
      const details = h("details", { class: "assign", open: list.length === 0 ? true : null },
        h("summary", {}, t("assign_followup")),
        assignForm(kind, d.id, () => this.refresh()));
      section.append(details);
    }
    return section;
  }

  notes(kind, d) {
    const form = h("form", { class: "note-form stack" },
      h("h3", { id: "note-title" }, h("label", { for: "note-text" }, t("add_note"))),
      h("textarea", { id: "note-text", name: "text", rows: 2, required: true, placeholder: t("note_placeholder") }),
      h("div", { class: "form-actions" }, h("button", { type: "submit", class: "btn" }, t("add_note"))));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearFormErrors(form);
      try {
        await api(`${PATH[kind]}/${d.id}/notes/`, { method: "POST", body: { text: form.elements.text.value } });
        form.reset();
        await this.refresh();
      } catch (err) {
        showFormErrors(form, err);
      }
    });
    return h("section", { class: "panel-section" }, form);
  }

  timeline(kind, d) {
    const entries = [...(d.timeline ?? [])].sort((a, b) => new Date(b.created_at) - new Date(a.created_at) || (b.id ?? 0) - (a.id ?? 0));
    return h("section", { class: "panel-section", "aria-labelledby": "tl-title" },
      h("h3", { id: "tl-title" }, t("timeline")),
      h("ol", { class: "timeline" }, entries.map((e) => h("li", { class: `tl tl-${e.kind}` },
        h("div", { class: "tl-head" },
          h("span", { class: "tl-kind" }, t(`timeline_${e.kind}`)),
          e.to_status ? h("span", { class: "tl-status" },
            ` ${label(statusKind(kind), e.from_status)} → ${label(statusKind(kind), e.to_status)}`) : null,
          h("time", { datetime: e.created_at, title: fmtDateTime(e.created_at) }, fmtWhen(e.created_at))),
        e.text ? h("p", { class: "tl-text" }, e.text) : null,
        e.actor || e.actor_name ? h("p", { class: "tl-actor muted small" }, e.actor_name || e.actor) : null))));
  }
}
