// The quiz on each page: the console's form and card, the projected
// countdown, answers and leaderboard, the phone's answer buttons and
// result. The contract is in static/README-pages.md; the quiz's view in
// docs/protocol.md ("Quiz").
import { t } from "/static/js/i18n.js";
import { el, setText, say, liveText, isBusy, disabled, setDisabled, num, isOne, useCSS, syncList, pageOnly, segmentField, fillText } from "/static/js/dom.js";
import { setUserText } from "/static/js/langs.js";

// The console and the display give segments.js; the phone has none.
const seg = () => pageOnly.segments;
const segCounts = (g) => (g.options || []).map((o) => o.count || 0);

// playerOf is how a leaderboard line (or "you") names its player: the join
// name, or for a player without one numbered(N), "Participant N" in the
// page's language (each page section says it from its own table).
const playerOf = (l, numbered) => (l.number ? numbered(num(l.number)) : l.name);

export const kind = "quiz";

const CSS = "/static/css/kinds/quiz.css";
const MAX_OPTIONS = 10;
const SECONDS = { min: 5, max: 600, def: 20 };
const POINTS = { max: 10000, def: 1000 };
const LETTERS = "ABCDEFGHIJ";

// secondsLeft is the time left to answer by the server's clock (offsetMs
// from conn.clockOffset()), or null before the quiz opened.
function secondsLeft(a, offsetMs) {
  if (!a.endsAt) return null;
  const end = Date.parse(a.endsAt);
  if (isNaN(end)) return null;
  return (end - (Date.now() + (offsetMs || 0))) / 1000;
}

// phase is what the quiz is doing now: "draft", "open" (time left),
// "up" (time is up, the server's close is on its way) or "closed".
function phase(a, offsetMs) {
  if (a.state === "draft" || a.state === "closed") return a.state;
  const left = secondsLeft(a, offsetMs);
  return left !== null && left <= 0 ? "up" : "open";
}

// whole seconds left, shown: 20 … 1, then 0.
function shownSeconds(left) {
  return Math.max(0, Math.ceil(left - 1e-6));
}

function correctSet(a) {
  return new Set(Array.isArray(a.correct) ? a.correct : []);
}

function hasResults(a) {
  return Array.isArray(a.correct);
}

function rightLabels(a) {
  const right = correctSet(a);
  return (a.options || []).filter((o, i) => right.has(i)).map((o) => o.label).join(", ");
}

// ---- page: host ----

// player names a player on whichever page draws it: quiz.participant is in
// the host's, the show's and the attendee's tables alike.
const player = (l) => playerOf(l, (n) => t("quiz.participant", { n }));

