// One prospect of a campaign: why it is not being sent now (in words), its timeline (each send attempt, each reply
// with its classification and snippet, an out-of-office and until when, the campaign's pauses while it was in
// it), and re-classifying a reply (a real reply, an out-of-office, do not contact) with the effect shown.
import { api } from "./api.js";
import { esc, viewerZone, when } from "./format.js";
import { errorBox, handleAuthError, main, patch, say } from "./ui.js";
import {
  ACTION_TYPES, ATTEMPT_STATUSES, REPLY_CLASSES, prospectStateLabel, reasonLabel, replySourceText, stopText,
  whyText, words,
} from "./words.js";

const nameOf = (p) => [p.first_name, p.last_name].filter(Boolean).join(" ") || p.email
  || p.linkedin_public_identifier || p.linkedin_provider_id || "Prospect";

// The timeline's entries, oldest first: attempts, replies and the campaign's pauses since the first attempt.
function timeline(detail, pauses) {
  const items = detail.history.map((a) => ({ at: a.started_at, kind: "attempt", a }))
    .concat(detail.replies.map((r) => ({ at: r.received_at, kind: "reply", r })));
  const first = items.length ? items.map((i) => i.at).sort()[0] : null;
  for (const e of pauses) if (first && e.at >= first) items.push({ at: e.at, kind: "pause", e });
  return items.sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : 0));
}

function attemptText(a, steps) {
  const action = ACTION_TYPES[a.action] || (steps[a.step_index] ? words(steps[a.step_index].action) : words(a.action));
  const status = ATTEMPT_STATUSES[a.status] || words(a.status);
  const why = ["refused", "failed", "abandoned"].includes(a.status) && a.outcome ? `: ${stopText(a.outcome)}` : "";
  return `Step ${a.step_index + 1}, ${action}: ${status}${why}`;
}

