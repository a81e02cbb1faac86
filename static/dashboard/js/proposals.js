// Repeat-place proposals (issue 16): the supervisors' map layer, kept live, and the panel where
// a person decides each one (accept as a concern, merge into one, or dismiss with a reason).
// Places and times only: a proposal never names a resident, an officer or a user as a feature.
/* global L */
import {
  api, apiAll, clearFormErrors, config, fmtDateTime, fmtWhen, h, label, showFormErrors, t,
} from "./core.js";

const COLOUR = "#7a3db8";
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

const ProposalIcon = L.DivIcon.extend({
  options: { html: false },
  createIcon(oldIcon) {
    const div = L.DivIcon.prototype.createIcon.call(this, oldIcon);
    div.replaceChildren(this.options.build());
    return div;
  },
});

function ringToLatLngs(ring) {
  return (ring ?? []).map(([lon, lat]) => [lat, lon]);
}

export class ProposalsLayer {
  /** @param {L.Map} map
   * @param {{onOpenItem(kind, id), closeDetail(), concerns(): {id, reference, title}[]}} hooks */
  constructor(map, { onOpenItem = () => {}, closeDetail = () => {}, concerns = () => [] } = {}) {
    this.map = map;
    this.hooks = { onOpenItem, closeDetail, concerns };
    this.layer = L.layerGroup();
    this.items = new Map(); // id -> {props, shape, marker}
    this.enabled = Boolean(config.me.sees_everything);
    this.loaded = false;
    this.current = null;
    if (!this.enabled) return;
    this.root = h("aside", {
      class: "detail proposal-panel", id: "proposal-detail", hidden: true, tabindex: "-1",
      "aria-labelledby": "proposal-title",
    });
    this.root.addEventListener("keydown", (e) => {
      if (e.key === "Escape") { e.stopPropagation(); this.close(); }
    });
    document.getElementById("ops").append(this.root);
    // The incident/concern panel takes the same place: opening it closes this one.
    const detail = document.getElementById("detail");
    new MutationObserver(() => { if (!detail.hidden) this.close(); })
      .observe(detail, { attributes: true, attributeFilter: ["hidden"] });
    this.addToggle();
  }

  addToggle() {
    const box = h("input", { type: "checkbox", name: "proposals-layer", id: "layer-proposals" });
    box.addEventListener("change", () => this.show(box.checked));
    document.getElementById("layers")?.append(
      h("label", { class: "check", for: "layer-proposals" }, box,
        h("span", { class: "rp-swatch", "aria-hidden": "true" }), ` ${t("rp_layer")}`,
        h("span", { class: "count", id: "count-proposals" }, "")));
  }

  async show(on) {
    if (!on) { this.map.removeLayer(this.layer); return; }
    this.layer.addTo(this.map);
    if (!this.loaded) await this.load();
  }

  async load() {
    const { items } = await apiAll("repeat-places/geojson/", { page_size: 1000 });
    this.layer.clearLayers();
    this.items.clear();
    for (const f of items) {
      this.upsert({
        ...f.properties, id: f.id ?? f.properties.id, place: f.geometry?.coordinates?.[0] ?? [],
      });
    }
    this.loaded = true;
    this.updateCount();
  }

  /** A live `repeat_place.upserted` payload: waiting ones are drawn, decided ones removed. */
  apply(payload) {
    if (!this.enabled) return;
    if (this.loaded) {
      this.upsert(payload);
      this.updateCount();
    }
    if (this.current === payload.id) this.refresh();
  }

