// LinkedIn accounts: status since when and why (in words), Reconnect (hosted link), Verify for a restricted
// account, the health history, and under `make run` the sandbox controls.
import { api, ApiError } from "./api.js";
import { esc, viewerZone, when } from "./format.js";
import { senderUsage } from "./results.js";
import { errorBox, errorText, handleAuthError, main, patch, say, statusBadge } from "./ui.js";
import { isZone, zoneField } from "./zones.js";
import { detailText, sourceText, statusLabel } from "./words.js";

const SANDBOX_DONE = {
  disconnect: (name) => `The sandbox now reports ${name} disconnected: its campaigns pause by themselves.`,
  reconnect: (name) => `The sandbox now reports ${name} connected: its campaigns resume by themselves.`,
  "fail-sends": (name) => `The next 10 invitations from ${name} will fail in the sandbox.`,
};

export function accountsView() {
  main.innerHTML = `<h1>LinkedIn accounts</h1><div id="reconnect-out"></div>
    <form class="card" id="connect-form" novalidate aria-labelledby="connect-title">
      <h2 id="connect-title">Connect a LinkedIn account</h2>
      <p class="hint" id="connect-hint">LinkedIn's sign-in opens in a new tab (through Unipile). Once you have signed
        in there, the account appears on this page by itself.</p>
      <label for="connect-name">Account name</label>
      <input id="connect-name" required maxlength="100" autocomplete="off">
      ${zoneField("connect-zone", "Timezone of the account's owner (daily caps count in its day)", viewerZone())}
      <button type="submit" class="primary" aria-describedby="connect-hint">Connect LinkedIn account</button>
      <div id="connect-out"></div>
    </form>
    <details class="card" id="add-account"><summary>Add an account already connected in Unipile</summary>
      <form id="account-form" novalidate>
        <label for="unipile-id">Unipile account id</label>
        <input id="unipile-id" required autocomplete="off" spellcheck="false" aria-describedby="unipile-hint">
        <p class="hint" id="unipile-hint">Shown in Unipile's dashboard for the connected LinkedIn account.</p>
        <label for="account-name">Name (shown in Holdfast)</label>
        <input id="account-name" required maxlength="100" autocomplete="off">
        ${zoneField("account-zone", "Timezone of the account's owner (daily caps count in its day)", viewerZone())}
        <button type="submit" class="primary">Add the account</button>
        <div id="account-out"></div>
      </form></details>
    <div id="accounts"><p>Loading…</p></div>`;
  document.getElementById("account-form").addEventListener("submit", addAccount);
  document.getElementById("connect-form").addEventListener("submit", connectAccount);
  const box = document.getElementById("accounts");
  // Back from Unipile's hosted reconnect (#/accounts?reconnected=ID): say where that account stands now.
  const query = new URLSearchParams(location.hash.split("?")[1] || "");
  let returned = query.get("reconnected");
  // Accounts on the page when a hosted connect began: one not among them is the account just connected.
  let connecting = null;
  if (query.get("connected")) {
    document.getElementById("reconnect-out").innerHTML = `<p class="notice" role="status">Back from LinkedIn's
      sign-in: the new account appears below as soon as Unipile confirms it.</p>`;
  }
  let sandbox = null; // whether the local sandbox controls are on: asked once per visit

  async function addAccount(event) {
    event.preventDefault();
    const $ = (x) => document.getElementById(x);
    const out = $("account-out");
    const refuse = (input, message) => {
      input.setAttribute("aria-invalid", "true");
      out.innerHTML = `<div class="alert" role="alert"><p>${esc(message)}</p></div>`;
      input.focus();
    };
    event.target.querySelectorAll("[aria-invalid]").forEach((i) => i.removeAttribute("aria-invalid"));
    if (!$("unipile-id").value.trim()) return refuse($("unipile-id"), "Enter the Unipile account id.");
    if (!$("account-name").value.trim()) return refuse($("account-name"), "Give the account a name.");
    if (!isZone($("account-zone").value)) return refuse($("account-zone"), "Choose a timezone from the list.");
    try {
      const added = await api("POST", "/linkedin-accounts", { unipile_account_id: $("unipile-id").value.trim(),
        name: $("account-name").value.trim(), timezone: $("account-zone").value });
      event.target.reset();
      $("account-zone").value = viewerZone();
      $("add-account").open = false;
      out.innerHTML = "";
      say(`${added.name} is added: ${statusLabel(added.status).toLowerCase()}.`);
      await view.refresh();
    } catch (err) {
      if (handleAuthError(err)) return;
      const field = err instanceof ApiError && err.details && err.details.field;
      const input = { unipile_account_id: $("unipile-id"), name: $("account-name"), timezone: $("account-zone") }[field];
      if (input) refuse(input, errorText(err));
      else out.innerHTML = errorBox(err);
    }
  }

  async function connectAccount(event) {
    event.preventDefault();
    const $ = (x) => document.getElementById(x);
    const out = $("connect-out");
    const refuse = (input, message) => {
      input.setAttribute("aria-invalid", "true");
      out.innerHTML = `<div class="alert" role="alert"><p>${esc(message)}</p></div>`;
      input.focus();
    };
    event.target.querySelectorAll("[aria-invalid]").forEach((i) => i.removeAttribute("aria-invalid"));
    if (!$("connect-name").value.trim()) return refuse($("connect-name"), "Give the account a name.");
    if (!isZone($("connect-zone").value)) return refuse($("connect-zone"), "Choose a timezone from the list.");
    const button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const before = (await api("GET", "/linkedin-accounts")).linkedin_accounts.map((a) => a.id);
      const link = await api("POST", "/linkedin-connect-links", { name: $("connect-name").value.trim(),
        timezone: $("connect-zone").value });
      connecting = new Set(before);
      window.open(link.url, "_blank", "noopener");
      out.innerHTML = `<p class="notice" role="status" id="connect-waiting">LinkedIn's sign-in opened in a new tab.
        Not there? <a href="${esc(link.url)}" target="_blank" rel="noopener" id="connect-link">Open LinkedIn's
        sign-in</a> (valid until ${esc(when(link.expires_at, viewerZone()))}). This page shows the account as soon as
        you have signed in.</p>`;
    } catch (err) {
      if (handleAuthError(err)) return;
      const field = err instanceof ApiError && err.details && err.details.field;
      const input = { name: $("connect-name"), timezone: $("connect-zone") }[field];
      if (input) refuse(input, errorText(err));
      else out.innerHTML = errorBox(err);
    } finally {
      button.disabled = false;
    }
  }

  async function reconnect(button) {
    const out = document.getElementById("reconnect-out");
    button.disabled = true;
    try {
      const link = await api("POST", `/linkedin-accounts/${button.dataset.reconnect}/reconnect`, {});
      window.open(link.url, "_blank", "noopener");
      out.innerHTML = `<p class="notice" role="status">A reconnect page opened in a new tab. Not there?
        <a href="${esc(link.url)}" target="_blank" rel="noopener" id="reconnect-link">Open the reconnect page</a>
        (valid until ${esc(when(link.expires_at, viewerZone()))}). Campaigns resume by themselves once it is done.</p>`;
    } catch (err) {
      if (handleAuthError(err)) return;
      out.innerHTML = errorBox(err);
    } finally {
      button.disabled = false;
    }
  }

  async function verify(button) {
    const li = button.closest("li[data-account-id]");
    const out = li.querySelector(".verify-out");
    button.disabled = true;
    try {
      await api("POST", `/linkedin-accounts/${li.dataset.accountId}/verify`, {});
      out.innerHTML = `<p class="notice" role="status">Verified: the account sends again, and its campaigns can be
        resumed.</p>`;
      await view.refresh();
    } catch (err) {
      if (handleAuthError(err)) return;
      out.innerHTML = err instanceof ApiError && err.code === "still_restricted"
        ? `<div class="alert" role="alert" tabindex="-1" data-code="still_restricted"><p><strong>Not verified:</strong>
            LinkedIn still reports a problem with this account (${esc(errorText(err))}) Try again once the
            restriction has lifted.</p></div>` : errorBox(err);
      out.firstElementChild.focus();
    } finally {
      button.disabled = false;
    }
  }

  box.addEventListener("click", (event) => {
    const control = event.target.closest("button[data-sandbox]");
    if (control) sandboxControl(control);
    const button = event.target.closest("button[data-reconnect]");
    if (button) reconnect(button);
    const check = event.target.closest("button[data-verify]");
    if (check) verify(check);
  });

  async function sandboxControl(button) {
    const li = button.closest("li[data-account-id]");
    const out = li.querySelector(".sandbox-out");
    button.disabled = true;
    try {
      await api("POST", `/sandbox/linkedin-accounts/${li.dataset.accountId}/${button.dataset.sandbox}`, {});
      out.innerHTML = `<p class="notice" role="status">${esc(SANDBOX_DONE[button.dataset.sandbox](li.querySelector("h2").textContent))}</p>`;
    } catch (err) {
      if (handleAuthError(err)) return;
      out.innerHTML = errorBox(err);
    } finally {
      button.disabled = false;
    }
  }

  function sandboxGroup(a) {
    if (!sandbox) return "";
    return `<fieldset class="sandbox" aria-describedby="sandbox-hint-${esc(a.id)}"><legend>Sandbox</legend>
      <p class="hint" id="sandbox-hint-${esc(a.id)}">Local sandbox only: make the fake Unipile change this account,
        then watch its campaigns pause and resume by themselves.</p>
      <div class="sandbox-buttons">
        <button type="button" data-sandbox="disconnect">Disconnect</button>
        <button type="button" data-sandbox="reconnect">Reconnect</button>
        <button type="button" data-sandbox="fail-sends">Make sends fail</button>
      </div>
      <div class="sandbox-out"></div></fieldset>`;
  }

  function card(a, me) {
    const restricted = a.status === "restricted";
    return `<li class="card account" data-account-id="${esc(a.id)}" data-status="${esc(a.status)}">
      <h2>${esc(a.name)}</h2>
      <p>${statusBadge(a.status)} since ${esc(when(a.status_since, me))}</p>
      <p class="why-status">${esc(detailText(a.status_detail))}</p>
      ${a.usage ? `<p class="usage">${esc(senderUsage(a.usage, a.limits.linkedin_invite))}</p>` : ""}
      ${restricted ? `<p class="hint" id="verify-hint-${esc(a.id)}">Once LinkedIn has lifted the restriction, Verify
        checks the account with LinkedIn and lets it send again.</p>
        <button type="button" class="primary" data-verify="${esc(a.id)}" aria-describedby="verify-hint-${esc(a.id)}"
          aria-label="Verify ${esc(a.name)}">Verify</button>` : ""}
      <button type="button" data-reconnect="${esc(a.id)}" class="${a.status === "disconnected" ? "primary" : ""}"
        aria-label="Reconnect ${esc(a.name)}">Reconnect</button>
      <div class="verify-out"></div>
      <details><summary>History (${a.history.length})</summary>
        <ol class="history">${a.history.map((h) => `<li><time datetime="${esc(h.at)}">${esc(when(h.at, me))}</time>
          ${statusBadge(h.status)} <span class="muted">${esc(detailText(h.detail))} (noticed by ${esc(sourceText(h.source))})</span></li>`).join("")}</ol>
      </details>
      ${sandboxGroup(a)}
    </li>`;
  }

  const view = {
    async refresh() {
      if (sandbox === null) {
        try { sandbox = (await api("GET", "/sandbox")).enabled === true; } catch (err) {
          if (handleAuthError(err)) return;
          sandbox = false;
        }
      }
      const { linkedin_accounts: accounts } = await api("GET", "/linkedin-accounts");
      const usage = await Promise.all(accounts.map((a) => api("GET", `/linkedin-accounts/${a.id}/stats`).catch(() => null)));
      accounts.forEach((a, i) => { a.usage = usage[i]; });
      if (!box.isConnected) return;
      const me = viewerZone();
      // Messages live outside the patched markup: keep them across refreshes.
      const kept = {};
      for (const out of box.querySelectorAll("li[data-account-id] .sandbox-out, li[data-account-id] .verify-out")) {
        kept[`${out.closest("li").dataset.accountId} .${out.className}`] = out.innerHTML;
      }
      patch(box, accounts.length ? `<ul class="accounts" role="list">${accounts.map((a) => card(a, me)).join("")}</ul>`
        : `<div class="empty"><p>No LinkedIn accounts yet.</p><p>LinkedIn steps need a connected account:
          connect one above.
          Email-only campaigns need just an inbox: <a href="#/inboxes">add an inbox</a>.</p></div>`);
      const added = connecting && accounts.find((a) => !connecting.has(a.id));
      if (added) {
        connecting = null;
        document.getElementById("connect-form").reset();
        document.getElementById("connect-zone").value = viewerZone();
        document.getElementById("connect-out").innerHTML = `<p class="notice" role="status" id="connected">${esc(added.name)}
          is added: ${added.status === "connected" ? "connected. Campaigns can now send from it."
          : `${esc(statusLabel(added.status).toLowerCase())}. It updates here by itself.`}</p>`;
      }
      const back = returned && accounts.find((a) => a.id === returned);
      if (back) {
        returned = null;
        document.getElementById("reconnect-out").innerHTML = `<p class="notice" role="status" id="returned">Back from the
          reconnect page: ${esc(back.name)} is ${esc(statusLabel(back.status).toLowerCase())}.${back.status === "connected"
          ? " Its campaigns resume by themselves." : " It updates here by itself as soon as LinkedIn confirms."}</p>`;
      }
      for (const [key, html] of Object.entries(kept)) {
        const [id, cls] = key.split(" ");
        const out = box.querySelector(`li[data-account-id="${id}"] ${cls}`);
        if (out && !out.innerHTML) out.innerHTML = html;
      }
    },
  };
  return view;
}
