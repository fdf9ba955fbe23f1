// The session report: /report/<id>#<facilitatorKey>. One printable page
// drawn from the facilitator export (GET /api/sessions/{id}/export): every
// activity's results as an SVG chart and as a table (the table is the
// chart's text equivalent), results by constituency, the speaker queue's
// record and the moderation record. User text goes in with textContent only.
//
// Each kind is drawn by a function report(view, t, kit) that returns a
// node: the ones built in below, or, for a kind this file does not know, a
// report export of /static/js/kinds/<kind>.js; failing both, a generic
// table of the view's fields. kit is REPORT_KIT: the shared drawing helpers.
import { initI18n, t, plural, lang, languageSwitcher } from "/static/js/i18n.js";
import { shares } from "/static/js/dom.js";

const $ = (id) => document.getElementById(id);
const SVG_NS = "http://www.w3.org/2000/svg";

// DEFAULT_MIN_SEGMENT is PROTOCOL.md's default minSegment: a group with
// fewer answers is not shown, so that nobody's answer can be singled out.
const DEFAULT_MIN_SEGMENT = 5;

// PUBLISHED_LIMIT bounds the entries a board lists in the report; the
// export has every one.
const PUBLISHED_LIMIT = 100;

const R = { id: "", key: "", data: null, seq: 0 };

// ---- building blocks ----

function h(tag, opts = {}, children = []) {
  const e = document.createElement(tag);
  if (opts.cls) e.className = opts.cls;
  if (opts.text != null) e.textContent = String(opts.text);
  if (opts.attrs) for (const [k, v] of Object.entries(opts.attrs)) if (v != null) e.setAttribute(k, v);
  for (const c of children) if (c) e.append(c);
  return e;
}

function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text != null) e.textContent = String(text);
  return e;
}

let idSeq = 0;
const nextId = (p) => `${p}-${++idSeq}`;

function num(n) {
  return new Intl.NumberFormat(lang()).format(Number(n) || 0);
}

function share(n, total) {
  if (!total) return "–";
  return new Intl.NumberFormat(lang(), { style: "percent", maximumFractionDigits: 0 }).format(n / total);
}

// sharesOf are the shares of counts in total, written: adding up to 100
// where the counts add up to the total (a single-choice poll), as the
// console's and the display's bars do.
function sharesOf(counts, total) {
  return shares(counts, total).map((p) => share(p, 100));
}

function duration(seconds) {
  const s = Math.round(Number(seconds) || 0);
  const m = Math.floor(s / 60);
  return m > 0 ? t("time.minSec", { m: num(m), s: String(s % 60).padStart(2, "0") }) : t("time.sec", { s: num(s) });
}

function dateTime(iso) {
  const d = new Date(iso);
  if (!iso || isNaN(d)) return "";
  return new Intl.DateTimeFormat(lang(), { dateStyle: "long", timeStyle: "short", timeZone: "UTC" }).format(d) + " UTC";
}

// contentLang is the language of the session's own text as the report
// shows it: the page's language when the session has it, else its first.
function contentLang() {
  const langs = (R.data && R.data.languages) || [];
  if (langs.includes(lang())) return lang();
  return langs[0] || "";
}

// defaultLang is the session's first language: that of every plain text.
function defaultLang() {
  const langs = (R.data && R.data.languages) || [];
  return langs[0] || "";
}

// text picks an item's text in the report's content language: from its map
// (field + "s", e.g. "labels" beside "label") when there is one, else the
// plain field. It returns [text, its language or ""].
function text(item, field) {
  const map = item && item[field + "s"];
  const want = contentLang();
  if (map && typeof map === "object" && want && map[want]) return [map[want], want];
  return [item ? item[field] || "" : "", defaultLang()];
}

// userEl is an element holding the session's text, with its lang.
function userEl(tag, value, language, cls) {
  const e = h(tag, { cls, text: value });
  if (language) e.lang = language;
  return e;
}

// consText is a constituency the export names by its identity, in the
// report's content language when the session's list gives it so: [text,
// its language].
function consText(c) {
  const x = R.data || {};
  const i = (x.constituencies || []).indexOf(c);
  const map = i >= 0 && Array.isArray(x.constituencyNames) ? x.constituencyNames[i] : null;
  const want = contentLang();
  if (map && want && map[want]) return [map[want], want];
  return [c, defaultLang()];
}

