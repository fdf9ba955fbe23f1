// patch.js: applies the server's "patch" messages (PROTOCOL.md 1.1,
// "Patches") to the activity views a page holds, so that a long Q&A board
// or word cloud costs the bytes of what changed, not of the whole list.
// Pure functions and a small holder; no DOM, no connection.

/** The patchable lists of a view and the field that keys their items. */
export const LIST_KEYS = Object.freeze({ entries: "id", words: "key", waiting: "hand" });

// The field of a queue's "set" that orders its waiting list; it is not a
// field of the view itself.
const ORDER = "order";

/**
 * applyPatch returns the view that results from applying patch to view, or
 * null when the patch does not apply: the view is not held at exactly
 * patch.base (heldOffset is the offset the caller holds it at), or it is the
 * view of another activity. The caller then asks for the whole view. view
 * is not changed.
 * @param {object|null} view
 * @param {{activity: string, offset: number, base: number, set?: object,
 *          upsert?: object[], remove?: string[]}} patch
 * @param {number} heldOffset
 * @returns {object|null}
 */
export function applyPatch(view, patch, heldOffset) {
  if (!view || !patch || typeof patch.base !== "number" || patch.base !== heldOffset) return null;
  if (patch.activity !== view.id) return null;
  const field = listField(view);
  if (!field) return null;
  const key = LIST_KEYS[field];
  const next = Object.assign({}, view);
  const set = patch.set || {};
  let order = null;
  for (const k of Object.keys(set)) {
    if (k === ORDER && view.kind === "queue") order = set[k];
    else next[k] = set[k];
  }

  const had = Array.isArray(next[field]);
  const held = had ? next[field] : [];
  const index = new Map();
  held.forEach((it, i) => index.set(it[key], i));
  const list = held.slice();
  const fresh = [];
  for (const up of patch.upsert || []) {
    if (!up || typeof up !== "object") continue;
    const k = up[key];
    if (index.has(k)) {
      const i = index.get(k);
      list[i] = Object.assign({}, list[i], up);
    } else {
      index.set(k, -1 - fresh.length);
      fresh.push(Object.assign({}, up));
    }
  }
  const gone = new Set(patch.remove || []);
  // Items already held came first; new ones are the latest. Where the sort
  // rule cannot tell two items apart, that is what orders them.
  // Lists newest first put them before the held ones.
  const newestFirst = view.kind === "open" || (field === "entries" && view.sort === "time");
  let merged = newestFirst ? fresh.concat(list) : list.concat(fresh);
  merged = merged.filter((it) => !gone.has(it[key]));
  merged = sortList(view.kind, next, field, merged, order);
  if (merged.length || had) next[field] = merged;
  return next;
}

// listField names the patchable list of a view (by its kind), or "".
function listField(view) {
  switch (view.kind) {
    case "qa":
    case "open":
      return "entries";
    case "wordcloud":
      return "words";
    case "queue":
      return "waiting";
    default:
      return "";
  }
}

function time(s) {
  const t = typeof s === "string" ? Date.parse(s) : NaN;
  return isNaN(t) ? 0 : t;
}

// seq is the number of an id "<letter><N>", its place in the log (-1 for
// any other id).
function seq(id) {
  const n = typeof id === "string" && /^[a-z]\d+$/.test(id) ? Number(id.slice(1)) : NaN;
  return isNaN(n) ? -1 : n;
}

// sortList orders a list by the rule its view documents. Array sort is
// stable, so ties keep the order of the list given.
function sortList(kind, view, field, list, order) {
  if (field === "waiting") {
    if (!Array.isArray(order)) return list;
    const at = new Map(order.map((h, i) => [h, i]));
    const pos = (it) => (at.has(it.hand) ? at.get(it.hand) : order.length);
    return list.slice().sort((a, b) => pos(a) - pos(b));
  }
  if (field === "words") {
    return list.slice().sort((a, b) => (b.count || 0) - (a.count || 0));
  }
  if (kind === "open") {
    // Newest first by the log position in the id ("o<offset>"), as the
    // server's patch.Lists: createdAt has seconds only and would tie.
    return list.slice().sort((a, b) => seq(b.id) - seq(a.id));
  }
  const byTime = view.sort === "time";
  return list.slice().sort((a, b) => {
    if (!!a.pinned !== !!b.pinned) return a.pinned ? -1 : 1;
    if (byTime) return time(b.createdAt) - time(a.createdAt);
    if ((a.votes || 0) !== (b.votes || 0)) return (b.votes || 0) - (a.votes || 0);
    return time(a.createdAt) - time(b.createdAt);
  });
}

/**
 * Views holds the last view of each activity and the offset it is at, as
 * one connection received them. take() notes whole views (welcome, session,
 * activity messages); patch() applies a patch message.
 */
export class Views {
  constructor() {
    /** @type {Map<string, {view: object, offset: number}>} */
    this.held = new Map();
  }

  /** reset forgets every view: a welcome starts over. */
  reset() {
    this.held.clear();
  }

  /**
   * take notes the whole views in a welcome, session or activity message.
   * @param {object} msg
   */
  take(msg) {
    const off = typeof msg.offset === "number" ? msg.offset : -1;
    if (msg.type === "activity" && msg.activity && msg.activity.id) {
      this.held.set(msg.activity.id, { view: msg.activity, offset: off });
      return;
    }
    const v = msg.view;
    if (!v || !Array.isArray(v.activities)) return;
    for (const a of v.activities) {
      if (!a || !a.id) continue;
      // A session message carries every activity the role sees, most of
      // them unchanged: one that is what is held keeps its offset, so the
      // next patch of it still applies. Any other is held at this offset,
      // which a patch based on an older push does not match: the page asks
      // for the whole view rather than patch a view it cannot vouch for.
      const h = this.held.get(a.id);
      if (msg.type === "session" && h && JSON.stringify(h.view) === JSON.stringify(a)) continue;
      this.held.set(a.id, { view: a, offset: off });
    }
  }

  /**
   * patch applies a patch message to the view held for its activity. It
   * returns the new view (now held at msg.offset), or null when the patch
   * does not apply; the view held is then dropped, since the page must ask
   * for the whole one.
   * @param {object} msg
   */
  patch(msg) {
    const h = this.held.get(msg.activity);
    const next = h ? applyPatch(h.view, msg, h.offset) : null;
    if (!next) {
      this.held.delete(msg.activity);
      return null;
    }
    this.held.set(msg.activity, { view: next, offset: msg.offset });
    return next;
  }
}
