// textfield.js: a text a facilitator writes in each of the session's
// languages (PROTOCOL.md 1.2, "Many languages"). Only the console uses it,
// so that phones do not download it.
import { t } from "/static/js/i18n.js";
import { el } from "/static/js/dom.js";
import { langName, markLang } from "/static/js/langs.js";

// textField is a text a facilitator writes in each of the session's
// languages, side by side: the first language's input, then one per other
// language, each saying when its translation is missing. value() is what
// the protocol takes: the plain string in a session of one language or
// none, else a map of the languages filled in.
//   label: the visible label of the first input
export function textField({ id, maxlength, label, languages, required }) {
  const main = el("input", { id, type: "text", maxlength: String(maxlength || 200), autocomplete: "off", required: !!required });
  const labelEl = el("label", { for: id, text: label || "" });
  const extra = el("div", { class: "translations" });
  const root = el("div", { class: "text-field" }, labelEl, main, extra);
  let langs = [];
  const inputs = new Map(); // tag → {input, missing}

  function setLanguages(list) {
    langs = Array.isArray(list) ? list.slice() : [];
    markLang(main, langs[0] || "");
    const keep = new Set(langs.slice(1));
    for (const [tag, f] of inputs) {
      if (!keep.has(tag)) {
        f.row.remove();
        inputs.delete(tag);
      }
    }
    for (const tag of langs.slice(1)) {
      if (inputs.has(tag)) continue;
      const tid = `${id}-${tag}`;
      const input = el("input", { id: tid, type: "text", maxlength: String(maxlength || 200), autocomplete: "off", lang: tag });
      const missing = el("span", { class: "missing", id: `${tid}-missing` });
      const name = el("label", { for: tid, class: "translation-label" });
      input.setAttribute("aria-describedby", missing.id);
      const row = el("p", { class: "translation" }, name, input, missing);
      input.addEventListener("input", () => paint());
      inputs.set(tag, { input, missing, name, row });
      extra.append(row);
    }
    relabel();
    paint();
  }

  function relabel() {
    labelEl.textContent = label ? (langs.length > 1 ? `${label} (${langName(langs[0])})` : label) : "";
    for (const [tag, f] of inputs) f.name.textContent = t("lang.translation", { lang: langName(tag) });
    paint();
  }

  function paint() {
    for (const f of inputs.values()) f.missing.textContent = f.input.value.trim() ? "" : t("lang.missing");
  }

  return {
    el: root,
    input: main,
    setLanguages,
    relabel(text) {
      if (text !== undefined) label = text;
      relabel();
    },
    value() {
      const first = main.value.trim();
      if (langs.length < 2) return first;
      const m = {};
      if (first) m[langs[0]] = first;
      for (const [tag, f] of inputs) {
        const v = f.input.value.trim();
        if (v) m[tag] = v;
      }
      return Object.keys(m).length > 1 ? m : first || Object.values(m)[0] || "";
    },
    // missing lists the languages without a translation, when there is
    // anything to translate.
    missing() {
      if (!main.value.trim()) return [];
      return Array.from(inputs).filter(([, f]) => !f.input.value.trim()).map(([tag]) => tag);
    },
    clear() {
      main.value = "";
      for (const f of inputs.values()) f.input.value = "";
      paint();
    },
    // set fills the inputs from a string or a map per language.
    set(text) {
      const m = text && typeof text === "object" ? text : null;
      main.value = m ? m[langs[0]] || "" : String(text || "");
      for (const [tag, f] of inputs) f.input.value = (m && m[tag]) || "";
      paint();
    },
  };
}
