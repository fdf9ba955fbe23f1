// The speaker queue on each page: the console's form and chair's card, the
// projected speaker and countdown, the phone's raised hand. The contract is
// in static/README-pages.md.
import { t } from "/static/js/i18n.js";
import { el, setText, say, isBusy, num, isOne, duration, clock, secondsLeft, store, load, syncList, row, setButtons, setFlags, joinGroupKey } from "/static/js/dom.js";
import { setUserText } from "/static/js/langs.js";

export const kind = "queue";

// The countdown warns for the last seconds.
const WARN_SECONDS = 30;

// ---- page: host ----

// readdName is the name of the last speaker, from the hands this console
// has seen waiting or speaking.
function readdName(a, ctx) {
  const hand = a && a.lastSpeaker;
  return hand ? ctx.names.get(hand) || "" : "";
}

function handLabel(w) {
  const name = w.name || t("queue.anonymous");
  return w.constituency ? `${name} (${w.constituency})` : name;
}

// moveHand moves a waiting hand and says where it went.
async function moveHand(ctx, act, hand, name, to, slot) {
  const ack = await ctx.cmd("queue.move", { activity: act, hand, to }, slot);
  if (!ack) return;
  // The push with the new order comes with the answer: read the place the
  // hand really got (a point of order may stay ahead of it).
  setTimeout(() => {
    const a = ctx.activity(act);
    const i = ((a && a.waiting) || []).findIndex((w) => w.hand === hand);
    ctx.announce(t("queue.moved", { name, n: (i >= 0 ? i : to) + 1 }));
  }, 250);
}

function renderTimer(c, ctx) {
  const sp = c.a && c.a.speaking;
  if (!sp) {
    c.qTimer.textContent = "";
    c.qTimerNote.textContent = "";
    return;
  }
  const left = secondsLeft(sp, ctx.clockOffset());
  const over = left < 0;
  c.qSpeakBox.classList.toggle("is-overtime", over);
  c.qSpeakBox.classList.toggle("is-paused", !!sp.paused);
  c.qTimer.textContent = over ? `+${duration(Math.floor(-left))}` : duration(Math.ceil(left));
  const notes = [];
  notes.push(over ? t("queue.overtime") : t("queue.left"));
  if (sp.paused) notes.push(t("queue.paused"));
  notes.push(t("queue.limit", { time: duration(sp.limitSeconds ?? 0) }));
  c.qTimerNote.textContent = notes.join(" · ");
}

const QUEUE_ROW = "li.queue-row";

// Drag-and-drop reordering of the waiting list. The up/down buttons do the
// same for keyboard users.
function setupDrag(c, ctx) {
  let dragHand = "";
  const clear = () => {
    for (const li of c.qList.children) li.classList.remove("drop-before", "drop-after", "dragging");
  };
  c.qList.addEventListener("dragstart", (ev) => {
    const li = ev.target.closest && ev.target.closest(QUEUE_ROW);
    if (!li || ctx.ended()) { ev.preventDefault(); return; }
    dragHand = li.dataset.hand;
    ev.dataTransfer.effectAllowed = "move";
    ev.dataTransfer.setData("text/plain", dragHand);
    li.classList.add("dragging");
  });
  c.qList.addEventListener("dragover", (ev) => {
    if (!dragHand) return;
    const li = ev.target.closest && ev.target.closest(QUEUE_ROW);
    if (!li) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = "move";
    const r = li.getBoundingClientRect();
    const before = ev.clientY < r.top + r.height / 2;
    for (const x of c.qList.children) x.classList.remove("drop-before", "drop-after");
    li.classList.add(before ? "drop-before" : "drop-after");
  });
  c.qList.addEventListener("dragleave", (ev) => {
    if (!c.qList.contains(ev.relatedTarget)) for (const x of c.qList.children) x.classList.remove("drop-before", "drop-after");
  });
  c.qList.addEventListener("drop", (ev) => {
    const li = ev.target.closest && ev.target.closest(QUEUE_ROW);
    const hand = dragHand;
    dragHand = "";
    clear();
    if (!li || !hand) return;
    ev.preventDefault();
    const hands = (c.a.waiting || []).map((w) => w.hand);
    const from = hands.indexOf(hand);
    const target = hands.indexOf(li.dataset.hand);
    if (from < 0 || target < 0) return;
    const r = li.getBoundingClientRect();
    const insertion = ev.clientY < r.top + r.height / 2 ? target : target + 1;
    const to = insertion > from ? insertion - 1 : insertion;
    const w = c.a.waiting[from];
    if (to !== from) moveHand(ctx, c.id, hand, w.name || t("queue.anonymous"), to, c.err);
  });
  c.qList.addEventListener("dragend", () => { dragHand = ""; clear(); });
}

