// Q&A on each page: the console's form and moderation board, the projected
// top questions, the phone's question form and upvotes. The contract is in
// static/README-pages.md.
import { t } from "/static/js/i18n.js";
import { el, setText, isBusy, disabled, setDisabled, num, isOne, syncList, row, setButtons, setFlags, focusRow } from "/static/js/dom.js";
import { langName, markLang, sameLang, setUserText } from "/static/js/langs.js";

export const kind = "qa";

// ---- page: host ----

// A board may hold thousands of questions (5,000 by default): the console
// draws HOST_PAGE of them at a time, in the server's order, and a filter
// finds the others, so the page holds a bounded number of rows whatever the
// board.
const HOST_PAGE = 100;
// Below this many questions the filter is clutter.
const TOOLS_FROM = 20;

// matches is the filter of the console's list.
function matches(c) {
  const status = c.qaStatus.value;
  const words = c.qaSearch.value.trim().toLocaleLowerCase();
  const lang = c.qaLang && !c.qaLangRow.hidden ? c.qaLang.value : "";
  if (!status && !words && !lang) return null;
  return (e) => (!status || e.status === status) && (!lang || sameLang(e.lang, lang)) &&
    (!words || String(e.text || "").toLocaleLowerCase().includes(words));
}


function statusLabel(status) {
  return { pending: t("qa.statusPending"), visible: t("qa.statusVisible"), hidden: t("qa.statusHidden"),
    answered: t("qa.statusAnswered") }[status] || status;
}

