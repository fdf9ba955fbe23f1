// segments.js: results by constituency (a view's "segments"), drawn the
// same way by every kind that has them, on the console (a table) and on the
// display (one small chart per constituency). The server has already left
// out the groups under the activity's minSegment and counted them in
// "segmentsHidden". Keys: seg.* in host.json and show.json.
import { t } from "/static/js/i18n.js";
import { el, num, pct, shares, useCSS } from "/static/js/dom.js";

/** groupName is a constituency as the page says it: "other" and "" are the page's own words. */
export function groupName(c) {
  if (c === "" || c == null) return t("seg.none");
  if (c === "other") return t("seg.other");
  return c;
}

/** groupLang is the language of a group's name, as its constituencyNames say. */
export function groupLang(g) {
  const names = g && g.constituencyNames;
  if (!names || typeof names !== "object") return null;
  return Object.keys(names).find((k) => names[k] === g.constituency) || null;
}

/**
 * segmentsOf returns a view's groups and how many were left out, or null
 * when the view has none for this page (not segmented, or results hidden).
 */
export function segmentsOf(a) {
  if (!a || !Array.isArray(a.segments)) return null;
  return { list: a.segments, hidden: Number(a.segmentsHidden) || 0, min: a.minSegment || 5 };
}

/**
 * place puts a kind's drawing of its groups in box, with the segments'
 * styles, or empties box for none (not segmented, or results not shown).
 */
export function place(box, nodes) {
  if (nodes) {
    useCSS("/static/css/segments.css");
    box.replaceChildren(...nodes);
  } else if (box.firstChild) {
    box.textContent = "";
  }
}

/** hiddenNote is the sentence for the groups left out, or "". */
export function hiddenNote(s) {
  if (!s || !s.hidden) return "";
  return t(s.hidden === 1 ? "seg.hiddenOne" : "seg.hidden", { n: num(s.hidden), min: num(s.min) });
}

function shareOf(n, total) {
  return total > 0 ? n / total : 0;
}

// groupShares are a group's percents, written: adding up to 100 where its
// counts add up to its total (a single-choice poll), as the main bars do.
function groupShares(counts, total) {
  return shares(counts, total).map((p) => pct(p / 100));
}

/**
 * segmentLines are the sentences a screen reader hears for the groups:
 * one per group, "Local governments, 6 answers: Housing 2 (33 %), …",
 * then the note of those left out. rows(seg) gives [{label, n}].
 */
export function segmentLines(a, rows, total = (g) => g.responses) {
  const s = segmentsOf(a);
  if (!s) return [];
  const lines = s.list.map((g) => {
    const rs = rows(g);
    const sh = groupShares(rs.map((r) => r.n), total(g));
    const parts = rs.map((r, i) => t("seg.item", { label: r.label, n: num(r.n), pct: sh[i] }));
    return t("seg.line", { name: groupName(g.constituency), n: num(g.responses), results: parts.join(", ") });
  });
  const note = hiddenNote(s);
  if (note) lines.push(note);
  return lines;
}

/** countLines is segmentLines for counts in the items' order (counts(seg)). */
export function countLines(a, items, counts) {
  return segmentLines(a, (g) => items.map((label, i) => ({ label, n: counts(g)[i] || 0 })));
}

/**
 * segmentsTable is the console's table of a segmented activity: a row per
 * item (option, word…), a column per group, "2 (33 %)" in each cell.
 * items: [labels]; counts(seg) gives the numbers in the items' order;
 * total(seg) what a share is of (the group's answers unless said); head
 * the items' column header ("Answer" unless said).
 */
export function segmentsTable(a, items, counts, total = (g) => g.responses, head) {
  const sh = new Map();
  return valuesTable(a, items, (g, i) => {
    if (!sh.has(g)) sh.set(g, groupShares(items.map((_, k) => counts(g)[k] || 0), total(g)));
    return t("seg.cell", { n: num(counts(g)[i] || 0), pct: sh.get(g)[i] });
  }, head);
}

