// Holdfast web UI: plain ES modules, no build step, no network besides this gateway's own API.
import { api, ApiError, token } from "./api.js";
import { actorText, esc, plural, reasonLabel, scopeText, viewerZone, when, whyText } from "./format.js";

const POLL_MS = 2000;
const main = document.getElementById("main");
const statusLine = document.getElementById("status-line");
const nav = document.getElementById("nav");
let current = null; // the view on screen: { refresh(), dispose?() }
let polling = false;

// ---------------------------------------------------------------- small DOM helpers

// Replace a region's markup only when it changed, so polling never steals focus or resets a tooltip.
function patch(el, html) {
  if (el && el.dataset.html !== html) {
    el.innerHTML = html;
    el.dataset.html = html;
  }
}

function say(message) {
  statusLine.textContent = message;
}

function focusHeading() {
  const heading = main.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: false });
  }
}

function errorText(err) {
  return err instanceof ApiError ? `${err.message} (${err.code})` : `Could not reach Holdfast: ${err.message}`;
}

function handleAuthError(err) {
  if (err instanceof ApiError && err.status === 401) {
    token.clear();
    sessionStorage.setItem("holdfast.expired", "1");
    location.hash = "#/sign-in";
    return true;
  }
  return false;
}

// A reason chip: a focusable button described by its tooltip (explanation and action), shown on hover and focus.
function chip(reason, campaign, id) {
  const scope = scopeText([reason.scope], campaign);
  return `<span class="chip-wrap">
    <button type="button" class="chip chip-${esc(reason.reason === "manual" ? "manual" : "warn")}"
      data-reason="${esc(reason.reason)}" aria-describedby="${esc(id)}">
      <span class="chip-label">${esc(reasonLabel(reason.reason))}</span>
      <span class="chip-scope">${esc(scope)}</span>
    </button>
    <span role="tooltip" id="${esc(id)}" class="tip">
      <span class="tip-explanation">${esc(reason.explanation)}</span>
      <span class="tip-action"><strong>What to do:</strong> ${esc(reason.action)}</span>
      ${reason.since ? `<span class="tip-since">Since ${esc(when(reason.since, viewerZone()))}</span>` : ""}
      ${reason.clears_at ? `<span class="tip-cooldown">Cool-down (${esc(reason.cooldown || "")}): clears at ${esc(when(reason.clears_at, viewerZone()))}</span>` : ""}
    </span>
  </span>`;
}

function statusBadge(status) {
  return `<span class="badge badge-${esc(status)}">${esc(status)}</span>`;
}

// ---------------------------------------------------------------- sign in / create a workspace

function signInView(notice) {
  nav.hidden = true;
  main.innerHTML = `
    <h1>Sign in to Holdfast</h1>
    ${notice ? `<p class="notice" role="alert">${esc(notice)}</p>` : ""}
    <section class="card" aria-labelledby="signin-h">
      <h2 id="signin-h">Use an API token</h2>
      <form id="signin-form">
        <label for="token-input">API token</label>
        <input id="token-input" name="token" type="password" autocomplete="off" required spellcheck="false">
        <button type="submit" class="primary">Sign in</button>
        <div id="signin-error"></div>
      </form>
    </section>
    <section class="card" aria-labelledby="create-h">
      <h2 id="create-h">Or create a workspace</h2>
      <form id="create-form">
        <label for="ws-name">Workspace name</label>
        <input id="ws-name" name="name" required maxlength="100" autocomplete="organization">
        <label for="ws-email">Owner email</label>
        <input id="ws-email" name="owner_email" type="email" required maxlength="254" autocomplete="email">
        <button type="submit">Create workspace</button>
        <div id="create-result"></div>
      </form>
    </section>`;
  document.getElementById("signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = document.getElementById("token-input").value.trim();
    const out = document.getElementById("signin-error");
    token.set(value);
    try {
      await api("GET", "/campaigns?page_size=1");
      location.hash = "#/campaigns";
    } catch (err) {
      token.clear();
      out.innerHTML = `<p class="error" role="alert">${esc(err.status === 401
        ? "This token is not valid. Check it and try again." : errorText(err))}</p>`;
    }
  });
  document.getElementById("create-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const out = document.getElementById("create-result");
    try {
      const created = await api("POST", "/workspaces", {
        name: form.elements.name.value.trim(), owner_email: form.elements.owner_email.value.trim() });
      token.set(created.token);
      out.innerHTML = `<div class="token-once" role="alert">
          <p><strong>Workspace “${esc(created.workspace.name)}” created.</strong> This is your API token; it is shown
          only once, so keep it somewhere safe.</p>
          <label for="new-token">Your API token</label>
          <input id="new-token" readonly value="${esc(created.token)}">
          <button type="button" id="copy-token">Copy</button>
          <a class="button primary" href="#/campaigns">Continue to campaigns</a>
        </div>`;
      document.getElementById("copy-token").addEventListener("click", async () => {
        const input = document.getElementById("new-token");
        input.select();
        try { await navigator.clipboard.writeText(input.value); say("Token copied."); } catch { say("Select the token and copy it."); }
      });
      document.getElementById("new-token").focus();
    } catch (err) {
      out.innerHTML = `<p class="error" role="alert">${esc(errorText(err))}</p>`;
    }
  });
  return { refresh: async () => {} };
}

