// conn.js: the one websocket connection a page keeps to the server, and the
// pages' twin of the wire constants of protocol/protocol.go.
//
// It sends "hello" with the last offset seen, reconnects with jittered
// exponential backoff, resends commands that were sent but never answered
// with the same id (the server applies a repeated id once), finds a dead
// link by pinging an idle one, and keeps an estimate of the server clock
// from the "now" field of pushes and pongs. What a close status means is
// read from CLOSE_ACTIONS, never from a bare number.
//
// With PATCHES on it also keeps the last view of each activity and applies
// the server's "patch" messages to it (patch.js), handing the page whole
// "activity" messages as before; a patch that does not fit the view held
// is answered with "resync", and the page waits for the whole view.
import { Views } from "/static/js/patch.js";

/**
 * PATCHES is what hello says under "patches": the server sends patches
 * (PROTOCOL.md 1.1 "Patches") to pages that say so. Either way the pages
 * get whole activity views from this module.
 */
export const PATCHES = true;

/** Message types (docs/protocol.md). */
export const MSG = Object.freeze({
  HELLO: "hello",
  WELCOME: "welcome",
  CMD: "cmd",
  ACK: "ack",
  ERROR: "error",
  SESSION: "session",
  ACTIVITY: "activity",
  PATCH: "patch",
  RESYNC: "resync",
  YOU: "you",
  RECONNECT: "reconnect",
  PING: "ping",
  PONG: "pong",
  // A reaction tick's counts, to consoles and displays (reactions.js).
  REACTIONS: "reactions",
  // A tap (reactions.js): never answered unless refused.
  REACT: "react",
});

/** Error codes, on the websocket and in HTTP error bodies. */
export const CODE = Object.freeze({
  BAD_REQUEST: "bad_request",
  UNAUTHORIZED: "unauthorized",
  FORBIDDEN: "forbidden",
  NOT_FOUND: "not_found",
  RATE_LIMITED: "rate_limited",
  TOO_LARGE: "too_large",
  ACTIVITY_CLOSED: "activity_closed",
  INVALID_CHOICE: "invalid_choice",
  SESSION_ENDED: "session_ended",
  INTERNAL: "internal",
  UNAVAILABLE: "unavailable",
  CONFLICT: "conflict",
  LIMIT_REACHED: "limit_reached",
  UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
  // Not on the wire: what send() rejects with when the page asked for
  // commands to be refused while the link is down.
  OFFLINE: "offline",
  // Not on the wire: the connection ended for good (closed by the page, or
  // the server said stop).
  CLOSED: "closed",
});

/** Websocket close statuses. 1006 is the browser's own: the link broke. */
export const CLOSE = Object.freeze({
  NORMAL: 1000,
  GOING_AWAY: 1001,
  ABNORMAL: 1006,
  INVALID_DATA: 1007,
  POLICY: 1008,
  TOO_BIG: 1009,
  TRY_AGAIN_LATER: 1013,
  FLOODING: 4029,
});

/** What a page does after a close. */
export const ACTION = Object.freeze({
  STOP: "stop",
  RECONNECT: "reconnect",
  // The server is overloaded or cannot serve the session yet: back off.
  RECONNECT_BACKOFF: "reconnect-backoff",
  // The connection sent commands too fast: wait at least FLOOD_BACKOFF_MS.
  RECONNECT_AFTER_5S: "reconnect-after-5s",
});

/** CLOSE_ACTIONS is docs/protocol.md's table "Close statuses and what a client does". */
export const CLOSE_ACTIONS = Object.freeze({
  [CLOSE.NORMAL]: ACTION.STOP,
  [CLOSE.GOING_AWAY]: ACTION.RECONNECT,
  [CLOSE.ABNORMAL]: ACTION.RECONNECT,
  [CLOSE.INVALID_DATA]: ACTION.RECONNECT,
  [CLOSE.POLICY]: ACTION.STOP,
  [CLOSE.TOO_BIG]: ACTION.RECONNECT,
  [CLOSE.TRY_AGAIN_LATER]: ACTION.RECONNECT_BACKOFF,
  [CLOSE.FLOODING]: ACTION.RECONNECT_AFTER_5S,
});

/**
 * closeAction is what to do after a close with status. A status the table
 * does not know reconnects: stopping is only for what the server says is
 * final, since stopping wrongly loses a live session.
 * @param {number} status
 */