export const host = {
  label: () => t("kind.qa"),
  state: (s) => ({ draft: t("state.qa.draft"), open: t("state.qa.open"), closed: t("state.qa.closed") })[s],

  form() {
    const moderated = el("input", { id: "qa-moderated", type: "checkbox" });
    const sort = el("select", { id: "qa-sort" },
      el("option", { value: "votes", i18n: "qa.sortVotes" }),
      el("option", { value: "time", i18n: "qa.sortTime" }));
    return {
      fields: [
        el("p", { class: "form-row check" }, moderated, el("label", { for: "qa-moderated", i18n: "qa.moderated" })),
        el("p", { class: "form-row" }, el("label", { for: "qa-sort", i18n: "qa.sort" }), sort),
      ],
      spec: (title) => ({ kind, title, moderated: moderated.checked, sort: sort.value }),
      // fill loads a draft's view into the form, for the console's Edit.
      fill(a) {
        moderated.checked = !!a.moderated;
        sort.value = a.sort === "time" ? "time" : "votes";
      },
    };
  },

  create(c, ctx) {
    c.qaInfo = el("p", { cls: "hint" });
    c.qaEmpty = el("p", { cls: "hint", text: t("qa.empty") });
    c.qaLimit = HOST_PAGE;
    const searchId = ctx.nextId("qa-search");
    const statusId = ctx.nextId("qa-status");
    c.qaSearch = el("input", { attrs: { id: searchId, type: "search", autocomplete: "off", maxlength: "200" } });
    c.qaStatus = el("select", { attrs: { id: statusId } }, [
      el("option", { attrs: { value: "" }, text: t("qa.filterAll") }),
      el("option", { attrs: { value: "pending" }, text: t("qa.statusPending") }),
      el("option", { attrs: { value: "visible" }, text: t("qa.statusVisible") }),
      el("option", { attrs: { value: "answered" }, text: t("qa.statusAnswered") }),
      el("option", { attrs: { value: "hidden" }, text: t("qa.statusHidden") }),
    ]);
    // Questions by the language they were asked in (PROTOCOL.md 1.2),
    // offered when the session has more than one.
    const langId = ctx.nextId("qa-lang");
    c.qaLang = el("select", { attrs: { id: langId } });
    c.qaLangRow = el("p", { cls: "qa-tool", hidden: true }, [el("label", { attrs: { for: langId }, text: t("qa.filterLang") }), c.qaLang]);
    c.qaLanguages = ctx.languages || (() => []);
    c.qaTools = el("div", { cls: "qa-tools", attrs: { role: "search" } }, [
      el("p", { cls: "qa-tool" }, [el("label", { attrs: { for: searchId }, text: t("qa.search") }), c.qaSearch]),
      el("p", { cls: "qa-tool" }, [el("label", { attrs: { for: statusId }, text: t("qa.filterStatus") }), c.qaStatus]),
      c.qaLangRow,
    ]);
    // A new filter starts again from the first page. Typing is coalesced:
    // one redraw per pause, not one per key.
    let typing = 0;
    const refilter = () => {
      clearTimeout(typing);
      typing = 0;
      c.qaLimit = HOST_PAGE;
      c.update(c.a);
    };
    c.qaSearch.addEventListener("input", () => {
      clearTimeout(typing);
      typing = setTimeout(refilter, 150);
    });
    c.qaSearch.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") {
        ev.preventDefault();
        refilter();
      }
    });
    c.qaStatus.addEventListener("change", refilter);
    c.qaLang.addEventListener("change", refilter);
    c.qaList = el("ul", { cls: "rows qa-rows" });
    c.qaShown = el("p", { cls: "hint qa-shown", attrs: { "aria-live": "polite" } });
    c.qaMore = ctx.button("", () => {
      const before = c.qaList.children.length;
      c.qaLimit += HOST_PAGE;
      c.update(c.a);
      // The keyboard goes on from the first question just drawn.
      const first = c.qaList.children[before];
      if (first) focusRow(first);
    }, "small");
    // The question on the big screen, with the button that takes it down.
    c.qaSpotText = el("p", { cls: "qa-spot-text" });
    c.qaSpotOff = ctx.button(t("qa.spotlightOff"), () => ctx.cmd("qa.spotlight", { activity: c.id, entry: "" }, c.err), "small");
    c.qaSpot = el("div", { cls: "qa-spot" }, [el("p", { cls: "hint", text: t("qa.spotlightNow") }), c.qaSpotText, c.qaSpotOff]);
    c.body.append(c.qaInfo, c.qaSpot, c.qaTools, c.qaEmpty, c.qaList, c.qaShown, c.qaMore);
  },

  update(c, a, ctx) {
    const entries = a.entries || [];
    const pending = entries.filter((e) => e.status === "pending").length;
    const spot = a.spotlight && a.spotlight.id ? a.spotlight : null;
    c.qaSpot.hidden = !spot;
    setText(c.qaSpotText, spot ? spot.text || "" : "");
    c.qaInfo.textContent = [
      t("qa.count", { n: entries.length }),
      a.moderated ? t("qa.moderatedInfo", { n: pending }) : t("qa.unmoderatedInfo"),
      a.sort === "time" ? t("qa.sortTime") : t("qa.sortVotes"),
    ].join(" · ");
    c.qaEmpty.hidden = entries.length > 0;
    const langs = c.qaLanguages();
    const langKey = langs.join(",");
    if (c.qaLangKey !== langKey) {
      c.qaLangKey = langKey;
      const was = c.qaLang.value;
      c.qaLang.textContent = "";
      c.qaLang.append(el("option", { attrs: { value: "" }, text: t("qa.filterAllLangs") }));
      for (const l of langs) c.qaLang.append(el("option", { attrs: { value: l, lang: l }, text: langName(l) }));
      c.qaLang.value = langs.includes(was) ? was : "";
      c.qaLangRow.hidden = langs.length < 2;
    }
    const match = matches(c);
    c.qaTools.hidden = entries.length < TOOLS_FROM && !match && c.qaLangRow.hidden;
    const found = match ? entries.filter(match) : entries;
    const shown = found.length > c.qaLimit ? found.slice(0, c.qaLimit) : found;
    const left = found.length - shown.length;
    c.qaShown.textContent = match || left > 0
      ? (match ? t("qa.showingFound", { shown: shown.length, n: found.length }) : t("qa.showing", { shown: shown.length, n: found.length }))
      : "";
    c.qaShown.hidden = !c.qaShown.textContent;
    c.qaMore.hidden = left <= 0;
    c.qaMore.textContent = t("qa.showMore", { n: Math.min(HOST_PAGE, left) });
    const act = c.id;
    syncList(c.qaList, shown, (e) => e.id, () => {
      const li = row();
      li.classList.add("qa-row");
      return li;
    }, (li, e) => {
      // Most pushes change a few questions of a long board: a row whose
      // question did not change is left alone.
      const lit = !!spot && spot.id === e.id;
      const sig = `${e.status}|${e.pinned ? 1 : 0}|${e.votes ?? 0}|${e.text}|${lit ? 1 : 0}`;
      if (li._qaSig === sig) return;
      li._qaSig = sig;
      const p = li._p;
      li.dataset.status = e.status || "";
      li.classList.toggle("is-hidden", e.status === "hidden");
      li.classList.toggle("is-pinned", !!e.pinned);
      p.text.textContent = e.text;
      markLang(p.text, e.lang || "");
      p.count.textContent = t("qa.votes", { n: e.votes ?? 0 });
      const flags = [[`tag-status tag-${e.status}`, statusLabel(e.status)]];
      if (e.pinned) flags.unshift(["tag-pinned", t("qa.pinned")]);
      if (lit) flags.unshift(["tag-presented", t("qa.spotlit")]);
      li.classList.toggle("is-spotlit", lit);
      setFlags(p, flags);
      const short = e.text.length > 40 ? `${e.text.slice(0, 40)}…` : e.text;
      const mod = (action) => () => ctx.cmd("qa.moderate", { activity: act, entry: e.id, action }, c.err);
      // A waiting question can only be approved or hidden; a hidden one shown
      // again; "answered" is undone by approving it again (back to visible).
      const approve = { key: "approve", text: t("qa.approve"), label: t("qa.approveEntry", { text: short }), cls: "primary", run: mod("approve") };
      const hide = { key: "hide", text: t("qa.hide"), label: t("qa.hideEntry", { text: short }), run: mod("hide") };
      const pin = e.pinned
        ? { key: "unpin", text: t("qa.unpin"), label: t("qa.unpinEntry", { text: short }), run: mod("unpin") }
        : { key: "pin", text: t("qa.pin"), label: t("qa.pinEntry", { text: short }), run: mod("pin") };
      // One question full screen on the displays, or back to the board.
      const spotlight = lit
        ? { key: "spotoff", text: t("qa.spotlightOff"), label: t("qa.spotlightOffEntry", { text: short }), cls: "qa-spotlight", run: () => ctx.cmd("qa.spotlight", { activity: act, entry: "" }, c.err) }
        : { key: "spot", text: t("qa.spotlight"), label: t("qa.spotlightEntry", { text: short }), cls: "qa-spotlight", run: () => ctx.cmd("qa.spotlight", { activity: act, entry: e.id }, c.err) };
      let specs;
      if (e.status === "pending") specs = [approve, hide];
      else if (e.status === "hidden") specs = [approve];
      else if (e.status === "answered") {
        specs = [{ key: "answered", text: t("qa.unanswer"), label: t("qa.unanswerEntry", { text: short }), run: mod("approve") }, hide, pin, spotlight];
      } else {
        specs = [hide, pin, { key: "answered", text: t("qa.answered"), label: t("qa.answeredEntry", { text: short }), run: mod("answered") }, spotlight];
      }
      setButtons(p, specs);
    });
  },

  summary(a) {
    const entries = a.entries || [];
    const pending = entries.filter((e) => e.status === "pending").length;
    return t("live.qa", { title: a.title || "", n: entries.length, pending });
  },
};

