// Add an inbox: a provider preset fills the SMTP and IMAP servers, one app password serves both logins, and the
// API's create answers before anything shows as added (a refused login is named, a bad field is focused).
import { api, ApiError } from "./api.js";
import { esc, viewerZone } from "./format.js";
import { errorBox, errorText, flash, handleAuthError, main } from "./ui.js";
import { isZone, zoneField } from "./zones.js";
import { loginFailedAlert } from "./view-inboxes.js";

export const PRESETS = {
  gmail: { label: "Gmail / Google Workspace", smtp: ["smtp.gmail.com", 465, "ssl"], imap: ["imap.gmail.com", 993, "ssl"],
    help: "Gmail needs an app password: turn on 2-Step Verification, then create one under Google Account → Security → "
      + "App passwords. Or add the inbox and use Sign in with Google." },
  outlook: { label: "Outlook / Microsoft 365", smtp: ["smtp.office365.com", 587, "starttls"],
    imap: ["outlook.office365.com", 993, "ssl"],
    help: "Microsoft 365 needs SMTP AUTH allowed for the mailbox (your admin decides) and, with two-step "
      + "verification, an app password. If SMTP AUTH is off, add the inbox and use Sign in with Microsoft." },
  zoho: { label: "Zoho Mail", smtp: ["smtp.zoho.com", 465, "ssl"], imap: ["imap.zoho.com", 993, "ssl"],
    help: "With two-factor authentication Zoho needs an application-specific password (My Account → Security → "
      + "App passwords); IMAP access must be on in Zoho Mail's settings." },
  fastmail: { label: "Fastmail", smtp: ["smtp.fastmail.com", 465, "ssl"], imap: ["imap.fastmail.com", 993, "ssl"],
    help: "Fastmail needs an app password with IMAP and SMTP access (Settings → Privacy & Security → App passwords)." },
  other: { label: "Other", smtp: ["", 465, "ssl"], imap: ["", 993, "ssl"],
    help: "Your provider's help pages give the SMTP and IMAP servers. Use an app password if it offers them." },
};

const SECURITY = { ssl: "SSL/TLS", starttls: "STARTTLS", none: "None (local testing only)" };

function serverFields(kind, title) {
  return `<fieldset class="server"><legend>${title}</legend>
    <label for="${kind}-host">Server</label>
    <input id="${kind}-host" name="${kind}-host" required autocomplete="off" spellcheck="false">
    <label for="${kind}-port">Port</label>
    <input id="${kind}-port" name="${kind}-port" type="number" min="1" max="65535" required inputmode="numeric">
    <label for="${kind}-security">Security</label>
    <select id="${kind}-security" name="${kind}-security">${Object.entries(SECURITY).map(([v, l]) =>
      `<option value="${v}">${esc(l)}</option>`).join("")}</select></fieldset>`;
}

// The API names a bad field as e.g. "smtp.port" or "email": the form's field for it.
const FIELD_FOR = (field) => ({ email: "email", display_name: "display-name", timezone: "inbox-zone",
  "smtp.host": "smtp-host", "smtp.port": "smtp-port", "imap.host": "imap-host", "imap.port": "imap-port",
  "smtp.username": "username", "imap.username": "username", "smtp.password": "password",
  "imap.password": "password" }[field]);

