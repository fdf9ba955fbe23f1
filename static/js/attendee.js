// attendee.js: the phone page at /j/<code>. It joins the session (or reuses
// the token kept for this code), keeps one connection, and shows the activity
// the facilitator presents: a poll, a word cloud, Q&A or the speaker queue.
import { connect, CODE, ACTION } from "/static/js/conn.js";
import { initI18n, t, lang, languageSwitcher } from "/static/js/i18n.js";

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
const NAME_KEY = "townhall.name";
const GROUP_KEY = "townhall.constituency";
// The constituency value sent for "other": a fixed word, so that the
// facilitator's statistics do not split by the attendees' languages.
const OTHER = "other";
const RETRY_AFTER = "Retry-After";

let conn = null;
let session = null;
let you = {};
let screen = null; // {key, make, c: component}
let alertTimer = 0;
// Per activity: text typed but not sent, and the chosen Q&A order, kept
// across re-renders (a change of language rebuilds the screen).
const drafts = {};

// ---------- small helpers ----------

// h builds an element. Strings among the children become text nodes, so user
// text is never parsed as HTML.
function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  if (props) {
    for (const k in props) {
      const v = props[k];
      if (v == null || v === false) continue;
      if (k === "text") el.textContent = v;
      else if (k === "class") el.className = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : v);
    }
  }
  for (const c of kids) if (c != null && c !== false) el.append(c);
  return el;
}

