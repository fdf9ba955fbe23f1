// The rating scale on each page: the console's form and card, the projected
// distributions with their means, the phone's rows of point buttons. The
// contract is in static/README-pages.md; the view in docs/protocol.md
// ("Scale").
import { t, lang } from "/static/js/i18n.js";
import { el, setText, liveText, isBusy, disabled, setDisabled, num, isOne, syncList, useCSS, textList, fillText, pageOnly, segmentField } from "/static/js/dom.js";
import { setUserText } from "/static/js/langs.js";

export const kind = "scale";

const CSS = "/static/css/kinds/scale.css";
const MAX_STATEMENTS = 10;

// The console and the display give segments.js; the phone has none.
const seg = () => pageOnly.segments;
// A group's mean of statement i, written, and as a share of the scale's
// range for its bar: a scale is told by groups as means, not shares.
const segMean = (g, i) => {
  const m = ((g.statements || [])[i] || {}).mean;
  return typeof m === "number" ? dec(m) : "–";
};
const segFrac = (a) => (g, i) => {
  const m = ((g.statements || [])[i] || {}).mean;
  const ps = points(a);
  return typeof m === "number" && ps.length > 1 ? (m - ps[0]) / (ps[ps.length - 1] - ps[0]) : 0;
};

// points lists a scale's points, min first.
function points(a) {
  const out = [];
  for (let p = a.min ?? 1; p <= (a.max ?? 5); p++) out.push(p);
  return out;
}

// dec writes a mean or median with at most two decimals, in the page's
// language.
function dec(x) {
  return new Intl.NumberFormat(lang(), { maximumFractionDigits: 2 }).format(x);
}

// shown says whether the view carries the results (they are absent where
// hidden).
function shown(a) {
  const st = a.statements || [];
  return st.length > 0 && st.every((s) => Array.isArray(s.counts));
}

// histogram is a row of columns, one per point, as tall as its share of
// the highest count, with the mean marked along the same axis. It is a
// picture only: the text beside it says the same.
function histogram(cls) {
  const cols = el("span", { class: "scale-cols" });
  const mean = el("span", { class: "scale-mean" });
  const axis = el("span", { class: "scale-axis" });
  const box = el("span", { class: "scale-chart " + cls, "aria-hidden": "true" }, cols, mean, axis);
  let sig = "";
  return {
    el: box,
    draw(a, s) {
      const ps = points(a);
      const k = ps.join(",");
      if (k !== sig) {
        sig = k;
        cols.textContent = "";
        axis.textContent = "";
        for (const p of ps) {
          cols.append(el("span", { class: "scale-col" }, el("span", { class: "scale-fill" })));
          axis.append(el("span", { class: "scale-tick", text: num(p) }));
        }
      }
      const counts = s.counts || [];
      const top = Math.max(1, ...counts);
      Array.from(cols.children).forEach((c, i) => {
        c.firstChild.style.height = (((counts[i] || 0) / top) * 100).toFixed(1) + "%";
      });
      mean.hidden = typeof s.mean !== "number";
      if (!mean.hidden) {
        // Point p sits at the middle of its column.
        mean.style.left = ((((s.mean - ps[0]) + 0.5) / ps.length) * 100).toFixed(2) + "%";
      }
    },
  };
}

// ---- page: host ----