// ---------------------------------------------------------------- campaigns list

function listChip(campaign) {
  if (campaign.status !== "paused" || !campaign.pause_reasons.length) return "";
  const top = campaign.pause_reasons.find((r) => r.reason === campaign.paused_reason) || campaign.pause_reasons[0];
  const scopes = campaign.pause_reasons.map((r) => r.scope);
  const more = campaign.pause_reasons.length - 1;
  const id = `tip-${campaign.id}`;
  return `<span class="chip-wrap">
    <button type="button" class="chip chip-${top.reason === "manual" ? "manual" : "warn"}" data-reason="${esc(top.reason)}"
      aria-describedby="${esc(id)}">
      <span class="chip-label">${esc(reasonLabel(top.reason))}${more > 0 ? ` +${more}` : ""}</span>
      <span class="chip-scope">${esc(scopeText(scopes, campaign))}</span>
    </button>
    <span role="tooltip" id="${esc(id)}" class="tip">
      <span class="tip-explanation">${esc(top.explanation)}</span>
      <span class="tip-action"><strong>What to do:</strong> ${esc(top.action)}</span>
    </span></span>`;
}

function campaignsView() {
  main.innerHTML = `<h1>Campaigns</h1><div id="campaigns" aria-live="off"><p>Loading…</p></div>`;
  const box = document.getElementById("campaigns");
  return {
    async refresh() {
      const { campaigns } = await api("GET", "/campaigns?page_size=200");
      if (!box.isConnected) return;
      if (!campaigns.length) {
        patch(box, `<p>No campaigns yet. Create one through the API (see <a href="/api/v1/openapi.json">the
          API description</a>).</p>`);
        return;
      }
      patch(box, `<ul class="campaigns" role="list">${campaigns.map((c) => `
        <li class="campaign-row" data-campaign-id="${esc(c.id)}" data-status="${esc(c.status)}">
          <a class="campaign-name" href="#/campaigns/${esc(c.id)}">${esc(c.name)}</a>
          ${c.kind === "warmup" ? `<span class="muted">warm-up</span>` : ""}
          ${statusBadge(c.status)}
          ${listChip(c)}
        </li>`).join("")}</ul>`);
    },
  };
}

// ---------------------------------------------------------------- one campaign

function previewText(preview, timeZone) {
  if (!preview) return "";
  if (!preview.overdue) return "Nothing is overdue: sending picks up where it stopped, inside the sending window.";
  const days = new Set(preview.days.map((d) => d.date)).size;
  return `${plural(preview.overdue, "overdue action", "overdue actions")} will go out over ${plural(days, "day", "days")}, `
    + `first at ${when(preview.first_at, timeZone)}`
    + (preview.last_at ? `, last at ${when(preview.last_at, timeZone)}` : "") + ". No burst: caps, ramp and pacing apply.";
}

function blockedAlert(err) {
  const blocking = (err.details && err.details.blocking) || [];
  return `<div class="alert" role="alert">
      <p><strong>Resume refused:</strong> ${esc(err.message)}</p>
      <ul>${blocking.map((b) => `<li data-reason="${esc(b.reason)}"><strong>${esc(reasonLabel(b.reason))}</strong>:
        ${esc(b.message)}. <span class="alert-action">What to do: ${esc(b.action)}</span>
        ${b.reason.startsWith("linkedin") || b.reason === "account_restricted"
          ? ` <a href="#/accounts">Go to LinkedIn accounts</a>` : ""}</li>`).join("")}</ul>
    </div>`;
}