function store(key, value) {
  try {
    if (value == null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch (e) {
    // private mode: nothing is kept across reloads
  }
}
function load(key) {
  try {
    return localStorage.getItem(key);
  } catch (e) {
    return null;
  }
}

function setText(el, s) {
  if (el.textContent !== s) el.textContent = s;
}

function codePoints(s) {
  return Array.from(s).length;
}

// A refusal is said from this page's table: by its reason (which cap) when
// the server gave one, else by its code. The server's message is English:
// only an English page shows it, and only for a code whose generic text
// says less.
const DETAILED = new Set([CODE.LIMIT_REACHED, CODE.BAD_REQUEST, CODE.FORBIDDEN, CODE.INVALID_CHOICE, CODE.CONFLICT, CODE.TOO_LARGE]);

function errText(err) {
  const e = err || {};
  const code = e.code || "";
  if (e.reason) {
    const key = "reason." + e.reason;
    const s = t(key, { max: e.max ?? "", name: e.name || "" });
    if (s !== key) return s;
  }
  const message = typeof e.message === "string" ? e.message.trim() : "";
  const english = lang() === "en" && message;
  if (code === CODE.OFFLINE) return t("net.offline");
  if (english && DETAILED.has(code)) return message;
  const key = "err." + code;
  const s = code ? t(key) : key;
  if (s !== key) return s;
  return english ? message : t("err.internal");
}

function showError(msg) {
  clearTimeout(alertTimer);
  alertEl.textContent = msg;
  alertTimer = setTimeout(clearError, 10000);
}
function clearError() {
  clearTimeout(alertTimer);
  alertEl.textContent = "";
}

// The last announcement, as a key and its variables, so that a change of
// language can say it again in the new language.
let announced = null;
function announce(key, vars) {
  announced = { key, vars };
  announceEl.textContent = "";
  // A change of text is what screen readers announce; let the clear land first.
  setTimeout(() => (announceEl.textContent = t(key, vars)), 50);
}

function plural(n) {
  try {
    return new Intl.PluralRules(lang()).select(n) === "one";
  } catch (e) {
    return n === 1;
  }
}

// A button whose label lives in a .lbl span; while a command is on its way
// the label is swapped for "Sending…".
function button(cls, label, onclick, extra) {
  const lbl = h("span", { class: "lbl" });
  if (typeof label === "string") lbl.textContent = label;
  else lbl.append(label);
  return h("button", Object.assign({ type: "button", class: cls, onclick }, extra || {}), lbl, h("span", { class: "sending", text: t("sending") }));
}
function isBusy(btn) {
  return btn.classList.contains("busy");
}
function disabled(btn) {
  return btn.getAttribute("aria-disabled") === "true";
}
function setDisabled(btn, off) {
  if (off) btn.setAttribute("aria-disabled", "true");
  else btn.removeAttribute("aria-disabled");
}

// run sends a command with btn showing "Sending…" until the answer; errors
// are shown in the alert region. Resolves with the ack or null.
async function run(btn, op, args) {
  if (btn && isBusy(btn)) return null;
  clearError();
  if (!conn) {
    showError(t("err.session_ended"));
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
    showError(errText(err));
    return null;
  } finally {
    if (btn) {
      btn.classList.remove("busy");
      btn.removeAttribute("aria-busy");
    }
  }
}

// liveText makes a visually hidden aria-live paragraph whose text changes at
// most every 5 s, so that a screen reader hears the results without hearing
// every vote.
function liveText() {
  const el = h("p", { class: "visually-hidden", "aria-live": "polite" });
  let timer = 0;
  let text = "";
  let at = 0;
  return {
    el,
    set(s) {
      if (s === text) return;
      text = s;
      clearTimeout(timer);
      timer = setTimeout(() => {
        at = Date.now();
        el.textContent = text;
      }, Math.max(0, at + 5000 - Date.now()));
    },
    stop() {
      clearTimeout(timer);
    },
  };
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
  if (!session) return;
  setText(titleEl, session.title || "");
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
    const make = { poll: pollScreen, wordcloud: wordScreen, qa: qaScreen, queue: queueScreen }[a.kind];
    if (!make) {
      setScreen(key, messageScreen("waiting.title", "unknown.body"));
      return;
    }
    setScreen(key, () => make(a));
    announce("announce.new", { title: a.title || "" });
  }
  if (screen.c.update) screen.c.update(a, you[a.id] || {});
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

// ---------- poll ----------

function pollScreen(a0) {
  const multi = !!a0.multi;
  const head = titleBlock(a0);
  const hint = h("p", { class: "hint", id: "poll-hint" });
  const group = h("div", {
    class: "options",
    role: multi ? "group" : "radiogroup",
    "aria-labelledby": "act-title",
    "aria-describedby": "poll-hint",
  });
  const confirm = h("p", { class: "confirm", role: "status" });
  const submit = multi ? button("btn wide", t("poll.submit"), onSubmit) : null;
  const resHead = h("h2", { text: t("poll.results") });
  const resList = h("ul", { class: "results" });
  const resTotal = h("p", { class: "hint" });
  const results = h("section", { class: "resbox", "aria-labelledby": "res-h" }, resHead, resList, resTotal);
  resHead.id = "res-h";
  const live = liveText();
  const el = h("section", { class: "act poll", "aria-labelledby": "act-title" }, ...head.nodes, hint, group, submit, confirm, results, live.el);

  let a = a0;
  let opts = []; // option elements
  let labels = "";
  let mine = [];
  let sel = null; // multi: the local selection while being edited

  function open() {
    return a.state === "open";
  }

  function build() {
    group.textContent = "";
    opts = a.options.map((o, i) => {
      if (multi) {
        const box = h("input", { type: "checkbox", id: "opt-" + i, onchange: () => onCheck(i, box.checked) });
        // At the maximum the other boxes stay focusable but refuse a tick.
        box.addEventListener("click", (ev) => {
          if (box.getAttribute("aria-disabled") === "true") {
            ev.preventDefault();
            setText(confirm, "");
            setTimeout(() => setText(confirm, t("poll.max_reached", { n: a.maxChoices })), 50);
          }
        });
        const row = h("label", { class: "opt", for: "opt-" + i }, box, h("span", { class: "txt", text: o.label }));
        row.box = box;
        group.append(row);
        return row;
      }
      const b = button("opt", h("span", { class: "row" }, h("span", { class: "mark", "aria-hidden": "true" }), h("span", { class: "txt", text: o.label })), () => onVote(i, b), { role: "radio", "aria-checked": "false" });
      b.addEventListener("keydown", (ev) => arrow(ev, i));
      group.append(b);
      return b;
    });
  }

  function arrow(ev, i) {
    const d = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }[ev.key];
    if (!d) return;
    ev.preventDefault();
    opts[(i + d + opts.length) % opts.length].focus();
  }

  async function onVote(i, b) {
    if (!open() || disabled(b) || isBusy(b)) return;
    if (mine.length === 1 && mine[0] === i) {
      setText(confirm, t("poll.already"));
      return;
    }
    setText(confirm, "");
    const ack = await run(b, "vote", { activity: a.id, choices: [i] });
    if (ack) {
      mine = [i];
      paint();
      setText(confirm, t("poll.received"));
    }
  }

  function onCheck(i, on) {
    if (!sel) sel = new Set(mine);
    if (on) sel.add(i);
    else sel.delete(i);
    setText(confirm, on && sel.size >= a.maxChoices && a.maxChoices > 1 ? t("poll.max_reached", { n: a.maxChoices }) : "");
    paint();
  }

  async function onSubmit() {
    if (!open() || isBusy(submit)) return;
    const choices = Array.from(sel || mine).sort((x, y) => x - y);
    if (!choices.length) {
      showError(t("poll.choose_one"));
      return;
    }
    if (choices.length > a.maxChoices) {
      showError(t("err.invalid_choice"));
      return;
    }
    setText(confirm, "");
    const ack = await run(submit, "vote", { activity: a.id, choices });
    if (ack) {
      mine = choices;
      sel = null;
      paint();
      setText(confirm, t("poll.received"));
    }
  }

  function paint() {
    const isOpen = open();
    if (multi) {
      const chosen = sel || new Set(mine);
      const full = chosen.size >= a.maxChoices;
      opts.forEach((row, i) => {
        const on = chosen.has(i);
        row.box.checked = on;
        row.box.disabled = !isOpen;
        setDisabled(row.box, isOpen && full && !on);
        row.classList.toggle("checked", on);
        row.classList.toggle("voted", mine.includes(i));
      });
      setDisabled(submit, !isOpen || chosen.size === 0);
      submit.hidden = !isOpen;
      const n = chosen.size;
      setText(submit.firstChild, n ? t(mine.length ? "poll.update_n" : "poll.submit_n", { n, max: a.maxChoices }) : mine.length ? t("poll.update") : t("poll.submit"));
    } else {
      opts.forEach((b, i) => {
        const on = mine.includes(i);
        b.setAttribute("aria-checked", on ? "true" : "false");
        setDisabled(b, !isOpen);
      });
    }
  }

  function paintResults() {
    const shown = a.options.length > 0 && a.options.every((o) => typeof o.votes === "number");
    results.hidden = !shown;
    if (!shown) return;
    const voters = typeof a.voters === "number" ? a.voters : a.options.reduce((s, o) => s + o.votes, 0);
    if (resList.children.length !== a.options.length) {
      resList.textContent = "";
      for (const o of a.options) {
        const fill = h("span", { class: "fill" });
        const li = h(
          "li",
          null,
          h("span", { class: "rl" }, h("span", { class: "txt", text: o.label }), h("span", { class: "num" })),
          h("span", { class: "bar", "aria-hidden": "true" }, fill),
        );
        li.fill = fill;
        resList.append(li);
      }
    }
    const parts = [];
    a.options.forEach((o, i) => {
      const li = resList.children[i];
      const pct = voters ? Math.round((o.votes * 100) / voters) : 0;
      setText(li.querySelector(".num"), t("poll.count", { n: o.votes, pct }));
      li.fill.style.width = pct + "%";
      li.classList.toggle("mine", mine.includes(i));
      parts.push(o.label + ": " + t("poll.count", { n: o.votes, pct }));
    });
    setText(resTotal, t("poll.voters", { n: voters }));
    live.set(t("poll.results") + ". " + parts.join(", ") + ". " + t("poll.voters", { n: voters }));
  }

  return {
    el,
    update(next, y) {
      a = next;
      const l = JSON.stringify(a.options.map((o) => o.label));
      if (l !== labels) {
        labels = l;
        build();
      }
      if (Array.isArray(y.choices)) mine = y.choices.slice();
      head.update(a, stateNote(a, { draft: t("poll.draft"), closed: t("poll.closed") }));
      setText(hint, open() ? (multi ? t("poll.hint_multi", { n: a.maxChoices }) : t("poll.hint_single")) : "");
      hint.hidden = !open();
      if (!open()) sel = null;
      paint();
      paintResults();
      if (!confirm.textContent && mine.length) setText(confirm, t("poll.voted"));
    },
    destroy: live.stop,
  };
}

// ---------- word cloud ----------

function wordScreen(a0) {
  const head = titleBlock(a0);
  const input = h("input", { id: "word", class: "field", type: "text", autocomplete: "off", enterkeyhint: "send", "aria-describedby": "word-left" });
  input.value = drafts[a0.id] || "";
  input.addEventListener("input", () => (drafts[a0.id] = input.value));
  const send = button("btn", t("word.send"), null, { type: "submit" });
  const left = h("p", { class: "hint", id: "word-left" });
  const form = h(
    "form",
    { class: "ask", novalidate: true },
    h("label", { class: "block", for: "word", text: t("word.label") }),
    h("div", { class: "inline" }, input, send),
    left,
  );
  const confirm = h("p", { class: "confirm", role: "status" });
  const sentHead = h("h2", { text: t("word.sent") });
  const sentList = h("ul", { class: "chips" });
  const sent = h("section", null, sentHead, sentList);
  const topHead = h("h2", { text: t("word.top") });
  const topList = h("ol", { class: "topw" });
  const top = h("section", null, topHead, topList);
  const live = liveText();
  const el = h("section", { class: "act wordcloud", "aria-labelledby": "act-title" }, ...head.nodes, form, confirm, sent, top, live.el);

  let a = a0;
  let y = {};

  function remaining() {
    if (typeof y.remaining === "number") return y.remaining;
    return Math.max(0, (a.maxEntries || 0) - (y.words || []).length);
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (a.state !== "open" || remaining() <= 0 || isBusy(send)) return;
    const text = input.value.trim().replace(/\s+/g, " ");
    if (!text) {
      input.focus();
      return;
    }
    const max = a.maxLength || 40;
    if (codePoints(text) > max) {
      showError(t("word.too_long", { n: max }));
      return;
    }
    setText(confirm, "");
    const ack = await run(send, "word.submit", { activity: a.id, text });
    if (ack) {
      input.value = "";
      drafts[a.id] = "";
      setText(confirm, t("word.received", { word: text }));
      input.focus();
    }
  });

  return {
    el,
    update(next, you) {
      a = next;
      y = you;
      const open = a.state === "open";
      head.update(a, stateNote(a, { draft: t("word.draft"), closed: t("word.closed") }));
      input.maxLength = a.maxLength || 40;
      const n = remaining();
      form.hidden = !open || n <= 0;
      setText(left, t("word.left", { n }));
      if (open && n <= 0) setText(confirm, t("word.done"));
      const held = y.held || [];
      const words = (y.words || []).map((w) => (held.includes(w) ? w + " (" + t("word.held") + ")" : w));
      sent.hidden = !words.length;
      if (sentList.children.length !== words.length || words.some((w, i) => sentList.children[i].textContent !== w)) {
        sentList.textContent = "";
        for (const w of words) sentList.append(h("li", { text: w }));
      }
      const list = Array.isArray(a.words) ? a.words.slice(0, 20) : null;
      top.hidden = !list || !list.length;
      if (list) {
        const want = list.map((w) => w.text + "\u00a0" + t("word.count", { n: w.count }));
        const have = Array.from(topList.children, (li) => li.textContent);
        if (want.join("\n") !== have.join("\n")) {
          topList.textContent = "";
          for (const s of want) topList.append(h("li", { text: s }));
        }
        live.set(list.length ? t("word.top") + ": " + want.join(", ") : "");
      }
    },
    destroy: live.stop,
  };
}