function constituencyName(c) {
  if (c === "" || c == null) return t("cons.none");
  if (c === "other") return t("cons.other");
  return consText(c)[0];
}

// consCell is a constituency's name for a table: the session's text with
// its lang, or the page's own words for "Other" and "Not given".
function consCell(c) {
  if (c === "" || c == null || c === "other") return constituencyName(c);
  const [name, language] = consText(c);
  return userEl("span", name, language);
}

// barChart draws rows [{label, value, note}] as horizontal bars on one
// scale. The SVG is hidden from assistive technology: the table beside
// it says the same.
function barChart(rows, opts = {}) {
  const max = opts.max || Math.max(1, ...rows.map((r) => r.value));
  // A small multiple is drawn narrower, so that its text prints at about
  // the size of the page's in half a column.
  const width = opts.compact ? 360 : 640;
  const labelH = 16;
  const barH = opts.compact ? 12 : 16;
  const rowH = labelH + barH + 10;
  const barW = width - (opts.compact ? 80 : 90);
  const el = svg("svg", {
    viewBox: `0 0 ${width} ${rows.length * rowH + 4}`,
    class: "chart" + (opts.compact ? " chart-compact" : ""),
    "aria-hidden": "true",
    focusable: "false",
  });
  rows.forEach((r, i) => {
    const y = i * rowH;
    const label = String(r.label);
    el.append(svg("text", { x: 0, y: y + 13, class: "chart-label" }, label.length > 90 ? label.slice(0, 88) + "…" : label));
    el.append(svg("rect", { x: 0, y: y + labelH + 2, width: barW, height: barH, class: "chart-track", rx: 2 }));
    const w = max > 0 ? (r.value / max) * barW : 0;
    if (w > 0) el.append(svg("rect", { x: 0, y: y + labelH + 2, width: w.toFixed(2), height: barH, class: "chart-bar", rx: 2 }));
    el.append(svg("text", { x: barW + 8, y: y + labelH + barH - 1, class: "chart-value" }, r.note != null ? r.note : num(r.value)));
  });
  return el;
}

// NUMERIC is what a cell of a numbers column reads like: counts, shares
// and durations ("12", "2 (33 %)", "3 min 05 s").
const NUMERIC = /^[\d\s.,:%()\u00a0\u202f–-]*(min|s)?[\d\s.,:%()\u00a0\u202f–-]*s?$/;

// table builds a data table: head is a list of column headers, rows a
// list of rows whose first cell heads its row. A cell is a string, a
// number or a node. A column whose every cell is a number, or reads like
// one, is right-aligned with its header (opts.numeric: false for none).
function table(caption, head, rows, opts = {}) {
  const tb = h("table", { cls: "data" + (opts.cls ? " " + opts.cls : "") });
  if (caption) tb.append(h("caption", { text: caption }));
  const isNum = head.map(
    (_, i) =>
      i > 0 &&
      opts.numeric !== false &&
      rows.length > 0 &&
      rows.every((r) => typeof r[i] === "number" || (typeof r[i] === "string" && r[i] !== "" && NUMERIC.test(r[i]))),
  );
  const thead = h("thead");
  const tr = h("tr");
  head.forEach((c, i) => tr.append(h("th", { text: c, attrs: { scope: "col", class: isNum[i] ? "num" : null } })));
  thead.append(tr);
  tb.append(thead);
  const body = h("tbody");
  for (const row of rows) {
    const r = h("tr");
    row.forEach((c, i) => {
      const cell = h(i === 0 ? "th" : "td", { attrs: i === 0 ? { scope: "row" } : {} });
      if (typeof c === "number") cell.textContent = num(c);
      else if (c instanceof Node) cell.append(c);
      else cell.textContent = c == null ? "" : String(c);
      if (isNum[i]) cell.className = "num";
      r.append(cell);
    });
    body.append(r);
  }
  tb.append(body);
  return tb;
}

// chartBlock is a chart with its table: what prints together stays
// together.
function chartBlock(chart, tb) {
  return h("div", { cls: "chart-block" }, [chart, tb]);
}

// facts is a row of labelled figures.
function facts(pairs) {
  const dl = h("dl", { cls: "summary figures" });
  for (const [k, v] of pairs) dl.append(h("div", {}, [h("dt", { text: k }), h("dd", { text: v })]));
  return dl;
}

function note(s) {
  return h("p", { cls: "note", text: s });
}

