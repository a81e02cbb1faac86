// The supervisors' follow-up board: lanes by officer or by area, overdue first, live.
import { announce, apiAll, config, debounce, h, minSeq, t } from "./core.js";
import {
  compareFollowups, followupCard, isOpen, isOverdue, loadOfficers, summaryStats,
} from "./followups-ui.js";
import { LiveFeed } from "./live.js";

const DONE_DAYS = 7;
const lanesBox = document.getElementById("lanes");
const summary = document.getElementById("board-summary");
const showDone = document.getElementById("show-done");
let groupBy = "officer";
let followups = [];
const seen = new Set();
let firstLoad = true;

async function load() {
  const since = new Date(Date.now() - DONE_DAYS * 86400000).toISOString();
  const [open, finished] = await Promise.all([
    apiAll("followups/", { status: ["open", "in_progress"], ordering: "due_at", page_size: 500 }),
    apiAll("followups/", { status: ["done", "cancelled"], updated_since: since, page_size: 500 }),
  ]);
  followups = open.items.concat(finished.items);
  render();
  return minSeq([open.sequence, finished.sequence]);
}

function laneKey(f) {
  if (groupBy === "area") return [String(f.area ?? "none"), f.area_name || t("no_area")];
  if (f.assignee) return [`u${f.assignee}`, f.assignee_name || `#${f.assignee}`];
  return [`p${f.assignee_patrol}`, f.assignee_patrol_call_sign || t("unassigned")];
}

function render() {
  const lanes = new Map();
  for (const f of followups) {
    if (!showDone.checked && !isOpen(f)) continue;
    const [key, name] = laneKey(f);
    if (!lanes.has(key)) lanes.set(key, { name, items: [] });
    lanes.get(key).items.push(f);
  }
  const overdueOf = (lane) => lane.items.filter((f) => isOverdue(f)).length;
  const ordered = [...lanes.values()].sort((a, b) => overdueOf(b) - overdueOf(a) || a.name.localeCompare(b.name));
  const cards = [];
  lanesBox.replaceChildren(...ordered.map((lane) => {
    lane.items.sort(compareFollowups);
    const open = lane.items.filter(isOpen);
    const done = lane.items.filter((f) => !isOpen(f));
    const overdue = overdueOf(lane);
    const mk = (f) => {
      const card = followupCard(f, { onChanged: () => reloadSoon() });
      if (!firstLoad && !seen.has(`${f.id}:${f.status}`)) card.classList.add("flash");
      cards.push(f);
      return card;
    };
    return h("section", { class: "lane", "aria-label": lane.name, dataset: { lane: lane.name } },
      h("header", { class: "lane-head" },
        h("h2", {}, lane.name), h("span", { class: "count", title: t("followups") }, String(open.length)),
        overdue ? h("span", { class: "badge badge-overdue" }, t("n_overdue", { n: overdue })) : null),
      h("div", { class: "fu-list" }, open.map(mk)),
      done.length ? h("details", { class: "lane-done", open: true },
        h("summary", {}, `${t("done_recently")} (${done.length})`), h("div", { class: "fu-list" }, done.map(mk))) : null);
  }));
  if (!ordered.length) lanesBox.append(h("p", { class: "empty-state" }, t("no_followups")));
  seen.clear();
  for (const f of cards) seen.add(`${f.id}:${f.status}`);
  firstLoad = false;
  summary.replaceChildren(...summaryStats(
    followups.filter((f) => isOverdue(f)).length, followups.filter(isOpen).length));
}

const reloadSoon = debounce(() => load().catch(() => announce(t("load_failed"))), 200);

document.querySelectorAll("[data-group]").forEach((button) => button.addEventListener("click", () => {
  groupBy = button.dataset.group;
  document.querySelectorAll("[data-group]").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
  render();
}));
showDone.addEventListener("change", render);

const live = new LiveFeed({
  path: config.ws,
  reload: load,
  onEvent: (msg) => { if (msg.kind === "followup.upserted" || msg.kind === "followup.removed") reloadSoon(); },
});
window.koban = { live, reload: load };
setInterval(render, 60000); // due times cross "now" while the page stays open
loadOfficers();
load().then((seq) => { live.start(seq); document.documentElement.dataset.ready = "true"; })
  .catch(() => { announce(t("load_failed")); live.start(0); });
