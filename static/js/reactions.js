// reactions.js: live reactions on the three pages (docs/protocol.md,
// "Reactions"). The phone taps one of five emoji, at most two a second;
// the console turns reactions on and off and shows the counts of the last
// minute; the display floats the emoji up at its left edge, beside the
// results and never over them, or, for people who ask for less motion,
// counts the last ten seconds. The server pushes
// {"type": "reactions", "counts": {...}} to consoles and displays on each
// tick that had taps.
//
// Like a kind module, the file is cut into sections by page; each
// section's keys are in that page's table (e2e/reactions_test.go).
import { t, lang } from "/static/js/i18n.js";
import { el, num, liveText, useCSS } from "/static/js/dom.js";
import { MSG } from "/static/js/conn.js";

/** The contract's reactions, in its order, with what each shows. */
export const EMOJIS = Object.freeze([
  ["applause", "👏"],
  ["heart", "❤️"],
  ["thumbsup", "👍"],
  ["laugh", "😂"],
  ["think", "🤔"],
]);

const CSS = "/static/css/reactions.css";

/** A phone sends at most this many taps a second (the server counts no more). */
export const PER_SECOND = 2;

function countsOf(m) {
  const out = {};
  for (const [name] of EMOJIS) {
    const n = m && typeof m[name] === "number" ? m[name] : 0;
    out[name] = n > 0 ? n : 0;
  }
  return out;
}

// window keeps the counts pushed in the last ms milliseconds.
function window(ms) {
  let pushes = [];
  return {
    add(counts) {
      pushes.push({ at: Date.now(), counts: countsOf(counts) });
    },
    sum() {
      const since = Date.now() - ms;
      pushes = pushes.filter((p) => p.at >= since);
      const out = countsOf({});
      for (const p of pushes) for (const [name] of EMOJIS) out[name] += p.counts[name];
      return out;
    },
  };
}

// listText says counts as "Applause 3, Heart 1" with the page's labels,
// leaving out those at zero; "" when all are.
function listText(counts, labels) {
  return EMOJIS.filter(([name]) => counts[name] > 0).map(([name]) => labels[name]() + " " + num(counts[name])).join(", ");
}

// ---- page: attendee ----

const phoneLabels = {
  applause: () => t("reactions.applause"),
  heart: () => t("reactions.heart"),
  thumbsup: () => t("reactions.thumbsup"),
  laugh: () => t("reactions.laugh"),
  think: () => t("reactions.think"),
};

/**
 * attendeeReactions is the phone's row of five large buttons, shown while
 * the session has reactions on. notify(msg) sends a message that is not
 * answered and reports whether it went (a tap is not kept for later).
 * @param {{notify: Function}} ctx
 */
export function attendeeReactions(ctx) {
  useCSS(CSS);
  let taps = [];
  let labelled = "";
  const buttons = EMOJIS.map(([name, emoji]) => {
    const b = el("button", { type: "button", class: "rx-btn", "data-emoji": name, "aria-label": phoneLabels[name]() },
      el("span", { class: "rx-emoji", "aria-hidden": "true", text: emoji }),
      el("span", { class: "rx-name", "aria-hidden": "true", text: phoneLabels[name]() }));
    b.addEventListener("click", () => tap(name, b));
    return b;
  });
  const heading = el("h2", { class: "rx-heading", id: "rx-heading", text: t("reactions.heading") });
  const section = el("section", { class: "rx-bar", "aria-labelledby": "rx-heading", hidden: "" }, heading, el("div", { class: "rx-row" }, buttons));

  function tap(name, b) {
    const now = Date.now();
    taps = taps.filter((at) => at > now - 1000);
    // Faster than the server counts: the tap would only be dropped.
    if (taps.length >= PER_SECOND) {
      b.classList.remove("rx-sent");
      b.classList.add("rx-wait");
      setTimeout(() => b.classList.remove("rx-wait"), 300);
      return;
    }
    // {"type": "react"}: the server answers only a refusal, so a hall's
    // taps cost it no acks.
    if (!ctx.notify({ type: MSG.REACT, emoji: name })) return;
    taps.push(now);
    b.classList.remove("rx-sent");
    // Restarts the little pop of a tap (the CSS leaves it out under
    // reduced motion).
    void b.offsetWidth;
    b.classList.add("rx-sent");
  }

  return {
    el: section,
    /** update shows the row while the session has reactions on. */
    update(view) {
      const on = !!(view && view.reactions && view.state !== "ended");
      section.hidden = !on;
      // The row may be made before the page's table is loaded.
      if (on && labelled !== lang()) this.relabel();
    },
    /** relabel after a change of language. */
    relabel() {
      labelled = lang();
      heading.textContent = t("reactions.heading");
      EMOJIS.forEach(([name], i) => {
        buttons[i].setAttribute("aria-label", phoneLabels[name]());
        buttons[i].lastChild.textContent = phoneLabels[name]();
      });
    },
  };
}

// ---- page: host ----

const hostLabels = {
  applause: () => t("reactions.applause"),
  heart: () => t("reactions.heart"),
  thumbsup: () => t("reactions.thumbsup"),
  laugh: () => t("reactions.laugh"),
  think: () => t("reactions.think"),
};

/**
 * hostReactions is the console's switch and the counts of the last minute.
 * cmd(op, args, slot) sends a command and says a refusal in slot.
 * @param {{cmd: Function}} ctx
 */
