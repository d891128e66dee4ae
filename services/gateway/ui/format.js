// Pure helpers: escaping, reason words, scope text, dates. No I/O, so they are easy to reason about.

export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => (
    { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

export const REASONS = {
  manual: "Paused by a member",
  linkedin_account_disconnected: "LinkedIn account disconnected",
  linkedin_high_failure_rate: "High LinkedIn failure rate",
  account_restricted: "LinkedIn account restricted",
  subscription_canceled: "Subscription canceled",
  email_account_disconnected: "Email inbox disconnected",
  email_high_bounce_rate: "High email bounce rate",
};

export const reasonLabel = (reason) => REASONS[reason] || reason;

export function channels(campaign) {
  return new Set((campaign.steps || []).map((s) => s.channel));
}

// What a set of held scopes means for this campaign, in words (P5: a LinkedIn problem holds LinkedIn only).
export function scopeText(scopes, campaign) {
  const held = new Set(scopes);
  const used = channels(campaign);
  if (held.has("campaign")) return "All sending held";
  if (held.has("linkedin") && !held.has("email") && used.has("email")) return "LinkedIn held — email continues";
  if (held.has("email") && !held.has("linkedin") && used.has("linkedin")) return "Email held — LinkedIn continues";
  return "All sending held";
}

export const viewerZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

export function when(iso, timeZone) {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  try {
    return new Intl.DateTimeFormat("en-GB", {
      weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
      timeZone: timeZone || undefined, timeZoneName: "short",
    }).format(date);
  } catch {
    return date.toISOString();
  }
}

export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

export function actorText(actor) {
  if (!actor) return "";
  if (actor.kind === "member") return "a member";
  return `system (${actor.source || "unknown"})`;
}

const WHY = {
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
  sender_degraded: "Sender degraded",
  sender_unknown: "No sender available",
};

// S11 reasons arrive as stable codes; show them in words (unknown codes stay readable).
export function whyText(code) {
  if (WHY[code]) return WHY[code];
  const [head, rest] = String(code).split(/:(.*)/s);
  if (head === "paused" && rest) return `Campaign paused: ${reasonLabel(rest)}`;
  if (head === "held" && rest) return `${rest === "campaign" ? "All sending" : rest === "email" ? "Email" : "LinkedIn"} held`;
  if (head === "stopped" && rest) return `Stopped: ${rest.replaceAll("_", " ")}`;
  if (head.startsWith("sender_reported_")) return `Provider asked to wait: ${head.slice(16).replaceAll("_", " ")}`;
  const words = String(code).replaceAll("_", " ").replace(":", ": ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}
