// Home: what needs attention, each with its next action. Paused campaigns grouped by reason, senders that are
// disconnected, restricted or unstable, inboxes with a high bounce rate, and replies not read yet. Replies count
// as read once the member opened their campaign's page: the server keeps what each member has read, per workspace
// (GET /replies-read, PUT /campaigns/{id}/replies-read), so it follows them from one browser to another.
import { api } from "./api.js";
import { esc, plural } from "./format.js";
import { main, patch } from "./ui.js";
import { FIX_PAGE, REASONS, reasonLabel, statusLabel } from "./words.js";

const STATS_MS = 10000;
// The scheduler's default bounce-rate threshold (HOLDFAST_BOUNCE_RATE_THRESHOLD): at or over it an inbox shows
// here before (or while) it pauses its campaigns.
export const HIGH_BOUNCE_RATE = 0.05;
const MIN_BOUNCE_SAMPLE = 20;

// Called by the campaign page with the replied count it shows: those replies are read. Sent again only when the
// count changes (`last`: what this page sent); a failed call is tried again at the next refresh.
export async function markRepliesSeen(campaignId, replied, last) {
  if (last.sent === replied) return;
  await api("PUT", `/campaigns/${campaignId}/replies-read`, { replied });
  last.sent = replied;
}

const campaignLink = (c) => `<a href="#/campaigns/${esc(c.id)}">${esc(c.name)}</a>`;

function item(attrs, what, next) {
  return `<li ${attrs}><span>${what}</span><span class="next">${next}</span></li>`;
}

function section(id, title, items, none) {
  return `<section class="card" aria-labelledby="${id}-h" id="${id}">
    <h2 id="${id}-h">${esc(title)} <span class="badge" data-count="${items.length}">${items.length}</span></h2>
    ${items.length ? `<ul class="attention" role="list">${items.join("")}</ul>` : `<p class="muted">${esc(none)}</p>`}
  </section>`;
}

function pausedByReason(campaigns) {
  const groups = [];
  for (const reason of Object.keys(REASONS)) {
    const held = campaigns.filter((c) => c.status === "paused" && c.pause_reasons.some((r) => r.reason === reason));
    if (!held.length) continue;
    const fix = FIX_PAGE[reason];
    groups.push(`<li data-reason="${esc(reason)}"><h3>${esc(reasonLabel(reason))}
      <span class="muted">(${esc(plural(held.length, "campaign", "campaigns"))})</span></h3>
      <ul class="attention" role="list">${held.map((c) => item(`data-campaign-id="${esc(c.id)}"`, campaignLink(c),
        fix ? `<a href="${fix[0]}">${esc(fix[1])}</a>` : reason === "manual"
          ? `<a href="#/campaigns/${esc(c.id)}">Review and resume</a>` : `<a href="#/campaigns/${esc(c.id)}">Open the campaign</a>`))
        .join("")}</ul></li>`);
  }
  return groups;
}

export function homeView() {
  main.innerHTML = `<h1>Needs attention</h1><div id="attention"><p>Loading…</p></div>`;
  const box = document.getElementById("attention");
  const stats = new Map(); // campaign id -> its stats, read every STATS_MS
  const bounces = new Map(); // inbox id -> its stats
  let statsAt = 0;
  return {
    async refresh() {
      const [{ campaigns }, { linkedin_accounts: accounts }, { inboxes }, read] = await Promise.all([
        api("GET", "/campaigns?page_size=200"), api("GET", "/linkedin-accounts"), api("GET", "/inboxes"),
        api("GET", "/replies-read")]);
      const stale = Date.now() - statsAt > STATS_MS;
      const outreach = campaigns.filter((c) => c.kind !== "warmup" && c.status !== "draft");
      const wanted = outreach.filter((c) => stale || !stats.has(c.id));
      const wantedInboxes = inboxes.filter((i) => stale || !bounces.has(i.id));
      const [fresh, freshInboxes] = await Promise.all([
        Promise.all(wanted.map((c) => api("GET", `/campaigns/${c.id}/stats`).catch(() => null))),
        Promise.all(wantedInboxes.map((i) => api("GET", `/inboxes/${i.id}/stats`).catch(() => null)))]);
      wanted.forEach((c, i) => stats.set(c.id, fresh[i]));
      wantedInboxes.forEach((x, i) => bounces.set(x.id, freshInboxes[i]));
      if (stale) statsAt = Date.now();
      if (!box.isConnected) return;

      const paused = pausedByReason(campaigns);
      const senders = [
        ...accounts.filter((a) => a.status !== "connected").map((a) => item(`data-account-id="${esc(a.id)}"`,
          `LinkedIn account <strong>${esc(a.name)}</strong>: ${esc(statusLabel(a.status))}`,
          `<a href="#/accounts">${a.status === "restricted" ? "Verify it on LinkedIn accounts" : "Reconnect it on LinkedIn accounts"}</a>`)),
        ...inboxes.filter((i) => i.status !== "connected").map((i) => item(`data-inbox-id="${esc(i.id)}"`,
          `Inbox <strong>${esc(i.email)}</strong>: ${esc(statusLabel(i.status))}`,
          `<a href="#/inboxes">Fix its login on Inboxes</a>`)),
      ];
      const bouncing = inboxes.filter((i) => {
        const s = bounces.get(i.id);
        return s && s.failure_sample >= MIN_BOUNCE_SAMPLE && s.failure_rate >= HIGH_BOUNCE_RATE;
      }).map((i) => {
        const s = bounces.get(i.id);
        return item(`data-inbox-id="${esc(i.id)}"`, `Inbox <strong>${esc(i.email)}</strong>: ${Math.round(s.failure_rate * 100)}%
          of its last ${s.failure_sample.toLocaleString("en")} emails bounced`,
          `<a href="#/inboxes">Check the inbox and clean the list</a>`);
      });
      const seen = Object.fromEntries(read.campaigns.map((r) => [r.campaign_id, r.replied]));
      const replies = outreach.filter((c) => stats.get(c.id) && stats.get(c.id).replied > (seen[c.id] || 0))
        .map((c) => {
          const unread = stats.get(c.id).replied - (seen[c.id] || 0);
          return item(`data-campaign-id="${esc(c.id)}"`, `${esc(plural(unread, "new reply", "new replies"))} in ${campaignLink(c)}`,
            `<a href="#/campaigns/${esc(c.id)}">Read ${unread === 1 ? "it" : "them"}</a>`);
        });
      const total = paused.length + senders.length + bouncing.length + replies.length;
      patch(box, `<p id="attention-summary">${total ? "These need you, most urgent first." : "Nothing needs your attention: every campaign is sending or done, every sender is connected."}
          <a href="#/campaigns">All campaigns</a></p>
        ${section("att-paused", "Paused campaigns", paused, "No campaign is paused.")}
        ${section("att-senders", "Senders", senders, "Every LinkedIn account and inbox is connected.")}
        ${section("att-bounces", "High bounce rates", bouncing, "No inbox bounces more than it should.")}
        ${section("att-replies", "Replies to read", replies, "No new replies.")}`);
    },
  };
}
