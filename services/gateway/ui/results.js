// Results in words and pictures: rates, the per-step table and the per-day chart (inline SVG drawn here, no
// library). Pure functions from the stats API's answer to markup.
import { esc } from "./format.js";
import { stepLabel } from "./words.js";

export function rate(part, whole) {
  if (!whole) return "—";
  const value = (100 * part) / whole;
  return `${value >= 10 || value === 0 ? Math.round(value) : value.toFixed(1)}%`;
}

const n = (value) => Number(value).toLocaleString("en");

// The share of prospects who are through the sequence (finished or stopped).
export function progress(stats) {
  const through = stats.finished + stats.stopped;
  return { through, enrolled: stats.enrolled, percent: stats.enrolled ? Math.round((100 * through) / stats.enrolled) : 0 };
}

export function progressMarkup(stats, id) {
  const p = progress(stats);
  return `<div class="progress-line"><label for="${esc(id)}">Through the sequence</label>
    <progress id="${esc(id)}" max="${Math.max(p.enrolled, 1)}" value="${p.through}"></progress>
    <span>${n(p.through)} of ${n(p.enrolled)} prospects (${p.percent}%)</span></div>`;
}

export function stepsTable(stats) {
  return `<div class="table-wrap" role="region" aria-label="Results per step" tabindex="0"><table class="results">
    <thead><tr><th scope="col">Step</th><th scope="col">Reached</th><th scope="col">Sent</th>
      <th scope="col">Accepted</th><th scope="col">Failed</th><th scope="col">Bounced</th></tr></thead>
    <tbody>${stats.steps.map((s) => `<tr data-step="${s.index}">
      <th scope="row">${s.index + 1}. ${esc(stepLabel(s))}</th>
      <td data-label="Reached">${n(s.reached)}</td>
      <td data-label="Sent">${n(s.sent)}</td>
      <td data-label="Accepted">${s.action === "invite" ? `${n(s.accepted)} (${rate(s.accepted, s.sent)})` : "—"}</td>
      <td data-label="Failed">${n(s.failed)} (${rate(s.failed, s.sent + s.failed)})</td>
      <td data-label="Bounced">${s.channel === "email" ? `${n(s.bounced)} (${rate(s.bounced, s.sent)})` : "—"}</td>
    </tr>`).join("")}</tbody></table></div>`;
}

// Sends per day as bars (failures stacked on top), with the figures in a table for screen readers and keyboards.
export function dayChart(days, titleId) {
  if (!days.length) return `<p id="${esc(titleId)}">Nothing sent yet.</p>`;
  const width = 640, height = 180, left = 36, bottom = 28, top = 10;
  const max = Math.max(...days.map((d) => d.sent + d.failed), 1);
  const slot = (width - left) / days.length;
  const bar = Math.max(Math.min(slot * 0.7, 40), 2);
  const y = (v) => top + (height - top - bottom) * (1 - v / max);
  const bars = days.map((d, i) => {
    const x = left + i * slot + (slot - bar) / 2;
    return `<g><rect class="bar-sent" x="${x}" y="${y(d.sent)}" width="${bar}" height="${y(0) - y(d.sent)}"></rect>
      <rect class="bar-failed" x="${x}" y="${y(d.sent + d.failed)}" width="${bar}" height="${y(d.sent) - y(d.sent + d.failed)}"></rect></g>`;
  }).join("");
  const label = (d, i) => `<text x="${left + i * slot + slot / 2}" y="${height - 8}" text-anchor="middle">${esc(d.date.slice(5))}</text>`;
  const shown = days.length <= 8 ? days.map(label) : [label(days[0], 0), label(days[days.length - 1], days.length - 1)];
  const total = days.reduce((a, d) => a + d.sent, 0);
  return `<figure class="chart"><svg viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${esc(titleId)}"
      preserveAspectRatio="xMinYMin meet">
      <title id="${esc(titleId)}">Sends per day: ${n(total)} sent over ${days.length} day${days.length === 1 ? "" : "s"}, at most ${n(max)} a day</title>
      <line x1="${left}" x2="${width}" y1="${y(0)}" y2="${y(0)}" class="axis"></line>
      <text x="${left - 6}" y="${y(max) + 4}" text-anchor="end">${n(max)}</text>
      <text x="${left - 6}" y="${y(0)}" text-anchor="end">0</text>
      ${bars}${shown.join("")}</svg>
    <figcaption><span class="key key-sent"></span> sent <span class="key key-failed"></span> failed</figcaption>
    <details><summary>Figures per day</summary><table><thead><tr><th scope="col">Day</th><th scope="col">Sent</th>
      <th scope="col">Failed</th><th scope="col">Bounced</th></tr></thead><tbody>${days.map((d) => `<tr>
      <th scope="row">${esc(d.date)}</th><td>${n(d.sent)}</td><td>${n(d.failed)}</td><td>${n(d.bounced)}</td></tr>`).join("")}
      </tbody></table></details></figure>`;
}

// A sender's day against its caps; `limits` is the sender's limits of its main action type.
export function senderUsage(stats, limits) {
  if (!limits) return `${n(stats.sent_today)} today`;
  return `Today ${n(stats.sent_today)} of ${n(limits.daily_cap)} (daily cap), ramp day ${stats.ramp_day + 1}; `
    + `last 7 days ${n(stats.sent_last_7_days)} of ${n(limits.weekly_cap)} (weekly cap)`;
}