export const host = {
  label: () => t("kind.quiz"),
  state: (s) => ({ draft: t("state.quiz.draft"), open: t("state.quiz.open"), closed: t("state.quiz.closed") })[s],

  form(ctx) {
    useCSS(CSS);
    const list = el("ol", { class: "option-inputs quiz-inputs", id: "quiz-options" });
    const add = el("button", { type: "button", class: "small", id: "quiz-add", i18n: "quiz.add" });
    const seconds = el("input", { id: "quiz-seconds", type: "number", min: String(SECONDS.min), max: String(SECONDS.max), value: String(SECONDS.def), inputmode: "numeric" });
    const points = el("input", { id: "quiz-points", type: "number", min: "0", max: String(POINTS.max), step: "100", value: String(POINTS.def), inputmode: "numeric", "aria-describedby": "quiz-points-hint" });
    const segment = segmentField("quiz");
    const fields = [
      el("fieldset", null, el("legend", { i18n: "quiz.options" }), el("p", { class: "hint", i18n: "quiz.optionsHint" }), list, add),
      el("p", { class: "form-row" }, el("label", { for: "quiz-seconds", i18n: "quiz.seconds" }), seconds),
      el("p", { class: "form-row" }, el("label", { for: "quiz-points", i18n: "quiz.points" }), points,
        el("span", { class: "hint", id: "quiz-points-hint", i18n: "quiz.pointsHint" })),
      segment.row,
    ];

    function relabel() {
      const items = Array.from(list.children);
      items.forEach((li, i) => {
        li._p.field.relabel(t("quiz.optionN", { n: i + 1 }));
        li._p.right.textContent = t("quiz.correct");
        li._p.box.setAttribute("aria-label", t("quiz.correctN", { n: i + 1 }));
        li._p.remove.textContent = t("quiz.remove");
        li._p.remove.setAttribute("aria-label", t("quiz.removeN", { n: i + 1 }));
        li._p.remove.disabled = items.length <= 2 || ctx.ended();
      });
      add.disabled = items.length >= MAX_OPTIONS;
    }

    function addOption(value, right) {
      const id = ctx.nextId("quiz-option");
      // One input per content language, side by side (langs.js).
      const field = ctx.textField({ id, maxlength: 200, label: "" });
      const input = field.input;
      input.value = value;
      const box = el("input", { id: id + "-correct", type: "checkbox", class: "quiz-correct-box" });
      box.checked = !!right;
      const rightLabel = el("label", { for: id + "-correct", class: "quiz-correct-label", "aria-hidden": "true" });
      const remove = el("button", { class: "small", type: "button" });
      const li = el("li", { class: "option-input quiz-input" }, field.el, el("span", { class: "quiz-correct" }, box, rightLabel), remove);
      li._p = { field, input, box, right: rightLabel, remove };
      remove.addEventListener("click", () => {
        const i = Array.from(list.children).indexOf(li);
        li.remove();
        relabel();
        const rest = Array.from(list.children).map((x) => x._p.input);
        (rest[Math.min(i, rest.length - 1)] || add).focus();
      });
      input.addEventListener("keydown", (ev) => {
        // Enter in an answer goes to the next one instead of submitting half a quiz.
        if (ev.key !== "Enter") return;
        ev.preventDefault();
        const items = Array.from(list.children).map((x) => x._p.input);
        const i = items.indexOf(input);
        if (i < items.length - 1) items[i + 1].focus();
        else if (items.length < MAX_OPTIONS) addOption("", false).focus();
      });
      list.append(li);
      relabel();
      return input;
    }

    function reset() {
      list.textContent = "";
      // No answer is right until the facilitator says which.
      addOption("", false);
      addOption("", false);
      seconds.value = String(SECONDS.def);
      points.value = String(POINTS.def);
      segment.input.checked = false;
    }

    add.addEventListener("click", () => {
      if (list.children.length < MAX_OPTIONS) addOption("", false).focus();
    });
    reset();

    return {
      fields,
      relabel,
      reset,
      // fill loads a draft's view into the form, for the console's Edit
      // (the facilitator's view has the right answers).
      fill(a) {
        list.textContent = "";
        const right = new Set(a.correct || []);
        (a.options || []).forEach((o, i) => fillText(addOption("", right.has(i)), o.label, o.labels));
        while (list.children.length < 2) addOption("", false);
        seconds.value = String(a.seconds ?? SECONDS.def);
        points.value = String(a.points ?? POINTS.def);
        segment.input.checked = !!a.segment;
      },
      spec(title, fail) {
        const rows = Array.from(list.children).map((li) => li._p);
        const kept = rows.filter((p) => p.input.value.trim());
        if (kept.length < 2) {
          fail(t("quiz.needOptions", { max: MAX_OPTIONS }), (rows.find((p) => !p.input.value.trim()) || { input: add }).input);
          return null;
        }
        const correct = [];
        kept.forEach((p, i) => { if (p.box.checked) correct.push(i); });
        if (!correct.length) {
          fail(t("quiz.needCorrect"), kept[0].box);
          return null;
        }
        const s = Number(seconds.value);
        if (!Number.isInteger(s) || s < SECONDS.min || s > SECONDS.max) {
          fail(t("quiz.secondsRange", { min: SECONDS.min, max: SECONDS.max }), seconds);
          return null;
        }
        const p = Number(points.value);
        if (!Number.isInteger(p) || p < 0 || p > POINTS.max) {
          fail(t("quiz.pointsRange", { max: num(POINTS.max) }), points);
          return null;
        }
        const spec = { kind, title, options: kept.map((r) => r.field.value()), correct, seconds: s, points: p };
        if (segment.input.checked) spec.segment = true;
        return spec;
      },
    };
  },

  create(c) {
    useCSS(CSS);
    c.quizInfo = el("p", { cls: "hint" });
    c.quizClock = el("p", { cls: "quiz-clock" });
    c.quizList = el("ul", { cls: "bars quiz-bars" });
    c.quizBoardHead = el("h4", { cls: "quiz-board-head", text: t("quiz.leaderboard") });
    c.quizBoard = el("ol", { cls: "quiz-board" });
    c.quizSegs = el("div");
    c.body.append(c.quizInfo, c.quizClock, c.quizList, c.quizBoardHead, c.quizBoard, c.quizSegs);
  },

  update(c, a, ctx) {
    const n = a.responses ?? 0;
    c.quizInfo.textContent = t("quiz.info", { n: num(n), seconds: num(a.seconds ?? 0), points: num(a.points ?? 0) });
    host.tick(c, ctx);
    const right = correctSet(a);
    const opts = a.options || [];
    syncList(c.quizList, opts, (o, i) => i, () => {
      const letter = el("span", { cls: "quiz-letter", attrs: { "aria-hidden": "true" } });
      const label = el("span", { cls: "bar-label" });
      const tag = el("span", { cls: "tag quiz-right" });
      const count = el("span", { cls: "bar-count" });
      const fill = el("span", { cls: "bar-fill" });
      const track = el("span", { cls: "bar-track", attrs: { "aria-hidden": "true" } }, [fill]);
      const li = el("li", { cls: "bar-row" }, [el("span", { cls: "bar-text" }, [letter, label, tag, count]), track]);
      li._p = { letter, label, tag, count, fill };
      return li;
    }, (li, o, i) => {
      const votes = o.count ?? 0;
      const share = n > 0 ? Math.round((votes * 100) / n) : 0;
      li._p.letter.textContent = LETTERS[i] || "";
      li._p.label.textContent = o.label;
      li._p.tag.textContent = right.has(i) ? t("quiz.isCorrect") : "";
      li._p.tag.hidden = !right.has(i);
      li.classList.toggle("quiz-is-right", right.has(i));
      li._p.count.textContent = t("quiz.count", { n: num(votes), pct: share });
      li._p.fill.style.width = `${share}%`;
    });
    const board = Array.isArray(a.leaderboard) ? a.leaderboard : null;
    c.quizBoardHead.hidden = !board;
    c.quizBoard.hidden = !board;
    if (board) {
      c.quizBoardHead.textContent = t("quiz.leaderboard");
      c.quizBoard.textContent = "";
      if (!board.length) c.quizBoard.append(el("li", { cls: "hint", text: t("quiz.noPlayers") }));
      for (const l of board) {
        c.quizBoard.append(el("li", null, el("span", { cls: "quiz-rank", text: num(l.rank) }), el("span", { cls: "quiz-name", text: player(l) }),
          el("span", { cls: "quiz-pts", text: t("quiz.pts", { n: num(l.points) }) })));
      }
    }
    if (seg()) seg().place(c.quizSegs, seg().segmentsOf(a) && [el("p", { cls: "hint", text: t("quiz.segAnswers") }), seg().segmentsTable(a, opts.map((o) => o.label), segCounts)]);
  },

  // tick redraws the countdown every second.
  tick(c, ctx) {
    const a = c.a;
    if (!a || !c.quizClock) return;
    const p = phase(a, ctx.clockOffset());
    let text = "";
    if (p === "draft") text = t("quiz.notStarted", { s: num(a.seconds ?? 0) });
    else if (p === "open") text = t("quiz.left", { s: num(shownSeconds(secondsLeft(a, ctx.clockOffset()))) });
    else if (p === "up") text = t("quiz.timeUp");
    setText(c.quizClock, text);
    c.quizClock.hidden = !text;
  },

  summary(a) {
    if (a.state === "closed" && hasResults(a)) {
      const lead = Array.isArray(a.leaderboard) && a.leaderboard[0];
      return t("live.quizClosed", { title: a.title || "", answer: rightLabels(a), n: a.responses ?? 0,
        leader: lead ? t("live.quizLeader", { name: player(lead), points: lead.points }) : t("quiz.noPlayers") });
    }
    return t("live.quiz", { title: a.title || "", n: a.responses ?? 0 });
  },
};

