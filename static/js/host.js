// The facilitator console: /host/ creates a session, /host/<id>#<facilitatorKey>
// runs it. Every piece of user text goes into the page with textContent.
import { connect, CODE, ACTION } from "/static/js/conn.js";
import { initI18n, t, applyI18n, languageSwitcher, lang } from "/static/js/i18n.js";

const $ = (id) => document.getElementById(id);

// The console's whole state. view is the latest SessionView header; acts
// holds each activity with the offset it was pushed at, so that an older
// copy inside a session push never replaces a newer activity push.
const S = {
  id: "",
  key: "",
  displayKey: "",
  // The session's links from the server ({join, host, show}), keys included.
  links: null,
  linksDone: false,
  conn: null,
  status: "",
  view: null,
  acts: new Map(),
  order: [],
  cards: new Map(),
  // Names of the hands seen waiting or speaking, for "Re-add" to name who.
  names: new Map(),
  focused: false,
  // The element that had the focus when the link dropped and the controls
  // were disabled under it: it gets the focus back when the link returns.
  lostFocus: null,
};

let idCounter = 0;
const nextId = (prefix) => `${prefix}-${++idCounter}`;

// h builds an element. Text is always set with textContent.
function h(tag, opts = {}, children = []) {
  const e = document.createElement(tag);
  if (opts.cls) e.className = opts.cls;
  if (opts.text != null) e.textContent = opts.text;
  if (opts.attrs) for (const [k, v] of Object.entries(opts.attrs)) e.setAttribute(k, v);
  if (opts.on) for (const [k, f] of Object.entries(opts.on)) e.addEventListener(k, f);
  for (const c of children) if (c) e.append(c);
  return e;
}

function button(text, onClick, cls = "") {
  return h("button", { cls, text, attrs: { type: "button" }, on: { click: onClick } });
}

// syncList makes container's children match items, reusing the element of
// each key, so that focus and scroll survive the frequent pushes. Elements
// are only moved when their place changes; a focused element that had to be
// moved gets its focus back.
function syncList(container, items, keyOf, create, update) {
  const old = new Map();
  for (const child of Array.from(container.children)) old.set(child.dataset.key, child);
  const active = document.activeElement;
  const seen = new Set();
  let prev = null;
  items.forEach((item, i) => {
    const key = String(keyOf(item, i));
    seen.add(key);
    let node = old.get(key);
    if (!node) {
      node = create(item, i);
      node.dataset.key = key;
    }
    update(node, item, i);
    const want = prev ? prev.nextSibling : container.firstChild;
    if (want !== node) container.insertBefore(node, want);
    prev = node;
  });
  for (const [key, node] of old) if (!seen.has(key)) node.remove();
  if (active && active !== document.activeElement && active.isConnected) active.focus();
}

function formatCode(code) {
  const digits = String(code || "").replace(/\D/g, "");
  return digits.length === 8 ? `${digits.slice(0, 4)} ${digits.slice(4)}` : String(code || "");
}

function formatDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  const r = s % 60;
  return `${m}:${String(r).padStart(2, "0")}`;
}

function readStored(id) {
  try {
    const raw = localStorage.getItem(`townhall.host.${id}`);
    const v = raw ? JSON.parse(raw) : null;
    return v && typeof v === "object" ? v : null;
  } catch {
    return null;
  }
}

// ---- errors and announcements ------------------------------------------

// A refusal is said from this page's table: by its reason (which cap, who
// holds the floor, what is on screen) when the server gave one, else by its
// code. The server's message is English: it is shown only on an English
// page, and only when no template says more.
function describeError(err) {
  const e = err || {};
  const code = e.code || "";
  if (e.reason) {
    const vars = { max: e.max ?? "", name: e.name || "" };
    const key = `reason.${e.reason}${e.name || e.reason !== "presented_other" ? "" : "Anon"}`;
    const s = t(key, vars);
    if (s !== key) return s;
  }
  const message = typeof e.message === "string" ? e.message.trim() : "";
  if (message && lang() === "en" && DETAILED.has(code)) return message;
  if (code) {
    const key = `error.${code}`;
    const s = t(key);
    if (s !== key) return s;
  }
  if (message && lang() === "en") return message;
  return t("error.unknown");
}

// Codes whose English message may say more than the generic text.
const DETAILED = new Set([CODE.CONFLICT, CODE.LIMIT_REACHED, CODE.BAD_REQUEST, CODE.INVALID_CHOICE, CODE.FORBIDDEN]);

function showError(text) {
  const box = $("alert");
  $("alert-text").textContent = "";
  box.hidden = false;
  // A fresh text node in the alert region is announced even when the same
  // error happens twice in a row.
  requestAnimationFrame(() => { $("alert-text").textContent = text; });
}

function clearError() {
  $("alert").hidden = true;
  $("alert-text").textContent = "";
}

async function httpErrorText(res) {
  try {
    const body = await res.json();
    if (body && body.error) return describeError(body.error);
  } catch {
    // Not JSON: fall through to the status-based message.
  }
  if (res.status === 401) return describeError({ code: CODE.UNAUTHORIZED });
  if (res.status === 404) return describeError({ code: CODE.NOT_FOUND });
  if (res.status === 429) return describeError({ code: CODE.RATE_LIMITED });
  return t("error.http", { status: res.status });
}

// The live region speaks result changes at most every few seconds, and only
// the activities whose summary actually changed.
const live = { pending: new Map(), spoken: new Map(), timer: 0 };

function announce(text) {
  const el = $("live");
  // The same sentence twice in a row is still spoken: clear, then set.
  el.textContent = "";
  setTimeout(() => { el.textContent = text; }, 50);
}

function queueSummary(id) {
  const entry = S.acts.get(id);
  if (!entry) return;
  const text = summarize(entry.a);
  if (!text || live.spoken.get(id) === text) return;
  live.pending.set(id, text);
  if (!live.timer) {
    live.timer = setTimeout(() => {
      live.timer = 0;
      const texts = [];
      for (const [k, v] of live.pending) {
        live.spoken.set(k, v);
        texts.push(v);
      }
      live.pending.clear();
      if (texts.length) announce(texts.join(" "));
    }, 3000);
  }
}

function summarize(a) {
  const title = a.title || "";
  switch (a.kind) {
    case "poll": {
      const parts = (a.options || []).map((o) => `${o.label} ${o.votes ?? 0}`);
      return t("live.poll", { title, results: parts.join(", "), voters: a.voters ?? 0 });
    }
    case "wordcloud": {
      const words = (a.words || []).filter((w) => !w.hidden && !w.pending).slice(0, 5);
      const parts = words.map((w) => `${w.text} ${w.count}`);
      return t("live.wordcloud", { title, results: parts.join(", ") || t("live.none"), entries: a.entries ?? 0 });
    }
    case "qa": {
      const entries = a.entries || [];
      const pending = entries.filter((e) => e.status === "pending").length;
      return t("live.qa", { title, n: entries.length, pending });
    }
    case "queue": {
      const waiting = (a.waiting || []).length;
      if (a.speaking) return t("live.queueSpeaking", { title, name: a.speaking.name || t("queue.anonymous"), n: waiting });
      return t("live.queueIdle", { title, n: waiting });
    }
    default:
      return "";
  }
}

// ---- commands ------------------------------------------------------------

// cmd sends one command; a refusal is shown in slot (an error paragraph
// beside the control that sent it), or in the alert region, and null is
// returned. While the link is down the connection refuses at once: the
// controls are disabled then, so this only answers a click that raced the
// drop.
async function cmd(op, args = {}, slot = null) {
  if (!S.conn) return null;
  if (slot) setSlot(slot, "");
  try {
    const ack = await S.conn.send(op, args);
    clearError();
    return ack || {};
  } catch (err) {
    const text = describeError(err);
    if (slot) setSlot(slot, text);
    else showError(text);
    return null;
  }
}

