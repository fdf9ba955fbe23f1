// The activity kinds the pages know, in the console's order. Adding a kind
// is its module, kinds/<kind>.js (see static/README-pages.md, "Kind
// modules"), its line here and its keys in the translation tables.
export const KINDS = [
  "poll",
  "wordcloud",
  "qa",
  "queue",
  "quiz",
  "open",
  "scale",
  "ranking",
];

const modules = new Map(); // kind -> its module, once loaded
const loading = new Map(); // kind -> the import under way

function importKind(kind) {
  let p = loading.get(kind);
  if (!p) {
    p = import(`/static/js/kinds/${kind}.js`).then((m) => {
      modules.set(kind, m);
      return m;
    });
    p.finally(() => loading.delete(kind)).catch(() => {});
    loading.set(kind, p);
  }
  return p;
}

// kindModule is the module of a kind, for pages that draw one activity at a
// time (the phone and the display load only what they show): the module;
// null for a kind this page does not know; undefined while it loads, and
// then onLoad is called once it has. A failed load is tried again at the
// next call.
export function kindModule(kind, onLoad) {
  if (modules.has(kind)) return modules.get(kind);
  if (!KINDS.includes(kind)) return null;
  if (!loading.has(kind)) importKind(kind).then(() => onLoad && onLoad(), () => {});
  return undefined;
}

// loadKinds imports every kind module (the console, which offers them all),
// as a Map by kind.
export async function loadKinds() {
  const mods = await Promise.all(KINDS.map(importKind));
  return new Map(KINDS.map((k, i) => [k, mods[i]]));
}
