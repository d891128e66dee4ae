// The rules of a prospects import, shared by the dry run and the import: the column mapping, LinkedIn profile URLs,
// and each row's verdict (new, duplicate or invalid, with the reason), mirroring the API's own refusals. No I/O.

export const TARGETS = {
  ignore: "Ignore this column",
  linkedin_url: "LinkedIn profile URL",
  linkedin_provider_id: "LinkedIn provider id",
  email: "Email",
  first_name: "First name",
  last_name: "Last name",
  company: "Company",
  field: "Custom field (for templates)",
};

const GUESSES = [
  [/linkedin.*(url|profile)|profile.*url|^linkedin$/i, "linkedin_url"],
  [/provider|member.?id|urn/i, "linkedin_provider_id"],
  [/e-?mail/i, "email"],
  [/^first|first.?name|given/i, "first_name"],
  [/^last|last.?name|surname|family/i, "last_name"],
  [/company|organi[sz]ation|employer|account/i, "company"],
];

export function guessTarget(header) {
  const found = GUESSES.find(([pattern]) => pattern.test(header));
  return found ? found[1] : "field";
}

// A template variable name for a custom column: "Job title" -> job_title.
export const fieldKey = (header) => header.trim().toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_|_$/g, "").slice(0, 64) || "field";

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

// "https://www.linkedin.com/in/jane-doe-123/?x=1" -> "jane-doe-123", a Sales Navigator lead URL -> its member id;
// null when it is not a profile URL (the API's own rule, services/campaigns/linkedin_identity.py).
export function publicIdentifier(url) {
  let text = url.trim();
  if (!text.includes("://")) text = `https://${text}`;
  let parsed;
  try { parsed = new URL(text); } catch { return null; }
  const host = parsed.hostname.toLowerCase();
  if (!/^https?:$/.test(parsed.protocol) || !(host === "linkedin.com" || host.endsWith(".linkedin.com"))) return null;
  let parts;
  try { parts = parsed.pathname.split("/").filter(Boolean).map(decodeURIComponent); } catch { return null; }
  if (parts.length >= 2 && parts[0] === "in") return /^[\p{L}\p{N}_-]{3,100}$/u.test(parts[1]) ? parts[1] : null;
  if (parts.length >= 3 && parts[0] === "sales" && ["lead", "people"].includes(parts[1])) {
    const member = parts[2].split(",")[0];
    return /^[A-Za-z0-9_-]{10,100}$/.test(member) ? member : null;
  }
  return null;
}

export function toProspect(row, mapping, header) {
  const prospect = { fields: {} };
  const problems = [];
  mapping.forEach((target, col) => {
    const value = (row[col] ?? "").trim();
    if (!value || target === "ignore") return;
    if (target === "linkedin_url") {
      // Sent as it is: Holdfast looks the profile up itself (the prospect shows "Looking up LinkedIn profile").
      if (publicIdentifier(value)) prospect.linkedin_url = value;
      else problems.push("the LinkedIn profile URL is not a linkedin.com/in/ or Sales Navigator lead address");
    } else if (target === "field") prospect.fields[fieldKey(header[col])] = value;
    else prospect[target] = target === "email" ? value.toLowerCase() : value;
  });
  return { prospect, problems };
}

// Every identity of a prospect: two rows sharing one are the same person (as the API decides).
export const identities = (p) => [p.linkedin_provider_id && `li:${p.linkedin_provider_id}`,
  p.linkedin_url && `pub:${publicIdentifier(p.linkedin_url).toLowerCase()}`,
  p.linkedin_public_identifier && `pub:${p.linkedin_public_identifier.toLowerCase()}`,
  p.email && `em:${p.email.toLowerCase()}`].filter(Boolean);

// The verdict on each row: { status: new|duplicate|invalid, reason, prospect }; gives the page back every
// 10,000 rows.
export async function dryRun(rows, mapping, header, channels, existing) {
  const seen = new Map(); // identity -> the row number that brought it
  const verdicts = [];
  for (const [index, row] of rows.entries()) {
    if (index % 10000 === 0 && index) await new Promise((resolve) => { setTimeout(resolve, 0); });
    verdicts.push(verdict(row, index));
  }
  return verdicts;

  function verdict(row, index) {
    const { prospect, problems } = toProspect(row, mapping, header);
    const line = index + 2; // the header is line 1
    let reason = problems[0] || "";
    if (!reason && !identities(prospect).length) reason = "no LinkedIn profile, provider id or email";
    if (!reason && prospect.email && (prospect.email.length > 254 || !EMAIL.test(prospect.email))) reason = "the email is not an email address";
    if (!reason && channels.has("linkedin") && !prospect.linkedin_provider_id && !prospect.linkedin_url) {
      reason = "LinkedIn steps need a LinkedIn profile URL or provider id";
    }
    if (!reason && channels.has("email") && !prospect.email) reason = "email steps need an email";
    if (!reason && Object.keys(prospect.fields).length > 50) reason = "more than 50 custom fields";
    if (reason) return { line, status: "invalid", reason, prospect };
    const ids = identities(prospect);
    const inCampaign = ids.find((id) => existing.has(id));
    if (inCampaign) return { line, status: "duplicate", reason: "already in the campaign", prospect };
    const earlier = ids.map((id) => seen.get(id)).find(Boolean);
    if (earlier) return { line, status: "duplicate", reason: `same person as line ${earlier}`, prospect };
    ids.forEach((id) => seen.set(id, line));
    return { line, status: "new", reason: "", prospect };
  }
}