export function closeAction(status) {
  return CLOSE_ACTIONS[status] || ACTION.RECONNECT;
}

/** The least wait after CLOSE.FLOODING (protocol.FloodBackoffSeconds). */
export const FLOOD_BACKOFF_MS = 5000;
/** A ping is sent after this long without any frame from the server. */
export const IDLE_PING_MS = 20000;
/** No frame this long after a ping: the link is dead. */
export const PONG_TIMEOUT_MS = 10000;
/** A socket that is not welcomed this long after it was opened is given up. */
export const CONNECT_TIMEOUT_MS = 10000;

const BACKOFF_MIN = 500;
// After "try again later" the server is busy: do not come back sooner.
const BACKOFF_BUSY_MIN = 2000;
const BACKOFF_MAX = 15000;
// A command sent on an open socket that gets no answer within this time
// means the socket is probably dead (phones lose networks silently): drop it
// and reconnect, which resends the command.
const ACK_TIMEOUT = 15000;
// The server asks to retry errors marked retryable.
const RETRY_LIMIT = 5;

function wsURL() {
  return (location.protocol === "https:" ? "wss:" : "ws:") + "//" + location.host + "/ws";
}

function randomId() {
  const a = new Uint32Array(2);
  crypto.getRandomValues(a);
  return a[0].toString(36) + a[1].toString(36);
}

// Errors without a command id that end the connection: the close that
// follows says what to do, the error says why.
const CONNECTION_ERRORS = new Set([CODE.UNAUTHORIZED, CODE.NOT_FOUND, CODE.UNAVAILABLE]);

/**
 * connect opens the connection and keeps it open until close() or a close
 * status whose action is ACTION.STOP.
 *
 * onStatus(status, info) gets "connecting", "online" or "offline"; info says
 * why a link went offline: {action, status, code} (action from ACTION, status
 * the close status if any, code the error the server sent before closing).
 * onFatal(msg) gets {type: "error", code, message, status} once, when the
 * connection stops for good.
 *
 * With rejectOffline, send() refuses at once with code CODE.OFFLINE while the
 * link is down instead of keeping the command for the next connection: a
 * person's click is not replayed minutes later on a board that changed. A
 * command already sent when the link dropped is still resent, with its id.
 *
 * patches (default PATCHES) says in hello whether the server may send
 * patches; they reach onMessage as whole "activity" messages.
 *
 * lang (a string or a function giving one) is the language hello asks the
 * session's texts in (PROTOCOL.md 1.2); relang() connects again at once so
 * that the next hello asks for the page's new language.
 * @param {{token: string, onWelcome?: Function, onMessage?: Function,
 *          onStatus?: Function, onFatal?: Function, rejectOffline?: boolean,
 *          patches?: boolean}} opts
 */
