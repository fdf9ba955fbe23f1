// The facilitator console: /host/ creates a session, /host/<id>#<facilitatorKey>
// runs it. Every piece of user text goes into the page with textContent.
import { connect, CODE, ACTION, MSG } from "/static/js/conn.js";
import { initI18n, t, lang, applyI18n, languageSwitcher } from "/static/js/i18n.js";
import { el as h, formatCode, errorText, syncList, COUNTERPART, focusRow, num, isOne, pageOnly } from "/static/js/dom.js";
import * as segments from "/static/js/segments.js";
import { KINDS, loadKinds } from "/static/js/kinds/index.js";
import {
  team, setRole, applyRights, isModerator, setupTeamPanel, labelTeamPanel, showModerateLink,
  loadFolds, isFolded, foldable, setFold, prepControls, askDelete, updatePrep, savePlan, readPlan, planTitle,
} from "/static/js/team.js";
import { parseLanguages, langName, inLang } from "/static/js/langs.js";
import { textField as makeTextField } from "/static/js/textfield.js";
import { hostReactions } from "/static/js/reactions.js";

pageOnly.segments = segments;

const $ = (id) => document.getElementById(id);

// The console's whole state. view is the latest SessionView header; acts
// holds each activity with the offset it was pushed at, so that an older
// copy inside a session push never replaces a newer activity push.
const S = {
  // The text inputs with one more per content language (langs.js).
  textFields: new Set(),
  // The constituencies panel's rows (renderConstituencies).
  consFields: [],
  consSeq: 0,
  consMine: false,
  // A change of language waits for the welcome to say the live region again.
  relive: false,
  langsShown: null,
  consShown: null,
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
  // The kind modules by kind (kinds/index.js), and the prepare form of each.
  kinds: new Map(),
  forms: new Map(),
  focused: false,
  // A duplicate asked for whose card is awaited ({id, title, from}), and
  // the id of the copy being edited since (openCopy).
  copy: null,
  copied: "",
  // The element that had the focus when the link dropped and the controls
  // were disabled under it: it gets the focus back when the link returns.
  lostFocus: null,
};

let idCounter = 0;
const nextId = (prefix) => `${prefix}-${++idCounter}`;

function button(text, onClick, cls = "") {
  return h("button", { cls, text, attrs: { type: "button" }, on: { click: onClick } });
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
  return errorText(err, ERRORS);
}

// Codes whose English message may say more than the generic text.
const DETAILED = new Set([CODE.CONFLICT, CODE.LIMIT_REACHED, CODE.BAD_REQUEST, CODE.INVALID_CHOICE, CODE.FORBIDDEN]);
// "presented_other" without a name: the other activity has no title.
const ERRORS = { prefix: "error.", fallback: "error.unknown", detailed: DETAILED, anon: ["presented_other"], detail: "error.detail" };

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
  const mod = S.kinds.get(a.kind);
  return mod && mod.host && mod.host.summary ? mod.host.summary(a) : "";
}

// ---- commands ------------------------------------------------------------

// cmd sends one command; a refusal is shown in slot (an error paragraph
// beside the control that sent it), or in the alert region, and null is
// returned. While the link is down the connection refuses at once: the
// controls are disabled then, so this only answers a click that raced the
// drop.
async function cmd(op, args = {}, slot = null) {
  if (!S.conn) return null;
  // The control that sent the command is the one under the focus (a click
  // or a key press puts it there): its refusal is said right beside it.
  const control = senderOf(slot);
  if (slot) setSlot(slot, "");
  try {
    const ack = await S.conn.send(op, args);
    clearError();
    return ack || {};
  } catch (err) {
    const text = describeError(err);
    if (slot) {
      if (control && control.isConnected) placeBeside(slot, control);
      setSlot(slot, text);
    } else showError(text);
    return null;
  }
}

// senderOf is the focused control in the same card as slot, if any.
function senderOf(slot) {
  const a = document.activeElement;
  const card = slot && slot.closest("article");
  if (!a || !card || a === slot || !card.contains(a) || !a.matches("button, input, select, textarea")) return null;
  return a;
}

