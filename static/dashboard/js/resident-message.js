// The message to the resident on a done "tell the resident" follow-up: the draft the server wrote
// in the resident's language, editable and sent by whoever works on the follow-up; then its
// delivery state and the resident's answer. Shared by the detail panel, the board and "my work".
import { api, clearFormErrors, config, fmtDateTime, h, showFormErrors, t } from "./core.js";

// Loaded messages by follow-up id ({data, at}) and what the officer is typing (by follow-up id):
// the panel and the board re-render on every live event and must not lose either.
const loaded = new Map();
const typing = new Map();
const FRESH_MS = 60000;

function isFresh(cached, f) {
  return Boolean(cached && cached.updatedAt === f.updated_at && Date.now() - cached.at < FRESH_MS);
}

async function fetchMessage(f) {
  try {
    const { data } = await api(`followups/${f.id}/resident-message/`);
    loaded.set(f.id, { data, at: Date.now(), updatedAt: f.updated_at });
    return data;
  } catch (err) {
    if (err.status !== 404) throw err;
    loaded.set(f.id, { data: null, at: Date.now(), updatedAt: f.updated_at });
    return null;
  }
}

function statusBadge(m) {
  return h("span", { class: `badge badge-rm-${m.status}` }, t(`rm_status_${m.status}`));
}

function feedbackView(m) {
  if (m.status !== "sent") return null;
  const fb = m.feedback;
  return h("div", { class: "rm-feedback" },
    h("strong", {}, `${t("rm_feedback")}: `),
    fb ? [h("span", { class: "rm-score", dataset: { score: fb.score } }, t("rm_score", { score: fb.score })),
      fb.comment ? h("q", { class: "rm-comment" }, fb.comment) : null,
      h("time", { class: "muted small", datetime: fb.answered_at }, ` · ${fmtDateTime(fb.answered_at)}`)]
      : h("span", { class: "muted" }, t("rm_feedback_none")));
}

function editor(f, m, box, opts) {
  const { canWork, onChanged } = opts;
  const ids = { subject: `rm-subject-${f.id}`, body: `rm-body-${f.id}` };
  const draft = typing.get(f.id) ?? {};
  // data-id keys the panel's draft keeping (panel.js) to this follow-up's form.
  const form = h("form", { class: "rm-form stack", dataset: { id: `rm-${f.id}`, followupId: f.id } },
    h("label", { for: ids.subject }, t("rm_subject")),
    h("input", { id: ids.subject, name: "subject", maxlength: 200, required: true, value: draft.subject ?? m.subject }),
    h("label", { for: ids.body }, t("rm_body")),
    h("textarea", { id: ids.body, name: "body", rows: 8, required: true }),
    h("p", { class: "muted small" }, t("rm_link_note")),
    h("div", { class: "form-actions" },
      h("button", { type: "submit", class: "btn btn-primary btn-small", dataset: { action: "send-resident" } },
        m.status === "failed" ? t("rm_send_again") : t("rm_send"))));
  form.elements.body.value = draft.body ?? m.body;
  if (!canWork) form.querySelectorAll("input, textarea, button").forEach((el) => { el.disabled = true; });
  form.addEventListener("input", () => {
    typing.set(f.id, { subject: form.elements.subject.value, body: form.elements.body.value });
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFormErrors(form);
    const button = form.querySelector("[type=submit]");
    button.disabled = true;
    try {
      const body = { subject: form.elements.subject.value, body: form.elements.body.value };
      if (body.subject !== m.subject || body.body !== m.body) {
        await api(`followups/${f.id}/resident-message/`, { method: "PATCH", body });
      }
      const { data } = await api(`followups/${f.id}/resident-message/send/`, { method: "POST", body: {} });
      typing.delete(f.id);
      loaded.set(f.id, { data, at: Date.now(), updatedAt: f.updated_at });
      render(box, f, data, opts);
      onChanged(f);
    } catch (err) {
      delete form.dataset.sent;
      showFormErrors(form, err);
      button.disabled = false;
    }
  });
  return form;
}

