// API tokens for integrations: one or more per member, each with scopes (read, write, admin) no wider than the
// member's role. Admins list them (never the secret), create one (the secret is shown once) and revoke one, which
// stops working at once. Other roles are told which role this page needs.
import { api } from "./api.js";
import { esc, viewerZone, when } from "./format.js";
import { buildOnce, can, roleNotice, secretBox, wireCopy } from "./team.js";
import { errorBox, handleAuthError, main, patch, say } from "./ui.js";
import { roleLabel, TOKEN_SCOPE_HINTS, TOKEN_SCOPES } from "./words.js";

export function tokensView() {
  main.innerHTML = `<h1>API tokens</h1>
    <p>Integrations call the HTTP API with a bearer token. A token acts for its member, limited to its scopes.</p>
    <div id="tokens-body"><p>Loading…</p></div>`;
  const $ = (x) => document.getElementById(x);
  const body = $("tokens-body");
  const built = buildOnce(body, build);
  let members = [];
  wireCopy(body);

  function build(w) {
    members = w.members;
    if (!can(w.you.role, "admin")) {
      body.innerHTML = roleNotice("admin", "Listing, creating and revoking API tokens is for admins.");
      return;
    }
    body.innerHTML = `<form class="card" id="token-form" novalidate aria-labelledby="token-h">
        <h2 id="token-h">Create a token</h2>
        <label for="token-name">Name</label>
        <input id="token-name" type="text" maxlength="100" autocomplete="off" aria-describedby="token-name-hint">
        <p class="hint" id="token-name-hint">What uses it, e.g. CRM sync.</p>
        <label for="token-member">For</label>
        <select id="token-member">${w.members.map((m) => `<option value="${esc(m.id)}"${m.id === w.you.member_id
          ? " selected" : ""}>${esc(m.email)} (${esc(roleLabel(m.role).toLowerCase())})</option>`).join("")}</select>
        <fieldset id="token-scopes"><legend>Scopes</legend>
          ${Object.entries(TOKEN_SCOPES).map(([v, label]) => `<div class="check"><input type="checkbox" id="scope-${v}"
            value="${v}"${v === "read" ? " checked" : ""}><label for="scope-${v}">${esc(label)}:
            ${esc(TOKEN_SCOPE_HINTS[v])}</label></div>`).join("")}
        </fieldset>
        <button type="submit" class="primary">Create token</button>
        <div id="token-out"></div>
      </form>
      <section class="card" aria-labelledby="tokens-h">
        <h2 id="tokens-h">Tokens</h2>
        <div id="revoke-out"></div>
        <div id="tokens"><p>Loading…</p></div>
      </section>`;
    $("token-form").addEventListener("submit", create);
    $("tokens").addEventListener("click", revoke);
  }

  async function create(event) {
    event.preventDefault();
    const out = $("token-out");
    const scopes = [...document.querySelectorAll("#token-scopes input:checked")].map((c) => c.value);
    if (!scopes.length) {
      out.innerHTML = `<div class="alert" role="alert"><p>Choose at least one scope.</p></div>`;
      $("scope-read").focus();
      return;
    }
    try {
      const created = await api("POST", "/tokens", { name: $("token-name").value.trim(), scopes,
        member_id: $("token-member").value });
      $("token-name").value = "";
      out.innerHTML = secretBox("new-token", "The new token:", created.secret);
      say("Token created. Copy it now: it is shown only once.");
      await view.refresh();
      $("new-token").focus();
    } catch (err) {
      if (!handleAuthError(err)) out.innerHTML = errorBox(err);
    }
  }

  async function revoke(event) {
    const button = event.target.closest("button[data-revoke]");
    if (!button) return;
    if (button.dataset.confirm !== "yes") {
      button.dataset.confirm = "yes";
      button.textContent = "Confirm: revoke";
      button.setAttribute("aria-label", `Confirm: revoke ${button.getAttribute("aria-label").replace(/^Revoke /, "")}`);
      return;
    }
    button.disabled = true;
    try {
      const revoked = await api("DELETE", `/tokens/${button.dataset.revoke}`);
      say(`The token ${revoked.name || `ending ${revoked.hint}`} was revoked: it no longer works.`);
      $("revoke-out").innerHTML = "";
      await view.refresh();
      $("tokens-h").setAttribute("tabindex", "-1");
      $("tokens-h").focus();
    } catch (err) {
      if (handleAuthError(err)) return;
      button.disabled = false;
      $("revoke-out").innerHTML = errorBox(err);
    }
  }

  const view = {
    async refresh() {
      if (!(await built())) return;
      const box = $("tokens");
      if (!box) return;
      const listed = await api("GET", "/tokens");
      if (!box.isConnected) return;
      const zone = viewerZone();
      const email = (id) => (members.find((m) => m.id === id) || { email: "a removed member" }).email;
      patch(box, listed.tokens.length ? `<div class="table-wrap" role="region" aria-label="Tokens table (scrolls
        sideways)" tabindex="0"><table><thead><tr><th scope="col">Name</th><th scope="col">Member</th>
        <th scope="col">Scopes</th><th scope="col">Created</th><th scope="col">State</th>
        <th scope="col"><span class="visually-hidden">Revoke</span></th></tr></thead>
        <tbody>${listed.tokens.map((t) => `<tr data-token-id="${esc(t.id)}">
          <th scope="row">${esc(t.name || "Unnamed")} <span class="hint">ending ${esc(t.hint)}</span></th>
          <td data-label="Member">${esc(email(t.member_id))}</td>
          <td data-label="Scopes">${esc(t.scopes.map((s) => TOKEN_SCOPES[s] || s).join(", "))}</td>
          <td data-label="Created">${esc(when(t.created_at, zone))}</td>
          <td data-label="State">${t.revoked_at ? `Revoked ${esc(when(t.revoked_at, zone))}` : "Active"}</td>
          <td>${t.revoked_at ? "" : `<button type="button" data-revoke="${esc(t.id)}"
            aria-label="Revoke ${esc(t.name || `the token ending ${t.hint}`)}">Revoke</button>`}</td>
        </tr>`).join("")}</tbody></table></div>`
        : `<div class="empty"><p>No API tokens yet.</p></div>`);
    },
  };
  return view;
}
