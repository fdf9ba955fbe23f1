// conn.js: the one websocket connection a page keeps to the server.
//
// It sends "hello" with the last offset seen, reconnects with jittered
// exponential backoff, resends commands that were never answered with the
// same id (the server applies a repeated id once), and keeps an estimate of
// the server clock from the "now" field of pushes.

const BACKOFF_MIN = 500;
const BACKOFF_MAX = 15000;
// A command sent on an open socket that gets no answer within this time
// means the socket is probably dead (phones lose networks silently): drop it
// and reconnect, which resends the command.
const ACK_TIMEOUT = 15000;
// The server asks to retry "internal" errors marked retryable.
const RETRY_LIMIT = 5;

function wsURL() {
  return (location.protocol === "https:" ? "wss:" : "ws:") + "//" + location.host + "/ws";
}

function randomId() {
  const a = new Uint32Array(2);
  crypto.getRandomValues(a);
  return a[0].toString(36) + a[1].toString(36);
}

/**
 * connect opens the connection and keeps it open until close() or a fatal error.
 * @param {{token: string, onWelcome?: Function, onMessage?: Function,
 *          onStatus?: Function, onFatal?: Function}} opts
 */
export function connect(opts) {
  const token = opts.token;
  const noop = () => {};
  const onWelcome = opts.onWelcome || noop;
  const onMessage = opts.onMessage || noop;
  const onStatus = opts.onStatus || noop;
  const onFatal = opts.onFatal || noop;

  const prefix = "c-" + randomId() + "-";
  let seq = 0;
  let ws = null;
  let welcomed = false;
  let stopped = false;
  let offset = 0;
  let backoff = BACKOFF_MIN;
  let retryTimer = 0;
  let watchdog = 0;
  let status = "";
  // Samples of (server time - local time) in ms; the largest one is the one
  // that travelled fastest, so it is the best estimate.
  let clockSamples = [];
  let clock = 0;
  // id -> {frame, resolve, reject, sentAt, retries}; Map keeps send order.
  const pending = new Map();

  function setStatus(s) {
    if (s === status) return;
    status = s;
    onStatus(s);
  }

  function open() {
    if (stopped) return;
    clearTimeout(retryTimer);
    retryTimer = 0;
    welcomed = false;
    if (!status) setStatus("connecting");
    let sock;
    try {
      sock = new WebSocket(wsURL());
    } catch (e) {
      scheduleReconnect();
      return;
    }
    ws = sock;
    sock.onopen = () => {
      if (sock !== ws) return;
      sock.send(JSON.stringify({ type: "hello", token, since: offset }));
    };
    sock.onmessage = (ev) => {
      if (sock !== ws) return;
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
      ws = null;
      welcomed = false;
      stopWatchdog();
      if (stopped) return;
      if (ev.code === 1008) {
        fatal({ type: "error", code: "unauthorized", message: ev.reason || "unauthorized" });
        return;
      }
      setStatus("offline");
      scheduleReconnect();
    };
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
  // and reconnects after the given delay (or the backoff).
  function drop(delay) {
    const sock = ws;
    ws = null;
    welcomed = false;
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
    setStatus("offline");
    scheduleReconnect(delay);
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
      case "welcome":
        welcomed = true;
        backoff = BACKOFF_MIN;
        // A fresh welcome is a full view: start counting from it.
        if (typeof msg.offset === "number") offset = msg.offset;
        clockSamples = [];
        noteClock(msg);
        setStatus("online");
        onWelcome(msg);
        flush();
        return;
      case "ack": {
        const p = pending.get(msg.id);
        if (p) {
          pending.delete(msg.id);
          p.resolve(msg);
        }
        return;
      }
      case "error": {
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
        if (msg.id && msg.code !== "unauthorized") return;
        if (msg.code === "unauthorized") {
          fatal(msg);
          return;
        }
        onMessage(msg);
        return;
      }
      case "reconnect":
        // Many clients get this at once; spread their return.
        backoff = BACKOFF_MIN;
        drop(100 + Math.random() * 1900);
        return;
      default:
        noteOffset(msg);
        noteClock(msg);
        onMessage(msg);
    }
  }

  function transmit(id, p) {
    if (!ws || !welcomed || ws.readyState !== WebSocket.OPEN) return;
    try {
      ws.send(p.frame);
      p.sentAt = Date.now();
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
    stopWatchdog();
    const sock = ws;
    ws = null;
    if (sock) {
      sock.onclose = null;
      try {
        sock.close();
      } catch (e) {
        // already closing
      }
    }
    for (const p of pending.values()) p.reject(msg);
    pending.clear();
    removeListeners();
    setStatus("offline");
    onFatal(msg);
  }

  // When the phone gets its network back or the page comes back to the
  // foreground, try at once instead of waiting out the backoff.
  function wake() {
    if (stopped || ws) return;
    if (document.visibilityState === "hidden") return;
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
      if (stopped) return Promise.reject({ type: "error", code: "unauthorized", message: "closed" });
      const id = prefix + ++seq;
      const frame = JSON.stringify(Object.assign({}, args || {}, { type: "cmd", id, op }));
      return new Promise((resolve, reject) => {
        const p = { frame, resolve, reject, sentAt: 0, retries: 0 };
        pending.set(id, p);
        transmit(id, p);
      });
    },
    /** ms to add to Date.now() to get the server's time. */
    clockOffset() {
      return clock;
    },
    close() {
      if (stopped) return;
      stopped = true;
      clearTimeout(retryTimer);
      stopWatchdog();
      removeListeners();
      const sock = ws;
      ws = null;
      if (sock) {
        sock.onclose = null;
        try {
          sock.close(1000);
        } catch (e) {
          // already closing
        }
      }
    },
  };
}