function setSlot(slot, text) {
  slot.textContent = "";
  // A fresh text in the alert paragraph is spoken even when the same error
  // comes twice in a row.
  if (text) requestAnimationFrame(() => { slot.textContent = text; });
}

// ---- create page (/host/) --------------------------------------------------

function startCreate() {
  $("create").hidden = false;
  const form = $("create-form");
  const title = $("create-title");
  title.focus();
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearError();
    const value = title.value.trim();
    if (!value) {
      showError(t("create.titleRequired"));
      title.focus();
      return;
    }
    const headers = { "Content-Type": "application/json" };
    const token = $("create-token").value.trim();
    if (token) headers.Authorization = `Bearer ${token}`;
    const submit = $("create-submit");
    // The button keeps the focus while the request runs: busy, not disabled.
    if (submit.getAttribute("aria-busy") === "true") return;
    submit.setAttribute("aria-busy", "true");
    try {
      const res = await fetch("/api/sessions", { method: "POST", headers, body: JSON.stringify({ title: value }) });
      if (res.status === 201) {
        const answer = await res.json();
        try {
          localStorage.setItem(`townhall.host.${answer.id}`, JSON.stringify(answer));
        } catch {
          // Private mode: the console still works, without the display link later.
        }
        const target = (answer.links && answer.links.host) ||
          `/host/${encodeURIComponent(answer.id)}#${answer.facilitatorKey}`;
        location.assign(target);
        return;
      }
      if (res.status === 401) {
        $("create-token-field").hidden = false;
        showError(token ? t("create.badToken") : t("create.needToken"));
        $("create-token").focus();
        return;
      }
      showError(await httpErrorText(res));
    } catch {
      showError(t("error.network"));
    } finally {
      submit.removeAttribute("aria-busy");
    }
  });
}

// ---- console (/host/<id>#key) ---------------------------------------------

function startConsole(id) {
  S.id = id;
  let key = location.hash.slice(1);
  try {
    key = decodeURIComponent(key);
  } catch {
    // Keep the raw fragment.
  }
  const stored = readStored(id);
  if (!key && stored && stored.facilitatorKey) {
    key = stored.facilitatorKey;
    history.replaceState(null, "", `#${key}`);
  }
  if (!key) {
    fatal(t("fatal.noKey"));
    return;
  }
  S.key = key;
  if (stored && stored.displayKey && (!stored.facilitatorKey || stored.facilitatorKey === key)) {
    S.displayKey = stored.displayKey;
    if (stored.links) S.links = stored.links;
  }
  $("console").hidden = false;
  setupSessionPanel();
  setupPrepare();
  setStatus("connecting");
  S.conn = connect({
    token: key,
    // No stale clicks: a click while offline is refused, never replayed later.
    rejectOffline: true,
    onWelcome,
    onMessage,
    onStatus: setStatus,
    onFatal(msg) {
      S.conn = null;
      const code = msg && msg.code;
      if (code === CODE.UNAUTHORIZED || !code) fatal(t("fatal.unauthorized"));
      else if (code === CODE.NOT_FOUND) deleted();
      else if (code === CODE.CLOSED) fatal(t("fatal.closed"));
      else fatal(describeError(msg));
    },
  });
  fetchLinks(id, key);
  setInterval(tickTimers, 1000);
  // The key lives in the fragment: another key pasted into this tab is
  // another console, so start again with it.
  window.addEventListener("hashchange", () => location.reload());
}

// deleted: the session is gone for good, so its keys kept in this browser
// are of no more use, and the way on is a new session.
function deleted() {
  try {
    localStorage.removeItem(`townhall.host.${S.id}`);
  } catch {
    // Private mode: nothing was kept.
  }
  fatal(t("fatal.notFound"));
  $("fatal-new").hidden = false;
}

function fatal(text) {
  $("console").hidden = true;
  $("status").hidden = true;
  $("fatal").hidden = false;
  $("fatal-text").textContent = text;
}

function setStatus(status, info) {
  S.status = status;
  if (info) S.statusInfo = info;
  const box = $("status");
  box.hidden = false;
  box.dataset.status = status;
  const labels = { connecting: t("status.connecting"), online: t("status.online"), offline: t("status.offline") };
  // A link that stopped for good is not "reconnecting".
  const stopped = status === "offline" && (S.statusInfo || {}).action === ACTION.STOP;
  $("status-text").textContent = stopped ? t("status.stopped") : labels[status] || status;
  setControls(status === "online");
}

// setControls disables every control of the console while the link is down
// (one disabled fieldset around them all), and says why in the banner beside
// them.
function setControls(on) {
  const controls = $("controls");
  const banner = $("offline-banner");
  const a = document.activeElement;
  if (!on && !controls.disabled && a && controls.contains(a)) {
    S.lostFocus = a;
    // Where it was, to find its twin if a redraw replaces it.
    const card = a.closest("#activities > article[data-key]");
    const row = a.closest("li[data-key]");
    S.lostWhere = { card: card ? card.dataset.key : "", row: row ? row.dataset.key : "" };
  }
  controls.disabled = !on;
  document.body.classList.toggle("is-offline", !on);
  const info = S.statusInfo || {};
  const text = on || S.status !== "offline" || info.action === ACTION.STOP ? ""
    : info.action === ACTION.RECONNECT_AFTER_5S ? t("offline.flood")
    : info.action === ACTION.RECONNECT_BACKOFF ? t("offline.busy")
    : t("offline.banner");
  if (banner.textContent !== text) banner.textContent = text;
  if (!on) {
    // The focused control has just been disabled: keep the keyboard in the
    // page, on the sentence that says why.
    if (S.lostFocus && document.activeElement !== banner && (document.activeElement === document.body || !document.activeElement || S.lostFocus === document.activeElement)) {
      if (text) banner.focus();
    }
    return;
  }
  // The welcome that follows redraws the console: the focus goes back
  // after that, so that a control redrawn or re-enabled by it gets it.
  setTimeout(restoreLostFocus, 0);
}

function restoreLostFocus() {
  const lost = S.lostFocus;
  if (!lost || S.status !== "online") return;
  S.lostFocus = null;
  const now = document.activeElement;
  // Where the focus was parked meanwhile: the banner, nowhere, or a heading
  // that a redraw fell back to.
  const parked = !now || now === document.body || now === $("offline-banner") || now === $("main") ||
    now === $("session-heading") || (now.matches("h3") && $("activities").contains(now));
  if (!parked) return;
  const back = usable(lost) ? lost : sameControl(lost);
  if (back) back.focus();
}

// sameControl finds, after a redraw replaced it, the control that plays the
// part el played: in the same card (and row), with the same action or text.
function sameControl(el) {
  const where = S.lostWhere || {};
  if (!where.card) return null;
  const root = Array.from($("activities").children).find((a) => a.dataset.key === where.card);
  if (!root) return null;
  const scope = where.row ? Array.from(root.querySelectorAll("li[data-key]")).find((li) => li.dataset.key === where.row) : root;
  if (!scope) return null;
  const same = Array.from(scope.querySelectorAll(el.tagName)).filter(usable);
  return same.find((x) => el.dataset.action && x.dataset.action === el.dataset.action) ||
    same.find((x) => x.textContent === el.textContent) || null;
}

function onWelcome(msg) {
  S.acts.clear();
  S.order = [];
  applySessionView(msg.view || {}, msg.offset || 0);
  renderHeader();
  renderActivities();
  // A console just opened (after "Create the session", say) starts with the
  // focus on the session's heading rather than nowhere.
  if (!S.focused) {
    S.focused = true;
    const a = document.activeElement;
    if (!a || a === document.body || a === $("main")) $("session-heading").focus();
  }
}

function onMessage(msg) {
  if (!msg) return;
  if (msg.type === "session" && msg.view) {
    applySessionView(msg.view, msg.offset || 0);
    renderHeader();
    renderActivities();
  } else if (msg.type === "activity" && msg.activity) {
    if (applyActivity(msg.activity, msg.offset || 0)) {
      renderActivities();
      queueSummary(msg.activity.id);
    }
  } else if (msg.type === "error" && !msg.id) {
    showError(describeError(msg));
  }
}

