// Pure helpers: escaping, scope text, dates, plurals. No I/O, so they are easy to reason about.

export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => (
    { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

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
  return `${Number(n).toLocaleString("en")} ${n === 1 ? one : many}`;
}

const DAY_NAMES = { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" };
export const dayList = (days) => days.map((d) => DAY_NAMES[d] || d).join(", ");

export function delayText(delay) {
  const parts = [];
  if (delay && delay.days) parts.push(plural(delay.days, "day", "days"));
  if (delay && delay.hours) parts.push(plural(delay.hours, "hour", "hours"));
  return parts.length ? parts.join(" ") : "no delay";
}
