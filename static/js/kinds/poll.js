// The poll on each page: the console's form and card, the projected bars,
// the phone's ballot. The contract is in static/README-pages.md.
import { t } from "/static/js/i18n.js";
import { el, setText, liveText, isBusy, disabled, setDisabled, num, pct, shares, isOne, syncList, textList, pageOnly } from "/static/js/dom.js";
import { setUserText } from "/static/js/langs.js";

// The console and the display give segments.js; the phone has none.
const seg = () => pageOnly.segments;

export const kind = "poll";

// The server takes 2 to 50 options (session/poll.go).
const MAX_OPTIONS = 50;

// A segment's votes, in the options' order.
const segVotes = (g) => (g.options || []).map((o) => o.votes || 0);
const segRows = (a) => (g) => (a.options || []).map((o, i) => ({ label: o.label, n: ((g.options || [])[i] || {}).votes || 0 }));

// ---- page: host ----

export const host = {
  label: () => t("kind.poll"),
  // In French and Spanish the word agrees with the kind's name.
  state: (s) => ({ draft: t("state.poll.draft"), open: t("state.poll.open"), closed: t("state.poll.closed") })[s],

  form(ctx) {
    const options = textList(ctx, {
      id: "poll-options", addId: "poll-add", legend: "poll.options", add: "poll.addOption", item: "poll.optionN",
      remove: "poll.remove", removeItem: "poll.removeOptionN", min: 2, max: MAX_OPTIONS, prefix: "poll-option",
    });
    const multi = el("input", { id: "poll-multi", type: "checkbox" });
    const max = el("input", { id: "poll-max", type: "number", min: "1", value: "2", inputmode: "numeric" });
    const maxField = el("p", { class: "form-row", id: "poll-max-field", hidden: true },
      el("label", { for: "poll-max", i18n: "poll.maxChoices" }), max);
    const segment = el("input", { id: "poll-segment", type: "checkbox", "aria-describedby": "poll-segment-hint" });
    const fields = [
      options.el,
      el("p", { class: "form-row check" }, multi, el("label", { for: "poll-multi", i18n: "poll.multi" })),
      maxField,
      el("p", { class: "form-row check" }, segment, el("label", { for: "poll-segment", i18n: "poll.segment" }),
        el("span", { class: "hint", id: "poll-segment-hint", i18n: "poll.segmentHint" })),
    ];

    function reset() {
      options.reset();
      multi.checked = false;
      maxField.hidden = true;
      segment.checked = false;
    }

    multi.addEventListener("change", () => { maxField.hidden = !multi.checked; });

    return {
      fields,
      relabel: options.relabel,
      reset,
      // fill loads a draft's view into the form, for the console's Edit.
      fill(a) {
        options.fill(a.options);
        multi.checked = !!a.multi;
        maxField.hidden = !multi.checked;
        max.value = String(a.maxChoices || 2);
        segment.checked = !!a.segment;
      },
      spec(title, fail) {
        const texts = options.values();
        if (texts.length < 2) {
          fail(t("poll.needOptions"), options.firstEmpty());
          return null;
        }
        const n = parseInt(max.value, 10);
        const maxChoices = multi.checked ? Math.min(Math.max(Number.isFinite(n) ? n : 2, 1), texts.length) : 1;
        const spec = { kind, title, options: texts, multi: multi.checked, maxChoices };
        if (segment.checked) spec.segment = true;
        return spec;
      },
    };
  },

  create(c) {
    c.pollInfo = el("p", { cls: "hint" });
    c.pollList = el("ul", { cls: "bars" });
    c.pollSegs = el("div");
    c.body.append(c.pollInfo, c.pollList, c.pollSegs);
  },

  update(c, a) {
    const voters = a.voters ?? 0;
    const opts = a.options || [];
    const total = a.multi ? voters : opts.reduce((s, o) => s + (o.votes || 0), 0) || voters;
    c.pollInfo.textContent = [
      t("poll.voters", { n: voters }),
      a.multi ? t("poll.multiInfo", { n: a.maxChoices ?? 1 }) : t("poll.singleInfo"),
    ].join(" · ");
    const pcts = shares(opts.map((o) => o.votes ?? 0), total);
    syncList(c.pollList, opts, (o, i) => i, () => {
      const label = el("span", { cls: "bar-label" });
      const count = el("span", { cls: "bar-count" });
      const fill = el("span", { cls: "bar-fill" });
      const track = el("span", { cls: "bar-track", attrs: { "aria-hidden": "true" } }, [fill]);
      const li = el("li", { cls: "bar-row" }, [el("span", { cls: "bar-text" }, [label, count]), track]);
      li._p = { label, count, fill };
      return li;
    }, (li, o, i) => {
      const votes = o.votes ?? 0;
      const share = pcts[i];
      li._p.label.textContent = o.label;
      li._p.count.textContent = t("poll.count", { n: votes, pct: share });
      li._p.fill.style.width = `${share}%`;
    });
    if (seg()) seg().place(c.pollSegs, seg().segmentsOf(a) && [seg().segmentsTable(a, opts.map((o) => o.label), segVotes)]);
  },

  summary(a) {
    const parts = (a.options || []).map((o) => `${o.label} ${o.votes ?? 0}`);
    return t("live.poll", { title: a.title || "", results: parts.join(", "), voters: a.voters ?? 0 });
  },
};

