// Your sessions: where you are signed in to the web UI (how, from where, with which browser, until when), each
// revocable at once; this browser's session is marked, and revoking it signs you out here.
import { api, forgetSession } from "./api.js";
import { esc, when } from "./format.js";
import { errorText, main, patch, say, sayError } from "./ui.js";

const HOW = { password: "Password", link: "Emailed link", invitation: "Invitation", password_reset: "Password reset" };

function rows(sessions) {
  if (!sessions.length) {
    return `<p>No open session: you are using an integration token, which the administrators list on the tokens
      page.</p>`;
  }
  return `<div class="table-wrap"><table>
    <caption>Open sessions, newest first</caption>
    <thead><tr><th scope="col">Signed in</th><th scope="col">How</th><th scope="col">From</th>
      <th scope="col">Browser</th><th scope="col">Ends</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
    <tbody>${sessions.map((s) => `<tr data-session="${esc(s.id)}">
      <td>${esc(when(s.created_at))}${s.current ? " <strong>(this browser)</strong>" : ""}</td>
      <td>${esc(HOW[s.method] || s.method)}</td><td>${esc(s.address || "—")}</td>
      <td>${esc(s.user_agent || "—")}</td><td>${esc(when(s.expires_at))}</td>
      <td><button type="button" data-revoke="${esc(s.id)}" data-current="${s.current}">${s.current
        ? "End this session" : "Revoke"}<span class="visually-hidden"> the session of ${esc(when(s.created_at))}</span></button></td>
    </tr>`).join("")}</tbody></table></div>`;
}

export function sessionsView() {
  main.innerHTML = `
    <h1>Your sessions</h1>
    <p class="hint">Revoke a session you do not recognise: it stops at once. Changing your password signs out
      every session.</p>
    <div id="sessions-out"></div>`;
  const out = document.getElementById("sessions-out");
  async function refresh() {
    const listed = await api("GET", "/sessions");
    patch(out, rows(listed.sessions));
  }
  out.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-revoke]");
    if (!button) return;
    try {
      await api("DELETE", `/sessions/${button.dataset.revoke}`);
      if (button.dataset.current === "true") {
        forgetSession();
        location.hash = "#/sign-in";
        return;
      }
      say("Session revoked.");
      await refresh();
    } catch (err) {
      sayError(errorText(err));
    }
  });
  return { refresh };
}