export const host = {
  label: () => t("kind.scale"),
  state: (s) => ({ draft: t("state.scale.draft"), open: t("state.scale.open"), closed: t("state.scale.closed") })[s],
  idPrefix: "scale",

  form(ctx) {
    useCSS(CSS);
    const statements = textList(ctx, {
      id: "scale-statements", addId: "scale-add", legend: "scale.statements", add: "scale.addStatement", item: "scale.statementN",
      remove: "scale.remove", removeItem: "scale.removeStatementN", min: 1, max: MAX_STATEMENTS, prefix: "scale-statement",
    });
    const min = el("input", { id: "scale-min", type: "number", value: "1", min: "-100", max: "100", step: "1", inputmode: "numeric" });
    const max = el("input", { id: "scale-max", type: "number", value: "5", min: "-100", max: "100", step: "1", inputmode: "numeric" });
    // The ends' names, like the statements, in every content language.
    const lmin = ctx.textField({ id: "scale-label-min", maxlength: 60, label: t("scale.labelMin") });
    const lmax = ctx.textField({ id: "scale-label-max", maxlength: 60, label: t("scale.labelMax") });
    const segment = segmentField("scale");
    const fields = [
      statements.el,
      el("fieldset", { class: "scale-range" }, el("legend", { i18n: "scale.range" }),
        el("p", { class: "form-row scale-end-point" }, el("label", { for: "scale-min", i18n: "scale.min" }), min),
        el("p", { class: "form-row scale-end-point" }, el("label", { for: "scale-max", i18n: "scale.max" }), max),
        el("div", { class: "form-row scale-end-label" }, lmin.el),
        el("div", { class: "form-row scale-end-label" }, lmax.el)),
      segment.row,
    ];

    function relabel() {
      statements.relabel();
      lmin.relabel(t("scale.labelMin"));
      lmax.relabel(t("scale.labelMax"));
    }

    function reset() {
      statements.reset();
      min.value = "1";
      max.value = "5";
      lmin.clear();
      lmax.clear();
      segment.input.checked = false;
    }

    return {
      fields,
      relabel,
      reset,
      // fill loads a draft's view into the form, for the console's Edit.
      fill(a) {
        statements.fill(a.statements);
        min.value = String(a.min ?? 1);
        max.value = String(a.max ?? 5);
        const texts = a.labelTexts || {};
        lmin.clear();
        lmax.clear();
        fillText(lmin.input, (a.labels && a.labels.min) || "", texts.min);
        fillText(lmax.input, (a.labels && a.labels.max) || "", texts.max);
        segment.input.checked = !!a.segment;
      },
      spec(title, fail) {
        const texts = statements.values();
        if (texts.length < 1) {
          fail(t("scale.needStatements"), statements.firstEmpty());
          return null;
        }
        const lo = Number(min.value);
        const hi = Number(max.value);
        if (!Number.isInteger(lo) || lo < -100 || lo > 100) {
          fail(t("scale.badRange"), min);
          return null;
        }
        if (!Number.isInteger(hi) || hi < -100 || hi > 100 || hi - lo < 1 || hi - lo > 10) {
          fail(t("scale.badRange"), max);
          return null;
        }
        const labels = {};
        if (lmin.value()) labels.min = lmin.value();
        if (lmax.value()) labels.max = lmax.value();
        const spec = { kind, title, statements: texts, min: lo, max: hi, labels };
        if (segment.input.checked) spec.segment = true;
        return spec;
      },
    };
  },

  create(c) {
    useCSS(CSS);
    c.scInfo = el("p", { cls: "hint" });
    c.scList = el("ul", { cls: "scale-results" });
    c.scSegs = el("div");
    c.body.append(c.scInfo, c.scList, c.scSegs);
  },

  update(c, a) {
    const ps = points(a);
    const ends = [a.labels?.min, a.labels?.max].filter(Boolean);
    c.scInfo.textContent = [
      t("scale.rangeInfo", { min: num(ps[0]), max: num(ps[ps.length - 1]) }) + (ends.length ? ` (${ends.join(" – ")})` : ""),
      t("scale.responses", { n: a.responses ?? 0 }),
    ].join(" · ");
    syncList(c.scList, a.statements || [], (s, i) => i, () => {
      const label = el("span", { cls: "scale-label" });
      const stats = el("span", { cls: "scale-stats" });
      const chart = histogram("scale-chart-small");
      const counts = el("span", { cls: "scale-counts" });
      const li = el("li", { cls: "scale-row" }, [el("span", { cls: "scale-text" }, [label, stats]), chart.el, counts]);
      li._p = { label, stats, chart, counts };
      return li;
    }, (li, s) => {
      li._p.label.textContent = s.label;
      li._p.stats.textContent = typeof s.mean === "number"
        ? t("scale.stats", { mean: dec(s.mean), median: dec(s.median), n: s.responses ?? 0 })
        : t("scale.noRatings");
      li._p.counts.textContent = (s.counts || []).map((n, i) => t("say.pair", { label: num(ps[i]), value: num(n) })).join(", ");
      li._p.chart.draw(a, s);
    });
    if (seg()) {
      seg().place(c.scSegs, seg().segmentsOf(a) &&
        [el("p", { cls: "hint", text: t("scale.segMeans") }), seg().valuesTable(a, (a.statements || []).map((s) => s.label), segMean, t("seg.item_statement"))]);
    }
  },

  summary(a) {
    const parts = (a.statements || []).map((s) => typeof s.mean === "number" ? t("scale.liveMean", { label: s.label, mean: dec(s.mean) }) : s.label);
    return t("live.scale", { title: a.title || "", results: parts.join(", "), voters: a.responses ?? 0 });
  },
};

// ---- page: show ----

