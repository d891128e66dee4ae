// The one dictionary of words the UI shows for every code the API sends: pause reasons, statuses, prospect states,
// why-not-now values, scopes, who did what, and the provider's own wording. No raw code reaches the screen:
// an unknown code is turned into plain words rather than shown as it is.

export const REASONS = {
  manual: "Paused by a member",
  linkedin_account_disconnected: "LinkedIn account disconnected",
  linkedin_high_failure_rate: "High LinkedIn failure rate",
  account_restricted: "LinkedIn account restricted",
  subscription_canceled: "Subscription canceled",
  email_account_disconnected: "Email inbox disconnected",
  email_high_bounce_rate: "High email bounce rate",
};

// What to do, where the API's own text asks for something the UI offers directly (the Verify button).
const ACTIONS = {
  account_restricted: "Wait until LinkedIn lifts the restriction, then click Verify on the LinkedIn accounts page. "
    + "Resume works only after that.",
};

// Reasons whose gate refuses a member's resume for as long as they are there: they clear by themselves when the
// cause is gone (a reconnect, a renewal) or after a verification, never by clicking Resume.
export const BLOCKS_RESUME = new Set(["linkedin_account_disconnected", "email_account_disconnected",
  "subscription_canceled", "account_restricted"]);

// Where the one thing to do next is done.
export const FIX_PAGE = {
  linkedin_account_disconnected: ["#/accounts", "Go to LinkedIn accounts"],
  account_restricted: ["#/accounts", "Go to LinkedIn accounts"],
  linkedin_high_failure_rate: ["#/accounts", "Go to LinkedIn accounts"],
  email_account_disconnected: ["#/inboxes", "Go to inboxes"],
  email_high_bounce_rate: ["#/inboxes", "Go to inboxes"],
};

export const STATUSES = {
  draft: "Draft", active: "Active", paused: "Paused", finished: "Finished", completed: "Completed",
  connected: "Connected", disconnected: "Disconnected", degraded: "Unstable", restricted: "Restricted",
};

export const PROSPECT_STATES = {
  enrolling: "Starting", scheduled: "Scheduled", in_flight: "Sending now",
  waiting_acceptance: "Waiting for acceptance", done: "Done", stopped: "Stopped", replied: "Replied",
  opted_out: "Opted out", out_of_office: "Out of office", suppressed: "Suppressed",
  resolving: "Looking up LinkedIn profile", not_found: "Profile not found",
};

export const SUPPRESSION_TYPES = { email: "Email address", domain: "Whole domain", linkedin: "LinkedIn profile" };
export const SUPPRESSION_SOURCES = { opt_out: "Opted out", hard_bounce: "Email bounced", reply: "Asked in a reply",
  member: "Added by a member", import: "Imported" };

// A prospect's page: what a reply was classified as, what each send attempt came to, and who heard the reply.
export const REPLY_CLASSES = { replied: "Real reply", out_of_office: "Out of office", opted_out: "Do not contact" };
export const ATTEMPT_STATUSES = { started: "Sending", succeeded: "Sent", refused: "Refused by the provider",
  failed: "Failed", reconciled_sent: "Sent (confirmed later)", abandoned: "Given up" };
export const ACTION_TYPES = { linkedin_invite: "LinkedIn invitation", linkedin_message: "LinkedIn message",
  linkedin_inmail: "InMail", email: "Email" };
const REPLY_SOURCES = { unipile: "LinkedIn", imap: "the inbox", unsubscribe_link: "the unsubscribe link",
  list_unsubscribe: "the unsubscribe header" };
export const replySourceText = (source) => (String(source).startsWith("member:") ? "a member"
  : REPLY_SOURCES[source] || words(source).toLowerCase());

export const SCOPES = { campaign: "all sending", linkedin: "LinkedIn steps", email: "email steps" };

const SOURCES = {
  account_health: "the LinkedIn connection check", unipile_webhook: "a LinkedIn connection report",
  grace_expired: "the connection check (still failing after the grace period)", send_failure: "failed sends",
  operator: "a member", reconnect: "a reconnect", probe: "the inbox login check", sweeper: "the periodic check",
  reconciliation: "the periodic check", bounce_detector: "the bounce check", billing: "billing",
  failure_detector: "the failure check", inbox_health: "the inbox login check",
};