export function inboxNewView() {
  main.innerHTML = `<p><a href="#/inboxes">← All inboxes</a></p>
    <h1>Add an inbox</h1>
    <form id="inbox-form" class="card" novalidate>
      <fieldset class="presets"><legend>Email provider</legend>
        ${Object.entries(PRESETS).map(([key, p], i) => `<label class="radio"><input type="radio" name="preset"
          value="${key}" ${i === 0 ? "checked" : ""}> ${esc(p.label)}</label>`).join("")}
      </fieldset>
      <p class="notice" id="preset-help"></p>
      <label for="email">Email address</label>
      <input id="email" name="email" type="email" required autocomplete="off" spellcheck="false">
      <label for="display-name">From name (optional)</label>
      <input id="display-name" name="display-name" maxlength="100" autocomplete="off">
      <label for="username">Login (usually the email address)</label>
      <input id="username" name="username" autocomplete="off" spellcheck="false" aria-describedby="username-hint">
      <p class="hint" id="username-hint">Left empty, the email address is used.</p>
      <label for="password">App password</label>
      <input id="password" name="password" type="password" required autocomplete="new-password" spellcheck="false"
        aria-describedby="password-hint preset-help">
      <p class="hint" id="password-hint">Used for both SMTP and IMAP. Stored encrypted, never shown again.</p>
      ${zoneField("inbox-zone", "Timezone of the inbox (daily caps count in its day)", viewerZone())}
      <details id="servers"><summary>Servers (filled in by the provider)</summary>
        ${serverFields("smtp", "SMTP (sending)")}${serverFields("imap", "IMAP (reading replies and bounces)")}
      </details>
      <button type="submit" class="primary">Check and add the inbox</button>
      <div id="inbox-out" aria-live="polite"></div>
    </form>`;
  const form = document.getElementById("inbox-form");
  const out = document.getElementById("inbox-out");
  const field = (id) => document.getElementById(id);

  function applyPreset(key) {
    const preset = PRESETS[key];
    for (const kind of ["smtp", "imap"]) {
      const [host, port, security] = preset[kind];
      field(`${kind}-host`).value = host;
      field(`${kind}-port`).value = port;
      field(`${kind}-security`).value = security;
    }
    field("preset-help").textContent = preset.help;
    if (key === "other") field("servers").open = true;
  }
  form.addEventListener("change", (event) => {
    if (event.target.name === "preset") applyPreset(event.target.value);
  });
  applyPreset("gmail");

  function server(kind, login, password) {
    return { host: field(`${kind}-host`).value.trim(), port: Number(field(`${kind}-port`).value),
      security: field(`${kind}-security`).value, username: login, password };
  }

  function refuse(id, message) {
    const input = field(id);
    if (input.closest("details")) input.closest("details").open = true;
    input.setAttribute("aria-invalid", "true");
    out.innerHTML = `<div class="alert" role="alert" tabindex="-1"><p>${esc(message)}</p></div>`;
    input.focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    form.querySelectorAll("[aria-invalid]").forEach((i) => i.removeAttribute("aria-invalid"));
    const email = field("email").value.trim();
    if (!email || !email.includes("@")) return refuse("email", "Enter the inbox's email address.");
    if (!field("password").value) return refuse("password", "Enter the password or app password.");
    if (!isZone(field("inbox-zone").value)) return refuse("inbox-zone", "Choose a timezone from the list.");
    for (const kind of ["smtp", "imap"]) {
      if (!field(`${kind}-host`).value.trim()) return refuse(`${kind}-host`, `Enter the ${kind.toUpperCase()} server.`);
    }
    const login = field("username").value.trim() || email;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    out.innerHTML = `<p class="muted">Checking the SMTP and IMAP logins…</p>`;
    try {
      const inbox = await api("POST", "/inboxes", { email, display_name: field("display-name").value.trim(),
        timezone: field("inbox-zone").value, smtp: server("smtp", login, field("password").value),
        imap: server("imap", login, field("password").value) });
      field("password").value = "";
      flash(`${inbox.email} is added.`);
      location.hash = "#/inboxes";
    } catch (err) {
      if (handleAuthError(err)) return;
      const target = err instanceof ApiError && err.details && FIELD_FOR(err.details.field);
      if (err instanceof ApiError && err.code === "login_failed") {
        out.innerHTML = `<div class="alert" role="alert" tabindex="-1" data-code="login_failed">${loginFailedAlert(err, "Not added")}</div>`;
        out.firstElementChild.focus();
      } else if (target) {
        refuse(target, errorText(err));
      } else {
        out.innerHTML = errorBox(err);
        out.firstElementChild.focus();
      }
    } finally {
      button.disabled = false;
    }
  });
  return { refresh: async () => {} };
}
