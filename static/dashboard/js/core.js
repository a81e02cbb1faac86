// Shared helpers for Koban's pages: configuration, words, times, the REST client, DOM building.
// Plain ES modules, no build step.

export const config = JSON.parse(document.getElementById("koban-config").textContent);

/** A translated interface string; `{name}` placeholders are filled from `vars`. */
export function t(key, vars = {}) {
  let text = config.strings[key] ?? key;
  for (const [name, value] of Object.entries(vars)) text = text.replaceAll(`{${name}}`, value);
  return text;
}

/** The label of a choice value (status, priority, category…) in the user's language. */
export function label(kind, value) {
  if (value === null || value === undefined || value === "") return "";
  return config.labels[kind]?.[value] ?? String(value);
}

// --- Times: always shown in the force's time zone (Europe/Lisbon), whatever the device says --------
const tz = config.timeZone;
const fmtFull = new Intl.DateTimeFormat(config.locale, {
  timeZone: tz, day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit",
});
const fmtShort = new Intl.DateTimeFormat(config.locale, {
  timeZone: tz, day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit",
});
const fmtTime = new Intl.DateTimeFormat(config.locale, { timeZone: tz, hour: "2-digit", minute: "2-digit" });
const fmtDay = new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" });
const rtf = new Intl.RelativeTimeFormat(config.locale, { numeric: "auto" });

export function parseDate(value) {
  if (!value) return null;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "14:32" today, "21/05 14:32" otherwise (Lisbon time). */
export function fmtWhen(value) {
  const d = parseDate(value);
  if (!d) return "";
  return fmtDay.format(d) === fmtDay.format(new Date()) ? fmtTime.format(d) : fmtShort.format(d);
}

export function fmtDateTime(value) {
  const d = parseDate(value);
  return d ? fmtFull.format(d) : "";
}

/** "in 3 hours", "2 days ago". */
export function fmtRelative(value, now = Date.now()) {
  const d = parseDate(value);
  if (!d) return "";
  const seconds = (d.getTime() - now) / 1000;
  const abs = Math.abs(seconds);
  if (abs < 60) return rtf.format(Math.round(seconds), "second");
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(seconds / 3600), "hour");
  return rtf.format(Math.round(seconds / 86400), "day");
}

function tzOffsetMinutes(utcMillis) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    }).formatToParts(new Date(utcMillis)).map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return Math.round((asUtc - utcMillis) / 60000);
}

/** A `datetime-local` value typed as Lisbon wall time -> ISO 8601 instant. */
export function wallTimeToIso(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || "");
  if (!m) return null;
  const guess = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  let utc = guess - tzOffsetMinutes(guess) * 60000;
  utc = guess - tzOffsetMinutes(utc) * 60000;
  return new Date(utc).toISOString();
}

/** An instant -> the `datetime-local` value of its Lisbon wall time. */
export function isoToWallTime(value) {
  const d = parseDate(value);
  if (!d) return "";
  const local = new Date(d.getTime() + tzOffsetMinutes(d.getTime()) * 60000);
  return local.toISOString().slice(0, 16);
}

// --- REST client ----------------------------------------------------------------------------------
export class ApiError extends Error {
  constructor(status, data) {
    super(typeof data?.detail === "string" ? data.detail : `HTTP ${status}`);
    this.status = status;
    this.data = data;
  }
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  return document.querySelector("input[name=csrfmiddlewaretoken]")?.value ?? "";
}

export function apiUrl(path, params = {}) {
  const url = new URL(path.startsWith("/") ? path : config.api + path, window.location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === "") continue;
    if (Array.isArray(value) && value.length === 0) continue;
    url.searchParams.set(key, Array.isArray(value) ? value.join(",") : String(value));
  }
  return url;
}

/** One API call. Returns {data, sequence}; throws ApiError with the server's field messages. */
export async function api(path, { method = "GET", params = {}, body } = {}) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin" };
  if (method !== "GET") {
    headers["X-CSRFToken"] = csrfToken();
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body ?? {});
  }
  const response = await fetch(apiUrl(path, params), init);
  const sequence = Number(response.headers.get("X-Koban-Sequence") ?? NaN);
  let data = null;
  if (response.status !== 204) {
    const text = await response.text();
    try { data = text ? JSON.parse(text) : null; } catch { data = { detail: text }; }
  }
  if (response.status === 401 || response.status === 403) {
    if (response.status === 401 || !data || /credentials/i.test(data.detail ?? "")) {
      window.location.assign(`/login/?next=${encodeURIComponent(window.location.pathname)}`);
    }
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return { data, sequence: Number.isFinite(sequence) ? sequence : null };
}

/** Every page of a (cursor-)paginated list or FeatureCollection.
 * The sequence is the first page's: it was read before any of the data, so nothing is missed. */
export async function apiAll(path, params = {}, { maxItems = 20000 } = {}) {
  let first = await api(path, { params });
  const sequence = first.sequence;
  let items = [];
  let page = first.data;
  for (;;) {
    const chunk = Array.isArray(page) ? page
      : page?.features ?? page?.results?.features ?? page?.results ?? [];
    items = items.concat(chunk);
    const next = Array.isArray(page) ? null : page?.next;
    if (!next || items.length >= maxItems) break;
    const url = new URL(next, window.location.origin);
    first = await api(url.pathname + url.search);
    page = first.data;
  }
  return { items, sequence };
}

// --- DOM ----------------------------------------------------------------------------------------
/** h("button", {class: "btn", onclick}, "text", child…): builds elements; text is never HTML.
 * There is no way in: strings become text nodes, and nothing here parses markup (the
 * Content-Security-Policy forbids inline script, and inline `style` attributes too, so styles
 * are objects set through CSSOM: {style: {"--c": colour}}). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "style") for (const [name, v] of Object.entries(value)) el.style.setProperty(name, v);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Field messages from a 400 answer, written under the matching inputs of a form. */
export function showFormErrors(form, error) {
  form.querySelectorAll(".field-error").forEach((n) => n.remove());
  const data = error?.data;
  const general = [];
  if (error?.status === 400 && data && typeof data === "object") {
    for (const [field, messages] of Object.entries(data)) {
      const text = Array.isArray(messages) ? messages.join(" ") : String(messages);
      const input = form.querySelector(`[name="${field}"]`);
      if (input) {
        const id = `${input.id || field}-error`;
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", id);
        input.closest("label, .field")?.after(h("p", { class: "field-error", id, role: "alert" }, text))
          ?? input.after(h("p", { class: "field-error", id, role: "alert" }, text));
      } else general.push(text);
    }
  } else if (error?.status === 409 && data?.allowed) {
    general.push(`${t("conflict")} ${data.allowed.map((s) => label("incident_status", s)).join(", ")}`);
  } else {
    general.push(t("error"));
  }
  if (general.length) form.prepend(h("p", { class: "field-error", role: "alert" }, general.join(" ")));
}

export function clearFormErrors(form) {
  form.querySelectorAll(".field-error").forEach((n) => n.remove());
  form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
}

/** Run fn at most once per `ms`, at the end of a burst. */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

export function announce(text) {
  const region = document.getElementById("map-status") ?? document.getElementById("page-status");
  if (region) region.textContent = text;
}

/** The smallest known sequence of several snapshots (null when none was given). */
export function minSeq(values) {
  const numbers = values.filter((v) => Number.isFinite(v));
  return numbers.length ? Math.min(...numbers) : null;
}
