// langs.js: the session's content languages on the pages (PROTOCOL.md 1.2,
// "Many languages"). The interface's own language is i18n.js's; this is the
// language of what the facilitator wrote.
import { lang as uiLang } from "/static/js/i18n.js";

// contentLang is the session language a page in `want` reads, the server's
// rule (session.State.Lang): the same tag, else one of the same base
// language, else the default; "" when the session has no languages.
export function contentLang(want, languages) {
  const langs = Array.isArray(languages) ? languages : [];
  if (!langs.length) return "";
  if (langs.includes(want)) return want;
  return langs.find((l) => sameLang(l, want)) || langs[0];
}

// sameLang says whether two tags are the same language: "fr-CA" is French.
export function sameLang(a, b) {
  const base = (s) => String(s || "").split("-")[0].toLowerCase();
  return !!a && !!b && base(a) === base(b);
}

// langName is a language's name in the interface's language ("français"
// in a French console, "French" in an English one).
export function langName(tag) {
  try {
    const names = new Intl.DisplayNames([uiLang()], { type: "language" });
    return names.of(tag) || tag;
  } catch {
    return tag;
  }
}

// markLang: the language of a node's text, for the screen reader's voice; then frSpaces.
export function markLang(node, tag) {
  if (!node) return;
  if (tag) node.lang = tag;
  else node.removeAttribute("lang");
  if (!sameLang(tag, "fr")) return;
  const w = document.createTreeWalker(node, 4);
  for (let n; (n = w.nextNode()); ) n.data = frSpaces(n.data, n.parentElement.closest("[lang]").lang);
}

// frSpaces: French user text shown with no-break spaces before ?!;:» and after «.
export function frSpaces(s, tag) {
  return sameLang(tag, "fr") ? String(s).replace(/ ([?!;])/g, "\u202f$1").replace(/ ([:»])/g, "\u00a0$1").replace(/« /g, "«\u00a0") : s;
}

export function setUserText(node, s) {
  node.textContent = frSpaces(s, (node.closest("[lang]") || document.documentElement).lang);
}

// parseLanguages reads "en, fr, es" as a list of tags.
export function parseLanguages(text) {
  return String(text || "")
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

// second is a text's translation in the display's second language, or "":
// maps come to facilitators and displays as "titles" and "labels".
export function second(map, tag, shown) {
  if (!tag || !map || typeof map !== "object") return "";
  const s = map[tag];
  return s && s !== shown ? s : "";
}

// inLang is a name sent with its map per language beside it (a
// "constituencyNames" entry) as a page in `want` reads it, by the server's
// rule: [text, its language].
export function inLang(map, plain, want, languages) {
  const def = (languages || [])[0] || "";
  const m = map || {};
  const tag = [want, contentLang(want, languages)].find((k) => k && m[k]) || Object.keys(m).sort().find((k) => m[k] && sameLang(k, want)) || (m[def] ? def : "");
  return tag ? [m[tag], tag] : [String(plain || ""), def];
}
