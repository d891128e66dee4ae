// The workspace's suppression list (DESIGN V6): nobody on it is contacted. Search, add entries (emails, whole
// domains, LinkedIn profiles, one a line), remove one, and download the whole list as CSV.
import { api, ApiError, download } from "./api.js";
import { esc, plural, viewerZone, when } from "./format.js";
import { errorBox, errorText, handleAuthError, main, patch, say } from "./ui.js";
import { SUPPRESSION_SOURCES, SUPPRESSION_TYPES, words } from "./words.js";

const PAGE_SIZE = 50;
const PLACEHOLDERS = { email: "jane@example.com", domain: "example.com",
  linkedin: "https://www.linkedin.com/in/jane-doe/" };

export function suppressionsView() {
  main.innerHTML = `<h1>Suppressions</h1>
    <p>Nobody on this list is contacted by any campaign of this workspace. Opt-outs, hard bounces and replies that
      ask to stop are added by themselves.</p>
    <form class="card" id="suppress-form" novalidate aria-labelledby="suppress-h">
      <h2 id="suppress-h">Add to the list</h2>
      <label for="suppress-type">Kind</label>
      <select id="suppress-type">${Object.entries(SUPPRESSION_TYPES).map(([v, label]) =>
        `<option value="${v}">${esc(label)}</option>`).join("")}</select>
      <label for="suppress-values">Values, one a line</label>
      <textarea id="suppress-values" rows="3" spellcheck="false" aria-describedby="suppress-hint"
        placeholder="${esc(PLACEHOLDERS.email)}"></textarea>
      <p class="hint" id="suppress-hint">A whole domain suppresses every address at it; a LinkedIn profile is its
        profile URL or provider id.</p>
      <button type="submit" class="primary">Add to the suppression list</button>
      <div id="suppress-out"></div>
    </form>
    <section class="card" aria-labelledby="list-h">
      <h2 id="list-h">On the list</h2>
      <div class="toolbar">
        <label for="suppress-search">Search</label>
        <input id="suppress-search" type="search" autocomplete="off" spellcheck="false">
        <button type="button" id="export-csv">Download as CSV</button>
      </div>
      <div id="remove-out"></div>
      <div id="suppressions"><p>Loading…</p></div>
      <nav class="pager" id="s-pager" aria-label="Suppression pages" hidden>
        <button type="button" id="s-prev">Previous page</button>
        <button type="button" id="s-next">Next page</button>
      </nav>
    </section>`;
  const $ = (x) => document.getElementById(x);
  const box = $("suppressions");
  const pages = [""];
  let page = 0;
  let nextToken = null;
  let query = "";

  $("suppress-type").addEventListener("change", () => {
    $("suppress-values").placeholder = PLACEHOLDERS[$("suppress-type").value];
  });
  let typing = null;
  $("suppress-search").addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      query = $("suppress-search").value.trim();
      pages.length = 1;
      page = 0;
      view.refresh();
    }, 250);
  });
  $("s-prev").addEventListener("click", () => { page = Math.max(0, page - 1); view.refresh(); });
  $("s-next").addEventListener("click", () => {
    if (!nextToken) return;
    pages[page + 1] = nextToken;
    page += 1;
    view.refresh();
  });
  $("export-csv").addEventListener("click", async () => {
    try {
      await download("/suppressions.csv", "suppressions.csv");
    } catch (err) {
      if (!handleAuthError(err)) $("remove-out").innerHTML = errorBox(err);
    }
  });

  $("suppress-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const out = $("suppress-out");
    const input = $("suppress-values");
    input.removeAttribute("aria-invalid");
    const values = input.value.split(/\r?\n/).map((v) => v.trim()).filter(Boolean);
    const refuse = (message) => {
      input.setAttribute("aria-invalid", "true");
      out.innerHTML = `<div class="alert" role="alert"><p>${esc(message)}</p></div>`;
      input.focus();
    };
    if (!values.length) return refuse("Enter at least one value.");
    const type = $("suppress-type").value;
    try {
      const added = await api("POST", "/suppressions", { entries: values.map((value) => ({ type, value })) });
      input.value = "";
      out.innerHTML = "";
      say(`${plural(added.added, "entry", "entries")} added to the suppression list`
        + (added.already_listed ? `; ${plural(added.already_listed, "was", "were")} already on it.` : "."));
      await view.refresh();
    } catch (err) {
      if (handleAuthError(err)) return;
      // The API names the first invalid entry by its index: say which line it is.
      const field = err instanceof ApiError && err.details && String(err.details.field || "");
      const line = /^entries[.[](\d+)/.exec(field || "");
      const said = err.message.replace(/^entries[.[]\d+\]?\.value\s*/, "").replace(/[.!]?$/, ".");
      if (line && /^is /.test(said)) refuse(`Line ${Number(line[1]) + 1} (${values[Number(line[1])]}) ${said}`);
      else if (line) refuse(`Line ${Number(line[1]) + 1} (${values[Number(line[1])]}): ${errorText(err)}`);
      else out.innerHTML = errorBox(err);
    }
  });

  box.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-remove]");
    if (!button) return;
    button.disabled = true;
    try {
      const gone = await api("DELETE", `/suppressions/${button.dataset.remove}`);
      say(`${gone.value} is no longer suppressed. Prospects it already stopped stay stopped.`);
      await view.refresh();
      $("suppress-search").focus();
    } catch (err) {
      if (handleAuthError(err)) return;
      button.disabled = false;
      $("remove-out").innerHTML = errorBox(err);
    }
  });

  const view = {
    async refresh() {
      const token = pages[page] ? `&page_token=${encodeURIComponent(pages[page])}` : "";
      const listed = await api("GET", `/suppressions?page_size=${PAGE_SIZE}&q=${encodeURIComponent(query)}${token}`);
      if (!box.isConnected) return;
      nextToken = listed.next_page_token;
      $("s-pager").hidden = page === 0 && !nextToken;
      $("s-prev").disabled = page === 0;
      $("s-next").disabled = !nextToken;
      const me = viewerZone();
      const rows = listed.suppressions;
      patch(box, rows.length ? `<div class="table-wrap" role="region" aria-label="Suppressions table (scrolls sideways)"
        tabindex="0"><table><thead><tr><th scope="col">Value</th><th scope="col">Kind</th><th scope="col">Why</th>
        <th scope="col">Added</th><th scope="col"><span class="visually-hidden">Remove</span></th></tr></thead>
        <tbody>${rows.map((s) => `<tr data-suppression-id="${esc(s.id)}" data-type="${esc(s.type)}">
          <th scope="row">${esc(s.value)}</th>
          <td data-label="Kind">${esc(SUPPRESSION_TYPES[s.type] || words(s.type))}</td>
          <td data-label="Why">${esc(SUPPRESSION_SOURCES[s.source] || words(s.source))}</td>
          <td data-label="Added">${esc(when(s.created_at, me))}</td>
          <td><button type="button" data-remove="${esc(s.id)}" aria-label="Remove ${esc(s.value)}">Remove</button></td>
        </tr>`).join("")}</tbody></table></div>`
        : `<div class="empty"><p>${query ? `Nothing on the list matches “${esc(query)}”.`
          : "The suppression list is empty. Add addresses, domains or LinkedIn profiles above."}</p></div>`);
    },
  };
  return view;
}