// speakerForm is the card's form that adds a speaker by hand (someone on
// the video call, or without a phone) or, after a row's Edit, corrects that
// hand's name and constituency.
function speakerForm(c, ctx) {
  const nameId = ctx.nextId("queue-add-name");
  const groupId = ctx.nextId("queue-add-group");
  const kindId = ctx.nextId("queue-add-kind");
  const f = {};
  f.heading = el("h4", { text: t("queue.addHeading") });
  f.name = el("input", { cls: "queue-add-name", attrs: { id: nameId, type: "text", maxlength: "80", autocomplete: "off" } });
  // A select when the queue lists constituencies, else free text.
  f.group = el("select", { cls: "queue-add-group", attrs: { id: groupId } });
  f.groupText = el("input", { cls: "queue-add-group", attrs: { id: groupId + "-text", type: "text", maxlength: "80", autocomplete: "off" } });
  f.groupLabel = el("label", { attrs: { for: groupId }, text: t("queue.addConstituency") });
  f.kind = el("select", { cls: "queue-add-kind", attrs: { id: kindId } }, [
    el("option", { attrs: { value: "speak" }, text: t("queue.kindSpeak") }),
    el("option", { attrs: { value: "order" }, text: t("queue.pointOfOrder") }),
  ]);
  f.kindField = el("span", { cls: "queue-add-kind-field" }, [el("label", { attrs: { for: kindId }, text: t("queue.addKind") }), f.kind]);
  f.submit = el("button", { cls: "small primary", text: t("queue.addButton"), attrs: { type: "submit" } });
  f.cancel = ctx.button(t("queue.editCancel"), () => endEdit(c), "small");
  f.cancel.hidden = true;
  f.form = el("form", { cls: "inline-form queue-add" }, [
    el("label", { attrs: { for: nameId }, text: t("queue.addName") }), f.name,
    f.groupLabel, f.group, f.groupText,
    f.kindField, f.submit, f.cancel,
  ]);
  f.heading.id = ctx.nextId("queue-add-h");
  f.form.setAttribute("aria-labelledby", f.heading.id);
  f.editing = ""; // the hand being edited, "" when adding
  f.groups = "";
  f.form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const name = f.name.value.trim();
    if (!name) {
      ctx.setSlot(c.err, t("queue.addNeedName"));
      f.name.focus();
      return;
    }
    const listed = !f.group.hidden;
    const constituency = listed ? f.group.value : f.groupText.value.trim();
    if (f.editing) {
      const hand = f.editing;
      const ack = await ctx.cmd("queue.edit", { activity: c.id, hand, name, constituency }, c.err);
      if (!ack) return;
      ctx.announce(t("queue.edited", { name }));
      endEdit(c);
      return;
    }
    const ack = await ctx.cmd("queue.add", { activity: c.id, name, constituency, kind: f.kind.value }, c.err);
    if (!ack) return;
    ctx.announce(t("queue.added", { name }));
    f.name.value = "";
    f.groupText.value = "";
    f.kind.value = "speak";
    f.name.focus();
  });
  return f;
}

// fillSpeakerGroups offers the queue's constituencies (and "other"), or a
// text field when it has none.
function fillSpeakerGroups(f, a) {
  const list = (a.constituencies || []).filter((x) => x && x !== "other");
  const k = JSON.stringify(list);
  if (k === f.groups) return;
  f.groups = k;
  const keep = f.group.value;
  f.group.textContent = "";
  for (const x of list) f.group.append(el("option", { attrs: { value: x }, text: x }));
  f.group.append(el("option", { attrs: { value: "other" }, text: t("queue.other") }));
  if ([...f.group.options].some((o) => o.value === keep)) f.group.value = keep;
  f.group.hidden = !list.length;
  f.groupText.hidden = !!list.length;
  f.groupLabel.htmlFor = list.length ? f.group.id : f.groupText.id;
}

function startEdit(c, w) {
  const f = c.qForm;
  f.editing = w.hand;
  f.heading.textContent = t("queue.editHeading", { name: w.name || t("queue.anonymous") });
  f.submit.textContent = t("queue.editSave");
  f.cancel.hidden = false;
  f.kindField.hidden = true;
  f.name.value = w.name || "";
  if (!f.group.hidden) f.group.value = [...f.group.options].some((o) => o.value === w.constituency) ? w.constituency : "other";
  else f.groupText.value = w.constituency || "";
  f.name.focus();
}

function endEdit(c) {
  const f = c.qForm;
  f.editing = "";
  f.heading.textContent = t("queue.addHeading");
  f.submit.textContent = t("queue.addButton");
  f.cancel.hidden = true;
  f.kindField.hidden = false;
  f.name.value = "";
  f.groupText.value = "";
  f.name.focus();
}

