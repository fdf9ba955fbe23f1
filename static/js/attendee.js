// attendee.js: the phone page at /j/<code>. It joins the session (or reuses
// the token kept for this code), keeps one connection, and shows the activity
// the facilitator presents: a poll, a word cloud, Q&A or the speaker queue.
import { connect, CODE, ACTION } from "/static/js/conn.js";
import { initI18n, t, lang, languageSwitcher } from "/static/js/i18n.js";
import { el as h, setText, say, errorText, store, load, isBusy, disabled, setDisabled, joinGroupKey } from "/static/js/dom.js";
import { kindModule } from "/static/js/kinds/index.js";
import { contentLang, markLang, inLang } from "/static/js/langs.js";
import { attendeeReactions } from "/static/js/reactions.js";

const $ = (id) => document.getElementById(id);
const mainEl = $("main");
const alertEl = $("alert");
const netEl = $("net");
const titleEl = $("title");
const announceEl = $("announce");

const code = decodeURIComponent((location.pathname.match(/\/j\/([^/]+)/) || ["", ""])[1]).replace(/\D/g, "");
// The join key of a scanned or followed link (/j/<code>#<key>): a join that
// carries it is never held back by someone guessing codes on the same Wi-Fi.
let joinKey = location.hash.slice(1);
const TOKEN_KEY = "townhall.token." + code;
const RETRY_AFTER = "Retry-After";

let conn = null;
let session = null;
let you = {};
let screen = null; // {key, make, c: component}
let alertTimer = 0;
// Per activity: text typed but not sent, and the chosen Q&A order, kept
// across re-renders (a change of language rebuilds the screen).
const drafts = {};
// The reactions row below the activity (reactions.js).
const rx = attendeeReactions({ notify: (msg) => !!conn && conn.notify(msg) });
mainEl.after(rx.el);

// ---------- small helpers ----------

// A refusal is said by its reason, else its code; the server's (English)
// message only on an English page, where the generic text says less.
const DETAILED = new Set([CODE.LIMIT_REACHED, CODE.BAD_REQUEST, CODE.FORBIDDEN, CODE.INVALID_CHOICE, CODE.CONFLICT, CODE.TOO_LARGE]);

const ERRORS = { prefix: "err.", fallback: "err.internal", detailed: DETAILED, codes: { [CODE.OFFLINE]: "net.offline" } };

function errText(err) {
  return errorText(err, ERRORS);
}

// showError says an error in the alert region. msg is its text, or a
// function that makes it, so that a change of language can say it again.
let alertText = null;
function showError(msg) {
  clearTimeout(alertTimer);
  alertText = typeof msg === "function" ? msg : () => msg;
  alertEl.textContent = alertText();
  alertTimer = setTimeout(clearError, 10000);
}
function clearError() {
  clearTimeout(alertTimer);
  alertText = null;
  alertEl.textContent = "";
}

// The last announcement, as a key and its variables, so that a change of
// language can say it again in the new language.
let announced = null;
let again = false;
function announce(key, vars) {
  announced = { key, vars };
  // A change of text is what screen readers announce; let the clear land first.
  say(announceEl, t(key, vars));
}

// A button whose label lives in a .lbl span; while a command is on its way
// the label is swapped for "Sending…".
function button(cls, label, onclick, extra) {
  const lbl = h("span", { class: "lbl" });
  if (typeof label === "string") lbl.textContent = label;
  else lbl.append(label);
  return h("button", Object.assign({ type: "button", class: cls, onclick }, extra || {}), lbl, h("span", { class: "sending", text: t("sending") }));
}

// run sends a command with btn showing "Sending…" until the answer; errors
// are shown in the alert region. Resolves with the ack or null.
async function run(btn, op, args) {
  if (btn && isBusy(btn)) return null;
  clearError();
  if (!conn) {
    showError(() => t("err.session_ended"));
    return null;
  }
  if (btn) {
    btn.classList.add("busy");
    btn.setAttribute("aria-busy", "true");
  }
  try {
    const ack = await conn.send(op, args);
    return ack;
  } catch (err) {
    showError(() => errText(err));
    return null;
  } finally {
    if (btn) {
      btn.classList.remove("busy");
      btn.removeAttribute("aria-busy");
    }
  }
}

function stateNote(a, texts) {
  if (a.state === "draft") return texts.draft;
  if (a.state === "closed") return texts.closed;
  return texts.open || "";
}

