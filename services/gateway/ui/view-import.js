// Import prospects from a CSV file: parsed in the browser, columns mapped, a dry run with a verdict per row, then
// the import in batches through the prospects API with a progress bar.
import { api } from "./api.js";
import { parseCsv } from "./csv.js";
import { esc, plural } from "./format.js";
import { TARGETS, dryRun, guessTarget, identities } from "./prospects-import.js";
import { errorBox, handleAuthError, main } from "./ui.js";
import { detailText } from "./words.js";

// Rows per call: the API takes up to 10,000. Each call costs a fixed part (a transaction, an enrollment and a
// re-plan in the scheduler), so a big file goes in calls of 10,000 (10 for 100,000 rows: the bar still moves every
// tenth); a small one in about 10 calls of at least 1,000. Two calls in flight keep the server busy while an
// answer travels back.
const batchSize = (rows) => Math.min(10000, Math.max(1000, Math.ceil(rows / 10)));
const IN_FLIGHT = 2;
const SHOWN = 200; // verdict rows drawn at once; the counts cover them all
const VERDICT = { new: "New", duplicate: "Duplicate", invalid: "Invalid" };

async function existingIdentities(id) {
  const found = new Set();
  let token = "";
  do {
    const page = await api("GET", `/campaigns/${id}/prospects?page_size=100${token ? `&page_token=${encodeURIComponent(token)}` : ""}`);
    page.prospects.forEach((p) => identities(p).forEach((x) => found.add(x)));
    token = page.next_page_token;
  } while (token);
  return found;
}

