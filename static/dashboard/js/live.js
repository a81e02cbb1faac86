// The live feed client: connect after a snapshot's sequence, apply events, resume after a cut.
//
// Protocol (dashboard/live/, docs/live-feed.md): the server says hello, then sends events with a sequence
// number; after a reconnect the client asks for everything after the last sequence it applied;
// "reload" means the gap is older than the outbox keeps, so the page reloads its snapshot.
import { t } from "./core.js";

// Reconnection delays (with jitter), then a minute at most: a whole shift's dashboards must not
// hammer a server whose Redis is down.
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000, 30000, 60000];
const MAX_BACKOFF_MS = 60000;
const PING_EVERY_MS = 20000;
const SILENCE_LIMIT_MS = 45000;
// Close codes of dashboard/live/protocol.py: no session -> log in again; not an operational role -> stop.
const CLOSE_UNAUTHENTICATED = 4401;
const CLOSE_FORBIDDEN = 4403;
// Refused for a while: too many sockets of this user (other tabs), too many messages, or the
// server's channel layer is down (its close reason may say "retry-after=N" seconds).
const CLOSE_TOO_MANY_CONNECTIONS = 4409;
const CLOSE_RATE_LIMITED = 4429;
const CLOSE_UNAVAILABLE = 4503;
const MIN_PAUSE_MS = { [CLOSE_TOO_MANY_CONNECTIONS]: 30000, [CLOSE_RATE_LIMITED]: 10000 };

/** The shortest wait a close asks for, in ms (0: none). */
function pauseAfter(closeEvent) {
  let pause = MIN_PAUSE_MS[closeEvent.code] ?? 0;
  if (closeEvent.code === CLOSE_UNAVAILABLE) {
    const hint = /retry-after=(\d+)/.exec(closeEvent.reason || "");
    if (hint) pause = Number(hint[1]) * 1000;
  }
  return Math.min(pause, MAX_BACKOFF_MS);
}

