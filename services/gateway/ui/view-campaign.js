// One campaign: its pause state with Pause / Resume (Resume disabled with the reason while a gate is known to
// block), the resume preview, the prospects page by page, and the pause history.
import { api, ApiError } from "./api.js";
import { dayList, esc, plural, viewerZone, when } from "./format.js";
import { dayChart, progressMarkup, rate, stepsTable } from "./results.js";
import { changeAnnouncement } from "./view-campaigns.js";
import { markRepliesSeen } from "./view-home.js";
import { chip, errorBox, flash, handleAuthError, main, patch, say, statusBadge } from "./ui.js";
import {
  BLOCKS_RESUME, FIX_PAGE, SCOPES, actorText, detailText, prospectStateLabel, reasonAction, reasonLabel,
  stepLabel, whyText,
} from "./words.js";

const PAGE_SIZE = 100;

function previewText(preview, timeZone) {
  if (!preview) return "";
  if (!preview.overdue) return "Nothing is overdue: sending picks up where it stopped, inside the sending window.";
  const days = new Set(preview.days.map((d) => d.date)).size;
  return `${plural(preview.overdue, "overdue action", "overdue actions")} will go out over ${plural(days, "day", "days")}, `
    + `first at ${when(preview.first_at, timeZone)}`
    + (preview.last_at ? `, last at ${when(preview.last_at, timeZone)}` : "") + ". No burst: caps, ramp and pacing apply.";
}

const fixLink = (reason) => (FIX_PAGE[reason] ? ` <a href="${FIX_PAGE[reason][0]}">${FIX_PAGE[reason][1]}</a>` : "");

function blockedAlert(err) {
  const blocking = (err.details && err.details.blocking) || [];
  return `<div class="alert" role="alert" tabindex="-1" data-code="resume_blocked">
      <p><strong>Not resumed:</strong> ${blocking.length > 1 ? "these still hold" : "this still holds"} the campaign.</p>
      <ul>${blocking.map((b) => `<li data-reason="${esc(b.reason)}"><strong>${esc(reasonLabel(b.reason))}</strong>:
        ${esc(detailText(b.message))}. <span class="alert-action">What to do: ${esc(reasonAction(b.reason, b.action))}</span>
        ${fixLink(b.reason)}</li>`).join("")}</ul>
    </div>`;
}

// Where a prospect stands in the sequence: never a step past its end.
export function stepText(prospect, steps) {
  if (prospect.state === "done") return "Done";
  if (["stopped", "replied", "opted_out", "suppressed"].includes(prospect.state)) return "Stopped";
  if (!steps.length) return "—";
  const index = Math.min(prospect.current_step, steps.length - 1);
  return `Step ${index + 1} of ${steps.length}: ${stepLabel(steps[index])}`;
}

function prospectName(p) {
  return [p.first_name, p.last_name].filter(Boolean).join(" ") || p.email || p.linkedin_public_identifier
    || p.linkedin_provider_id;
}

