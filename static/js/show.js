// show.js: the projector display, served at /show/<id>#<displayKey>.
//
// Read only: it connects with the display key, keeps the latest session view
// and draws the presented activity. The join code, address and QR code stay
// on screen. Every result also goes, as plain text, to an aria-live region.

import { connect, CODE } from "/static/js/conn.js";
import { initI18n, t, lang, languageSwitcher } from "/static/js/i18n.js";
import { WordCloud } from "/static/js/wordcloud.js";

const $ = (id) => document.getElementById(id);

// How many questions and waiting speakers fit on a projected screen.
const QA_MAX = 6;
const NEXT_MAX = 3;
const STATS_MAX = 6;
// The countdown turns to its warning colour for the last seconds.
const WARN_SECONDS = 30;
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

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function num(n) {
  return new Intl.NumberFormat(lang()).format(n);
}

function pct(fraction) {
  return new Intl.NumberFormat(lang(), { style: "percent", maximumFractionDigits: 0 }).format(fraction);
}

function isOne(n) {
  return new Intl.PluralRules(lang()).select(n) === "one";
}

function formatCode(code) {
  const c = String(code || "").replace(/\D/g, "");
  return c.length === 8 ? c.slice(0, 4) + " " + c.slice(4) : c;
}

function joinURL(code) {
  return location.origin + "/j/" + String(code || "").replace(/\D/g, "");
}

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? h + ":" + String(m).padStart(2, "0") + ":" + ss : m + ":" + ss;
}

// ---- the screen reader region ----

let liveItems = [];
let liveTimer = 0;
let liveShown = "";