/**
 * valuesTable is the console's table of a segmented activity whose cells
 * are not shares (a scale's means): cell(seg, i) is the text of item i.
 */
export function valuesTable(a, items, cell, head = t("seg.item_head")) {
  const s = segmentsOf(a);
  const box = el("div", { class: "segments" });
  if (!s) return box;
  if (s.list.length) {
    const top = el("tr", null, el("th", { scope: "col", text: head }),
      s.list.map((g) => el("th", { scope: "col", class: "num", lang: groupLang(g), text: t("seg.group_head", { name: groupName(g.constituency), n: num(g.responses) }) })));
    const body = items.map((label, i) => el("tr", null, el("th", { scope: "row", text: label }),
      s.list.map((g) => el("td", { class: "num", text: cell(g, i) }))));
    box.append(el("table", { class: "seg-table" }, el("caption", { text: t("seg.heading") }), el("thead", null, top), el("tbody", null, body)));
  } else {
    box.append(el("p", { class: "seg-note", text: t("say.pair", { label: t("seg.heading"), value: t("seg.empty") }) }));
  }
  const note = hiddenNote(s);
  if (note) box.append(el("p", { class: "seg-note", text: note }));
  return box;
}

/**
 * segmentsGrid is the display's small multiples: one panel per group, its
 * name and answers, a bar per item on the group's own share. items is a
 * list of labels, or a function of the group for groups with items of
 * their own (a cloud's words); colors[i] colours item i as the main chart
 * does. The panels are hidden from assistive technology: segmentLines
 * says the same in the live region.
 */
export function segmentsGrid(a, items, counts, colors, total = (g) => g.responses) {
  const sh = new Map();
  const labelsOf = (g) => (typeof items === "function" ? items(g) : items);
  const shareText = (g, i) => {
    if (!sh.has(g)) sh.set(g, groupShares(labelsOf(g).map((_, k) => counts(g)[k] || 0), total(g)));
    return sh.get(g)[i];
  };
  return valuesGrid(a, items, (g, i) => shareOf(counts(g)[i] || 0, total(g)), shareText, colors);
}

/**
 * valuesGrid is segmentsGrid for values that are not shares: frac(seg, i)
 * is the bar's length (0 to 1), text(seg, i) what is written beside it.
 */
export function valuesGrid(a, items, frac, text, colors) {
  const s = segmentsOf(a);
  const box = el("div", { class: "seg-grid", "aria-hidden": "true" });
  if (!s) return box;
  for (const g of s.list) {
    const panel = el("div", { class: "seg" },
      el("p", { class: "seg-name" }, el("span", { class: "seg-title", lang: groupLang(g), text: groupName(g.constituency) }),
        el("span", { class: "seg-n", text: t("seg.n", { n: num(g.responses) }) })));
    const labels = typeof items === "function" ? items(g) : items;
    labels.forEach((label, i) => {
      const fill = el("span", { class: "seg-fill" });
      fill.style.width = (Math.max(0, Math.min(1, frac(g, i))) * 100).toFixed(2) + "%";
      if (colors) fill.style.backgroundColor = colors[i % colors.length];
      panel.append(el("p", { class: "seg-row" },
        el("span", { class: "seg-label", text: label }),
        el("span", { class: "seg-pct", text: text(g, i) }),
        el("span", { class: "seg-track" }, fill)));
    });
    box.append(panel);
  }
  const note = hiddenNote(s);
  if (note) box.append(el("p", { class: "seg-note", text: note }));
  return box;
}

/**
 * valueLines are segmentLines for values that are not shares: one sentence
 * per group, "Local governments, 6 answers: Housing 3.5, …".
 */
export function valueLines(a, items, text) {
  const s = segmentsOf(a);
  if (!s) return [];
  const lines = s.list.map((g) => t("seg.line", { name: groupName(g.constituency), n: num(g.responses), results: items.map((label, i) => `${label} ${text(g, i)}`).join(", ") }));
  const note = hiddenNote(s);
  if (note) lines.push(note);
  return lines;
}