// segmentsOf splits a view's segments into those shown and the number left
// out: a group with fewer than minSegment answers is not shown in a report
// meant to be shared (the export keeps it), and the view may have left
// some out already (segmentsHidden).
function segmentsOf(view) {
  const min = view.minSegment || DEFAULT_MIN_SEGMENT;
  const all = Array.isArray(view.segments) ? view.segments : [];
  const shown = [];
  let hidden = Number(view.segmentsHidden) || 0;
  for (const s of all) {
    const n = answersOf(s);
    if (n > 0 && n < min) hidden++;
    else shown.push(s);
  }
  return { shown, hidden, min };
}

function answersOf(seg) {
  for (const f of ["responses", "voters", "entries"]) if (typeof seg[f] === "number") return seg[f];
  return 0;
}

// segmentBlock is the "by constituency" part of a segmented view: one
// small chart per constituency on the kind's own drawing (draw(segment)),
// after an optional cross table, and a note of the groups left out.
function segmentBlock(view, draw, cross) {
  if (!view.segment && !Array.isArray(view.segments)) return null;
  const { shown, hidden, min } = segmentsOf(view);
  const box = h("div", { cls: "segments" });
  box.append(h("h3", { text: t("seg.heading") }));
  if (cross && shown.length) box.append(cross(shown));
  const grid = h("div", { cls: "multiples" });
  for (const s of shown) {
    if (answersOf(s) === 0) continue;
    const cell = h("div", { cls: "multiple" });
    const head = h("h4");
    head.append(consCell(s.constituency), document.createTextNode(" · " + plural("seg.answers", answersOf(s))));
    cell.append(head, draw(s));
    grid.append(cell);
  }
  if (grid.children.length) box.append(grid);
  if (!shown.length && !hidden) box.append(note(t("seg.none")));
  if (hidden > 0) box.append(note(plural("seg.hidden", hidden, { min: num(min) })));
  return box;
}

/** REPORT_KIT is what a kind's report() draws with. */
export const REPORT_KIT = Object.freeze({
  h, svg, barChart, table, chartBlock, facts, note, segmentBlock, segmentsOf, text, userEl, consCell,
  constituencyName, num, share, duration, dateTime,
});

// ---- the kinds ----

function pollReport(a) {
  const out = [];
  const voters = a.voters || 0;
  const labels = (a.options || []).map((o) => text(o, "label"));
  out.push(h("p", { cls: "facts", text: plural("poll.voters", voters) }));
  const votesOf = (opts) => (opts || []).map((o) => o.votes || 0);
  const sh = sharesOf(votesOf(a.options), voters);
  const rows = (a.options || []).map((o, i) => ({ label: labels[i][0], value: o.votes || 0, note: `${num(o.votes || 0)} (${sh[i]})` }));
  const tb = table(
    t("poll.caption"),
    [t("poll.option"), t("poll.votes"), t("poll.share")],
    (a.options || []).map((o, i) => [userEl("span", labels[i][0], labels[i][1]), o.votes || 0, sh[i]]),
  );
  out.push(chartBlock(barChart(rows), tb));
  const segs = segmentBlock(
    a,
    (s) => {
      const gsh = sharesOf(votesOf(s.options), answersOf(s));
      return barChart(
        (s.options || []).map((o, i) => ({ label: (labels[i] || [o.label])[0], value: o.votes || 0, note: `${num(o.votes || 0)} (${gsh[i]})` })),
        { compact: true },
      );
    },
    (shown) => {
      const head = [t("poll.option")];
      for (const s of shown) head.push(`${constituencyName(s.constituency)} (${t("seg.n", { n: num(answersOf(s)) })})`);
      const gsh = shown.map((s) => sharesOf((a.options || []).map((_, i) => ((s.options || [])[i] || {}).votes || 0), answersOf(s)));
      const rows = (a.options || []).map((o, i) => {
        const row = [userEl("span", labels[i][0], labels[i][1])];
        shown.forEach((s, j) => {
          const v = ((s.options || [])[i] || {}).votes || 0;
          row.push(`${num(v)} (${gsh[j][i]})`);
        });
        return row;
      });
      return table(t("seg.pollCaption"), head, rows, { cls: "cross" });
    },
  );
  if (segs) out.push(segs);
  return out;
}