// ---- page: show ----

// At most this many questions are projected. Long ones take more room: the
// screen then shows fewer of them, whole, rather than cutting any.
const SHOW_MAX = 6;

// Open questions first (pinned ones first among them), then the answered
// ones; within each, by votes, ties the earlier first.
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
      const aa = a.status === "answered";
      const ba = b.status === "answered";
      if (aa !== ba) return aa ? 1 : -1;
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

// sizeOf is a question's type size on the board, by its length.
function sizeOf(text) {
  const n = Array.from(text || "").length;
  return n <= 90 ? "s" : n <= 180 ? "m" : "l";
}

// fitText shrinks node's type, from its style sheet's size down to
// minScale of it, until box no longer overflows: text is never cut.
function fitText(node, box, minScale) {
  node.style.fontSize = "";
  const base = parseFloat(getComputedStyle(node).fontSize) || 16;
  let scale = 1;
  while (scale > minScale && box.scrollHeight > box.clientHeight + 1) {
    scale = Math.max(minScale, scale - 0.05);
    node.style.fontSize = (base * scale).toFixed(1) + "px";
  }
}

function votesBox(e) {
  const votes = el("div", "qa-votes");
  votes.append(el("span", "qa-votes-n", num(e.votes || 0)), el("span", "qa-votes-l", isOne(e.votes || 0) ? t("qa.voteOne") : t("qa.votes")));
  return votes;
}

function tagsOf(e) {
  const tags = el("p", "qa-tags");
  if (e.pinned) tags.appendChild(el("span", "qa-tag qa-tag-pinned", "★ " + t("qa.pinned")));
  if (e.status === "answered") tags.appendChild(el("span", "qa-tag qa-tag-answered", "✓ " + t("qa.answered")));
  return tags.childNodes.length ? tags : null;
}