function campaignView(id) {
  main.innerHTML = `
    <p><a href="#/campaigns">← All campaigns</a></p>
    <h1 id="campaign-title">Campaign</h1>
    <div id="campaign-head"></div>
    <section aria-labelledby="reasons-h" class="card">
      <h2 id="reasons-h">Pause state</h2>
      <div id="reasons"></div>
      <p id="preview" class="preview"></p>
      <div class="actions">
        <button type="button" id="pause-btn">Pause</button>
        <button type="button" id="resume-btn" class="primary">Resume</button>
        <button type="button" id="activate-btn" class="primary" hidden>Activate</button>
      </div>
      <div id="resume-alert"></div>
    </section>
    <section aria-labelledby="prospects-h" class="card">
      <h2 id="prospects-h">Prospects</h2>
      <div id="prospects"></div>
    </section>
    <section aria-labelledby="history-h" class="card">
      <h2 id="history-h">Pause history</h2>
      <div id="history"></div>
    </section>`;
  const el = (x) => document.getElementById(x);
  let campaign = null;

  async function transition(verb) {
    const buttons = [el("pause-btn"), el("resume-btn"), el("activate-btn")];
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const answer = await api("POST", `/campaigns/${id}/${verb}`, {});
      patch(el("resume-alert"), "");
      const next = answer.next_sends ? Object.entries(answer.next_sends)
        .map(([ch, at]) => ` Next ${ch} send: ${when(at, answer.campaign.schedule.timezone)}.`).join("") : "";
      say(`${answer.message}${next}`);
      await view.refresh();
    } catch (err) {
      if (handleAuthError(err)) return;
      if (err instanceof ApiError && err.code === "resume_blocked") {
        el("resume-alert").innerHTML = blockedAlert(err);
        el("resume-alert").dataset.html = "(alert)";
      } else {
        el("resume-alert").innerHTML = `<div class="alert" role="alert"><p>${esc(errorText(err))}</p></div>`;
        el("resume-alert").dataset.html = "(alert)";
      }
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      render();
    }
  }
  el("pause-btn").addEventListener("click", () => transition("pause"));
  el("resume-btn").addEventListener("click", () => transition("resume"));
  el("activate-btn").addEventListener("click", () => transition("activate"));

  function render() {
    if (!campaign) return;
    const c = campaign;
    el("pause-btn").hidden = c.status !== "active";
    el("resume-btn").hidden = c.status !== "paused";
    el("activate-btn").hidden = c.status !== "draft";
  }

  const view = {
    async refresh() {
      const [c, prospects, history] = await Promise.all([
        api("GET", `/campaigns/${id}`),
        api("GET", `/campaigns/${id}/prospects?page_size=100`),
        api("GET", `/campaigns/${id}/pause-history?page_size=50`),
      ]);
      const preview = c.status === "paused" ? await api("GET", `/campaigns/${id}/resume-preview`) : null;
      const warmup = c.kind === "warmup" ? await api("GET", `/campaigns/${id}/warmup`) : null;
      if (current !== view) return; // the user moved on while this was loading
      campaign = c;
      const tz = c.schedule.timezone;
      const me = viewerZone();
      if (el("campaign-title").textContent !== c.name) {
        el("campaign-title").textContent = c.name;
        document.title = `${c.name} · Holdfast`;
      }
      patch(el("campaign-head"), `<p class="head" data-status="${esc(c.status)}" id="campaign-status">
        ${statusBadge(c.status)} <span>Schedule: ${esc(c.schedule.days.join(", "))}, ${esc(c.schedule.window.start)}–${esc(c.schedule.window.end)}
        (${esc(tz)})</span> <span>Steps: ${esc(c.steps.map((s) => (s.channel === "email" ? "email" : `LinkedIn ${s.action}`)).join(" → ") || "none")}</span></p>`);
      patch(el("reasons"), c.pause_reasons.length
        ? `<p class="hint">Hover or focus a reason to see what happened and what to do.</p>
           <div class="chips" role="list">${c.pause_reasons.map((r, i) =>
             `<span role="listitem">${chip(r, c, `tip-reason-${i}-${r.reason}`)}</span>`).join("")}</div>`
        : `<p>${c.status === "active" ? "Sending: nothing holds this campaign." : `This campaign is ${esc(c.status)}.`}</p>`);
      patch(el("preview"), preview ? `<strong>If you resume now:</strong> ${esc(previewText(preview, tz))}` : "");
      if (c.status !== "paused") patch(el("resume-alert"), "");
      render();
      el("prospects-h").textContent = warmup ? "Warm-up" : "Prospects";
      if (warmup) {
        patch(el("prospects"), `<p id="warmup-progress">Ramp day ${warmup.ramp_day + 1}: ${warmup.sent_today} of
          ${warmup.limit_today} emails sent today; ${warmup.sent_total} sent in all, ${warmup.queued} queued, to
          ${warmup.pool_size} other inbox${warmup.pool_size === 1 ? "" : "es"} of this workspace.</p>
          <p class="hint">The daily volume grows only on days the inbox actually sends: a pause keeps the ramp day.</p>`);
      } else patch(el("prospects"), prospects.prospects.length ? `
        <div class="table-wrap" role="region" aria-labelledby="prospects-h" tabindex="0">
        <table><thead><tr><th scope="col">Prospect</th><th scope="col">State</th><th scope="col">Step</th>
          <th scope="col">Next action (${esc(tz)})</th>${me !== tz ? `<th scope="col">Your time (${esc(me)})</th>` : ""}
          <th scope="col">Why not now</th></tr></thead>
        <tbody>${prospects.prospects.map((p) => `<tr>
          <th scope="row">${esc([p.first_name, p.last_name].filter(Boolean).join(" ") || p.email || p.linkedin_provider_id)}</th>
          <td data-label="State">${esc(p.state)}</td><td data-label="Step">${p.current_step + 1}</td>
          <td data-label="Next action (${esc(tz)})">${esc(when(p.next_action_at, tz))}</td>${me !== tz
            ? `<td data-label="Your time (${esc(me)})">${esc(when(p.next_action_at, me))}</td>` : ""}
          <td data-label="Why not now">${p.why_not_now.length ? `<ul class="why">${p.why_not_now.map((w) => `<li data-code="${esc(w)}">${esc(whyText(w))}</li>`).join("")}</ul>` : "—"}</td>
        </tr>`).join("")}</tbody></table></div>
        ${prospects.next_page_token ? "<p>Showing the first 100 prospects.</p>" : ""}` : "<p>No prospects yet.</p>");
      patch(el("history"), history.entries.length ? `
        <ol class="history">${history.entries.map((e) => `<li>
          <time datetime="${esc(e.at)}">${esc(when(e.at, me))}</time>
          <span class="h-${esc(e.action)}">${e.action === "added" ? "Paused" : "Cleared"}: ${esc(reasonLabel(e.reason))}</span>
          <span class="muted">(${esc(e.scope)}, by ${esc(actorText(e.actor))}; then ${esc(e.status_after)})</span>
          ${e.detail ? `<span class="muted">— ${esc(e.detail)}</span>` : ""}</li>`).join("")}</ol>`
        : "<p>Never paused.</p>");
    },
  };
  return view;
}

