// The open question on each page: the console's form and moderation list,
// the projected wall of answers, the phone's answer form with its own
// answers and their status. The contract is in static/README-pages.md.
import { t } from "/static/js/i18n.js";
import { el, setText, liveText, isBusy, num, isOne, codePoints, syncList, row, setButtons, setFlags, focusRow, useCSS } from "/static/js/dom.js";
import { markLang, sameLang, setUserText } from "/static/js/langs.js";

export const kind = "open";

const CSS = "/static/css/kinds/open.css";

// The server's rule for a typed text: trimmed, inner white space one space,
// counted in code points (session.cleanText).
function clean(s) {
  return String(s || "").trim().replace(/\s+/g, " ");
}

// ---- page: host ----

// A hall may send thousands of answers: the console draws HOST_PAGE at a
// time, newest first, as the server sends them.
const HOST_PAGE = 100;

function statusLabel(s) {
  return { pending: t("open.statusPending"), visible: t("open.statusVisible"), hidden: t("open.statusHidden") }[s] || s;
}

export const host = {
  label: () => t("kind.open"),
  state: (s) => ({ draft: t("state.open.draft"), open: t("state.open.open"), closed: t("state.open.closed") })[s],
  idPrefix: "open",

  form() {
    const maxLength = el("input", { id: "open-max-length", type: "number", min: "1", max: "1000", value: "280", inputmode: "numeric" });
    const maxEntries = el("input", { id: "open-max-entries", type: "number", min: "1", max: "20", value: "1", inputmode: "numeric" });
    const moderated = el("input", { id: "open-moderated", type: "checkbox" });
    const int = (input) => {
      const s = input.value.trim();
      return /^\d+$/.test(s) ? Number(s) : NaN;
    };
    return {
      fields: [
        el("p", { class: "form-row" }, el("label", { for: "open-max-length", i18n: "open.maxLength" }), maxLength),
        el("p", { class: "form-row" }, el("label", { for: "open-max-entries", i18n: "open.maxEntries" }), maxEntries),
        el("p", { class: "form-row check" }, moderated, el("label", { for: "open-moderated", i18n: "open.moderated" })),
      ],
      spec(title, fail) {
        const length = int(maxLength);
        if (!(length >= 1 && length <= 1000)) {
          fail(t("open.badLength"), maxLength);
          return null;
        }
        const entries = int(maxEntries);
        if (!(entries >= 1 && entries <= 20)) {
          fail(t("open.badEntries"), maxEntries);
          return null;
        }
        return { kind, title, maxLength: length, maxEntries: entries, moderated: moderated.checked };
      },
      // fill loads a draft's view into the form, for the console's Edit.
      fill(a) {
        maxLength.value = String(a.maxLength ?? 280);
        maxEntries.value = String(a.maxEntries ?? 1);
        moderated.checked = !!a.moderated;
      },
      reset() {
        maxLength.value = "280";
        maxEntries.value = "1";
        moderated.checked = false;
      },
    };
  },

  create(c, ctx) {
    useCSS(CSS);
    c.opInfo = el("p", { cls: "hint" });
    c.opEmpty = el("p", { cls: "hint", text: t("open.empty") });
    c.opList = el("ul", { cls: "rows open-rows" });
    c.opLimit = HOST_PAGE;
    c.opMore = ctx.button("", () => {
      const before = c.opList.children.length;
      c.opLimit += HOST_PAGE;
      c.update(c.a);
      const first = c.opList.children[before];
      if (first) focusRow(first);
    }, "small");
    c.body.append(c.opInfo, c.opEmpty, c.opList, c.opMore);
  },

  update(c, a, ctx) {
    const entries = a.entries || [];
    const pending = entries.filter((e) => e.status === "pending").length;
    c.opInfo.textContent = [
      t("open.count", { n: num(a.responses ?? entries.length) }),
      a.moderated ? t("open.moderatedInfo", { n: num(pending) }) : t("open.unmoderatedInfo"),
      t("open.perPerson", { n: num(a.maxEntries ?? 1), max: num(a.maxLength ?? 280) }),
    ].join(" · ");
    c.opEmpty.hidden = entries.length > 0;
    const shown = entries.length > c.opLimit ? entries.slice(0, c.opLimit) : entries;
    const left = entries.length - shown.length;
    c.opMore.hidden = left <= 0;
    c.opMore.textContent = t("open.showMore", { n: num(Math.min(HOST_PAGE, left)) });
    const act = c.id;
    syncList(c.opList, shown, (e) => e.id, () => {
      const li = row();
      li.classList.add("open-row");
      return li;
    }, (li, e) => {
      // Most pushes add one answer: the rows that did not change stay.
      const sig = `${e.status}|${e.highlighted ? 1 : 0}|${e.text}`;
      if (li._opSig === sig) return;
      li._opSig = sig;
      const p = li._p;
      li.dataset.status = e.status || "";
      li.classList.toggle("is-hidden", e.status === "hidden");
      li.classList.toggle("is-highlighted", !!e.highlighted);
      p.text.textContent = e.text;
      // Each answer is in its sender's language (the entry's "lang").
      markLang(p.text, e.lang);
      const flags = [[`tag-status tag-${e.status}`, statusLabel(e.status)]];
      if (e.highlighted) flags.unshift(["tag-highlighted", t("open.highlighted")]);
      setFlags(p, flags);
      const short = e.text.length > 40 ? `${e.text.slice(0, 40)}…` : e.text;
      const mod = (action) => () => ctx.cmd("open.moderate", { activity: act, entry: e.id, action }, c.err);
      const approve = { key: "approve", text: t("open.approve"), label: t("open.approveEntry", { text: short }), cls: "primary", run: mod("approve") };
      const hide = { key: "hide", text: t("open.hide"), label: t("open.hideEntry", { text: short }), run: mod("hide") };
      const mark = e.highlighted
        ? { key: "unhighlight", text: t("open.unhighlight"), label: t("open.unhighlightEntry", { text: short }), run: mod("unhighlight") }
        : { key: "highlight", text: t("open.highlight"), label: t("open.highlightEntry", { text: short }), run: mod("highlight") };
      // Waiting: approve or hide. On the wall: hide, or mark it. Hidden:
      // approve brings it back.
      if (e.status === "pending") setButtons(p, [approve, hide]);
      else if (e.status === "hidden") setButtons(p, [approve]);
      else setButtons(p, [mark, hide]);
    });
  },

  summary(a) {
    const entries = a.entries || [];
    const pending = entries.filter((e) => e.status === "pending").length;
    return t("live.open", { title: a.title || "", n: num(a.responses ?? entries.length), pending: num(pending) });
  },
};