export const show = {
  states: () => ({ closed: t("scale.closed"), draft: t("scale.draft") }),

  view(ctx) {
    useCSS(CSS);
    const root = el("section", "show-activity show-scale");
    let sig = "";
    let rows = [];
    const parts = { head: null, meta: null, list: null, ends: null };

    function build(a) {
      root.textContent = "";
      const h = ctx.header(a);
      parts.head = h.head;
      parts.meta = h.meta;
      root.append(h.head);
      parts.ends = el("p", "scale-ends");
      parts.list = el("ol", "scale-list");
      parts.segs = el("div", "show-segments");
      root.append(parts.ends, parts.list, parts.segs);
      rows = (a.statements || []).map(() => {
        const label = el("span", "scale-label");
        const second = el("span", "scale-second");
        const stats = el("span", "scale-stats");
        const chart = histogram("scale-chart-big");
        const li = el("li", "scale-row");
        li.append(el("span", "scale-text"), chart.el);
        li.firstChild.append(label, second, stats);
        parts.list.append(li);
        return { label, second, stats, chart };
      });
    }

    return {
      el: root,
      update(a) {
        const st = a.statements || [];
        const s = [a.min, a.max, ...st.map((x) => x.label + "\u0001" + JSON.stringify(x.labels || ""))].join("\u0000");
        if (s !== sig || !parts.list) {
          sig = s;
          build(a);
        }
        setUserText(parts.head.querySelector(".show-title"), a.title || "");
        const on = shown(a);
        root.classList.toggle("is-hidden", !on);
        const segmented = on && !!seg()?.segmentsOf(a);
        // The groups' panels take the room of about three rows, as a poll's do.
        root.style.setProperty("--rows", String(Math.max(st.length, 1) + (segmented ? 3 : 0)));
        const ps = points(a);
        const lo = a.labels?.min ? `${num(ps[0])} = ${a.labels.min}` : "";
        const hi = a.labels?.max ? `${num(ps[ps.length - 1])} = ${a.labels.max}` : "";
        setText(parts.ends, [lo, hi].filter(Boolean).join(" · "));
        parts.ends.hidden = !lo && !hi;
        const live = [a.title || ""];
        if (parts.ends.textContent) live.push(parts.ends.textContent);
        st.forEach((x, i) => {
          const r = rows[i];
          r.label.textContent = x.label;
          // The display's second language goes under each statement.
          const l2 = ctx.second ? ctx.second(x.labels, x.label, "show-second") : null;
          r.second.textContent = "";
          if (l2) r.second.append(l2);
          if (on) {
            r.chart.draw(a, x);
            if (typeof x.mean === "number") {
              setText(r.stats, t("scale.stats", { mean: dec(x.mean), median: dec(x.median), n: num(x.responses ?? 0) }));
              live.push(t("live.scale", { label: x.label, mean: dec(x.mean), median: dec(x.median), n: num(x.responses ?? 0),
                counts: x.counts.map((n, j) => t("say.pair", { label: num(ps[j]), value: num(n) })).join(", ") }));
            } else {
              setText(r.stats, t("scale.noRatings"));
              live.push(t("say.pair", { label: x.label, value: t("scale.noRatings") }));
            }
          } else {
            setText(r.stats, "");
            live.push(x.label);
          }
          r.chart.el.hidden = !on;
        });
        const n = a.responses ?? a.voters;
        const count = typeof n === "number" ? (isOne(n) ? t("scale.responseOne", { n: num(n) }) : t("scale.responses", { n: num(n) })) : null;
        const extra = ctx.resultsExtra(on, t("scale.hidden"), count, live);
        const labels = st.map((x) => x.label);
        if (seg()) seg().place(parts.segs, segmented && [el("p", "seg-note", t("scale.segMeans")), seg().valuesGrid(a, labels, segFrac(a), segMean)]);
        if (segmented) live.push(t("scale.segMeans"), ...seg().valueLines(a, labels, segMean));
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
    const hint = el("p", { class: "hint", id: "scale-hint" });
    const list = el("div", { class: "scale-statements" });
    const confirm = el("p", { class: "confirm", role: "status" });
    const submit = ctx.button("btn wide", t("scale.submit"), onSubmit);
    const resHead = el("h2", { id: "res-h", text: t("scale.results") });
    const resList = el("ul", { class: "scale-results" });
    const results = el("section", { class: "resbox", "aria-labelledby": "res-h" }, resHead, resList);
    const live = liveText();
    const root = el("section", { class: "act scale", "aria-labelledby": "act-title" }, ...head.nodes, hint, list, submit, confirm, results, live.el);

    let a = a0;
    let sig = "";
    let rows = []; // per statement: {buttons}
    let mine = []; // the ratings the server holds
    let sel = null; // the ratings being edited, null when none

    const open = () => a.state === "open";
    const current = () => sel || (mine.length ? mine : a.statements.map(() => null));

    function build() {
      list.textContent = "";
      const ps = points(a);
      rows = a.statements.map((s, si) => {
        const lid = "st-" + si;
        const group = el("div", { class: "scale-points", role: "radiogroup", "aria-labelledby": lid, "aria-describedby": "scale-hint" });
        const buttons = ps.map((p, pi) => {
          let name = num(p);
          if (pi === 0 && a.labels?.min) name += ", " + a.labels.min;
          if (pi === ps.length - 1 && a.labels?.max) name += ", " + a.labels.max;
          const b = el("button", { type: "button", class: "scale-point", role: "radio", "aria-checked": "false", "aria-label": name, text: num(p) });
          b.addEventListener("click", () => choose(si, p, b));
          b.addEventListener("keydown", (ev) => arrow(ev, si, pi));
          group.append(b);
          return b;
        });
        const ends = el("p", { class: "scale-ends", "aria-hidden": "true" },
          el("span", { text: a.labels?.min || "" }), el("span", { text: a.labels?.max || "" }));
        ends.hidden = !a.labels?.min && !a.labels?.max;
        list.append(el("div", { class: "scale-statement" }, el("p", { class: "scale-label", id: lid, text: s.label }), group, ends));
        return { buttons };
      });
    }

    function arrow(ev, si, pi) {
      const d = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[ev.key];
      if (!d) return;
      ev.preventDefault();
      const bs = rows[si].buttons;
      const next = bs[(pi + d + bs.length) % bs.length];
      for (const b of bs) b.tabIndex = b === next ? 0 : -1;
      next.focus();
    }

    // A tap sets a statement's rating; a tap on the chosen point takes it
    // back (the statement is then skipped).
    function choose(si, p, b) {
      if (!open() || disabled(b)) return;
      sel = current().slice();
      sel[si] = sel[si] === p ? null : p;
      setText(confirm, "");
      paint();
    }

    async function onSubmit() {
      if (!open() || isBusy(submit)) return;
      const ratings = current().slice();
      if (ratings.every((r) => r === null)) {
        ctx.showError(() => t("scale.rateOne"));
        return;
      }
      setText(confirm, "");
      const ack = await ctx.run(submit, "rate", { activity: a.id, ratings });
      if (ack) {
        mine = ratings;
        sel = null;
        paint();
        setText(confirm, t("scale.received"));
      }
    }

    function paint() {
      const isOpen = open();
      const cur = current();
      const ps = points(a);
      rows.forEach((r, si) => {
        // One tab stop per statement: the chosen point, else the first;
        // the arrows move along the row.
        const at = r.buttons.some((b) => b === document.activeElement) ? document.activeElement : null;
        const stop = at || r.buttons[Math.max(0, ps.indexOf(cur[si]))];
        r.buttons.forEach((b, pi) => {
          b.setAttribute("aria-checked", cur[si] === ps[pi] ? "true" : "false");
          b.tabIndex = b === stop ? 0 : -1;
          setDisabled(b, !isOpen);
        });
      });
      const edited = !!sel && JSON.stringify(sel) !== JSON.stringify(mine);
      submit.hidden = !isOpen;
      setDisabled(submit, !isOpen || cur.every((x) => x === null) || (!edited && mine.length > 0));
      setText(submit.querySelector(".lbl"), mine.length ? t("scale.update") : t("scale.submit"));
    }

    function paintResults() {
      const on = shown(a);
      results.hidden = !on;
      if (!on) return;
      const lines = [];
      syncList(resList, a.statements, (s, i) => i, () => {
        const text = el("span", { class: "scale-stats" });
        const chart = histogram("scale-chart-small");
        const li = el("li", null, el("span", { class: "scale-label" }), text, chart.el);
        li._p = { text, chart };
        return li;
      }, (li, s, i) => {
        li.firstChild.textContent = s.label;
        const line = typeof s.mean === "number"
          ? t("scale.stats", { mean: dec(s.mean), median: dec(s.median), n: num(s.responses ?? 0) })
          : t("scale.noRatings");
        setText(li._p.text, line);
        li._p.chart.draw(a, s);
        lines.push(t("say.pair", { label: s.label, value: line }) + (mine[i] != null ? " " + t("scale.yours", { n: num(mine[i]) }) : ""));
      });
      live.set(t("scale.results") + ". " + lines.join(". ") + ".");
    }

    return {
      el: root,
      update(next, y) {
        a = next;
        const s = [a.min, a.max, a.labels?.min, a.labels?.max, ...a.statements.map((x) => x.label)].join("\u0000");
        if (s !== sig) {
          sig = s;
          sel = null;
          build();
        }
        if (Array.isArray(y.ratings)) mine = y.ratings.slice();
        head.update(a, ctx.stateNote(a, { draft: t("scale.draft"), closed: t("scale.closed") }));
        setText(hint, open() ? t("scale.hint") : "");
        hint.hidden = !open();
        if (!open()) sel = null;
        paint();
        paintResults();
        if (!confirm.textContent && mine.length) setText(confirm, t("scale.rated"));
      },
      destroy: live.stop,
    };
  },
};