function applyActivity(a, offset) {
  const cur = S.acts.get(a.id);
  if (cur && cur.offset > offset) return false;
  S.acts.set(a.id, { a, offset });
  if (!S.order.includes(a.id)) S.order.push(a.id);
  return true;
}

function applySessionView(view, offset) {
  S.view = view;
  if (Array.isArray(view.activities)) {
    const ids = [];
    for (const a of view.activities) {
      applyActivity(a, offset);
      ids.push(a.id);
    }
    for (const id of S.order) if (!ids.includes(id)) ids.push(id);
    S.order = ids;
  }
}

const ended = () => !!(S.view && S.view.state === "ended");

// ---- session panel -----------------------------------------------------------

// fetchLinks asks the server for the session's links: a console opened in
// another browser than the one that created the session has only the
// facilitator key, and without the join key a copied link would count as
// a typed code (and be rate limited like one).
async function fetchLinks(id, key) {
  try {
    await askLinks(id, key);
  } finally {
    S.linksDone = true;
    if (S.view) renderHeader();
  }
}

async function askLinks(id, key) {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const res = await fetch(`/api/sessions/${encodeURIComponent(id)}/links`, { headers: { Authorization: `Bearer ${key}` } });
      if (res.ok) {
        const answer = await res.json();
        if (!answer || !answer.links) return;
        S.links = answer.links;
        S.displayKey = answer.displayKey || S.displayKey;
        try {
          localStorage.setItem(`townhall.host.${id}`, JSON.stringify(answer));
        } catch {
          // Private mode: asked again next time.
        }
        return;
      }
      // A refused key or a deleted session is said by the connection.
      if (res.status < 500 && res.status !== 429) return;
    } catch {
      // The network: try again below.
    }
    await new Promise((r) => setTimeout(r, 1000 * 2 ** attempt));
  }
}

function joinLink() {
  if (S.links && S.links.join) return S.links.join;
  const code = String((S.view && S.view.code) || "").replace(/\D/g, "");
  return code ? `${location.origin}/j/${code}` : "";
}

function showLink() {
  if (S.links && S.links.show) return S.links.show;
  return S.displayKey ? `${location.origin}/show/${encodeURIComponent(S.id)}#${S.displayKey}` : "";
}

function copy(text) {
  const done = (ok) => { $("copied").textContent = ok ? t("session.copied") : t("session.copyFailed"); };
  if (!text) return;
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(text).then(() => done(true), () => done(false));
  } else {
    done(false);
  }
}

function setupSessionPanel() {
  $("copy-join").addEventListener("click", () => copy(joinLink()));
  $("copy-show").addEventListener("click", () => copy(showLink()));
  $("export-json").addEventListener("click", () => exportSession("json"));
  $("export-csv").addEventListener("click", () => exportSession("csv"));
  $("end-button").addEventListener("click", () => {
    $("end-start").hidden = true;
    $("end-confirm").hidden = false;
    $("end-no").focus();
  });
  const cancel = () => {
    $("end-confirm").hidden = true;
    $("end-start").hidden = false;
    $("end-button").focus();
  };
  $("end-no").addEventListener("click", cancel);
  $("end-confirm").addEventListener("keydown", (ev) => { if (ev.key === "Escape") cancel(); });
  $("end-yes").addEventListener("click", async () => {
    $("end-yes").disabled = true;
    const ack = await cmd("session.end", {}, $("session-error"));
    $("end-yes").disabled = false;
    $("end-confirm").hidden = true;
    if (ack) {
      announce(t("end.done"));
      $("session-heading").focus();
    } else {
      $("end-start").hidden = false;
      $("end-button").focus();
    }
  });
  $("session-heading").setAttribute("tabindex", "-1");
}

function renderHeader() {
  const v = S.view || {};
  const title = v.title || "";
  $("session-heading").textContent = title;
  document.title = title ? `${title} – ${t("page.title")}` : t("page.title");
  $("join-code").textContent = formatCode(v.code);
  const join = joinLink();
  $("join-link").textContent = join;
  $("join-link").href = join || "/";
  const show = showLink();
  $("show-link-row").hidden = !show;
  $("show-link-missing").hidden = !!show || !S.linksDone;
  $("show-link").textContent = show;
  $("show-link").href = show || "/";
  $("participants").textContent = String(v.participants ?? 0);
  const isEnded = ended();
  document.body.classList.toggle("is-ended", isEnded);
  $("ended-banner").hidden = !isEnded;
  $("end-start").hidden = isEnded || !$("end-confirm").hidden;
  // Nothing is left to end: the heading goes with its section.
  $("end-heading").hidden = isEnded;
  if (isEnded) $("end-confirm").hidden = true;
  for (const el of document.querySelectorAll(".prepare input, .prepare select, .prepare textarea, .prepare button")) {
    el.disabled = isEnded;
  }
}

async function exportSession(format) {
  clearError();
  const url = `/api/sessions/${encodeURIComponent(S.id)}/export${format === "csv" ? "?format=csv" : ""}`;
  const btn = format === "csv" ? $("export-csv") : $("export-json");
  // Busy rather than disabled: a disabled button would drop the focus.
  if (btn.getAttribute("aria-busy") === "true") return;
  btn.setAttribute("aria-busy", "true");
  try {
    const res = await fetch(url, { headers: { Authorization: `Bearer ${S.key}` } });
    if (!res.ok) {
      showError(await httpErrorText(res));
      return;
    }
    const blob = await res.blob();
    const href = URL.createObjectURL(blob);
    const a = h("a");
    const code = String((S.view && S.view.code) || S.id).replace(/[^0-9A-Za-z_-]/g, "");
    const day = new Date().toISOString().slice(0, 10);
    a.href = href;
    a.download = `townhall-${code}-${day}.${format}`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 30000);
    announce(t("export.done"));
  } catch {
    showError(t("error.network"));
  } finally {
    btn.removeAttribute("aria-busy");
  }
}

// ---- prepare forms -------------------------------------------------------------

function setupPrepare() {
  const select = $("kind-select");
  const forms = document.querySelectorAll(".kind-form");
  select.addEventListener("change", () => {
    for (const f of forms) f.hidden = f.dataset.kind !== select.value;
  });
  for (const f of forms) f.addEventListener("submit", onCreateActivity);

  addOptionField("");
  addOptionField("");
  $("poll-add").addEventListener("click", () => {
    const input = addOptionField("");
    input.focus();
  });
  $("poll-multi").addEventListener("change", () => {
    $("poll-max-field").hidden = !$("poll-multi").checked;
  });
}

function addOptionField(value) {
  const list = $("poll-options");
  const id = nextId("poll-option");
  const label = h("label", { attrs: { for: id } });
  const input = h("input", { attrs: { id, type: "text", maxlength: "200", autocomplete: "off" } });
  input.value = value;
  const remove = h("button", { cls: "small", attrs: { type: "button" }, text: t("poll.remove") });
  const li = h("li", { cls: "option-input" }, [label, input, remove]);
  remove.addEventListener("click", () => {
    const items = Array.from(list.children);
    const i = items.indexOf(li);
    li.remove();
    relabelOptions();
    const rest = Array.from(list.querySelectorAll("input"));
    (rest[Math.min(i, rest.length - 1)] || $("poll-add")).focus();
  });
  input.addEventListener("keydown", (ev) => {
    // Enter in an option adds the next one instead of submitting half a poll.
    if (ev.key === "Enter") {
      ev.preventDefault();
      const items = Array.from(list.querySelectorAll("input"));
      const i = items.indexOf(input);
      if (i === items.length - 1) addOptionField("").focus();
      else items[i + 1].focus();
    }
  });
  list.append(li);
  relabelOptions();
  return input;
}