export class LiveFeed {
  /**
   * @param {object} o
   * @param {(msg: object) => void} o.onEvent   applies one event to the page
   * @param {() => Promise<number|null>} o.reload reloads the page's snapshot; returns its sequence
   * @param {string} o.path                      websocket path, e.g. /ws/operations/
   */
  constructor({ onEvent, reload, path }) {
    this.onEvent = onEvent;
    this.reload = reload;
    this.path = path;
    this.seq = null; // last sequence applied; null = "from now on"
    this.ws = null;
    this.state = "connecting";
    this.paused = false;
    this.attempt = 0;
    this.timer = null;
    this.notBefore = 0; // no reconnection before this time (ms), as the server asked
    this.lastMessageAt = Date.now();
    this.received = 0;
    this.silenceLimit = SILENCE_LIMIT_MS;
    this.indicator = document.getElementById("live-status");
    this._watchdog = setInterval(() => this._checkSilence(), 5000);
    window.addEventListener("online", () => this._reconnectNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this._reconnectNow();
    });
  }

  /** Start from a snapshot taken at `sequence`. */
  start(sequence) {
    const n = Number(sequence);
    if (sequence !== null && sequence !== undefined && Number.isFinite(n)) this.seq = Math.max(this.seq ?? 0, n);
    this._connect();
  }

  _setState(state) {
    this.state = state;
    document.documentElement.dataset.live = state;
    if (!this.indicator) return;
    this.indicator.dataset.state = state;
    const text = this.indicator.querySelector(".live-text");
    if (text) text.textContent = t(`live_${state}`);
  }

  _connect() {
    if (this.paused) return;
    clearTimeout(this.timer);
    const proto = window.location.protocol === "https:" ? "wss:" : "ws:";
    const after = this.seq === null ? "" : `?after=${this.seq}`;
    const url = `${proto}//${window.location.host}${this.path}${after}`;
    this._setState(this.attempt === 0 && this.received === 0 ? "connecting" : "reconnecting");
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      this._scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.addEventListener("message", (e) => this._onMessage(ws, e));
    ws.addEventListener("close", (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this._pinger);
      if (e.code === CLOSE_UNAUTHENTICATED) {
        window.location.assign(`/login/?next=${encodeURIComponent(window.location.pathname)}`);
        return;
      }
      if (e.code === CLOSE_FORBIDDEN) this.paused = true;
      if (this.paused) this._setState("offline");
      else this._scheduleReconnect(pauseAfter(e));
    });
    ws.addEventListener("open", () => {
      this.lastMessageAt = Date.now();
      clearInterval(this._pinger);
      this._pinger = setInterval(() => this._send({ type: "ping" }), PING_EVERY_MS);
    });
  }

  _send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  async _onMessage(ws, event) {
    if (ws !== this.ws) return;
    this.lastMessageAt = Date.now();
    let msg;
    try { msg = JSON.parse(event.data); } catch { return; }
    switch (msg.type) {
      case "hello":
        this.attempt = 0;
        if (this.seq === null && Number.isFinite(msg.sequence)) this.seq = msg.sequence;
        if (msg.heartbeat_seconds) this.silenceLimit = Math.max(20000, msg.heartbeat_seconds * 3000);
        this._setState("connected");
        break;
      case "event":
        if (typeof msg.seq === "number" && this.seq !== null && msg.seq <= this.seq) return; // applied
        if (typeof msg.seq === "number") this.seq = msg.seq;
        this.received += 1;
        try { this.onEvent(msg); } catch (err) { console.error("live event failed", msg, err); }
        break;
      case "reload":
        await this._reloadSnapshot(msg.sequence);
        break;
      case "error":
        console.warn("live feed:", msg.detail);
        break;
      default:
        break; // heartbeat, pong
    }
  }

  /** The gap is too old to replay: take a fresh snapshot, then listen from its sequence. */
  async _reloadSnapshot(latest) {
    const ws = this.ws;
    this.ws = null;
    ws?.close();
    this._setState("catching_up");
    try {
      const sequence = await this.reload();
      this.seq = Number.isFinite(sequence) ? sequence : Number.isFinite(latest) ? latest : this.seq;
    } catch (err) {
      console.error("snapshot reload failed", err);
      this.seq = Number.isFinite(latest) ? latest : this.seq;
    }
    this._connect();
  }

  /** Reconnect after the next back-off step, and not before `pauseMs` (plus jitter). */
  _scheduleReconnect(pauseMs = 0) {
    if (this.paused) return;
    this._setState("reconnecting");
    // Jitter spreads a whole shift's dashboards after a server or Redis restart.
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    let delay = this.attempt === 0 && !pauseMs ? base : base * (0.5 + Math.random());
    if (pauseMs) delay = Math.max(delay, pauseMs * (1 + 0.5 * Math.random()));
    delay = Math.min(delay, MAX_BACKOFF_MS * (0.75 + 0.25 * Math.random()));
    this.attempt += 1;
    this.notBefore = pauseMs ? Date.now() + delay : 0;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this._connect(), delay);
  }

  _reconnectNow() {
    if (this.paused || (this.ws && this.ws.readyState <= WebSocket.OPEN)) return;
    if (Date.now() < this.notBefore) return; // the server asked for a pause: the timer is set
    this.attempt = 0;
    this._connect();
  }

  _checkSilence() {
    // Heartbeats come every ~15 s: a silent socket is a dead one (a NAT dropped it, a laptop slept).
    if (this.ws && this.ws.readyState === WebSocket.OPEN
        && Date.now() - this.lastMessageAt > this.silenceLimit) {
      this.ws.close();
    }
  }

  // --- Hooks for people and tests: cut the connection, hold it down, bring it back. ----------------
  drop() { this.ws?.close(); }
  pause() {
    this.paused = true;
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    clearInterval(this._pinger);
    ws?.close();
    this._setState("offline");
  }
  resume() {
    this.paused = false;
    this.attempt = 0;
    this._connect();
  }
}