// ---- page: show ----

export const show = {
  states: () => ({ closed: t("quiz.closed"), draft: t("quiz.draft") }),

  view(ctx) {
    useCSS(CSS);
    const root = el("section", "show-activity show-quiz");
    const h = ctx.header({ title: "" });
    const clockBox = el("div", "quiz-clock-box");
    const clock = el("p", { class: "quiz-clock", "aria-hidden": "true" });
    const clockLabel = el("p", "quiz-clock-label");
    clockBox.append(clock, clockLabel);
    const list = el("ol", "quiz-options");
    const boardHead = el("h3", "quiz-board-head", t("quiz.leaderboard"));
    const board = el("ol", "quiz-board");
    const boardBox = el("section", "quiz-board-box");
    boardBox.append(boardHead, board);
    const body = el("div", "quiz-body");
    body.append(list, boardBox);
    const segs = el("div", "show-segments");
    root.append(h.head, clockBox, body, segs);
    let a = null;
    let last = "";
    let timer = 0;

    function drawClock() {
      if (!a) return;
      const p = phase(a, ctx.clockOffset());
      root.dataset.phase = p;
      clockBox.hidden = p === "closed";
      if (p === "draft") {
        setText(clock, String(num(a.seconds ?? 0)));
        setText(clockLabel, t("quiz.seconds", { s: num(a.seconds ?? 0) }));
      } else if (p === "open") {
        const s = shownSeconds(secondsLeft(a, ctx.clockOffset()));
        setText(clock, String(num(s)));
        setText(clockLabel, t("quiz.secondsLeft"));
        clockBox.classList.toggle("quiz-ending", s <= 5);
      } else if (p === "up") {
        setText(clock, "0");
        setText(clockLabel, t("quiz.timeUp"));
      }
      // A screen reader hears the change of phase, not every second.
      if (p !== last) {
        const prev = last;
        last = p;
        if (prev && p === "up") say(ctx.liveTime, t("quiz.timeUp"));
        if (prev && p === "open") say(ctx.liveTime, t("live.started", { s: num(a.seconds ?? 0) }));
      }
      if (p === "open" || p === "up") {
        if (!timer) timer = setInterval(drawClock, 250);
      } else if (timer) {
        clearInterval(timer);
        timer = 0;
      }
    }

    return {
      el: root,
      update(next) {
        a = next;
        const opts = Array.isArray(a.options) ? a.options : [];
        const right = correctSet(a);
        const results = hasResults(a) && a.state === "closed";
        root.classList.toggle("quiz-results", results);
        setUserText(h.head.querySelector(".show-title"), a.title || "");
        if (list.children.length !== opts.length) {
          list.textContent = "";
          opts.forEach((o, i) => {
            const li = el("li", "quiz-option quiz-opt-" + i);
            li._p = {
              letter: el("span", { class: "quiz-letter", "aria-hidden": "true" }, LETTERS[i] || ""),
              label: el("span", "quiz-label"),
              mark: el("span", "quiz-mark"),
              markText: el("span", "visually-hidden"),
              count: el("span", "quiz-count"),
            };
            // From the back of a hall a large tick reads better than a
            // phrase; screen readers get the phrase.
            li._p.mark.append(el("span", { "aria-hidden": "true" }, "✓"), li._p.markText);
            li.append(li._p.letter, li._p.label, li._p.mark, li._p.count);
            list.append(li);
          });
        }
        const live = [a.title || ""];
        opts.forEach((o, i) => {
          const li = list.children[i];
          setText(li._p.label, o.label);
          // The display's second language goes under each answer.
          const l2 = ctx.second ? ctx.second(o.labels, o.label, "quiz-label-second") : null;
          if (l2) li._p.label.append(l2);
          const isRight = results && right.has(i);
          li.classList.toggle("is-right", isRight);
          li.classList.toggle("is-wrong", results && !isRight);
          setText(li._p.markText, isRight ? t("quiz.rightMark") : "");
          li._p.mark.hidden = !isRight;
          const shown = results && typeof o.count === "number";
          setText(li._p.count, shown ? num(o.count) : "");
          li._p.count.hidden = !shown;
          const letter = LETTERS[i] || String(i + 1);
          if (!results) live.push(t("live.option", { letter, label: o.label }));
          else live.push(t(isRight ? "live.optionRight" : "live.optionCount", { letter, label: o.label, n: num(o.count ?? 0) }));
        });
        // With the groups' panels under the answers, the board shows its
        // top five, so that everything fits a projector's screen.
        const segmented = results && !!seg()?.segmentsOf(a);
        const lb = results && Array.isArray(a.leaderboard) ? (segmented ? a.leaderboard.slice(0, 5) : a.leaderboard) : null;
        boardBox.hidden = !lb;
        if (lb) {
          setText(boardHead, t("quiz.leaderboard"));
          const sig = JSON.stringify(lb);
          if (board.dataset.sig !== sig) {
            board.dataset.sig = sig;
            board.textContent = "";
            if (!lb.length) board.append(el("li", "quiz-none", t("quiz.noPlayers")));
            for (const l of lb) {
              board.append(el("li", null, el("span", "quiz-rank", num(l.rank)), el("span", "quiz-name", player(l)), el("span", "quiz-pts", t("quiz.pts", { n: num(l.points) }))));
            }
          }
          live.push(t("quiz.leaderboard"));
          if (!lb.length) live.push(t("quiz.noPlayers"));
          for (const l of lb) live.push(t("live.leader", { rank: num(l.rank), name: player(l), points: num(l.points) }));
        }
        const n = a.responses ?? 0;
        const count = el("p", "show-count", t(isOne(n) ? "quiz.answerOne" : "quiz.answers", { n: num(n) }));
        live.push(count.textContent);
        if (a.state === "closed" && !results) {
          live.push(t("quiz.hidden"));
        }
        const labels = opts.map((o) => o.label);
        if (seg()) seg().place(segs, segmented && [el("p", "seg-note", t("quiz.segAnswers")), seg().segmentsGrid(a, labels, segCounts)]);
        if (segmented) live.push(t("quiz.segAnswers"), ...seg().countLines(a, labels, segCounts));
        ctx.fillMeta(h.meta, a, [a.state === "closed" && !results ? el("p", "show-badge show-badge-hidden", t("quiz.hidden")) : null, count]);
        drawClock();
        ctx.announce(live);
      },
      destroy() {
        if (timer) clearInterval(timer);
        timer = 0;
      },
    };
  },
};

