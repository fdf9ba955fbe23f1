// The ranking on each page: the console's form and card, the projected
// ranked list with its Borda scores, the phone's list to put in order by
// dragging or with its up and down buttons (keyboard and screen readers).
// The contract is in static/README-pages.md; the view in docs/protocol.md
// ("Ranking").
import { t } from "/static/js/i18n.js";
import { el, setText, say, liveText, isBusy, setDisabled, num, isOne, syncList, useCSS, textList, pageOnly, segmentField } from "/static/js/dom.js";
import { setUserText } from "/static/js/langs.js";

export const kind = "ranking";

// The console and the display give segments.js; the phone has none.
const seg = () => pageOnly.segments;
// By constituency, a ranking is said by how many put each option first:
// a group's Borda scores add up to no total to take a share of.
const segFirsts = (g) => (g.options || []).map((o) => o.firsts || 0);

const CSS = "/static/css/kinds/ranking.css";
const MAX_OPTIONS = 20;

// shown says whether the view carries the results (absent where hidden).
function shown(a) {
  const o = a.options || [];
  return o.length > 0 && Array.isArray(a.order) && o.every((x) => typeof x.score === "number");
}

// ranked is the options in the order of the results when they are shown,
// else as listed: [{i, label, score, firsts}].
function ranked(a) {
  const opts = a.options || [];
  const order = shown(a) ? a.order : opts.map((o, i) => i);
  return order.map((i) => Object.assign({ i }, opts[i]));
}

// tieOf says how option k of the ranked list is ahead of the next one
// when both have the same Borda score, by session/ranking.go's rule: more
// first places, else listed first. null when they are not tied (each
// page's section words it from its own table).
function tieOf(list, k) {
  const o = list[k];
  const next = list[k + 1];
  if (!next || !(o.score > 0) || o.score !== next.score) return null;
  return { other: next.label, firsts: num(o.firsts ?? 0), otherFirsts: num(next.firsts ?? 0), listed: o.firsts === next.firsts };
}

// ---- page: host ----

function tieNote(list, k) {
  const x = tieOf(list, k);
  return !x ? "" : x.listed ? t("ranking.tieListed", { other: x.other }) : t("ranking.tieFirsts", x);
}

export const host = {
  label: () => t("kind.ranking"),
  state: (s) => ({ draft: t("state.ranking.draft"), open: t("state.ranking.open"), closed: t("state.ranking.closed") })[s],
  idPrefix: "ranking",

  form(ctx) {
    const options = textList(ctx, {
      id: "ranking-options", addId: "ranking-add", legend: "ranking.options", add: "ranking.addOption", item: "ranking.optionN",
      remove: "ranking.remove", removeItem: "ranking.removeOptionN", min: 2, max: MAX_OPTIONS, prefix: "ranking-option",
    });
    const segment = segmentField("ranking");
    return {
      fields: [options.el, segment.row],
      relabel: options.relabel,
      reset() {
        options.reset();
        segment.input.checked = false;
      },
      // fill loads a draft's view into the form, for the console's Edit.
      fill(a) {
        options.fill(a.options);
        segment.input.checked = !!a.segment;
      },
      spec(title, fail) {
        const texts = options.values();
        if (texts.length < 2) {
          fail(t("ranking.needOptions"), options.firstEmpty());
          return null;
        }
        const spec = { kind, title, options: texts };
        if (segment.input.checked) spec.segment = true;
        return spec;
      },
    };
  },

  create(c) {
    useCSS(CSS);
    c.rkInfo = el("p", { cls: "hint" });
    c.rkList = el("ol", { cls: "bars rank-results" });
    c.rkSegs = el("div");
    c.body.append(c.rkInfo, c.rkList, c.rkSegs);
  },

  update(c, a) {
    c.rkInfo.textContent = t("ranking.responses", { n: a.responses ?? 0 });
    const list = ranked(a);
    const top = Math.max(1, ...list.map((o) => o.score || 0));
    syncList(c.rkList, list, (o) => o.i, () => {
      const label = el("span", { cls: "bar-label" });
      const count = el("span", { cls: "bar-count" });
      const fill = el("span", { cls: "bar-fill" });
      const track = el("span", { cls: "bar-track", attrs: { "aria-hidden": "true" } }, [fill]);
      const tie = el("span", { cls: "hint rank-tie" });
      const li = el("li", { cls: "bar-row" }, [el("span", { cls: "bar-text" }, [label, count]), track, tie]);
      li._p = { label, count, fill, tie };
      return li;
    }, (li, o, k) => {
      li._p.label.textContent = shown(a) ? `${num(k + 1)}. ${o.label}` : o.label;
      li._p.count.textContent = t("ranking.score", { score: num(o.score ?? 0), firsts: num(o.firsts ?? 0) });
      li._p.fill.style.width = `${Math.round(((o.score || 0) * 100) / top)}%`;
      setText(li._p.tie, shown(a) ? tieNote(list, k) : "");
      li._p.tie.hidden = !li._p.tie.textContent;
    });
    if (seg()) {
      seg().place(c.rkSegs, seg().segmentsOf(a) &&
        [el("p", { cls: "hint", text: t("ranking.segFirsts") }), seg().segmentsTable(a, (a.options || []).map((o) => o.label), segFirsts, undefined, t("seg.item_option"))]);
    }
  },

  summary(a) {
    const list = ranked(a);
    const parts = list.map((o, k) => {
      const tie = shown(a) ? tieNote(list, k) : "";
      return `${k + 1}. ${o.label} ${o.score ?? 0}` + (tie ? ` (${tie})` : "");
    });
    return t("live.ranking", { title: a.title || "", results: parts.join(", "), voters: a.responses ?? 0 });
  },
};