  upsert(p) {
    const existing = this.items.get(p.id);
    if (existing) {
      this.layer.removeLayer(existing.shape);
      this.layer.removeLayer(existing.marker);
      this.items.delete(p.id);
    }
    if (p.status !== "proposed") return;
    const latlngs = ringToLatLngs(p.place);
    if (!latlngs.length) return;
    const open = () => this.open(p.id);
    const name = `${label("category", p.category)} · ${t("rp_count", { n: p.incident_count })}`;
    const shape = L.polygon(latlngs, {
      color: COLOUR, weight: 2, dashArray: "6 4", fillColor: COLOUR, fillOpacity: 0.15,
      className: "rp-place",
    }).on("click", open).bindTooltip(h("span", {}, name), { sticky: true });
    const centre = shape.getBounds().getCenter();
    const marker = L.marker(centre, {
      icon: new ProposalIcon({
        className: "mk-wrap", iconSize: [26, 26],
        build: () => h("span", { class: "mk-proposal", dataset: { id: p.id } }, String(p.incident_count)),
      }),
      keyboard: true, title: name, zIndexOffset: 600,
    }).on("click", open);
    this.layer.addLayer(shape);
    this.layer.addLayer(marker);
    this.items.set(p.id, { props: p, shape, marker });
  }

  updateCount() {
    const el = document.getElementById("count-proposals");
    if (el) el.textContent = ` ${this.items.size}`;
  }

  async open(id) {
    this.current = id;
    this.hooks.closeDetail();
    this.root.hidden = false;
    this.root.replaceChildren(h("p", { class: "panel-loading" }, t("loading")));
    await this.refresh();
    this.root.querySelector("h2")?.focus();
  }

  close() {
    if (this.current === null) return;
    this.current = null;
    this.root.hidden = true;
    this.root.replaceChildren();
  }

  async refresh() {
    const id = this.current;
    if (id === null) return;
    try {
      const { data } = await api(`repeat-places/${id}/`);
      if (this.current === id) this.render(data);
    } catch (err) {
      if (this.current === id) {
        this.root.replaceChildren(h("p", { class: "alert alert-error", role: "alert" }, t("error")));
      }
    }
  }

  render(d) {
    const body = h("div", { class: "panel-body" },
      this.facts(d), this.pattern(d), this.members(d),
      d.status === "proposed" ? this.actions(d) : this.outcome(d),
      this.history(d));
    this.root.replaceChildren(
      h("header", { class: "panel-head" },
        h("span", { class: "panel-symbol" }, h("span", { class: "rp-swatch", "aria-hidden": "true" })),
        h("div", { class: "panel-titles" },
          h("p", { class: "panel-kind" }, `${t("rp_kind")} · ${d.status_label}`),
          h("h2", { id: "proposal-title", tabindex: "-1" },
            `${d.category_label} · ${t("rp_count", { n: d.incident_count })}`)),
        h("button", { type: "button", class: "btn btn-icon panel-close", "aria-label": t("close"), title: t("close"), onclick: () => this.close() }, "×")),
      body);
  }

