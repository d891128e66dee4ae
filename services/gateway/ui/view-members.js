// The workspace's members and their roles (owner, admin, member, viewer). Everyone sees the list; an admin invites
// a member by email (POST /invitations: the invitee gets a one-time link), lists and revokes pending invitations,
// changes a role (not the owner's) and removes a member, whose tokens stop working; the owner hands over ownership
// (with a confirm step) and becomes an admin. The services enforce the roles; this page hides what the viewer's
// role may not use and says so.
import { api, ApiError } from "./api.js";
import { esc, viewerZone, when } from "./format.js";
import { can, roleNotice, workspace } from "./team.js";
import { errorBox, handleAuthError, main, patch, say } from "./ui.js";
import { needsRole, roleLabel } from "./words.js";

const ASSIGNABLE = ["admin", "member", "viewer"];

export function membersView() {
  main.innerHTML = `<h1>Members</h1>
    <p>Who works in this workspace, and what each role may do: a viewer reads; a member also pauses, resumes and
      edits campaigns and imports prospects; an admin also manages senders, members, tokens, webhooks and
      suppressions; the owner also manages billing.</p>
    <div id="add-slot"></div>
    <section class="card" aria-labelledby="members-h">
      <h2 id="members-h" tabindex="-1">Members</h2>
      <div id="member-out"></div>
      <div id="members"><p>Loading…</p></div>
    </section>
    <div id="pending-slot"></div>
    <div id="transfer-slot"></div>`;
  const $ = (x) => document.getElementById(x);
  const box = $("members");
  let role = "viewer";
  let me = "";

  function addForm() {
    if (!can(role, "admin")) return roleNotice("admin", "Inviting members and changing roles is for admins.");
    return `<form class="card" id="add-member" novalidate aria-labelledby="add-h">
      <h2 id="add-h">Invite a member</h2>
      <p>We email them a link that works once, for a limited time; they join with the role you choose.</p>
      <label for="member-email">Email address</label>
      <input id="member-email" type="email" autocomplete="off" spellcheck="false" required>
      <label for="member-role">Role</label>
      <select id="member-role">${ASSIGNABLE.map((r) => `<option value="${r}"${r === "member" ? " selected" : ""}>${esc(roleLabel(r))}</option>`).join("")}</select>
      <button type="submit" class="primary">Send invitation</button>
      <div id="add-out"></div>
    </form>`;
  }

  function inviteError(err) {
    if (err instanceof ApiError && err.code === "mail_not_configured") {
      return `<div class="alert" role="alert"><p>Holdfast cannot send email here: no system mail server is set
        (HOLDFAST_SYSTEM_SMTP). Ask whoever runs Holdfast.</p></div>`;
    }
    if (err instanceof ApiError && err.code === "member_exists") {
      return `<div class="alert" role="alert"><p>This address is already a member of the workspace.</p></div>`;
    }
    return errorBox(err);
  }

  $("add-slot").addEventListener("submit", async (event) => {
    if (event.target.id !== "add-member") return;
    event.preventDefault();
    const email = $("member-email");
    email.removeAttribute("aria-invalid");
    if (!email.value.trim()) {
      email.setAttribute("aria-invalid", "true");
      $("add-out").innerHTML = `<div class="alert" role="alert"><p>Enter the new member's email address.</p></div>`;
      email.focus();
      return;
    }
    const button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const sent = await api("POST", "/invitations", { email: email.value.trim(), role: $("member-role").value });
      email.value = "";
      $("add-out").innerHTML = `<p class="notice" id="invite-sent">An invitation was emailed to
        ${esc(sent.email)} to join as ${esc(roleLabel(sent.role).toLowerCase())}. Its link works until
        ${esc(when(sent.expires_at, viewerZone()))}.</p>`;
      say(`An invitation was emailed to ${sent.email}.`);
      await view.refresh();
    } catch (err) {
      if (!handleAuthError(err)) $("add-out").innerHTML = inviteError(err);
    }
    button.disabled = false;
  });

  // Pending invitations: revoked with a confirm step, as a member is removed.
  $("pending-slot").addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-revoke]");
    if (!button) return;
    if (button.dataset.confirm !== "yes") {
      button.dataset.confirm = "yes";
      button.textContent = `Confirm: revoke the invitation of ${button.dataset.email}`;
      button.setAttribute("aria-label", button.textContent);
      return;
    }
    button.disabled = true;
    try {
      const revoked = await api("POST", `/invitations/${button.dataset.revoke}/revoke`, {});
      say(`The invitation of ${revoked.email} was revoked; its link no longer works.`);
      $("pending-out").innerHTML = "";
      await view.refresh();
      $("pending-h").focus();
    } catch (err) {
      if (handleAuthError(err)) return;
      button.disabled = false;
      $("pending-out").innerHTML = errorBox(err);
    }
  });

  function pendingList(invitations, zone) {
    if (!can(role, "admin")) return "";
    const rows = invitations.map((i) => `<tr data-invitation-id="${esc(i.id)}">
        <th scope="row">${esc(i.email)}</th>
        <td data-label="Role">${esc(roleLabel(i.role))}</td>
        <td data-label="Sent">${esc(when(i.created_at, zone))}</td>
        <td data-label="Link works until">${esc(when(i.expires_at, zone))}</td>
        <td><button type="button" data-revoke="${esc(i.id)}" data-email="${esc(i.email)}"
          aria-label="Revoke the invitation of ${esc(i.email)}">Revoke</button></td></tr>`).join("");
    return `<section class="card" aria-labelledby="pending-h">
      <h2 id="pending-h" tabindex="-1">Pending invitations</h2>
      <div id="pending-out"></div>
      ${invitations.length ? `<div class="table-wrap" role="region" aria-label="Pending invitations table (scrolls
        sideways)" tabindex="0"><table id="pending">
        <thead><tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Sent</th>
        <th scope="col">Link works until</th><th scope="col"><span class="visually-hidden">Revoke</span></th></tr>
        </thead><tbody>${rows}</tbody></table></div>`
        : `<p id="pending">No invitation is waiting to be accepted.</p>`}
    </section>`;
  }

  // Transfer of ownership (the owner only): choose a member, then confirm.
  function transferForm(members) {
    if (role !== "owner") return "";
    const others = members.filter((m) => m.role !== "owner");
    if (!others.length) {
      return `<section class="card" aria-labelledby="transfer-h"><h2 id="transfer-h">Transfer ownership</h2>
        <p>Invite a member first: ownership goes to another member of the workspace.</p></section>`;
    }
    return `<form class="card" id="transfer" novalidate aria-labelledby="transfer-h">
      <h2 id="transfer-h">Transfer ownership</h2>
      <p>The member you choose becomes the owner (billing, and this page's transfer); you become an admin.</p>
      <label for="transfer-to">New owner</label>
      <select id="transfer-to">${others.map((m) => `<option value="${esc(m.id)}" data-email="${esc(m.email)}">${esc(m.email)}
        (${esc(roleLabel(m.role).toLowerCase())})</option>`).join("")}</select>
      <button type="submit" id="transfer-go">Transfer ownership…</button>
      <div id="transfer-out"></div>
    </form>`;
  }

  $("transfer-slot").addEventListener("submit", async (event) => {
    if (event.target.id !== "transfer") return;
    event.preventDefault();
    const select = $("transfer-to");
    const email = select.options[select.selectedIndex].dataset.email;
    const button = $("transfer-go");
    if (button.dataset.confirm !== "yes" || button.dataset.to !== select.value) {
      button.dataset.confirm = "yes";
      button.dataset.to = select.value;
      button.textContent = `Confirm: make ${email} the owner`;
      $("transfer-out").innerHTML = `<p class="notice" role="status">You will become an admin and can no longer
        manage billing or transfer ownership. Press the button again to confirm.</p>`;
      return;
    }
    button.disabled = true;
    try {
      await api("POST", "/workspace/transfer-ownership", { member_id: select.value });
      say(`${email} is now the owner; you are an admin.`);
      $("member-out").innerHTML = `<p class="notice" id="transfer-done">${esc(email)} is now the
        owner; you are an admin.</p>`;
      await view.refresh();
      $("members-h").focus();
    } catch (err) {
      if (handleAuthError(err)) return;
      button.disabled = false;
      $("transfer-out").innerHTML = errorBox(err);
    }
  });

  box.addEventListener("change", async (event) => {
    const select = event.target.closest("select[data-role-of]");
    if (!select) return;
    select.disabled = true;
    try {
      const changed = await api("PATCH", `/members/${select.dataset.roleOf}`, { role: select.value });
      say(`${changed.email} is now ${roleLabel(changed.role).toLowerCase()}.`);
      $("member-out").innerHTML = "";
    } catch (err) {
      if (!handleAuthError(err)) $("member-out").innerHTML = errorBox(err);
    }
    box.dataset.html = "";
    await view.refresh();
    const again = box.querySelector(`select[data-role-of="${select.dataset.roleOf}"]`);
    if (again) again.focus();
  });

  box.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-remove]");
    if (!button) return;
    if (button.dataset.confirm !== "yes") {
      button.dataset.confirm = "yes";
      button.textContent = `Confirm: remove ${button.dataset.email}`;
      button.setAttribute("aria-label", button.textContent);
      return;
    }
    button.disabled = true;
    try {
      const removed = await api("DELETE", `/members/${button.dataset.remove}`);
      say(`${removed.email} was removed; their API tokens no longer work.`);
      $("member-out").innerHTML = "";
      await view.refresh();
      document.getElementById("members-h").focus();
    } catch (err) {
      if (handleAuthError(err)) return;
      button.disabled = false;
      $("member-out").innerHTML = errorBox(err);
    }
  });

  function row(m, zone) {
    const editable = can(role, "admin") && m.role !== "owner";
    const roleCell = editable
      ? `<label class="visually-hidden" for="role-${esc(m.id)}">Role of ${esc(m.email)}</label>
         <select id="role-${esc(m.id)}" data-role-of="${esc(m.id)}">${ASSIGNABLE.map((r) =>
          `<option value="${r}"${r === m.role ? " selected" : ""}>${esc(roleLabel(r))}</option>`).join("")}</select>`
      : esc(roleLabel(m.role));
    const action = m.role === "owner" ? `<span class="hint">The owner hands over ownership to leave.</span>`
      : can(role, "admin") ? `<button type="button" data-remove="${esc(m.id)}" data-email="${esc(m.email)}"
          aria-label="Remove ${esc(m.email)}">Remove</button>`
        : `<button type="button" disabled aria-label="Remove ${esc(m.email)}: ${esc(needsRole("admin"))}"
          title="${esc(needsRole("admin"))}">Remove</button>`;
    return `<tr data-member-id="${esc(m.id)}" data-role="${esc(m.role)}">
      <th scope="row">${esc(m.email)}${m.id === me ? " (you)" : ""}</th>
      <td data-label="Role">${roleCell}</td>
      <td data-label="Since">${esc(when(m.created_at, zone))}</td>
      <td>${action}</td></tr>`;
  }

  const view = {
    async refresh() {
      const w = await workspace();
      if (!box.isConnected) return;
      role = w.you.role;
      me = w.you.member_id;
      if (!$("add-slot").dataset.role || $("add-slot").dataset.role !== role) {
        $("add-slot").innerHTML = addForm();
        $("add-slot").dataset.role = role;
      }
      const zone = viewerZone();
      const invitations = can(role, "admin") ? (await api("GET", "/invitations")).invitations : [];
      if (!box.isConnected) return;
      const pending = pendingList(invitations, zone);
      patch($("pending-slot"), pending);
      patch($("transfer-slot"), transferForm(w.members));
      patch(box, `<p>You are ${esc(roleLabel(role).toLowerCase())} here.</p>
        <div class="table-wrap" role="region" aria-label="Members table (scrolls sideways)" tabindex="0"><table>
        <thead><tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Since</th>
        <th scope="col"><span class="visually-hidden">Remove</span></th></tr></thead>
        <tbody>${w.members.map((m) => row(m, zone)).join("")}</tbody></table></div>`);
    },
  };
  return view;
}
