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

// "https://www.linkedin.com/in/jane-doe-123/?x=1" -> "jane-doe-123"; null when it is not a profile URL.
export function publicIdentifier(url) {
  const match = /^(?:https?:\/\/)?(?:[\w-]+\.)?linkedin\.com\/in\/([^/?#\s]+)/i.exec(url.trim());
  return match ? decodeURIComponent(match[1]) : null;
}

export function toProspect(row, mapping, header) {
  const prospect = { fields: {} };
  const problems = [];
  mapping.forEach((target, col) => {
    const value = (row[col] ?? "").trim();
    if (!value || target === "ignore") return;
    if (target === "linkedin_url") {
      const id = publicIdentifier(value);
      if (id) prospect.linkedin_public_identifier = id;
      else problems.push("the LinkedIn profile URL is not a linkedin.com/in/ address");
    } else if (target === "field") prospect.fields[fieldKey(header[col])] = value;
    else prospect[target] = target === "email" ? value.toLowerCase() : value;
  });
  return { prospect, problems };
}

// Every identity of a prospect: two rows sharing one are the same person (as the API decides).
export const identities = (p) => [p.linkedin_provider_id && `li:${p.linkedin_provider_id}`,
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
    if (!reason && channels.has("linkedin") && !prospect.linkedin_provider_id) {
      reason = prospect.linkedin_public_identifier
        ? "LinkedIn steps need the LinkedIn provider id; a profile URL alone is not enough yet"
        : "LinkedIn steps need the LinkedIn provider id";
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
