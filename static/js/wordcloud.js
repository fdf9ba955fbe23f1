// wordcloud.js: lays out and draws a word cloud for the projector display.
//
// Font size follows each word's count (scaled to the largest). Words are
// placed largest first on an elliptical spiral from the middle, checking
// their rectangles against the ones already placed, so nothing overlaps and
// the biggest words sit in the centre. A word keeps its place from one update
// to the next when it still fits there, so the cloud does not jump around
// when a vote arrives; new words fade and grow in.

// Okabe-Ito hues, lightened where needed so that each keeps a contrast of at
// least 7:1 on the display's dark background (#0b0f16).
const PALETTE = ["#f0e442", "#56b4e9", "#e69f00", "#3fd0a8", "#e4a3c8", "#ffffff"];

// The smallest word is this fraction of the largest.
const MIN_REL = 0.3;
// Share of the area the words' boxes aim to fill before the spiral search.
const FILL = 0.55;
// Spiral: radius grows by SPIRAL_A px per radian; points are about STEP_PX apart.
const SPIRAL_A = 5;
const STEP_PX = 7;
const MAX_WORDS = 100;
const LEAVE_MS = 600;

function hash(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

function keyOf(text) {
  return text.normalize("NFC").toLowerCase();
}

function overlaps(r, placed) {
  for (let i = 0; i < placed.length; i++) {
    const p = placed[i];
    if (r.x0 < p.x1 && r.x1 > p.x0 && r.y0 < p.y1 && r.y1 > p.y0) return true;
  }
  return false;
}

/** WordCloud draws words into el (which must have a size of its own). */
export class WordCloud {
  /** @param {HTMLElement} el */
  constructor(el) {
    this.el = el;
    this.words = [];
    // key -> {span, fx, fy (centre as a fraction of the box), size, text}
    this.nodes = new Map();
    this.raf = 0;
    this.lastSig = "";
    // The largest font size of the last layout, to zoom old places with it.
    this.lastMaxF = 0;
    this.ctx = document.createElement("canvas").getContext("2d");
    this.ro = new ResizeObserver(() => this.schedule(true));
    this.ro.observe(el);
  }

  /** update shows words: [{text, count}], most frequent first. */
  update(words) {
    this.words = Array.isArray(words) ? words : [];
    this.schedule(false);
  }

  schedule(force) {
    if (force) this.lastSig = "";
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      this.layout();
    });
  }

  destroy() {
    this.ro.disconnect();
    cancelAnimationFrame(this.raf);
    this.raf = 0;
    this.nodes.clear();
    this.el.textContent = "";
  }

  layout() {
    const W = this.el.clientWidth;
    const H = this.el.clientHeight;
    if (W < 20 || H < 20) return;

    // Merge entries that differ only in case, keep the server's order
    // (most frequent first) and drop anything that is not a word.
    const seen = new Map();
    for (const w of this.words) {
      if (!w || typeof w.text !== "string" || !w.text.trim() || !(w.count > 0)) continue;
      const k = keyOf(w.text);
      const prev = seen.get(k);
      if (prev) prev.count += w.count;
      else seen.set(k, { key: k, text: w.text, count: w.count });
    }
    const list = Array.from(seen.values()).sort((a, b) => b.count - a.count).slice(0, MAX_WORDS);

    const sig = W + "x" + H + "|" + list.map((w) => w.key + ":" + w.count + ":" + w.text).join("|");
    if (sig === this.lastSig) return;
    this.lastSig = sig;

    const style = getComputedStyle(this.el);
    const family = style.fontFamily || "sans-serif";
    const weight = "700";
    this.ctx.font = weight + " 100px " + family;

    const maxCount = list.length ? list[0].count : 1;
    for (const w of list) {
      w.rel = MIN_REL + (1 - MIN_REL) * (w.count / maxCount);
      w.w100 = this.ctx.measureText(w.text).width;
    }

    // First guess of the largest font size from the area the boxes would
    // cover, bounded so that every word fits the width and the largest one
    // is not taller than a third of the box.
    let area100 = 0;
    for (const w of list) area100 += (w.w100 * w.rel + 20 * w.rel) * (112 * w.rel);
    let maxF = area100 > 0 ? 100 * Math.sqrt((FILL * W * H) / area100) : 0;
    maxF = Math.min(maxF, H / 3);
    for (const w of list) {
      if (w.w100 > 0) maxF = Math.min(maxF, (0.96 * W * 100) / (w.w100 * w.rel + 16 * w.rel));
    }

    let placed = null;
    for (let attempt = 0; attempt < 12 && list.length; attempt++) {
      const last = attempt === 11 || maxF * MIN_REL < 9;
      placed = this.place(list, maxF, W, H, !last);
      if (placed) {
        this.lastMaxF = maxF;
        break;
      }
      maxF *= 0.9;
    }
    this.render(placed || [], W, H);
  }

  // place returns [{word, cx, cy, size}] or null when strict and a word did
  // not fit (the caller then shrinks everything and tries again).
  place(list, maxF, W, H, strict) {
    const rects = [];
    const out = [];
    const cx0 = W / 2;
    const cy0 = H / 2;
    const ax = Math.max(1, W / H);
    const maxR = Math.hypot(W / 2 / ax, H / 2) + 10;

    const fits = (cx, cy, bw, bh) => {
      const r = { x0: cx - bw / 2, y0: cy - bh / 2, x1: cx + bw / 2, y1: cy + bh / 2 };
      if (r.x0 < 0 || r.y0 < 0 || r.x1 > W || r.y1 > H) return null;
      return overlaps(r, rects) ? null : r;
    };

    for (let i = 0; i < list.length; i++) {
      const w = list[i];
      const size = maxF * w.rel;
      const pad = size * 0.14;
      const bw = (w.w100 * size) / 100 + pad;
      const bh = size * 1.04 + pad * 0.4;
      let spot = null;
      let cx = 0;
      let cy = 0;

      // Keep a word where it was, unless it is the largest one, which
      // belongs in the middle.
      const prev = this.nodes.get(w.key);
      if (prev && i > 0 && !prev.leaving) {
        // When every word grew or shrank, the old places zoom with them
        // around the middle, so the arrangement is kept and stays compact.
        const k = this.lastMaxF > 0 ? maxF / this.lastMaxF : 1;
        cx = cx0 + (prev.fx * W - cx0) * k;
        cy = cy0 + (prev.fy * H - cy0) * k;
        spot = fits(cx, cy, bw, bh);
        if (spot) {
          // Let it slide towards the middle until it touches another word,
          // so that the cloud stays compact when words shrink.
          const dx = cx0 - cx;
          const dy = cy0 - cy;
          const steps = Math.floor(Math.hypot(dx, dy) / STEP_PX);
          const x0 = cx;
          const y0 = cy;
          for (let s = 1; s <= steps; s++) {
            const nx = x0 + (dx * s) / steps;
            const ny = y0 + (dy * s) / steps;
            const r = fits(nx, ny, bw, bh);
            if (!r) break;
            spot = r;
            cx = nx;
            cy = ny;
          }
        }
      }
      if (!spot) {
        const start = ((hash(w.key) % 628) / 100);
        let th = 0;
        for (;;) {
          const r = SPIRAL_A * th;
          if (r > maxR) break;
          cx = cx0 + r * Math.cos(th + start) * ax;
          cy = cy0 + r * Math.sin(th + start);
          spot = fits(cx, cy, bw, bh);
          if (spot) break;
          th += Math.min(0.5, STEP_PX / Math.max(r * ax, 1));
        }
      }
      if (!spot) {
        if (strict) return null;
        continue;
      }
      rects.push(spot);
      out.push({ word: w, cx, cy, size });
    }
    return out;
  }

  render(placed, W, H) {
    const keep = new Set();
    for (const p of placed) {
      const w = p.word;
      keep.add(w.key);
      let n = this.nodes.get(w.key);
      const fresh = !n || n.leaving;
      if (!n) {
        const span = document.createElement("span");
        span.className = "wc-word wc-enter";
        span.style.color = PALETTE[hash(w.key) % PALETTE.length];
        n = { span };
        this.nodes.set(w.key, n);
        this.el.appendChild(span);
      }
      if (n.leaving) {
        clearTimeout(n.leaving);
        n.leaving = 0;
        n.span.classList.remove("wc-leave");
      }
      if (n.text !== w.text) {
        n.span.textContent = w.text;
        n.text = w.text;
      }
      n.fx = p.cx / W;
      n.fy = p.cy / H;
      n.span.style.left = p.cx.toFixed(1) + "px";
      n.span.style.top = p.cy.toFixed(1) + "px";
      n.span.style.fontSize = p.size.toFixed(1) + "px";
      if (fresh) {
        const span = n.span;
        // Two frames so that the starting state is drawn before the change.
        requestAnimationFrame(() => requestAnimationFrame(() => span.classList.remove("wc-enter")));
      }
    }
    for (const [k, n] of this.nodes) {
      if (keep.has(k) || n.leaving) continue;
      n.span.classList.add("wc-leave");
      n.leaving = setTimeout(() => {
        n.span.remove();
        this.nodes.delete(k);
      }, LEAVE_MS);
    }
  }
}
