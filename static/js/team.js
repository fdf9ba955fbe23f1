// The facilitation team's parts of the console (PROTOCOL.md 1.2, "The
// team"): what the key's role may do, the moderator's badge and links,
// cards that fold, the preparation controls of a card, and plans saved and
// read. Every piece of user text goes in with textContent.
import { t } from "/static/js/i18n.js";

// The role of this console's key and the ops it may send, as the server's
// table gives them (GET /api/sessions/{id}/links: "role", "may"). Until
// the links answer, a moderator's console shows no control that is not its
// own: "may" starts empty for it.
export const team = { role: "facilitator", may: ["*"] };

// mayOp says whether op is named by one of the patterns: an op, a family
// "queue.*", or "*".
export function mayOp(may, op) {
  return (may || []).some((p) => p === "*" || p === op ||
    (p.endsWith(".*") && op.length > p.length - 1 && op.startsWith(p.slice(0, -1))));
}

export const isModerator = () => team.role === "moderator";

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

function btn(text, cls, action) {
  const b = el("button", cls, text);
  b.type = "button";
  if (action) b.dataset.action = action;
  return b;
}

// setRole records the role and its rights and hides, in root, every
// element whose data-op names an op the role may not send.
export function setRole(role, may) {
  // "unknown": a key whose role the server has not said yet shows none of
  // the controls a role may lack.
  team.role = role === "moderator" || role === "unknown" ? role : "facilitator";
  team.may = Array.isArray(may) ? may : team.role === "facilitator" ? ["*"] : [];
  document.body.classList.toggle("role-moderator", isModerator());
  applyRights(document);
}

// applyRights hides the controls of ops the role may not send. A class,
// not the hidden attribute: the console's own code shows and hides many of
// them for other reasons, and this must win over all of those.
export function applyRights(root) {
  for (const e of root.querySelectorAll("[data-op]")) {
    e.classList.toggle("not-mine", !mayOp(team.may, e.dataset.op));
  }
}

// ---- the session panel: badge and links ----

// setupTeamPanel adds the role badge under the session's heading and the
// moderator link row after the display link's, with its copy button.
export function setupTeamPanel(copy) {
  const heading = document.getElementById("session-heading");
  if (heading && !document.getElementById("role-badge")) {
    const badge = el("p", "role-badge");
    badge.id = "role-badge";
    badge.hidden = true;
    heading.after(badge);
  }
  const showRow = document.getElementById("show-link-row");
  if (showRow && !document.getElementById("moderate-link-row")) {
    const row = el("div", "link-row");
    row.id = "moderate-link-row";
    row.hidden = true;
    const label = el("p", "link-label");
    label.id = "moderate-link-label";
    const value = el("p", "link-value");
    const a = el("a");
    a.id = "moderate-link";
    a.target = "_blank";
    a.rel = "noopener";
    a.href = "/";
    value.append(a);
    const b = btn("", "small", "copy-moderate");
    b.id = "copy-moderate";
    b.addEventListener("click", () => copy(a.getAttribute("href")));
    row.append(label, value, b);
    showRow.after(row);
  }
  labelTeamPanel();
}

// labelTeamPanel (re)writes the panel's texts in the page's language.
export function labelTeamPanel() {
  const badge = document.getElementById("role-badge");
  if (badge) {
    badge.textContent = t("team.moderatorBadge");
    badge.hidden = !isModerator();
  }
  const label = document.getElementById("moderate-link-label");
  if (label) label.textContent = t("team.moderateLink");
  const b = document.getElementById("copy-moderate");
  if (b) {
    b.textContent = t("session.copy");
    b.setAttribute("aria-label", t("team.copyModerate"));
  }
  const heading = document.getElementById("heading");
  if (heading) heading.textContent = isModerator() ? t("team.moderatorHeading") : t("page.heading");
}

// showModerateLink fills the moderator link's row from the links answer.
export function showModerateLink(links) {
  const row = document.getElementById("moderate-link-row");
  const a = document.getElementById("moderate-link");
  if (!row || !a) return;
  const href = (links && links.moderate) || "";
  row.hidden = !href;
  a.textContent = href;
  a.href = href || "/";
}

// ---- cards that fold ----

let foldKey = "";
const folded = new Set();

// loadFolds reads which cards of this session were folded in this browser.
export function loadFolds(session) {
  foldKey = `townhall.fold.${session}`;
  folded.clear();
  try {
    for (const id of JSON.parse(localStorage.getItem(foldKey) || "[]")) folded.add(String(id));
  } catch {
    // Nothing kept: every card starts open.
  }
}

function saveFolds() {
  try {
    localStorage.setItem(foldKey, JSON.stringify([...folded]));
  } catch {
    // Private mode: folds last as long as the page.
  }
}

export const isFolded = (id) => folded.has(id);

// foldable gives a card a fold button in its header: everything under the
// header goes into one region that the button shows and hides
// (aria-expanded, aria-controls). onOpen runs when the card is unfolded,
// so that a folded card need not be redrawn by every push.
export function foldable(c, onOpen) {
  const head = c.root.querySelector(".activity-head");
  const content = el("div", "card-content");
  content.id = `card-content-${c.id}`;
  for (const child of Array.from(c.root.children)) if (child !== head) content.append(child);
  c.root.append(content);
  const toggle = btn("", "fold-toggle small", "fold");
  toggle.setAttribute("aria-controls", content.id);
  toggle.addEventListener("click", () => {
    if (folded.has(c.id)) folded.delete(c.id);
    else folded.add(c.id);
    saveFolds();
    setFold(c);
    if (!folded.has(c.id) && onOpen) onOpen();
  });
  head.prepend(toggle);
  c.foldToggle = toggle;
  c.content = content;
  setFold(c);
}