function cloudReport(a) {
  const out = [];
  const words = (a.words || []).filter((w) => !w.hidden && !w.pending);
  out.push(h("p", { cls: "facts", text: t("wc.summary", { entries: plural("wc.entries", a.entries || 0), words: plural("wc.wordsShown", words.length) }) }));
  if (words.length) {
    const top = words.slice(0, 20);
    out.push(
      chartBlock(
        barChart(top.map((w) => ({ label: w.text, value: w.count }))),
        table(plural("wc.caption", top.length), [t("wc.word"), t("wc.count")], top.map((w) => [w.text, w.count])),
      ),
    );
  } else {
    out.push(note(t("wc.empty")));
  }
  const hidden = (a.words || []).filter((w) => w.hidden).length;
  const pending = (a.words || []).filter((w) => w.pending && !w.hidden).length;
  const flagged = (a.words || []).filter((w) => w.flagged).length;
  out.push(h("h3", { text: t("mod.heading") }));
  out.push(
    table(t("wc.modCaption"), [t("mod.what"), t("mod.count")], [
      [t("wc.shown"), words.length],
      [t("wc.flagged"), flagged],
      [t("wc.pending"), pending],
      [t("wc.hidden"), hidden],
    ]),
  );
  const segs = segmentBlock(a, (s) => barChart((s.words || []).slice(0, 8).map((w) => ({ label: w.text, value: w.count })), { compact: true }));
  if (segs) out.push(segs);
  return out;
}

// moderation counts a board's entries by status, overall and grouped by
// key(entry).
function moderation(entries, key) {
  const rows = new Map();
  const add = (k, e) => {
    let r = rows.get(k);
    if (!r) rows.set(k, (r = { asked: 0, shown: 0, answered: 0, hidden: 0, pending: 0 }));
    r.asked++;
    if (e.status === "visible" || e.status === "answered") r.shown++;
    if (e.status === "answered") r.answered++;
    if (e.status === "hidden") r.hidden++;
    if (e.status === "pending") r.pending++;
  };
  for (const e of entries) add(key(e), e);
  return rows;
}

// smallLeftOut draws the groups of a moderation record that have at least
// DEFAULT_MIN_SEGMENT entries, and says how many were left out: a report is
// shared, and a group of one would name whoever asked.
function smallLeftOut(rows, hiddenKey, draw) {
  const kept = new Map();
  let hidden = 0;
  for (const [k, r] of rows) {
    if (r.asked < DEFAULT_MIN_SEGMENT) hidden++;
    else kept.set(k, r);
  }
  const out = [];
  if (kept.size) out.push(draw(kept));
  if (hidden) {
    out.push(note(plural(hiddenKey, hidden, { min: num(DEFAULT_MIN_SEGMENT) })));
  }
  return out;
}

function moderationTable(caption, firstHead, rows, nameOf, moderated) {
  const head = [firstHead, t("mod.asked"), moderated ? t("mod.approved") : t("mod.shown"), t("mod.answered"), t("mod.hidden"), t("mod.pending")];
  const body = [];
  for (const [k, r] of rows) body.push([nameOf(k), r.asked, r.shown, r.answered, r.hidden, r.pending]);
  return table(caption, head, body);
}

function boardReport(a) {
  const out = [];
  const entries = a.entries || [];
  const published = entries.filter((e) => e.status === "visible" || e.status === "answered");
  out.push(h("p", { cls: "facts", text: t("qa.summary", { sent: plural("qa.sent", entries.length), shown: plural("qa.shownN", published.length) }) }));
  if (published.length) {
    const list = [...published].sort((x, y) => (y.votes || 0) - (x.votes || 0)).slice(0, PUBLISHED_LIMIT);
    const hasVotes = list.some((e) => typeof e.votes === "number");
    const head = [t("qa.entry")];
    if (hasVotes) head.push(t("qa.votes"));
    head.push(t("qa.status"));
    out.push(
      table(t("qa.caption"), head, list.map((e) => {
        const row = [e.lang ? userEl("span", e.text, e.lang) : e.text];
        if (hasVotes) row.push(e.votes || 0);
        row.push(e.status === "answered" ? t("qa.answered") : t("qa.open"));
        return row;
      }), { numeric: true }),
    );
    if (published.length > list.length) out.push(note(plural("qa.more", published.length - list.length)));
  } else {
    out.push(note(t("qa.empty")));
  }
  out.push(...moderationRecord(entries, a.moderated));
  return out;
}

