// The workspace's members and their roles (owner, admin, member, viewer). Everyone sees the list; an admin adds a
// member, changes a role (not the owner's: ownership is handed over) and removes a member, whose tokens stop
// working. The services enforce the roles; this page hides what the viewer's role may not use and says so.
import { api } from "./api.js";
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
      <h2 id="members-h">Members</h2>
      <div id="member-out"></div>
      <div id="members"><p>Loading…</p></div>
    </section>`;
  const $ = (x) => document.getElementById(x);
  const box = $("members");
  let role = "viewer";
  let me = "";

  function addForm() {
    if (!can(role, "admin")) return roleNotice("admin", "Adding members and changing roles is for admins.");
    return `<form class="card" id="add-member" novalidate aria-labelledby="add-h">
      <h2 id="add-h">Add a member</h2>
      <label for="member-email">Email address</label>
      <input id="member-email" type="email" autocomplete="off" spellcheck="false" required>
      <label for="member-role">Role</label>
      <select id="member-role">${ASSIGNABLE.map((r) => `<option value="${r}"${r === "member" ? " selected" : ""}>${esc(roleLabel(r))}</option>`).join("")}</select>
      <button type="submit" class="primary">Add member</button>
      <div id="add-out"></div>
    </form>`;
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
    try {
      const added = await api("POST", "/members", { email: email.value.trim(), role: $("member-role").value });
      email.value = "";
      $("add-out").innerHTML = "";
      say(`${added.email} was added as ${roleLabel(added.role).toLowerCase()}.`);
      await view.refresh();
    } catch (err) {
      if (!handleAuthError(err)) $("add-out").innerHTML = errorBox(err);
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
      patch(box, `<p>You are ${esc(roleLabel(role).toLowerCase())} here.</p>
        <div class="table-wrap" role="region" aria-label="Members table (scrolls sideways)" tabindex="0"><table>
        <thead><tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Since</th>
        <th scope="col"><span class="visually-hidden">Remove</span></th></tr></thead>
        <tbody>${w.members.map((m) => row(m, zone)).join("")}</tbody></table></div>`);
    },
  };
  return view;
}