// ---- page: attendee ----

export const attendee = {
  screen(a0, ctx) {
    useCSS(CSS);
    const head = ctx.titleBlock(a0);
    const clock = el("p", { class: "quiz-clock", role: "timer", "aria-live": "off" });
    const hint = el("p", { class: "hint", id: "quiz-hint" });
    const group = el("div", { class: "options quiz-options", role: "group", "aria-labelledby": "act-title", "aria-describedby": "quiz-hint" });
    const confirm = el("p", { class: "confirm", role: "status" });
    const resHead = el("h2", { id: "quiz-res-h", text: t("quiz.result") });
    const verdict = el("p", { class: "quiz-verdict" });
    const points = el("p", { class: "quiz-points" });
    const standing = el("p", { class: "quiz-standing" });
    const answer = el("p", { class: "quiz-answer" });
    const listed = el("p", { class: "hint quiz-listed" });
    const results = el("section", { class: "resbox quiz-result", "aria-labelledby": "quiz-res-h" }, resHead, verdict, points, standing, answer, listed);
    const live = liveText();
    const root = el("section", { class: "act quiz", "aria-labelledby": "act-title" }, ...head.nodes, clock, hint, group, confirm, results, live.el);

    let a = a0;
    let you = {};
    let buttons = [];
    let labels = "";
    let mine = null; // the option answered, or null
    let timer = 0;
    let last = "";

    function build() {
      group.textContent = "";
      buttons = a.options.map((o, i) => {
        const b = ctx.button("opt quiz-opt quiz-opt-" + i,
          el("span", { class: "row" }, el("span", { class: "quiz-letter", "aria-hidden": "true", text: LETTERS[i] || "" }), el("span", { class: "txt", text: o.label })),
          () => onAnswer(i, b), { "aria-pressed": "false" });
        group.append(b);
        return b;
      });
    }

    async function onAnswer(i, b) {
      if (phase(a, ctx.clockOffset()) !== "open" || mine !== null || disabled(b) || isBusy(b)) return;
      setText(confirm, "");
      const ack = await ctx.run(b, "answer", { activity: a.id, choice: i });
      if (ack) {
        mine = i;
        paint();
        setText(confirm, t("quiz.received", { label: a.options[i].label }));
      }
    }

    function paint() {
      const p = phase(a, ctx.clockOffset());
      root.dataset.phase = p;
      const canAnswer = p === "open" && mine === null;
      buttons.forEach((b, i) => {
        b.setAttribute("aria-pressed", mine === i ? "true" : "false");
        b.classList.toggle("checked", mine === i);
        setDisabled(b, !canAnswer);
      });
      let text = "";
      if (p === "open") text = t("quiz.left", { s: num(shownSeconds(secondsLeft(a, ctx.clockOffset()))) });
      else if (p === "up") text = t("quiz.timeUp");
      setText(clock, text);
      clock.hidden = !text;
      setText(hint, canAnswer ? t("quiz.hint") : "");
      hint.hidden = !canAnswer;
      if (p !== last) {
        const prev = last;
        last = p;
        if (prev === "open" && p === "up") live.set(t("quiz.timeUp"));
      }
      if (p === "open" || p === "up") {
        if (!timer) timer = setInterval(paint, 250);
      } else if (timer) {
        clearInterval(timer);
        timer = 0;
      }
    }

    function paintResults() {
      const done = a.state === "closed" && typeof you.rank === "number";
      results.hidden = !done;
      if (!done) return;
      const v = you.choice === null || you.choice === undefined ? t("quiz.none") : you.correct ? t("quiz.right") : t("quiz.wrong");
      setText(verdict, v);
      verdict.classList.toggle("is-right", !!you.correct);
      setText(points, t("quiz.points", { n: num(you.points ?? 0) }));
      setText(standing, t("quiz.standing", { total: num(you.total ?? 0), rank: num(you.rank) }));
      const right = hasResults(a) ? rightLabels(a) : "";
      setText(answer, right ? t("quiz.answerWas", { labels: right }) : "");
      answer.hidden = !right;
      setText(listed, you.name ? t("quiz.listedAs", { name: player(you) }) : "");
      listed.hidden = !you.name;
      live.set([v, points.textContent, standing.textContent, answer.textContent].filter(Boolean).join(" "));
    }

    return {
      el: root,
      update(next, y) {
        a = next;
        you = y || {};
        const l = JSON.stringify((a.options || []).map((o) => o.label));
        if (l !== labels) {
          labels = l;
          build();
        }
        if (typeof you.choice === "number") mine = you.choice;
        head.update(a, ctx.stateNote(a, { draft: t("quiz.draft"), closed: t("quiz.closed") }));
        paint();
        paintResults();
        if (!confirm.textContent && mine !== null && a.options[mine]) setText(confirm, t("quiz.answered", { label: a.options[mine].label }));
      },
      destroy() {
        if (timer) clearInterval(timer);
        timer = 0;
        live.stop();
      },
    };
  },
};
