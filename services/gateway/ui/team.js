// Shared by the Members, API tokens, Webhooks and Audit pages: who the viewer is (their role, capped by the
// token's scopes, from GET /workspace) and what a role may do. The services enforce the roles; the pages only
// hide or disable what the viewer's role may not use, and say which role it needs.
import { api } from "./api.js";
import { esc } from "./format.js";
import { needsRole, ROLE_RANK } from "./words.js";

export async function workspace() {
  return api("GET", "/workspace");
}

// The part of a team page that depends on the viewer (their role, the members): `build(w)` runs once, with
// GET /workspace, the first time the page refreshes. The function returned resolves to false when the viewer left
// the page (`body` is gone) before it was built, true once it is.
export function buildOnce(body, build) {
  let built = false;
  return async () => {
    if (!built) {
      const w = await workspace();
      if (!body.isConnected) return false;
      build(w);
      built = true;
    }
    return true;
  };
}

export const can = (role, needed) => (ROLE_RANK[role] || 0) >= ROLE_RANK[needed];

// A notice in place of a part of the page the viewer's role may not use.
export function roleNotice(needed, what) {
  return `<p class="notice" data-needs-role="${esc(needed)}">${esc(what)} ${esc(needsRole(needed))}</p>`;
}

// A secret shown once: read-only, selected on focus, with a copy button and the warning that it will not be shown
// again.
export function secretBox(id, label, secret) {
  return `<div class="card secret" role="group" aria-labelledby="${esc(id)}-label">
    <p id="${esc(id)}-label"><strong>${esc(label)}</strong> Copy it now: it is shown only once.</p>
    <label for="${esc(id)}" class="visually-hidden">${esc(label)}</label>
    <input id="${esc(id)}" type="text" readonly value="${esc(secret)}" spellcheck="false" autocomplete="off">
    <button type="button" data-copy="${esc(id)}">Copy</button>
  </div>`;
}

export function wireCopy(container) {
  container.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-copy]");
    if (!button) return;
    const input = document.getElementById(button.dataset.copy);
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Selected: press Ctrl+C";
    }
  });
  container.addEventListener("focusin", (event) => {
    if (event.target.matches && event.target.matches(".secret input")) event.target.select();
  });
}
