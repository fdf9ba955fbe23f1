// dom.js: the helpers that the console (host.js), the display (show.js),
// the phone (attendee.js) and every kind module (kinds/<kind>.js) share.
// What a kind module exports and receives is written down in
// static/README-pages.md, "Kind modules".
import { t, lang } from "/static/js/i18n.js";

// el builds an element; user text only ever goes in as textContent.
//   el("p", "cls", text)                  class and text
//   el("li", { class, text, ... }, ...kids)
// props: text; class (or cls); i18n: a table key whose text is set now and
// again by applyI18n after a change of language (as data-i18n); attrs: an
// object of attributes; on: an object of listeners; onclick and the like: a
// listener; any other key is an attribute (true is "", null/false leave it
// out). kids: nodes, strings (text nodes) or arrays of them; null and false
// are skipped.
export function el(tag, props, ...kids) {
  const e = document.createElement(tag);
  if (typeof props === "string") {
    if (props) e.className = props;
    const text = kids[0];
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  if (props) {
    for (const k in props) {
      const v = props[k];
      if (v == null || v === false) continue;
      if (k === "text") e.textContent = v;
      else if (k === "class" || k === "cls") e.className = v;
      else if (k === "i18n") {
        e.dataset.i18n = v;
        e.textContent = t(v);
      } else if (k === "attrs") for (const [a, x] of Object.entries(v)) e.setAttribute(a, x);
      else if (k === "on") for (const [ev, f] of Object.entries(v)) e.addEventListener(ev, f);
      else if (k.startsWith("on") && typeof v === "function") e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
  }
  append(e, kids);
  return e;
}

function append(e, kids) {
  for (const c of kids) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(e, c);
    else e.append(c);
  }
}

// setText changes a node's text only when it differs, so that an aria-live
// region is not read out again for nothing.
export function setText(node, s) {
  if (node.textContent !== s) node.textContent = s;
}

// say puts text in a live region so that it is spoken even when it is the
// same sentence as last time: clear first, set a moment later.
export function say(node, text) {
  node.textContent = "";
  setTimeout(() => { node.textContent = text; }, 50);
}

// liveText makes a visually hidden aria-live paragraph whose text changes at
// most every 5 s, so that a screen reader hears the results without hearing
// every vote.
export function liveText() {
  const p = el("p", { class: "visually-hidden", "aria-live": "polite" });
  let timer = 0;
  let text = "";
  let at = 0;
  return {
    el: p,
    set(s) {
      if (s === text) return;
      text = s;
      clearTimeout(timer);
      timer = setTimeout(() => {
        at = Date.now();
        p.textContent = text;
      }, Math.max(0, at + 5000 - Date.now()));
    },
    stop() {
      clearTimeout(timer);
    },
  };
}

// ---- buttons that stay focusable while refused ----

export function isBusy(btn) {
  return btn.classList.contains("busy");
}

export function disabled(btn) {
  return btn.getAttribute("aria-disabled") === "true";
}

export function setDisabled(btn, off) {
  if (off) btn.setAttribute("aria-disabled", "true");
  else btn.removeAttribute("aria-disabled");
}

// ---- numbers, codes, durations ----

export function num(n) {
  return new Intl.NumberFormat(lang()).format(n);
}

export function pct(fraction) {
  return new Intl.NumberFormat(lang(), { style: "percent", maximumFractionDigits: 0 }).format(fraction);
}

// pageOnly holds what the console and the display give the kind modules
// and the phone never loads: segments.js (phones are sent no segments).
export const pageOnly = {};

// shares: whole percents adding up to 100, by largest remainder, when c does to total.
export function shares(c, total) {
  const raw = c.map((n) => (total > 0 ? (n * 100) / total : 0));
  if (!total || c.reduce((s, n) => s + n, 0) !== total) return raw.map(Math.round);
  const out = raw.map(Math.floor);
  let left = 100 - out.reduce((s, x) => s + x, 0);
  for (const i of out.map((_, i) => i).sort((a, b) => raw[b] - out[b] - raw[a] + out[a] || a - b)) if (left-- > 0) out[i]++;
  return out;
}

// isOne says whether n takes the singular in the page's language.
export function isOne(n) {
  try {
    return new Intl.PluralRules(lang()).select(n) === "one";
  } catch {
    return n === 1;
  }
}

export function codePoints(s) {
  return Array.from(s).length;
}

// formatCode shows an eight-digit join code as "1234 5678".
export function formatCode(code) {
  const digits = String(code || "").replace(/\D/g, "");
  return digits.length === 8 ? `${digits.slice(0, 4)} ${digits.slice(4)}` : String(code || "");
}

// duration is "m:ss" (minutes past 59 stay minutes), for limits and totals.
export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, "0")}`;
}

// clock is "m:ss", or "h:mm:ss" from an hour on, for the projected screen.
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? h + ":" + String(m).padStart(2, "0") + ":" + ss : m + ":" + ss;
}

// secondsLeft is the speaker's time left, following protocol.md:
// limitSeconds - elapsedSeconds - (now - runningSince), with now the
// server's clock (Date.now() + offsetMs, the offset from conn.clockOffset()).
// Negative is overtime. A view without runningSince (a server before 1.1)
// runs from startedAt unless paused.
export function secondsLeft(sp, offsetMs) {
  if (!sp) return 0;
  const limit = Number(sp.limitSeconds) || 0;
  const elapsed = Number(sp.elapsedSeconds) || 0;
  let since = sp.runningSince;
  if (since === undefined && !sp.paused) since = sp.startedAt;
  let running = 0;
  if (since && !sp.paused) {
    const at = Date.parse(since);
    if (!isNaN(at)) running = Math.max(0, (Date.now() + (offsetMs || 0) - at) / 1000);
  }
  return limit - elapsed - running;
}

// ---- refusals ----

// errorText says a refusal (an error frame or an HTTP error body: code,
// message, and for some reason with max or name) from the page's table: by
// its reason when there is such a key, else by its code. The server's
// message is English: for a code in opts.detailed (whose generic text says
// less) or when no key fits, an English page shows it; another language's
// shows its own text, and with opts.detail (a key taking {message}, the
// console's: a facilitator must know what to fix) the message after it.
// opts: prefix ("error." or "err."), fallback (a key), detailed (a Set of
// codes), codes ({code: key} said before anything else), anon (true: a
// reason whose name is empty uses the key "reason.<reason>Anon"), detail.
export function errorText(err, opts) {
  const e = err || {};
  const code = e.code || "";
  if (e.reason) {
    const anon = opts.anon && !e.name && opts.anon.includes(e.reason) ? "Anon" : "";
    const key = `reason.${e.reason}${anon}`;
    const s = t(key, { max: e.max ?? "", name: e.name || "" });
    if (s !== key) return s;
  }
  const message = typeof e.message === "string" ? e.message.trim() : "";
  const english = lang() === "en" && message;
  if (opts.codes && opts.codes[code]) return t(opts.codes[code]);
  if (english && opts.detailed.has(code)) return message;
  const withDetail = (s) => (message && opts.detail && opts.detailed.has(code) ? s + " " + t(opts.detail, { message }) : s);
  if (code) {
    const key = opts.prefix + code;
    const s = t(key);
    if (s !== key) return withDetail(s);
  }
  return english ? message : withDetail(t(opts.fallback));
}

// ---- storage ----

export function store(key, value) {
  try {
    if (value == null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // Private mode: nothing is kept across reloads.
  }
}

export function load(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

// ---- lists that survive frequent pushes (the console) ----

// syncList makes container's children match items, reusing the element of
// each key, so that focus and scroll survive the frequent pushes. Elements
// are only moved when their place changes; a focused element that had to be
// moved gets its focus back.
export function syncList(container, items, keyOf, create, update) {
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

// Buttons whose action turns into another: the focus follows to the other.
export const COUNTERPART = { pin: "unpin", unpin: "pin", hide: "unhide", unhide: "hide" };

export function focusRow(li) {
  if (!li.hasAttribute("tabindex")) li.setAttribute("tabindex", "-1");
  li.focus();
}

// row is a console list row: text, count, flags and action buttons.
export function row() {
  const text = el("span", { cls: "row-text" });
  const count = el("span", { cls: "row-count" });
  const flags = el("span", { cls: "row-flags" });
  const actions = el("span", { cls: "row-actions" });
  const li = el("li", { cls: "row" }, [text, count, flags, actions]);
  li._p = { text, count, flags, actions, sig: "" };
  return li;
}

// setButtons rebuilds a row's buttons only when the set of actions changes, so
// the button under the keyboard focus usually stays the same element.
// specs: [{key, text, label, cls, run}].
export function setButtons(p, specs) {
  const sig = specs.map((s) => `${s.key}|${s.text}|${s.label}`).join(";");
  if (p.sig === sig) {
    Array.from(p.actions.children).forEach((b, i) => { b._run = specs[i].run; });
    return;
  }
  const had = p.actions.contains(document.activeElement) ? document.activeElement.dataset.action : null;
  p.sig = sig;
  p.actions.textContent = "";
  for (const s of specs) {
    const b = el("button", { cls: `small ${s.cls || ""}`.trim(), text: s.text, attrs: { type: "button", "aria-label": s.label } });
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

// setFlags sets a row's tags: [[cls, text], ...].
export function setFlags(p, flags) {
  const sig = flags.map(([cls, text]) => `${cls}|${text}`).join(";");
  if (p.flagSig === sig) return;
  p.flagSig = sig;
  p.flags.textContent = "";
  for (const [cls, text] of flags) p.flags.append(el("span", { cls: `tag ${cls}`, text }));
}

// useCSS adds a kind's own style sheet to the page, once (the CSP allows
// style sheets from 'self', never inline styles).
export function useCSS(href) {
  if (document.querySelector(`link[rel=stylesheet][href="${href}"]`)) return;
  document.head.append(el("link", { rel: "stylesheet", href }));
}

// ---- the console's lists of texts (a poll's or a ranking's options, a scale's statements) ----

// fillText puts a text given per language back into its field (langs.js's
// textField): the first language's input (its lang says which) and each
// translation's. A plain text goes in the first input.
export function fillText(input, plain, map) {
  input.value = plain || "";
  if (!map || typeof map !== "object") return;
  input.value = map[input.lang] || plain || "";
  const root = input.closest(".text-field") || input.parentElement;
  for (const [tag, v] of Object.entries(map)) {
    const other = tag !== input.lang && root.querySelector(`[id="${input.id}-${tag}"]`);
    if (other) {
      other.value = v;
      other.dispatchEvent(new Event("input"));
    }
  }
}

// textList is a prepare form's list of texts: a fieldset with its legend,
// one text field per item (with one more input per content language), a
// Remove button each, and an Add button; Enter in an item goes to the next
// one, or adds one after the last, instead of sending half a form.
// opts: ctx (the console's), id (the list's), addId, legend, add (the Add
// button's key), item ("{n}" key of an item's label), remove and
// removeItem (the Remove button's text and its "{n}" label), min and max
// (how many items the kind takes), prefix (of the items' ids).
// It gives el (the fieldset), list, add, relabel, reset, fill(items: the
// view's [{label, labels}]), values (the texts given) and firstEmpty (the
// input to point at when too few are given).
export function textList(ctx, opts) {
  const min = opts.min;
  const max = opts.max || Infinity;
  const list = el("ol", { class: "option-inputs", id: opts.id });
  const add = el("button", { type: "button", class: "small", id: opts.addId, i18n: opts.add });
  const fieldset = el("fieldset", null, el("legend", { i18n: opts.legend }), list, add);
  const items = () => Array.from(list.children);
  const inputs = () => items().map((li) => li._field.input);

  function relabel() {
    const all = items();
    all.forEach((li, i) => {
      li._field.relabel(t(opts.item, { n: i + 1 }));
      const remove = li.querySelector("button.remove");
      remove.textContent = t(opts.remove);
      remove.setAttribute("aria-label", t(opts.removeItem, { n: i + 1 }));
      remove.disabled = all.length <= min || ctx.ended();
    });
    add.disabled = all.length >= max;
  }

  function addItem(value) {
    // One input per content language, side by side (langs.js).
    const field = ctx.textField({ id: ctx.nextId(opts.prefix), maxlength: 200, label: "" });
    const input = field.input;
    input.value = value;
    const remove = el("button", { class: "small remove", type: "button", text: t(opts.remove) });
    const li = el("li", { class: "option-input" }, field.el, remove);
    li._field = field;
    remove.addEventListener("click", () => {
      const i = items().indexOf(li);
      li.remove();
      relabel();
      const rest = inputs();
      (rest[Math.min(i, rest.length - 1)] || add).focus();
    });
    input.addEventListener("keydown", (ev) => {
      if (ev.key !== "Enter") return;
      ev.preventDefault();
      const all = inputs();
      const i = all.indexOf(input);
      if (i < all.length - 1) all[i + 1].focus();
      else if (all.length < max) addItem("").focus();
    });
    list.append(li);
    relabel();
    return input;
  }

  function reset() {
    list.textContent = "";
    for (let i = 0; i < Math.max(min, 1); i++) addItem("");
  }

  add.addEventListener("click", () => {
    if (list.children.length < max) addItem("").focus();
  });
  reset();

  return {
    el: fieldset,
    list,
    add,
    relabel,
    reset,
    fill(texts) {
      list.textContent = "";
      for (const x of (texts || []).slice(0, max)) fillText(addItem(""), x.label || "", x.labels);
      while (list.children.length < Math.max(min, 1)) addItem("");
    },
    values: () => items().map((li) => li._field.value()).filter((v) => v),
    firstEmpty: () => inputs().find((i) => !i.value.trim()) || add,
  };
}

// joinGroupKey is the storage key, per session, of the constituency chosen
// at join: its identity and its names in every language, so that a queue's
// form can offer it first, whatever language the phone reads the queue in.
export const joinGroupKey = (code) => "townhall.joinGroup." + code;

// segmentField is the prepare form's "results by constituency" checkbox
// of a kind that segments (PROTOCOL.md 1.2, "Constituencies"): {row, input}.
export function segmentField(prefix) {
  const input = el("input", { id: prefix + "-segment", type: "checkbox", "aria-describedby": prefix + "-segment-hint" });
  const row = el("p", { class: "form-row check" }, input, el("label", { for: prefix + "-segment", i18n: "poll.segment" }),
    el("span", { class: "hint", id: prefix + "-segment-hint", i18n: "poll.segmentHint" }));
  return { row, input };
}
