// i18n.js: translation tables for one page, and the language switcher.

const LANGS = { en: "English", fr: "Français", es: "Español" };
const STORE_KEY = "townhall.lang";

let table = {};
let current = "en";

function stored() {
  try {
    return localStorage.getItem(STORE_KEY);
  } catch (e) {
    return null;
  }
}

function pick() {
  const s = stored();
  if (s && LANGS[s]) return s;
  const prefs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""];
  for (const p of prefs) {
    const base = String(p).toLowerCase().split("-")[0];
    if (LANGS[base]) return base;
  }
  return "en";
}

// initI18n loads /static/i18n/<page>.json, picks the language and applies
// it; without a table the page shows its keys rather than nothing.
export async function initI18n(page) {
  try {
    const res = await fetch("/static/i18n/" + page + ".json");
    if (res.ok) table = await res.json();
  } catch (e) {
    table = {};
  }
  current = pick();
  document.documentElement.lang = current;
  applyI18n(document);
}

/** lang returns the current language code: "en", "fr" or "es". */
export function lang() {
  return current;
}

// Plurals: "key" is the general form, "key.one" (or ".few", ".many") the
// form Intl.PluralRules picks for the count; French puts 0 with 1.
const rules = {};
function lookup(language, key, n) {
  const l = table[language] || {};
  let s;
  try {
    if (!isNaN(n)) s = l[key + "." + (rules[language] ||= new Intl.PluralRules(language)).select(n)];
  } catch (e) {
    // an unknown language: the general form
  }
  return s === undefined ? l[key] : s;
}

// t is key's string in the current language (else English, else the key),
// {name} replaced from vars; a vars.n that is a count picks the plural form.
export function t(key, vars) {
  const n = vars && /^[\d\s.,]+$/.test(vars.n) ? Number(String(vars.n).replace(/\D/g, "")) : NaN;
  return format(key, vars, n);
}

/** plural is t for count things, {n} the count as the language writes it. */
export function plural(key, count, vars) {
  return format(key, Object.assign({ n: new Intl.NumberFormat(current).format(count) }, vars), count);
}

function format(key, vars, n) {
  let s = lookup(current, key, n);
  if (s === undefined) s = lookup("en", key, n);
  if (s === undefined) s = key;
  if (vars) {
    s = s.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
  }
  return s;
}

// applyI18n translates root and its descendants: textContent for
// [data-i18n="key"], attributes for [data-i18n-attr="attr:key;attr2:key2"].
export function applyI18n(root) {
  const r = root || document;
  const all = (sel) => {
    const list = Array.from(r.querySelectorAll(sel));
    if (r.matches && r.matches(sel)) list.unshift(r);
    return list;
  };
  for (const el of all("[data-i18n]")) {
    el.textContent = t(el.getAttribute("data-i18n"));
  }
  for (const el of all("[data-i18n-attr]")) {
    for (const pair of el.getAttribute("data-i18n-attr").split(";")) {
      const i = pair.indexOf(":");
      if (i < 0) continue;
      const attr = pair.slice(0, i).trim();
      const key = pair.slice(i + 1).trim();
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
}

// languageSwitcher fills a <select> with the languages; on change it stores
// the choice, re-applies the translations and calls onChange().
export function languageSwitcher(selectEl, onChange) {
  selectEl.textContent = "";
  for (const code of Object.keys(LANGS)) {
    const o = document.createElement("option");
    o.value = code;
    o.lang = code;
    o.textContent = LANGS[code];
    selectEl.appendChild(o);
  }
  selectEl.value = current;
  selectEl.addEventListener("change", () => {
    const v = selectEl.value;
    if (!LANGS[v]) return;
    current = v;
    try {
      localStorage.setItem(STORE_KEY, v);
    } catch (e) {
      // private mode: the choice lasts for this page only
    }
    document.documentElement.lang = v;
    applyI18n(document);
    if (onChange) onChange();
  });
}
