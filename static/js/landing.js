// landing.js: the code field on / that leads to /j/<code>.
import { initI18n, t, languageSwitcher } from "/static/js/i18n.js";

const form = document.getElementById("join");
const input = document.getElementById("code");
const error = document.getElementById("code-error");

function showError() {
  error.textContent = t("code.invalid");
  input.setAttribute("aria-invalid", "true");
  input.focus();
}

form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const raw = input.value.trim();
  // Spaces, dashes and dots are how people copy a code; anything else is a typo.
  if (!/^[\d\s\-.]*$/.test(raw)) return showError();
  const digits = raw.replace(/\D/g, "");
  if (digits.length !== 8) return showError();
  location.href = "/j/" + digits;
});

input.addEventListener("input", () => {
  if (input.hasAttribute("aria-invalid")) {
    input.removeAttribute("aria-invalid");
    error.textContent = "";
  }
});

await initI18n("landing");
languageSwitcher(document.getElementById("lang"), () => {
  if (input.hasAttribute("aria-invalid")) error.textContent = t("code.invalid");
});