// announce replaces the text list read by screen readers; updates are
// throttled so that a stream of votes is not read out one by one.
function announce(items) {
  liveItems = items;
  if (liveTimer) return;
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
// own, so that French and Spanish need not agree with an unknown noun.
function stateBadge(a) {
  const texts = {
    poll: { closed: t("poll.closed"), draft: t("poll.draft") },
    wordcloud: { closed: t("wc.closed"), draft: t("wc.draft") },
    qa: { closed: t("qa.closed"), draft: t("qa.draft") },
    queue: { closed: t("queue.closed"), draft: t("queue.draft") },
  }[a.kind];
  if (!texts) return null;
  if (a.state === "closed") return el("p", "show-badge", texts.closed);
  if (a.state === "draft") return el("p", "show-badge", texts.draft);
  return null;
}

function header(a) {
  const head = el("header", "show-head");
  head.appendChild(el("h2", "show-title", a.title || ""));
  const meta = el("div", "show-meta");
  head.appendChild(meta);
  return { head, meta };
}

function fillMeta(meta, a, extra) {
  meta.textContent = "";
  const b = stateBadge(a);
  if (b) meta.appendChild(b);
  for (const x of extra) if (x) meta.appendChild(x);
}

function pollView() {
  const root = el("section", "show-activity show-poll");
  let rows = [];
  let sig = "";
  const parts = { head: null, meta: null, list: null, note: null };

  function build(a) {
    root.textContent = "";
    const h = header(a);
    parts.head = h.head;
    parts.meta = h.meta;
    root.appendChild(h.head);
    parts.list = el("ol", "poll-list");
    root.appendChild(parts.list);
    rows = a.options.map((o, i) => {
      const li = el("li", "poll-row");
      const label = el("span", "poll-label");
      const nums = el("span", "poll-nums");
      const count = el("span", "poll-count");
      const share = el("span", "poll-pct");
      nums.append(count, share);
      const track = el("span", "poll-track");
      const fill = el("span", "poll-fill");
      fill.style.backgroundColor = BAR_COLORS[i % BAR_COLORS.length];
      track.appendChild(fill);
      track.setAttribute("aria-hidden", "true");
      li.append(label, nums, track);
      parts.list.appendChild(li);
      return { li, label, count, share, fill, nums };
    });
  }

  return {
    el: root,
    update(a) {
      const options = Array.isArray(a.options) ? a.options : [];
      a = Object.assign({}, a, { options });
      const s = options.length + ":" + options.map((o) => o.label).join("\u0000");
      if (s !== sig || !parts.list) {
        sig = s;
        build(a);
      }
      parts.head.querySelector(".show-title").textContent = a.title || "";
      const shown = options.length > 0 && options.every((o) => typeof o.votes === "number");
      root.classList.toggle("is-hidden", !shown);
      root.style.setProperty("--rows", String(Math.max(options.length, 2)));
      const total = options.reduce((n, o) => n + (typeof o.votes === "number" ? o.votes : 0), 0);
      const voters = typeof a.voters === "number" ? a.voters : null;
      const base = a.multi ? voters || total : total;
      const live = [a.title || ""];
      options.forEach((o, i) => {
        const r = rows[i];
        r.label.textContent = o.label;
        if (shown) {
          const f = base > 0 ? o.votes / base : 0;
          r.count.textContent = num(o.votes);
          r.share.textContent = pct(f);
          r.nums.hidden = false;
          r.fill.style.width = (Math.min(1, f) * 100).toFixed(2) + "%";
          live.push(
            isOne(o.votes)
              ? t("live.voteOne", { label: o.label, n: num(o.votes), pct: pct(f) })
              : t("live.votes", { label: o.label, n: num(o.votes), pct: pct(f) }),
          );
        } else {
          r.nums.hidden = true;
          r.fill.style.width = "0%";
          live.push(o.label);
        }
      });
      const extra = [];
      if (!shown) {
        extra.push(el("p", "show-badge show-badge-hidden", t("poll.hidden")));
        live.push(t("poll.hidden"));
      }
      if (voters !== null) {
        const v = isOne(voters) ? t("poll.voterOne", { n: num(voters) }) : t("poll.voters", { n: num(voters) });
        extra.push(el("p", "show-count", v));
        live.push(v);
      }
      fillMeta(parts.meta, a, extra);
      announce(live);
    },
    destroy() {},
  };
}

const BAR_COLORS = ["#56b4e9", "#e69f00", "#3fd0a8", "#f0e442", "#e4a3c8", "#ff9966"];

function cloudView() {
  const root = el("section", "show-activity show-cloud");
  const h = header({ title: "" });
  root.appendChild(h.head);
  const box = el("div", "wc-box");
  box.setAttribute("aria-hidden", "true");
  const msg = el("p", "wc-msg");
  root.append(box, msg);
  const cloud = new WordCloud(box);
  return {
    el: root,
    update(a) {
      h.head.querySelector(".show-title").textContent = a.title || "";
      const words = Array.isArray(a.words) ? a.words.filter((w) => !w.hidden && !w.pending) : null;
      const extra = [];
      const live = [a.title || ""];
      if (typeof a.entries === "number") {
        const e = isOne(a.entries) ? t("wc.sentOne", { n: num(a.entries) }) : t("wc.sent", { n: num(a.entries) });
        extra.push(el("p", "show-count", e));
      }
      if (!words) {
        cloud.update([]);
        msg.textContent = t("wc.hidden");
        msg.hidden = false;
        live.push(t("wc.hidden"));
      } else {
        cloud.update(words);
        msg.hidden = words.length > 0;
        msg.textContent = t("wc.empty");
        if (!words.length) live.push(t("wc.empty"));
        const top = words.slice().sort((x, y) => y.count - x.count).slice(0, 30);
        for (const w of top) {
          live.push(isOne(w.count) ? t("live.wordOne", { text: w.text, n: num(w.count) }) : t("live.words", { text: w.text, n: num(w.count) }));
        }
      }
      fillMeta(h.meta, a, extra);
      announce(live);
    },
    destroy() {
      cloud.destroy();
    },
  };
}

function sortQuestions(entries) {
  const time = (e) => {
    const x = Date.parse(e.createdAt || "");
    return isNaN(x) ? 0 : x;
  };
  return entries
    .filter((e) => e && (e.status === "visible" || e.status === "answered"))
    .map((e, i) => ({ e, i }))
    .sort((x, y) => {
      const a = x.e;
      const b = y.e;
      if (!!a.pinned !== !!b.pinned) return a.pinned ? -1 : 1;
      const va = a.votes || 0;
      const vb = b.votes || 0;
      if (va !== vb) return vb - va;
      const ta = time(a);
      const tb = time(b);
      if (ta !== tb) return ta - tb;
      return x.i - y.i;
    })
    .map((x) => x.e);
}

function qaView() {
  const root = el("section", "show-activity show-qa");
  const h = header({ title: "" });
  const list = el("ol", "qa-list");
  const msg = el("p", "show-msg");
  root.append(h.head, list, msg);
  return {
    el: root,
    update(a) {
      h.head.querySelector(".show-title").textContent = a.title || "";
      const live = [a.title || ""];
      const extra = [];
      list.textContent = "";
      if (!Array.isArray(a.entries)) {
        msg.textContent = t("qa.hidden");
        msg.hidden = false;
        live.push(t("qa.hidden"));
      } else {
        const all = sortQuestions(a.entries);
        const top = all.slice(0, QA_MAX);
        msg.hidden = top.length > 0;
        msg.textContent = t("qa.empty");
        if (!top.length) live.push(t("qa.empty"));
        list.classList.toggle("is-few", top.length <= 3);
        for (const e of top) {
          const li = el("li", "qa-card");
          li.classList.toggle("is-answered", e.status === "answered");
          li.classList.toggle("is-pinned", !!e.pinned);
          const votes = el("div", "qa-votes");
          votes.append(el("span", "qa-votes-n", num(e.votes || 0)), el("span", "qa-votes-l", isOne(e.votes || 0) ? t("qa.voteOne") : t("qa.votes")));
          const body = el("div", "qa-body");
          const tags = el("p", "qa-tags");
          if (e.pinned) tags.appendChild(el("span", "qa-tag qa-tag-pinned", "★ " + t("qa.pinned")));
          if (e.status === "answered") tags.appendChild(el("span", "qa-tag qa-tag-answered", "✓ " + t("qa.answered")));
          if (tags.childNodes.length) body.appendChild(tags);
          body.appendChild(el("p", "qa-text", e.text || ""));
          li.append(votes, body);
          list.appendChild(li);
          let s = isOne(e.votes || 0) ? t("live.questionOne", { text: e.text || "", n: num(e.votes || 0) }) : t("live.questions", { text: e.text || "", n: num(e.votes || 0) });
          if (e.pinned) s += " " + t("qa.pinned") + ".";
          if (e.status === "answered") s += " " + t("qa.answered") + ".";
          live.push(s);
        }
        const more = all.length - top.length;
        if (more > 0) extra.push(el("p", "show-count", isOne(more) ? t("qa.moreOne", { n: num(more) }) : t("qa.more", { n: num(more) })));
      }
      fillMeta(h.meta, a, extra);
      announce(live);
    },
    destroy() {},
  };
}

function queueView() {
  const root = el("section", "show-activity show-queue");
  const h = header({ title: "" });
  const grid = el("div", "q-grid");
  const now = el("div", "q-now");
  const side = el("div", "q-side");
  grid.append(now, side);
  root.append(h.head, grid);

  const nowLabel = el("p", "q-now-label", "");
  const name = el("p", "q-name");
  const constituency = el("p", "q-constituency");
  const timer = el("div", "q-timer");
  const timerState = el("p", "q-timer-state");
  const timerValue = el("p", "q-timer-value");
  timer.append(timerValue, timerState);
  now.append(nowLabel, name, constituency, timer);

  let speaking = null;
  let tick = 0;
  // The time phase of the turn on screen, said once per change for
  // screen readers: "ok", "warn" (the last 30 s) or "over".
  let phase = { turn: "", at: "" };

  function timeEvent(left, paused) {
    const turn = (speaking.hand || "") + "|" + (speaking.startedAt || "");
    const now = left <= 0 ? "over" : left <= WARN_SECONDS ? "warn" : "ok";
    if (phase.turn !== turn) {
      // A turn already under way when the screen is drawn says nothing.
      phase = { turn, at: phase.turn === "" ? now : "ok" };
      if (phase.at === now) return;
    }
    if (now === phase.at) return;
    const worse = (now === "warn" && phase.at === "ok") || (now === "over" && phase.at !== "over");
    phase.at = now;
    if (!worse || paused) return;
    const who = speaking.name || t("queue.anonymous");
    const box = $("live-time");
    box.textContent = "";
    setTimeout(() => {
      box.textContent = now === "over" ? t("live.over", { name: who }) : t("live.ending", { name: who });
    }, 50);
  }

  function secondsLeft() {
    if (!speaking) return 0;
    const limit = Number(speaking.limitSeconds) || 0;
    const elapsed = Number(speaking.elapsedSeconds) || 0;
    let running = 0;
    if (speaking.runningSince && !speaking.paused) {
      const since = Date.parse(speaking.runningSince);
      if (!isNaN(since)) {
        const serverNow = Date.now() + (conn ? conn.clockOffset() : 0);
        running = Math.max(0, (serverNow - since) / 1000);
      }
    }
    return limit - elapsed - running;
  }

  function draw() {
    if (!speaking) return;
    const left = secondsLeft();
    const paused = !!speaking.paused || !speaking.runningSince;
    const over = left <= 0;
    timer.classList.toggle("is-paused", paused);
    timer.classList.toggle("is-over", over);
    timer.classList.toggle("is-warn", !over && left <= WARN_SECONDS);
    timerValue.textContent = over ? "+" + clock(-left) : clock(Math.ceil(left));
    let state = "";
    if (paused) state = t("queue.paused");
    if (over) state = (state ? state + " · " : "") + t("queue.overtime");
    else if (!paused && left <= WARN_SECONDS) state = t("queue.ending");
    timerState.textContent = state;
    timerState.hidden = !state;
    timeEvent(left, paused);
  }

  function startTick() {
    clearInterval(tick);
    tick = 0;
    if (speaking && speaking.runningSince && !speaking.paused) tick = setInterval(draw, 250);
  }

  return {
    el: root,
    update(a) {
      h.head.querySelector(".show-title").textContent = a.title || "";
      const live = [a.title || ""];
      speaking = a.speaking && typeof a.speaking === "object" ? a.speaking : null;
      now.classList.toggle("is-empty", !speaking);
      if (speaking) {
        nowLabel.textContent = t("queue.speaking");
        name.textContent = speaking.name || t("queue.anonymous");
        constituency.textContent = speaking.constituency || "";
        constituency.hidden = !speaking.constituency;
        timer.hidden = false;
        draw();
        let s = t("live.speaking", { name: speaking.name || t("queue.anonymous") });
        if (speaking.constituency) s += " (" + speaking.constituency + ")";
        if (speaking.paused || !speaking.runningSince) s += ". " + t("queue.paused");
        live.push(s);
      } else {
        nowLabel.textContent = "";
        name.textContent = t("queue.nobody");
        constituency.hidden = true;
        timer.hidden = true;
        live.push(t("queue.nobody"));
      }
      startTick();

      side.textContent = "";
      const waiting = Array.isArray(a.waiting) ? a.waiting : [];
      const next = el("section", "q-next");
      next.appendChild(el("h3", "q-side-title", t("queue.next")));
      if (!waiting.length) {
        next.appendChild(el("p", "q-none", t("queue.noneWaiting")));
        live.push(t("queue.noneWaiting"));
      } else {
        const ol = el("ol", "q-list");
        for (const w of waiting.slice(0, NEXT_MAX)) {
          const li = el("li", "q-item");
          if (w.kind === "order") li.appendChild(el("span", "q-order", "! " + t("queue.order")));
          li.appendChild(el("span", "q-item-name", w.name || t("queue.anonymous")));
          if (w.constituency) li.appendChild(el("span", "q-item-const", w.constituency));
          ol.appendChild(li);
        }
        next.appendChild(ol);
        const more = waiting.length - NEXT_MAX;
        if (more > 0) next.appendChild(el("p", "q-more", isOne(more) ? t("queue.moreOne", { n: num(more) }) : t("queue.more", { n: num(more) })));
        live.push(
          t("live.next", {
            names: waiting
              .slice(0, NEXT_MAX)
              .map((w) => (w.name || t("queue.anonymous")) + (w.constituency ? " (" + w.constituency + ")" : ""))
              .join(", "),
          }),
        );
      }
      side.appendChild(next);

      const stats = Array.isArray(a.stats) ? a.stats.filter((s) => s && s.turns > 0) : [];
      if (stats.length) {
        const sec = el("section", "q-stats");
        sec.appendChild(el("h3", "q-side-title", t("queue.stats")));
        const table = el("table", "q-table");
        const thead = el("thead");
        const hr = el("tr");
        hr.append(el("th", "", t("queue.constituency")), el("th", "", t("queue.turns")), el("th", "", t("queue.time")));
        for (const th of hr.children) th.scope = "col";
        thead.appendChild(hr);
        const tbody = el("tbody");
        const top = stats.slice().sort((x, y) => y.turns - x.turns || y.seconds - x.seconds).slice(0, STATS_MAX);
        for (const s of top) {
          const tr = el("tr");
          tr.append(el("td", "", s.constituency || t("queue.noConstituency")), el("td", "", num(s.turns)), el("td", "", clock(s.seconds || 0)));
          tbody.appendChild(tr);
        }
        table.append(thead, tbody);
        sec.appendChild(table);
        side.appendChild(sec);
      }
      fillMeta(h.meta, a, []);
      announce(live);
    },
    destroy() {
      clearInterval(tick);
      tick = 0;
    },
  };
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

const VIEWS = { poll: pollView, wordcloud: cloudView, qa: qaView, queue: queueView };

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
  const p = view.participants;
  if (typeof p === "number") box.appendChild(el("p", "show-participants", isOne(p) ? t("join.participantOne", { n: num(p) }) : t("join.participants", { n: num(p) })));
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
  const p = view.participants;
  $("participants").textContent =
    typeof p === "number" ? (isOne(p) ? t("join.participantOne", { n: num(p) }) : t("join.participants", { n: num(p) })) : "";
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
  if (fatal) return;
  if (!view) return;
  document.title = (view.title ? view.title + " · " : "") + t("page.title");
  if (view.state === "ended") {
    if (screenKind !== "ended") showMessage("ended", [t("ended.title"), t("ended.thanks")], "show-ended");
  } else {
    const a = presented();
    if (!a) {
      showIdle();
    } else {
      const make = VIEWS[a.kind] || unknownView;
      if (!current || current.id !== a.id || current.kind !== a.kind) {
        clearStage();
        setScreen("activity");
        current = make();
        current.id = a.id;
        current.kind = a.kind;
        $("stage").appendChild(current.el);
      }
      current.update(a);
    }
  }
  renderJoin();
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
  }
}

async function main() {
  await initI18n("show");
  languageSwitcher($("lang"), rerender);
  setStatus("connecting");
  if (!displayKey || !sessionId) {
    showFatal();
    return;
  }
  conn = connect({
    token: displayKey,
    onWelcome(msg) {
      view = msg.view || null;
      render();
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
