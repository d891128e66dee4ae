// A searchable timezone picker: a text field with every IANA zone the browser knows as suggestions; the value
// must be one of them (the API refuses any other).
import { esc } from "./format.js";

export const ZONES = (typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [])
  .concat(["UTC"]).filter((z, i, all) => all.indexOf(z) === i);

export function zoneField(id, label, value, hint = "Type to search, e.g. Paris or New_York.") {
  return `<label for="${esc(id)}">${esc(label)}</label>
    <input id="${esc(id)}" name="${esc(id)}" list="${esc(id)}-list" required autocomplete="off" spellcheck="false"
      value="${esc(value)}" aria-describedby="${esc(id)}-hint">
    <p class="hint" id="${esc(id)}-hint">${esc(hint)}</p>
    <datalist id="${esc(id)}-list">${ZONES.map((z) => `<option value="${esc(z)}"></option>`).join("")}</datalist>`;
}

export const isZone = (value) => ZONES.includes(value);