// ---------- Q&A ----------

// QA_PAGE is how many questions a phone draws at a time.
const QA_PAGE = 50;

function qaScreen(a0) {
  const head = titleBlock(a0);
  const area = h("textarea", { id: "question", class: "field", rows: "3", maxlength: "500", "aria-describedby": "q-hint" });
  area.value = drafts[a0.id] || "";
  area.addEventListener("input", () => (drafts[a0.id] = area.value));
  const send = button("btn wide", t("qa.send"), null, { type: "submit" });
  const qHint = h("p", { class: "hint", id: "q-hint" });
  const form = h("form", { class: "ask", novalidate: true }, h("label", { class: "block", for: "question", text: t("qa.label") }), area, qHint, send);
  const confirm = h("p", { class: "confirm", role: "status" });
  const mineHead = h("h2", { text: t("qa.mine") });
  const mineList = h("ul", { class: "entries" });
  const mineBox = h("section", null, mineHead, mineList);
  const byVotes = h("button", { type: "button", class: "seg", "aria-pressed": "true", text: t("qa.sort_votes"), onclick: () => sortBy("votes") });
  const byTime = h("button", { type: "button", class: "seg", "aria-pressed": "false", text: t("qa.sort_time"), onclick: () => sortBy("time") });
  const sortBar = h("div", { class: "segs", role: "group", "aria-label": t("qa.sort") }, byVotes, byTime);
  const listHead = h("h2", { text: t("qa.questions") });
  const list = h("ul", { class: "entries" });
  const empty = h("p", { class: "hint" });
  // A board may hold thousands of questions: a phone draws a page of them
  // at a time.
  let limit = QA_PAGE;
  const more = h("button", {
    type: "button",
    class: "btn secondary wide",
    onclick: () => {
      const before = list.children.length;
      limit += QA_PAGE;
      paint();
      const li = list.children[before];
      if (li) {
        li.setAttribute("tabindex", "-1");
        li.focus();
      }
    },
  });
  const el = h("section", { class: "act qa", "aria-labelledby": "act-title" }, ...head.nodes, form, confirm, mineBox, listHead, sortBar, empty, list, more);

  let a = a0;
  let y = {};
  let sort = drafts[a0.id + ":sort"] || (a0.sort === "time" ? "time" : "votes");
  const items = new Map(); // entry id -> li

  function sortBy(s) {
    sort = s;
    drafts[a.id + ":sort"] = s;
    paint();
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (a.state !== "open" || isBusy(send)) return;
    const text = area.value.trim();
    if (!text) {
      area.focus();
      return;
    }
    setText(confirm, "");
    const ack = await run(send, "qa.ask", { activity: a.id, text });
    if (ack) {
      area.value = "";
      drafts[a.id] = "";
      setText(confirm, a.moderated ? t("qa.received_moderated") : t("qa.received"));
    }
  });

  function item(e) {
    let li = items.get(e.id);
    if (!li) {
      const txt = h("p", { class: "qtext" });
      const badges = h("p", { class: "badges" });
      const up = button("up", h("span", null, h("span", { class: "arrow", "aria-hidden": "true", text: "▲" }), h("span", { class: "n" })), () => upvote(e.id, up), {
        "aria-pressed": "false",
      });
      li = h("li", { class: "entry" }, h("div", { class: "body" }, txt, badges), up);
      Object.assign(li, { txt, badges, up });
      items.set(e.id, li);
    }
    setText(li.txt, e.text);
    const b = [];
    if (e.pinned) b.push(t("qa.pinned"));
    if (e.status === "answered") b.push(t("qa.answered"));
    if ((y.entries || []).some((m) => m.id === e.id)) b.push(t("qa.yours"));
    setText(li.badges, b.join(" · "));
    li.badges.hidden = !b.length;
    li.classList.toggle("answered", e.status === "answered");
    const on = (y.upvoted || []).includes(e.id);
    li.up.setAttribute("aria-pressed", on ? "true" : "false");
    const votes = e.votes || 0;
    setText(li.up.querySelector(".n"), String(votes));
    const label = t(plural(votes) ? "qa.upvote_one" : "qa.upvote_many", { text: e.text, n: votes });
    if (li.up.getAttribute("aria-label") !== label) li.up.setAttribute("aria-label", label);
    setDisabled(li.up, a.state !== "open");
    return li;
  }

  async function upvote(id, btn) {
    if (disabled(btn) || isBusy(btn)) return;
    await run(btn, "qa.upvote", { activity: a.id, entry: id });
  }

  function paint() {
    byVotes.setAttribute("aria-pressed", sort === "votes" ? "true" : "false");
    byTime.setAttribute("aria-pressed", sort === "time" ? "true" : "false");
    const all = (a.entries || []).filter((e) => e.status === "visible" || e.status === "answered");
    if (sort === "time") {
      all.sort((p, q) => (q.pinned ? 1 : 0) - (p.pinned ? 1 : 0) || String(q.createdAt || "").localeCompare(String(p.createdAt || "")));
    }
    const entries = all.length > limit ? all.slice(0, limit) : all;
    const left = all.length - entries.length;
    more.hidden = left <= 0;
    setText(more, t("qa.show_more", { n: Math.min(QA_PAGE, left) }));
    const seen = new Set(entries.map((e) => e.id));
    for (const id of items.keys()) if (!seen.has(id)) items.get(id).remove(), items.delete(id);
    const focused = document.activeElement;
    entries.forEach((e, i) => {
      const li = item(e);
      if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
    });
    // Moving a node drops its focus; put it back.
    if (focused && focused !== document.activeElement && list.contains(focused)) focused.focus();
    if (!Array.isArray(a.entries)) setText(empty, t("qa.hidden"));
    else setText(empty, entries.length ? "" : t("qa.none"));
    empty.hidden = !empty.textContent;
    sortBar.hidden = entries.length < 2;

    const own = (y.entries || []).filter((e) => e.status === "pending" || e.status === "hidden");
    mineBox.hidden = !own.length;
    mineList.textContent = "";
    for (const e of own) {
      const badge = e.status === "pending" ? t("qa.pending") : t("qa.not_shown");
      mineList.append(h("li", { class: "entry mine" }, h("div", { class: "body" }, h("p", { class: "qtext", text: e.text }), h("p", { class: "badges", text: badge }))));
    }
  }

  return {
    el,
    update(next, you) {
      a = next;
      y = you;
      const open = a.state === "open";
      head.update(a, stateNote(a, { draft: t("qa.draft"), closed: t("qa.closed") }));
      form.hidden = !open;
      setText(qHint, a.moderated ? t("qa.moderated") : "");
      qHint.hidden = !a.moderated;
      paint();
    },
  };
}