function relabelOptions() {
  const items = Array.from($("poll-options").children);
  items.forEach((li, i) => {
    li.querySelector("label").textContent = t("poll.optionN", { n: i + 1 });
    const remove = li.querySelector("button");
    remove.textContent = t("poll.remove");
    remove.setAttribute("aria-label", t("poll.removeOptionN", { n: i + 1 }));
    remove.disabled = items.length <= 2 || ended();
  });
}

function intValue(id, fallback) {
  const n = parseInt($(id).value, 10);
  return Number.isFinite(n) ? n : fallback;
}

async function onCreateActivity(ev) {
  ev.preventDefault();
  clearError();
  setSlot($("prepare-error"), "");
  const form = ev.currentTarget;
  const kind = form.dataset.kind;
  const titleInput = form.querySelector("input[type=text]");
  const title = titleInput.value.trim();
  if (!title) {
    setSlot($("prepare-error"), t("form.titleRequired"));
    titleInput.focus();
    return;
  }
  let activity;
  if (kind === "poll") {
    const options = Array.from($("poll-options").querySelectorAll("input"))
      .map((i) => i.value.trim())
      .filter((v) => v);
    if (options.length < 2) {
      setSlot($("prepare-error"), t("poll.needOptions"));
      const empty = Array.from($("poll-options").querySelectorAll("input")).find((i) => !i.value.trim());
      (empty || $("poll-add")).focus();
      return;
    }
    const multi = $("poll-multi").checked;
    const maxChoices = multi ? Math.min(Math.max(intValue("poll-max", 2), 1), options.length) : 1;
    activity = { kind, title, options, multi, maxChoices };
  } else if (kind === "wordcloud") {
    activity = {
      kind,
      title,
      maxEntries: Math.max(1, intValue("wc-max-entries", 3)),
      maxLength: Math.max(1, intValue("wc-max-length", 40)),
      moderation: $("wc-moderation").value,
    };
  } else if (kind === "qa") {
    activity = { kind, title, moderated: $("qa-moderated").checked, sort: $("qa-sort").value };
  } else if (kind === "queue") {
    const constituencies = $("queue-constituencies").value
      .split(/\n/)
      .map((s) => s.trim())
      .filter((s, i, all) => s && all.indexOf(s) === i);
    activity = {
      kind,
      title,
      speakingSeconds: Math.max(1, intValue("queue-seconds", 180)),
      constituencies,
      policy: $("queue-policy").value,
    };
  } else {
    return;
  }
  const submit = form.querySelector("button[type=submit]");
  if (submit.getAttribute("aria-busy") === "true") return;
  submit.setAttribute("aria-busy", "true");
  const ack = await cmd("activity.create", { activity }, $("prepare-error"));
  submit.removeAttribute("aria-busy");
  if (!ack) return;
  resetForm(kind);
  announce(t("prepare.created", { title }));
  titleInput.focus();
}

function resetForm(kind) {
  const form = document.querySelector(`.kind-form[data-kind="${kind}"]`);
  form.querySelector("input[type=text]").value = "";
  if (kind === "poll") {
    $("poll-options").textContent = "";
    addOptionField("");
    addOptionField("");
    $("poll-multi").checked = false;
    $("poll-max-field").hidden = true;
  } else if (kind === "queue") {
    $("queue-constituencies").value = "";
  }
}

// ---- activity cards ------------------------------------------------------------

function renderActivities() {
  const items = S.order.map((id) => S.acts.get(id)).filter(Boolean).map((e) => e.a);
  $("activities-empty").hidden = items.length > 0;
  syncList(
    $("activities"),
    items,
    (a) => a.id,
    (a) => {
      const card = createCard(a);
      S.cards.set(a.id, card);
      return card.root;
    },
    (node, a) => {
      const card = S.cards.get(a.id);
      if (card) card.update(a);
    },
  );
  for (const id of Array.from(S.cards.keys())) if (!S.acts.has(id)) S.cards.delete(id);
}

function kindLabel(kind) {
  return { poll: t("kind.poll"), wordcloud: t("kind.wordcloud"), qa: t("kind.qa"), queue: t("kind.queue") }[kind] || kind;
}

// stateLabel is per kind: in French and Spanish the word agrees with the
// kind's name ("File de parole · ouverte", "Sondage · ouvert").
function stateLabel(kind, state) {
  const labels = {
    poll: { draft: t("state.poll.draft"), open: t("state.poll.open"), closed: t("state.poll.closed") },
    wordcloud: { draft: t("state.wordcloud.draft"), open: t("state.wordcloud.open"), closed: t("state.wordcloud.closed") },
    qa: { draft: t("state.qa.draft"), open: t("state.qa.open"), closed: t("state.qa.closed") },
    queue: { draft: t("state.queue.draft"), open: t("state.queue.open"), closed: t("state.queue.closed") },
  }[kind];
  return (labels && labels[state]) || state;
}

// ---- keeping the keyboard focus across re-renders ----

// Buttons whose action turns into another: the focus follows to the other.
const COUNTERPART = { pin: "unpin", unpin: "pin", hide: "unhide", unhide: "hide" };

// rememberFocus notes where the focus is inside root: the element, and the
// row (li[data-key]) and button action it belongs to, so that it can be
// found again when a push rebuilds or moves that row.
function rememberFocus(root) {
  const el = document.activeElement;
  if (!el || !root.contains(el)) return null;
  const row = el.closest("li[data-key]");
  return {
    el,
    key: row ? row.dataset.key : null,
    list: row ? row.parentElement : null,
    index: row ? Array.prototype.indexOf.call(row.parentElement.children, row) : -1,
    action: el.dataset.action || "",
  };
}

function usable(el) {
  return !!el && el.isConnected && !el.disabled && !el.closest("[hidden]");
}

function focusRow(li) {
  if (!li.hasAttribute("tabindex")) li.setAttribute("tabindex", "-1");
  li.focus();
}

// restoreFocus puts the focus back when an update dropped it: on the same
// element if it is still there, else on the same row (moved or rebuilt,
// maybe into another list) on the same action, its counterpart or the row
// itself, else on the neighbouring row, else on the card's heading.
function restoreFocus(root, f, heading) {
  if (!f) return;
  const now = document.activeElement;
  if (now && now !== document.body && now.isConnected && root.contains(now)) return;
  if (usable(f.el)) {
    f.el.focus();
    return;
  }
  if (f.key !== null) {
    const row = Array.from(root.querySelectorAll("li[data-key]")).find((li) => li.dataset.key === f.key && !li.closest("[hidden]"));
    if (row) {
      const buttons = Array.from(row.querySelectorAll("button")).filter(usable);
      const same = buttons.find((b) => b.dataset.action === f.action) ||
        buttons.find((b) => b.dataset.action === COUNTERPART[f.action]);
      if (same) same.focus();
      else focusRow(row);
      return;
    }
    if (f.list && f.list.isConnected && f.list.children.length) {
      const next = f.list.children[Math.min(f.index, f.list.children.length - 1)];
      const b = Array.from(next.querySelectorAll("button")).find((x) => x.dataset.action === f.action && usable(x));
      if (b) b.focus();
      else focusRow(next);
      return;
    }
  }
  heading.setAttribute("tabindex", "-1");
  heading.focus();
}

function checkbox(text, onChange) {
  const input = h("input", { attrs: { type: "checkbox" }, on: { change: onChange } });
  const label = h("label", { cls: "check" }, [input, h("span", { text })]);
  return { input, label };
}