export const host = {
  label: () => t("kind.queue"),
  state: (s) => ({ draft: t("state.queue.draft"), open: t("state.queue.open"), closed: t("state.queue.closed") })[s],

  form() {
    const seconds = el("input", { id: "queue-seconds", type: "number", min: "10", max: "3600", value: "180", inputmode: "numeric" });
    const constituencies = el("textarea", { id: "queue-constituencies", rows: "4" });
    const policy = el("select", { id: "queue-policy" },
      el("option", { value: "fifo", i18n: "policy.fifo" }),
      el("option", { value: "alternate", i18n: "policy.alternate" }),
      el("option", { value: "firsttime", i18n: "policy.firsttime" }));
    const approval = el("input", { id: "queue-order-approval", type: "checkbox" });
    // A draft's own list as its view named it, and each one's names per
    // language: a line left as it was keeps its translations when saved.
    let filled = { shown: [], names: [] };
    return {
      fields: [
        el("p", { class: "form-row" }, el("label", { for: "queue-seconds", i18n: "queue.speakingSeconds" }), seconds),
        el("p", { class: "form-row" }, el("label", { for: "queue-constituencies", i18n: "queue.constituencies" }), constituencies),
        el("p", { class: "form-row" }, el("label", { for: "queue-policy", i18n: "queue.policy" }), policy),
        el("p", { class: "form-row check" }, approval, el("label", { for: "queue-order-approval", i18n: "queue.orderApproval" })),
      ],
      reset() {
        constituencies.value = "";
        approval.checked = false;
        filled = { shown: [], names: [] };
      },
      // fill loads a draft's view into the form, for the console's Edit.
      fill(a) {
        seconds.value = String(a.speakingSeconds || 180);
        constituencies.value = (a.constituencies || []).join("\n");
        policy.value = a.policy || "fifo";
        approval.checked = !!a.orderApproval;
        filled = { shown: a.constituencies || [], names: a.constituencyNames || [] };
      },
      spec(title) {
        const n = parseInt(seconds.value, 10);
        return {
          kind,
          title,
          speakingSeconds: Math.max(1, Number.isFinite(n) ? n : 180),
          constituencies: constituencies.value
            .split(/\n/)
            .map((s) => s.trim())
            .filter((s, i, all) => s && all.indexOf(s) === i)
            .map((s) => filled.names[filled.shown.indexOf(s)] || s),
          policy: policy.value,
          orderApproval: approval.checked,
        };
      },
    };
  },

  create(c, ctx) {
    const act = () => c.id;
    // Speaking now.
    c.qSpeakName = el("p", { cls: "speaker-name" });
    c.qSpeakMeta = el("p", { cls: "speaker-meta" });
    c.qTimer = el("p", { cls: "timer", attrs: { role: "timer", "aria-live": "off" } });
    c.qTimerNote = el("p", { cls: "timer-note" });
    c.qSpeakBox = el("div", { cls: "speaking" }, [c.qSpeakName, c.qSpeakMeta, c.qTimer, c.qTimerNote]);
    c.qNobody = el("p", { cls: "hint", text: t("queue.nobody") });

    // "current" is the speaker this console shows: if someone else holds the
    // floor by the time the click arrives, the server refuses (conflict)
    // rather than end a turn the facilitator never saw.
    c.qNext = ctx.button(t("queue.next"), () => ctx.cmd("queue.next", { activity: act(), current: c.qShownHand || "" }, c.err), "primary");
    c.qReadd = ctx.button(t("queue.readd"), async () => {
      const who = readdName(c.a, ctx);
      const ack = await ctx.cmd("queue.readd", { activity: act() }, c.err);
      if (ack) ctx.announce(who ? t("queue.readdDone", { name: who }) : t("queue.readdDoneAnon"));
    });
    c.qPause = ctx.button("", () => {
      const sp = c.a.speaking;
      ctx.cmd("queue.timer", { activity: act(), action: sp && sp.paused ? "resume" : "pause" }, c.err);
    });
    c.qAdd = ctx.button(t("queue.add60"), () => ctx.cmd("queue.timer", { activity: act(), action: "add", seconds: 60 }, c.err));
    // The accessible name starts with the visible text (axe:
    // label-content-name-mismatch), then says it in words.
    c.qAdd.setAttribute("aria-label", `${t("queue.add60")} (${t("queue.add60Label")})`);
    c.qEditSpeaker = ctx.button(t("queue.editSpeaker"), () => {
      if (c.a.speaking) startEdit(c, c.a.speaking);
    });

    const setId = ctx.nextId("queue-set");
    c.qSetInput = el("input", { attrs: { id: setId, type: "number", min: "1", max: "7200", inputmode: "numeric" } });
    c.qSetBtn = el("button", { cls: "small", text: t("queue.setButton"), attrs: { type: "submit" } });
    c.qSetForm = el("form", { cls: "inline-form" }, [
      el("label", { attrs: { for: setId }, text: t("queue.setLabel") }),
      c.qSetInput,
      c.qSetBtn,
    ]);
    c.qSetForm.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const n = parseInt(c.qSetInput.value, 10);
      if (!Number.isFinite(n) || n < 1) {
        ctx.setSlot(c.err, t("queue.setInvalid"));
        c.qSetInput.focus();
        return;
      }
      ctx.cmd("queue.timer", { activity: act(), action: "set", seconds: n }, c.err);
    });

    const policyId = ctx.nextId("queue-policy");
    c.qPolicy = el("select", { attrs: { id: policyId } }, [
      el("option", { attrs: { value: "fifo" }, text: t("policy.fifo") }),
      el("option", { attrs: { value: "alternate" }, text: t("policy.alternate") }),
      el("option", { attrs: { value: "firsttime" }, text: t("policy.firsttime") }),
    ]);
    // Arrow keys in a closed select change its value: the policy is applied
    // only with the Apply button.
    c.qPolicyDirty = false;
    c.qPolicy.addEventListener("change", () => { c.qPolicyDirty = c.qPolicy.value !== (c.a.policy || "fifo"); });
    c.qPolicyBtn = el("button", { cls: "small", text: t("queue.policyApply"), attrs: { type: "submit" } });
    const policyField = el("form", { cls: "inline-form" }, [el("label", { attrs: { for: policyId }, text: t("queue.policy") }), c.qPolicy, c.qPolicyBtn]);
    policyField.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const policy = c.qPolicy.value;
      const label = c.qPolicy.selectedOptions[0] ? c.qPolicy.selectedOptions[0].textContent : policy;
      const ack = await ctx.cmd("queue.policy", { activity: act(), policy }, c.err);
      if (!ack) return;
      c.qPolicyDirty = false;
      ctx.announce(t("queue.policyApplied", { policy: label }));
    });

    c.qWaitHead = el("h4");
    c.qWaitHint = el("p", { cls: "hint", text: t("queue.dragHint") });
    c.qEmpty = el("p", { cls: "hint", text: t("queue.emptyWaiting") });
    c.qList = el("ol", { cls: "rows queue-rows" });
    c.qStatsBody = el("tbody");
    c.qStatsEmpty = el("p", { cls: "hint", text: t("queue.statsEmpty") });
    c.qStats = el("table", { cls: "stats" }, [
      el("caption", { text: t("queue.statsHeading") }),
      el("thead", {}, [el("tr", {}, [
        el("th", { attrs: { scope: "col" }, text: t("queue.statsConstituency") }),
        el("th", { attrs: { scope: "col" }, text: t("queue.statsTurns") }),
        el("th", { attrs: { scope: "col" }, text: t("queue.statsTime") }),
      ])]),
      c.qStatsBody,
    ]);
    c.qSpoken = el("p", { cls: "hint" });
    c.qForm = speakerForm(c, ctx);
    c.qApprovalNote = el("p", { cls: "hint", text: t("queue.approvalOn") });

    c.body.append(
      el("h4", { text: t("queue.speakingHeading") }),
      c.qSpeakBox,
      c.qNobody,
      el("p", { cls: "actions" }, [c.qNext, c.qReadd, c.qPause, c.qAdd, c.qEditSpeaker]),
      c.qSetForm,
      policyField,
      c.qForm.heading,
      c.qForm.form,
      c.qWaitHead,
      c.qApprovalNote,
      c.qWaitHint,
      c.qEmpty,
      c.qList,
      c.qSpoken,
      c.qStats,
      c.qStatsEmpty,
    );
    setupDrag(c, ctx);
  },

  update(c, a, ctx) {
    const sp = a.speaking || null;
    const waiting = a.waiting || [];
    const prevHand = c.qShownHand;
    if (sp && sp.hand) ctx.names.set(sp.hand, sp.name || t("queue.anonymous"));
    for (const w of waiting) ctx.names.set(w.hand, w.name || t("queue.anonymous"));
    const who = readdName(a, ctx);
    c.qReadd.textContent = who ? t("queue.readdName", { name: who }) : t("queue.readd");
    c.qSpeakBox.hidden = !sp;
    c.qNobody.hidden = !!sp;
    c.qPause.disabled = !sp;
    c.qAdd.disabled = !sp;
    c.qEditSpeaker.disabled = !sp;
    c.qSetInput.disabled = !sp;
    c.qSetBtn.disabled = !sp;
    c.qNext.disabled = !sp && waiting.length === 0;
    c.qReadd.disabled = !a.lastSpeaker;
    c.qPause.textContent = sp && sp.paused ? t("queue.resume") : t("queue.pause");
    fillSpeakerGroups(c.qForm, a);
    c.qApprovalNote.hidden = !a.orderApproval;
    // The hand being edited left the queue (spoke, removed): back to adding.
    if (c.qForm.editing && !waiting.some((w) => w.hand === c.qForm.editing) && !(sp && sp.hand === c.qForm.editing)) endEdit(c);
    if (sp) {
      c.qSpeakName.textContent = sp.name || t("queue.anonymous");
      c.qSpeakMeta.textContent = [sp.constituency || "", sp.byHand ? t("queue.byHand") : ""].filter(Boolean).join(" · ");
      c.qSpeakMeta.hidden = !c.qSpeakMeta.textContent;
      if (sp.hand !== prevHand && document.activeElement !== c.qSetInput) c.qSetInput.value = String(sp.limitSeconds ?? a.speakingSeconds ?? "");
    }
    c.qShownHand = sp ? sp.hand : "";
    renderTimer(c, ctx);

    if (!c.qPolicyDirty && document.activeElement !== c.qPolicy) c.qPolicy.value = a.policy || "fifo";
    c.qWaitHead.textContent = t("queue.waitingHeading", { n: waiting.length });
    c.qEmpty.hidden = waiting.length > 0;
    c.qWaitHint.hidden = waiting.length < 2;
    const act = c.id;
    const last = waiting.length - 1;
    syncList(c.qList, waiting, (w) => w.hand, () => {
      const li = row();
      li.classList.add("queue-row");
      li.draggable = true;
      li._p.pos = el("span", { cls: "row-pos" });
      li.prepend(li._p.pos);
      return li;
    }, (li, w, i) => {
      const p = li._p;
      li.dataset.hand = w.hand;
      p.pos.textContent = `${i + 1}.`;
      p.text.textContent = handLabel(w);
      p.count.textContent = "";
      const flags = [];
      if (w.kind === "order") flags.push(["tag-order", w.held ? t("queue.heldOrder") : t("queue.pointOfOrder")]);
      if (w.placed) flags.push(["tag-placed", t("queue.placed")]);
      if (w.byHand) flags.push(["tag-byhand", t("queue.byHand")]);
      setFlags(p, flags);
      li.classList.toggle("is-held", !!w.held);
      li.classList.toggle("is-byhand", !!w.byHand);
      const name = w.name || t("queue.anonymous");
      const approve = w.held
        ? [{ key: "approve", text: t("queue.approve"), label: t("queue.approveLabel", { name }), cls: "primary queue-approve", run: async () => {
          if (await ctx.cmd("queue.approve", { activity: act, hand: w.hand }, c.err)) ctx.announce(t("queue.approved", { name }));
        } }]
        : [];
      setButtons(p, [
        ...approve,
        { key: "up", text: t("queue.up"), label: t("queue.upLabel", { name }), run: () => moveHand(ctx, act, w.hand, name, i - 1, c.err) },
        { key: "down", text: t("queue.down"), label: t("queue.downLabel", { name }), run: () => moveHand(ctx, act, w.hand, name, i + 1, c.err) },
        { key: "edit", text: t("queue.edit"), label: t("queue.editLabel", { name }), cls: "queue-edit", run: () => startEdit(c, w) },
        { key: "remove", text: t("queue.remove"), label: t("queue.removeLabel", { name }), cls: "danger", run: async () => {
          if (await ctx.cmd("queue.remove", { activity: act, hand: w.hand }, c.err)) ctx.announce(t("queue.removed", { name }));
        } },
      ]);
      const [up, down] = p.actions.querySelectorAll('[data-action="up"], [data-action="down"]');
      const focused = document.activeElement;
      up.disabled = i === 0;
      down.disabled = i === last;
      // A button that just became disabled would drop the keyboard focus.
      if (focused === up && up.disabled) down.focus();
      if (focused === down && down.disabled) up.focus();
    });

    c.qSpoken.textContent = t("queue.spoken", { n: a.spoken ?? 0 });
    const stats = a.stats || [];
    c.qStats.hidden = stats.length === 0;
    c.qStatsEmpty.hidden = stats.length > 0;
    syncList(c.qStatsBody, stats, (s) => s.constituency, () => {
      const tr = el("tr");
      tr._p = { name: el("th", { attrs: { scope: "row" } }), turns: el("td"), time: el("td") };
      tr.append(tr._p.name, tr._p.turns, tr._p.time);
      return tr;
    }, (tr, s) => {
      tr._p.name.textContent = s.constituency || t("queue.noConstituency");
      tr._p.turns.textContent = String(s.turns ?? 0);
      tr._p.time.textContent = duration(s.seconds ?? 0);
    });
  },

  // tick runs every second: the countdown moves without a push.
  tick(c, ctx) {
    renderTimer(c, ctx);
  },

  summary(a) {
    const title = a.title || "";
    const waiting = (a.waiting || []).length;
    if (a.speaking) return t("live.queueSpeaking", { title, name: a.speaking.name || t("queue.anonymous"), n: waiting });
    return t("live.queueIdle", { title, n: waiting });
  },
};