export function connect(opts) {
  const token = opts.token;
  const noop = () => {};
  const onWelcome = opts.onWelcome || noop;
  const onMessage = opts.onMessage || noop;
  const onStatus = opts.onStatus || noop;
  const onFatal = opts.onFatal || noop;
  const rejectOffline = !!opts.rejectOffline;
  // Pages take the default; a test may turn patches on for one connection.
  const patches = opts.patches === undefined ? PATCHES : !!opts.patches;
  const langOf = typeof opts.lang === "function" ? opts.lang : () => opts.lang || "";

  const prefix = "c-" + randomId() + "-";
  let seq = 0;
  let ws = null;
  let welcomed = false;
  let stopped = false;
  let offset = 0;
  let backoff = BACKOFF_MIN;
  let retryTimer = 0;
  // After a flood or busy close, no reconnect before this time, whatever
  // wakes the page (its network back, the tab shown again).
  let notBefore = 0;
  let watchdog = 0;
  let status = "";
  // Liveness: when the current socket was opened, when its last frame came,
  // and when a ping went out that no frame has answered yet (0: none).
  let openedAt = 0;
  let lastFrame = 0;
  let pingSent = 0;
  let liveTimer = 0;
  // The last error without an id on this socket: why a close came.
  let closeError = null;
  // Samples of (server time - local time) in ms; the largest one is the one
  // that travelled fastest, so it is the best estimate.
  let clockSamples = [];
  let clock = 0;
  // id -> {frame, resolve, reject, sentAt, sent, retries}; Map keeps send order.
  const pending = new Map();
  // The activity views of this link, to apply patches to, and the
  // activities whose whole view was asked for and has not come yet.
  // Without patches nothing is kept: the server sends whole views only.
  const views = patches ? new Views() : null;
  const resyncing = new Set();

  let statusAction = "";
  function setStatus(s, info) {
    const i = info || {};
    // Offline, then told to stop (or to wait out a flood): the same status
    // with another reason is news to the page.
    if (s === status && (i.action || "") === statusAction) return;
    status = s;
    statusAction = i.action || "";
    onStatus(s, i);
  }

  function online() {
    return !!ws && welcomed && ws.readyState === WebSocket.OPEN;
  }

  function open() {
    if (stopped) return;
    clearTimeout(retryTimer);
    retryTimer = 0;
    welcomed = false;
    closeError = null;
    if (!status) setStatus("connecting");
    let sock;
    try {
      sock = new WebSocket(wsURL());
    } catch (e) {
      scheduleReconnect();
      return;
    }
    ws = sock;
    openedAt = lastFrame = Date.now();
    pingSent = 0;
    armLiveness(CONNECT_TIMEOUT_MS);
    sock.onopen = () => {
      if (sock !== ws) return;
      sock.send(JSON.stringify({ type: MSG.HELLO, token, since: offset, patches, lang: langOf() }));
    };
    sock.onmessage = (ev) => {
      if (sock !== ws) return;
      lastFrame = Date.now();
      pingSent = 0;
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      if (msg && typeof msg === "object") handle(msg);
    };
    sock.onclose = (ev) => {
      if (sock !== ws) return;
      closed(ev.code, ev.reason);
    };
  }

  function closed(code, reason) {
    ws = null;
    welcomed = false;
    stopLiveness();
    stopWatchdog();
    if (stopped) return;
    const why = closeError;
    closeError = null;
    const action = closeAction(code);
    const info = { action, status: code, code: why ? why.code : "" };
    if (action === ACTION.STOP) {
      const fromReason = reason === CODE.UNAUTHORIZED || reason === CODE.NOT_FOUND ? reason : "";
      fatal({
        type: MSG.ERROR,
        code: (why && why.code) || fromReason || CODE.CLOSED,
        message: (why && why.message) || reason || "",
        status: code,
      });
      return;
    }
    setStatus("offline", info);
    if (action === ACTION.RECONNECT_AFTER_5S) {
      const d = FLOOD_BACKOFF_MS + Math.random() * 2000;
      notBefore = Date.now() + d;
      scheduleReconnect(d);
      return;
    }
    if (action === ACTION.RECONNECT_BACKOFF) {
      backoff = Math.max(backoff, BACKOFF_BUSY_MIN);
      notBefore = Date.now() + backoff / 2;
    }
    scheduleReconnect();
  }

  function scheduleReconnect(delay) {
    if (stopped || retryTimer) return;
    let d = delay;
    if (d === undefined) {
      d = backoff * (0.5 + Math.random() * 0.5);
      backoff = Math.min(backoff * 2, BACKOFF_MAX);
    }
    retryTimer = setTimeout(() => {
      retryTimer = 0;
      open();
    }, d);
  }

  // drop closes the current socket without waiting for the close handshake
  // (on a dead link it would never end) and reconnects after the given
  // delay, or the backoff.
  function drop(delay, info) {
    const sock = ws;
    ws = null;
    welcomed = false;
    stopLiveness();
    stopWatchdog();
    if (sock) {
      sock.onopen = sock.onmessage = sock.onclose = sock.onerror = null;
      try {
        sock.close();
      } catch (e) {
        // already closing
      }
    }
    if (stopped) return;
    setStatus("offline", info || { action: ACTION.RECONNECT, status: 0, code: "" });
    scheduleReconnect(delay);
  }

  // Liveness runs on one timer, re-armed from the time of the last frame,
  // rather than on a timer reset by every frame: a console gets several
  // frames a second.
  function armLiveness(ms) {
    clearTimeout(liveTimer);
    liveTimer = setTimeout(checkLiveness, Math.max(0, ms));
  }

  function stopLiveness() {
    clearTimeout(liveTimer);
    liveTimer = 0;
    pingSent = 0;
  }

  function checkLiveness() {
    liveTimer = 0;
    if (!ws) return;
    const now = Date.now();
    if (!welcomed) {
      const left = openedAt + CONNECT_TIMEOUT_MS - now;
      if (left > 0) armLiveness(left);
      else drop(undefined, { action: ACTION.RECONNECT, status: 0, code: "" });
      return;
    }
    if (pingSent) {
      const left = pingSent + PONG_TIMEOUT_MS - now;
      if (left > 0) armLiveness(left);
      else drop(undefined, { action: ACTION.RECONNECT, status: 0, code: "" });
      return;
    }
    const idle = now - lastFrame;
    if (idle < IDLE_PING_MS) {
      armLiveness(IDLE_PING_MS - idle);
      return;
    }
    try {
      ws.send(JSON.stringify({ type: MSG.PING }));
    } catch (e) {
      drop();
      return;
    }
    pingSent = now;
    armLiveness(PONG_TIMEOUT_MS);
  }

  function noteClock(msg) {
    if (typeof msg.now !== "string") return;
    const server = Date.parse(msg.now);
    if (isNaN(server)) return;
    clockSamples.push(server - Date.now());
    if (clockSamples.length > 8) clockSamples.shift();
    clock = Math.max.apply(null, clockSamples);
  }

  function noteOffset(msg) {
    if (typeof msg.offset === "number" && msg.offset > offset) offset = msg.offset;
  }

  function handle(msg) {
    switch (msg.type) {
      case MSG.WELCOME:
        welcomed = true;
        backoff = BACKOFF_MIN;
        // A fresh welcome is a full view: start counting from it.
        if (typeof msg.offset === "number") offset = msg.offset;
        clockSamples = [];
        noteClock(msg);
        resyncing.clear();
        if (views) {
          views.reset();
          views.take(msg);
        }
        armLiveness(IDLE_PING_MS);
        setStatus("online");
        onWelcome(msg);
        flush();
        return;
      case MSG.PONG:
        noteClock(msg);
        return;
      case MSG.ACK: {
        const p = pending.get(msg.id);
        if (p) {
          pending.delete(msg.id);
          p.resolve(msg);
        }
        return;
      }
      case MSG.ERROR: {
        const p = msg.id ? pending.get(msg.id) : null;
        if (p) {
          if (msg.retryable && p.retries < RETRY_LIMIT) {
            p.retries++;
            p.sentAt = 0;
            setTimeout(() => {
              if (pending.has(msg.id)) transmit(msg.id, p);
            }, 500 * Math.pow(2, p.retries));
            return;
          }
          pending.delete(msg.id);
          p.reject(msg);
          return;
        }
        // An answer to a command already settled (a duplicate after a resend).
        if (msg.id) return;
        if (CONNECTION_ERRORS.has(msg.code)) {
          closeError = msg;
          return;
        }
        onMessage(msg);
        return;
      }
      case MSG.RECONNECT:
        // Many clients get this at once; spread their return.
        backoff = BACKOFF_MIN;
        drop(100 + Math.random() * 1900, { action: ACTION.RECONNECT, status: CLOSE.GOING_AWAY, code: "" });
        return;
      case MSG.PATCH: {
        const view = views ? views.patch(msg) : null;
        if (!view) {
          resync(msg.activity);
          return;
        }
        noteOffset(msg);
        noteClock(msg);
        onMessage({ type: MSG.ACTIVITY, offset: msg.offset, activity: view });
        return;
      }
      case MSG.SESSION:
      case MSG.ACTIVITY:
        if (views) views.take(msg);
        if (msg.type === MSG.ACTIVITY && msg.activity) resyncing.delete(msg.activity.id);
        noteOffset(msg);
        noteClock(msg);
        onMessage(msg);
        return;
      default:
        noteOffset(msg);
        noteClock(msg);
        onMessage(msg);
    }
  }

  // resync asks for the whole view of an activity whose patch did not fit,
  // once until it comes: the patches after a missed one do not fit either.
  function resync(id) {
    if (typeof id !== "string" || !id || resyncing.has(id) || !online()) return;
    try {
      ws.send(JSON.stringify({ type: MSG.RESYNC, activity: id }));
      resyncing.add(id);
    } catch (e) {
      drop();
    }
  }

  function transmit(id, p) {
    if (!online()) return;
    try {
      ws.send(p.frame);
      p.sentAt = Date.now();
      p.sent = true;
      startWatchdog();
    } catch (e) {
      drop();
    }
  }

  function flush() {
    for (const [id, p] of pending) transmit(id, p);
  }

  function startWatchdog() {
    if (watchdog) return;
    watchdog = setInterval(() => {
      const now = Date.now();
      let waiting = false;
      for (const p of pending.values()) {
        if (!p.sentAt) continue;
        waiting = true;
        if (now - p.sentAt > ACK_TIMEOUT) {
          drop();
          return;
        }
      }
      if (!waiting) stopWatchdog();
    }, 1000);
  }

  function stopWatchdog() {
    clearInterval(watchdog);
    watchdog = 0;
    for (const p of pending.values()) p.sentAt = 0;
  }

  function fatal(msg) {
    if (stopped) return;
    stopped = true;
    clearTimeout(retryTimer);
    stopLiveness();
    stopWatchdog();
    const sock = ws;
    ws = null;
    if (sock) {
      sock.onopen = sock.onmessage = sock.onclose = sock.onerror = null;
      try {
        sock.close();
      } catch (e) {
        // already closing
      }
    }
    for (const p of pending.values()) p.reject(msg);
    pending.clear();
    removeListeners();
    setStatus("offline", { action: ACTION.STOP, status: msg.status || 0, code: msg.code });
    onFatal(msg);
  }

  // When the phone gets its network back or the page comes back to the
  // foreground, try at once instead of waiting out the backoff.
  function wake() {
    if (stopped || ws) return;
    if (document.visibilityState === "hidden") return;
    const wait = notBefore - Date.now();
    // The server asked for the wait: keep the timer that honours it.
    if (wait > 0) return;
    clearTimeout(retryTimer);
    retryTimer = 0;
    backoff = BACKOFF_MIN;
    scheduleReconnect(Math.random() * 300);
  }
  function wentOffline() {
    if (ws) drop();
  }
  window.addEventListener("online", wake);
  window.addEventListener("offline", wentOffline);
  document.addEventListener("visibilitychange", wake);
  function removeListeners() {
    window.removeEventListener("online", wake);
    window.removeEventListener("offline", wentOffline);
    document.removeEventListener("visibilitychange", wake);
  }

  open();

  return {
    /**
     * send a command; resolves with the ack, rejects with the error message.
     * @param {string} op
     * @param {object} [args]
     */
    send(op, args) {
      if (stopped) return Promise.reject({ type: MSG.ERROR, code: CODE.CLOSED, message: "closed" });
      if (rejectOffline && !online()) return Promise.reject({ type: MSG.ERROR, code: CODE.OFFLINE, message: "offline" });
      const id = prefix + ++seq;
      const frame = JSON.stringify(Object.assign({}, args || {}, { type: MSG.CMD, id, op }));
      return new Promise((resolve, reject) => {
        const p = { frame, resolve, reject, sentAt: 0, sent: false, retries: 0 };
        pending.set(id, p);
        transmit(id, p);
        // The socket failed under the send: this click never left the page.
        if (rejectOffline && !p.sent) {
          pending.delete(id);
          reject({ type: MSG.ERROR, code: CODE.OFFLINE, message: "offline" });
        }
      });
    },
    /**
     * notify sends a message that is never answered unless refused (a
     * reaction's tap) while the link is up, and reports whether it went:
     * it is not kept for the next link.
     * @param {object} msg
     */
    notify(msg) {
      if (!online()) return false;
      try {
        ws.send(JSON.stringify(msg));
        return true;
      } catch (e) {
        return false;
      }
    },
    /** online says whether commands go out now. */
    online,
    /** relang connects again now, for views in the page's new language. */
    relang() {
      if (stopped || !ws) return;
      const sock = ws;
      ws = null;
      welcomed = false;
      stopLiveness();
      stopWatchdog();
      sock.onopen = sock.onmessage = sock.onclose = sock.onerror = null;
      try {
        sock.close(CLOSE.NORMAL);
      } catch (e) {
        // already closing
      }
      // Views held for patches are of the old language: the welcome
      // brings the new ones whole.
      if (views) views.reset();
      open();
    },
    /** ms to add to Date.now() to get the server's time. */
    clockOffset() {
      return clock;
    },
    close() {
      if (stopped) return;
      stopped = true;
      clearTimeout(retryTimer);
      stopLiveness();
      stopWatchdog();
      removeListeners();
      const sock = ws;
      ws = null;
      if (sock) {
        sock.onopen = sock.onmessage = sock.onclose = sock.onerror = null;
        try {
          sock.close(CLOSE.NORMAL);
        } catch (e) {
          // already closing
        }
      }
    },
  };
}