function createCard(a) {
  const c = { id: a.id, kind: a.kind, a };
  const titleId = nextId("activity-title");
  c.root = h("article", { cls: `activity kind-${a.kind}`, attrs: { "aria-labelledby": titleId } });
  c.title = h("h3", { attrs: { id: titleId } });
  c.kindTag = h("span", { cls: "tag tag-kind" });
  c.stateTag = h("span", { cls: "tag tag-state" });
  c.presentedTag = h("span", { cls: "tag tag-presented", text: t("activity.presentedTag") });
  const head = h("header", { cls: "activity-head" }, [c.title, h("p", { cls: "tags" }, [c.kindTag, c.stateTag, c.presentedTag])]);

  c.presentBtn = button("", () => {
    const presented = S.view && S.view.presented === c.id;
    cmd("activity.present", { activity: presented ? "" : c.id }, c.err);
  }, "primary");
  c.openBtn = button("", async () => {
    const closing = c.a.state === "open";
    const ack = await cmd(closing ? "activity.close" : "activity.open", { activity: c.id }, c.err);
    if (ack) announce(t(closing ? "activity.closedLive" : "activity.openedLive", { title: c.a.title || "" }));
  });
  const reveal = () => cmd("activity.reveal", {
    activity: c.id,
    attendees: c.revealAtt.input.checked,
    display: c.revealDisp.input.checked,
  }, c.err);
  c.revealAtt = checkbox(t("reveal.attendees"), reveal);
  c.revealDisp = checkbox(t("reveal.display"), reveal);
  const fieldset = h("fieldset", { cls: "reveal" }, [
    h("legend", { text: t("reveal.legend") }),
    c.revealAtt.label,
    c.revealDisp.label,
  ]);
  const controls = h("div", { cls: "activity-controls" }, [h("p", { cls: "actions" }, [c.presentBtn, c.openBtn]), fieldset]);
  c.body = h("div", { cls: "activity-body" });
  // A refused command of this card is explained here, beside its controls.
  c.err = h("p", { cls: "card-error", attrs: { role: "alert" } });
  c.root.append(head, controls, c.err, c.body);

  const kind = KINDS[a.kind];
  if (kind) kind.create(c);

  c.update = (next) => {
    const focus = rememberFocus(c.root);
    c.a = next;
    c.title.textContent = next.title || "";
    c.kindTag.textContent = kindLabel(next.kind);
    c.stateTag.textContent = stateLabel(next.kind, next.state);
    c.stateTag.dataset.state = next.state || "";
    const presented = !!(S.view && S.view.presented === c.id);
    c.root.classList.toggle("is-presented", presented);
    c.presentedTag.hidden = !presented;
    c.presentBtn.textContent = presented ? t("activity.unpresent") : t("activity.present");
    c.openBtn.textContent = next.state === "open" ? t("activity.close")
      : next.state === "closed" ? t("activity.reopen") : t("activity.open");
    const r = next.revealed || {};
    c.revealAtt.input.checked = !!r.attendees;
    c.revealDisp.input.checked = !!r.display;
    if (kind) kind.update(c, next);
    if (ended()) for (const el of c.root.querySelectorAll("button, input, select")) el.disabled = true;
    restoreFocus(c.root, focus, c.title);
  };
  return c;
}

// ---- poll ----

function createPoll(c) {
  c.pollInfo = h("p", { cls: "hint" });
  c.pollList = h("ul", { cls: "bars" });
  c.body.append(c.pollInfo, c.pollList);
}

function updatePoll(c, a) {
  const voters = a.voters ?? 0;
  const opts = a.options || [];
  const total = a.multi ? voters : opts.reduce((s, o) => s + (o.votes || 0), 0) || voters;
  c.pollInfo.textContent = [
    t("poll.voters", { n: voters }),
    a.multi ? t("poll.multiInfo", { n: a.maxChoices ?? 1 }) : t("poll.singleInfo"),
  ].join(" · ");
  syncList(c.pollList, opts, (o, i) => i, () => {
    const label = h("span", { cls: "bar-label" });
    const count = h("span", { cls: "bar-count" });
    const fill = h("span", { cls: "bar-fill" });
    const track = h("span", { cls: "bar-track", attrs: { "aria-hidden": "true" } }, [fill]);
    const li = h("li", { cls: "bar-row" }, [h("span", { cls: "bar-text" }, [label, count]), track]);
    li._p = { label, count, fill };
    return li;
  }, (li, o) => {
    const votes = o.votes ?? 0;
    const pct = total > 0 ? Math.round((votes * 100) / total) : 0;
    li._p.label.textContent = o.label;
    li._p.count.textContent = t("poll.count", { n: votes, pct });
    li._p.fill.style.width = `${pct}%`;
  });
}

// ---- word cloud ----

function createWordcloud(c) {
  c.wcInfo = h("p", { cls: "hint" });
  c.wcPendingHead = h("h4", { text: t("wordcloud.pendingHeading") });
  c.wcPending = h("ul", { cls: "rows" });
  c.wcWordsHead = h("h4", { text: t("wordcloud.wordsHeading") });
  c.wcEmpty = h("p", { cls: "hint", text: t("wordcloud.empty") });
  c.wcWords = h("ul", { cls: "rows" });
  c.body.append(c.wcInfo, c.wcPendingHead, c.wcPending, c.wcWordsHead, c.wcEmpty, c.wcWords);
}

function wordRow() {
  const text = h("span", { cls: "row-text" });
  const count = h("span", { cls: "row-count" });
  const flags = h("span", { cls: "row-flags" });
  const actions = h("span", { cls: "row-actions" });
  const li = h("li", { cls: "row" }, [text, count, flags, actions]);
  li._p = { text, count, flags, actions, sig: "" };
  return li;
}

// setButtons rebuilds a row's buttons only when the set of actions changes, so
// the button under the keyboard focus usually stays the same element.
function setButtons(p, specs) {
  const sig = specs.map((s) => `${s.key}|${s.text}|${s.label}`).join(";");
  if (p.sig === sig) {
    Array.from(p.actions.children).forEach((b, i) => { b._run = specs[i].run; });
    return;
  }
  const had = p.actions.contains(document.activeElement) ? document.activeElement.dataset.action : null;
  p.sig = sig;
  p.actions.textContent = "";
  for (const s of specs) {
    const b = h("button", { cls: `small ${s.cls || ""}`.trim(), text: s.text, attrs: { type: "button", "aria-label": s.label } });
    b.dataset.action = s.key;
    b._run = s.run;
    b.addEventListener("click", () => b._run());
    p.actions.append(b);
  }
  if (had === null) return;
  // The focus stays on the same action, or the one it turned into (Pin ↔
  // Unpin), else on the row: never on an action the person did not choose.
  const buttons = Array.from(p.actions.children);
  const same = buttons.find((b) => b.dataset.action === had) || buttons.find((b) => b.dataset.action === COUNTERPART[had]);
  if (same) same.focus();
  else focusRow(p.actions.closest("li"));
}

function setFlags(p, flags) {
  const sig = flags.map(([cls, text]) => `${cls}|${text}`).join(";");
  if (p.flagSig === sig) return;
  p.flagSig = sig;
  p.flags.textContent = "";
  for (const [cls, text] of flags) p.flags.append(h("span", { cls: `tag ${cls}`, text }));
}