// ---- page: show ----

// How many waiting speakers and statistics rows fit on a projected screen.
const NEXT_MAX = 3;
const STATS_MAX = 6;

export const show = {
  states: () => ({ closed: t("queue.closed"), draft: t("queue.draft") }),

  view(ctx) {
    const root = el("section", "show-activity show-queue");
    const h = ctx.header({ title: "" });
    const grid = el("div", "q-grid");
    const now = el("div", "q-now");
    const side = el("div", "q-side");
    grid.append(now, side);
    root.append(h.head, grid);

    const nowLabel = el("p", "q-now-label", "");
    const name = el("p", "q-name");
    const constituency = el("p", "q-constituency");
    const timer = el("div", "q-timer");
    const timerState = el("p", "q-timer-state");
    const timerValue = el("p", "q-timer-value");
    timer.append(timerValue, timerState);
    now.append(nowLabel, name, constituency, timer);

    let speaking = null;
    let tick = 0;
    // The time phase of the turn on screen, said once per change for
    // screen readers: "ok", "warn" (the last 30 s) or "over".
    let phase = { turn: "", at: "" };

    function timeEvent(left, paused) {
      const turn = (speaking.hand || "") + "|" + (speaking.startedAt || "");
      const now = left <= 0 ? "over" : left <= WARN_SECONDS ? "warn" : "ok";
      if (phase.turn !== turn) {
        // A turn already under way when the screen is drawn says nothing.
        phase = { turn, at: phase.turn === "" ? now : "ok" };
        if (phase.at === now) return;
      }
      if (now === phase.at) return;
      const worse = (now === "warn" && phase.at === "ok") || (now === "over" && phase.at !== "over");
      phase.at = now;
      if (!worse || paused) return;
      const who = speaking.name || t("queue.anonymous");
      say(ctx.liveTime, now === "over" ? t("live.over", { name: who }) : t("live.ending", { name: who }));
    }

    function draw() {
      if (!speaking) return;
      const left = secondsLeft(speaking, ctx.clockOffset());
      const paused = !!speaking.paused || !speaking.runningSince;
      const over = left <= 0;
      timer.classList.toggle("is-paused", paused);
      timer.classList.toggle("is-over", over);
      timer.classList.toggle("is-warn", !over && left <= WARN_SECONDS);
      timerValue.textContent = over ? "+" + clock(-left) : clock(Math.ceil(left));
      let state = "";
      if (paused) state = t("queue.paused");
      if (over) state = (state ? state + " · " : "") + t("queue.overtime");
      else if (!paused && left <= WARN_SECONDS) state = t("queue.ending");
      timerState.textContent = state;
      timerState.hidden = !state;
      timeEvent(left, paused);
    }

    function startTick() {
      clearInterval(tick);
      tick = 0;
      if (speaking && speaking.runningSince && !speaking.paused) tick = setInterval(draw, 250);
    }

    return {
      el: root,
      update(a) {
        setUserText(h.head.querySelector(".show-title"), a.title || "");
        const live = [a.title || ""];
        speaking = a.speaking && typeof a.speaking === "object" ? a.speaking : null;
        now.classList.toggle("is-empty", !speaking);
        if (speaking) {
          nowLabel.textContent = t("queue.speaking");
          name.textContent = speaking.name || t("queue.anonymous");
          constituency.textContent = speaking.constituency || "";
          constituency.hidden = !speaking.constituency;
          timer.hidden = false;
          draw();
          let s = t("live.speaking", { name: speaking.name || t("queue.anonymous") });
          if (speaking.constituency) s += " (" + speaking.constituency + ")";
          if (speaking.paused || !speaking.runningSince) s += ". " + t("queue.paused");
          live.push(s);
        } else {
          nowLabel.textContent = "";
          name.textContent = t("queue.nobody");
          constituency.hidden = true;
          timer.hidden = true;
          live.push(t("queue.nobody"));
        }
        startTick();

        side.textContent = "";
        const waiting = Array.isArray(a.waiting) ? a.waiting : [];
        const next = el("section", "q-next");
        next.appendChild(el("h3", "q-side-title", t("queue.next")));
        if (!waiting.length) {
          next.appendChild(el("p", "q-none", t("queue.noneWaiting")));
          live.push(t("queue.noneWaiting"));
        } else {
          const ol = el("ol", "q-list");
          for (const w of waiting.slice(0, NEXT_MAX)) {
            const li = el("li", "q-item");
            if (w.kind === "order" && !w.held) li.appendChild(el("span", "q-order", "! " + t("queue.order")));
            li.appendChild(el("span", "q-item-name", w.name || t("queue.anonymous")));
            if (w.constituency) li.appendChild(el("span", "q-item-const", w.constituency));
            ol.appendChild(li);
          }
          next.appendChild(ol);
          const more = waiting.length - NEXT_MAX;
          if (more > 0) next.appendChild(el("p", "q-more", isOne(more) ? t("queue.moreOne", { n: num(more) }) : t("queue.more", { n: num(more) })));
          live.push(
            t("live.next", {
              names: waiting
                .slice(0, NEXT_MAX)
                .map((w) => (w.name || t("queue.anonymous")) + (w.constituency ? " (" + w.constituency + ")" : ""))
                .join(", "),
            }),
          );
        }
        side.appendChild(next);

        const stats = Array.isArray(a.stats) ? a.stats.filter((s) => s && s.turns > 0) : [];
        if (stats.length) {
          const sec = el("section", "q-stats");
          sec.appendChild(el("h3", "q-side-title", t("queue.stats")));
          const table = el("table", "q-table");
          const thead = el("thead");
          const hr = el("tr");
          hr.append(el("th", "", t("queue.constituency")), el("th", "", t("queue.turns")), el("th", "", t("queue.time")));
          for (const th of hr.children) th.scope = "col";
          thead.appendChild(hr);
          const tbody = el("tbody");
          const top = stats.slice().sort((x, y) => y.turns - x.turns || y.seconds - x.seconds).slice(0, STATS_MAX);
          for (const s of top) {
            const tr = el("tr");
            tr.append(el("td", "", s.constituency || t("queue.noConstituency")), el("td", "", num(s.turns)), el("td", "", clock(s.seconds || 0)));
            tbody.appendChild(tr);
          }
          table.append(thead, tbody);
          sec.appendChild(table);
          side.appendChild(sec);
        }
        ctx.fillMeta(h.meta, a, []);
        ctx.announce(live);
      },
      destroy() {
        clearInterval(tick);
        tick = 0;
      },
    };
  },
};