// ---- page: show ----

function tieLine(list, k) {
  const x = tieOf(list, k);
  return !x ? "" : x.listed ? t("ranking.tieListed", { other: x.other }) : t("ranking.tieFirsts", x);
}

export const show = {
  states: () => ({ closed: t("ranking.closed"), draft: t("ranking.draft") }),

  view(ctx) {
    useCSS(CSS);
    const root = el("section", "show-activity show-ranking");
    const parts = { head: null, meta: null, list: null };
    let sig = "";

    function build(a) {
      root.textContent = "";
      const h = ctx.header(a);
      parts.head = h.head;
      parts.meta = h.meta;
      parts.list = el("ol", "rank-list");
      parts.segs = el("div", "show-segments");
      root.append(h.head, parts.list, parts.segs);
    }

    return {
      el: root,
      update(a) {
        const s = (a.options || []).map((o) => o.label + "\u0001" + JSON.stringify(o.labels || "")).join("\u0000");
        if (s !== sig || !parts.list) {
          sig = s;
          build(a);
        }
        setUserText(parts.head.querySelector(".show-title"), a.title || "");
        const on = shown(a);
        root.classList.toggle("is-hidden", !on);
        const segmented = on && !!seg()?.segmentsOf(a);
        // The groups' panels take the room of about three rows, as a poll's do.
        root.style.setProperty("--rows", String(Math.max((a.options || []).length, 2) + (segmented ? 3 : 0)));
        const list = ranked(a);
        const top = Math.max(1, ...list.map((o) => o.score || 0));
        const live = [a.title || ""];
        syncList(parts.list, list, (o) => o.i, () => {
          const place = el("span", "rank-place");
          const label = el("span", "rank-label");
          const score = el("span", "rank-score");
          const fill = el("span", "rank-fill");
          const track = el("span", "rank-track");
          track.setAttribute("aria-hidden", "true");
          track.append(fill);
          const tie = el("span", "rank-tie");
          const li = el("li", "rank-row");
          li.append(place, label, score, track, tie);
          li._p = { place, label, score, fill, track, tie };
          return li;
        }, (li, o, k) => {
          const p = li._p;
          setText(p.place, on ? num(k + 1) : "");
          setUserText(p.label, o.label);
          // The display's second language goes under each option.
          const l2 = ctx.second ? ctx.second(o.labels, o.label, "show-second") : null;
          if (l2) p.label.append(l2);
          if (on) {
            const line = isOne(o.score) ? t("ranking.pointOne", { n: num(o.score) }) : t("ranking.points", { n: num(o.score) });
            setText(p.score, line);
            p.fill.style.width = ((o.score / top) * 100).toFixed(2) + "%";
            live.push(t("live.rank", { place: num(k + 1), label: o.label, score: line, firsts: num(o.firsts) }));
            // Two options on the same points: the room sees why one is
            // ahead, rather than guess.
            const tie = tieLine(list, k);
            setText(p.tie, tie);
            if (tie) live.push(tie);
          } else {
            setText(p.tie, "");
            setText(p.score, "");
            p.fill.style.width = "0%";
            live.push(o.label);
          }
          p.track.hidden = !on;
          p.tie.hidden = !p.tie.textContent;
        });
        const n = a.responses ?? a.voters;
        const count = typeof n === "number" ? (isOne(n) ? t("ranking.responseOne", { n: num(n) }) : t("ranking.responses", { n: num(n) })) : null;
        const extra = ctx.resultsExtra(on, t("ranking.hidden"), count, live);
        const labels = (a.options || []).map((o) => o.label);
        root.classList.toggle("has-segments", segmented);
        if (seg()) seg().place(parts.segs, segmented && [el("p", "seg-note", t("ranking.segFirsts")), seg().segmentsGrid(a, labels, segFirsts)]);
        if (segmented) live.push(t("ranking.segFirsts"), ...seg().countLines(a, labels, segFirsts));
        ctx.fillMeta(parts.meta, a, extra);
        ctx.announce(live);
      },
      destroy() {},
    };
  },
};