function liveLine(e) {
  let s = isOne(e.votes || 0) ? t("live.questionOne", { text: e.text || "", n: num(e.votes || 0) }) : t("live.questions", { text: e.text || "", n: num(e.votes || 0) });
  if (e.pinned) s += " " + t("qa.pinned") + ".";
  if (e.status === "answered") s += " " + t("qa.answered") + ".";
  return s;
}

export const show = {
  states: () => ({ closed: t("qa.closed"), draft: t("qa.draft") }),

  view(ctx) {
    const root = el("section", "show-activity show-qa");
    const h = ctx.header({ title: "" });
    const list = el("ol", "qa-list");
    const msg = el("p", "show-msg");
    // One question full screen (qa.spotlight).
    const spotText = el("p", "qa-spot-text");
    const spotMeta = el("div", "qa-spot-meta");
    const spot = el("div", "qa-spotlight");
    spot.append(spotText, spotMeta);
    spot.hidden = true;
    root.append(h.head, list, msg, spot);
    let last = null;
    let frame = 0;

    // fit lays the screen out again for its size: the spotlight's type
    // fills its box; the board keeps the questions that fit whole.
    function fit() {
      frame = 0;
      if (!last) return;
      if (!spot.hidden) {
        fitText(spotText, spot, 0.25);
        return;
      }
      const cards = Array.from(list.children);
      for (const c of cards) c.hidden = false;
      let shown = cards.length;
      while (shown > 1 && list.scrollHeight > list.clientHeight + 1) {
        cards[--shown].hidden = true;
      }
      const one = cards[0];
      if (one) {
        const text = one.querySelector(".qa-text");
        if (shown === 1) fitText(text, list, 0.4);
        else text.style.fontSize = "";
      }
      const more = last.total - shown;
      setText(last.more, more > 0 ? (isOne(more) ? t("qa.moreOne", { n: num(more) }) : t("qa.more", { n: num(more) })) : "");
      last.more.hidden = more <= 0;
    }
    const onResize = () => {
      if (!frame) frame = requestAnimationFrame(fit);
    };
    window.addEventListener("resize", onResize);

    return {
      el: root,
      update(a) {
        setUserText(h.head.querySelector(".show-title"), a.title || "");
        const live = [a.title || ""];
        const more = el("p", "show-count");
        more.hidden = true;
        list.textContent = "";
        last = null;
        const lit = a.spotlight && a.spotlight.id && Array.isArray(a.entries) ? a.spotlight : null;
        root.classList.toggle("is-spotlight", !!lit);
        spot.hidden = !lit;
        if (lit) {
          list.hidden = true;
          msg.hidden = true;
          spotText.textContent = lit.text || "";
          spotMeta.textContent = "";
          spotMeta.append(votesBox(lit));
          const tags = tagsOf(lit);
          if (tags) spotMeta.append(tags);
          live.push(t("live.spotlight", { text: lit.text || "" }), liveLine(lit));
          last = { total: 0, more };
        } else if (!Array.isArray(a.entries)) {
          list.hidden = true;
          msg.textContent = t("qa.hidden");
          msg.hidden = false;
          live.push(t("qa.hidden"));
        } else {
          list.hidden = false;
          // The display may show the questions of one language only.
          const only = ctx.entryLang ? ctx.entryLang() : "";
          const all = sortQuestions(a.entries).filter((e) => !only || sameLang(e.lang, only));
          const top = all.slice(0, SHOW_MAX);
          msg.hidden = top.length > 0;
          msg.textContent = t("qa.empty");
          if (!top.length) live.push(t("qa.empty"));
          for (const e of top) {
            const li = el("li", "qa-card");
            li.classList.toggle("is-answered", e.status === "answered");
            li.classList.toggle("is-pinned", !!e.pinned);
            li.dataset.size = sizeOf(e.text);
            const body = el("div", "qa-body");
            const tags = tagsOf(e);
            if (tags) body.appendChild(tags);
            const text = el("p", "qa-text", e.text || "");
            // A screen reader reads each question in its asker's language.
            markLang(text, e.lang || "");
            body.appendChild(text);
            li.append(votesBox(e), body);
            list.appendChild(li);
            live.push(liveLine(e));
          }
          last = { total: all.length, more };
        }
        ctx.fillMeta(h.meta, a, [more]);
        fit();
        ctx.announce(live);
      },
      destroy() {
        window.removeEventListener("resize", onResize);
        cancelAnimationFrame(frame);
      },
    };
  },
};

// ---- page: attendee ----

// PHONE_PAGE is how many questions a phone draws at a time.
const PHONE_PAGE = 50;