export const WHY = {
  campaign_not_active: "The campaign is not active",
  window_closed: "Outside the sending window",
  day_not_in_schedule: "Not a sending day",
  daily_cap_reached: "Daily cap reached",
  ramp_limit_reached: "Ramp-up limit reached for today",
  weekly_cap_reached: "Weekly cap reached",
  pacing: "Pacing: waiting between sends",
  scheduled_later: "Scheduled later (step delay)",
  waiting_for_acceptance: "Waiting for the invitation to be accepted",
  sending_now: "Sending now",
  done: "Done",
  sender_disconnected: "Sender disconnected",
  sender_restricted: "Sender restricted",
  sender_degraded: "Sender connection unstable",
  sender_unknown: "No sender available",
  replied: "Replied: the sequence stopped",
  opted_out: "Opted out: nothing more is sent",
  suppressed: "On the suppression list: nothing is sent",
  out_of_office: "Out of office: waiting until the return date",
  resolving_linkedin_profile: "Looking up LinkedIn profile",
  not_found: "Profile not found: nothing is sent",
};

const STEP_ACTIONS = { invite: "LinkedIn invitation", message: "LinkedIn message", inmail: "InMail", email: "Email" };

// Plain words for a code nobody listed: "some_new_code" -> "Some new code".
export function words(code) {
  const text = String(code ?? "").replaceAll("_", " ").trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export const reasonLabel = (reason) => REASONS[reason] || words(reason);
export const reasonAction = (reason, apiAction) => ACTIONS[reason] || apiAction || "";
export const statusLabel = (status) => STATUSES[status] || words(status);
export const prospectStateLabel = (state) => PROSPECT_STATES[state] || words(state);
export const stepLabel = (step) => STEP_ACTIONS[step.action] || words(step.action);
export const sourceText = (source) => SOURCES[source] || words(source).toLowerCase();

export function actorText(actor) {
  if (!actor) return "";
  if (actor.kind === "member") return "a member";
  return `Holdfast (${sourceText(actor.source || "check")})`;
}

// Why the scheduler stopped a prospect: a provider's error type, an SMTP reply code, or one of its own words.
const STOPS = { refused: "the provider refused the send", provider_failures: "the send failed too many times",
  bounced: "the email bounced", email_bounced: "the email bounced" };
export function stopText(reason) {
  if (STOPS[reason]) return STOPS[reason];
  if (/^5\d\d$/.test(reason)) return "the recipient's mail server refused the email";
  if (/^4\d\d$/.test(reason)) return "the recipient's mail server kept deferring the email";
  return words(String(reason).replace(/^errors\//, "")).toLowerCase();
}

// S11 reasons arrive as stable codes; show them in words.
export function whyText(code) {
  if (WHY[code]) return WHY[code];
  const [head, rest] = String(code).split(/:(.*)/s);
  if (head === "paused" && rest) return `Campaign paused: ${reasonLabel(rest)}`;
  if (head === "held" && rest) return `${rest === "campaign" ? "All sending" : rest === "email" ? "Email" : "LinkedIn"} held`;
  if (head === "stopped" && rest) return `Stopped: ${stopText(rest)}`;
  if (head === "not_found" && rest) return `Profile not found: ${stopText(rest)}`;
  if (head.startsWith("sender_reported_")) return `The provider asked to wait: ${words(head.slice(16)).toLowerCase()}`;
  return words(String(code).replace(":", ": "));
}

const PROVIDER_STATES = { CONNECTING: "reconnecting", ERROR: "in error", STOPPED: "stopped", OK: "working",
  CREDENTIALS: "signed out", PERMISSIONS: "missing a permission", UNKNOWN: "without a working connection",
  DELETED: "deleted" };
const providerState = (code) => PROVIDER_STATES[code] || "in an unexpected state";

const SERVER_PARTS = { host: "server", port: "port", username: "login", password: "password", security: "security" };

// The provider's wording (status details, history lines, refusals) rewritten without its status codes.
export function detailText(detail) {
  let text = String(detail ?? "").trim();
  if (!text) return "";
  text = text
    .replace(/^Unipile reports (?:CREDENTIALS|PERMISSIONS): /, "")
    .replace(/^Unipile reports the account OK$/, "LinkedIn reports the account working again")
    .replace(/^Unipile reports the account ([A-Z_]+)/, (_, s) => `LinkedIn reports the account ${providerState(s)}`)
    .replace(/^Unipile still reports ([A-Z_]+)/, (_, s) => `The account is still ${providerState(s)}`)
    .replace(/^Unipile reports ([A-Z_]+)/, (_, s) => `The LinkedIn connection is ${providerState(s)}`)
    .replace(/^Unipile lists no working connection/, "LinkedIn has no working connection")
    .replace(/\bnot OK\b/g, "not working again")
    .replace(/\b(smtp|imap)\.(host|port|username|password|security)\b/gi,
      (_, server, part) => `${server.toUpperCase()} ${SERVER_PARTS[part.toLowerCase()]}`)
    .replace(/\b[a-z]+(?:_[a-z]+)+\b/g, (code) => (REASONS[code] || words(code)).toLowerCase());
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// Team and integrations (members, API tokens, webhooks, the audit log).
export const ROLES = { owner: "Owner", admin: "Admin", member: "Member", viewer: "Viewer" };
export const ROLE_RANK = { viewer: 1, member: 2, admin: 3, owner: 4 };
export const TOKEN_SCOPES = { read: "Read", write: "Write", admin: "Admin" };
export const TOKEN_SCOPE_HINTS = { read: "reads everything, as a viewer",
  write: "also pauses, resumes, edits campaigns and imports prospects, as a member",
  admin: "also manages senders, members, tokens, webhooks and suppressions, as an admin" };
export const WEBHOOK_EVENTS = {
  "campaign.paused": "Campaign paused", "campaign.resumed": "Campaign resumed",
  "campaign.completed": "Campaign completed", "prospect.accepted": "Invitation accepted",
  "prospect.replied": "Prospect replied", "prospect.out_of_office": "Prospect out of office",
  "prospect.opted_out": "Prospect opted out", "prospect.bounced": "Email bounced",
  "sender.disconnected": "Sender disconnected", "sender.reconnected": "Sender reconnected",
};
export const DELIVERY_STATUSES = { pending: "Waiting to be sent again", delivered: "Delivered", failed: "Failed" };
export const AUDIT_ACTIONS = {
  pause_campaign: "Paused a campaign", resume_campaign: "Resumed a campaign", activate_campaign: "Started a campaign",
  create_campaign: "Created a campaign", update_campaign: "Edited a campaign", add_prospects: "Imported prospects",
  add_member: "Added a member", change_member_role: "Changed a member's role", remove_member: "Removed a member",
  transfer_ownership: "Transferred ownership", create_token: "Created an API token",
  revoke_token: "Revoked an API token", create_endpoint: "Added a webhook endpoint",
  update_endpoint: "Changed a webhook endpoint", delete_endpoint: "Deleted a webhook endpoint",
  rotate_secret: "Rotated a webhook secret", replay_delivery: "Replayed a webhook delivery",
  disable_webhook_endpoint: "Disabled a failing webhook endpoint", add_suppressions: "Added suppressions",
  delete_suppression: "Removed a suppression", create_linkedin_account: "Added a LinkedIn account",
  reconnect_linkedin_account: "Reconnected a LinkedIn account", connect_linkedin_account: "Connected a LinkedIn account",
  record_linkedin_restriction: "Recorded a LinkedIn restriction", verify_linkedin_account: "Verified a LinkedIn account",
  create_inbox: "Added an inbox", update_inbox_credentials: "Changed an inbox's login", check_inbox: "Checked an inbox",
  start_inbox_oauth: "Connected an inbox", reclassify_reply: "Re-classified a reply", fail_sends: "Simulated failures",
  create_invitation: "Invited a member", revoke_invitation: "Revoked an invitation",
  sign_in_failed: "Failed sign-in",
};
export const roleLabel = (role) => ROLES[role] || words(role);
export const eventLabel = (type) => WEBHOOK_EVENTS[type] || words(String(type).replace(".", " "));
export const auditActionLabel = (action) => AUDIT_ACTIONS[action] || words(action);
// What a control needs, said where it is hidden or disabled.
export const needsRole = (role) => `Needs the ${roleLabel(role)} role or higher.`;