// setFold shows the card's fold state and names its button after the
// card's title, in the page's language.
export function setFold(c) {
  const isFoldedNow = folded.has(c.id);
  c.content.hidden = isFoldedNow;
  c.root.classList.toggle("is-folded", isFoldedNow);
  c.foldToggle.setAttribute("aria-expanded", String(!isFoldedNow));
  c.foldToggle.textContent = isFoldedNow ? "▸" : "▾";
  const title = (c.a && c.a.title) || "";
  c.foldToggle.setAttribute("aria-label", t(isFoldedNow ? "team.unfold" : "team.fold", { title }));
}

// ---- the preparation controls of a card ----

// prepControls adds a card's Edit, Duplicate, Move up, Move down and
// Delete buttons (with a confirmation of the delete in the card itself);
// run(action, button) sends them. They show by the activity's state.
export function prepControls(c, run) {
  const row = el("p", "actions card-prepare");
  const mk = (action, op) => {
    const b = btn("", "small", action);
    b.dataset.op = op;
    b.addEventListener("click", () => run(action, b));
    row.append(b);
    return b;
  };
  c.prep = {
    row,
    edit: mk("edit", "activity.update"),
    duplicate: mk("duplicate", "activity.duplicate"),
    up: mk("move-up", "activity.move"),
    down: mk("move-down", "activity.move"),
    del: mk("delete", "activity.delete"),
  };
  const confirm = el("div", "confirm card-confirm");
  confirm.hidden = true;
  const question = el("p", "confirm-question");
  const yes = btn("", "danger small", "delete-yes");
  const no = btn("", "small", "delete-no");
  const actions = el("p", "actions");
  actions.append(yes, no);
  confirm.append(question, actions);
  const cancel = () => {
    confirm.hidden = true;
    c.prep.del.focus();
  };
  no.addEventListener("click", cancel);
  confirm.addEventListener("keydown", (ev) => { if (ev.key === "Escape") cancel(); });
  yes.addEventListener("click", async () => {
    const ok = await run("delete-yes", yes);
    if (!ok) return;
    confirm.hidden = true;
  });
  Object.assign(c.prep, { confirm, question, yes, no });
  return [row, confirm];
}

// askDelete opens the card's confirmation of a delete.
export function askDelete(c) {
  c.prep.question.textContent = t("team.deleteQuestion", { title: (c.a && c.a.title) || "" });
  c.prep.confirm.hidden = false;
  c.prep.no.focus();
}

// updatePrep labels the card's preparation controls and shows those that
// apply: Edit on drafts, Delete on drafts and closed activities, the moves
// where there is room.
export function updatePrep(c, a, index, count) {
  const p = c.prep;
  const title = a.title || "";
  const label = (b, text, aria) => {
    b.textContent = text;
    b.setAttribute("aria-label", aria);
  };
  label(p.edit, t("team.edit"), t("team.editActivity", { title }));
  label(p.duplicate, t("team.duplicate"), t("team.duplicateActivity", { title }));
  label(p.up, t("team.moveUp"), t("team.moveUpActivity", { title }));
  label(p.down, t("team.moveDown"), t("team.moveDownActivity", { title }));
  label(p.del, t("team.delete"), t("team.deleteActivity", { title }));
  p.yes.textContent = t("team.deleteYes");
  p.no.textContent = t("team.deleteNo");
  p.edit.hidden = a.state !== "draft";
  p.del.hidden = a.state === "open";
  p.up.disabled = index <= 0;
  p.down.disabled = index < 0 || index >= count - 1;
  if (a.state === "open") p.confirm.hidden = true;
}

// ---- plans ----

// savePlan downloads the session's plan (GET /api/sessions/{id}/plan) as
// a JSON file; it returns "" or the text of what went wrong.
export async function savePlan(id, key, name, errorText) {
  const res = await fetch(`/api/sessions/${encodeURIComponent(id)}/plan`, { headers: { Authorization: `Bearer ${key}` } });
  if (!res.ok) return errorText(res);
  const blob = await res.blob();
  const href = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = href;
  a.download = `townhall-plan-${name}.json`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 30000);
  return "";
}

// readPlan reads a plan file: {plan} or {error}, the error in the page's
// language.
export async function readPlan(file) {
  let text;
  try {
    text = await file.text();
  } catch {
    return { error: t("team.planUnreadable") };
  }
  let plan;
  try {
    plan = JSON.parse(text);
  } catch {
    return { error: t("team.planNotJSON") };
  }
  if (!plan || typeof plan !== "object" || !Array.isArray(plan.activities)) return { error: t("team.planNotAPlan") };
  return { plan };
}

// planTitle is a plan's title as a string: the plain one, or the first
// translation.
export function planTitle(plan) {
  const title = plan && plan.title;
  if (typeof title === "string") return title;
  if (title && typeof title === "object") {
    const langs = Array.isArray(plan.languages) ? plan.languages : [];
    for (const l of langs) if (typeof title[l] === "string") return title[l];
    const first = Object.values(title).find((v) => typeof v === "string");
    return first || "";
  }
  return "";
}