function render(box, f, m, opts) {
  if (!m) {
    // Told another way (the officer ticked "the resident was told"): nothing to show.
    box.hidden = Boolean(f.resident_told_at);
    box.replaceChildren(h("h4", {}, t("rm_title")), h("p", { class: "muted small" }, t("rm_none")));
    return;
  }
  const head = h("h4", {}, t("rm_title"), " ", statusBadge(m),
    h("span", { class: "muted small rm-language", lang: m.language }, ` · ${t("rm_language", { language: m.language_name })}`));
  const parts = [head];
  if (m.status === "sent") {
    parts.push(h("p", { class: "rm-sent small" }, t("rm_sent", { channel: m.channel, date: fmtDateTime(m.sent_at) }),
      m.sent_by_name ? ` · ${m.sent_by_name}` : ""));
    parts.push(h("details", { class: "rm-text" }, h("summary", {}, m.subject), h("p", { class: "rm-body" }, m.body)));
    parts.push(feedbackView(m));
  } else {
    if (m.status === "failed") {
      parts.push(h("p", { class: "field-error rm-failure", role: "alert" }, t("rm_failed", { reason: m.failure_reason })));
    }
    parts.push(m.editable ? editor(f, m, box, opts) : null);
  }
  box.replaceChildren(...parts.filter(Boolean));
}

/** The message box of a done follow-up that had to tell the resident (filled when loaded). */
export function residentMessageBox(f, { canWork = false, onChanged = () => {} } = {}) {
  const opts = { canWork, onChanged };
  const box = h("section", { class: "rm-box", dataset: { followupId: f.id }, "aria-live": "polite" },
    h("p", { class: "muted small" }, t("loading")));
  const cached = loaded.get(f.id);
  if (cached) render(box, f, cached.data, opts);
  if (!isFresh(cached, f)) {
    fetchMessage(f).then((m) => render(box, f, m, opts))
      .catch(() => box.replaceChildren(h("p", { class: "field-error" }, t("error"))));
  }
  return box;
}

/** Residents' answers about a concern (on its follow-ups and on its incidents'). */
const concernAnswers = new Map();

export function concernFeedback(concernId) {
  const list = h("div", { class: "rm-feedback-list" }, h("p", { class: "muted" }, t("loading")));
  const show = (data) => {
    list.replaceChildren(data.length ? h("ul", { class: "plain" }, data.map((fb) => h("li", { class: "rm-feedback" },
      h("span", { class: "rm-score", dataset: { score: fb.score } }, t("rm_score", { score: fb.score })),
      ` · ${[fb.incident_reference, fb.followup_title].filter(Boolean).join(" · ")}`,
      fb.comment ? h("q", { class: "rm-comment" }, fb.comment) : null,
      h("time", { class: "muted small", datetime: fb.answered_at }, ` · ${fmtDateTime(fb.answered_at)}`))))
      : h("p", { class: "muted" }, t("feedback_none")));
  };
  // The panel re-renders on every live event: show what was loaded, ask again after a while.
  const cached = concernAnswers.get(concernId);
  if (cached) show(cached.data);
  if (!cached || Date.now() - cached.at > FRESH_MS / 2) {
    api(`concerns/${concernId}/resident-feedback/`).then(({ data }) => {
      concernAnswers.set(concernId, { data, at: Date.now() });
      show(data);
    }).catch(() => list.replaceChildren(h("p", { class: "field-error" }, t("error"))));
  }
  return h("section", { class: "panel-section", "aria-labelledby": "rm-feedback-title" },
    h("h3", { id: "rm-feedback-title" }, t("feedback_title")), list);
}

/** The language select next to a revealed contact: recording it is logged by the server. */
export function reporterLanguage(incidentId, current) {
  const id = `reporter-language-${incidentId}`;
  const status = h("span", { class: "muted small", role: "status" });
  const select = h("select", { id, name: "reporter_language" },
    (config.residentLanguages ?? []).map((l) => h("option", { value: l.code, lang: l.code, selected: l.code === current }, l.name)));
  const field = h("div", { class: "field reporter-language" }, h("label", { for: id }, t("reporter_language")), select, status);
  select.addEventListener("change", async () => {
    status.textContent = "";
    try {
      await api(`incidents/${incidentId}/reporter-language/`, { method: "POST", body: { language: select.value } });
      loaded.clear();
      status.textContent = ` ${t("reporter_language_saved")}`;
    } catch (err) {
      const why = err.data?.language ?? err.data?.detail;
      status.textContent = ` ${Array.isArray(why) ? why.join(" ") : why ?? t("error")}`;
    }
  });
  return field;
}