export function prospectView(campaignId, prospectId) {
  main.innerHTML = `<p><a href="#/campaigns/${esc(campaignId)}">← Back to the campaign</a></p>
    <h1 id="prospect-title">Prospect</h1>
    <section class="card" aria-labelledby="now-h"><h2 id="now-h">Now</h2><div id="prospect-now"></div></section>
    <section class="card" aria-labelledby="timeline-h"><h2 id="timeline-h">Timeline</h2>
      <div id="timeline"></div><div id="reclassify-out"></div></section>`;
  const $ = (x) => document.getElementById(x);
  let steps = [];

  $("timeline").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const choice = form.querySelector("select").value;
    const until = form.querySelector("input[type=date]").value;
    const out = $("reclassify-out");
    const button = form.querySelector("button");
    button.disabled = true;
    const body = { classification: choice };
    // The day the prospect is back, from midnight in the viewer's own zone.
    if (choice === "out_of_office" && until) body.until = new Date(`${until}T00:00:00`).toISOString();
    try {
      const answer = await api("POST",
        `/campaigns/${campaignId}/prospects/${prospectId}/replies/${form.dataset.replyId}/classification`, body);
      await view.refresh();
      const now = $("prospect-state").textContent;
      out.innerHTML = `<p class="notice" role="status" id="reclassified">${answer.changed
        ? `Re-classified as “${esc(REPLY_CLASSES[choice])}”. The prospect is now: ${esc(now)}${answer.out_of_office_until
          ? `, until ${esc(when(answer.out_of_office_until, viewerZone()))}` : ""}.`
        : `Nothing changed: the reply was already “${esc(REPLY_CLASSES[choice])}”.`}</p>`;
      say(answer.changed ? `Reply re-classified as ${REPLY_CLASSES[choice].toLowerCase()}.` : "");
    } catch (err) {
      if (handleAuthError(err)) return;
      out.innerHTML = errorBox(err);
      out.firstElementChild.focus();
    } finally {
      button.disabled = false;
    }
  });
  $("timeline").addEventListener("change", (event) => {
    const select = event.target.closest("select");
    if (select) select.form.querySelector(".until").hidden = select.value !== "out_of_office";
  });

  function replyForm(r, current) {
    const sel = `class-${esc(r.id)}`;
    return `<form class="reclassify" data-reply-id="${esc(r.id)}">
      <label for="${sel}">This reply is</label>
      <select id="${sel}">${Object.entries(REPLY_CLASSES).map(([v, label]) =>
        `<option value="${v}" ${v === current ? "selected" : ""}>${esc(label)}</option>`).join("")}</select>
      <span class="until" ${current === "out_of_office" ? "" : "hidden"}>
        <label for="until-${esc(r.id)}">Back on</label><input type="date" id="until-${esc(r.id)}"></span>
      <button type="submit">Re-classify</button></form>`;
  }

  const view = {
    async refresh() {
      const [detail, campaign, pauses] = await Promise.all([
        api("GET", `/campaigns/${campaignId}/prospects/${prospectId}`),
        api("GET", `/campaigns/${campaignId}`),
        api("GET", `/campaigns/${campaignId}/pause-history?page_size=50`),
      ]);
      if (!$("timeline")) return;
      steps = campaign.steps;
      const p = detail.prospect;
      const me = viewerZone();
      const name = nameOf(p);
      if ($("prospect-title").textContent !== name) {
        $("prospect-title").textContent = name;
        document.title = `${name} · ${campaign.name} · Holdfast`;
      }
      const ids = [p.email, p.company, p.linkedin_public_identifier && `LinkedIn: ${p.linkedin_public_identifier}`]
        .filter(Boolean).join(" · ");
      patch($("prospect-now"), `<p>In “${esc(campaign.name)}”${ids ? ` · ${esc(ids)}` : ""}</p>
        <p><strong>State:</strong> <span id="prospect-state" data-state="${esc(p.state)}">${esc(prospectStateLabel(p.state))}</span>${
          p.out_of_office_until ? ` <span id="ooo-until">until ${esc(when(p.out_of_office_until, me))}</span>` : ""}</p>
        ${p.why_not_now.length ? `<p><strong>Why it is not being sent now:</strong></p><ul class="why" id="why-not-now">
          ${p.why_not_now.map((w) => `<li data-code="${esc(w)}">${esc(whyText(w))}</li>`).join("")}</ul>`
          : `<p id="why-not-now">${p.next_action_at ? `Next send planned at ${esc(when(p.next_action_at, me))}.`
            : "Nothing holds it."}</p>`}`);
      const items = timeline(detail, pauses.entries);
      // A member's re-classification joins the history as an entry of its own; the latest one is what holds now.
      const latest = detail.replies.length
        ? [...detail.replies].sort((x, y) => (x.received_at < y.received_at ? -1 : 1)).at(-1) : null;
      const byMember = (r) => String(r.source).startsWith("member:");
      patch($("timeline"), items.length ? `<ol class="timeline">${items.map((i) => {
        if (i.kind === "attempt") {
          return `<li data-kind="attempt"><time datetime="${esc(i.at)}">${esc(when(i.at, me))}</time>
            ${esc(attemptText(i.a, steps))}</li>`;
        }
        if (i.kind === "pause") {
          return `<li data-kind="pause" class="muted"><time datetime="${esc(i.at)}">${esc(when(i.at, me))}</time>
            Campaign ${i.e.action === "added" ? "paused" : "no longer held"}: ${esc(reasonLabel(i.e.reason))}</li>`;
        }
        const r = i.r;
        if (byMember(r)) {
          return `<li data-kind="reclassified" data-classification="${esc(r.classification)}">
            <time datetime="${esc(i.at)}">${esc(when(i.at, me))}</time>
            <strong>Re-classified by a member: ${esc(REPLY_CLASSES[r.classification] || words(r.classification))}</strong>${
              r.out_of_office_until ? ` <span class="muted">until ${esc(when(r.out_of_office_until, me))}</span>` : ""}</li>`;
        }
        return `<li data-kind="reply" data-reply-id="${esc(r.id)}" data-classification="${esc(r.classification)}">
          <time datetime="${esc(i.at)}">${esc(when(i.at, me))}</time>
          <strong>Reply (${esc(REPLY_CLASSES[r.classification] || words(r.classification))})</strong>
          <span class="muted">via ${esc(replySourceText(r.source))}${r.out_of_office_until
            ? `, out of office until ${esc(when(r.out_of_office_until, me))}` : ""}${r.prospects_affected > 1
            ? `, stopped ${r.prospects_affected} prospects of the company` : ""}</span>
          <blockquote class="snippet">${esc(r.snippet)}</blockquote>${replyForm(r, latest.classification)}</li>`;
      }).join("")}</ol>` : "<p>Nothing sent to this prospect yet.</p>");
    },
  };
  return view;
}