export function hostReactions(ctx) {
  useCSS(CSS);
  const last = window(60000);
  let on = false;
  const box = el("input", { type: "checkbox", id: "rx-switch", role: "switch", "aria-describedby": "rx-hint" });
  const label = el("label", { for: "rx-switch", text: t("reactions.switch") });
  const hint = el("p", { class: "hint", id: "rx-hint", text: t("reactions.hint") });
  const counts = el("ul", { class: "rx-counts", id: "rx-counts" });
  const cells = {};
  const names = {};
  for (const [name, emoji] of EMOJIS) {
    const n = el("span", { class: "rx-n", text: "0" });
    cells[name] = n;
    names[name] = el("span", { class: "visually-hidden", text: hostLabels[name]() });
    counts.append(el("li", { "data-emoji": name }, el("span", { class: "rx-emoji", "aria-hidden": "true", text: emoji }), " ", names[name], " ", n));
  }
  const countsLabel = el("p", { class: "hint", id: "rx-counts-label", text: t("reactions.lastMinute") });
  counts.setAttribute("aria-labelledby", "rx-counts-label");
  const err = el("p", { class: "field-error", role: "alert" });
  const live = liveText();
  const heading = el("h3", { id: "rx-heading", text: t("reactions.heading") });
  const section = el("div", { class: "rx-host", id: "rx-host" }, heading,
    el("p", { class: "form-row rx-switch-row" }, box, " ", label), hint, err, countsLabel, counts, live.el);

  box.addEventListener("change", async () => {
    const want = box.checked;
    const ack = await ctx.cmd("session.update", { reactions: want }, err);
    // Refused: the switch says what the session has.
    if (!ack) box.checked = on;
  });

  function draw() {
    const sum = last.sum();
    for (const [name] of EMOJIS) cells[name].textContent = num(sum[name]);
    const text = listText(sum, hostLabels);
    live.set(text ? t("reactions.live", { list: text }) : "");
  }
  // Counts of a minute ago leave the sum even when nothing comes.
  const timer = setInterval(draw, 5000);

  return {
    el: section,
    update(view) {
      on = !!(view && view.reactions);
      box.checked = on;
      box.disabled = !!(view && view.state === "ended");
    },
    push(c) {
      last.add(c);
      draw();
    },
    relabel() {
      heading.textContent = t("reactions.heading");
      label.textContent = t("reactions.switch");
      hint.textContent = t("reactions.hint");
      countsLabel.textContent = t("reactions.lastMinute");
      // The emoji's names are read, not seen: a screen reader must hear
      // them in the new language too.
      for (const [name] of EMOJIS) names[name].textContent = hostLabels[name]();
      draw();
    },
    stop() {
      clearInterval(timer);
      live.stop();
    },
  };
}

// ---- page: show ----

const showLabels = {
  applause: () => t("reactions.applause"),
  heart: () => t("reactions.heart"),
  thumbsup: () => t("reactions.thumbsup"),
  laugh: () => t("reactions.laugh"),
  think: () => t("reactions.think"),
};

// At most this many emoji float at once, and per push: a hall's storm is
// a stream, not thousands of nodes.
const MAX_FLOATING = 40;
const PER_PUSH = 8;

/**
 * showReactions floats the emoji of each push up the display's left edge,
 * or, under prefers-reduced-motion, counts the last ten seconds instead.
 * The same counts go, at most every 5 s, to a polite live region.
 */
export function showReactions() {
  useCSS(CSS);
  const recent = window(10000);
  const lane = el("div", { class: "rx-lane", "aria-hidden": "true" });
  const counter = el("p", { class: "rx-counter", "aria-hidden": "true" });
  const live = liveText();
  const layer = el("div", { class: "rx-layer", hidden: "" }, lane, counter, live.el);
  const still = matchMedia("(prefers-reduced-motion: reduce)");

  // said is the sum the region last said, said again in a new language.
  let said = null;
  function drawCounter() {
    const sum = recent.sum();
    counter.textContent = "";
    for (const [name, emoji] of EMOJIS) {
      if (sum[name] > 0) counter.append(el("span", { class: "rx-count", "data-emoji": name, text: emoji + " " + num(sum[name]) }));
    }
    // The region keeps the last sentence said: emptied, it says nothing.
    const text = listText(sum, showLabels);
    if (text) {
      said = sum;
      live.set(t("reactions.live", { list: text }));
    }
  }
  const timer = setInterval(drawCounter, 2000);

  function float(counts) {
    const total = EMOJIS.reduce((s, [name]) => s + counts[name], 0);
    if (!total) return;
    // Each emoji gets its share of the floats, at least one if tapped.
    let room = Math.min(PER_PUSH, MAX_FLOATING - lane.childElementCount);
    for (const [name, emoji] of EMOJIS) {
      if (room <= 0) break;
      const k = Math.min(room, Math.max(counts[name] > 0 ? 1 : 0, Math.round((counts[name] / total) * PER_PUSH)));
      for (let i = 0; i < k; i++) {
        const f = el("span", { class: "rx-float", "data-emoji": name, text: emoji });
        f.style.left = Math.round(Math.random() * 30) + "%";
        f.style.animationDelay = Math.round(Math.random() * 400) + "ms";
        f.addEventListener("animationend", () => f.remove());
        // A tab in the background runs no animations: never keep a node.
        setTimeout(() => f.remove(), 5000);
        lane.append(f);
      }
      room -= k;
    }
  }

  return {
    el: layer,
    update(view) {
      layer.hidden = !(view && view.reactions && view.state !== "ended");
    },
    push(c) {
      const counts = countsOf(c);
      recent.add(counts);
      drawCounter();
      if (!still.matches) float(counts);
    },
    /** relabel says the region's last sentence again in the page's new language. */
    relabel() {
      const text = said ? listText(said, showLabels) : "";
      if (text) live.set(t("reactions.live", { list: text }));
    },
    stop() {
      clearInterval(timer);
      live.stop();
    },
  };
}