function updateWordcloud(c, a) {
  const words = a.words || [];
  const pending = words.filter((w) => w.pending);
  const shown = words.filter((w) => !w.pending);
  c.wcInfo.textContent = [
    t("wordcloud.entries", { n: a.entries ?? 0 }),
    t("wordcloud.perPerson", { n: a.maxEntries ?? 0 }),
    a.moderation === "show" ? t("wordcloud.moderationShow") : t("wordcloud.moderationHold"),
  ].join(" · ");
  c.wcPendingHead.hidden = pending.length === 0;
  c.wcPending.hidden = pending.length === 0;
  c.wcEmpty.hidden = shown.length > 0;
  const act = c.id;
  syncList(c.wcPending, pending, (w) => w.text, wordRow, (li, w) => {
    const p = li._p;
    p.text.textContent = w.text;
    p.count.textContent = t("wordcloud.count", { n: w.count ?? 0 });
    setFlags(p, w.flagged ? [["tag-flagged", t("wordcloud.flagged")]] : []);
    setButtons(p, [
      { key: "approve", text: t("wordcloud.approve"), label: t("wordcloud.approveWord", { word: w.text }), cls: "primary",
        run: () => cmd("word.approve", { activity: act, text: w.text }, c.err) },
      { key: "hide", text: t("wordcloud.hide"), label: t("wordcloud.hideWord", { word: w.text }),
        run: () => cmd("word.hide", { activity: act, text: w.text }, c.err) },
    ]);
  });
  syncList(c.wcWords, shown, (w) => w.text, wordRow, (li, w) => {
    const p = li._p;
    li.classList.toggle("is-hidden", !!w.hidden);
    p.text.textContent = w.text;
    p.count.textContent = t("wordcloud.count", { n: w.count ?? 0 });
    const flags = [];
    if (w.hidden) flags.push(["tag-hidden", t("wordcloud.hidden")]);
    if (w.flagged) flags.push(["tag-flagged", t("wordcloud.flagged")]);
    setFlags(p, flags);
    setButtons(p, [w.hidden
      ? { key: "unhide", text: t("wordcloud.unhide"), label: t("wordcloud.unhideWord", { word: w.text }),
        run: () => cmd("word.unhide", { activity: act, text: w.text }, c.err) }
      : { key: "hide", text: t("wordcloud.hide"), label: t("wordcloud.hideWord", { word: w.text }),
        run: () => cmd("word.hide", { activity: act, text: w.text }, c.err) }]);
  });
}

// ---- Q&A ----

// A board may hold thousands of questions (5,000 by default): the console
// draws QA_PAGE of them at a time, in the server's order, and a filter finds
// the others, so the page holds a bounded number of rows whatever the board.
const QA_PAGE = 100;
// Below this many questions the filter is clutter.
const QA_TOOLS_FROM = 20;

function createQa(c) {
  c.qaInfo = h("p", { cls: "hint" });
  c.qaEmpty = h("p", { cls: "hint", text: t("qa.empty") });
  c.qaLimit = QA_PAGE;
  const searchId = nextId("qa-search");
  const statusId = nextId("qa-status");
  c.qaSearch = h("input", { attrs: { id: searchId, type: "search", autocomplete: "off", maxlength: "200" } });
  c.qaStatus = h("select", { attrs: { id: statusId } }, [
    h("option", { attrs: { value: "" }, text: t("qa.filterAll") }),
    h("option", { attrs: { value: "pending" }, text: t("qa.statusPending") }),
    h("option", { attrs: { value: "visible" }, text: t("qa.statusVisible") }),
    h("option", { attrs: { value: "answered" }, text: t("qa.statusAnswered") }),
    h("option", { attrs: { value: "hidden" }, text: t("qa.statusHidden") }),
  ]);
  c.qaTools = h("div", { cls: "qa-tools", attrs: { role: "search" } }, [
    h("p", { cls: "qa-tool" }, [h("label", { attrs: { for: searchId }, text: t("qa.search") }), c.qaSearch]),
    h("p", { cls: "qa-tool" }, [h("label", { attrs: { for: statusId }, text: t("qa.filterStatus") }), c.qaStatus]),
  ]);
  // A new filter starts again from the first page. Typing is coalesced:
  // one redraw per pause, not one per key.
  let typing = 0;
  const refilter = () => {
    clearTimeout(typing);
    typing = 0;
    c.qaLimit = QA_PAGE;
    c.update(c.a);
  };
  c.qaSearch.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(refilter, 150);
  });
  c.qaSearch.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      ev.preventDefault();
      refilter();
    }
  });
  c.qaStatus.addEventListener("change", refilter);
  c.qaList = h("ul", { cls: "rows qa-rows" });
  c.qaShown = h("p", { cls: "hint qa-shown", attrs: { "aria-live": "polite" } });
  c.qaMore = button("", () => {
    const before = c.qaList.children.length;
    c.qaLimit += QA_PAGE;
    c.update(c.a);
    // The keyboard goes on from the first question just drawn.
    const first = c.qaList.children[before];
    if (first) focusRow(first);
  }, "small");
  c.body.append(c.qaInfo, c.qaTools, c.qaEmpty, c.qaList, c.qaShown, c.qaMore);
}

// qaMatches is the filter of the console's Q&A list.
function qaMatches(c) {
  const status = c.qaStatus.value;
  const words = c.qaSearch.value.trim().toLocaleLowerCase();
  if (!status && !words) return null;
  return (e) => (!status || e.status === status) && (!words || String(e.text || "").toLocaleLowerCase().includes(words));
}

function qaStatusLabel(status) {
  return { pending: t("qa.statusPending"), visible: t("qa.statusVisible"), hidden: t("qa.statusHidden"),
    answered: t("qa.statusAnswered") }[status] || status;
}

function updateQa(c, a) {
  const entries = a.entries || [];
  const pending = entries.filter((e) => e.status === "pending").length;
  c.qaInfo.textContent = [
    t("qa.count", { n: entries.length }),
    a.moderated ? t("qa.moderatedInfo", { n: pending }) : t("qa.unmoderatedInfo"),
    a.sort === "time" ? t("qa.sortTime") : t("qa.sortVotes"),
  ].join(" · ");
  c.qaEmpty.hidden = entries.length > 0;
  const match = qaMatches(c);
  c.qaTools.hidden = entries.length < QA_TOOLS_FROM && !match;
  const found = match ? entries.filter(match) : entries;
  const shown = found.length > c.qaLimit ? found.slice(0, c.qaLimit) : found;
  const left = found.length - shown.length;
  c.qaShown.textContent = match || left > 0
    ? (match ? t("qa.showingFound", { shown: shown.length, n: found.length }) : t("qa.showing", { shown: shown.length, n: found.length }))
    : "";
  c.qaShown.hidden = !c.qaShown.textContent;
  c.qaMore.hidden = left <= 0;
  c.qaMore.textContent = t("qa.showMore", { n: Math.min(QA_PAGE, left) });
  const act = c.id;
  syncList(c.qaList, shown, (e) => e.id, () => {
    const li = wordRow();
    li.classList.add("qa-row");
    return li;
  }, (li, e) => {
    // Most pushes change a few questions of a long board: a row whose
    // question did not change is left alone.
    const sig = `${e.status}|${e.pinned ? 1 : 0}|${e.votes ?? 0}|${e.text}`;
    if (li._qaSig === sig) return;
    li._qaSig = sig;
    const p = li._p;
    li.dataset.status = e.status || "";
    li.classList.toggle("is-hidden", e.status === "hidden");
    li.classList.toggle("is-pinned", !!e.pinned);
    p.text.textContent = e.text;
    p.count.textContent = t("qa.votes", { n: e.votes ?? 0 });
    const flags = [[`tag-status tag-${e.status}`, qaStatusLabel(e.status)]];
    if (e.pinned) flags.unshift(["tag-pinned", t("qa.pinned")]);
    setFlags(p, flags);
    const short = e.text.length > 40 ? `${e.text.slice(0, 40)}…` : e.text;
    const mod = (action) => () => cmd("qa.moderate", { activity: act, entry: e.id, action }, c.err);
    // A waiting question can only be approved or hidden; a hidden one shown
    // again; "answered" is undone by approving it again (back to visible).
    const approve = { key: "approve", text: t("qa.approve"), label: t("qa.approveEntry", { text: short }), cls: "primary", run: mod("approve") };
    const hide = { key: "hide", text: t("qa.hide"), label: t("qa.hideEntry", { text: short }), run: mod("hide") };
    const pin = e.pinned
      ? { key: "unpin", text: t("qa.unpin"), label: t("qa.unpinEntry", { text: short }), run: mod("unpin") }
      : { key: "pin", text: t("qa.pin"), label: t("qa.pinEntry", { text: short }), run: mod("pin") };
    let specs;
    if (e.status === "pending") specs = [approve, hide];
    else if (e.status === "hidden") specs = [approve];
    else if (e.status === "answered") {
      specs = [{ key: "answered", text: t("qa.unanswer"), label: t("qa.unanswerEntry", { text: short }), run: mod("approve") }, hide, pin];
    } else {
      specs = [hide, pin, { key: "answered", text: t("qa.answered"), label: t("qa.answeredEntry", { text: short }), run: mod("answered") }];
    }
    setButtons(p, specs);
  });
}