// ---------- screens ----------

function setScreen(key, make) {
  if (screen && screen.c.destroy) screen.c.destroy();
  const c = make();
  screen = { key, make, c };
  mainEl.textContent = "";
  mainEl.append(c.el);
}

function remount() {
  if (!screen) return;
  const { key, make } = screen;
  setScreen(key, make);
  render();
}

function messageScreen(titleKey, bodyKey, action) {
  return () => {
    const el = h("section", { class: "msg" }, h("h1", { text: t(titleKey), tabindex: "-1" }), bodyKey ? h("p", { text: t(bodyKey) }) : null);
    if (action) el.append(action());
    return { el };
  };
}

// errorScreen is a message screen that a person lands on instead of the
// session (a wrong code, say): its heading takes the focus and is announced,
// and the tab's title says what happened.
let errorTitle = "";
function landOn(key, titleKey, make) {
  setScreen(key, make);
  errorTitle = titleKey;
  document.title = t(titleKey) + " · Townhall";
  const h1 = mainEl.querySelector("h1");
  if (h1) h1.focus();
}
function errorScreen(key, titleKey, bodyKey, action) {
  landOn(key, titleKey, messageScreen(titleKey, bodyKey, action));
  announce(bodyKey ? "announce.error" : titleKey, bodyKey ? { title: t(titleKey), body: t(bodyKey) } : undefined);
}

function render() {
  rx.update(session);
  if (!session) return;
  setText(titleEl, session.title || "");
  markLang(titleEl, textLang());
  document.title = session.title ? session.title + " · Townhall" : "Townhall";
  if (session.state === "ended") {
    if (!screen || screen.key !== "ended") setScreen("ended", messageScreen("ended.title", "ended.body"));
    return;
  }
  const a = (session.activities || []).find((x) => x.id === session.presented);
  if (!a) {
    if (!screen || screen.key !== "waiting") setScreen("waiting", messageScreen("waiting.title", "waiting.body"));
    return;
  }
  const key = a.kind + ":" + a.id;
  if (!screen || screen.key !== key) {
    const mod = kindModule(a.kind, render);
    // The kind's module is on its way; render runs again once it is here.
    if (mod === undefined) return;
    if (!mod || !mod.attendee) {
      setScreen(key, messageScreen("waiting.title", "unknown.body"));
      return;
    }
    setScreen(key, () => mod.attendee.screen(a, ctx));
    announce("announce.new", { title: a.title || "" });
  }
  if (screen.c.update) screen.c.update(a, you[a.id] || {});
  // The activity's texts are in the session's language nearest the page's:
  // a screen reader reads them with that voice.
  markLang(screen.c.el, textLang());
}

function textLang() {
  return contentLang(lang(), session && session.languages);
}

function titleBlock(a) {
  const h1 = h("h1", { id: "act-title" });
  const note = h("p", { class: "state", id: "act-state" });
  return {
    nodes: [h1, note],
    update(a, text) {
      setText(h1, a.title || "");
      setText(note, text);
      note.hidden = !text;
    },
  };
}

// ctx is what a kind's attendee.screen(a, ctx) is given
// (static/README-pages.md).
const ctx = {
  run,
  showError,
  announce,
  titleBlock,
  stateNote,
  button,
  drafts,
  clockOffset: () => (conn ? conn.clockOffset() : 0),
  // The session's code, for what a kind keeps per session in storage.
  code,
};

// ---------- joining and the connection ----------

function loading(key) {
  setScreen("loading:" + key, () => ({ el: h("p", { class: "loading", text: t(key) }) }));
}

