// show.js: the projector display, served at /show/<id>#<displayKey>.
//
// Read only: it connects with the display key, keeps the latest session view
// and draws the presented activity. The join code, address and QR code stay
// on screen. Every result also goes, as plain text, to an aria-live region.

import { connect, CODE, MSG } from "/static/js/conn.js";
import { initI18n, t, lang, languageSwitcher } from "/static/js/i18n.js";
import { el, num, isOne, formatCode, store, load, pageOnly } from "/static/js/dom.js";
import * as segments from "/static/js/segments.js";
import { contentLang, langName, markLang, second } from "/static/js/langs.js";
import { kindModule } from "/static/js/kinds/index.js";
import { showReactions } from "/static/js/reactions.js";

pageOnly.segments = segments;

const $ = (id) => document.getElementById(id);

// Screen readers are told the results at most this often.
const LIVE_MS = 2500;

function decode(s) {
  try {
    return decodeURIComponent(s);
  } catch (e) {
    return s;
  }
}

const sessionId = decode((location.pathname.match(/^\/show\/([^/]+)/) || ["", ""])[1]);
const displayKey = decode(location.hash.replace(/^#/, ""));

let conn = null;
let view = null;
let fatal = false;
// The activity view currently on screen: {id, kind, el, update(a), destroy()}.
let current = null;
let screenKind = "";

function joinURL(code) {
  return location.origin + "/j/" + String(code || "").replace(/\D/g, "");
}

// ---- the screen reader region ----

let liveItems = [];
let liveTimer = 0;
let liveShown = "";
// After a change of language the region waits for the views in the new one
// (the welcome), else it would say the old titles in the new sentences.
let liveHold = false;

// announce replaces the text list read by screen readers; updates are
// throttled so that a stream of votes is not read out one by one.
function announce(items) {
  liveItems = items;
  if (liveTimer || liveHold) return;
  flushLive();
  liveTimer = setTimeout(() => {
    liveTimer = 0;
    flushLive();
  }, LIVE_MS);
}

function flushLive() {
  const sig = liveItems.join("\n");
  if (sig === liveShown) return;
  liveShown = sig;
  const live = $("live");
  live.textContent = "";
  const ul = el("ul");
  for (const s of liveItems) ul.appendChild(el("li", "", s));
  live.appendChild(ul);
}

// ---- activity views ----

// stateBadge says, per kind, that an activity is not open: a sentence of its
// own (the kind module's), so that French and Spanish need not agree with
// an unknown noun.
function stateBadge(a) {
  const mod = kindModule(a.kind);
  const texts = mod && mod.show && mod.show.states ? mod.show.states() : null;
  if (!texts) return null;
  if (a.state === "closed") return el("p", "show-badge", texts.closed);
  if (a.state === "draft") return el("p", "show-badge", texts.draft);
  return null;
}

// ---- two languages at once ----

// The display reads the session's texts in its page language; a second
// language, chosen here and remembered, goes under each text.
const LANG2_KEY = "townhall.show.lang2";
let lang2 = load(LANG2_KEY) || "";

function languages() {
  return (view && Array.isArray(view.languages) && view.languages) || [];
}

// firstLang is the session language the texts on screen are in.
function firstLang() {
  return contentLang(lang(), languages());
}

// secondLang is the language shown under each text, "" for none.
function secondLang() {
  const l = languages();
  return lang2 && l.includes(lang2) && lang2 !== firstLang() ? lang2 : "";
}

// entryLang is the one language whose questions the display shows, "" for
// all (a setting of this display, remembered).
const QLANG_KEY = "townhall.show.qlang";
let qlang = load(QLANG_KEY) || "";

function entryLang() {
  return languages().includes(qlang) ? qlang : "";
}

function renderQLang(a) {
  const l = languages();
  const row = $("qlang-row");
  row.hidden = l.length < 2 || !a || (a.kind !== "qa" && a.kind !== "open");
  if (row.hidden) return;
  const sel = $("qlang");
  const want = l.join(",") + "|" + lang();
  if (sel.dataset.langs !== want) {
    sel.dataset.langs = want;
    sel.textContent = "";
    sel.appendChild(el("option", { value: "", text: t("lang.all") }));
    for (const tag of l) sel.appendChild(el("option", { value: tag, lang: tag, text: langName(tag) }));
  }
  sel.value = entryLang();
}

// Each reader looks for their own language by its own name ("Français").
function autonym(tag) {
  const n = new Intl.DisplayNames([tag], { type: "language" }).of(tag) || tag;
  return n.charAt(0).toLocaleUpperCase(tag) + n.slice(1);
}

function renderLang2() {
  const l = languages();
  const row = $("lang2-row");
  row.hidden = l.length < 2;
  if (row.hidden) return;
  const sel = $("lang2");
  const want = [""].concat(l).join(",");
  if (sel.dataset.langs !== want + "|" + lang()) {
    sel.dataset.langs = want + "|" + lang();
    sel.textContent = "";
    sel.appendChild(el("option", { value: "", text: t("lang.none") }));
    for (const tag of l) sel.appendChild(el("option", { value: tag, lang: tag, text: autonym(tag) }));
  }
  sel.value = l.includes(lang2) ? lang2 : "";
}

// text2 is a text's translation in the second language, marked with its
// language, or null.
function text2(map, shown, cls) {
  const l2 = secondLang();
  const s = second(map, l2, shown);
  if (!s) return null;
  return el("span", { class: cls || "show-second", lang: l2, text: s });
}

function header(a) {
  const head = el("header", "show-head");
  const title = el("h2", "show-title", a.title || "");
  markLang(title, firstLang());
  head.appendChild(title);
  const t2 = text2(a.titles, a.title, "show-title-second");
  if (t2) head.appendChild(el("p", { class: "show-title-2" }, t2));
  const meta = el("div", "show-meta");
  head.appendChild(meta);
  return { head, meta };
}

function fillMeta(meta, a, extra) {
  meta.textContent = "";
  const b = stateBadge(a);
  if (b) meta.appendChild(b);
  // While the results are hidden from the room, how many answered: the
  // room sees it fill up (every kind's view carries "responses").
  const hidden = a.revealed && a.revealed.display === false;
  if (hidden && typeof a.responses === "number") {
    meta.appendChild(el("p", "show-responses", isOne(a.responses) ? t("responses.one", { n: num(a.responses) }) : t("responses.many", { n: num(a.responses) })));
  }
  for (const x of extra) if (x) meta.appendChild(x);
}

// resultsExtra is the meta line's part of a kind whose results the room
// may not see yet: the hidden badge, and the count of answers (null for
// none), each also said in live.
function resultsExtra(shown, hiddenText, countText, live) {
  const extra = [];
  if (!shown) {
    extra.push(el("p", "show-badge show-badge-hidden", hiddenText));
    live.push(hiddenText);
  }
  if (countText) {
    extra.push(el("p", "show-count", countText));
    live.push(countText);
  }
  return extra;
}

// counts is the joined and connected-now line of the join panel and the
// idle screen: everyone who ever joined, and the phones open now.
function counts() {
  const out = [];
  const p = view && view.participants;
  if (typeof p === "number") out.push(isOne(p) ? t("join.joinedOne", { n: num(p) }) : t("join.joined", { n: num(p) }));
  const c = view && view.connected;
  if (typeof c === "number") out.push(t("join.connected", { n: num(c) }));
  return out;
}

function unknownView() {
  const root = el("section", "show-activity");
  const h = header({ title: "" });
  root.appendChild(h.head);
  return {
    el: root,
    update(a) {
      h.head.querySelector(".show-title").textContent = a.title || "";
      announce([a.title || ""]);
    },
    destroy() {},
  };
}

// ctx is what a kind's show.view(ctx) is given (static/README-pages.md).
const ctx = {
  header,
  fillMeta,
  resultsExtra,
  announce,
  clockOffset: () => (conn ? conn.clockOffset() : 0),
  liveTime: null,
  // The language of the texts on screen, and a text's line in the second
  // language (an element, or null): PROTOCOL.md 1.2.
  lang: firstLang,
  second: text2,
  entryLang,
};

function makeView(kind) {
  const mod = kindModule(kind);
  if (!mod || !mod.show) return unknownView();
  ctx.liveTime = $("live-time");
  return mod.show.view(ctx);
}

// ---- whole screens ----

function setScreen(kind) {
  screenKind = kind;
  document.body.dataset.screen = kind;
}

function clearStage() {
  if (current) {
    current.destroy();
    current = null;
  }
  const stage = $("stage");
  for (const c of Array.from(stage.children)) if (c.id !== "stage-heading") c.remove();
}

function showMessage(kind, lines, cls) {
  clearStage();
  setScreen(kind);
  const box = el("div", "show-message " + (cls || ""));
  lines.forEach((l, i) => box.appendChild(el(i === 0 ? "p" : "p", i === 0 ? "show-message-main" : "show-message-sub", l)));
  $("stage").appendChild(box);
  announce(lines);
}

function showIdle() {
  clearStage();
  setScreen("idle");
  const code = formatCode(view.code);
  const url = joinURL(view.code);
  const box = el("div", "show-idle");
  box.appendChild(el("p", "show-idle-title", view.title || ""));
  const qr = el("div", "show-qr-box show-idle-qr");
  const img = el("img", "show-qr");
  img.src = "/api/sessions/" + encodeURIComponent(view.id || sessionId) + "/qr.svg";
  img.alt = t("join.qrAlt", { url });
  qr.appendChild(img);
  const text = el("div", "show-idle-text");
  text.append(
    el("p", "show-idle-label", t("idle.joinAt")),
    el("p", "show-idle-url", url),
    el("p", "show-idle-label", t("idle.withCode")),
    el("p", "show-idle-code", code),
  );
  const row = el("div", "show-idle-row");
  row.append(qr, text);
  box.appendChild(row);
  const lines = counts();
  if (lines.length) {
    const pc = el("p", "show-participants");
    lines.forEach((l, i) => pc.appendChild(el("span", i ? "show-connected" : "show-joined", l)));
    box.appendChild(pc);
  }
  $("stage").appendChild(box);
  announce([view.title || "", t("idle.announce", { url, code })]);
}

function renderJoin() {
  const join = $("join");
  if (!view || fatal) {
    join.hidden = true;
    return;
  }
  const code = formatCode(view.code);
  const url = joinURL(view.code);
  $("session-title").textContent = view.title || "";
  $("join-code").textContent = code;
  // Offer the line break after the host rather than inside "/j/".
  const ju = $("join-url");
  ju.textContent = location.origin;
  ju.appendChild(document.createElement("wbr"));
  ju.appendChild(document.createTextNode(url.slice(location.origin.length)));
  const qr = $("qr");
  const src = "/api/sessions/" + encodeURIComponent(view.id || sessionId) + "/qr.svg";
  if (qr.getAttribute("src") !== src) qr.src = src;
  qr.alt = t("join.qrAlt", { url });
  const pc = $("participants");
  const lines = counts();
  const sig = lines.join("\n");
  if (pc.dataset.sig !== sig) {
    pc.dataset.sig = sig;
    pc.textContent = "";
    lines.forEach((l, i) => pc.appendChild(el("span", i ? "show-connected" : "show-joined", l)));
  }
  // The idle and ended screens show the join details themselves (or need none).
  join.hidden = screenKind === "idle" || screenKind === "ended";
}

function presented() {
  if (!view || !view.presented || !Array.isArray(view.activities)) return null;
  return view.activities.find((a) => a && a.id === view.presented) || null;
}

function render() {
  const loading = $("loading");
  if (loading) loading.remove();
  rx.update(fatal ? null : view);
  if (fatal) return;
  if (!view) return;
  document.title = (view.title ? view.title + " · " : "") + t("page.title");
  renderLang2();
  renderQLang(presented());
  markLang($("stage"), firstLang());
  markLang($("session-title"), firstLang());
  if (view.state === "ended") {
    if (screenKind !== "ended") showMessage("ended", [t("ended.title"), t("ended.thanks")], "show-ended");
  } else {
    const a = presented();
    if (!a) {
      showIdle();
    } else if (kindModule(a.kind, render) === undefined) {
      // The kind's module is on its way; render runs again once it is here.
    } else {
      if (!current || current.id !== a.id || current.kind !== a.kind) {
        clearStage();
        setScreen("activity");
        current = makeView(a.kind);
        current.id = a.id;
        current.kind = a.kind;
        $("stage").appendChild(current.el);
      }
      current.update(a);
      secondTitle(current.el, a);
    }
  }
  renderJoin();
}

// secondTitle keeps the activity's title in the second language under its
// title, whatever kind drew the screen (a kind may set the title itself).
function secondTitle(root, a) {
  const head = root.querySelector(".show-head");
  if (!head) return;
  let line = head.querySelector(".show-title-2");
  const t2 = text2(a.titles, a.title, "show-title-second");
  if (!t2) {
    if (line) line.remove();
    return;
  }
  if (!line) {
    line = el("p", { class: "show-title-2" });
    const title = head.querySelector(".show-title");
    if (title) title.after(line);
    else head.prepend(line);
  }
  if (line.textContent !== t2.textContent || !line.firstChild || line.firstChild.lang !== t2.lang) line.replaceChildren(t2);
}

// A language change rebuilds everything, including the screens that are
// only drawn once.
function rerender() {
  clearStage();
  screenKind = "";
  liveShown = "";
  if (fatal) showFatal();
  else render();
}

// fatalCode is why the connection stopped for good (a CODE), "" while it runs.
let fatalCode = "";

function showFatal() {
  fatal = true;
  // The connection has given up for good: "reconnecting" would be untrue.
  setStatus("");
  const loading = $("loading");
  if (loading) loading.remove();
  const main = fatalCode === CODE.NOT_FOUND ? t("error.notFound")
    : fatalCode === CODE.CLOSED ? t("error.closed")
    : t("error.unauthorized");
  // A deleted session has no display link to open again.
  const hint = fatalCode === CODE.NOT_FOUND ? t("error.notFoundHint") : t("error.hint");
  showMessage("fatal", [main, hint], "show-fatal");
  renderJoin();
}

function setStatus(s) {
  if (fatal && s) return;
  const st = $("status");
  st.dataset.state = s;
  // Offline, the picture on the wall is stale: say so where the room sees it.
  st.textContent = s === "offline" ? t("status.offlineLong") : s === "connecting" ? t("status.connecting") : "";
  document.body.classList.toggle("is-offline", s === "offline");
}

function onMessage(msg) {
  if (msg.type === "session" && msg.view) {
    const old = view;
    view = msg.view;
    // A header push that leaves the activities out keeps the ones we have.
    if (!Array.isArray(view.activities) && old && Array.isArray(old.activities)) {
      view.activities = old.activities.filter((a) => a.id === view.presented);
    }
    render();
  } else if (msg.type === "activity" && msg.activity && view) {
    const a = msg.activity;
    const list = Array.isArray(view.activities) ? view.activities.slice() : [];
    const i = list.findIndex((x) => x && x.id === a.id);
    if (i >= 0) list[i] = a;
    else if (a.id === view.presented) list.push(a);
    else return;
    view.activities = list;
    render();
  } else if (msg.type === MSG.REACTIONS) {
    rx.push(msg.counts);
  }
}

// Reactions float up the display's left edge (reactions.js).
const rx = showReactions();
document.body.append(rx.el);

async function main() {
  await initI18n("show");
  languageSwitcher($("lang"), () => {
    // The session's texts come in the page's language: ask again.
    if (conn && !fatal) {
      liveHold = true;
      liveItems = [];
      $("live").textContent = "";
      conn.relang();
    }
    rerender();
    rx.relabel();
  });
  $("qlang").addEventListener("change", () => {
    qlang = $("qlang").value;
    store(QLANG_KEY, qlang || null);
    rerender();
  });
  $("lang2").addEventListener("change", () => {
    lang2 = $("lang2").value;
    store(LANG2_KEY, lang2 || null);
    rerender();
  });
  setStatus("connecting");
  if (!displayKey || !sessionId) {
    showFatal();
    return;
  }
  conn = connect({
    token: displayKey,
    lang,
    onWelcome(msg) {
      view = msg.view || null;
      const held = liveHold;
      if (held) {
        // The views in the new language: said at once, not after the throttle.
        liveHold = false;
        clearTimeout(liveTimer);
        liveTimer = 0;
        liveShown = "";
      }
      render();
      if (held) flushLive();
    },
    onMessage,
    onStatus: setStatus,
    onFatal(msg) {
      fatalCode = (msg && msg.code) || CODE.UNAUTHORIZED;
      showFatal();
    },
  });
}

main();
