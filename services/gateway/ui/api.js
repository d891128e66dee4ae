// The HTTP API client: the session cookie (signed in by email), or a bearer token from localStorage (an integration
// token pasted on the sign-in page); errors in the API's {"error": {...}} shape.
const TOKEN_KEY = "holdfast.token";
const CSRF_COOKIE = "holdfast_csrf";
const SAFE = ["GET", "HEAD"];

// The session's CSRF token: the gateway sets it in a cookie this script reads (the session's own cookie is
// HttpOnly), and every change made with the session sends it back as X-CSRF-Token.
export function csrfToken() {
  const found = document.cookie.split("; ").find((c) => c.startsWith(`${CSRF_COOKIE}=`));
  return found ? decodeURIComponent(found.slice(CSRF_COOKIE.length + 1)) : "";
}

export function forgetSession() {
  document.cookie = `${CSRF_COOKIE}=; Max-Age=0; path=/; SameSite=Lax`;
}

// Signed in: with an integration token, or with a session (its CSRF cookie is there until it ends).
export const signedIn = () => Boolean(localStorage.getItem(TOKEN_KEY) || csrfToken());

export const token = {
  get: () => localStorage.getItem(TOKEN_KEY),
  set: (value) => localStorage.setItem(TOKEN_KEY, value),
  clear: () => localStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || "http_error";
    this.details = error.details || {};
  }
}

// `prefix`: the API lives under /api/v1; the OAuth callback sits at the root.
export async function api(method, path, body, prefix = "/api/v1") {
  const headers = { Accept: "application/json" };
  const t = token.get();
  if (t) headers.Authorization = `Bearer ${t}`;
  else if (!SAFE.includes(method) && csrfToken()) headers["X-CSRF-Token"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`${prefix}${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await response.json(); } catch { data = null; }
  if (response.status === 401 && !t) forgetSession(); // the session ended: the UI shows the sign-in page
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// A file from the API (e.g. the suppression list as CSV), downloaded with the bearer token a plain link lacks.
export async function download(path, filename) {
  const t = token.get();
  const response = await fetch(`/api/v1${path}`, { headers: t ? { Authorization: `Bearer ${t}` } : {} });
  if (!response.ok) {
    let data = null;
    try { data = await response.json(); } catch { data = null; }
    throw new ApiError(response.status, data);
  }
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