// ---------- speaker queue ----------

function fmt(sec) {
  const s = Math.abs(Math.round(sec));
  const m = Math.floor(s / 60);
  const r = s % 60;
  return m + ":" + (r < 10 ? "0" : "") + r;
}

function queueScreen(a0) {
  const head = titleBlock(a0);
  // The current speaker and the countdown.
  const spName = h("p", { class: "spname" });
  const spTime = h("p", { class: "timer", role: "timer", "aria-atomic": "true" });
  // Said once when the speaker's time is almost up and once when it is over.
  const spLive = h("p", { class: "visually-hidden", "aria-live": "polite" });
  const speaker = h("section", { class: "speaker", "aria-labelledby": "sp-h" }, h("h2", { id: "sp-h", text: t("queue.speaking") }), spName, spTime, spLive);
  // My place.
  const place = h("p", { class: "place", role: "status", tabindex: "-1" });
  const lower = button("btn secondary wide", t("queue.lower"), () => onLower());
  const me = h("section", { class: "me" }, place, lower);
  // The form to raise a hand.
  const name = h("input", { id: "q-name", class: "field", type: "text", autocomplete: "name", maxlength: "80" });
  name.value = load(NAME_KEY) || "";
  const group = h("select", { id: "q-group", class: "field" });
  const groupRow = h("div", { class: "row-field" }, h("label", { class: "block", for: "q-group", text: t("queue.constituency") }), group);
  const order = h("input", { id: "q-order", type: "checkbox" });
  const raise = button("btn wide", t("queue.raise"), null, { type: "submit" });
  const form = h(
    "form",
    { class: "ask", novalidate: true },
    h("div", { class: "row-field" }, h("label", { class: "block", for: "q-name", text: t("queue.name") }), name),
    groupRow,
    h("label", { class: "check", for: "q-order" }, order, h("span", { text: t("queue.order") })),
    raise,
  );
  const closedNote = h("p", { class: "state" });
  // Who waits.
  const waitHead = h("h2");
  const waitList = h("ol", { class: "waiting" });
  const waitMore = h("p", { class: "hint" });
  const waiting = h("section", null, waitHead, waitList, waitMore);
  const el = h("section", { class: "act queue", "aria-labelledby": "act-title" }, ...head.nodes, speaker, me, form, closedNote, waiting);

  let a = a0;
  let y = {};
  let groups = "";
  let where = null; // "floor" | "next" | "waiting" | "out"; null before the first update
  // The hand from the raise's answer, until a "you" message says where we are.
  let ackHand = "";
  // The time phase of the current turn ("ok" | "warn" | "over"), by turn.
  let phase = { turn: "", at: "" };
  const timer = setInterval(tick, 1000);

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (a.state !== "open" || isBusy(raise)) return;
    const n = name.value.trim();
    if (!n) {
      showError(t("queue.need_name"));
      name.setAttribute("aria-invalid", "true");
      name.focus();
      return;
    }
    name.removeAttribute("aria-invalid");
    store(NAME_KEY, n);
    const args = { activity: a.id, name: n, constituency: "", kind: order.checked ? "order" : "speak" };
    if (!groupRow.hidden) {
      args.constituency = group.value;
      store(GROUP_KEY, group.value);
    }
    const ack = await run(raise, "hand.raise", args);
    if (ack) {
      order.checked = false;
      if (ack.hand) {
        ackHand = ack.hand;
        y = Object.assign({}, y, { hand: ack.hand });
      }
      paint();
      // The form is gone: the focus goes to my place in the queue.
      if (!me.hidden) place.focus();
    }
  });

  async function onLower() {
    if (isBusy(lower)) return;
    const ack = await run(lower, "hand.lower", { activity: a.id });
    if (ack) {
      ackHand = "";
      y = Object.assign({}, y, { hand: "" });
      paint();
      announce("queue.lowered");
      if (!form.hidden) name.focus();
    }
  }

  function fillGroups() {
    const list = (a.constituencies || []).filter((c) => c && c !== OTHER);
    const k = JSON.stringify(list);
    if (k === groups) return;
    groups = k;
    const keep = group.value || load(GROUP_KEY) || "";
    group.textContent = "";
    for (const c of list) group.append(h("option", { value: c, text: c }));
    group.append(h("option", { value: OTHER, text: t("queue.other") }));
    if ([...group.options].some((o) => o.value === keep)) group.value = keep;
    groupRow.hidden = !list.length;
  }

  function leftSeconds(sp) {
    let used = sp.elapsedSeconds || 0;
    if (sp.runningSince) {
      const since = Date.parse(sp.runningSince);
      if (!isNaN(since)) used += Math.max(0, (Date.now() + (conn ? conn.clockOffset() : 0) - since) / 1000);
    }
    return (sp.limitSeconds || 0) - used;
  }

  function tick() {
    const sp = a.speaking;
    if (!sp) return;
    const left = leftSeconds(sp);
    let s;
    if (left >= 0) s = fmt(Math.ceil(left - 0.001));
    else s = t("queue.over", { t: fmt(Math.floor(-left)) });
    if (!sp.runningSince) s += " · " + t("queue.paused");
    setText(spTime, s);
    spTime.classList.toggle("over", left < 0);
    timeEvent(sp, left);
  }

  // timeEvent tells the speaker, once, that the time is almost up (30 s)
  // and once that it is over. A new turn, or time added, starts again.
  function timeEvent(sp, left) {
    const turn = (sp.hand || "") + "|" + (sp.startedAt || "");
    const now = left < 0 ? "over" : left <= 30 ? "warn" : "ok";
    if (phase.turn !== turn) {
      // The first sight of a turn already under way says nothing.
      phase = { turn, at: where === null ? now : "ok" };
      if (where === null) return;
    }
    if (now === phase.at) return;
    const worse = (now === "warn" && phase.at === "ok") || (now === "over" && phase.at !== "over");
    phase.at = now;
    if (!worse || where !== "floor" || !sp.runningSince) return;
    setText(spLive, "");
    setTimeout(() => setText(spLive, now === "over" ? t("queue.time_over") : t("queue.time_warn")), 50);
  }

  function paint() {
    const open = a.state === "open";
    const sp = a.speaking || null;
    speaker.hidden = !sp;
    if (sp) {
      setText(spName, sp.constituency ? t("queue.who", { name: sp.name, group: sp.constituency }) : sp.name);
      tick();
    }
    const hand = y.hand || "";
    const list = Array.isArray(a.waiting) ? a.waiting : [];
    // A long queue comes to phones cut to its front, with the whole count
    // beside it and this phone's own place in "you".
    const total = typeof a.waitingCount === "number" ? Math.max(a.waitingCount, list.length) : list.length;
    let now = "out";
    let pos = 0;
    if (hand) {
      if (sp && sp.hand === hand) now = "floor";
      else {
        const i = list.findIndex((w) => w.hand === hand);
        pos = i >= 0 ? i + 1 : typeof y.place === "number" && y.place > 0 ? y.place : 0;
        now = pos === 1 ? "next" : "waiting";
      }
    }
    if (where !== null && now !== where && (now === "next" || now === "floor") && navigator.vibrate) {
      navigator.vibrate(now === "floor" ? [300, 150, 300] : 200);
    }
    where = now;
    const inMe = me.contains(document.activeElement) || form.contains(document.activeElement);
    me.hidden = now === "out";
    me.classList.toggle("floor", now === "floor");
    me.classList.toggle("next", now === "next");
    if (now === "floor") setText(place, t("queue.floor"));
    else if (now === "next") setText(place, t("queue.next"));
    else if (now === "waiting") setText(place, pos > 0 ? t("queue.number", { n: pos }) : t("queue.raised"));
    else setText(place, "");
    lower.hidden = now === "out" || now === "floor";
    form.hidden = !open || now !== "out";
    closedNote.hidden = open || now !== "out";
    // A control that was just hidden drops the keyboard focus: put it on
    // what replaced it.
    if (inMe && (document.activeElement === document.body || !document.activeElement)) {
      if (!me.hidden) place.focus();
      else if (!form.hidden) name.focus();
    }
    setText(closedNote, a.state === "draft" ? t("queue.draft") : t("queue.closed"));

    waiting.hidden = !Array.isArray(a.waiting);
    setText(waitHead, total ? t("queue.waiting", { n: total }) : t("queue.nobody"));
    const shown = list.slice(0, 10);
    const want = shown.map((w) => (w.kind === "order" ? t("queue.order_mark") + " " : "") + (w.constituency ? t("queue.who", { name: w.name, group: w.constituency }) : w.name));
    const have = Array.from(waitList.children, (li) => li.textContent);
    if (want.join("\n") !== have.join("\n") || shown.some((w, i) => waitList.children[i].classList.contains("self") !== (w.hand === hand))) {
      waitList.textContent = "";
      shown.forEach((w, i) => waitList.append(h("li", { class: w.hand === hand ? "self" : null, text: want[i] })));
    }
    setText(waitMore, total > shown.length ? t("queue.more", { n: total - shown.length }) : "");
    waitMore.hidden = !waitMore.textContent;
  }

  return {
    el,
    update(next, you) {
      a = next;
      y = you;
      // The activity push may come before the "you" message with our hand:
      // keep the hand from the answer until "you" names it, or until it is
      // in none of the lists any more.
      if (ackHand) {
        const listed = (a.speaking && a.speaking.hand === ackHand) || (a.waiting || []).some((w) => w.hand === ackHand);
        if (you.hand || (you.hand === "" && !listed)) ackHand = "";
        else y = Object.assign({}, you, { hand: ackHand });
      }
      head.update(a, "");
      fillGroups();
      paint();
    },
    destroy() {
      clearInterval(timer);
    },
  };
}

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

async function joinOnce(attempt) {
  const tries = attempt || 0;
  loading("join.joining");
  let res;
  try {
    res = await fetch("/api/join", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(joinKey ? { code, key: joinKey } : { code }),
    });
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
  if (res.ok && body && body.token) {
    store(TOKEN_KEY, body.token);
    return body.token;
  }
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
    // 400 or 415 mean the page sent something the server does not take:
    // nothing the person can fix, so say it plainly and offer to retry.
    errorScreen("join:failed", "join.failed_title", "join.failed", retryButton);
  }
  return null;
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

// joinAgainButton is offered when the server says this phone's token is
// definitely not valid (a deleted session, another deployment's token). The
// token stays stored until it is pressed: joining as a new participant is
// the person's choice, never the page's.
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
    onWelcome(msg) {
      session = msg.view || null;
      you = {};
      show();
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
        showError(errText(msg));
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
  const token = load(TOKEN_KEY) || (await join(attempt));
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
  if (netEl.textContent) onStatus("offline");
  remount();
  // What was announced last is said in the new language too.
  if (announced && announceEl.textContent) announceEl.textContent = t(announced.key, announced.vars);
  if (!session && errorTitle) document.title = t(errorTitle) + " · Townhall";
});
start();
