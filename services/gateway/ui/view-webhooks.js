// Outbound webhooks: endpoints that receive signed events (Standard Webhooks; docs/API.md). Admins add an endpoint
// with the events it wants (the signing secret is shown once), rotate its secret, enable it again after Holdfast
// disabled it (a 410, or failures for three days: flagged here, and written in the audit log), delete it, and
// look at its recent deliveries and replay one. Other roles are told which role this page needs.
import { api } from "./api.js";
import { esc, viewerZone, when } from "./format.js";
import { buildOnce, can, roleNotice, secretBox, wireCopy } from "./team.js";
import { errorBox, handleAuthError, main, patch, say } from "./ui.js";
import { DELIVERY_STATUSES, eventLabel, WEBHOOK_EVENTS } from "./words.js";

export function webhooksView() {
  main.innerHTML = `<h1>Webhooks</h1>
    <p>Holdfast posts each event you choose to your endpoint, signed so any Standard Webhooks library can check it;
      a failed delivery is tried again for up to three days.</p>
    <div id="hooks-body"><p>Loading…</p></div>`;
  const $ = (x) => document.getElementById(x);
  const body = $("hooks-body");
  const built = buildOnce(body, build);
  let open = ""; // the endpoint whose deliveries are shown
  wireCopy(body);

  function build(w) {
    if (!can(w.you.role, "admin")) {
      body.innerHTML = roleNotice("admin", "Managing webhook endpoints is for admins.");
      return;
    }
    body.innerHTML = `<div id="disabled-notices"></div>
      <form class="card" id="hook-form" novalidate aria-labelledby="hook-h">
        <h2 id="hook-h">Add an endpoint</h2>
        <label for="hook-url">URL</label>
        <input id="hook-url" type="url" inputmode="url" autocomplete="off" spellcheck="false"
          placeholder="https://hooks.example.com/holdfast" aria-describedby="hook-url-hint">
        <p class="hint" id="hook-url-hint">An https address your system answers with a 2xx status.</p>
        <fieldset id="hook-events"><legend>Events</legend>
          ${Object.entries(WEBHOOK_EVENTS).map(([type, label], i) => `<div class="check"><input type="checkbox"
            id="event-${i}" value="${esc(type)}"><label for="event-${i}">${esc(label)}</label></div>`).join("")}
        </fieldset>
        <button type="submit" class="primary">Add endpoint</button>
        <div id="hook-out"></div>
      </form>
      <section class="card" aria-labelledby="hooks-h">
        <h2 id="hooks-h" tabindex="-1">Endpoints</h2>
        <div id="endpoint-out"></div>
        <div id="endpoints"><p>Loading…</p></div>
      </section>
      <section class="card" aria-labelledby="deliveries-h" id="deliveries-card" hidden>
        <h2 id="deliveries-h" tabindex="-1">Deliveries</h2>
        <div id="delivery-out"></div>
        <div id="deliveries"></div>
      </section>`;
    $("hook-form").addEventListener("submit", create);
    $("endpoints").addEventListener("click", act);
    $("deliveries").addEventListener("click", replay);
  }

  async function create(event) {
    event.preventDefault();
    const out = $("hook-out");
    const url = $("hook-url");
    url.removeAttribute("aria-invalid");
    const events = [...document.querySelectorAll("#hook-events input:checked")].map((c) => c.value);
    const refuse = (message, focus) => {
      out.innerHTML = `<div class="alert" role="alert"><p>${esc(message)}</p></div>`;
      if (focus === url) url.setAttribute("aria-invalid", "true");
      focus.focus();
    };
    if (!/^https?:\/\/\S+$/.test(url.value.trim())) return refuse("Enter the endpoint's http or https URL.", url);
    if (!events.length) return refuse("Choose at least one event.", $("event-0"));
    try {
      const created = await api("POST", "/webhook-endpoints", { url: url.value.trim(), events });
      url.value = "";
      document.querySelectorAll("#hook-events input").forEach((c) => { c.checked = false; });
      out.innerHTML = secretBox("new-secret", "The endpoint's signing secret:", created.secret);
      say("Endpoint added. Copy its signing secret now: it is shown only once.");
      await view.refresh();
      $("new-secret").focus();
    } catch (err) {
      if (!handleAuthError(err)) out.innerHTML = errorBox(err);
    }
  }

  async function act(event) {
    const button = event.target.closest("button[data-act]");
    if (!button) return;
    const { act: what, id } = button.dataset;
    const out = $("endpoint-out");
    if (what === "deliveries") {
      open = id;
      $("deliveries-card").hidden = false;
      await showDeliveries();
      $("deliveries-h").focus();
      return;
    }
    if (what === "delete" && button.dataset.confirm !== "yes") {
      button.dataset.confirm = "yes";
      button.textContent = "Confirm: delete";
      button.setAttribute("aria-label", `Confirm: delete ${button.getAttribute("aria-label").replace(/^Delete /, "")}`);
      return;
    }
    button.disabled = true;
    try {
      if (what === "rotate") {
        const rotated = await api("POST", `/webhook-endpoints/${id}/rotate-secret`);
        out.innerHTML = secretBox("rotated-secret", "The new signing secret:", rotated.secret);
        say("Secret rotated: from now on messages are signed with the new one, shown only once.");
        await view.refresh();
        $("rotated-secret").focus();
        return;
      }
      if (what === "enable") {
        await api("PATCH", `/webhook-endpoints/${id}`, { enabled: true });
        say("Endpoint enabled: its waiting deliveries are sent again.");
      } else if (what === "disable") {
        await api("PATCH", `/webhook-endpoints/${id}`, { enabled: false });
        say("Endpoint disabled: nothing is sent to it until it is enabled again.");
      } else if (what === "delete") {
        await api("DELETE", `/webhook-endpoints/${id}`);
        if (open === id) { open = ""; $("deliveries-card").hidden = true; }
        say("Endpoint deleted.");
      }
      out.innerHTML = "";
      await view.refresh();
      const again = $("endpoints").querySelector(`button[data-act][data-id="${id}"]`);
      (again || $("hooks-h")).focus();
    } catch (err) {
      if (handleAuthError(err)) return;
      button.disabled = false;
      out.innerHTML = errorBox(err);
    }
  }

  async function replay(event) {
    const button = event.target.closest("button[data-replay]");
    if (!button) return;
    button.disabled = true;
    try {
      await api("POST", `/webhook-endpoints/${open}/deliveries/${button.dataset.replay}/replay`);
      say("Sent again, with the same webhook id.");
      $("delivery-out").innerHTML = "";
      await showDeliveries();
    } catch (err) {
      if (handleAuthError(err)) return;
      button.disabled = false;
      $("delivery-out").innerHTML = errorBox(err);
    }
  }

  async function showDeliveries() {
    const box = $("deliveries");
    if (!open || !box) return;
    const listed = await api("GET", `/webhook-endpoints/${open}/deliveries?limit=50`);
    if (!box.isConnected) return;
    const zone = viewerZone();
    patch(box, listed.deliveries.length ? `<div class="table-wrap" role="region" aria-label="Deliveries table
      (scrolls sideways)" tabindex="0"><table><thead><tr><th scope="col">Event</th><th scope="col">State</th>
      <th scope="col">Attempts</th><th scope="col">Last answer</th><th scope="col">Created</th>
      <th scope="col"><span class="visually-hidden">Replay</span></th></tr></thead>
      <tbody>${listed.deliveries.map((d) => `<tr data-delivery-id="${esc(d.id)}" data-status="${esc(d.status)}">
        <th scope="row">${esc(eventLabel(d.event_type))}</th>
        <td data-label="State">${esc(DELIVERY_STATUSES[d.status] || d.status)}${d.status === "pending"
          && d.next_attempt_at ? ` (next try ${esc(when(d.next_attempt_at, zone))})` : ""}</td>
        <td data-label="Attempts">${esc(d.attempts)}</td>
        <td data-label="Last answer">${d.last_status ? `HTTP status ${esc(d.last_status)}` : d.last_error
          ? "No answer" : "—"}</td>
        <td data-label="Created">${esc(when(d.created_at, zone))}</td>
        <td><button type="button" data-replay="${esc(d.id)}"
          aria-label="Replay ${esc(eventLabel(d.event_type))} of ${esc(when(d.created_at, zone))}">Replay</button></td>
      </tr>`).join("")}</tbody></table></div>`
      : `<div class="empty"><p>Nothing was sent to this endpoint yet.</p></div>`);
  }

  function card(e, zone) {
    const name = e.url;
    return `<li class="card endpoint" data-endpoint-id="${esc(e.id)}" data-enabled="${e.enabled}">
      <h3>${esc(e.url)}</h3>
      <p>${e.enabled ? `<span class="badge badge-active">Enabled</span>`
        : `<span class="badge badge-paused" data-flag="disabled">Disabled</span> ${esc(e.disabled_reason
          ? `Holdfast disabled it: ${e.disabled_reason}.` : "Disabled by a member.")}`}</p>
      <p>Events: ${esc(e.events.map(eventLabel).join(", "))}</p>
      <p class="hint">Added ${esc(when(e.created_at, zone))}</p>
      <div class="actions">
        <button type="button" data-act="deliveries" data-id="${esc(e.id)}" aria-label="Deliveries to ${esc(name)}">Deliveries</button>
        <button type="button" data-act="rotate" data-id="${esc(e.id)}" aria-label="Rotate secret of ${esc(name)}">Rotate secret</button>
        <button type="button" data-act="${e.enabled ? "disable" : "enable"}" data-id="${esc(e.id)}"
          aria-label="${e.enabled ? "Disable" : "Enable"} ${esc(name)}">${e.enabled ? "Disable" : "Enable"}</button>
        <button type="button" data-act="delete" data-id="${esc(e.id)}" aria-label="Delete ${esc(name)}">Delete</button>
      </div></li>`;
  }

  const view = {
    async refresh() {
      if (!(await built())) return;
      const box = $("endpoints");
      if (!box) return;
      const listed = await api("GET", "/webhook-endpoints");
      if (!box.isConnected) return;
      const zone = viewerZone();
      const flagged = listed.endpoints.filter((e) => !e.enabled && e.disabled_reason);
      patch($("disabled-notices"), flagged.map((e) => `<div class="alert" role="alert" data-disabled="${esc(e.id)}">
        <p><strong>Holdfast disabled the endpoint ${esc(e.url)}:</strong> ${esc(e.disabled_reason)}. Nothing is sent
        to it until an admin enables it again; its deliveries wait.</p></div>`).join(""));
      patch(box, listed.endpoints.length ? `<ul class="endpoints" role="list">${listed.endpoints.map((e) =>
        card(e, zone)).join("")}</ul>` : `<div class="empty"><p>No endpoints yet. Add one above.</p></div>`);
      if (open && !listed.endpoints.some((e) => e.id === open)) { open = ""; $("deliveries-card").hidden = true; }
      await showDeliveries();
    },
  };
  return view;
}