// moderationRecord is a board's entries counted by what moderation did
// with them: all, then by constituency and by language, small groups left
// out.
function moderationRecord(entries, moderated) {
  const out = [];
  out.push(h("h3", { text: t("mod.heading") }));
  const all = moderation(entries, () => "");
  if (!all.size) all.set("", { asked: 0, shown: 0, answered: 0, hidden: 0, pending: 0 });
  out.push(moderationTable(t("mod.caption"), t("mod.board"), all, () => t("mod.all"), moderated));
  if (entries.some((e) => "constituency" in e)) {
    out.push(...smallLeftOut(moderation(entries, (e) => e.constituency || ""), "seg.hidden", (rows) =>
      moderationTable(t("mod.byConstituency"), t("mod.constituency"), rows, consCell, moderated)));
  }
  if (entries.some((e) => e.lang)) {
    const names = new Intl.DisplayNames([lang()], { type: "language" });
    const langName = (k) => {
      if (!k) return t("lang.unknown");
      try {
        return names.of(k) || k;
      } catch (e) {
        return k;
      }
    };
    out.push(...smallLeftOut(moderation(entries, (e) => e.lang || ""), "mod.hiddenLangs", (rows) =>
      moderationTable(t("mod.byLanguage"), t("mod.language"), rows, langName, moderated)));
  }
  return out;
}

function queueReport(a) {
  const out = [];
  const speakers = a.speakers || [];
  const order = [];
  const by = new Map();
  const row = (c) => {
    let r = by.get(c);
    if (!r) {
      by.set(c, (r = { turns: 0, seconds: 0, first: 0, order: 0 }));
      order.push(c);
    }
    return r;
  };
  // The queue's constituencies first, in their order, even those that
  // never spoke: a report says who was not heard too.
  for (const c of a.constituencies || []) row(c);
  let total = 0;
  let firstTime = 0;
  let points = 0;
  const seen = new Set();
  for (const s of speakers) {
    const r = row(s.constituency || "");
    r.turns++;
    r.seconds += Number(s.seconds) || 0;
    total += Number(s.seconds) || 0;
    // firstTime is the server's word; an older export has none, and the
    // name is then the best guess of who spoke before.
    const first = "firstTime" in s ? s.firstTime : !seen.has(s.name + "\u0000" + (s.constituency || ""));
    seen.add(s.name + "\u0000" + (s.constituency || ""));
    if (first) {
      r.first++;
      firstTime++;
    }
    if (s.kind === "order") {
      r.order++;
      points++;
    }
  }
  out.push(
    facts([
      [t("queue.turns"), num(speakers.length)],
      [t("queue.time"), duration(total)],
      [t("queue.first"), num(firstTime)],
      [t("queue.order"), num(points)],
    ]),
  );
  if (order.length) {
    const chart = barChart(order.map((c) => ({ label: constituencyName(c), value: by.get(c).seconds, note: duration(by.get(c).seconds) })));
    const tb = table(
      t("queue.caption"),
      [t("mod.constituency"), t("queue.turns"), t("queue.time"), t("queue.timeShare"), t("queue.first"), t("queue.order")],
      order.map((c) => {
        const r = by.get(c);
        return [consCell(c), r.turns, duration(r.seconds), share(r.seconds, total), r.first, r.order];
      }),
    );
    out.push(chartBlock(chart, tb));
  }
  if (speakers.length) {
    out.push(
      table(
        t("queue.speakersCaption"),
        ["#", t("queue.name"), t("mod.constituency"), t("queue.kind"), t("queue.time")],
        speakers.map((s, i) => [
          String(i + 1),
          s.name ? userEl("span", s.name, "") : t("queue.anonymous"),
          consCell(s.constituency || ""),
          s.kind === "order" ? t("queue.pointOfOrder") : t("queue.speak"),
          duration(s.seconds),
        ]),
        { numeric: false },
      ),
    );
  } else {
    out.push(note(t("queue.none")));
  }
  return out;
}

