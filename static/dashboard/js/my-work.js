// "My work": the follow-ups assigned to me, soonest due first; start them, finish them, live.
import { announce, apiAll, config, debounce, h, t } from "./core.js";
import { compareFollowups, followupCard, isOpen, isOverdue, summaryStats } from "./followups-ui.js";
import { LiveFeed } from "./live.js";

const DONE_DAYS = 7;
const todo = document.getElementById("todo");
const done = document.getElementById("done");
const summary = document.getElementById("work-summary");
const seen = new Set();
let firstLoad = true;
let items = [];

async function load() {
  const result = await apiAll("followups/", { assignee: "me", ordering: "due_at", page_size: 500 });
  items = result.items;
  render();
  return result.sequence;
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
    if (msg.kind !== "followup.upserted") return;
    const p = msg.payload ?? {};
    // Mine now, or mine before (reassigned away): either way the list changes.
    if (p.assignee === config.me.id || items.some((f) => f.id === p.id) || p.assignee_patrol) reloadSoon();
  },
});
window.koban = { live, reload: load };
setInterval(render, 60000);
load().then((seq) => { live.start(seq); document.documentElement.dataset.ready = "true"; })
  .catch(() => { announce(t("load_failed")); live.start(0); });