// ---- page: show ----

// What fits on a projected screen at a size read from the back: a budget of
// characters (a highlighted answer, drawn larger, counts more), and at most
// SHOW_MAX answers. An answer is shown whole or not at all.
const SHOW_CHARS = 900;
const SHOW_MAX = 12;

function wallOf(entries) {
  const out = [];
  let used = 0;
  for (const e of entries) {
    if (out.length >= SHOW_MAX) break;
    const cost = (Array.from(e.text || "").length + 40) * (e.highlighted ? 2 : 1);
    if (out.length && used + cost > SHOW_CHARS) break;
    used += cost;
    out.push(e);
  }
  return out;
}

export const show = {
  states: () => ({ closed: t("open.closed"), draft: t("open.draft") }),

  view(ctx) {
    useCSS(CSS);
    const root = el("section", "show-activity show-open");
    const h = ctx.header({ title: "" });
    const wall = el("ul", "open-wall");
    const msg = el("p", "show-msg");
    root.append(h.head, wall, msg);
    return {
      el: root,
      update(a) {
        setUserText(h.head.querySelector(".show-title"), a.title || "");
        const n = a.responses ?? 0;
        const count = isOne(n) ? t("open.countOne", { n: num(n) }) : t("open.count", { n: num(n) });
        const extra = [el("p", "show-count", count)];
        const live = [a.title || "", count];
        if (!Array.isArray(a.entries)) {
          wall.textContent = "";
          setText(msg, t("open.hidden"));
          msg.hidden = false;
          live.push(t("open.hidden"));
        } else {
          // The display may show the answers of one language only.
          const only = ctx.entryLang ? ctx.entryLang() : "";
          const all = a.entries.filter((e) => e && e.status === "visible" && (!only || sameLang(e.lang, only)));
          const shown = wallOf(all);
          setText(msg, t("open.empty"));
          msg.hidden = shown.length > 0;
          if (!shown.length) live.push(t("open.empty"));
          wall.classList.toggle("is-few", shown.length <= 3);
          syncList(wall, shown, (e) => e.id, () => el("li", { class: "open-card" }, el("p", "open-text")), (li, e) => {
            li.classList.toggle("is-highlighted", !!e.highlighted);
            const p = li.firstChild;
            setText(p, e.text || "");
            markLang(p, e.lang);
          });
          for (const e of shown) live.push(e.highlighted ? t("live.openHighlighted", { text: e.text || "" }) : e.text || "");
          const more = all.length - shown.length;
          if (more > 0) extra.push(el("p", "show-count", isOne(more) ? t("open.moreOne", { n: num(more) }) : t("open.more", { n: num(more) })));
        }
        ctx.fillMeta(h.meta, a, extra);
        ctx.announce(live);
      },
      destroy() {},
    };
  },
};

