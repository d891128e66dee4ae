// Sign in with an email and a password, or by a link emailed to you; an integration's API token still works; or
// create a workspace (its token is shown once). A sign-in by email sets the session cookie (HttpOnly) and the
// CSRF cookie api.js sends back with every change.
import { api, forgetSession, token } from "./api.js";
import { esc } from "./format.js";
import { errorText, main, say } from "./ui.js";

// After a sign-in by email: the session cookie is set; forget any pasted token so the session is used.
export function enterWithSession() {
  token.clear();
  sessionStorage.removeItem("holdfast.expired");
  location.hash = "#/campaigns";
}

// A refusal of a sign-in, in words.
export function signInErrorText(err) {
  if (err.code === "rate_limited") {
    const minutes = Math.max(1, Math.ceil((err.details.retry_after_seconds || 60) / 60));
    return `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
  }
  if (err.code === "sign_in_failed") return "This email and password do not match. Check them and try again.";
  if (err.code === "link_invalid") return "This link has already been used or has expired. Ask for a new one.";
  if (err.code === "mail_not_configured") return "Holdfast cannot send email here: ask your administrator.";
  return errorText(err);
}

// The token of an emailed link: #/page?token=...
export function linkToken() {
  return new URLSearchParams(location.hash.split("?")[1] || "").get("token") || "";
}

function alert(out, text, kind = "error") {
  out.innerHTML = `<p class="${kind}" role="alert">${esc(text)}</p>`;
}

export function signInView(notice) {
  document.getElementById("nav").hidden = true;
  main.innerHTML = `
    <h1>Sign in to Holdfast</h1>
    ${notice ? `<p class="notice" role="alert">${esc(notice)}</p>` : ""}
    <section class="card" aria-labelledby="password-h">
      <h2 id="password-h">With your email</h2>
      <form id="password-form">
        <label for="signin-email">Email</label>
        <input id="signin-email" name="email" type="email" required maxlength="254" autocomplete="username">
        <label for="signin-password">Password</label>
        <input id="signin-password" name="password" type="password" maxlength="1024" autocomplete="current-password">
        <button type="submit" class="primary">Sign in with password</button>
        <button type="button" id="email-link">Email me a sign-in link</button>
        <p><a href="#/forgot-password">Forgot your password?</a></p>
        <div id="password-result"></div>
      </form>
    </section>
    <section class="card" aria-labelledby="signin-h">
      <h2 id="signin-h">Use an integration token</h2>
      <form id="signin-form">
        <label for="token-input">API token</label>
        <input id="token-input" name="token" type="password" autocomplete="off" required spellcheck="false">
        <button type="submit">Sign in</button>
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
  const email = document.getElementById("signin-email");
  const password = document.getElementById("signin-password");
  const passwordOut = document.getElementById("password-result");
  document.getElementById("password-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!password.value) {
      alert(passwordOut, "Enter your password, or ask for a sign-in link by email.");
      password.focus();
      return;
    }
    try {
      await api("POST", "/sign-in", { email: email.value.trim(), password: password.value });
      enterWithSession();
    } catch (err) {
      forgetSession();
      alert(passwordOut, signInErrorText(err));
    }
  });
  document.getElementById("email-link").addEventListener("click", async () => {
    if (!email.reportValidity()) return;
    try {
      await api("POST", "/sign-in/link", { email: email.value.trim() });
      alert(passwordOut, `If ${email.value.trim()} is a member, a sign-in link is on its way. It works once, `
        + "for 30 minutes.", "notice");
    } catch (err) {
      alert(passwordOut, signInErrorText(err));
    }
  });
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

// #/sign-in-link?token=...: the emailed link signs in at once.
export function signInLinkView() {
  document.getElementById("nav").hidden = true;
  main.innerHTML = `<h1>Signing you in</h1><div id="link-result"><p>One moment…</p></div>`;
  const out = document.getElementById("link-result");
  api("POST", "/sign-in/link/redeem", { token: linkToken() }).then(enterWithSession).catch((err) => {
    out.innerHTML = `<p class="error" role="alert">${esc(signInErrorText(err))}</p>
      <p><a href="#/sign-in">Back to sign in</a></p>`;
  });
  return { refresh: async () => {} };
}