// ---- queue ----

function createQueue(c) {
  const act = () => c.id;
  // Speaking now.
  c.qSpeakName = h("p", { cls: "speaker-name" });
  c.qSpeakMeta = h("p", { cls: "speaker-meta" });
  c.qTimer = h("p", { cls: "timer", attrs: { role: "timer", "aria-live": "off" } });
  c.qTimerNote = h("p", { cls: "timer-note" });
  c.qSpeakBox = h("div", { cls: "speaking" }, [c.qSpeakName, c.qSpeakMeta, c.qTimer, c.qTimerNote]);
  c.qNobody = h("p", { cls: "hint", text: t("queue.nobody") });

  // "current" is the speaker this console shows: if someone else holds the
  // floor by the time the click arrives, the server refuses (conflict)
  // rather than end a turn the facilitator never saw.
  c.qNext = button(t("queue.next"), () => cmd("queue.next", { activity: act(), current: c.qShownHand || "" }, c.err), "primary");
  c.qReadd = button(t("queue.readd"), async () => {
    const who = readdName(c.a);
    const ack = await cmd("queue.readd", { activity: act() }, c.err);
    if (ack) announce(who ? t("queue.readdDone", { name: who }) : t("queue.readdDoneAnon"));
  });
  c.qPause = button("", () => {
    const sp = c.a.speaking;
    cmd("queue.timer", { activity: act(), action: sp && sp.paused ? "resume" : "pause" }, c.err);
  });
  c.qAdd = button(t("queue.add60"), () => cmd("queue.timer", { activity: act(), action: "add", seconds: 60 }, c.err));
  c.qAdd.setAttribute("aria-label", t("queue.add60Label"));

  const setId = nextId("queue-set");
  c.qSetInput = h("input", { attrs: { id: setId, type: "number", min: "1", max: "7200", inputmode: "numeric" } });
  c.qSetBtn = h("button", { cls: "small", text: t("queue.setButton"), attrs: { type: "submit" } });
  c.qSetForm = h("form", { cls: "inline-form" }, [
    h("label", { attrs: { for: setId }, text: t("queue.setLabel") }),
    c.qSetInput,
    c.qSetBtn,
  ]);
  c.qSetForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const n = parseInt(c.qSetInput.value, 10);
    if (!Number.isFinite(n) || n < 1) {
      setSlot(c.err, t("queue.setInvalid"));
      c.qSetInput.focus();
      return;
    }
    cmd("queue.timer", { activity: act(), action: "set", seconds: n }, c.err);
  });

  const policyId = nextId("queue-policy");
  c.qPolicy = h("select", { attrs: { id: policyId } }, [
    h("option", { attrs: { value: "fifo" }, text: t("policy.fifo") }),
    h("option", { attrs: { value: "alternate" }, text: t("policy.alternate") }),
    h("option", { attrs: { value: "firsttime" }, text: t("policy.firsttime") }),
  ]);
  // Arrow keys in a closed select change its value: the policy is applied
  // only with the Apply button.
  c.qPolicyDirty = false;
  c.qPolicy.addEventListener("change", () => { c.qPolicyDirty = c.qPolicy.value !== (c.a.policy || "fifo"); });
  c.qPolicyBtn = h("button", { cls: "small", text: t("queue.policyApply"), attrs: { type: "submit" } });
  const policyField = h("form", { cls: "inline-form" }, [h("label", { attrs: { for: policyId }, text: t("queue.policy") }), c.qPolicy, c.qPolicyBtn]);
  policyField.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const policy = c.qPolicy.value;
    const label = c.qPolicy.selectedOptions[0] ? c.qPolicy.selectedOptions[0].textContent : policy;
    const ack = await cmd("queue.policy", { activity: act(), policy }, c.err);
    if (!ack) return;
    c.qPolicyDirty = false;
    announce(t("queue.policyApplied", { policy: label }));
  });

  c.qWaitHead = h("h4");
  c.qWaitHint = h("p", { cls: "hint", text: t("queue.dragHint") });
  c.qEmpty = h("p", { cls: "hint", text: t("queue.emptyWaiting") });
  c.qList = h("ol", { cls: "rows queue-rows" });
  c.qStatsBody = h("tbody");
  c.qStatsEmpty = h("p", { cls: "hint", text: t("queue.statsEmpty") });
  c.qStats = h("table", { cls: "stats" }, [
    h("caption", { text: t("queue.statsHeading") }),
    h("thead", {}, [h("tr", {}, [
      h("th", { attrs: { scope: "col" }, text: t("queue.statsConstituency") }),
      h("th", { attrs: { scope: "col" }, text: t("queue.statsTurns") }),
      h("th", { attrs: { scope: "col" }, text: t("queue.statsTime") }),
    ])]),
    c.qStatsBody,
  ]);
  c.qSpoken = h("p", { cls: "hint" });

  c.body.append(
    h("h4", { text: t("queue.speakingHeading") }),
    c.qSpeakBox,
    c.qNobody,
    h("p", { cls: "actions" }, [c.qNext, c.qReadd, c.qPause, c.qAdd]),
    c.qSetForm,
    policyField,
    c.qWaitHead,
    c.qWaitHint,
    c.qEmpty,
    c.qList,
    c.qSpoken,
    c.qStats,
    c.qStatsEmpty,
  );
  setupDrag(c);
}

// readdName is the name of the last speaker, from the hands this console
// has seen waiting or speaking.
function readdName(a) {
  const hand = a && a.lastSpeaker;
  return hand ? S.names.get(hand) || "" : "";
}

function handLabel(w) {
  const name = w.name || t("queue.anonymous");
  return w.constituency ? `${name} (${w.constituency})` : name;
}