// ---- page: attendee ----

// How many of everyone's answers a phone draws (once they are shown).
const PHONE_WALL = 50;

export const attendee = {
  screen(a0, ctx) {
    useCSS(CSS);
    const head = ctx.titleBlock(a0);
    const area = el("textarea", { id: "open-answer", class: "field", rows: "4", "aria-describedby": "open-left" });
    area.value = ctx.drafts[a0.id] || "";
    const left = el("p", { class: "hint", id: "open-left" });
    const send = ctx.button("btn wide", t("open.send"), null, { type: "submit" });
    const form = el("form", { class: "ask", novalidate: true }, el("label", { class: "block", for: "open-answer", text: t("open.label") }), area, left, send);
    const confirm = el("p", { class: "confirm", role: "status" });
    // Apart from the confirmation, which the last answer's ack and its
    // "you" push may reach in either order.
    const done = el("p", { class: "hint done", text: t("open.done") });
    const mineList = el("ul", { class: "entries" });
    const mine = el("section", null, el("h2", { text: t("open.mine") }), mineList);
    const wallList = el("ul", { class: "entries" });
    const wall = el("section", null, el("h2", { text: t("open.wall") }), wallList);
    const live = liveText();
    const root = el("section", { class: "act open", "aria-labelledby": "act-title" }, ...head.nodes, form, confirm, done, mine, wall, live.el);

    let a = a0;
    let y = {};

    const max = () => a.maxLength || 280;
    function counter() {
      const n = max() - codePoints(clean(area.value));
      setText(left, n >= 0 ? t(isOne(n) ? "open.leftOne" : "open.left", { n: num(n) }) : t("open.over", { n: num(-n) }));
      left.classList.toggle("over", n < 0);
    }
    area.addEventListener("input", () => {
      ctx.drafts[a.id] = area.value;
      counter();
      // A new answer is being written: "received" was about the last one.
      setText(confirm, "");
    });

    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (a.state !== "open" || isBusy(send)) return;
      const text = clean(area.value);
      if (!text) {
        area.focus();
        return;
      }
      if (codePoints(text) > max()) {
        ctx.showError(() => t("open.too_long", { n: num(max()) }));
        area.focus();
        return;
      }
      setText(confirm, "");
      const ack = await ctx.run(send, "open.submit", { activity: a.id, text });
      if (ack) {
        area.value = "";
        ctx.drafts[a.id] = "";
        counter();
        setText(confirm, a.moderated ? t("open.received_moderated") : t("open.received"));
      }
    });

    function status(e) {
      const s = { pending: t("open.pending"), visible: t("open.visible"), hidden: t("open.not_shown") }[e.status] || "";
      return e.highlighted ? s + " · " + t("open.highlighted") : s;
    }

    function lines(list, ul, withStatus) {
      const want = list.map((e) => e.id + "|" + e.text + "|" + (withStatus ? status(e) : ""));
      if (ul._sig === want.join("\n")) return;
      ul._sig = want.join("\n");
      ul.textContent = "";
      for (const e of list) {
        const txt = el("p", { class: "qtext", text: e.text });
        markLang(txt, e.lang);
        ul.append(el("li", { class: "entry" + (withStatus ? " mine" : "") }, el("div", { class: "body" }, txt,
          withStatus ? el("p", { class: "badges", text: status(e) }) : null)));
      }
    }

    return {
      el: root,
      update(next, you) {
        // "Received" is said once, by the status region, and holds only
        // while the question it answered is open: not once it is closed,
        // nor on another question.
        if (next.id !== a.id || next.state !== "open") setText(confirm, "");
        a = next;
        y = you || {};
        const open = a.state === "open";
        head.update(a, ctx.stateNote(a, { draft: t("open.draft"), closed: t("open.closed") }));
        const own = y.entries || [];
        const remaining = Math.max(0, (a.maxEntries || 1) - own.length);
        form.hidden = !open || remaining <= 0;
        counter();
        done.hidden = !open || remaining > 0;
        mine.hidden = !own.length;
        lines(own, mineList, true);
        const all = Array.isArray(a.entries) ? a.entries.filter((e) => e.status === "visible").slice(0, PHONE_WALL) : null;
        wall.hidden = !all || !all.length;
        if (all) lines(all, wallList, false);
        const count = (s) => num(own.filter((e) => e.status === s).length);
        live.set(own.length ? t("open.status", { visible: count("visible"), pending: count("pending"), hidden: count("hidden") }) : "");
      },
      destroy: live.stop,
    };
  },
};