// placeBeside moves the card's error paragraph right after the group of
// controls that holds control: inside a list row (lists are redrawn by
// key, and keep only their rows), else after the row of buttons or field.
function placeBeside(slot, control) {
  const row = control.closest("li");
  if (row && slot.closest("article").contains(row)) {
    if (slot.parentElement !== row) row.append(slot);
    return;
  }
  const group = control.closest(".actions, .form-row, fieldset, p, .row") || control;
  if (group.nextElementSibling !== slot) group.after(slot);
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
  // A plan read from a file: its activities are created with the session.
  let plan = null;
  const planStatus = () => {
    $("plan-status").textContent = plan
      ? t("team.planChosen", { title: planTitle(plan), n: plan.activities.length }) : "";
    $("plan-clear-row").hidden = !plan;
  };
  $("plan-file").addEventListener("change", async () => {
    clearError();
    plan = null;
    const file = $("plan-file").files[0];
    if (file) {
      const read = await readPlan(file);
      if (read.error) {
        $("plan-file").value = "";
        showError(read.error);
      } else {
        plan = read.plan;
        if (!title.value.trim()) title.value = planTitle(plan);
      }
    }
    planStatus();
  });
  $("plan-clear").addEventListener("click", () => {
    plan = null;
    $("plan-file").value = "";
    planStatus();
    $("plan-file").focus();
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearError();
    const value = title.value.trim();
    clearFieldErrors($("create"));
    if (!value) {
      fieldError(title, t("create.titleRequired"));
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
      const body = plan ? { title: value, plan } : { title: value };
      const constituencies = $("create-constituencies").value.split("\n").map((l) => l.trim()).filter((l) => l);
      if (constituencies.length) body.constituencies = constituencies;
      const res = await fetch("/api/sessions", { method: "POST", headers, body: JSON.stringify(body) });
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
  loadFolds(id);
  // Until the links say which role the key has, only a facilitator key
  // (kept by the browser that created the session) shows every control.
  const known = stored && stored.role ? stored : null;
  setRole(known ? known.role : stored && stored.facilitatorKey === key ? "facilitator" : "unknown", known ? known.may : undefined);
  setupSessionPanel();
  setupTeamPanel(copy);
  setupLanguages();
  setupConstituencies();
  $("jump-prepare").addEventListener("click", () => {
    $("prepare-heading").scrollIntoView({ block: "start" });
    $("kind-select").focus({ preventScroll: true });
  });
  // The reactions switch and counts (reactions.js), before the languages.
  S.rx = hostReactions({ cmd });
  // Turning reactions on is the facilitator's (session.update); a
  // moderator sees the counts only through the display.
  S.rx.el.dataset.op = "session.update";
  $("langs-heading").before(S.rx.el);
  setupPrepare();
  setStatus("connecting");
  S.conn = connect({
    token: key,
    // The session's texts (constituencies in segments and queues, say) come
    // in the console's language, the maps beside them for editing.
    lang,
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
  // The welcome names the role too: a moderator's console never shows a
  // facilitator's controls, whatever the links answer says or when.
  if (msg.role === "moderator" && !isModerator()) setRole("moderator", []);
  else if (msg.role === "facilitator" && team.role !== "facilitator") setRole("facilitator", ["*"]);
  labelTeamPanel();
  S.acts.clear();
  S.order = [];
  applySessionView(msg.view || {}, msg.offset || 0);
  renderHeader();
  renderActivities();
  if (S.relive) {
    // The welcome after a change of language: what the live region said is
    // said again with the session's texts in the new language, at once.
    S.relive = false;
    const texts = [];
    for (const id of live.spoken.keys()) {
      const text = S.acts.has(id) ? summarize(S.acts.get(id).a) : "";
      if (text) {
        live.spoken.set(id, text);
        texts.push(text);
      }
    }
    if (texts.length) announce(texts.join(" "));
  }
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
  } else if (msg.type === MSG.REACTIONS && S.rx) {
    S.rx.push(msg.counts);
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
    // An activity missing from a newer view was deleted; one pushed after
    // this view (created since) stays.
    for (const id of S.order) {
      if (ids.includes(id)) continue;
      const cur = S.acts.get(id);
      if (cur && cur.offset > offset) ids.push(id);
      else S.acts.delete(id);
    }
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
        if (answer.role) {
          setRole(answer.role, answer.may);
          labelTeamPanel();
          labelEmpty();
        }
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
  $("save-plan").addEventListener("click", async () => {
    const btn = $("save-plan");
    if (btn.getAttribute("aria-busy") === "true") return;
    btn.setAttribute("aria-busy", "true");
    setSlot($("plan-error"), "");
    try {
      const code = String((S.view && S.view.code) || S.id).replace(/[^0-9A-Za-z_-]/g, "");
      const failed = await savePlan(S.id, S.key, code, httpErrorText);
      if (failed) setSlot($("plan-error"), failed);
      else announce(t("team.planSaved"));
    } catch {
      setSlot($("plan-error"), t("error.network"));
    } finally {
      btn.removeAttribute("aria-busy");
    }
  });

  // The report reads the export with the key of its own fragment.
  $("report-link").href = `/report/${encodeURIComponent(S.id)}#${S.key}`;
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

// ---- content languages -----------------------------------------------------------

// languages are the session's content languages, the default first.
function languages() {
  return (S.view && Array.isArray(S.view.languages) && S.view.languages) || [];
}

// textField makes a text input with one more per content language, kept
// in step with the session's languages.
function textField(opts) {
  const f = makeTextField(Object.assign({ languages: languages() }, opts));
  f.setLanguages(languages());
  S.textFields.add(f);
  return f;
}

function setupLanguages() {
  $("langs-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const list = parseLanguages($("langs-input").value);
    if (!list.length) {
      setSlot($("langs-error"), t("langs.none"));
      $("langs-input").focus();
      return;
    }
    const btn = $("langs-save");
    if (btn.getAttribute("aria-busy") === "true") return;
    btn.setAttribute("aria-busy", "true");
    setSlot($("langs-error"), "");
    const ack = await cmd("session.update", { languages: list }, $("langs-error"));
    btn.removeAttribute("aria-busy");
    if (ack) announce(t("langs.saved", { langs: list.map(langName).join(", ") }));
  });
}

// ---- constituencies ---------------------------------------------------------

// The session's constituencies: what phones offer at join, what queues
// take by default and what segmented results are split by. Each row is
// one constituency, its name in every language of the session side by
// side, each missing translation said (langs.js textField). Saving an
// empty list clears it: phones then no longer ask.
function setupConstituencies() {
  $("cons-add").addEventListener("click", () => {
    const f = addConsRow(null);
    f.input.focus();
    paintConstituencies();
  });
  // Clearing drops every name at once: it is confirmed first, as ending the session is.
  const clearAsk = (ask) => {
    $("cons-clear-confirm").hidden = !ask;
    $("cons-clear").hidden = ask;
    (ask ? $("cons-clear-no") : $("cons-clear")).focus();
  };
  $("cons-clear").addEventListener("click", () => clearAsk(true));
  $("cons-clear-no").addEventListener("click", () => clearAsk(false));
  $("cons-clear-confirm").addEventListener("keydown", (ev) => { if (ev.key === "Escape") clearAsk(false); });
  $("cons-clear-yes").addEventListener("click", async () => {
    await saveConstituencies([]);
    clearAsk(false);
  });
  $("cons-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    clearFieldErrors($("cons-form"));
    // A name given only in another language would be sent as a plain
    // string and kept as the default-language name (textfield.js value()):
    // the default one is asked for under that row instead.
    const lacking = S.consFields.find((f) => !f.input.value.trim() && f.value());
    if (lacking) {
      fieldError(lacking.input, t("cons.defaultMissing", { lang: langName(languages()[0] || "") }));
      lacking.input.focus();
      return;
    }
    // Rows left empty are not constituencies: they are dropped, and the
    // list that is left may be empty, which clears it.
    const list = S.consFields.map((f) => f.value()).filter((v) => (typeof v === "string" ? v : Object.keys(v).length));
    saveConstituencies(list);
  });
  $("cons-form").addEventListener("input", () => paintConstituencies());
  $("cons-rows").addEventListener("focusout", (ev) => {
    if (!$("cons-rows").contains(ev.relatedTarget)) renderConstituencies();
  });
}

async function saveConstituencies(list) {
  const btn = list.length ? $("cons-save") : $("cons-clear");
  if (btn.getAttribute("aria-busy") === "true") return;
  btn.setAttribute("aria-busy", "true");
  setSlot($("cons-error"), "");
  const ack = await cmd("session.update", { constituencies: list }, $("cons-error"));
  btn.removeAttribute("aria-busy");
  if (!ack) return;
  // The panel shows what the server now has, even under the focus: the
  // header may have come before this answer, or may come after it.
  S.consMine = true;
  renderConstituencies();
  // Named as the console reads them, not in the session's default language.
  const names = list.map((v) => (typeof v === "string" ? v : consoleText(v)));
  announce(list.length ? t("cons.saved", { list: names.join(", ") }) : t("cons.cleared"));
}

// consoleText is a text's map per language as this console reads it.
function consoleText(map) {
  return inLang(map, "", lang(), languages())[0];
}

// addConsRow adds a row for a constituency (null for a new one).
function addConsRow(value) {
  const n = S.consFields.length + 1;
  const id = `cons-name-${S.consSeq++}`;
  const f = textField({ id, maxlength: 80, label: t("cons.name", { n }) });
  f.set(value || "");
  const remove = h("button", { type: "button", class: "cons-remove", text: t("cons.remove") });
  remove.setAttribute("aria-label", t("cons.removeLabel", { n }));
  const row = h("li", { class: "cons-row" }, f.el, remove);
  remove.addEventListener("click", () => {
    const i = S.consFields.indexOf(f);
    S.consFields.splice(i, 1);
    row.remove();
    relabelConsRows();
    paintConstituencies();
    // The focus goes to the next row's name, else to the add button.
    const next = S.consFields[i] || S.consFields[i - 1];
    (next ? next.input : $("cons-add")).focus();
  });
  f.row = row;
  f.remove = remove;
  S.consFields.push(f);
  $("cons-rows").append(row);
  return f;
}

function relabelConsRows() {
  S.consFields.forEach((f, i) => {
    f.relabel(t("cons.name", { n: i + 1 }));
    f.remove.textContent = t("cons.remove");
    f.remove.setAttribute("aria-label", t("cons.removeLabel", { n: i + 1 }));
  });
}

// paintConstituencies says whether the list is empty and which languages
// some names still lack.
function paintConstituencies() {
  $("cons-empty").hidden = S.consFields.length > 0;
  const missing = new Set();
  for (const f of S.consFields) for (const tag of f.missing()) missing.add(tag);
  const m = $("cons-missing");
  m.hidden = !missing.size;
  m.textContent = missing.size ? t("cons.missingLangs", { langs: [...missing].map(langName).join(", ") }) : "";
}

function renderConstituencies() {
  const v = S.view || {};
  const list = (Array.isArray(v.constituencies) && v.constituencies) || [];
  const names = (Array.isArray(v.constituencyNames) && v.constituencyNames) || [];
  const key = JSON.stringify([list, names, languages()]);
  if (key === S.consShown) return;
  // What the facilitator is typing is not replaced under their hands
  // (another console changed the list): it is shown once the focus leaves
  // the names, unless this console saved it.
  const typing = $("cons-rows").contains(document.activeElement);
  if (typing && S.consShown !== null && !S.consMine) return;
  S.consShown = key;
  S.consMine = false;
  // The rows are made again: the focus stays in the field it was in (Enter
  // saves from there; the save is said in the live region).
  const a = document.activeElement;
  const at = typing ? S.consFields.findIndex((f) => f.el.contains(a)) : -1;
  const sub = at < 0 ? -1 : [...S.consFields[at].el.querySelectorAll("input")].indexOf(a);
  for (const f of S.consFields) S.textFields.delete(f);
  S.consFields = [];
  $("cons-rows").textContent = "";
  list.forEach((c, i) => addConsRow(names[i] || c));
  paintConstituencies();
  if (!typing) return;
  const f = S.consFields[Math.min(Math.max(at, 0), S.consFields.length - 1)];
  const inputs = f ? f.el.querySelectorAll("input") : [];
  (inputs[sub] || (f ? f.input : $("cons-save"))).focus();
}

function renderLanguages() {
  const list = languages();
  const key = list.join(",");
  if (key === S.langsShown) return;
  S.langsShown = key;
  if (document.activeElement !== $("langs-input")) $("langs-input").value = list.join(", ");
  $("langs-now").textContent = list.length ? t("langs.now", { langs: list.map(langName).join(", ") }) : t("langs.one");
  for (const f of S.textFields) {
    // An option removed from its form takes its field with it.
    if (!f.el.isConnected) S.textFields.delete(f);
    else f.setLanguages(list);
  }
}

function renderHeader() {
  const v = S.view || {};
  renderLanguages();
  renderConstituencies();
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
  showModerateLink(S.links);
  $("participants").textContent = presence(v);
  if (S.rx) S.rx.update(v);
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

// presence is the session header's count: everyone who joined, and the
// phones open now ("connected", pushed as it changes; a server without it
// gives the joined count alone).
function presence(v) {
  const n = v.participants ?? 0;
  const joined = t(isOne(n) ? "session.joinedOne" : "session.joined", { n: num(n) });
  if (typeof v.connected !== "number") return joined;
  const connected = t(isOne(v.connected) ? "session.connectedOne" : "session.connected", { n: num(v.connected) });
  return t("session.presence", { joined, connected });
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

// setupPrepare draws the kind menu and one form per kind: the title, the
// kind module's own fields, and the button.
function setupPrepare() {
  const select = $("kind-select");
  const before = $("prepare-error");
  for (const kind of KINDS) {
    const mod = S.kinds.get(kind);
    if (!mod || !mod.host || !mod.host.form) continue;
    select.append(h("option", { value: kind, text: mod.host.label() }));
    const f = mod.host.form(ctx);
    const id = `${mod.host.idPrefix || kind}-title`;
    const titleField = textField({ id, maxlength: 200, label: t("form.title"), required: true });
    const title = titleField.input;
    // A refusal is said beside the button that sent the form, where the
    // eye is, not at the end of the column.
    const err = h("p", { class: "field-error", role: "alert", id: `form-${kind}-error` });
    const form = h("form", { class: "kind-form", id: `form-${kind}`, "data-kind": kind, novalidate: true, hidden: S.forms.size > 0 },
      h("div", { class: "form-row" }, titleField.el),
      f.fields,
      h("p", { class: "actions" }, h("button", { type: "submit", class: "primary", i18n: "form.create" })),
      err);
    form.addEventListener("submit", onCreateActivity);
    S.forms.set(kind, Object.assign({ form, title, titleField, mod, err }, f));
    before.before(form);
  }
  select.addEventListener("change", () => {
    for (const [kind, f] of S.forms) f.form.hidden = kind !== select.value;
  });
}

// fieldError says what is wrong right under the field, and ties it to the
// field for screen readers (aria-invalid, aria-describedby).
function fieldError(input, text) {
  const id = `${input.id}-error`;
  let p = document.getElementById(id);
  if (!p) {
    p = h("p", { class: "field-error", role: "alert", id });
    input.after(p);
  }
  setSlot(p, text);
  input.setAttribute("aria-invalid", "true");
  const by = (input.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && x !== id);
  input.setAttribute("aria-describedby", by.concat(id).join(" "));
}

function clearFieldErrors(root) {
  for (const input of root.querySelectorAll("[aria-invalid=true]")) {
    input.removeAttribute("aria-invalid");
    const p = document.getElementById(`${input.id}-error`);
    if (p) p.textContent = "";
  }
}

async function onCreateActivity(ev) {
  ev.preventDefault();
  clearError();
  setSlot($("prepare-error"), "");
  const form = ev.currentTarget;
  const kind = form.dataset.kind;
  const f = S.forms.get(kind);
  if (!f) return;
  clearFieldErrors(form);
  setSlot(f.err, "");
  const titleInput = f.title;
  const title = titleInput.value.trim();
  if (!title) {
    fieldError(titleInput, t("form.titleRequired"));
    titleInput.focus();
    return;
  }
  const given = f.titleField.value() || title;
  // Said as the console reads it: the title in the console's language when given in it.
  const said = typeof given === "object" ? consoleText(given) || title : title;
  const activity = f.spec(given, (text, focus) => {
    if (focus && focus.tagName === "INPUT") fieldError(focus, text);
    else setSlot(f.err, text);
    if (focus) focus.focus();
  });
  if (!activity) return;
  const submit = form.querySelector("button[type=submit]");
  if (submit.getAttribute("aria-busy") === "true") return;
  submit.setAttribute("aria-busy", "true");
  const editing = S.editing && S.acts.has(S.editing) && S.cards.get(S.editing) && S.cards.get(S.editing).kind === kind ? S.editing : "";
  const ack = editing
    ? await cmd("activity.update", { activity: editing, spec: activity }, f.err)
    : await cmd("activity.create", { activity }, f.err);
  submit.removeAttribute("aria-busy");
  if (!ack) return;
  if (editing) {
    announce(t("team.updated", { title: said }));
    cancelEdit(true);
    return;
  }
  f.titleField.clear();
  if (f.reset) f.reset();
  announce(t("prepare.created", { title: said }));
  titleInput.focus();
}

// ---- activity cards ------------------------------------------------------------

function renderActivities() {
  const planned = S.order.map((id) => S.acts.get(id)).filter(Boolean).map((e) => e.a);
  labelEmpty();
  $("activities-empty").hidden = planned.length > 0;
  // The activity on screen is kept at the top, whatever its place in the
  // plan, so that its controls are always in reach; the others follow in
  // the plan's order (which the move buttons change).
  const presented = (S.view && S.view.presented) || "";
  const items = planned.filter((a) => a.id === presented).concat(planned.filter((a) => a.id !== presented));
  S.places = new Map(planned.map((a, i) => [a.id, i]));
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
  if (S.copy) openCopy();
}

// labelEmpty says what an empty list means to this role: a moderator
// has no prepare form to point at. The key stays on the element, so that
// a change of language keeps the role's text.
function labelEmpty() {
  const p = $("activities-empty");
  p.dataset.i18n = team.role === "facilitator" ? "activities.empty" : "activities.emptyModerator";
  p.textContent = t(p.dataset.i18n);
}

function kindLabel(kind) {
  const mod = S.kinds.get(kind);
  return mod && mod.host ? mod.host.label() : kind;
}

// stateLabel is per kind: in French and Spanish the word agrees with the
// kind's name ("File de parole · ouverte", "Sondage · ouvert").
function stateLabel(kind, state) {
  const mod = S.kinds.get(kind);
  return (mod && mod.host && mod.host.state && mod.host.state(state)) || state;
}

// ---- keeping the keyboard focus across re-renders ----

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
  c.presentBtn.dataset.op = "activity.present";
  c.openBtn.dataset.op = "activity.open";
  fieldset.dataset.op = "activity.reveal";
  const controls = h("div", { cls: "activity-controls" }, [h("p", { cls: "actions" }, [c.presentBtn, c.openBtn]), fieldset]);
  c.body = h("div", { cls: "activity-body" });
  // A refused command of this card is explained here; cmd moves it beside
  // the control that sent the command.
  c.err = h("p", { cls: "card-error", attrs: { role: "alert" } });
  const prep = prepControls(c, (action, b) => prepare(c, action, b));
  c.root.append(head, controls, ...prep, c.err, c.body);

  const mod = S.kinds.get(a.kind);
  const kind = mod && mod.host;
  if (kind) kind.create(c, ctx);
  // A folded card is not redrawn by every push (a long board stays fast):
  // it is drawn again when it opens.
  foldable(c, () => { if (c.stale) c.update(c.a); });
  applyRights(c.root);

  c.update = (next) => {
    const focus = rememberFocus(c.root);
    c.a = next;
    c.root.classList.toggle("is-editing", S.editing === c.id);
    // A copy being edited stays marked when the card is drawn again (a
    // change of language rebuilds every card).
    c.root.classList.toggle("is-copy", !!S.copied && S.copied === c.id && S.editing === c.id);
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
    const place = S.places ? S.places.get(c.id) ?? -1 : -1;
    updatePrep(c, next, place, S.places ? S.places.size : 0);
    setFold(c);
    c.stale = isFolded(c.id);
    if (kind && !c.stale) kind.update(c, next, ctx);
    if (ended()) for (const el of c.root.querySelectorAll("button, input, select")) el.disabled = true;
    restoreFocus(c.root, focus, c.title);
  };
  return c;
}

// prepare runs a card's preparation controls: edit (in the prepare form),
// duplicate, move up or down, delete (after the card's own confirmation).
// It answers whether the command was accepted.
async function prepare(c, action, b) {
  const title = c.a.title || "";
  const place = S.places ? S.places.get(c.id) ?? -1 : -1;
  switch (action) {
    case "edit":
      startEdit(c);
      return true;
    case "duplicate": {
      const ack = await cmd("activity.duplicate", { activity: c.id }, c.err);
      if (!ack) return false;
      // The copy keeps the original's title (a plan round-trips as it
      // was written): it is told apart by opening it in the form at once,
      // its title under the keyboard, to be renamed or changed.
      S.copy = { id: ack.activity || "", title, from: b };
      openCopy();
      return true;
    }
    case "move-up":
    case "move-down": {
      const to = action === "move-up" ? place - 1 : place + 1;
      const ack = await cmd("activity.move", { activity: c.id, to }, c.err);
      if (ack) {
        announce(t("team.moved", { title, n: to + 1 }));
        // The button may have moved under the focus, or become disabled
        // at an end of the list: keep the keyboard on the card.
        requestAnimationFrame(() => { if (b.disabled || !b.isConnected) c.title.focus(); else b.focus(); });
      }
      return !!ack;
    }
    case "delete":
      askDelete(c);
      return true;
    case "delete-yes": {
      const ack = await cmd("activity.delete", { activity: c.id }, c.err);
      if (ack) {
        announce(t("team.deleted", { title }));
        $("activities-heading").setAttribute("tabindex", "-1");
        $("activities-heading").focus();
      }
      return !!ack;
    }
  }
  return false;
}

// openCopy opens a duplicate just made once its card has come (the ack
// may come before the push that draws it): in the prepare form when its
// kind can be edited there, else its card's heading gets the focus. The
// focus is taken only if it is still where the duplicate was asked for.
function openCopy() {
  const want = S.copy;
  const c = want && S.cards.get(want.id);
  if (!want || (want.id && !c)) return;
  S.copy = null;
  const now = document.activeElement;
  const free = !now || now === document.body || now === want.from || !now.isConnected;
  const f = c && S.forms.get(c.kind);
  if (c && f && f.fill && free && c.a.state === "draft") {
    startEdit(c);
    S.copied = c.id;
    c.root.classList.add("is-copy");
    announce(t("team.copyEditing", { title: want.title }));
    return;
  }
  if (c) {
    c.root.classList.add("is-copy");
    if (free) {
      c.title.setAttribute("tabindex", "-1");
      c.title.focus();
    }
  }
  announce(t("team.duplicated", { title: want.title }));
}

// startEdit loads a draft into its kind's prepare form (which must know
// how: form.fill), and turns the form's button into "Save the changes".
function startEdit(c) {
  const f = S.forms.get(c.kind);
  if (!f || !f.fill) return;
  cancelEdit(false);
  S.editing = c.id;
  $("kind-select").value = c.kind;
  for (const [kind, g] of S.forms) g.form.hidden = kind !== c.kind;
  f.titleField.clear();
  f.title.value = c.a.title || "";
  // A title given per language goes back into each language's input.
  const titles = c.a.titles && typeof c.a.titles === "object" ? c.a.titles : null;
  if (titles) {
    f.title.value = titles[f.title.lang] || c.a.title || "";
    for (const [tag, v] of Object.entries(titles)) {
      const input = tag !== f.title.lang && f.form.querySelector(`[id="${f.title.id}-${tag}"]`);
      if (input) {
        input.value = v;
        input.dispatchEvent(new Event("input"));
      }
    }
  }
  f.fill(c.a);
  f.form.querySelector("button[type=submit]").textContent = t("team.saveEdit");
  let cancel = f.form.querySelector(".cancel-edit");
  if (!cancel) {
    cancel = button(t("team.cancelEdit"), () => cancelEdit(true), "cancel-edit");
    f.form.querySelector(".actions").append(cancel);
  }
  cancel.hidden = false;
  $("prepare-heading").textContent = t("team.editing", { title: c.a.title || "" });
  c.root.classList.add("is-editing");
  f.title.focus();
}

// cancelEdit puts the prepare form back to making new activities.
function cancelEdit(focusCard) {
  const id = S.editing;
  S.editing = "";
  S.copied = "";
  $("prepare-heading").textContent = t("prepare.heading");
  for (const f of S.forms.values()) {
    const cancel = f.form.querySelector(".cancel-edit");
    if (cancel) cancel.hidden = true;
    f.form.querySelector("button[type=submit]").textContent = t("form.create");
  }
  const c = id && S.cards.get(id);
  if (!c) return;
  c.root.classList.remove("is-editing", "is-copy");
  const f = S.forms.get(c.kind);
  if (f) {
    f.titleField.clear();
    if (f.reset) f.reset();
  }
  if (focusCard && c.prep) c.prep.edit.focus();
}

// ctx is what a kind's host.form(ctx), create(c, ctx), update(c, a, ctx)
// and tick(c, ctx) are given (static/README-pages.md).
const ctx = {
  cmd,
  announce,
  setSlot,
  nextId,
  button,
  ended,
  names: S.names,
  activity: (id) => {
    const entry = S.acts.get(id);
    return entry ? entry.a : null;
  },
  clockOffset: () => (S.conn && S.conn.clockOffset ? S.conn.clockOffset() || 0 : 0),
  languages,
  textField,
};

// tickTimers lets each card whose kind keeps time redraw its clock.
function tickTimers() {
  for (const c of S.cards.values()) {
    const mod = S.kinds.get(c.kind);
    if (mod && mod.host && mod.host.tick) mod.host.tick(c, ctx);
  }
}

// ---- language ----------------------------------------------------------------

function onLanguageChange() {
  applyI18n(document);
  // The live region's sentence is of the old language: it is dropped now
  // and said again once the views in the new one arrive (onWelcome).
  $("live").textContent = "";
  S.relive = true;
  // Summaries waiting to be said are in the old language too: said with the rest.
  for (const id of live.pending.keys()) live.spoken.set(id, "");
  live.pending.clear();
  if (S.conn) S.conn.relang();
  for (const [kind, f] of S.forms) {
    const option = Array.from($("kind-select").options).find((o) => o.value === kind);
    if (option) option.textContent = f.mod.host.label();
    if (f.relabel) f.relabel();
    if (f.titleField) f.titleField.relabel(t("form.title"));
  }
  S.langsShown = null;
  for (const f of S.textFields) f.relabel();
  relabelConsRows();
  paintConstituencies();
  if (S.rx) S.rx.relabel();
  if (S.status) setStatus(S.status);
  labelTeamPanel();
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
  S.kinds = await loadKinds();
  languageSwitcher($("lang-select"), onLanguageChange);
  $("alert-dismiss").addEventListener("click", clearError);
  $("loading").hidden = true;
  // /moderate/<id> is the same console: what it shows is the key's role's.
  const m = location.pathname.match(/^\/(?:host|moderate)\/([^/]+)\/?$/);
  if (m) startConsole(decodeURIComponent(m[1]));
  else startCreate();
}

main();