  facts(d) {
    const rule = d.rule_parameters ?? {};
    const rows = [
      [t("area"), d.area_name || t("no_area")],
      [t("rp_period"), `${fmtDateTime(d.first_reported_at)} – ${fmtDateTime(d.last_reported_at)}`],
      [t("rp_radius"), `${d.radius_m} m`],
      [t("rp_rule"), t("rp_rule_text", { min: rule.min_incidents, m: rule.distance_m, days: rule.window_days })],
    ];
    return h("section", { class: "panel-section" },
      h("p", { class: "description rp-reason" }, d.reason),
      h("dl", { class: "facts" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
      h("p", { class: "muted small" }, t("rp_place_only")));
  }

  pattern(d) {
    const hours = d.hours.map((n, hour) => [hour, n]).filter(([, n]) => n > 0)
      .map(([hour, n]) => `${String(hour).padStart(2, "0")}h: ${n}`).join(" · ");
    return h("section", { class: "panel-section", "aria-labelledby": "rp-pattern-title" },
      h("h3", { id: "rp-pattern-title" }, t("rp_pattern")),
      h("table", { class: "data-table rp-weekdays" },
        h("thead", {}, h("tr", {}, WEEKDAYS.map((w) => h("th", { scope: "col" }, t(`rp_${w}`))))),
        h("tbody", {}, h("tr", {}, d.weekdays.map((n) => h("td", {}, String(n)))))),
      h("p", { class: "small" }, `${t("rp_hours")}: ${hours || "—"}`));
  }

  members(d) {
    return h("section", { class: "panel-section", "aria-labelledby": "rp-members-title" },
      h("h3", { id: "rp-members-title" }, t("linked_incidents"), h("span", { class: "count" }, String(d.incidents.length))),
      h("ul", { class: "linked" }, d.incidents.map((i) => h("li", {},
        h("button", { type: "button", class: "link-button", onclick: () => this.hooks.onOpenItem("incident", i.id) }, i.reference)))));
  }

  actions(d) {
    const section = h("section", { class: "panel-section rp-actions", "aria-labelledby": "rp-decide-title" },
      h("h3", { id: "rp-decide-title" }, t("rp_decide")));
    const accept = h("form", { class: "stack rp-accept" },
      h("div", { class: "field" }, h("label", { for: "rp-title" }, t("rp_concern_title")),
        h("input", { id: "rp-title", name: "title", type: "text", maxlength: 200, placeholder: d.category_label })),
      h("div", { class: "form-actions" }, h("button", { type: "submit", class: "btn btn-primary" }, t("rp_accept"))));
    this.submit(accept, d, "accept", () => ({ title: accept.elements.title.value }));

    const concerns = this.hooks.concerns();
    const merge = h("form", { class: "stack rp-merge" },
      h("div", { class: "field" }, h("label", { for: "rp-concern" }, t("rp_merge_into")),
        h("select", { id: "rp-concern", name: "concern", required: true },
          h("option", { value: "" }, t("rp_choose_concern")),
          concerns.map((c) => h("option", { value: c.id }, `${c.reference} · ${c.title}`)))),
      h("div", { class: "form-actions" }, h("button", { type: "submit", class: "btn" }, t("rp_merge"))));
    this.submit(merge, d, "merge", () => ({ concern: Number(merge.elements.concern.value) || null }));

    const dismiss = h("form", { class: "stack rp-dismiss" },
      h("div", { class: "field" }, h("label", { for: "rp-reason" }, t("rp_dismiss_reason")),
        h("textarea", { id: "rp-reason", name: "reason", rows: 2 })),
      h("div", { class: "form-actions" }, h("button", { type: "submit", class: "btn" }, t("rp_dismiss"))));
    this.submit(dismiss, d, "dismiss", () => ({ reason: dismiss.elements.reason.value }));

    section.append(accept, merge, dismiss);
    return section;
  }

  submit(form, d, verb, body) {
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearFormErrors(form);
      form.querySelectorAll("button").forEach((b) => { b.disabled = true; });
      try {
        const { data } = await api(`repeat-places/${d.id}/${verb}/`, { method: "POST", body: body() });
        this.upsert({ ...(this.items.get(d.id)?.props ?? { id: d.id }), status: data.status });
        this.updateCount();
        if (data.concern) {
          this.close();
          this.hooks.onOpenItem("concern", data.concern);
        } else this.render(data);
      } catch (err) {
        showFormErrors(form, err);
        form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
      }
    });
  }

  outcome(d) {
    return h("section", { class: "panel-section" },
      h("p", {}, d.status_label, d.decided_at ? ` · ${fmtWhen(d.decided_at)}` : ""),
      d.decision_reason ? h("p", { class: "description" }, d.decision_reason) : null,
      d.concern ? h("button", { type: "button", class: "link-button", onclick: () => this.hooks.onOpenItem("concern", d.concern) },
        d.concern_reference) : null);
  }

  history(d) {
    return h("section", { class: "panel-section", "aria-labelledby": "rp-history-title" },
      h("h3", { id: "rp-history-title" }, t("rp_history")),
      h("ol", { class: "timeline rp-history" }, [...d.decisions].reverse().map((x) => h("li", { class: "tl" },
        h("div", { class: "tl-head" }, h("span", { class: "tl-kind" }, x.action_label),
          h("time", { datetime: x.created_at, title: fmtDateTime(x.created_at) }, ` ${fmtWhen(x.created_at)}`)),
        x.reason ? h("p", { class: "tl-text" }, x.reason) : null,
        h("p", { class: "tl-actor muted small" }, x.actor)))));
  }
}