function updateQueue(c, a) {
  const sp = a.speaking || null;
  const waiting = a.waiting || [];
  const prevHand = c.qShownHand;
  if (sp && sp.hand) S.names.set(sp.hand, sp.name || t("queue.anonymous"));
  for (const w of waiting) S.names.set(w.hand, w.name || t("queue.anonymous"));
  const who = readdName(a);
  c.qReadd.textContent = who ? t("queue.readdName", { name: who }) : t("queue.readd");
  c.qSpeakBox.hidden = !sp;
  c.qNobody.hidden = !!sp;
  c.qPause.disabled = !sp;
  c.qAdd.disabled = !sp;
  c.qSetInput.disabled = !sp;
  c.qSetBtn.disabled = !sp;
  c.qNext.disabled = !sp && waiting.length === 0;
  c.qReadd.disabled = !a.lastSpeaker;
  c.qPause.textContent = sp && sp.paused ? t("queue.resume") : t("queue.pause");
  if (sp) {
    c.qSpeakName.textContent = sp.name || t("queue.anonymous");
    c.qSpeakMeta.textContent = sp.constituency || "";
    c.qSpeakMeta.hidden = !sp.constituency;
    if (sp.hand !== prevHand && document.activeElement !== c.qSetInput) c.qSetInput.value = String(sp.limitSeconds ?? a.speakingSeconds ?? "");
  }
  c.qShownHand = sp ? sp.hand : "";
  renderTimer(c);

  if (!c.qPolicyDirty && document.activeElement !== c.qPolicy) c.qPolicy.value = a.policy || "fifo";
  c.qWaitHead.textContent = t("queue.waitingHeading", { n: waiting.length });
  c.qEmpty.hidden = waiting.length > 0;
  c.qWaitHint.hidden = waiting.length < 2;
  const act = c.id;
  const last = waiting.length - 1;
  syncList(c.qList, waiting, (w) => w.hand, () => {
    const li = wordRow();
    li.classList.add("queue-row");
    li.draggable = true;
    li._p.pos = h("span", { cls: "row-pos" });
    li.prepend(li._p.pos);
    return li;
  }, (li, w, i) => {
    const p = li._p;
    li.dataset.hand = w.hand;
    p.pos.textContent = `${i + 1}.`;
    p.text.textContent = handLabel(w);
    p.count.textContent = "";
    const flags = [];
    if (w.kind === "order") flags.push(["tag-order", t("queue.pointOfOrder")]);
    if (w.placed) flags.push(["tag-placed", t("queue.placed")]);
    setFlags(p, flags);
    const name = w.name || t("queue.anonymous");
    setButtons(p, [
      { key: "up", text: t("queue.up"), label: t("queue.upLabel", { name }), run: () => moveHand(act, w.hand, name, i - 1, c.err) },
      { key: "down", text: t("queue.down"), label: t("queue.downLabel", { name }), run: () => moveHand(act, w.hand, name, i + 1, c.err) },
      { key: "remove", text: t("queue.remove"), label: t("queue.removeLabel", { name }), cls: "danger", run: async () => {
        if (await cmd("queue.remove", { activity: act, hand: w.hand }, c.err)) announce(t("queue.removed", { name }));
      } },
    ]);
    const [up, down] = p.actions.children;
    const focused = document.activeElement;
    up.disabled = i === 0;
    down.disabled = i === last;
    // A button that just became disabled would drop the keyboard focus.
    if (focused === up && up.disabled) down.focus();
    if (focused === down && down.disabled) up.focus();
  });

  c.qSpoken.textContent = t("queue.spoken", { n: a.spoken ?? 0 });
  const stats = a.stats || [];
  c.qStats.hidden = stats.length === 0;
  c.qStatsEmpty.hidden = stats.length > 0;
  syncList(c.qStatsBody, stats, (s) => s.constituency, () => {
    const tr = h("tr");
    tr._p = { name: h("th", { attrs: { scope: "row" } }), turns: h("td"), time: h("td") };
    tr.append(tr._p.name, tr._p.turns, tr._p.time);
    return tr;
  }, (tr, s) => {
    tr._p.name.textContent = s.constituency || t("queue.noConstituency");
    tr._p.turns.textContent = String(s.turns ?? 0);
    tr._p.time.textContent = formatDuration(s.seconds ?? 0);
  });
}

// moveHand moves a waiting hand and says where it went.
async function moveHand(act, hand, name, to, slot) {
  const ack = await cmd("queue.move", { activity: act, hand, to }, slot);
  if (!ack) return;
  // The push with the new order comes with the answer: read the place the
  // hand really got (a point of order may stay ahead of it).
  setTimeout(() => {
    const entry = S.acts.get(act);
    const i = ((entry && entry.a.waiting) || []).findIndex((w) => w.hand === hand);
    announce(t("queue.moved", { name, n: (i >= 0 ? i : to) + 1 }));
  }, 250);
}

// timeLeft follows protocol.md: limitSeconds - elapsedSeconds - (now - runningSince),
// with now the server's clock as estimated by conn.js.
function timeLeft(sp) {
  const limit = sp.limitSeconds ?? 0;
  const elapsed = sp.elapsedSeconds ?? 0;
  let since = sp.runningSince;
  if (since === undefined && !sp.paused) since = sp.startedAt;
  if (!since) return limit - elapsed;
  const offset = S.conn && S.conn.clockOffset ? S.conn.clockOffset() : 0;
  const now = Date.now() + (offset || 0);
  return limit - elapsed - (now - Date.parse(since)) / 1000;
}

function renderTimer(c) {
  const sp = c.a && c.a.speaking;
  if (!sp) {
    c.qTimer.textContent = "";
    c.qTimerNote.textContent = "";
    return;
  }
  const left = timeLeft(sp);
  const over = left < 0;
  c.qSpeakBox.classList.toggle("is-overtime", over);
  c.qSpeakBox.classList.toggle("is-paused", !!sp.paused);
  c.qTimer.textContent = over ? `+${formatDuration(Math.floor(-left))}` : formatDuration(Math.ceil(left));
  const notes = [];
  notes.push(over ? t("queue.overtime") : t("queue.left"));
  if (sp.paused) notes.push(t("queue.paused"));
  notes.push(t("queue.limit", { time: formatDuration(sp.limitSeconds ?? 0) }));
  c.qTimerNote.textContent = notes.join(" · ");
}

function tickTimers() {
  for (const c of S.cards.values()) if (c.kind === "queue") renderTimer(c);
}

const QUEUE_ROW = "li.queue-row";

// Drag-and-drop reordering of the waiting list. The up/down buttons do the
// same for keyboard users.
function setupDrag(c) {
  let dragHand = "";
  const clear = () => {
    for (const li of c.qList.children) li.classList.remove("drop-before", "drop-after", "dragging");
  };
  c.qList.addEventListener("dragstart", (ev) => {
    const li = ev.target.closest && ev.target.closest(QUEUE_ROW);
    if (!li || ended()) { ev.preventDefault(); return; }
    dragHand = li.dataset.hand;
    ev.dataTransfer.effectAllowed = "move";
    ev.dataTransfer.setData("text/plain", dragHand);
    li.classList.add("dragging");
  });
  c.qList.addEventListener("dragover", (ev) => {
    if (!dragHand) return;
    const li = ev.target.closest && ev.target.closest(QUEUE_ROW);
    if (!li) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = "move";
    const r = li.getBoundingClientRect();
    const before = ev.clientY < r.top + r.height / 2;
    for (const x of c.qList.children) x.classList.remove("drop-before", "drop-after");
    li.classList.add(before ? "drop-before" : "drop-after");
  });
  c.qList.addEventListener("dragleave", (ev) => {
    if (!c.qList.contains(ev.relatedTarget)) for (const x of c.qList.children) x.classList.remove("drop-before", "drop-after");
  });
  c.qList.addEventListener("drop", (ev) => {
    const li = ev.target.closest && ev.target.closest(QUEUE_ROW);
    const hand = dragHand;
    dragHand = "";
    clear();
    if (!li || !hand) return;
    ev.preventDefault();
    const hands = (c.a.waiting || []).map((w) => w.hand);
    const from = hands.indexOf(hand);
    const target = hands.indexOf(li.dataset.hand);
    if (from < 0 || target < 0) return;
    const r = li.getBoundingClientRect();
    const insertion = ev.clientY < r.top + r.height / 2 ? target : target + 1;
    const to = insertion > from ? insertion - 1 : insertion;
    const w = c.a.waiting[from];
    if (to !== from) moveHand(c.id, hand, w.name || t("queue.anonymous"), to, c.err);
  });
  c.qList.addEventListener("dragend", () => { dragHand = ""; clear(); });
}

const KINDS = {
  poll: { create: createPoll, update: updatePoll },
  wordcloud: { create: createWordcloud, update: updateWordcloud },
  qa: { create: createQa, update: updateQa },
  queue: { create: createQueue, update: updateQueue },
};

// ---- language ----------------------------------------------------------------

function onLanguageChange() {
  applyI18n(document);
  relabelOptions();
  if (S.status) setStatus(S.status);
  if (!S.view) return;
  // Cards hold translated text in many places: rebuild them from the state.
  S.cards.clear();
  $("activities").textContent = "";
  renderHeader();
  renderActivities();
}

// ---- start -------------------------------------------------------------------

async function main() {
  await initI18n("host");
  languageSwitcher($("lang-select"), onLanguageChange);
  $("alert-dismiss").addEventListener("click", clearError);
  $("loading").hidden = true;
  const m = location.pathname.match(/^\/host\/([^/]+)\/?$/);
  if (m) startConsole(decodeURIComponent(m[1]));
  else startCreate();
}

main();