export function importView(id) {
  main.innerHTML = `<p><a href="#/campaigns/${esc(id)}">← Back to the campaign</a></p>
    <h1 id="import-title">Import prospects</h1>
    <section class="card" aria-labelledby="file-h"><h2 id="file-h">1. Choose a CSV file</h2>
      <label for="csv-file">CSV file (a header line, then one prospect a line)</label>
      <input id="csv-file" type="file" accept=".csv,text/csv" aria-describedby="csv-hint">
      <p class="hint" id="csv-hint">Read in your browser: nothing is sent until you import. Commas, semicolons or tabs.</p>
      <div id="file-out" aria-live="polite"></div></section>
    <section class="card" aria-labelledby="map-h" id="map-section" hidden><h2 id="map-h">2. Match the columns</h2>
      <div id="mapping"></div>
      <button type="button" id="dry-run" class="primary">Check the rows</button></section>
    <section class="card" aria-labelledby="check-h" id="check-section" hidden><h2 id="check-h">3. Check</h2>
      <p id="summary" aria-live="polite"></p>
      <label for="verdict-filter">Show</label>
      <select id="verdict-filter"><option value="all">Every row</option><option value="new">New</option>
        <option value="duplicate">Duplicates</option><option value="invalid">Invalid rows</option></select>
      <div id="verdicts"></div>
      <button type="button" id="import-btn" class="primary">Import</button></section>
    <section class="card" aria-labelledby="progress-h" id="progress-section" hidden><h2 id="progress-h">4. Import</h2>
      <label for="import-progress">Progress</label>
      <progress id="import-progress" value="0" max="1"></progress>
      <p id="progress-text" role="status"></p>
      <div id="import-out"></div></section>`;
  const $ = (x) => document.getElementById(x);
  let campaign = null;
  let parsed = null;
  let verdicts = [];

  api("GET", `/campaigns/${id}`).then((c) => {
    campaign = c;
    $("import-title").textContent = `Import prospects into “${c.name}”`;
    document.title = `Import prospects · ${c.name} · Holdfast`;
  }).catch((err) => { if (!handleAuthError(err)) $("file-out").innerHTML = errorBox(err); });

  $("csv-file").addEventListener("change", async () => {
    const file = $("csv-file").files[0];
    if (!file) return;
    $("file-out").innerHTML = `<p class="muted">Reading ${esc(file.name)}…</p>`;
    parsed = await parseCsv(await file.text());
    $("check-section").hidden = true;
    $("progress-section").hidden = true;
    if (!parsed.header.length || !parsed.rows.length) {
      $("file-out").innerHTML = `<div class="alert" role="alert"><p>This file has no rows under its header line.</p></div>`;
      $("map-section").hidden = true;
      return;
    }
    $("file-out").innerHTML = `<p>${esc(file.name)}: ${plural(parsed.rows.length, "row", "rows")},
      ${plural(parsed.header.length, "column", "columns")}.</p>`;
    $("mapping").innerHTML = `<div class="table-wrap"><table><thead><tr><th scope="col">Column</th>
      <th scope="col">First value</th><th scope="col">Use as</th></tr></thead><tbody>${parsed.header.map((h, col) => `
      <tr><th scope="row">${esc(h)}</th><td data-label="First value">${esc(parsed.rows[0][col] ?? "")}</td>
        <td data-label="Use as"><label class="visually-hidden" for="map-${col}">Use ${esc(h)} as</label>
        <select id="map-${col}" data-col="${col}">${Object.entries(TARGETS).map(([key, label]) =>
          `<option value="${key}" ${guessTarget(h) === key ? "selected" : ""}>${esc(label)}</option>`).join("")}</select></td></tr>`).join("")}
      </tbody></table></div>`;
    $("map-section").hidden = false;
    $("map-h").focus?.();
  });

  function drawVerdicts() {
    const filter = $("verdict-filter").value;
    const rows = verdicts.filter((v) => filter === "all" || v.status === filter);
    const who = (p) => [p.first_name, p.last_name].filter(Boolean).join(" ") || p.email || p.linkedin_url || p.linkedin_public_identifier
      || p.linkedin_provider_id || "—";
    $("verdicts").innerHTML = rows.length ? `<div class="table-wrap"><table><thead><tr><th scope="col">Line</th>
      <th scope="col">Prospect</th><th scope="col">Verdict</th><th scope="col">Why</th></tr></thead><tbody>
      ${rows.slice(0, SHOWN).map((v) => `<tr data-line="${v.line}" data-verdict="${v.status}"><td data-label="Line">${v.line}</td>
        <th scope="row">${esc(who(v.prospect))}</th><td data-label="Verdict"><span class="verdict verdict-${v.status}">${VERDICT[v.status]}</span></td>
        <td data-label="Why">${esc(v.reason || "—")}</td></tr>`).join("")}</tbody></table></div>
      ${rows.length > SHOWN ? `<p class="hint">The first ${SHOWN} of ${rows.length.toLocaleString("en")} rows are shown.</p>` : ""}`
      : "<p>No rows of this kind.</p>";
  }
  $("verdict-filter").addEventListener("change", drawVerdicts);

  $("dry-run").addEventListener("click", async () => {
    const mapping = parsed.header.map((_, col) => $(`map-${col}`).value);
    $("summary").textContent = "Checking…";
    $("check-section").hidden = false;
    try {
      const existing = await existingIdentities(id);
      const channels = new Set((campaign ? campaign.steps : []).map((s) => s.channel));
      verdicts = await dryRun(parsed.rows, mapping, parsed.header, channels, existing);
    } catch (err) {
      if (handleAuthError(err)) return;
      $("summary").innerHTML = errorBox(err);
      return;
    }
    const count = (s) => verdicts.filter((v) => v.status === s).length;
    $("summary").textContent = `${count("new").toLocaleString("en")} new, ${count("duplicate").toLocaleString("en")} duplicate, `
      + `${count("invalid").toLocaleString("en")} invalid.`;
    $("import-btn").textContent = `Import ${plural(count("new"), "new prospect", "new prospects")}`;
    $("import-btn").disabled = count("new") === 0;
    drawVerdicts();
    $("check-h").setAttribute("tabindex", "-1");
    $("check-h").focus();
  });

  $("import-btn").addEventListener("click", async () => {
    const fresh = verdicts.filter((v) => v.status === "new");
    $("import-btn").disabled = true;
    $("dry-run").disabled = true;
    $("progress-section").hidden = false;
    const bar = $("import-progress");
    bar.max = fresh.length;
    bar.value = 0;
    const totals = { added: 0, already: 0, refused: [] };
    try {
      const size = batchSize(fresh.length);
      const batches = [];
      for (let start = 0; start < fresh.length; start += size) batches.push(fresh.slice(start, start + size));
      let next = 0;
      let done = 0;
      const worker = async () => {
        while (next < batches.length) {
          const batch = batches[next];
          next += 1;
          const answer = await api("POST", `/campaigns/${id}/prospects`, { prospects: batch.map((v) => v.prospect) });
          totals.added += answer.added;
          totals.already += answer.already_present;
          answer.refused.forEach((r) => totals.refused.push({ line: batch[r.index].line, reason: detailText(r.message) }));
          done += batch.length;
          bar.value = done;
          $("progress-text").textContent = `${done.toLocaleString("en")} of ${fresh.length.toLocaleString("en")} sent.`;
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
      totals.refused.sort((a, b) => a.line - b.line);
      $("progress-text").textContent = `Done: ${plural(totals.added, "prospect", "prospects")} added`
        + `${totals.already ? `, ${totals.already.toLocaleString("en")} already there` : ""}`
        + `${totals.refused.length ? `, ${totals.refused.length.toLocaleString("en")} refused` : ""}.`;
      $("import-out").innerHTML = `${totals.refused.length ? `<ul>${totals.refused.slice(0, SHOWN).map((r) =>
        `<li>Line ${r.line}: ${esc(r.reason)}</li>`).join("")}</ul>` : ""}
        <p><a class="button primary" href="#/campaigns/${esc(id)}">Open the campaign</a></p>`;
    } catch (err) {
      if (handleAuthError(err)) return;
      $("import-out").innerHTML = errorBox(err, `<p>${plural(totals.added, "prospect was", "prospects were")} added before
        this. Importing the same file again adds only the rest.</p>`);
    } finally {
      $("dry-run").disabled = false;
    }
  });
  return { refresh: async () => {} };
}
