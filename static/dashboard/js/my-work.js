// "My work": the incidents sent to me or my patrol (record "on scene" and "resolved"), and the
// follow-ups assigned to me or my patrol, soonest due first; start them, finish them, live.
import { announce, api, apiAll, config, debounce, fmtWhen, h, label, showFormErrors, t } from "./core.js";
import { compareFollowups, followupCard, isOpen, isOverdue, summaryStats } from "./followups-ui.js";
import { LiveFeed } from "./live.js";

const DONE_DAYS = 7;
const todo = document.getElementById("todo");
const done = document.getElementById("done");
const summary = document.getElementById("work-summary");
const sent = document.getElementById("work-incidents");
// The unit's next step on an incident sent to it.
const NEXT = { dispatched: "on_scene", on_scene: "resolved" };
const seen = new Set();
let firstLoad = true;
let items = [];
let incidents = [];

async function load() {
  const [result, mine] = await Promise.all([
    apiAll("followups/", { assignee: "me", ordering: "due_at", page_size: 500 }),
    apiAll("incidents/", { assignee: "me", status: "dispatched,on_scene", page_size: 200 }),
  ]);
  items = result.items;
  incidents = mine.items;
  render();
  renderIncidents();
  return Math.min(result.sequence ?? 0, mine.sequence ?? 0);
}

function incidentCard(i) {
  const next = NEXT[i.status];
  const card = h("article", { class: "work-incident", dataset: { id: i.id, status: i.status } },
    h("p", {},
      h("a", { href: `${config.urls.operations}?incident=${i.id}` }, `${i.reference} · ${i.title || label("category", i.category)}`),
      " ", h("span", { class: `badge badge-status st-${i.status}` }, label("incident_status", i.status))),
    h("p", { class: "muted small" }, [i.address, i.area_name, fmtWhen(i.reported_at)].filter(Boolean).join(" · ")));
  if (next) {
    card.append(h("div", { class: "actions" }, h("button", {
      type: "button", class: `btn btn-status to-${next}`, dataset: { status: next },
      onclick: async (e) => {
        e.currentTarget.disabled = true;
        try {
          await api(`incidents/${i.id}/transition/`, { method: "POST", body: { status: next } });
        } catch (err) {
          showFormErrors(card, err);
        }
        reloadSoon();
      },
    }, label("incident_status", next))));
  }
  if (!firstIncidents && !seenIncidents.has(`${i.id}:${i.status}`)) card.classList.add("flash");
  return card;
}

const seenIncidents = new Set();
let firstIncidents = true;

function renderIncidents() {
  sent.replaceChildren(...incidents.map(incidentCard));
  if (!incidents.length) sent.append(h("p", { class: "muted" }, t("no_incidents_sent")));
  seenIncidents.clear();
  for (const i of incidents) seenIncidents.add(`${i.id}:${i.status}`);
  firstIncidents = false;
}

function render() {
  const since = Date.now() - DONE_DAYS * 86400000;
  const open = items.filter(isOpen).sort(compareFollowups);
  const finished = items.filter((f) => !isOpen(f)
    && new Date(f.completed_at || f.due_at).getTime() >= since).sort(compareFollowups);
  const card = (f) => {
    const el = followupCard(f, { onChanged: () => reloadSoon() });
    if (!firstLoad && !seen.has(`${f.id}:${f.status}`)) el.classList.add("flash");
    return el;
  };
  todo.replaceChildren(...open.map(card));
  if (!open.length) todo.append(h("p", { class: "empty-state" }, t("no_work")));
  done.replaceChildren(...finished.map(card));
  if (!finished.length) done.append(h("p", { class: "muted" }, t("none")));
  seen.clear();
  for (const f of items) seen.add(`${f.id}:${f.status}`);
  firstLoad = false;
  summary.replaceChildren(...summaryStats(open.filter((f) => isOverdue(f)).length, open.length));
}

const reloadSoon = debounce(() => load().catch(() => announce(t("load_failed"))), 200);

const live = new LiveFeed({
  path: config.ws,
  reload: load,
  onEvent: (msg) => {
    // An incident event reaches me only if I may see it (or it just left my view): it may
    // have been sent to me, or taken off me.
    if (msg.kind.startsWith("incident.")) { reloadSoon(); return; }
    const p = msg.payload ?? {};
    if (msg.kind === "followup.removed") { if (items.some((f) => f.id === p.id)) reloadSoon(); return; }
    if (msg.kind !== "followup.upserted") return;
    // Mine now, or mine before (reassigned away): either way the list changes.
    if (p.assignee === config.me.id || items.some((f) => f.id === p.id) || p.assignee_patrol) reloadSoon();
  },
});
window.koban = { live, reload: load };
setInterval(render, 60000);
load().then((seq) => { live.start(seq); document.documentElement.dataset.ready = "true"; })
  .catch(() => { announce(t("load_failed")); live.start(0); });
