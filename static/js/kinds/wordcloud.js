// The word cloud on each page: the console's form and moderation card, the
// projected cloud (laid out by /static/js/wordcloud.js), the phone's entry
// form. The contract is in static/README-pages.md.
import { t } from "/static/js/i18n.js";
import { el, setText, liveText, isBusy, num, isOne, codePoints, syncList, row, setButtons, setFlags, useCSS, pageOnly } from "/static/js/dom.js";
import { WordCloud } from "/static/js/wordcloud.js";
import { setUserText } from "/static/js/langs.js";

// The console and the display give segments.js; the phone has none.
const seg = () => pageOnly.segments;

export const kind = "wordcloud";

// By constituency: the share of a group's entries, the words the group
// sent most.
const segEntries = (g) => g.entries || 0;
const segTop = (g, n) => (g.words || []).filter((w) => !w.hidden && !w.pending).slice(0, n);

// ---- page: host ----

export const host = {
  label: () => t("kind.wordcloud"),
  state: (s) => ({ draft: t("state.wordcloud.draft"), open: t("state.wordcloud.open"), closed: t("state.wordcloud.closed") })[s],
  idPrefix: "wc",

  form() {
    const maxEntries = el("input", { id: "wc-max-entries", type: "number", min: "1", max: "20", value: "3", inputmode: "numeric" });
    const maxLength = el("input", { id: "wc-max-length", type: "number", min: "1", max: "200", value: "40", inputmode: "numeric" });
    const moderation = el("select", { id: "wc-moderation" },
      el("option", { value: "hold", i18n: "wordcloud.hold" }),
      el("option", { value: "show", i18n: "wordcloud.show" }));
    const int = (input, fallback) => {
      const n = parseInt(input.value, 10);
      return Number.isFinite(n) ? n : fallback;
    };
    const segment = el("input", { id: "wc-segment", type: "checkbox", "aria-describedby": "wc-segment-hint" });
    return {
      fields: [
        el("p", { class: "form-row" }, el("label", { for: "wc-max-entries", i18n: "wordcloud.maxEntries" }), maxEntries),
        el("p", { class: "form-row" }, el("label", { for: "wc-max-length", i18n: "wordcloud.maxLength" }), maxLength),
        el("p", { class: "form-row" }, el("label", { for: "wc-moderation", i18n: "wordcloud.moderation" }), moderation),
        el("p", { class: "form-row check" }, segment, el("label", { for: "wc-segment", i18n: "poll.segment" }),
          el("span", { class: "hint", id: "wc-segment-hint", i18n: "poll.segmentHint" })),
      ],
      // fill loads a draft's view into the form, for the console's Edit.
      fill(a) {
        maxEntries.value = String(a.maxEntries || 3);
        maxLength.value = String(a.maxLength || 40);
        moderation.value = a.moderation === "show" ? "show" : "hold";
        segment.checked = !!a.segment;
      },
      reset() {
        segment.checked = false;
      },
      spec: (title) => {
        const spec = {
          kind,
          title,
          maxEntries: Math.max(1, int(maxEntries, 3)),
          maxLength: Math.max(1, int(maxLength, 40)),
          moderation: moderation.value,
        };
        if (segment.checked) spec.segment = true;
        return spec;
      },
    };
  },

  create(c) {
    c.wcInfo = el("p", { cls: "hint" });
    c.wcPendingHead = el("h4", { text: t("wordcloud.pendingHeading") });
    c.wcPending = el("ul", { cls: "rows" });
    c.wcWordsHead = el("h4", { text: t("wordcloud.wordsHeading") });
    c.wcEmpty = el("p", { cls: "hint", text: t("wordcloud.empty") });
    c.wcWords = el("ul", { cls: "rows" });
    c.wcSegs = el("div");
    // Merging: the same idea in the session's languages, or spellings the
    // server keeps apart, counted as one word (word.merge).
    c.wcSuggest = el("ul", { cls: "rows wc-suggest" });
    c.wcSuggestHead = el("h4", { text: t("wordcloud.suggestHeading") });
    const mid = `wc-merge-${c.id}`;
    c.wcMergeTexts = el("input", { id: `${mid}-texts`, type: "text", autocomplete: "off", "aria-describedby": `${mid}-hint` });
    c.wcMergeAs = el("input", { id: `${mid}-as`, type: "text", autocomplete: "off", maxlength: "200" });
    c.wcMergeBtn = el("button", { type: "submit", class: "small", text: t("wordcloud.merge") });
    c.wcMergeErr = el("p", { class: "field-error", role: "alert" });
    c.wcMerge = el("form", { class: "wc-merge", novalidate: true },
      el("h4", { text: t("wordcloud.mergeHeading") }),
      el("p", { class: "form-row" }, el("label", { for: c.wcMergeTexts.id, text: t("wordcloud.mergeTexts") }), c.wcMergeTexts),
      el("p", { class: "hint", id: `${mid}-hint`, text: t("wordcloud.mergeHint") }),
      el("p", { class: "form-row" }, el("label", { for: c.wcMergeAs.id, text: t("wordcloud.mergeAs") }), c.wcMergeAs),
      el("p", { class: "actions" }, c.wcMergeBtn), c.wcMergeErr);
    c.body.append(c.wcInfo, c.wcPendingHead, c.wcPending, c.wcWordsHead, c.wcEmpty, c.wcWords, c.wcSuggestHead, c.wcSuggest, c.wcMerge, c.wcSegs);
  },

  update(c, a, ctx) {
    const words = a.words || [];
    if (!c.wcMergeWired) {
      c.wcMergeWired = true;
      c.wcMerge.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const texts = c.wcMergeTexts.value.split(",").map((s) => s.trim()).filter(Boolean);
        const as = c.wcMergeAs.value.trim() || texts[0] || "";
        if (texts.length < 2) {
          c.wcMergeErr.textContent = t("wordcloud.mergeTwo");
          c.wcMergeTexts.focus();
          return;
        }
        c.wcMergeErr.textContent = "";
        const ack = await ctx.cmd("word.merge", { activity: c.id, texts, as }, c.wcMergeErr);
        if (ack) {
          c.wcMergeTexts.value = "";
          c.wcMergeAs.value = "";
          ctx.announce(t("wordcloud.merged", { words: texts.join(", "), as }));
        }
      });
    }
    paintSuggestions(c, words, ctx);
    const pending = words.filter((w) => w.pending);
    const shown = words.filter((w) => !w.pending);
    c.wcInfo.textContent = [
      t("wordcloud.entries", { n: a.entries ?? 0 }),
      t("wordcloud.perPerson", { n: a.maxEntries ?? 0 }),
      a.moderation === "show" ? t("wordcloud.moderationShow") : t("wordcloud.moderationHold"),
    ].join(" · ");
    c.wcPendingHead.hidden = pending.length === 0;
    c.wcPending.hidden = pending.length === 0;
    c.wcEmpty.hidden = shown.length > 0;
    const act = c.id;
    syncList(c.wcPending, pending, (w) => w.text, row, (li, w) => {
      const p = li._p;
      p.text.textContent = w.text;
      p.count.textContent = t("wordcloud.count", { n: w.count ?? 0 });
      setFlags(p, w.flagged ? [["tag-flagged", t("wordcloud.flagged")]] : []);
      setButtons(p, [
        { key: "approve", text: t("wordcloud.approve"), label: t("wordcloud.approveWord", { word: w.text }), cls: "primary",
          run: () => ctx.cmd("word.approve", { activity: act, text: w.text }, c.err) },
        { key: "hide", text: t("wordcloud.hide"), label: t("wordcloud.hideWord", { word: w.text }),
          run: () => ctx.cmd("word.hide", { activity: act, text: w.text }, c.err) },
      ]);
    });
    syncList(c.wcWords, shown, (w) => w.text, row, (li, w) => {
      const p = li._p;
      li.classList.toggle("is-hidden", !!w.hidden);
      p.text.textContent = w.text;
      p.count.textContent = t("wordcloud.count", { n: w.count ?? 0 });
      const flags = [];
      if (w.hidden) flags.push(["tag-hidden", t("wordcloud.hidden")]);
      if (w.flagged) flags.push(["tag-flagged", t("wordcloud.flagged")]);
      if (Array.isArray(w.merged)) flags.push(["tag-merged", t("wordcloud.mergedOf", { words: w.merged.join(", ") })]);
      setFlags(p, flags);
      const unmerge = Array.isArray(w.merged)
        ? [{ key: "unmerge", text: t("wordcloud.unmerge"), label: t("wordcloud.unmergeWord", { word: w.text }),
          run: () => ctx.cmd("word.unmerge", { activity: act, as: w.text }, c.err) }]
        : [];
      setButtons(p, unmerge.concat([w.hidden
        ? { key: "unhide", text: t("wordcloud.unhide"), label: t("wordcloud.unhideWord", { word: w.text }),
          run: () => ctx.cmd("word.unhide", { activity: act, text: w.text }, c.err) }
        : { key: "hide", text: t("wordcloud.hide"), label: t("wordcloud.hideWord", { word: w.text }),
          run: () => ctx.cmd("word.hide", { activity: act, text: w.text }, c.err) }]));
    });
    if (seg()) {
      // The cloud's top words, each group's count of them.
      const top = shown.filter((w) => !w.hidden).slice(0, 8);
      seg().place(c.wcSegs, seg().segmentsOf(a) && [seg().segmentsTable(a, top.map((w) => w.text),
        (g) => top.map((w) => ((g.words || []).find((x) => x.key === w.key) || {}).count || 0), segEntries)]);
    }
  },

  summary(a) {
    const words = (a.words || []).filter((w) => !w.hidden && !w.pending).slice(0, 5);
    const parts = words.map((w) => `${w.text} ${w.count}`);
    return t("live.wordcloud", { title: a.title || "", results: parts.join(", ") || t("live.none"), entries: a.entries ?? 0 });
  },
};

