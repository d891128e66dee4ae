// #/accept-invitation?token=...: the page an emailed invitation opens. The invitee joins with a password, or without
// one (they then sign in with links emailed to them); either way they are signed in.
import { api } from "./api.js";
import { esc } from "./format.js";
import { main } from "./ui.js";
import { enterWithSession, linkToken, signInErrorText } from "./view-signin.js";

export function invitationView() {
  document.getElementById("nav").hidden = true;
  document.title = "Join your team · Holdfast";
  main.innerHTML = `
    <h1>Join your team on Holdfast</h1>
    <section class="card" aria-labelledby="join-h">
      <h2 id="join-h">Choose a password</h2>
      <form id="join-form">
        <label for="join-password">Password</label>
        <input id="join-password" type="password" minlength="10" maxlength="256" autocomplete="new-password"
          aria-describedby="join-help">
        <p id="join-help" class="hint">At least 10 characters. Or join without one: you then sign in with a link
          emailed to you each time.</p>
        <label for="join-confirm">Password again</label>
        <input id="join-confirm" type="password" maxlength="256" autocomplete="new-password">
        <button type="submit" class="primary">Join with this password</button>
        <button type="button" id="join-without">Join without a password</button>
        <div id="join-result"></div>
      </form>
    </section>`;
  const out = document.getElementById("join-result");
  const join = async (password) => {
    try {
      await api("POST", "/invitations/accept", { token: linkToken(), password });
      enterWithSession();
    } catch (err) {
      out.innerHTML = `<p class="error" role="alert">${esc(signInErrorText(err))}</p>`;
    }
  };
  document.getElementById("join-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const password = document.getElementById("join-password").value;
    if (password.length < 10) {
      out.innerHTML = `<p class="error" role="alert">The password needs at least 10 characters.</p>`;
      return;
    }
    if (password !== document.getElementById("join-confirm").value) {
      out.innerHTML = `<p class="error" role="alert">The two passwords differ. Type the same one twice.</p>`;
      return;
    }
    join(password);
  });
  document.getElementById("join-without").addEventListener("click", () => join(""));
  return { refresh: async () => {} };
}