// ---- page: show ----

const BAR_COLORS = ["#56b4e9", "#e69f00", "#3fd0a8", "#f0e442", "#e4a3c8", "#ff9966"];

export const show = {
  // Said when the poll is not open: a sentence of its own, so that French
  // and Spanish need not agree with an unknown noun.
  states: () => ({ closed: t("poll.closed"), draft: t("poll.draft") }),

  view(ctx) {
    const root = el("section", "show-activity show-poll");
    let rows = [];
    let sig = "";
    const parts = { head: null, meta: null, list: null, segs: null };

    function build(a) {
      root.textContent = "";
      const h = ctx.header(a);
      parts.head = h.head;
      parts.meta = h.meta;
      root.appendChild(h.head);
      parts.list = el("ol", "poll-list");
      parts.segs = el("div", "show-segments");
      root.append(parts.list, parts.segs);
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
        const s = options.length + ":" + options.map((o) => o.label + "\u0001" + JSON.stringify(o.labels || "")).join("\u0000");
        if (s !== sig || !parts.list) {
          sig = s;
          build(a);
        }
        setUserText(parts.head.querySelector(".show-title"), a.title || "");
        const shown = options.length > 0 && options.every((o) => typeof o.votes === "number");
        root.classList.toggle("is-hidden", !shown);
        const segmented = !!seg()?.segmentsOf(a) && shown;
        root.classList.toggle("has-segments", segmented);
        // With the groups under it, the main chart gets the room of more rows.
        root.style.setProperty("--rows", String(Math.max(options.length, 2) + (segmented ? 3 : 0)));
        const total = options.reduce((n, o) => n + (typeof o.votes === "number" ? o.votes : 0), 0);
        const voters = typeof a.voters === "number" ? a.voters : null;
        const base = a.multi ? voters || total : total;
        const live = [a.title || ""];
        const pcts = shown ? shares(options.map((o) => o.votes), base) : [];
        options.forEach((o, i) => {
          const r = rows[i];
          setUserText(r.label, o.label);
          // The display's second language goes under each option.
          const l2 = ctx.second ? ctx.second(o.labels, o.label, "poll-label-second") : null;
          if (l2) r.label.append(l2);
          if (shown) {
            const f = base > 0 ? o.votes / base : 0;
            r.count.textContent = num(o.votes);
            r.share.textContent = pct(pcts[i] / 100);
            r.nums.hidden = false;
            r.fill.style.width = (Math.min(1, f) * 100).toFixed(2) + "%";
            live.push(
              isOne(o.votes)
                ? t("live.voteOne", { label: o.label, n: num(o.votes), pct: pct(pcts[i] / 100) })
                : t("live.votes", { label: o.label, n: num(o.votes), pct: pct(pcts[i] / 100) }),
            );
          } else {
            r.nums.hidden = true;
            r.fill.style.width = "0%";
            live.push(o.label);
          }
        });
        const count = voters !== null ? (isOne(voters) ? t("poll.voterOne", { n: num(voters) }) : t("poll.voters", { n: num(voters) })) : null;
        const extra = ctx.resultsExtra(shown, t("poll.hidden"), count, live);
        if (seg()) seg().place(parts.segs, segmented && [seg().segmentsGrid(a, options.map((o) => o.label), segVotes, BAR_COLORS)]);
        if (segmented) live.push(...seg().segmentLines(a, segRows(a)));
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
    const multi = !!a0.multi;
    const head = ctx.titleBlock(a0);
    const hint = el("p", { class: "hint", id: "poll-hint" });
    const group = el("div", {
      class: "options",
      role: multi ? "group" : "radiogroup",
      "aria-labelledby": "act-title",
      "aria-describedby": "poll-hint",
    });
    const confirm = el("p", { class: "confirm", role: "status" });
    const submit = multi ? ctx.button("btn wide", t("poll.submit"), onSubmit) : null;
    const resHead = el("h2", { text: t("poll.results") });
    const resList = el("ul", { class: "results" });
    const resTotal = el("p", { class: "hint" });
    const results = el("section", { class: "resbox", "aria-labelledby": "res-h" }, resHead, resList, resTotal);
    resHead.id = "res-h";
    const live = liveText();
    const root = el("section", { class: "act poll", "aria-labelledby": "act-title" }, ...head.nodes, hint, group, submit, confirm, results, live.el);

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
          const box = el("input", { type: "checkbox", id: "opt-" + i, onchange: () => onCheck(i, box.checked) });
          // At the maximum the other boxes stay focusable but refuse a tick.
          box.addEventListener("click", (ev) => {
            if (box.getAttribute("aria-disabled") === "true") {
              ev.preventDefault();
              setText(confirm, "");
              setTimeout(() => setText(confirm, t("poll.max_reached", { n: a.maxChoices })), 50);
            }
          });
          const row = el("label", { class: "opt", for: "opt-" + i }, box, el("span", { class: "txt", text: o.label }));
          row.box = box;
          group.append(row);
          return row;
        }
        const b = ctx.button("opt", el("span", { class: "row" }, el("span", { class: "mark", "aria-hidden": "true" }), el("span", { class: "txt", text: o.label })), () => onVote(i, b), { role: "radio", "aria-checked": "false" });
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
      const ack = await ctx.run(b, "vote", { activity: a.id, choices: [i] });
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
        ctx.showError(() => t("poll.choose_one"));
        return;
      }
      if (choices.length > a.maxChoices) {
        ctx.showError(() => t("err.invalid_choice"));
        return;
      }
      setText(confirm, "");
      const ack = await ctx.run(submit, "vote", { activity: a.id, choices });
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
          const fill = el("span", { class: "fill" });
          const li = el(
            "li",
            null,
            el("span", { class: "rl" }, el("span", { class: "txt", text: o.label }), el("span", { class: "num" })),
            el("span", { class: "bar", "aria-hidden": "true" }, fill),
          );
          li.fill = fill;
          resList.append(li);
        }
      }
      const parts = [];
      const pcts = shares(a.options.map((o) => o.votes), voters);
      a.options.forEach((o, i) => {
        const li = resList.children[i];
        const share = pcts[i];
        setText(li.querySelector(".num"), t("poll.count", { n: o.votes, pct: share }));
        li.fill.style.width = share + "%";
        li.classList.toggle("mine", mine.includes(i));
        parts.push(t("say.pair", { label: o.label, value: t("poll.count", { n: o.votes, pct: share }) }));
      });
      setText(resTotal, t("poll.voters", { n: voters }));
      live.set(t("poll.results") + ". " + parts.join(", ") + ". " + t("poll.voters", { n: voters }));
    }

    return {
      el: root,
      update(next, y) {
        a = next;
        const l = JSON.stringify(a.options.map((o) => o.label));
        if (l !== labels) {
          labels = l;
          build();
        }
        if (Array.isArray(y.choices)) mine = y.choices.slice();
        head.update(a, ctx.stateNote(a, { draft: t("poll.draft"), closed: t("poll.closed") }));
        setText(hint, open() ? (multi ? t("poll.hint_multi", { n: a.maxChoices }) : t("poll.hint_single")) : "");
        hint.hidden = !open();
        if (!open()) sel = null;
        paint();
        paintResults();
        if (!confirm.textContent && mine.length) setText(confirm, t("poll.voted"));
      },
      destroy: live.stop,
    };
  },
};