export function campaignView(id) {
  const repliesMarked = { sent: null }; // the replied count this page last marked read
  main.innerHTML = `
    <p><a href="#/campaigns">← All campaigns</a></p>
    <h1 id="campaign-title">Campaign</h1>
    <div id="campaign-head"></div>
    <p id="archived-note" class="notice" hidden>Archived: this campaign is read-only and out of the campaigns list.
      Bring it back to change or resume it.</p>
    <div class="actions" id="manage" role="group" aria-label="Manage the campaign">
      <a class="button" id="edit-link" href="#/campaigns/${esc(id)}/edit">Edit</a>
      <button type="button" id="duplicate-btn">Duplicate</button>
      <button type="button" id="archive-btn">Archive</button>
      <button type="button" id="unarchive-btn" hidden>Bring back from the archive</button>
    </div>
    <section aria-labelledby="reasons-h" class="card">
      <h2 id="reasons-h">Pause state</h2>
      <div id="reasons"></div>
      <p id="preview" class="preview"></p>
      <div class="actions">
        <button type="button" id="pause-btn" hidden>Pause</button>
        <button type="button" id="resume-btn" class="primary" hidden>Resume</button>
        <button type="button" id="resume-later-btn" hidden aria-describedby="resume-later-hint">Resume when
          unblocked</button>
        <button type="button" id="activate-btn" class="primary" hidden>Activate</button>
      </div>
      <p id="resume-why" class="blocked" tabindex="-1" hidden></p>
      <p id="resume-later-hint" class="hint" hidden>Resume when unblocked lifts your pause now; the campaign then
        resumes by itself as soon as nothing else holds it.</p>
      <p id="waiting-for" class="notice" tabindex="-1" hidden></p>
      <ul id="cooldowns" class="cooldowns" hidden></ul>
      <div id="resume-alert"></div>
    </section>
    <section aria-labelledby="results-h" class="card">
      <h2 id="results-h">Results</h2>
      <div id="results"></div>
    </section>
    <section aria-labelledby="prospects-h" class="card">
      <h2 id="prospects-h">Prospects</h2>
      <p id="import-link" hidden><a class="button" href="#/campaigns/${esc(id)}/import">Import prospects from a CSV file</a></p>
      <div id="prospects"></div>
      <nav class="pager" id="pager" aria-label="Prospect pages" hidden>
        <button type="button" id="prev-page">Previous page</button>
        <span id="page-label" aria-live="polite"></span>
        <button type="button" id="next-page">Next page</button>
      </nav>
    </section>
    <section aria-labelledby="history-h" class="card">
      <h2 id="history-h">Pause history</h2>
      <div id="history"></div>
    </section>`;
  const el = (x) => document.getElementById(x);
  const title = el("campaign-title");
  let campaign = null;
  let expected = null; // the status a member's own Pause/Resume/Activate is moving to: not announced as automatic
  const pages = [""]; // page tokens: pages[i] opens page i
  let page = 0;
  let nextToken = null;
  let busy = false;

  async function transition(verb) {
    const buttons = [el("pause-btn"), el("resume-btn"), el("activate-btn"), el("resume-later-btn")];
    buttons.forEach((b) => { b.disabled = true; });
    busy = true;
    let refused = false;
    const later = verb === "resume-later";
    expected = verb === "pause" ? "paused" : later ? null : "active";
    try {
      const answer = later ? await api("POST", `/campaigns/${id}/resume`, { when_unblocked: true })
        : await api("POST", `/campaigns/${id}/${verb}`, {});
      patch(el("resume-alert"), "");
      const tz = answer.campaign.schedule.timezone;
      const next = answer.next_sends ? Object.entries(answer.next_sends)
        .map(([ch, at]) => ` Next ${ch === "email" ? "email" : "LinkedIn"} send: ${when(at, tz)}.`).join("") : "";
      // The scheduler had not confirmed the change when the answer came (holds_pending): say so, never "paused".
      const pending = !answer.holds_pending ? "" : {
        pause: " Not enforced yet: the scheduler has not confirmed the pause, and a send may start until it does.",
        resume: " The scheduler has not confirmed it yet: sending resumes once it does.",
        activate: " The scheduler has not confirmed it yet: sending starts once it does.",
      }[verb];
      const done = {
        pause: pending ? "Pause recorded." : "Campaign paused.", resume: "Campaign resumed.",
        activate: pending ? "Campaign activated." : "Campaign started.",
      }[verb];
      if (later) {
        const waits = answer.waiting_for || [];
        say(waits.length ? `Your pause is lifted: the campaign resumes by itself once ${waits.map((g) =>
          `“${reasonLabel(g.reason)}”`).join(" and ")} ${waits.length > 1 ? "clear" : "clears"}.`
          : `Campaign resumed.${next}`);
      } else {
        say(answer.changed ? `${done}${next}${pending}`
          : `Nothing to do: the campaign was already ${answer.campaign.status}.`);
      }
      await view.refresh();
    } catch (err) {
      expected = null;
      if (handleAuthError(err)) return;
      const box = el("resume-alert");
      box.innerHTML = err instanceof ApiError && err.code === "resume_blocked" ? blockedAlert(err) : errorBox(err);
      box.dataset.html = "(alert)";
      refused = true;
      await view.refresh().catch(() => {}); // learn what now holds the campaign: Resume may be known to block
    } finally {
      busy = false;
      buttons.forEach((b) => { b.disabled = false; });
      render();
      // A refusal takes focus (it says what to do); else focus stays on the control now in the same place.
      if (refused) el("resume-alert").firstElementChild.focus();
      else focusControl();
    }
  }
  // After an action focus stays where the member acted: on the control now in that place.
  function focusControl() {
    const target = [el("pause-btn"), el("resume-btn"), el("activate-btn"), el("resume-later-btn")]
      .find((b) => !b.hidden && !b.disabled);
    (target || (el("waiting-for").hidden ? el("resume-why") : el("waiting-for"))).focus();
  }
  // Duplicate (a new draft, opened at once) and archive / bring back: focus stays on the control in that place.
  async function manage(verb) {
    const button = el(`${verb}-btn`);
    button.disabled = true;
    try {
      if (verb === "duplicate") {
        const copy = await api("POST", `/campaigns/${id}/duplicate`, {});
        flash(`“${copy.name}” is a new draft with the same steps, schedule and senders, and no prospects.`);
        location.hash = `#/campaigns/${copy.id}`;
        return;
      }
      const answer = await api("POST", `/campaigns/${id}/${verb}`, {});
      expected = answer.campaign.status;
      patch(el("resume-alert"), "");
      const paused = answer.campaign.status === "paused";
      say(verb === "archive" ? (!answer.changed ? "The campaign was already archived."
        : answer.holds_pending ? "Campaign archived and paused. Not enforced yet: the scheduler has not confirmed the "
          + "pause, and a send may start until it does."
        : `Campaign archived${paused ? " and paused: it sends nothing from the archive" : ""}.`)
        : "Campaign brought back from the archive. It stays paused until you resume it.");
      await view.refresh();
    } catch (err) {
      if (handleAuthError(err)) return;
      const box = el("resume-alert");
      box.innerHTML = errorBox(err);
      box.dataset.html = "(alert)";
      box.firstElementChild.focus();
      return;
    } finally {
      button.disabled = false;
    }
    const target = [el("archive-btn"), el("unarchive-btn")].find((b) => !b.hidden);
    if (target) target.focus();
  }
  el("duplicate-btn").addEventListener("click", () => manage("duplicate"));
  el("archive-btn").addEventListener("click", () => manage("archive"));
  el("unarchive-btn").addEventListener("click", () => manage("unarchive"));
  el("pause-btn").addEventListener("click", () => transition("pause"));
  el("resume-btn").addEventListener("click", () => transition("resume"));
  el("resume-later-btn").addEventListener("click", () => transition("resume-later"));
  el("activate-btn").addEventListener("click", () => transition("activate"));
  el("prev-page").addEventListener("click", () => { page = Math.max(0, page - 1); view.refresh(); });
  el("next-page").addEventListener("click", () => {
    if (!nextToken) return;
    pages[page + 1] = nextToken;
    page += 1;
    view.refresh();
  });

  function render() {
    if (!campaign) return;
    const c = campaign;
    const blockers = c.status === "paused" ? c.pause_reasons.filter((r) => BLOCKS_RESUME.has(r.reason)) : [];
    const archived = Boolean(c.archived_at);
    el("archived-note").hidden = !archived;
    el("archive-btn").hidden = archived;
    el("unarchive-btn").hidden = !archived;
    el("edit-link").hidden = archived;
    el("pause-btn").hidden = c.status !== "active" && c.status !== "completed";
    el("resume-btn").hidden = c.status !== "paused" || archived;
    el("activate-btn").hidden = c.status !== "draft" || archived;
    const resume = el("resume-btn");
    if (!busy) resume.disabled = blockers.length > 0;
    if (blockers.length) {
      resume.setAttribute("aria-describedby", "resume-why");
    } else {
      resume.removeAttribute("aria-describedby");
    }
    const manual = c.pause_reasons.some((r) => r.reason === "manual");
    // Resume when unblocked: offered while a gate blocks a member's own pause (without it, the campaign already
    // resumes by itself once the gates clear).
    const later = el("resume-later-btn");
    later.hidden = !(blockers.length && manual) || archived;
    el("resume-later-hint").hidden = later.hidden;
    if (!busy) later.disabled = false;
    const why = el("resume-why");
    why.hidden = !blockers.length;
    patch(why, blockers.length ? `<strong>Resume is not possible yet.</strong> ${blockers.map((b) =>
      `${esc(reasonLabel(b.reason))}: ${esc(reasonAction(b.reason, b.action))}${fixLink(b.reason)}`).join(" ")}` : "");
    // No pause of a member's left: say what the campaign waits for before it resumes by itself.
    const waiting = el("waiting-for");
    const waits = c.status === "paused" && !manual ? c.pause_reasons : [];
    waiting.hidden = !waits.length;
    patch(waiting, waits.length ? `<strong>Resumes by itself once ${waits.length > 1 ? "these clear" : "this clears"}:</strong>
      ${waits.map((r) => `<span data-reason="${esc(r.reason)}">${esc(reasonLabel(r.reason))}${r.clears_at
        ? ` (cool-down until ${esc(when(r.clears_at, viewerZone()))})` : ""}</span>`).join(", ")}.` : "");
    // A cause that is gone but waits for the auto-resume cool-down (P9): its end time and why, in view.
    const cooling = c.status === "paused" ? c.pause_reasons.filter((r) => r.clears_at) : [];
    el("cooldowns").hidden = !cooling.length;
    patch(el("cooldowns"), cooling.map((r) => `<li data-reason="${esc(r.reason)}"><strong>${esc(reasonLabel(r.reason))}:</strong>
      fixed, but the cool-down keeps the campaign paused until ${esc(when(r.clears_at, viewerZone()))}
      because ${esc(r.cooldown || "the cause came back soon after a resume")}.</li>`).join(""));
  }

  function renderProspects(c, prospects, tz, me) {
    const rows = prospects.prospects;
    nextToken = prospects.next_page_token;
    el("pager").hidden = page === 0 && !nextToken;
    el("prev-page").disabled = page === 0;
    el("next-page").disabled = !nextToken;
    const first = page * PAGE_SIZE + 1;
    el("page-label").textContent = rows.length ? `Prospects ${first}–${first + rows.length - 1}` : "";
    patch(el("prospects"), rows.length ? `
      <div class="table-wrap" role="region" aria-label="Prospects table (scrolls sideways)" tabindex="0">
      <table><thead><tr><th scope="col">Prospect</th><th scope="col">State</th><th scope="col">Step</th>
        <th scope="col">Next action (${esc(tz)})</th>${me !== tz ? `<th scope="col">Your time (${esc(me)})</th>` : ""}
        <th scope="col">Why not now</th></tr></thead>
      <tbody>${rows.map((p) => `<tr data-prospect-id="${esc(p.id)}" data-state="${esc(p.state)}">
        <th scope="row"><a href="#/campaigns/${esc(id)}/prospects/${esc(p.id)}">${esc(prospectName(p))}</a></th>
        <td data-label="State">${esc(prospectStateLabel(p.state))}</td>
        <td data-label="Step" class="step">${esc(stepText(p, c.steps))}</td>
        <td data-label="Next action (${esc(tz)})">${p.state === "done" ? "—" : esc(when(p.next_action_at, tz))}</td>${me !== tz
          ? `<td data-label="Your time (${esc(me)})">${p.state === "done" ? "—" : esc(when(p.next_action_at, me))}</td>` : ""}
        <td data-label="Why not now">${p.why_not_now.length ? `<ul class="why">${p.why_not_now.map((w) =>
          `<li data-code="${esc(w)}">${esc(whyText(w))}</li>`).join("")}</ul>` : "—"}</td>
      </tr>`).join("")}</tbody></table></div>`
      : `<div class="empty"><p>No prospects yet: import them from a CSV file.</p></div>`);
  }

  const view = {
    async refresh() {
      const token = pages[page] ? `&page_token=${encodeURIComponent(pages[page])}` : "";
      const [c, prospects, history, stats] = await Promise.all([
        api("GET", `/campaigns/${id}`),
        api("GET", `/campaigns/${id}/prospects?page_size=${PAGE_SIZE}${token}`),
        api("GET", `/campaigns/${id}/pause-history?page_size=50`),
        api("GET", `/campaigns/${id}/stats`),
      ]);
      const preview = c.status === "paused" ? await api("GET", `/campaigns/${id}/resume-preview`) : null;
      const warmup = c.kind === "warmup" ? await api("GET", `/campaigns/${id}/warmup`) : null;
      if (!title.isConnected) return; // the user moved on while this was loading
      const before = campaign;
      campaign = c;
      if (before && before.status !== c.status) {
        patch(el("resume-alert"), ""); // an old refusal no longer describes this state
        if (expected !== c.status) say(changeAnnouncement("The campaign", before, c));
      }
      if (expected === c.status) expected = null;
      const tz = c.schedule.timezone;
      const me = viewerZone();
      if (title.textContent !== c.name) {
        title.textContent = c.name;
        document.title = `${c.name} · Holdfast`;
      }
      patch(el("campaign-head"), `<p class="head" data-status="${esc(c.status)}" id="campaign-status">
        ${statusBadge(c.status)} <span>Sends ${esc(dayList(c.schedule.days))}, ${esc(c.schedule.window.start)}–${esc(c.schedule.window.end)}
        (${esc(tz)})</span> <span>Steps: ${esc(c.steps.map(stepLabel).join(" → ") || "none")}</span>
        <span id="stop-scope">A reply stops ${c.stop_on_reply === "company" ? "the whole company" : "that prospect only"}.</span></p>`);
      patch(el("reasons"), c.pause_reasons.length
        ? `<p class="hint">Hover or focus a reason to see what happened and what to do.</p>
           <div class="chips" role="list">${c.pause_reasons.map((r, i) =>
             `<span role="listitem">${chip(r, c, `tip-reason-${i}-${r.reason}`)}</span>`).join("")}</div>`
        : `<p>${c.status === "completed"
          ? "Completed: every prospect is through the sequence, nothing more will be sent. Import more prospects to go on."
          : c.status === "active" ? "Sending: nothing holds this campaign." : c.status === "draft"
          ? "A draft: nothing is sent until you start it." : "This campaign has finished."}</p>`);
      patch(el("preview"), preview ? `<strong>If you resume now:</strong> ${esc(previewText(preview, tz))}` : "");
      render();
      el("prospects-h").textContent = warmup ? "Warm-up" : "Prospects";
      el("import-link").hidden = Boolean(warmup) || c.status === "finished" || Boolean(c.archived_at);
      if (warmup) {
        el("pager").hidden = true;
        patch(el("prospects"), `<p id="warmup-progress">Ramp day ${warmup.ramp_day + 1}: ${warmup.sent_today} of
          ${warmup.limit_today} emails sent today; ${warmup.sent_total} sent in all, ${warmup.queued} queued, to
          ${warmup.pool_size} other inbox${warmup.pool_size === 1 ? "" : "es"} of this workspace.</p>
          <p class="hint">The daily volume grows only on days the inbox actually sends: a pause keeps the ramp day.</p>`);
      } else renderProspects(c, prospects, tz, me);
      // Its replies are in view here: read, for this member (kept by the server, not by this browser).
      markRepliesSeen(id, stats.replied, repliesMarked).catch(() => {});
      const sent = stats.steps.reduce((a, st) => a + st.sent, 0);
      patch(el("results"), `<ul class="figures">
          <li><strong>${stats.enrolled.toLocaleString("en")}</strong> enrolled</li>
          <li><strong>${sent.toLocaleString("en")}</strong> sent</li>
          <li><strong>${stats.finished.toLocaleString("en")}</strong> finished</li>
          <li><strong>${stats.stopped.toLocaleString("en")}</strong> stopped</li>
          <li><strong>${stats.replied.toLocaleString("en")}</strong> replied (${rate(stats.replied, stats.enrolled)})</li>
          <li><strong>${stats.out_of_office.toLocaleString("en")}</strong> out of office</li>
          <li><strong>${stats.opted_out.toLocaleString("en")}</strong> opted out</li></ul>
        ${progressMarkup(stats, "campaign-progress")}
        ${stepsTable(stats)}
        <h3>Per day (${esc(tz)})</h3>${dayChart(stats.days, "chart-title")}`);
      patch(el("history"), history.entries.length ? `
        <ol class="history">${history.entries.map((e) => `<li>
          <time datetime="${esc(e.at)}">${esc(when(e.at, me))}</time>
          <span class="h-${esc(e.action)}">${e.action === "added" ? "Paused" : "Cleared"}: ${esc(reasonLabel(e.reason))}</span>
          <span class="muted">(${esc(SCOPES[e.scope] || e.scope)} ${e.action === "added" ? "held" : "released"}, by ${esc(actorText(e.actor))}; the campaign was
          then ${esc((e.status_after === "active" ? "sending" : e.status_after))})</span>
          ${e.detail ? `<span class="muted">— ${esc(detailText(e.detail))}</span>` : ""}</li>`).join("")}</ol>`
        : "<p>Never paused.</p>");
    },
  };
  return view;
}
