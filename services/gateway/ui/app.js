// Holdfast web UI: plain ES modules, no build step, no network besides this gateway's own API.
// This module routes between the views and polls the one on screen every two seconds while visible.
import { api, forgetSession, signedIn, token } from "./api.js";
import { accountsView } from "./view-accounts.js";
import { auditView } from "./view-audit.js";
import { builderView } from "./view-builder.js";
import { campaignView } from "./view-campaign.js";
import { campaignsView } from "./view-campaigns.js";
import { importView } from "./view-import.js";
import { inboxNewView } from "./view-inbox-new.js";
import { inboxesView } from "./view-inboxes.js";
import { membersView } from "./view-members.js";
import { prospectView } from "./view-prospect.js";
import { homeView } from "./view-home.js";
import { finishOAuth } from "./oauth-return.js";
import { invitationView } from "./view-invitation.js";
import { forgotPasswordView, resetPasswordView } from "./view-reset.js";
import { signInLinkView, signInView } from "./view-signin.js";
import { sessionsView } from "./view-sessions.js";
import { suppressionsView } from "./view-suppressions.js";
import { tokensView } from "./view-tokens.js";
import { webhooksView } from "./view-webhooks.js";
import { errorText, focusHeading, handleAuthError, main, say, sayError, showFlash } from "./ui.js";

const POLL_MS = 2000;
const nav = document.getElementById("nav");
let current = null; // the view on screen: { refresh(), dispose?() }
let polling = false;

async function tick() {
  if (polling || !current || document.hidden) return;
  polling = true;
  const view = current;
  try {
    await view.refresh();
    main.dataset.updated = new Date().toISOString();
  } catch (err) {
    if (!handleAuthError(err) && view === current) sayError(errorText(err));
  } finally {
    polling = false;
  }
}

const PAGES = [
  [/^#\/campaigns\/new$/, () => builderView(), "New campaign"],
  [/^#\/campaigns\/([\w-]+)\/edit$/, (m) => builderView(m[1]), "Edit campaign"],
  [/^#\/campaigns\?archived=(archived|all)$/, (m) => campaignsView(m[1]), "Campaigns"],
  [/^#\/campaigns\/([\w-]+)\/import$/, (m) => importView(m[1]), "Import prospects"],
  [/^#\/campaigns\/([\w-]+)\/prospects\/([\w-]+)$/, (m) => prospectView(m[1], m[2]), null],
  [/^#\/campaigns\/([\w-]+)$/, (m) => campaignView(m[1]), null],
  [/^#\/home$/, () => homeView(), "Needs attention"],
  [/^#\/accounts/, () => accountsView(), "LinkedIn accounts"],
  [/^#\/inboxes\/new/, () => inboxNewView(), "Add an inbox"],
  [/^#\/inboxes/, () => inboxesView(), "Email inboxes"],
  [/^#\/suppressions/, () => suppressionsView(), "Suppressions"],
  [/^#\/sessions/, () => sessionsView(), "Your sessions"],
  [/^#\/members/, () => membersView(), "Members"],
  [/^#\/tokens/, () => tokensView(), "API tokens"],
  [/^#\/webhooks/, () => webhooksView(), "Webhooks"],
  [/^#\/audit/, () => auditView(), "Audit log"],
  [/^/, () => campaignsView(), "Campaigns"],
];

// Pages of emailed links and the password reset: shown whether signed in or not.
const PUBLIC = [
  [/^#\/accept-invitation/, invitationView],
  [/^#\/reset-password/, resetPasswordView],
  [/^#\/forgot-password/, forgotPasswordView],
  [/^#\/sign-in-link/, signInLinkView],
];

function route(event) {
  const moved = Boolean(event); // on first load the browser's own focus start is kept (skip link first)
  const hash = location.hash || "#/campaigns";
  say("");
  sayError("");
  showFlash();
  const open = PUBLIC.find(([pattern]) => pattern.test(hash));
  if (open) {
    current = open[1]();
    if (moved) focusHeading();
    return;
  }
  if (!signedIn() || hash === "#/sign-in") {
    current = signInView(hash === "#/sign-in" && !signedIn() && sessionStorage.getItem("holdfast.expired")
      ? "Your session ended: sign in again." : "");
    if (moved) focusHeading();
    return;
  }
  nav.hidden = false;
  for (const link of nav.querySelectorAll("a[data-nav]")) {
    if (hash.startsWith(`#/${link.dataset.nav}`)) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  for (const [pattern, make, title] of PAGES) {
    const match = hash.match(pattern);
    if (!match) continue;
    current = make(match);
    if (title) document.title = `${title} · Holdfast`;
    break;
  }
  if (moved) focusHeading();
  polling = false;
  tick();
}

document.getElementById("sign-out").addEventListener("click", async () => {
  if (!token.get()) {
    try { await api("POST", "/sign-out", {}); } catch { /* already ended */ }
    forgetSession();
  }
  token.clear();
  location.hash = "#/sign-in";
});
// Escape closes an open tooltip (WCAG 1.4.13: dismissible without moving focus or pointer).
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") document.querySelectorAll(".chip-wrap").forEach((w) => w.classList.add("dismissed"));
});
for (const type of ["focusin", "mouseover"]) {
  document.addEventListener(type, (event) => {
    const wrap = event.target.closest && event.target.closest(".chip-wrap");
    if (wrap) wrap.classList.remove("dismissed");
  });
}
document.addEventListener("visibilitychange", () => { if (!document.hidden) tick(); });
window.addEventListener("hashchange", route);
setInterval(tick, POLL_MS);
// Back from Google or Microsoft (/oauth/return?code&state): finish the sign-in, then show the Inboxes page.
if (location.pathname === "/oauth/return") finishOAuth().then(route);
else route();
