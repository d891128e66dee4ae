// Email inboxes: status since when and why, a reconnect form (a live-checked password) and Google/Microsoft sign-in.
import { api, ApiError } from "./api.js";
import { esc, viewerZone, when } from "./format.js";
import { senderUsage } from "./results.js";
import { errorBox, handleAuthError, main, patch, say, statusBadge } from "./ui.js";
import { detailText, statusLabel } from "./words.js";

const SERVER = { smtp: "SMTP (sending)", imap: "IMAP (reading replies)" };

const LOGIN_REASON = {
  unreachable: "the server could not be reached",
  tls_certificate: "its certificate could not be verified (wrong server name, or a certificate authority this " +
    "system does not trust)",
  plaintext_refused: "security \"none\" is only allowed for local or private addresses",
};

export function loginFailedAlert(err, verb = "Not reconnected") {
  const failed = (err.details && err.details.failed) || [];
  const reasons = (err.details && err.details.reasons) || {};
  const names = failed.map((s) => s.toUpperCase()).join(" and ") || "the server";
  return `<p><strong>${esc(verb)}: the ${esc(names)} login failed.</strong> Nothing was changed.</p>
    <ul>${failed.map((s) => `<li data-server="${esc(s)}">${esc(SERVER[s] || s.toUpperCase())}:
      ${LOGIN_REASON[reasons[s]] || "the password was refused"}</li>`).join("")}</ul>
    <p>Check the password (for Gmail or Outlook, an app password) and try again.</p>`;
}

export function inboxesView() {
  main.innerHTML = `<h1>Email inboxes</h1>
    <p><a class="button primary" href="#/inboxes/new">Add inbox</a></p>
    <div id="inboxes"><p>Loading…</p></div>`;
  const box = document.getElementById("inboxes");
  let shape = null; // the inbox ids on screen: the forms are built once per set, so polling never clears a field

  function renderStatus(li, inbox) {
    const me = viewerZone();
    li.dataset.status = inbox.status;
    patch(li.querySelector(".inbox-status"), `${statusBadge(inbox.status)}
      ${inbox.status === "connected" ? "" : `since ${esc(when(inbox.status_since, me))}`}`);
    patch(li.querySelector(".why-status"), inbox.status === "connected" ? "" : esc(detailText(inbox.status_detail)));
    patch(li.querySelector(".bounce-poll-error"), inbox.bounce_poll_error
      ? `Bounce reports could not be read: ${esc(inbox.bounce_poll_error)}` : "");
    const details = li.querySelector("details");
    if (!details) return; // an OAuth inbox: no password form
    if (inbox.status !== "connected" && !details.dataset.touched) details.open = true;
    li.querySelector(".reconnect-submit").classList.toggle("primary", inbox.status !== "connected");
  }

  box.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-oauth]");
    if (!button) return;
    const li = button.closest("li[data-inbox-id]");
    const out = li.querySelector(".oauth-out");
    button.disabled = true;
    out.innerHTML = "";
    try {
      const started = await api("POST", `/inboxes/${li.dataset.inboxId}/oauth/start`, {
        provider: button.dataset.oauth, redirect_uri: `${location.origin}/oauth/return` });
      window.open(started.url, "_blank", "noopener");
      out.innerHTML = `<p class="notice" role="status">The sign-in page opened in a new tab. Not there?
        <a href="${esc(started.url)}" target="_blank" rel="noopener">Open the sign-in page</a>
        (valid for 10 minutes).</p>`;
    } catch (err) {
      if (handleAuthError(err)) return;
      out.innerHTML = errorBox(err);
    } finally {
      button.disabled = false;
    }
  });
  box.addEventListener("toggle", (event) => { event.target.dataset.touched = "1"; }, true);
  box.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-inbox]");
    if (!form) return;
    event.preventDefault();
    const li = form.closest("li");
    const out = form.querySelector(".reconnect-out");
    const input = form.elements.app_password;
    const button = form.querySelector("button[type=submit]");
    if (!input.value) { input.focus(); return; }
    button.disabled = true;
    out.innerHTML = `<p class="muted">Checking the SMTP and IMAP logins…</p>`;
    try {
      const inbox = await api("PUT", `/inboxes/${form.dataset.inbox}/credentials`, { app_password: input.value });
      input.value = "";
      out.innerHTML = "";
      renderStatus(li, inbox);
      say(`${inbox.email} is ${statusLabel(inbox.status).toLowerCase()}.`);
    } catch (err) {
      if (handleAuthError(err)) return;
      out.innerHTML = err instanceof ApiError && err.code === "login_failed"
        ? `<div class="alert" role="alert" tabindex="-1" data-code="login_failed">${loginFailedAlert(err)}</div>` : errorBox(err);
      out.firstElementChild.focus();
    } finally {
      button.disabled = false;
    }
  });

  return {
    async refresh() {
      const { inboxes } = await api("GET", "/inboxes");
      const usage = await Promise.all(inboxes.map((i) => api("GET", `/inboxes/${i.id}/stats`).catch(() => null)));
      if (!box.isConnected) return;
      const ids = inboxes.map((i) => i.id).join(",");
      if (ids !== shape) {
        shape = ids;
        box.innerHTML = inboxes.length ? `<ul class="accounts" role="list">${inboxes.map((i) => `
          <li class="card account inbox" data-inbox-id="${esc(i.id)}" aria-labelledby="inbox-h-${esc(i.id)}">
            <h2 id="inbox-h-${esc(i.id)}">${esc(i.email)}</h2>
            <p class="inbox-status" aria-live="polite" aria-atomic="true"></p>
            <p class="why-status"></p>
            <p class="bounce-poll-error"></p>
            <p class="usage"></p>
            ${i.auth_kind === "password" ? `<details><summary>Reconnect</summary>
              <form data-inbox="${esc(i.id)}" novalidate>
                <label for="pw-${esc(i.id)}">New password or app password</label>
                <input id="pw-${esc(i.id)}" name="app_password" type="password" autocomplete="new-password"
                  spellcheck="false" required aria-describedby="pw-hint-${esc(i.id)}">
                <p class="hint" id="pw-hint-${esc(i.id)}">Used for both SMTP and IMAP. Both logins are checked
                  before anything is saved.</p>
                <button type="submit" class="reconnect-submit">Reconnect ${esc(i.email)}</button>
                <div class="reconnect-out"></div>
              </form></details>`
            : `<p class="hint">Signed in with ${i.auth_kind === "google_oauth" ? "Google" : "Microsoft"}:
                sign in again below to reconnect it.</p>`}
            <div class="oauth" role="group" aria-label="Sign in ${esc(i.email)} with a provider">
              <button type="button" data-oauth="google">Sign in with Google</button>
              <button type="button" data-oauth="microsoft">Sign in with Microsoft</button>
            </div>
            <div class="oauth-out"></div>
          </li>`).join("")}</ul>` : `<div class="empty"><p>No inboxes yet.</p>
          <p>Add the mailbox your campaigns send from: its SMTP and IMAP login are checked before it is saved.</p></div>`;
      }
      inboxes.forEach((inbox, i) => {
        const li = box.querySelector(`[data-inbox-id="${inbox.id}"]`);
        if (!li) return;
        renderStatus(li, inbox);
        patch(li.querySelector(".usage"), usage[i] ? esc(senderUsage(usage[i], inbox.limits.email)) : "");
      });
    },
  };
}
