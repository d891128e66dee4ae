// Password reset: #/forgot-password asks for a link by email; #/reset-password?token=... (the emailed link) sets the
// new password, which signs out every other session and signs in here.
import { api } from "./api.js";
import { esc } from "./format.js";
import { main } from "./ui.js";
import { enterWithSession, linkToken, signInErrorText } from "./view-signin.js";

export function forgotPasswordView() {
  document.getElementById("nav").hidden = true;
  document.title = "Forgot your password · Holdfast";
  main.innerHTML = `
    <h1>Forgot your password</h1>
    <section class="card" aria-labelledby="forgot-h">
      <h2 id="forgot-h">Get a reset link by email</h2>
      <form id="forgot-form">
        <label for="forgot-email">Email</label>
        <input id="forgot-email" type="email" required maxlength="254" autocomplete="email">
        <button type="submit" class="primary">Email me a reset link</button>
        <div id="forgot-result"></div>
      </form>
      <p><a href="#/sign-in">Back to sign in</a></p>
    </section>`;
  document.getElementById("forgot-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const email = document.getElementById("forgot-email").value.trim();
    const out = document.getElementById("forgot-result");
    try {
      await api("POST", "/password-reset", { email });
      out.innerHTML = `<p class="notice" role="alert">If ${esc(email)} is a member, a reset link is on its way. It
        works once, for 30 minutes.</p>`;
    } catch (err) {
      out.innerHTML = `<p class="error" role="alert">${esc(signInErrorText(err))}</p>`;
    }
  });
  return { refresh: async () => {} };
}

export function resetPasswordView() {
  document.getElementById("nav").hidden = true;
  document.title = "Choose a new password · Holdfast";
  main.innerHTML = `
    <h1>Choose a new password</h1>
    <section class="card" aria-labelledby="reset-h">
      <h2 id="reset-h">Your new password</h2>
      <form id="reset-form">
        <label for="reset-password">New password</label>
        <input id="reset-password" type="password" required minlength="10" maxlength="256"
          autocomplete="new-password" aria-describedby="reset-help">
        <p id="reset-help" class="hint">At least 10 characters. Every other session of yours is signed out.</p>
        <button type="submit" class="primary">Set the new password</button>
        <div id="reset-result"></div>
      </form>
    </section>`;
  document.getElementById("reset-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const out = document.getElementById("reset-result");
    try {
      await api("POST", "/password-reset/complete", {
        token: linkToken(), password: document.getElementById("reset-password").value });
      enterWithSession();
    } catch (err) {
      out.innerHTML = `<p class="error" role="alert">${esc(signInErrorText(err))}
        ${err.code === "link_invalid" ? ' <a href="#/forgot-password">Ask for a new link</a>.' : ""}</p>`;
    }
  });
  return { refresh: async () => {} };
}