function retryButton() {
  return h("button", { type: "button", class: "btn wide", text: t("join.retry"), onclick: () => location.reload() });
}
// codeForm lets a person who arrived with a wrong code type another one
// right here.
function codeForm(typed) {
  const input = h("input", {
    id: "code",
    class: "field code",
    type: "text",
    inputmode: "numeric",
    autocomplete: "off",
    autocapitalize: "off",
    spellcheck: "false",
    maxlength: "20",
    placeholder: "1234 5678",
    "aria-describedby": "code-error",
  });
  const err = h("p", { id: "code-error", class: "field-error", role: "alert" });
  const form = h(
    "form",
    { class: "ask", novalidate: true },
    h("label", { class: "block", for: "code", text: t("join.code_label") }),
    input,
    err,
    h("button", { type: "submit", class: "btn wide", text: t("join.go") }),
  );
  // A code that matched no session is kept, selected, so that the one
  // wrong digit can be fixed rather than all eight typed again.
  if (typeof typed === "string" && typed) {
    input.value = typed.length === 8 ? typed.slice(0, 4) + " " + typed.slice(4) : typed;
    input.setSelectionRange(0, input.value.length);
  }
  input.addEventListener("input", () => {
    input.removeAttribute("aria-invalid");
    err.textContent = "";
  });
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const raw = input.value.trim();
    const digits = raw.replace(/\D/g, "");
    if (!/^[\d\s\-.]*$/.test(raw) || digits.length !== 8) {
      err.textContent = t("join.badcode");
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    location.href = "/j/" + digits;
  });
  return form;
}

// waitScreen counts down seconds on a message screen. With auto, the
// count's end runs start() by itself (the server said when to come back);
// without it, the "Try again" button is enabled once the wait is over.
function waitScreen(titleKey, bodyKey, doneKey, seconds, auto) {
  // Outside the screen: a change of language rebuilds it mid-count.
  const until = Date.now() + seconds * 1000;
  return () => {
    const body = h("p");
    const again = h("button", {
      type: "button",
      class: "btn wide",
      text: t(auto ? "join.busy_now" : "join.retry"),
      onclick: () => {
        if (!disabled(again)) start(auto ? auto.attempt : 0);
      },
    });
    const el = h("section", { class: "msg" }, h("h1", { text: t(titleKey), tabindex: "-1" }), body, again);
    let iv = 0;
    function step() {
      const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      setText(body, left ? t(bodyKey, { n: left }) : t(doneKey));
      if (!auto) setDisabled(again, left > 0);
      if (left) return;
      clearInterval(iv);
      if (auto) start(auto.attempt);
    }
    iv = setInterval(step, 1000);
    step();
    return { el, destroy: () => clearInterval(iv) };
  };
}

// How long the page waits, at most, before it asks again on its own: a
// Retry-After from a confused proxy must not park a phone for an hour.
const RETRY_MAX_S = 30;
// After this many busy answers in a row the page stops asking by itself
// and lets the person decide.
const BUSY_ATTEMPTS = 5;

function retrySeconds(res, fallback) {
  const s = parseInt(res.headers.get(RETRY_AFTER) || "", 10);
  return Math.min(RETRY_MAX_S, s > 0 ? s : fallback);
}

// join asks for a participant token. Each refusal has its own screen:
// what it means for the person in the room, and what they can do about it.
// attempt counts the busy (503) answers in a row so far.
let joining = false;
async function join(attempt) {
  if (joining) return null;
  joining = true;
  try {
    return await joinOnce(attempt);
  } finally {
    joining = false;
  }
}

// joinRequest posts to /api/join, or /api/join/preview (the same checks,
// and what to offer before joining): {res, body}, or null when offline.
async function joinRequest(path) {
  const req = joinKey ? { code, key: joinKey } : { code };
  if (chosen) req.constituency = chosen;
  let res;
  try {
    res = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(req) });
  } catch (e) {
    setScreen("join:network", messageScreen("join.network_title", "join.network", retryButton));
    return null;
  }
  let body = null;
  try {
    body = await res.json();
  } catch (e) {
    body = null;
  }
  return { res, body };
}

async function joinOnce(attempt) {
  const tries = attempt || 0;
  loading("join.joining");
  const r = await joinRequest("/api/join");
  if (!r) return null;
  const { res, body } = r;
  if (res.ok && body && body.token) {
    store(TOKEN_KEY, body.token);
    if (chosen !== undefined) store(joinGroupKey(code), JSON.stringify(chosenNames));
    return body.token;
  }
  refused(res, body, tries);
  return null;
}

