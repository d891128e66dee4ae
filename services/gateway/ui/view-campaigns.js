// The campaigns list: status, pause reason chips; automatic pauses and resumes are announced (aria-live).
import { api } from "./api.js";
import { esc } from "./format.js";
import { progressMarkup, rate } from "./results.js";
import { chip, main, patch, say, statusBadge } from "./ui.js";
import { reasonLabel } from "./words.js";

function listChip(campaign) {
  if (campaign.status !== "paused" || !campaign.pause_reasons.length) return "";
  const top = campaign.pause_reasons.find((r) => r.reason === campaign.paused_reason) || campaign.pause_reasons[0];
  return chip(top, campaign, `tip-${campaign.id}`, campaign.pause_reasons.length - 1,
    campaign.pause_reasons.map((r) => r.scope));
}

// What changed by itself since the last look, in words (the status line is polite: read when the reader is idle).
export function changeAnnouncement(name, before, after) {
  if (!before || before.status === after.status) return "";
  if (after.status === "paused") {
    const top = after.paused_reason || (after.pause_reasons[0] || {}).reason;
    return `${name} paused automatically: ${reasonLabel(top)}.`;
  }
  if (after.status === "active" && before.status === "paused") return `${name} resumed automatically: nothing holds it any more.`;
  if (after.status === "completed") return `${name} completed: every prospect is through the sequence.`;
  return "";
}

const STATS_MS = 10000;

// Progress and the key rates of one campaign, for its row in the list.
function keyFigures(c, stats) {
  const sum = (key) => stats.steps.reduce((a, s) => a + s[key], 0);
  const invites = stats.steps.filter((s) => s.action === "invite");
  const emails = stats.steps.filter((s) => s.channel === "email");
  const parts = [`${sum("sent").toLocaleString("en")} sent`, `${rate(stats.replied, stats.enrolled)} replied`];
  if (invites.length) {
    const sent = invites.reduce((a, s) => a + s.sent, 0);
    parts.push(`${rate(invites.reduce((a, s) => a + s.accepted, 0), sent)} accepted`);
  }
  if (emails.length) {
    const sent = emails.reduce((a, s) => a + s.sent, 0);
    parts.push(`${rate(emails.reduce((a, s) => a + s.bounced, 0), sent)} bounced`);
  }
  return `${progressMarkup(stats, `progress-${c.id}`)}<span class="muted key-figures">${esc(parts.join(" · "))}</span>`;
}

const SHOWN = { "": "Current campaigns", archived: "Archived campaigns", all: "All campaigns" };

// `shown`: "" (the campaigns not archived), "archived" or "all" (#/campaigns?archived=...).
export function campaignsView(shown = "") {
  main.innerHTML = `<h1>Campaigns</h1>
    <nav class="filters" aria-label="Which campaigns">${Object.entries(SHOWN).map(([key, label]) =>
      `<a href="#/campaigns${key ? `?archived=${key}` : ""}" ${key === shown ? `aria-current="page"` : ""}>${label}</a>`).join(" ")}</nav>
    <div id="campaigns"><p>Loading…</p></div>`;
  const box = document.getElementById("campaigns");
  const seen = new Map();
  const figures = new Map(); // campaign id -> its last stats
  let statsAt = 0;
  return {
    async refresh() {
      const { campaigns } = await api("GET", `/campaigns?page_size=200${shown ? `&archived=${shown}` : ""}`);
      // Figures move slowly: read them every STATS_MS (or for a campaign not seen yet), not on every poll.
      const stale = Date.now() - statsAt > STATS_MS;
      const wanted = campaigns.filter((c) => c.kind !== "warmup" && (stale || !figures.has(c.id)));
      const fresh = await Promise.all(wanted.map((c) => api("GET", `/campaigns/${c.id}/stats`).catch(() => null)));
      wanted.forEach((c, i) => figures.set(c.id, fresh[i]));
      if (stale) statsAt = Date.now();
      const stats = campaigns.map((c) => figures.get(c.id) || null);
      if (!box.isConnected) return;
      const news = campaigns.map((c) => changeAnnouncement(`“${c.name}”`, seen.get(c.id), c)).filter(Boolean);
      campaigns.forEach((c) => seen.set(c.id, c));
      if (news.length) say(news.join(" "));
      if (!campaigns.length && shown) {
        patch(box, `<div class="empty"><p>No ${shown === "archived" ? "archived " : ""}campaigns.</p>
          <p><a href="#/campaigns">Show the current campaigns</a></p></div>`);
        return;
      }
      if (!campaigns.length) {
        patch(box, `<div class="empty"><p>No campaigns yet.</p>
          <p>A campaign needs a sender: <a href="#/inboxes">add an email inbox</a> or
          <a href="#/accounts">connect a LinkedIn account</a>, then create the campaign.</p>
          <p><a class="button primary" href="#/campaigns/new">Create a campaign</a></p></div>`);
        return;
      }
      patch(box, `<p><a class="button primary" href="#/campaigns/new">Create a campaign</a></p>
        <ul class="campaigns" role="list">${campaigns.map((c, i) => `
        <li class="campaign-row" data-campaign-id="${esc(c.id)}" data-status="${esc(c.status)}">
          <a class="campaign-name" href="#/campaigns/${esc(c.id)}">${esc(c.name)}</a>
          ${c.kind === "warmup" ? `<span class="muted">warm-up</span>` : ""}
          ${statusBadge(c.status)}
          ${c.archived_at ? `<span class="badge badge-archived">Archived</span>` : ""}
          ${listChip(c)}
          ${stats[i] ? keyFigures(c, stats[i]) : ""}
        </li>`).join("")}</ul>`);
    },
  };
}