// ---------------------------------------------------------------- LinkedIn accounts

function accountsView() {
  main.innerHTML = `<h1>LinkedIn accounts</h1><div id="accounts"><p>Loading…</p></div><div id="reconnect-out"></div>`;
  const box = document.getElementById("accounts");
  let sandbox = null; // whether the local sandbox controls are on: asked once per visit
  box.addEventListener("click", async (event) => {
    const control = event.target.closest("button[data-sandbox]");
    if (control) { sandboxControl(control); return; }
    const button = event.target.closest("button[data-reconnect]");
    if (!button) return;
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
      out.innerHTML = `<p class="error" role="alert">${esc(errorText(err))}</p>`;
    } finally {
      button.disabled = false;
    }
  });
  async function sandboxControl(button) {
    const li = button.closest("li[data-account-id]");
    const out = li.querySelector(".sandbox-out");
    const name = li.querySelector("h2").textContent;
    button.disabled = true;
    try {
      await api("POST", `/sandbox/linkedin-accounts/${li.dataset.accountId}/${button.dataset.sandbox}`, {});
      const done = { disconnect: `The sandbox now reports ${name} disconnected: its campaigns pause by themselves.`,
        reconnect: `The sandbox now reports ${name} connected: its campaigns resume by themselves.`,
        "fail-sends": `The next 10 invitations from ${name} will fail in the sandbox.` }[button.dataset.sandbox];
      out.innerHTML = `<p class="notice" role="status">${esc(done)}</p>`;
    } catch (err) {
      if (handleAuthError(err)) return;
      out.innerHTML = `<p class="error" role="alert">${esc(errorText(err))}</p>`;
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

  return {
    async refresh() {
      if (sandbox === null) {
        try { sandbox = (await api("GET", "/sandbox")).enabled === true; } catch (err) {
          if (handleAuthError(err)) return;
          sandbox = false;
        }
      }
      const { linkedin_accounts: accounts } = await api("GET", "/linkedin-accounts");
      if (!box.isConnected) return;
      const me = viewerZone();
      // The sandbox messages live outside the patched markup: keep them across refreshes.
      const kept = {};
      for (const out of box.querySelectorAll("li[data-account-id] .sandbox-out")) {
        kept[out.closest("li").dataset.accountId] = out.innerHTML;
      }
      patch(box, accounts.length ? `<ul class="accounts" role="list">${accounts.map((a) => `
        <li class="card account" data-account-id="${esc(a.id)}" data-status="${esc(a.status)}">
          <h2>${esc(a.name)}</h2>
          <p>${statusBadge(a.status)} since ${esc(when(a.status_since, me))}</p>
          <p class="why-status">${esc(a.status_detail)}</p>
          <button type="button" data-reconnect="${esc(a.id)}" class="${a.status === "connected" ? "" : "primary"}"
            aria-label="Reconnect ${esc(a.name)}">Reconnect</button>
          <details><summary>History (${a.history.length})</summary>
            <ol class="history">${a.history.map((h) => `<li><time datetime="${esc(h.at)}">${esc(when(h.at, me))}</time>
              ${statusBadge(h.status)} <span class="muted">${esc(h.detail)} (${esc(h.source)})</span></li>`).join("")}</ol>
          </details>
          ${sandboxGroup(a)}
        </li>`).join("")}</ul>` : "<p>No LinkedIn accounts yet.</p>");
      for (const [id, html] of Object.entries(kept)) {
        const out = box.querySelector(`li[data-account-id="${id}"] .sandbox-out`);
        if (out && !out.innerHTML) out.innerHTML = html;
      }
    },
  };
}

// ---------------------------------------------------------------- email inboxes

const SERVER = { smtp: "SMTP (sending)", imap: "IMAP (reading replies)" };

function loginFailedAlert(err) {
  const failed = (err.details && err.details.failed) || [];
  const reasons = (err.details && err.details.reasons) || {};
  const names = failed.map((s) => s.toUpperCase()).join(" and ") || "the server";
  return `<p><strong>Not reconnected: the ${esc(names)} login failed.</strong> Nothing was changed.</p>
    <ul>${failed.map((s) => `<li data-server="${esc(s)}">${esc(SERVER[s] || s.toUpperCase())}:
      ${reasons[s] === "unreachable" ? "the server could not be reached" : "the password was refused"}</li>`).join("")}</ul>
    <p>Check the password (for Gmail or Outlook, an app password) and try again.</p>`;
}

function inboxesView() {
  main.innerHTML = `<h1>Email inboxes</h1><div id="inboxes"><p>Loading…</p></div>`;
  const box = document.getElementById("inboxes");
  let shape = ""; // the inbox ids on screen: the forms are built once per set, so polling never clears a field

  function renderStatus(li, inbox) {
    const me = viewerZone();
    li.dataset.status = inbox.status;
    patch(li.querySelector(".inbox-status"), `${statusBadge(inbox.status)}
      ${inbox.status === "connected" ? "" : `since ${esc(when(inbox.status_since, me))}`}`);
    patch(li.querySelector(".why-status"), inbox.status === "connected" ? "" : esc(inbox.status_detail));
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
      const started = await api("POST", `/inboxes/${li.dataset.inboxId}/oauth/start`, { provider: button.dataset.oauth });
      window.open(started.url, "_blank", "noopener");
      out.innerHTML = `<p class="notice" role="status">The sign-in page opened in a new tab. Not there?
        <a href="${esc(started.url)}" target="_blank" rel="noopener">Open the sign-in page</a>
        (valid for 10 minutes).</p>`;
    } catch (err) {
      if (handleAuthError(err)) return;
      out.innerHTML = `<div class="alert" role="alert" tabindex="-1"><p>${esc(errorText(err))}</p></div>`;
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
      say(`${inbox.email} is ${inbox.status}.`);
    } catch (err) {
      if (handleAuthError(err)) return;
      out.innerHTML = `<div class="alert" role="alert" tabindex="-1">${err instanceof ApiError && err.code === "login_failed"
        ? loginFailedAlert(err) : `<p>${esc(errorText(err))}</p>`}</div>`;
      out.firstElementChild.focus();
    } finally {
      button.disabled = false;
    }
  });

  return {
    async refresh() {
      const { inboxes } = await api("GET", "/inboxes");
      if (!box.isConnected) return;
      const ids = inboxes.map((i) => i.id).join(",");
      if (ids !== shape) {
        shape = ids;
        box.innerHTML = inboxes.length ? `<ul class="accounts" role="list">${inboxes.map((i) => `
          <li class="card account inbox" data-inbox-id="${esc(i.id)}" aria-labelledby="inbox-h-${esc(i.id)}">
            <h2 id="inbox-h-${esc(i.id)}">${esc(i.email)}</h2>
            <p class="inbox-status" aria-live="polite" aria-atomic="true"></p>
            <p class="why-status"></p>
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
          </li>`).join("")}</ul>` : "<p>No inboxes yet.</p>";
      }
      for (const inbox of inboxes) {
        const li = box.querySelector(`[data-inbox-id="${inbox.id}"]`);
        if (li) renderStatus(li, inbox);
      }
    },
  };
}