// refused shows the screen of a join (or preview) that was refused.
function refused(res, body, tries) {
  const errCode = body && body.error && body.error.code;
  if (res.status === 404) {
    errorScreen("join:notfound", "join.notfound_title", "join.notfound", () => codeForm(code));
  } else if (res.status === 409 || errCode === CODE.SESSION_ENDED) {
    errorScreen("join:ended", "join.ended_title", "join.ended", null);
  } else if (res.status === 429 && errCode === CODE.LIMIT_REACHED) {
    errorScreen("join:full", "join.full_title", "join.full", retryButton);
  } else if (res.status === 429) {
    const s = retrySeconds(res, 30);
    landOn("join:limited", "join.limited_title", waitScreen("join.limited_title", "join.limited", "join.limited_done", s, null));
    announce("announce.error", { title: t("join.limited_title"), body: t("join.limited", { n: s }) });
  } else if (res.status === 503 && tries < BUSY_ATTEMPTS) {
    const s = retrySeconds(res, 2);
    landOn("join:busy", "join.busy_title", waitScreen("join.busy_title", "join.busy", "join.joining", s, { attempt: tries + 1 }));
    // Said once: every automatic try would otherwise be read out again.
    if (!tries) announce("announce.error", { title: t("join.busy_title"), body: t("join.busy", { n: s }) });
  } else if (res.status === 503) {
    errorScreen("join:busy_failed", "join.busy_title", "join.busy_failed", retryButton);
  } else {
    // 400 or 415 mean the page sent something the server does not take
    // (a constituency the session no longer lists, say): trying again
    // starts from the session's list as it is now.
    errorScreen("join:failed", "join.failed_title", "join.failed", retryButton);
  }
}

// ---------- the constituency, asked before joining ----------

// chosen is what the person answered on the join form: a constituency of
// the session's, "other", or "" for none; undefined before they answered
// (or when the session has no list).
let chosen;
// chosenNames are the chosen constituency's identity and names ("other"
// and "" stand for themselves), kept for the queue's form.
let chosenNames = [];
// picked is the form's selection while it is on screen, kept across a
// change of language (which rebuilds the screen).
let picked = null;

// preview asks the session what to offer before joining; it shows the
// refusal screen itself and answers null when there is one.
async function preview(tries) {
  loading("join.joining");
  const r = await joinRequest("/api/join/preview");
  if (!r) return null;
  if (r.res.ok && r.body) return r.body;
  refused(r.res, r.body, tries);
  return null;
}

// groupForm asks which of the session's constituencies the person belongs
// to. Nothing is chosen for them: joining without a choice is "prefer not
// to say", and so is that answer.
function groupForm(info, attempt) {
  return () => {
    // Each name in the page's language where the session gives it; the
    // value sent is the constituency's identity, whatever is shown.
    const names = Array.isArray(info.constituencyNames) ? info.constituencyNames : [];
    const choices = (info.constituencies || []).map((c, i) => {
      const [text, tag] = inLang(names[i], c, lang(), info.languages);
      return { value: c, text, lang: tag };
    });
    choices.push({ value: "other", text: t("join.group_other") }, { value: "", text: t("join.group_none") });
    const group = h("div", { class: "options", role: "radiogroup", "aria-labelledby": "group-title", "aria-describedby": "group-hint" });
    choices.forEach((c, i) => {
      const input = h("input", { type: "radio", name: "group", id: "group-" + i, value: c.value });
      if (picked === c.value) input.checked = true;
      const row = h("label", { class: "opt", for: input.id }, input, h("span", { class: "txt", text: c.text, lang: c.lang || null }));
      const mark = () => {
        for (const r of group.querySelectorAll("label.opt")) r.classList.toggle("checked", r.querySelector("input").checked);
      };
      input.addEventListener("change", () => {
        picked = c.value;
        mark();
      });
      if (input.checked) row.classList.add("checked");
      group.append(row);
    });
    const form = h("form", { class: "ask", novalidate: true }, group,
      h("p", { class: "hint", id: "group-hint", text: t("join.group_hint") }),
      h("button", { type: "submit", class: "btn wide", text: t("join.group_go") }));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const on = group.querySelector("input:checked");
      chosen = on ? on.value : "";
      const i = (info.constituencies || []).indexOf(chosen);
      chosenNames = [chosen, ...Object.values((i >= 0 && names[i]) || {})];
      start(attempt);
    });
    const title = h("h1", { id: "group-title", text: t("join.group_title"), tabindex: "-1" });
    return { el: h("section", { class: "join-group", "aria-labelledby": "group-title" }, title, form) };
  };
}

