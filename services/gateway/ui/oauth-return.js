// The end of a Google or Microsoft sign-in: the provider sent the browser to /oauth/return?code&state (or
// ?error). The gateway's callback exchanges the code; the page then moves to the Inboxes page and says how it went.
import { api, ApiError } from "./api.js";
import { errorText, flash } from "./ui.js";

export async function finishOAuth() {
  const query = new URLSearchParams(location.search);
  history.replaceState(null, "", "/#/inboxes");
  let message = "";
  let failed = "";
  if (query.get("error")) {
    failed = "The sign-in was not completed: the provider did not give access. Nothing was changed.";
  } else {
    try {
      const params = new URLSearchParams({ state: query.get("state") || "", code: query.get("code") || "" });
      const inbox = await api("GET", `/oauth/callback?${params}`, undefined, "");
      message = `${inbox.email} is connected with ${inbox.auth_kind === "google_oauth" ? "Google" : "Microsoft"}.`;
    } catch (err) {
      failed = `The sign-in was not completed: ${errorText(err)}`;
      if (!(err instanceof ApiError)) failed = errorText(err);
    }
  }
  flash(failed || message, Boolean(failed)); // said once the route has drawn the page
}
