// The campaign builder: a sequence of steps (invite with an optional note, message, InMail, email) with delays and
// templates, a live preview for a sample prospect with counters at each channel's limit, the schedule, and the
// senders chosen from the workspace's connected accounts and inboxes. Saves a draft with the campaign create API.
import { api, ApiError } from "./api.js";
import { esc, plural, viewerZone, when } from "./format.js";
import { errorText, flash, handleAuthError, main, patch, statusBadge } from "./ui.js";
import { detailText } from "./words.js";
import { isZone, zoneField } from "./zones.js";

export const KINDS = {
  invite: { channel: "linkedin", label: "LinkedIn invitation", field: "text", limit: 300, optional: true,
    help: "The note is optional; LinkedIn allows 300 characters." },
  message: { channel: "linkedin", label: "LinkedIn message", field: "text", limit: 8000,
    help: "Goes to a connection: after the invitation is accepted." },
  inmail: { channel: "linkedin", label: "InMail", field: "text", limit: 1900,
    help: "Reaches someone outside the network; needs InMail credits. LinkedIn allows 1,900 characters." },
  email: { channel: "email", label: "Email", field: "body", limit: 100000, subjectLimit: 998,
    help: "Sent from one of the campaign's inboxes." },
};
const VARIABLES = ["first_name", "last_name", "company"];
const DAYS = [["mon", "Monday"], ["tue", "Tuesday"], ["wed", "Wednesday"], ["thu", "Thursday"], ["fri", "Friday"],
  ["sat", "Saturday"], ["sun", "Sunday"]];

// A template with a prospect's values filled in; an empty value leaves nothing (as the sender does).
export function fill(template, prospect) {
  return String(template).replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, name) => prospect[name] ?? (prospect.fields || {})[name] ?? "");
}

function stepMarkup(step, i) {
  const kind = KINDS[step.action];
  const id = `step-${i}`;
  return `<li class="card step" data-step="${i}" aria-labelledby="${id}-h">
    <h3 id="${id}-h">Step ${i + 1}: ${esc(kind.label)}</h3>
    <label for="${id}-action">Action</label>
    <select id="${id}-action" data-field="action">${Object.entries(KINDS).map(([key, k]) =>
      `<option value="${key}" ${key === step.action ? "selected" : ""}>${esc(k.label)}</option>`).join("")}</select>
    <fieldset class="delay"><legend>${i === 0 ? "Wait before the first step" : "Wait after the previous step"}</legend>
      <label for="${id}-days">Days</label><input id="${id}-days" data-field="days" type="number" min="0" max="366"
        inputmode="numeric" value="${step.delay.days}">
      <label for="${id}-hours">Hours</label><input id="${id}-hours" data-field="hours" type="number" min="0" max="23"
        inputmode="numeric" value="${step.delay.hours}">
    </fieldset>
    ${kind.subjectLimit ? `<label for="${id}-subject">Subject</label>
      <input id="${id}-subject" data-field="subject" value="${esc(step.subject)}" aria-describedby="${id}-subject-count">
      <p class="counter" id="${id}-subject-count" aria-live="polite"></p>` : ""}
    <label for="${id}-text">${step.action === "invite" ? "Invitation note (optional)" : step.action === "email" ? "Body" : "Message"}</label>
    <textarea id="${id}-text" data-field="${kind.field}" rows="4" aria-describedby="${id}-help ${id}-count">${esc(step[kind.field])}</textarea>
    <p class="hint" id="${id}-help">${esc(kind.help)}</p>
    <p class="counter" id="${id}-count" aria-live="polite"></p>
    <div class="variables" role="group" aria-label="Insert a variable into step ${i + 1}">${VARIABLES.map((v) =>
      `<button type="button" data-insert="${v}">{{${v}}}</button>`).join("")}</div>
    <section class="preview-box" aria-label="Preview of step ${i + 1}"><h4>Preview</h4><div class="preview-out"></div></section>
    <button type="button" data-remove aria-label="Remove step ${i + 1}">Remove step</button>
  </li>`;
}

function senderRow(kind, sender, label, detail) {
  const usable = sender.status === "connected" || sender.status === "degraded";
  return `<li><label class="radio"><input type="checkbox" name="${kind}" value="${esc(sender.id)}" ${usable ? "" : "disabled"}>
    ${esc(label)} ${statusBadge(sender.status)} <span class="muted">${esc(detail)}</span></label></li>`;
}