export const attendee = {
  screen(a0, ctx) {
    const head = ctx.titleBlock(a0);
    const area = el("textarea", { id: "question", class: "field", rows: "3", maxlength: "500", "aria-describedby": "q-hint" });
    area.value = ctx.drafts[a0.id] || "";
    area.addEventListener("input", () => (ctx.drafts[a0.id] = area.value));
    const send = ctx.button("btn wide", t("qa.send"), null, { type: "submit" });
    const qHint = el("p", { class: "hint", id: "q-hint" });
    const form = el("form", { class: "ask", novalidate: true }, el("label", { class: "block", for: "question", text: t("qa.label") }), area, qHint, send);
    const confirm = el("p", { class: "confirm", role: "status" });
    const mineHead = el("h2", { text: t("qa.mine") });
    const mineList = el("ul", { class: "entries" });
    const mineBox = el("section", null, mineHead, mineList);
    const byVotes = el("button", { type: "button", class: "seg", "aria-pressed": "true", text: t("qa.sort_votes"), onclick: () => sortBy("votes") });
    const byTime = el("button", { type: "button", class: "seg", "aria-pressed": "false", text: t("qa.sort_time"), onclick: () => sortBy("time") });
    const sortBar = el("div", { class: "segs", role: "group", "aria-label": t("qa.sort") }, byVotes, byTime);
    const listHead = el("h2", { text: t("qa.questions") });
    const list = el("ul", { class: "entries" });
    const empty = el("p", { class: "hint" });
    // A board may hold thousands of questions: a phone draws a page of them
    // at a time.
    let limit = PHONE_PAGE;
    const more = el("button", {
      type: "button",
      class: "btn secondary wide",
      onclick: () => {
        const before = list.children.length;
        limit += PHONE_PAGE;
        paint();
        const li = list.children[before];
        if (li) {
          li.setAttribute("tabindex", "-1");
          li.focus();
        }
      },
    });
    const root = el("section", { class: "act qa", "aria-labelledby": "act-title" }, ...head.nodes, form, confirm, mineBox, listHead, sortBar, empty, list, more);

    let a = a0;
    let y = {};
    let sort = ctx.drafts[a0.id + ":sort"] || (a0.sort === "time" ? "time" : "votes");
    const items = new Map(); // entry id -> li

    function sortBy(s) {
      sort = s;
      ctx.drafts[a.id + ":sort"] = s;
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
      const ack = await ctx.run(send, "qa.ask", { activity: a.id, text });
      if (ack) {
        area.value = "";
        ctx.drafts[a.id] = "";
        setText(confirm, a.moderated ? t("qa.received_moderated") : t("qa.received"));
      }
    });

    function item(e) {
      let li = items.get(e.id);
      if (!li) {
        const txt = el("p", { class: "qtext" });
        const badges = el("p", { class: "badges" });
        const up = ctx.button("up", el("span", null, el("span", { class: "arrow", "aria-hidden": "true", text: "▲" }), el("span", { class: "n" })), () => upvote(e.id, up), {
          "aria-pressed": "false",
        });
        li = el("li", { class: "entry" }, el("div", { class: "body" }, txt, badges), up);
        Object.assign(li, { txt, badges, up });
        items.set(e.id, li);
      }
      setText(li.txt, e.text);
      // Each question in its asker's language, for the screen reader.
      markLang(li.txt, e.lang || "");
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
      const label = t(isOne(votes) ? "qa.upvote_one" : "qa.upvote_many", { text: e.text, n: votes });
      if (li.up.getAttribute("aria-label") !== label) li.up.setAttribute("aria-label", label);
      setDisabled(li.up, a.state !== "open");
      return li;
    }

    async function upvote(id, btn) {
      if (disabled(btn) || isBusy(btn)) return;
      await ctx.run(btn, "qa.upvote", { activity: a.id, entry: id });
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
      setText(more, t("qa.show_more", { n: Math.min(PHONE_PAGE, left) }));
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
        mineList.append(el("li", { class: "entry mine" }, el("div", { class: "body" }, el("p", { class: "qtext", text: e.text, lang: e.lang || null }), el("p", { class: "badges", text: badge }))));
      }
    }

    return {
      el: root,
      update(next, you) {
        a = next;
        y = you;
        const open = a.state === "open";
        head.update(a, ctx.stateNote(a, { draft: t("qa.draft"), closed: t("qa.closed") }));
        form.hidden = !open;
        setText(qHint, a.moderated ? t("qa.moderated") : "");
        qHint.hidden = !a.moderated;
        paint();
      },
    };
  },
};