// ---- page: attendee ----

const NAME_KEY = "townhall.name";
const GROUP_KEY = "townhall.constituency";
// The constituency value sent for "other": a fixed word, so that the
// facilitator's statistics do not split by the attendees' languages.
const OTHER = "other";

export const attendee = {
  screen(a0, ctx) {
    const head = ctx.titleBlock(a0);
    // The current speaker and the countdown.
    const spName = el("p", { class: "spname" });
    const spTime = el("p", { class: "timer", role: "timer", "aria-atomic": "true" });
    // Said once when the speaker's time is almost up and once when it is over.
    const spLive = el("p", { class: "visually-hidden", "aria-live": "polite" });
    const speaker = el("section", { class: "speaker", "aria-labelledby": "sp-h" }, el("h2", { id: "sp-h", text: t("queue.speaking") }), spName, spTime, spLive);
    // My place.
    const place = el("p", { class: "place", role: "status", tabindex: "-1" });
    const lower = ctx.button("btn secondary wide", t("queue.lower"), () => onLower());
    // Why someone is now ahead of me: said when my place goes back.
    const why = el("p", { class: "hint why", "aria-live": "polite" });
    const held = el("p", { class: "hint held" });
    const me = el("section", { class: "me" }, place, held, why, lower);
    // The form to raise a hand.
    const name = el("input", { id: "q-name", class: "field", type: "text", autocomplete: "name", maxlength: "80" });
    name.value = load(NAME_KEY) || "";
    const group = el("select", { id: "q-group", class: "field" });
    const groupRow = el("div", { class: "row-field" }, el("label", { class: "block", for: "q-group", text: t("queue.constituency") }), group);
    const order = el("input", { id: "q-order", type: "checkbox" });
    const raise = ctx.button("btn wide", t("queue.raise"), null, { type: "submit" });
    const form = el(
      "form",
      { class: "ask", novalidate: true },
      el("div", { class: "row-field" }, el("label", { class: "block", for: "q-name", text: t("queue.name") }), name),
      groupRow,
      el("label", { class: "check", for: "q-order" }, order, el("span", { text: t("queue.order") })),
      raise,
    );
    const closedNote = el("p", { class: "state" });
    // Who waits.
    const waitHead = el("h2");
    const waitList = el("ol", { class: "waiting" });
    const waitMore = el("p", { class: "hint" });
    // The order's rule, in one sentence.
    const rule = el("p", { class: "hint rule" });
    const waiting = el("section", null, waitHead, rule, waitList, waitMore);
    const root = el("section", { class: "act queue", "aria-labelledby": "act-title" }, ...head.nodes, speaker, me, form, closedNote, waiting);

    let a = a0;
    let y = {};
    let groups = "";
    let where = null; // "floor" | "next" | "waiting" | "out"; null before the first update
    let lastPos = 0; // my place at the last paint, 0 when not waiting
    // The hand from the raise's answer, until a "you" message says where we are.
    let ackHand = "";
    // The time phase of the current turn ("ok" | "warn" | "over"), by turn.
    let phase = { turn: "", at: "" };
    const timer = setInterval(tick, 1000);

    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (a.state !== "open" || isBusy(raise)) return;
      const n = name.value.trim();
      if (!n) {
        ctx.showError(() => t("queue.need_name"));
        name.setAttribute("aria-invalid", "true");
        name.focus();
        return;
      }
      name.removeAttribute("aria-invalid");
      store(NAME_KEY, n);
      const args = { activity: a.id, name: n, constituency: "", kind: order.checked ? "order" : "speak" };
      if (!groupRow.hidden) {
        // Nothing is chosen for them: a hand filed under the first group
        // of the list would skew the queue's record and its order.
        if (!group.value) {
          ctx.showError(() => t("queue.need_group"));
          group.setAttribute("aria-invalid", "true");
          group.focus();
          return;
        }
        group.removeAttribute("aria-invalid");
        args.constituency = group.value;
        store(GROUP_KEY, group.value);
      }
      const ack = await ctx.run(raise, "hand.raise", args);
      if (ack) {
        order.checked = false;
        if (ack.hand) {
          ackHand = ack.hand;
          y = Object.assign({}, y, { hand: ack.hand });
        }
        paint();
        // The form is gone: the focus goes to my place in the queue.
        if (!me.hidden) place.focus();
      }
    });

    async function onLower() {
      if (isBusy(lower)) return;
      const ack = await ctx.run(lower, "hand.lower", { activity: a.id });
      if (ack) {
        ackHand = "";
        y = Object.assign({}, y, { hand: "" });
        paint();
        ctx.announce("queue.lowered");
        if (!form.hidden) name.focus();
      }
    }

    function fillGroups() {
      const list = (a.constituencies || []).filter((c) => c && c !== OTHER);
      const k = JSON.stringify(list);
      if (k === groups) return;
      groups = k;
      const keep = group.value || load(GROUP_KEY) || "";
      group.textContent = "";
      group.append(el("option", { value: "", text: t("queue.choose_group") }));
      for (const c of list) group.append(el("option", { value: c, text: c }));
      group.append(el("option", { value: OTHER, text: t("queue.other") }));
      const values = [...group.options].map((o) => o.value);
      if (keep && values.includes(keep)) group.value = keep;
      else group.value = joinedAs(values);
      groupRow.hidden = !list.length;
    }

    // joinedAs is the option naming the constituency chosen at join (in
    // any of its languages, case aside), or "" (none chosen yet).
    function joinedAs(values) {
      let names = [];
      try {
        names = JSON.parse(load(joinGroupKey(ctx.code)) || "[]");
      } catch {
        names = [];
      }
      const folded = new Set(names.filter(Boolean).map((n) => String(n).toLocaleLowerCase()));
      return values.find((v) => v && folded.has(v.toLocaleLowerCase())) || "";
    }

    function tick() {
      const sp = a.speaking;
      if (!sp) return;
      const left = secondsLeft(sp, ctx.clockOffset());
      let s;
      if (left >= 0) s = duration(Math.ceil(left - 0.001));
      else s = t("queue.over", { t: duration(Math.floor(-left)) });
      if (!sp.runningSince) s += " · " + t("queue.paused");
      setText(spTime, s);
      spTime.classList.toggle("over", left < 0);
      timeEvent(sp, left);
    }

    // timeEvent tells the speaker, once, that the time is almost up (30 s)
    // and once that it is over. A new turn, or time added, starts again.
    function timeEvent(sp, left) {
      const turn = (sp.hand || "") + "|" + (sp.startedAt || "");
      const now = left < 0 ? "over" : left <= WARN_SECONDS ? "warn" : "ok";
      if (phase.turn !== turn) {
        // The first sight of a turn already under way says nothing.
        phase = { turn, at: where === null ? now : "ok" };
        if (where === null) return;
      }
      if (now === phase.at) return;
      const worse = (now === "warn" && phase.at === "ok") || (now === "over" && phase.at !== "over");
      phase.at = now;
      if (!worse || where !== "floor" || !sp.runningSince) return;
      setText(spLive, "");
      setTimeout(() => setText(spLive, now === "over" ? t("queue.time_over") : t("queue.time_warn")), 50);
    }

    function paint() {
      const open = a.state === "open";
      const sp = a.speaking || null;
      speaker.hidden = !sp;
      if (sp) {
        setText(spName, sp.constituency ? t("queue.who", { name: sp.name, group: sp.constituency }) : sp.name);
        tick();
      }
      const hand = y.hand || "";
      const list = Array.isArray(a.waiting) ? a.waiting : [];
      // A long queue comes to phones cut to its front, with the whole count
      // beside it and this phone's own place in "you".
      const total = typeof a.waitingCount === "number" ? Math.max(a.waitingCount, list.length) : list.length;
      let now = "out";
      let pos = 0;
      if (hand) {
        if (sp && sp.hand === hand) now = "floor";
        else {
          const i = list.findIndex((w) => w.hand === hand);
          pos = i >= 0 ? i + 1 : typeof y.place === "number" && y.place > 0 ? y.place : 0;
          now = pos === 1 ? "next" : "waiting";
        }
      }
      if (where !== null && now !== where && (now === "next" || now === "floor") && navigator.vibrate) {
        navigator.vibrate(now === "floor" ? [300, 150, 300] : 200);
      }
      where = now;
      const inMe = me.contains(document.activeElement) || form.contains(document.activeElement);
      me.hidden = now === "out";
      me.classList.toggle("floor", now === "floor");
      me.classList.toggle("next", now === "next");
      if (now === "floor") setText(place, t("queue.floor"));
      else if (now === "next") setText(place, t("queue.next"));
      else if (now === "waiting") setText(place, pos > 0 ? t("queue.number", { n: pos }) : t("queue.raised"));
      else setText(place, "");
      const mine = list.find((w) => w.hand === hand);
      setText(held, mine && mine.held ? t("queue.held_mine") : "");
      held.hidden = !held.textContent;
      // Someone went ahead of me: say why, from what is ahead.
      if (now === "out" || now === "floor") setText(why, "");
      else if (lastPos > 0 && pos > lastPos) {
        const ahead = list.slice(0, pos - 1);
        let s = a.policy === "alternate" ? t("queue.why_alternate") : a.policy === "firsttime" ? t("queue.why_firsttime") : t("queue.why_fifo");
        if (ahead.some((w) => w.kind === "order" && !w.held)) s = t("queue.why_order");
        else if (ahead.some((w) => w.placed)) s = t("queue.why_placed");
        setText(why, s);
      }
      why.hidden = !why.textContent;
      lastPos = now === "waiting" || now === "next" ? pos : 0;
      lower.hidden = now === "out" || now === "floor";
      form.hidden = !open || now !== "out";
      closedNote.hidden = open || now !== "out";
      // A control that was just hidden drops the keyboard focus: put it on
      // what replaced it.
      if (inMe && (document.activeElement === document.body || !document.activeElement)) {
        if (!me.hidden) place.focus();
        else if (!form.hidden) name.focus();
      }
      setText(closedNote, a.state === "draft" ? t("queue.draft") : t("queue.closed"));

      waiting.hidden = !Array.isArray(a.waiting);
      setText(waitHead, total ? t("queue.waiting", { n: total }) : t("queue.nobody"));
      const shown = list.slice(0, 10);
      const want = shown.map((w) => (w.kind === "order" && !w.held ? t("queue.order_mark") + " " : "") + (w.constituency ? t("queue.who", { name: w.name, group: w.constituency }) : w.name));
      const have = Array.from(waitList.children, (li) => li.textContent);
      if (want.join("\n") !== have.join("\n") || shown.some((w, i) => waitList.children[i].classList.contains("self") !== (w.hand === hand))) {
        waitList.textContent = "";
        shown.forEach((w, i) => waitList.append(el("li", { class: w.hand === hand ? "self" : null, text: want[i] })));
      }
      setText(waitMore, total > shown.length ? t("queue.more", { n: total - shown.length }) : "");
      const policy = a.policy === "alternate" ? t("queue.rule_alternate") : a.policy === "firsttime" ? t("queue.rule_firsttime") : t("queue.rule_fifo");
      setText(rule, policy + (a.orderApproval ? " " + t("queue.rule_approval") : ""));
      rule.hidden = !total;
      waitMore.hidden = !waitMore.textContent;
    }

    return {
      el: root,
      update(next, you) {
        a = next;
        y = you;
        // The activity push may come before the "you" message with our hand:
        // keep the hand from the answer until "you" names it, or until it is
        // in none of the lists any more.
        if (ackHand) {
          const listed = (a.speaking && a.speaking.hand === ackHand) || (a.waiting || []).some((w) => w.hand === ackHand);
          if (you.hand || (you.hand === "" && !listed)) ackHand = "";
          else y = Object.assign({}, you, { hand: ackHand });
        }
        head.update(a, "");
        fillGroups();
        paint();
      },
      destroy() {
        clearInterval(timer);
      },
    };
  },
};
