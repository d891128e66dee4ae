// Shared DOM helpers of the views: patching, the status and error lines, errors in words, chips and badges.
import { ApiError, token } from "./api.js";
import { esc, scopeText, viewerZone, when } from "./format.js";
import { detailText, reasonAction, reasonLabel, statusLabel } from "./words.js";

export const main = document.getElementById("main");
const statusLine = document.getElementById("status-line");
const errorLine = document.getElementById("error-line");

// Replace a region's markup only when it changed, so polling never steals focus or resets a tooltip.
export function patch(el, html) {
  if (el && el.dataset.html !== html) {
    el.innerHTML = html;
    el.dataset.html = html;
  }
}

// The polite status line (role=status): confirmations and automatic changes. Saying something new replaces
// whatever was said before, so a stale message never sits above a newer state.
export function say(message) {
  statusLine.textContent = message;
  if (message) sayError("");
}

// A message for the next page: routing clears both lines, then says it (e.g. "added" after a form).
let flashed = null;
export function flash(message, isError = false) {
  flashed = { message, isError };
}
export function showFlash() {
  const f = flashed;
  flashed = null;
  if (f) (f.isError ? sayError : say)(f.message);
}

// The error line (role=alert), styled as an error.
export function sayError(message) {
  errorLine.textContent = message;
  errorLine.hidden = !message; // an empty alert region stays out of the accessibility tree
  if (message) statusLine.textContent = "";
}

export function focusHeading() {
  const heading = main.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: false });
  }
}

// An error in words: the API's message, made a sentence (its code stays out of the copy).
export function errorText(err) {
  if (!(err instanceof ApiError)) return `Could not reach Holdfast: ${err.message}.`;
  const text = detailText(err.message);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

export function errorBox(err, extra = "") {
  const code = err instanceof ApiError ? err.code : "unreachable";
  return `<div class="alert" role="alert" tabindex="-1" data-code="${esc(code)}"><p>${esc(errorText(err))}</p>${extra}</div>`;
}

export function handleAuthError(err) {
  if (err instanceof ApiError && err.status === 401) {
    token.clear();
    sessionStorage.setItem("holdfast.expired", "1");
    location.hash = "#/sign-in";
    return true;
  }
  return false;
}

export function statusBadge(status) {
  return `<span class="badge badge-${esc(status)}" data-status="${esc(status)}">${esc(statusLabel(status))}</span>`;
}

// A reason chip: a focusable button described by its tooltip (explanation and action), shown on hover and focus.
export function chip(reason, campaign, id, more = 0, scopes = null) {
  const scope = scopeText(scopes || [reason.scope], campaign);
  return `<span class="chip-wrap">
    <button type="button" class="chip chip-${reason.reason === "manual" ? "manual" : "warn"}"
      data-reason="${esc(reason.reason)}" aria-describedby="${esc(id)}">
      <span class="chip-label">${esc(reasonLabel(reason.reason))}${more > 0 ? ` +${more}` : ""}</span>
      <span class="chip-scope">${esc(scope)}</span>
    </button>
    <span role="tooltip" id="${esc(id)}" class="tip">
      <span class="tip-explanation">${esc(reason.explanation)}</span>
      <span class="tip-action"><strong>What to do:</strong> ${esc(reasonAction(reason.reason, reason.action))}</span>
      ${reason.since ? `<span class="tip-since">Since ${esc(when(reason.since, viewerZone()))}</span>` : ""}
    </span>
  </span>`;
}