let netInfo = {};
function onStatus(s, info) {
  if (info) netInfo = info;
  let text = "";
  if (s === "offline") {
    // A link that stopped for good is said by the screen, not as "reconnecting".
    if (netInfo.action === ACTION.STOP) text = "";
    else if (netInfo.action === ACTION.RECONNECT_AFTER_5S) text = t("net.flood");
    else text = t("net.offline");
  }
  setText(netEl, text);
}

// joinAgainButton: the token is not valid (a deleted session, another
// deployment's); joining anew is the person's choice, never the page's.
function joinAgainButton() {
  return h("button", {
    type: "button",
    class: "btn wide",
    text: t("invalid.join"),
    onclick: async () => {
      store(TOKEN_KEY, null);
      const tok = await join();
      if (tok) {
        loading("loading");
        open(tok);
      }
    },
  });
}

function show() {
  render();
  if (session && session.state === "ended" && conn) {
    // Nothing more will happen in this session.
    conn.close();
    conn = null;
    onStatus("online");
  }
}

function open(token) {
  if (conn) conn.close();
  conn = connect({
    token,
    lang,
    onWelcome(msg) {
      session = msg.view || null;
      you = {};
      show();
      // The welcome after a change of language: the title in the new one.
      const a = again && ((session && session.activities) || []).find((x) => x.id === session.presented);
      again = false;
      if (a) announce("announce.new", { title: a.title || "" });
    },
    onMessage(msg) {
      if (msg.type === "session") {
        session = msg.view;
      } else if (msg.type === "activity" && session && msg.activity) {
        const list = session.activities || (session.activities = []);
        const i = list.findIndex((x) => x.id === msg.activity.id);
        if (i >= 0) list[i] = msg.activity;
        else list.push(msg.activity);
      } else if (msg.type === "you" && msg.activity) {
        you[msg.activity] = msg;
      } else if (msg.type === "error") {
        showError(() => errText(msg));
        return;
      } else {
        return;
      }
      show();
    },
    onStatus,
    onFatal(msg) {
      session = null;
      conn = null;
      const code = msg && msg.code;
      if (code === CODE.NOT_FOUND) {
        // The facilitator deleted the session: there is nothing to join
        // again, so nothing is offered.
        store(TOKEN_KEY, null);
        errorScreen("deleted", "deleted.title", "deleted.body", null);
        return;
      }
      if (code === CODE.UNAUTHORIZED) {
        errorScreen("invalid", "invalid.title", "invalid.body", joinAgainButton);
        return;
      }
      // Stopped for another reason (no hello in time, a normal close): the
      // token may well be fine, so trying again uses it.
      errorScreen("fatal", "fatal.title", "fatal.body", retryButton);
    },
  });
}

// start joins (attempt: the busy answers in a row before this one) unless a
// token is kept, and connects.
async function start(attempt) {
  if (code.length !== 8) {
    errorScreen("badcode", "join.badcode_title", "join.badcode", codeForm);
    return;
  }
  let token = load(TOKEN_KEY);
  if (!token && chosen === undefined) {
    const info = await preview(attempt || 0);
    if (!info) return;
    if (info.constituencies && info.constituencies.length) {
      setScreen("join:group", groupForm(info, attempt));
      const h1 = mainEl.querySelector("h1");
      if (h1) h1.focus();
      return;
    }
  }
  if (!token) token = await join(attempt);
  if (!token) return;
  loading("loading");
  open(token);
}

// A key link opened in this same tab (a QR code scanned into it, say) only
// changes the fragment: the page is not loaded again, so it takes the key
// and joins with it, unless it is already in the session.
window.addEventListener("hashchange", () => {
  joinKey = location.hash.slice(1);
  if (!conn && !session && !joining && joinKey && !load(TOKEN_KEY)) start(0);
});

await initI18n("attendee");
languageSwitcher($("lang"), () => {
  // The session's texts come in the page's language: ask again.
  if (conn) conn.relang();
  if (netEl.textContent) onStatus("offline");
  if (alertText && alertEl.textContent) {
    // Said again, so read again: the alert's time starts over.
    showError(alertText);
  }
  remount();
  rx.relabel();
  // What was announced last is said in the new language too; an activity's
  // title once the server sends it in that language (onWelcome).
  if (announced && announceEl.textContent) announceEl.textContent = (again = announced.key == "announce.new") ? "" : t(announced.key, announced.vars);
  if (!session && errorTitle) document.title = t(errorTitle) + " · Townhall";
});
start();