// ---------------------------------------------------------------- routing and polling

async function tick() {
  if (polling || !current || document.hidden) return;
  polling = true;
  try {
    await current.refresh();
    main.dataset.updated = new Date().toISOString();
  } catch (err) {
    if (!handleAuthError(err)) say(errorText(err));
  } finally {
    polling = false;
  }
}

function route(event) {
  const moved = Boolean(event); // on first load the browser's own focus start is kept (skip link first)
  const hash = location.hash || "#/campaigns";
  say("");
  if (!token.get() || hash === "#/sign-in") {
    current = signInView(hash === "#/sign-in" && !token.get() && sessionStorage.getItem("holdfast.expired")
      ? "Your session ended: sign in again." : "");
    if (moved) focusHeading();
    return;
  }
  nav.hidden = false;
  for (const link of nav.querySelectorAll("a[data-nav]")) {
    if (hash.startsWith(`#/${link.dataset.nav}`)) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const match = hash.match(/^#\/campaigns\/([\w-]+)/);
  if (match) current = campaignView(match[1]);
  else if (hash.startsWith("#/accounts")) { current = accountsView(); document.title = "LinkedIn accounts · Holdfast"; }
  else if (hash.startsWith("#/inboxes")) { current = inboxesView(); document.title = "Email inboxes · Holdfast"; }
  else { current = campaignsView(); document.title = "Campaigns · Holdfast"; }
  if (moved) focusHeading();
  polling = false;
  tick();
}

document.getElementById("sign-out").addEventListener("click", () => {
  token.clear();
  location.hash = "#/sign-in";
});
// Escape closes an open tooltip (WCAG 1.4.13: dismissible without moving focus or pointer).
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") document.querySelectorAll(".chip-wrap").forEach((w) => w.classList.add("dismissed"));
});
document.addEventListener("focusin", (event) => {
  const wrap = event.target.closest && event.target.closest(".chip-wrap");
  if (wrap) wrap.classList.remove("dismissed");
});
document.addEventListener("mouseover", (event) => {
  const wrap = event.target.closest && event.target.closest(".chip-wrap");
  if (wrap) wrap.classList.remove("dismissed");
});
document.addEventListener("visibilitychange", () => { if (!document.hidden) tick(); });
window.addEventListener("hashchange", route);
setInterval(tick, POLL_MS);
route();