// `editId`: edit that campaign instead of creating one. A started campaign keeps its steps' actions and its
// senders (the API refuses other changes); a changed delay or window is previewed (who moves) before it is saved.
export function builderView(editId = null) {
  const steps = [{ action: "invite", delay: { days: 0, hours: 0 }, text: "", subject: "", body: "" }];
  const sample = { first_name: "Alex", last_name: "Martin", company: "Northwind" };
  let editing = null; // the campaign being edited, once loaded
  let locked = false; // a started campaign: step actions and senders stay
  main.innerHTML = `<p><a href="${editId ? `#/campaigns/${esc(editId)}` : "#/campaigns"}">← ${editId ? "Back to the campaign" : "All campaigns"}</a></p>
    <h1>${editId ? "Edit campaign" : "New campaign"}</h1>
    ${editId ? `<p id="edit-locked" class="notice" hidden>This campaign has started: its steps' actions and its
      senders stay as they are. Delays, texts, the schedule and the name can change; a changed delay or window
      re-plans the prospects waiting on it, and you see who moves before saving.</p>` : ""}
    <form id="builder" novalidate>
      <section class="card" aria-labelledby="b-name-h"><h2 id="b-name-h">Name</h2>
        <label for="campaign-name">Campaign name</label>
        <input id="campaign-name" maxlength="200" required autocomplete="off"></section>
      <section class="card" aria-labelledby="b-steps-h"><h2 id="b-steps-h">Sequence</h2>
        <fieldset class="sample"><legend>Sample prospect for the previews</legend>
          ${VARIABLES.map((v) => `<label for="sample-${v}">${v.replace("_", " ")}</label>
            <input id="sample-${v}" data-sample="${v}" value="${esc(sample[v])}" autocomplete="off">`).join("")}
        </fieldset>
        <ol id="steps" class="steps"></ol>
        <button type="button" id="add-step">Add a step</button></section>
      <section class="card" aria-labelledby="b-schedule-h"><h2 id="b-schedule-h">Schedule</h2>
        <fieldset><legend>Sending days</legend>${DAYS.map(([d, name], i) => `<label class="radio"><input type="checkbox"
          name="day" value="${d}" ${i < 5 ? "checked" : ""}> ${name}</label>`).join("")}</fieldset>
        <fieldset class="window"><legend>Sending window (local time of the timezone below)</legend>
          <label for="window-start">From</label><input id="window-start" type="time" value="09:00" required>
          <label for="window-end">To</label><input id="window-end" type="time" value="17:00" required></fieldset>
        ${zoneField("campaign-zone", "Timezone", viewerZone())}
        <label class="radio"><input type="checkbox" id="randomize" checked> Spread sends at random inside the window</label>
      </section>
      <section class="card" aria-labelledby="b-reply-h"><h2 id="b-reply-h">When someone replies</h2>
        <fieldset aria-describedby="stop-hint"><legend>A reply stops the sequence for</legend>
          <label class="radio"><input type="radio" name="stop-on-reply" value="prospect" checked> This prospect
            only</label>
          <label class="radio"><input type="radio" name="stop-on-reply" value="company"> The whole company</label>
        </fieldset>
        <p class="hint" id="stop-hint">The whole company: everyone at the same email domain (free mail such as
          Gmail excluded) or with the same company name stops too.</p></section>
      <section class="card" aria-labelledby="b-senders-h"><h2 id="b-senders-h">Senders</h2>
        <div id="senders"><p>Loading…</p></div></section>
      <button type="submit" class="primary" id="builder-submit">${editId ? "Review the changes" : "Save the campaign as a draft"}</button>
      <div id="builder-out"></div>
      <section id="edit-preview" class="card" aria-labelledby="edit-preview-h" tabindex="-1" hidden></section>
    </form>`;
  const form = document.getElementById("builder");
  const list = document.getElementById("steps");
  const out = document.getElementById("builder-out");

  function counter(el, length, limit) {
    el.textContent = `${length.toLocaleString("en")} of ${limit.toLocaleString("en")} characters`;
    el.classList.toggle("over", length > limit);
    if (length > limit) el.textContent += ` — ${(length - limit).toLocaleString("en")} too many`;
  }

  function preview(li, i) {
    const step = steps[i];
    const kind = KINDS[step.action];
    counter(li.querySelector(`#step-${i}-count`), step[kind.field].length, kind.limit);
    if (kind.subjectLimit) counter(li.querySelector(`#step-${i}-subject-count`), step.subject.length, kind.subjectLimit);
    const body = fill(step[kind.field], sample);
    li.querySelector(".preview-out").innerHTML = `${kind.subjectLimit ? `<p><strong>Subject:</strong> ${esc(fill(step.subject, sample))}</p>` : ""}
      <p class="preview-text">${body ? esc(body) : `<span class="muted">${step.action === "invite" ? "An invitation without a note." : "Nothing written yet."}</span>`}</p>`;
  }

  function draw() {
    list.innerHTML = steps.map(stepMarkup).join("");
    list.querySelectorAll("li[data-step]").forEach((li, i) => preview(li, i));
    if (locked) {
      list.querySelectorAll("select[data-field=action]").forEach((el) => { el.disabled = true; });
      list.querySelectorAll("button[data-remove]").forEach((el) => { el.hidden = true; });
      document.getElementById("add-step").hidden = true;
    }
  }

  list.addEventListener("input", (event) => {
    const li = event.target.closest("li[data-step]");
    const i = Number(li.dataset.step);
    const name = event.target.dataset.field;
    if (name === "days" || name === "hours") steps[i].delay[name] = Number(event.target.value) || 0;
    else if (name && name !== "action") steps[i][name] = event.target.value;
    preview(li, i);
  });
  list.addEventListener("change", (event) => {
    if (event.target.dataset.field !== "action") return;
    const i = Number(event.target.closest("li").dataset.step);
    steps[i].action = event.target.value;
    draw();
    document.getElementById(`step-${i}-action`).focus();
  });
  list.addEventListener("click", (event) => {
    const li = event.target.closest("li[data-step]");
    if (!li) return;
    const i = Number(li.dataset.step);
    const variable = event.target.closest("button[data-insert]");
    if (variable) {
      const area = li.querySelector("textarea");
      const token = `{{${variable.dataset.insert}}}`;
      const at = area.selectionStart ?? area.value.length;
      area.value = area.value.slice(0, at) + token + area.value.slice(area.selectionEnd ?? at);
      area.dispatchEvent(new Event("input", { bubbles: true }));
      area.focus();
      area.setSelectionRange(at + token.length, at + token.length);
    }
    if (event.target.closest("button[data-remove]")) {
      steps.splice(i, 1);
      draw();
      (document.getElementById(`step-${Math.max(0, i - 1)}-action`) || document.getElementById("add-step")).focus();
    }
  });
  document.getElementById("add-step").addEventListener("click", () => {
    const last = steps[steps.length - 1];
    steps.push({ action: last && last.action === "invite" ? "message" : "email", delay: { days: 2, hours: 0 },
      text: "", subject: "", body: "" });
    draw();
    document.getElementById(`step-${steps.length - 1}-action`).focus();
  });
  form.addEventListener("input", (event) => {
    const key = event.target.dataset.sample;
    if (!key) return;
    sample[key] = event.target.value;
    list.querySelectorAll("li[data-step]").forEach((li, i) => preview(li, i));
  });
  draw();

  function refuse(el, message) {
    if (el) {
      el.setAttribute("aria-invalid", "true");
      el.focus();
    }
    out.innerHTML = `<div class="alert" role="alert"><p>${esc(message)}</p></div>`;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    form.querySelectorAll("[aria-invalid]").forEach((i) => i.removeAttribute("aria-invalid"));
    const $ = (id) => document.getElementById(id);
    const name = $("campaign-name").value.trim();
    if (!name) return refuse($("campaign-name"), "Give the campaign a name.");
    if (!steps.length) return refuse($("add-step"), "Add at least one step.");
    for (const [i, step] of steps.entries()) {
      const kind = KINDS[step.action];
      if (!kind.optional && !step[kind.field].trim()) return refuse($(`step-${i}-text`), `Step ${i + 1}: write the ${kind.field === "body" ? "body" : "message"}.`);
      if (step[kind.field].length > kind.limit) return refuse($(`step-${i}-text`), `Step ${i + 1} is longer than ${kind.label} allows.`);
      if (kind.subjectLimit && !step.subject.trim()) return refuse($(`step-${i}-subject`), `Step ${i + 1}: write the subject.`);
    }
    const days = [...form.querySelectorAll("input[name=day]:checked")].map((d) => d.value);
    if (!days.length) return refuse(form.querySelector("input[name=day]"), "Choose at least one sending day.");
    if ($("window-start").value >= $("window-end").value) return refuse($("window-end"), "The window must end after it starts (on the same day).");
    if (!isZone($("campaign-zone").value)) return refuse($("campaign-zone"), "Choose a timezone from the list.");
    const chosen = (kind) => [...form.querySelectorAll(`input[name=${kind}]:checked`)].map((c) => c.value);
    const linkedin = chosen("linkedin"), inboxes = chosen("inbox");
    const usesLinkedIn = steps.some((s) => KINDS[s.action].channel === "linkedin");
    const usesEmail = steps.some((s) => KINDS[s.action].channel === "email");
    if (usesLinkedIn && !linkedin.length) return refuse(form.querySelector("input[name=linkedin]") || $("b-senders-h"), "LinkedIn steps need a LinkedIn account: choose one.");
    if (usesEmail && !inboxes.length) return refuse(form.querySelector("input[name=inbox]") || $("b-senders-h"), "Email steps need an inbox: choose one.");
    const body = { name, schedule: { days, window: { start: $("window-start").value, end: $("window-end").value },
      timezone: $("campaign-zone").value, randomize_within_window: $("randomize").checked },
      steps: steps.map((s) => ({ channel: KINDS[s.action].channel, action: s.action, delay: s.delay,
        ...(s.action === "email" ? { subject: s.subject, body: s.body } : { text: s.text }) })),
      senders: { linkedin_account_ids: usesLinkedIn ? linkedin : [], inbox_ids: usesEmail ? inboxes : [] },
      stop_on_reply: form.querySelector("input[name=stop-on-reply]:checked").value };
    try {
      if (editing) {
        if (locked) senderIds(body, editing);
        const answer = await api("PUT", `/campaigns/${editId}`, { ...body, preview: true });
        showPreview(answer, body);
        return;
      }
      const created = await api("POST", "/campaigns", body);
      flash(`“${created.name}” is saved as a draft. Import its prospects, then start it.`);
      location.hash = `#/campaigns/${created.id}`;
    } catch (err) {
      if (handleAuthError(err)) return;
      const field = err instanceof ApiError && err.details && err.details.field;
      const match = field && /^steps\.(\d+)\.(\w+)/.exec(field);
      const target = match ? $(`step-${match[1]}-${match[2] === "subject" ? "subject" : match[2] === "delay" ? "days" : match[2] === "action" ? "action" : "text"}`)
        : field === "name" ? $("campaign-name") : null;
      refuse(target, match ? `Step ${Number(match[1]) + 1}: ${detailText(err.message)}.` : errorText(err));
    }
  });

  // A started campaign's senders stay as they are (the checkboxes are locked).
  function senderIds(body, c) {
    body.senders = { linkedin_account_ids: c.senders.linkedin_account_ids, inbox_ids: c.senders.inbox_ids };
  }

  const CHANGED = { name: "the name", "schedule.days": "the sending days", "schedule.window": "the sending window",
    "schedule.timezone": "the timezone", "schedule.randomize_within_window": "random spreading",
    steps: "the steps", senders: "the senders", stop_on_reply: "who a reply stops" };
  const changedText = (f) => CHANGED[f] || f.replace(/^steps\.(\d+)\.(\w+)$/, (_, i, what) =>
    `step ${Number(i) + 1}'s ${what === "delay" ? "wait" : "text"}`).replace(/^steps\.(\d+)$/, (_, i) => `step ${Number(i) + 1}`);

  // The preview of an edit: what changes and which waiting prospects move, then Save or keep editing.
  function showPreview(answer, body) {
    const box = document.getElementById("edit-preview");
    const tz = answer.campaign.schedule.timezone;
    box.hidden = false;
    if (!answer.changed.length) {
      box.innerHTML = `<h2 id="edit-preview-h">Nothing to save</h2><p>This is the campaign as it is.</p>`;
      box.focus();
      return;
    }
    const moves = answer.moves.map((m) => `<tr data-prospect-id="${esc(m.prospect_id)}">
        <th scope="row"><a href="#/campaigns/${esc(editId)}/prospects/${esc(m.prospect_id)}">Prospect at step ${m.step_index + 1}</a></th>
        <td data-label="Planned now">${esc(when(m.before, tz))}</td><td data-label="After the change">${esc(when(m.after, tz))}</td></tr>`).join("");
    box.innerHTML = `<h2 id="edit-preview-h">Review the changes</h2>
      <p id="edit-changes">This changes ${esc(answer.changed.map(changedText).join(", "))}.</p>
      <p id="edit-moves" data-moved="${answer.moved}">${answer.moved
        ? `${esc(plural(answer.moved, "waiting prospect moves", "waiting prospects move"))} to a new time${answer.moved > answer.moves.length ? ` (the first ${answer.moves.length} by their new time below)` : ""}.`
        : "No waiting prospect moves."}</p>
      ${moves ? `<div class="table-wrap" role="region" aria-label="Prospects that move (scrolls sideways)" tabindex="0">
        <table><thead><tr><th scope="col">Prospect</th><th scope="col">Planned now (${esc(tz)})</th>
        <th scope="col">After the change</th></tr></thead><tbody>${moves}</tbody></table></div>` : ""}
      <div class="actions"><button type="button" class="primary" id="save-edit">Save the changes</button>
        <button type="button" id="keep-editing">Keep editing</button></div>`;
    box.focus();
    document.getElementById("keep-editing").addEventListener("click", () => {
      box.hidden = true;
      document.getElementById("builder-submit").focus();
    });
    document.getElementById("save-edit").addEventListener("click", async (event) => {
      event.target.disabled = true;
      try {
        const saved = await api("PUT", `/campaigns/${editId}`, body);
        const moved = saved.moved ? ` ${plural(saved.moved, "waiting prospect was", "waiting prospects were")} re-planned.` : "";
        // The scheduler had not taken the new plan when the answer came: sends follow the old one until it does.
        const pending = saved.plan_pending
          ? " The scheduler has not taken them yet: until it does, sends follow the campaign as it was." : "";
        flash(`Changes saved.${moved}${pending}`);
        location.hash = `#/campaigns/${editId}`;
      } catch (err) {
        event.target.disabled = false;
        if (handleAuthError(err)) return;
        out.innerHTML = `<div class="alert" role="alert" tabindex="-1"><p>${esc(errorText(err))}</p></div>`;
        out.firstElementChild.focus();
      }
    });
  }

  // Edit: the form filled with the campaign as it is.
  function fillForm(c) {
    const $ = (id) => document.getElementById(id);
    locked = c.status !== "draft";
    if ($("edit-locked")) $("edit-locked").hidden = !locked;
    $("campaign-name").value = c.name;
    steps.splice(0, steps.length, ...c.steps.map((s) => ({ action: s.action, delay: { ...s.delay }, text: s.text,
      subject: s.subject, body: s.body })));
    form.querySelectorAll("input[name=day]").forEach((d) => { d.checked = c.schedule.days.includes(d.value); });
    $("window-start").value = c.schedule.window.start;
    $("window-end").value = c.schedule.window.end;
    $("campaign-zone").value = c.schedule.timezone;
    $("randomize").checked = c.schedule.randomize_within_window;
    form.querySelector(`input[name=stop-on-reply][value=${c.stop_on_reply}]`).checked = true;
    document.title = `Edit ${c.name} · Holdfast`;
    draw();
  }

  return {
    async refresh() {
      const [{ linkedin_accounts: accounts }, { inboxes }, campaign] = await Promise.all([
        api("GET", "/linkedin-accounts"), api("GET", "/inboxes"),
        editId && !editing ? api("GET", `/campaigns/${editId}`) : Promise.resolve(null)]);
      if (campaign && !editing) {
        editing = campaign;
        fillForm(campaign);
      }
      const box = document.getElementById("senders");
      if (!box || box.dataset.html) return; // drawn once: polling never clears a choice
      const cap = (limits) => (limits ? `${limits.daily_cap} a day, ramp from ${limits.ramp_start}` : "");
      patch(box, `<fieldset><legend>LinkedIn accounts</legend>${accounts.length ? `<ul class="plain">${accounts.map((a) =>
          senderRow("linkedin", a, a.name, `invitations: ${cap(a.limits.linkedin_invite)}`)).join("")}</ul>`
          : `<p>No LinkedIn account yet: <a href="#/accounts">connect one</a> for LinkedIn steps.</p>`}</fieldset>
        <fieldset><legend>Inboxes</legend>${inboxes.length ? `<ul class="plain">${inboxes.map((i) =>
          senderRow("inbox", i, i.email, `emails: ${cap(i.limits.email)}`)).join("")}</ul>`
          : `<p>No inbox yet: <a href="#/inboxes/new">add one</a> for email steps.</p>`}</fieldset>`);
      if (editing) {
        const mine = new Set([...editing.senders.linkedin_account_ids, ...editing.senders.inbox_ids]);
        box.querySelectorAll("input[type=checkbox]").forEach((c) => {
          c.checked = mine.has(c.value);
          if (locked) c.disabled = true;
        });
      }
    },
  };
}
