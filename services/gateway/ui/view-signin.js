// Sign in with an API token, or create a workspace (its token is shown once).
import { api, token } from "./api.js";
import { esc } from "./format.js";
import { errorText, main, say } from "./ui.js";

export function signInView(notice) {
  document.getElementById("nav").hidden = true;
  main.innerHTML = `
    <h1>Sign in to Holdfast</h1>
    ${notice ? `<p class="notice" role="alert">${esc(notice)}</p>` : ""}
    <section class="card" aria-labelledby="signin-h">
      <h2 id="signin-h">Use an API token</h2>
      <form id="signin-form">
        <label for="token-input">API token</label>
        <input id="token-input" name="token" type="password" autocomplete="off" required spellcheck="false">
        <button type="submit" class="primary">Sign in</button>
        <div id="signin-error"></div>
      </form>
    </section>
    <section class="card" aria-labelledby="create-h">
      <h2 id="create-h">Or create a workspace</h2>
      <form id="create-form">
        <label for="ws-name">Workspace name</label>
        <input id="ws-name" name="name" required maxlength="100" autocomplete="organization">
        <label for="ws-email">Owner email</label>
        <input id="ws-email" name="owner_email" type="email" required maxlength="254" autocomplete="email">
        <button type="submit">Create workspace</button>
        <div id="create-result"></div>
      </form>
    </section>`;
  document.getElementById("signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = document.getElementById("token-input").value.trim();
    const out = document.getElementById("signin-error");
    token.set(value);
    try {
      await api("GET", "/campaigns?page_size=1");
      location.hash = "#/campaigns";
    } catch (err) {
      token.clear();
      out.innerHTML = `<p class="error" role="alert">${esc(err.status === 401
        ? "This token is not valid. Check it and try again." : errorText(err))}</p>`;
    }
  });
  document.getElementById("create-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const out = document.getElementById("create-result");
    try {
      const created = await api("POST", "/workspaces", {
        name: form.elements.name.value.trim(), owner_email: form.elements.owner_email.value.trim() });
      token.set(created.token);
      out.innerHTML = `<div class="token-once" role="alert">
          <p><strong>Workspace “${esc(created.workspace.name)}” created.</strong> This is your API token; it is shown
          only once, so keep it somewhere safe.</p>
          <label for="new-token">Your API token</label>
          <input id="new-token" readonly value="${esc(created.token)}">
          <button type="button" id="copy-token">Copy</button>
          <a class="button primary" href="#/campaigns">Continue to campaigns</a>
        </div>`;
      document.getElementById("copy-token").addEventListener("click", async () => {
        const input = document.getElementById("new-token");
        input.select();
        try { await navigator.clipboard.writeText(input.value); say("Token copied."); } catch { say("Select the token and copy it."); }
      });
      document.getElementById("new-token").focus();
    } catch (err) {
      out.innerHTML = `<p class="error" role="alert">${esc(errorText(err))}</p>`;
    }
  });
  return { refresh: async () => {} };
}