// plain is a word without case or accents: "Énergie" and "energie" are
// one word the server counts apart (it keeps accents).
function plain(s) {
  return String(s).normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

// paintSuggestions offers to merge the words that differ only by accents.
// The same word in another language is for the facilitator to see: the
// form takes any words.
function paintSuggestions(c, words, ctx) {
  const groups = new Map();
  for (const w of words) {
    if (w.pending || Array.isArray(w.merged)) continue;
    const k = plain(w.text);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(w);
  }
  const list = Array.from(groups.values()).filter((g) => g.length > 1);
  c.wcSuggestHead.hidden = c.wcSuggest.hidden = list.length === 0;
  syncList(c.wcSuggest, list, (g) => g.map((w) => w.key || w.text).join("|"), row, (li, g) => {
    const p = li._p;
    const texts = g.map((w) => w.text);
    p.text.textContent = texts.join(" · ");
    p.count.textContent = t("wordcloud.count", { n: g.reduce((n, w) => n + (w.count || 0), 0) });
    setButtons(p, [{ key: "merge", text: t("wordcloud.merge"), label: t("wordcloud.mergeWords", { words: texts.join(", ") }),
      run: () => ctx.cmd("word.merge", { activity: c.id, texts, as: texts[0] }, c.err) }]);
  });
}

// ---- page: show ----

export const show = {
  states: () => ({ closed: t("wc.closed"), draft: t("wc.draft") }),

  view(ctx) {
    const root = el("section", "show-activity show-cloud");
    const h = ctx.header({ title: "" });
    root.appendChild(h.head);
    const box = el("div", "wc-box");
    box.setAttribute("aria-hidden", "true");
    const msg = el("p", "wc-msg");
    const segs = el("div", "show-segments");
    root.append(box, msg, segs);
    const cloud = new WordCloud(box);
    return {
      el: root,
      update(a) {
        setUserText(h.head.querySelector(".show-title"), a.title || "");
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
        const segmented = words && !!seg()?.segmentsOf(a);
        if (seg()) seg().place(segs, segmented && [seg().segmentsGrid(a, (g) => segTop(g, 4).map((w) => w.text), (g) => segTop(g, 4).map((w) => w.count), null, segEntries)]);
        if (segmented) live.push(...seg().segmentLines(a, (g) => segTop(g, 4).map((w) => ({ label: w.text, n: w.count })), segEntries));
        ctx.fillMeta(h.meta, a, extra);
        ctx.announce(live);
      },
      destroy() {
        cloud.destroy();
      },
    };
  },
};

// ---- page: attendee ----

export const attendee = {
  screen(a0, ctx) {
    const head = ctx.titleBlock(a0);
    const input = el("input", { id: "word", class: "field", type: "text", autocomplete: "off", enterkeyhint: "send", "aria-describedby": "word-left" });
    input.value = ctx.drafts[a0.id] || "";
    input.addEventListener("input", () => (ctx.drafts[a0.id] = input.value));
    const send = ctx.button("btn", t("word.send"), null, { type: "submit" });
    const left = el("p", { class: "hint", id: "word-left" });
    const form = el(
      "form",
      { class: "ask", novalidate: true },
      el("label", { class: "block", for: "word", text: t("word.label") }),
      el("div", { class: "inline" }, input, send),
      left,
    );
    const confirm = el("p", { class: "confirm", role: "status" });
    const sentHead = el("h2", { text: t("word.sent") });
    const sentList = el("ul", { class: "chips" });
    const sent = el("section", null, sentHead, sentList);
    const topHead = el("h2", { text: t("word.top") });
    const topList = el("ol", { class: "topw" });
    const top = el("section", null, topHead, topList);
    const live = liveText();
    const root = el("section", { class: "act wordcloud", "aria-labelledby": "act-title" }, ...head.nodes, form, confirm, sent, top, live.el);

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
        ctx.showError(() => t("word.too_long", { n: max }));
        return;
      }
      setText(confirm, "");
      const ack = await ctx.run(send, "word.submit", { activity: a.id, text });
      if (ack) {
        input.value = "";
        ctx.drafts[a.id] = "";
        setText(confirm, t("word.received", { word: text }));
        input.focus();
      }
    });

    return {
      el: root,
      update(next, you) {
        a = next;
        y = you;
        const open = a.state === "open";
        head.update(a, ctx.stateNote(a, { draft: t("word.draft"), closed: t("word.closed") }));
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
          for (const w of words) sentList.append(el("li", { text: w }));
        }
        const list = Array.isArray(a.words) ? a.words.slice(0, 20) : null;
        top.hidden = !list || !list.length;
        if (list) {
          const want = list.map((w) => w.text + "\u00a0" + t("word.count", { n: w.count }));
          const have = Array.from(topList.children, (li) => li.textContent);
          if (want.join("\n") !== have.join("\n")) {
            topList.textContent = "";
            for (const s of want) topList.append(el("li", { text: s }));
          }
          live.set(list.length ? t("say.pair", { label: t("word.top"), value: want.join(", ") }) : "");
        }
      },
      destroy: live.stop,
    };
  },
};