// fixed is a mean or a median for a table: one decimal, or a dash for none.
function fixed(x) {
  return typeof x === "number" ? new Intl.NumberFormat(lang(), { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(x) : "–";
}

function scaleReport(a) {
  const out = [];
  const min = a.min ?? 1;
  const max = a.max ?? 5;
  const sts = a.statements || [];
  out.push(h("p", { cls: "facts", text: plural("scale.voters", a.voters || 0) + " · " + t("scale.range", { min: num(min), max: num(max) }) }));
  const ends = [a.labels && a.labels.min, a.labels && a.labels.max].filter(Boolean);
  if (ends.length === 2) out.push(note(t("scale.ends", { min: `${num(min)} = ${a.labels.min}`, max: `${num(max)} = ${a.labels.max}` })));
  const labels = sts.map((st) => text(st, "label"));
  // The means on the scale's own range: a bar starts at its lowest point.
  const meansChart = (list, opts) =>
    barChart(list.map((st, i) => ({ label: (labels[i] || [st.label])[0], value: typeof st.mean === "number" ? st.mean - min : 0, note: fixed(st.mean) })),
      Object.assign({ max: Math.max(1, max - min) }, opts));
  const points = [];
  for (let p = min; p <= max; p++) points.push(p);
  const tb = table(
    t("scale.caption"),
    [t("scale.statement"), ...points.map((p) => num(p)), t("scale.mean"), t("scale.median"), t("scale.responses")],
    sts.map((st, i) => [userEl("span", labels[i][0], labels[i][1]), ...points.map((_, j) => (st.counts || [])[j] || 0), fixed(st.mean), fixed(st.median), st.responses || 0]),
  );
  out.push(chartBlock(meansChart(sts), tb));
  const segs = segmentBlock(a, (sg) => meansChart(sg.statements || [], { compact: true }));
  if (segs) out.push(segs);
  return out;
}

function rankingReport(a) {
  const out = [];
  const opts = a.options || [];
  const order = Array.isArray(a.order) && a.order.length ? a.order : opts.map((_, i) => i);
  const labels = opts.map((o) => text(o, "label"));
  out.push(h("p", { cls: "facts", text: plural("ranking.voters", a.voters || 0) }));
  const chartOf = (options, ord, o2) =>
    barChart(ord.map((i) => ({ label: (labels[i] || [options[i].label])[0], value: (options[i] || {}).score || 0 })), o2);
  const tb = table(
    t("ranking.caption"),
    [t("ranking.option"), t("ranking.place"), t("ranking.score"), t("ranking.firsts")],
    order.map((i, place) => [userEl("span", labels[i][0], labels[i][1]), place + 1, opts[i].score || 0, opts[i].firsts || 0]),
  );
  out.push(chartBlock(chartOf(opts, order), tb));
  out.push(note(t("ranking.borda")));
  const segs = segmentBlock(a, (sg) => {
    const so = sg.options || [];
    const ord = Array.isArray(sg.order) && sg.order.length ? sg.order : so.map((_, i) => i);
    return chartOf(so, ord, { compact: true });
  });
  if (segs) out.push(segs);
  return out;
}

// quizReport shows the answers per option and the leaderboard; never who
// answered what (the export has that): a report is shared.
function quizReport(a) {
  const out = [];
  const opts = a.options || [];
  const correct = new Set(a.correct || []);
  const labels = opts.map((o) => text(o, "label"));
  out.push(h("p", { cls: "facts", text: plural("quiz.answers", a.responses || 0) }));
  const rows = opts.map((o, i) => ({ label: labels[i][0] + (correct.has(i) ? " ✓" : ""), value: o.count || 0 }));
  const tb = table(
    t("quiz.caption"),
    [t("quiz.option"), t("quiz.count"), t("quiz.correct")],
    opts.map((o, i) => [userEl("span", labels[i][0], labels[i][1]), o.count || 0, correct.has(i) ? t("quiz.yes") : ""]),
  );
  out.push(chartBlock(barChart(rows), tb));
  const board = a.leaderboard || [];
  if (board.length) {
    out.push(table(t("quiz.leaderboard"), [t("quiz.rank"), t("quiz.name"), t("quiz.points")], board.map((r) => [String(r.rank), r.number ? t("quiz.participant", { n: num(r.number) }) : r.name, r.points || 0])));
  }
  const segs = segmentBlock(a, (sg) => {
    const box = h("div");
    box.append(barChart((sg.options || []).map((o, i) => ({ label: (labels[i] || [o.label])[0] + (correct.has(i) ? " ✓" : ""), value: o.count || 0 })), { compact: true }));
    box.append(note(t("quiz.right", { right: num(sg.right || 0), answers: num(sg.answers || 0) })));
    return box;
  });
  if (segs) out.push(segs);
  return out;
}

function openReport(a) {
  const out = [];
  const entries = a.entries || [];
  const published = entries.filter((e) => e.status === "visible");
  out.push(h("p", { cls: "facts", text: t("open.summary", { sent: plural("open.sent", entries.length), shown: plural("open.shownN", published.length) }) }));
  if (published.length) {
    // Highlighted first, then in the order they came (the export's is newest first).
    const list = [...published].reverse().sort((x, y) => Number(!!y.highlighted) - Number(!!x.highlighted)).slice(0, PUBLISHED_LIMIT);
    out.push(table(t("open.caption"), [t("open.entry"), t("open.highlighted")], list.map((e) => [e.lang ? userEl("span", e.text, e.lang) : e.text, e.highlighted ? t("quiz.yes") : ""]), { numeric: false }));
    if (published.length > list.length) out.push(note(plural("qa.more", published.length - list.length)));
  } else {
    out.push(note(t("open.empty")));
  }
  out.push(...moderationRecord(entries, a.moderated));
  return out;
}

// genericReport shows what any view carries: its numbers, and each list of
// items as a table of their plain fields.
function genericReport(a) {
  const out = [];
  const skip = new Set(["id", "kind", "title", "titles", "state", "revealed", "segments", "segmentsHidden"]);
  const facts = [];
  for (const [k, v] of Object.entries(a)) {
    if (skip.has(k)) continue;
    if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") facts.push([k, String(v)]);
  }
  if (facts.length) out.push(table(t("generic.facts"), [t("generic.field"), t("generic.value")], facts, { numeric: false }));
  for (const [k, v] of Object.entries(a)) {
    if (skip.has(k) || !Array.isArray(v) || !v.length || typeof v[0] !== "object" || v[0] === null) continue;
    const cols = Object.keys(v[0]).filter((c) => v.some((it) => ["string", "number", "boolean"].includes(typeof it[c])));
    if (!cols.length) continue;
    out.push(table(k, cols, v.map((it) => cols.map((c) => (it[c] == null ? "" : typeof it[c] === "number" ? it[c] : String(it[c]))))));
  }
  if (!out.length) out.push(note(t("generic.nothing")));
  return out;
}

const BUILT_IN = {
  poll: pollReport, wordcloud: cloudReport, qa: boardReport, queue: queueReport,
  scale: scaleReport, ranking: rankingReport, quiz: quizReport, open: openReport,
};

// reporters caches each kind's report function.
const reporters = new Map();

async function reporterFor(kind) {
  if (BUILT_IN[kind]) return BUILT_IN[kind];
  if (reporters.has(kind)) return reporters.get(kind);
  let fn = null;
  if (/^[a-z][a-z0-9]*$/.test(kind)) {
    try {
      const m = await import(`/static/js/kinds/${kind}.js`);
      if (typeof m.report === "function") fn = (v) => m.report(v, t, REPORT_KIT);
    } catch (e) {
      // No module for that kind: the generic table shows it.
    }
  }
  reporters.set(kind, fn || genericReport);
  return reporters.get(kind);
}

// ---- the page ----

function kindName(kind) {
  const k = "kind." + kind;
  const s = t(k);
  return s === k ? kind : s;
}

function stateName(state) {
  const k = "state." + state;
  const s = t(k);
  return s === k ? state : s;
}

function responsesOf(a) {
  for (const f of ["responses", "voters"]) if (typeof a[f] === "number") return a[f];
  if (typeof a.entries === "number") return a.entries;
  if (Array.isArray(a.entries)) return a.entries.length;
  if (Array.isArray(a.speakers)) return a.speakers.length;
  return null;
}

async function render() {
  const seq = ++R.seq;
  const x = R.data;
  const doc = h("div");
  const [title, titleLang] = text(x, "title");
  document.title = t("page.titleFor", { title });

  const head = h("header", { cls: "report-head" });
  head.append(h("p", { cls: "report-kicker", text: t("report.kicker") }));
  const h1 = userEl("h1", title, titleLang);
  h1.id = "report-title";
  head.append(h1);
  const facts = [
    [t("summary.date"), dateTime(x.createdAt)],
    [t("summary.code"), x.code || ""],
    [t("summary.state"), x.state === "ended" ? t("summary.ended") : t("summary.live")],
    [t("summary.participants"), num(x.participants || 0)],
    [t("summary.activities"), num((x.activities || []).length)],
  ];
  if (Array.isArray(x.languages) && x.languages.length) {
    const names = new Intl.DisplayNames([lang()], { type: "language" });
    facts.push([t("summary.languages"), x.languages.map((l) => {
      try {
        return names.of(l) || l;
      } catch (e) {
        return l;
      }
    }).join(", ")]);
  }
  const dl = h("dl", { cls: "summary" });
  for (const [k, v] of facts) dl.append(h("div", {}, [h("dt", { text: k }), h("dd", { text: v })]));
  if (Array.isArray(x.constituencies) && x.constituencies.length) {
    const dd = h("dd");
    x.constituencies.forEach((c, i) => {
      if (i) dd.append(document.createTextNode(", "));
      dd.append(consCell(c));
    });
    dl.append(h("div", {}, [h("dt", { text: t("summary.constituencies") }), dd]));
  }
  head.append(dl);
  doc.append(head);

  const acts = x.activities || [];
  if (acts.length) {
    const nav = h("nav", { cls: "report-toc", attrs: { "aria-labelledby": "toc-heading" } });
    nav.append(h("h2", { text: t("toc.heading"), attrs: { id: "toc-heading" } }));
    const ol = h("ol");
    nav.append(ol);
    const sections = [];
    for (const a of acts) {
      const id = nextId("act");
      const [at, al] = text(a, "title");
      const link = h("a", { attrs: { href: "#" + id } });
      // The fragment holds the key: moving to a section must not replace it.
      link.addEventListener("click", (ev) => {
        ev.preventDefault();
        const target = document.getElementById(id);
        if (target) {
          target.scrollIntoView();
          target.focus();
        }
      });
      link.append(userEl("span", at, al), document.createTextNode(" – " + kindName(a.kind)));
      ol.append(h("li", {}, [link]));
      const sec = h("section", { cls: "activity kind-" + String(a.kind).replace(/[^a-z0-9]/g, ""), attrs: { "aria-labelledby": id } });
      const h2 = userEl("h2", at, al);
      h2.id = id;
      h2.tabIndex = -1;
      sec.append(h2);
      const meta = [kindName(a.kind), stateName(a.state)];
      const n = responsesOf(a);
      if (n != null) meta.push(plural("meta.responses", n));
      sec.append(h("p", { cls: "meta", text: meta.join(" · ") }));
      const fn = await reporterFor(a.kind);
      if (seq !== R.seq) return;
      let body;
      try {
        body = fn(a, t, REPORT_KIT);
      } catch (e) {
        console.error("report of", a.kind, e);
        body = genericReport(a);
      }
      for (const n of [].concat(body || [])) if (n) sec.append(n);
      sections.push(sec);
    }
    doc.append(nav, ...sections);
  } else {
    doc.append(note(t("report.empty")));
  }
  doc.append(h("p", { cls: "report-foot", text: t("report.foot", { offset: num(x.offset || 0) }) }));

  const art = $("report");
  art.replaceChildren(...doc.childNodes);
  art.hidden = false;
  $("loading").hidden = true;
  $("failure").hidden = true;
  $("print").disabled = false;
  $("main").setAttribute("aria-busy", "false");
  document.body.dataset.ready = "true";
}

function failure(msg, retry) {
  $("loading").hidden = true;
  $("report").hidden = true;
  $("failure").hidden = false;
  $("failure-text").textContent = msg;
  $("retry").hidden = !retry;
  $("main").setAttribute("aria-busy", "false");
}

async function load() {
  $("failure").hidden = true;
  $("loading").hidden = false;
  $("main").setAttribute("aria-busy", "true");
  if (!R.id || !R.key) return failure(t("failure.unauthorized"), false);
  let res;
  try {
    res = await fetch(`/api/sessions/${encodeURIComponent(R.id)}/export`, { headers: { Authorization: `Bearer ${R.key}` } });
  } catch (e) {
    return failure(t("failure.unavailable"), true);
  }
  if (res.status === 401 || res.status === 403) return failure(t("failure.unauthorized"), false);
  if (res.status === 404) return failure(t("failure.notFound"), false);
  if (!res.ok) return failure(t("failure.unavailable"), true);
  try {
    R.data = await res.json();
  } catch (e) {
    return failure(t("failure.unavailable"), true);
  }
  await render();
}

async function main() {
  await initI18n("report");
  const m = location.pathname.match(/^\/report\/([^/]+)/);
  R.id = m ? decodeURIComponent(m[1]) : "";
  R.key = location.hash.slice(1);
  languageSwitcher($("lang"), () => {
    if (R.data) render();
    else if (!$("failure").hidden) load();
  });
  $("print").addEventListener("click", () => window.print());
  $("retry").addEventListener("click", () => load());
  await load();
}

main();
