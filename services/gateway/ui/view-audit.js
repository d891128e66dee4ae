// The audit log: who changed what and when, newest first, paged, filtered by who did it, what they did and when.
// Every change a member or an integration made through the API is there, and what Holdfast did by itself to the
// workspace's integrations (an endpoint it disabled). Admins read it; other roles are told which role it needs.
import { api } from "./api.js";
import { esc, viewerZone, when } from "./format.js";
import { buildOnce, can, roleNotice } from "./team.js";
import { handleAuthError, main, patch } from "./ui.js";
import { AUDIT_ACTIONS, auditActionLabel, eventLabel, roleLabel, WEBHOOK_EVENTS, words } from "./words.js";

const PAGE_SIZE = 25;
const SYSTEM = "00000000-0000-0000-0000-000000000000";
const UNKNOWN = "00000000-0000-0000-0000-000000000001"; // a refused sign-in: the address tried is in the details

// A changed field's value in words: event types and roles by their labels, codes in plain words.
function valueText(value) {
  if (Array.isArray(value)) return value.map(valueText).join(", ");
  if (value && typeof value === "object") {
    return Object.entries(value).map(([k, v]) => `${fieldText(k).toLowerCase()} ${valueText(v)}`).join("; ");
  }
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (WEBHOOK_EVENTS[value]) return eventLabel(value);
  if (["owner", "admin", "member", "viewer"].includes(value)) return roleLabel(value).toLowerCase();
  const text = String(value ?? "");
  if (/^[a-z]+(?:_[a-z]+)+$/.test(text)) return words(text).toLowerCase(); // a code, in words
  return text || "—";
}

const FIELDS = { url: "URL", member_id: "Member", endpoint_id: "Endpoint", campaign_id: "Campaign" };
const fieldText = (key) => FIELDS[key] || words(key);

// `members`: a member named by id in the changes is shown by its address while it is a member.
function changesText(changes, members) {
  const entries = Object.entries(changes || {});
  if (!entries.length) return "—";
  const named = (k, v) => (k === "member_id" && members.find((m) => m.id === v) || { email: null }).email;
  return entries.map(([k, v]) => `${fieldText(k)}: ${named(k, v) || valueText(v)}`).join(". ");
}

export function auditView() {
  main.innerHTML = `<h1>Audit log</h1>
    <p>Who changed what, newest first. Reads are not listed; refused requests change nothing and are not listed.</p>
    <div id="audit-body"><p>Loading…</p></div>`;
  const $ = (x) => document.getElementById(x);
  const body = $("audit-body");
  const built = buildOnce(body, build);
  let members = [];
  const pages = [""];
  let page = 0;
  let nextToken = null;

  function build(w) {
    members = w.members;
    if (!can(w.you.role, "admin")) {
      body.innerHTML = roleNotice("admin", "Reading the audit log is for admins.");
      return;
    }
    body.innerHTML = `<form class="card toolbar" id="audit-filters" aria-label="Filter the audit log">
        <div><label for="f-actor">Who</label>
        <select id="f-actor"><option value="">Anyone</option><option value="${SYSTEM}">Holdfast itself</option><option value="${UNKNOWN}">Someone not signed in</option>
          ${members.map((m) => `<option value="${esc(m.id)}">${esc(m.email)}</option>`).join("")}</select></div>
        <div><label for="f-action">What</label>
        <select id="f-action"><option value="">Any change</option>${Object.entries(AUDIT_ACTIONS)
          .sort((a, b) => a[1].localeCompare(b[1])).map(([v, label]) =>
            `<option value="${esc(v)}">${esc(label)}</option>`).join("")}</select></div>
        <div><label for="f-from">From (day)</label><input id="f-from" type="date"></div>
        <div><label for="f-to">To (day, included)</label><input id="f-to" type="date"></div>
        <button type="submit">Apply filters</button>
      </form>
      <section class="card" aria-labelledby="audit-h">
        <h2 id="audit-h" tabindex="-1">Changes</h2>
        <div id="audit-out"></div>
        <div id="audit"><p>Loading…</p></div>
        <nav class="pager" id="a-pager" aria-label="Audit log pages" hidden>
          <button type="button" id="a-prev">Newer changes</button>
          <button type="button" id="a-next">Older changes</button>
        </nav>
      </section>`;
    $("audit-filters").addEventListener("submit", async (event) => {
      event.preventDefault();
      pages.length = 1;
      page = 0;
      await load();
      $("audit-h").focus();
    });
    $("a-prev").addEventListener("click", async () => { page = Math.max(0, page - 1); await load(); });
    $("a-next").addEventListener("click", async () => {
      if (!nextToken) return;
      pages[page + 1] = nextToken;
      page += 1;
      await load();
    });
  }

  // A day in the viewer's zone, as the instant it starts (the "to" day is included: until the next one starts).
  const dayStart = (value, plusDays = 0) => {
    const [y, m, d] = value.split("-").map(Number);
    return new Date(y, m - 1, d + plusDays).toISOString();
  };

  function who(e) {
    if (e.member_id === SYSTEM) return "Holdfast";
    if (e.member_id === UNKNOWN) return "Someone not signed in";
    const name = e.member_email || (members.find((m) => m.id === e.member_id) || {}).email || "A removed member";
    return e.token_id ? `${name} (API token)` : name;
  }

  async function load() {
    const box = $("audit");
    const params = new URLSearchParams({ page_size: String(PAGE_SIZE) });
    if (pages[page]) params.set("page_token", pages[page]);
    if ($("f-actor").value) params.set("member_id", $("f-actor").value);
    if ($("f-action").value) params.set("action", $("f-action").value);
    if ($("f-from").value) params.set("since", dayStart($("f-from").value));
    if ($("f-to").value) params.set("until", dayStart($("f-to").value, 1));
    const listed = await api("GET", `/audit?${params}`);
    if (!box.isConnected) return;
    nextToken = listed.next_page_token;
    $("a-pager").hidden = page === 0 && !nextToken;
    $("a-prev").disabled = page === 0;
    $("a-next").disabled = !nextToken;
    const zone = viewerZone();
    const filtered = params.has("member_id") || params.has("action") || params.has("since") || params.has("until");
    patch(box, listed.entries.length ? `<div class="table-wrap" role="region" aria-label="Audit table (scrolls
      sideways)" tabindex="0"><table><thead><tr><th scope="col">When</th><th scope="col">Who</th>
      <th scope="col">What</th><th scope="col">Details</th></tr></thead>
      <tbody>${listed.entries.map((e) => `<tr data-entry-id="${esc(e.id)}" data-action="${esc(e.action)}">
        <td data-label="When">${esc(when(e.at, zone))}</td>
        <td data-label="Who">${esc(who(e))}</td>
        <th scope="row">${esc(auditActionLabel(e.action))}</th>
        <td data-label="Details">${esc(changesText(e.changes, members))}</td>
      </tr>`).join("")}</tbody></table></div>`
      : `<div class="empty"><p>${filtered ? "No change matches these filters." : "Nothing was changed yet."}</p></div>`);
  }

  const view = {
    async refresh() {
      try {
        if (!(await built())) return;
        if ($("audit")) await load();
      } catch (err) {
        if (!handleAuthError(err)) throw err;
      }
    },
  };
  return view;
}