// ---- page: attendee ----

export const attendee = {
  screen(a0, ctx) {
    useCSS(CSS);
    const head = ctx.titleBlock(a0);
    const hint = el("p", { class: "hint", id: "rank-hint" });
    const list = el("ol", { class: "rank-items", "aria-labelledby": "act-title", "aria-describedby": "rank-hint" });
    const moved = el("p", { class: "visually-hidden", "aria-live": "assertive" });
    const confirm = el("p", { class: "confirm", role: "status" });
    const submit = ctx.button("btn wide", t("ranking.submit"), onSubmit);
    const resHead = el("h2", { id: "res-h", text: t("ranking.results") });
    const resList = el("ol", { class: "rank-results" });
    const results = el("section", { class: "resbox", "aria-labelledby": "res-h" }, resHead, resList);
    const live = liveText();
    const root = el("section", { class: "act ranking", "aria-labelledby": "act-title" }, ...head.nodes, hint, list, moved, submit, confirm, results, live.el);

    let a = a0;
    let sig = "";
    let mine = []; // the order the server holds
    let order = []; // the order on screen
    let edited = false;

    const open = () => a.state === "open";
    const label = (i) => a.options[i].label;

    // fromMine is the order to start from: the participant's own ranking,
    // then the options it left out, as listed.
    function fromMine() {
      const rest = a.options.map((o, i) => i).filter((i) => !mine.includes(i));
      return mine.concat(rest);
    }

    function item(i) {
      const up = el("button", { type: "button", class: "rank-move rank-up" }, el("span", { "aria-hidden": "true", text: "↑" }));
      const down = el("button", { type: "button", class: "rank-move rank-down" }, el("span", { "aria-hidden": "true", text: "↓" }));
      const handle = el("span", { class: "rank-handle", "aria-hidden": "true", text: "⠿" });
      const place = el("span", { class: "rank-place", "aria-hidden": "true" });
      const text = el("span", { class: "rank-label", text: label(i) });
      const li = el("li", { class: "rank-item" }, handle, place, text, el("span", { class: "rank-moves" }, up, down));
      li._p = { up, down, place, text };
      up.addEventListener("click", () => move(i, -1, up));
      down.addEventListener("click", () => move(i, +1, down));
      drag(li, handle, i);
      return li;
    }

    // move puts option i one place up or down; the focus stays on the
    // button pressed, even at an end (it is aria-disabled there, not
    // disabled, so it keeps the focus: moving it to the twin made a third
    // Enter undo the second), and the new place is said.
    function move(i, d, btn) {
      if (!open() || btn.getAttribute("aria-disabled") === "true") return;
      const k = order.indexOf(i);
      const to = k + d;
      if (to < 0 || to >= order.length) return;
      order.splice(k, 1);
      order.splice(to, 0, i);
      edited = true;
      setText(confirm, "");
      paint();
      const p = list.querySelector(`[data-key="${i}"]`)._p;
      (d < 0 ? p.up : p.down).focus();
      say(moved, t("ranking.moved", { label: label(i), place: num(to + 1), n: num(order.length) }));
    }

    // drag lets a finger or a mouse carry an item by its handle; the list
    // reorders under it as it passes the middle of another item. The
    // listeners are on the document: moving the item in the list would
    // release a pointer capture on its handle.
    function drag(li, handle, i) {
      handle.addEventListener("pointerdown", (ev) => {
        if (!open() || ev.button !== 0) return;
        ev.preventDefault();
        li.classList.add("dragging");
        const onMove = (e) => {
          if (e.pointerId !== ev.pointerId) return;
          // The new place is the number of other items whose middle is
          // above the pointer.
          let to = 0;
          for (const x of list.children) {
            if (x === li) continue;
            const r = x.getBoundingClientRect();
            if (e.clientY > r.top + r.height / 2) to++;
          }
          const from = order.indexOf(i);
          if (to !== from) {
            order.splice(from, 1);
            order.splice(to, 0, i);
            edited = true;
            setText(confirm, "");
            paint();
          }
        };
        const onUp = (e) => {
          if (e.pointerId !== ev.pointerId) return;
          li.classList.remove("dragging");
          document.removeEventListener("pointermove", onMove);
          document.removeEventListener("pointerup", onUp);
          document.removeEventListener("pointercancel", onUp);
          say(moved, t("ranking.moved", { label: label(i), place: num(order.indexOf(i) + 1), n: num(order.length) }));
        };
        document.addEventListener("pointermove", onMove);
        document.addEventListener("pointerup", onUp);
        document.addEventListener("pointercancel", onUp);
      });
    }

    async function onSubmit() {
      if (!open() || isBusy(submit)) return;
      const sent = order.slice();
      setText(confirm, "");
      const ack = await ctx.run(submit, "rank", { activity: a.id, order: sent });
      if (ack) {
        mine = sent;
        edited = false;
        paint();
        setText(confirm, t("ranking.received"));
      }
    }

    function paint() {
      const isOpen = open();
      syncList(list, order, (i) => i, item, (li, i, k) => {
        const p = li._p;
        setText(p.place, num(k + 1));
        p.up.setAttribute("aria-label", t("ranking.up", { label: label(i), place: num(k + 1) }));
        p.down.setAttribute("aria-label", t("ranking.down", { label: label(i), place: num(k + 1) }));
        setDisabled(p.up, !isOpen || k === 0);
        setDisabled(p.down, !isOpen || k === order.length - 1);
      });
      submit.hidden = !isOpen;
      const same = mine.length === order.length && mine.every((x, k) => x === order[k]);
      setDisabled(submit, !isOpen || (same && !edited));
      setText(submit.querySelector(".lbl"), mine.length ? t("ranking.update") : t("ranking.submit"));
    }

    function paintResults() {
      const on = shown(a);
      results.hidden = !on;
      if (!on) return;
      const lines = [];
      syncList(resList, ranked(a), (o) => o.i, () => el("li", null, el("span", { class: "rank-label" }), el("span", { class: "rank-score" })), (li, o, k) => {
        li.firstChild.textContent = o.label;
        const line = t("ranking.score", { score: num(o.score), firsts: num(o.firsts) });
        setText(li.lastChild, line);
        lines.push(`${num(k + 1)}. ` + t("say.pair", { label: o.label, value: line }));
      });
      live.set(t("ranking.results") + ". " + lines.join(". ") + ".");
    }

    return {
      el: root,
      update(next, y) {
        a = next;
        const s = a.options.map((o) => o.label).join("\u0000");
        if (Array.isArray(y.order) && y.order.join() !== mine.join()) {
          mine = y.order.slice();
          if (!edited) order = fromMine();
        }
        if (s !== sig) {
          sig = s;
          list.textContent = "";
          edited = false;
          order = fromMine();
        }
        head.update(a, ctx.stateNote(a, { draft: t("ranking.draft"), closed: t("ranking.closed") }));
        setText(hint, open() ? t("ranking.hint") : "");
        hint.hidden = !open();
        if (!open() && edited) {
          edited = false;
          order = fromMine();
        }
        paint();
        paintResults();
        if (!confirm.textContent && mine.length) setText(confirm, t("ranking.ranked"));
      },
      destroy: live.stop,
    };
  },
};
