// CSV in the browser (RFC 4180): quoted fields with commas, quotes ("") and line breaks; CRLF or LF; a UTF-8 BOM;
// the delimiter (comma, semicolon or tab) guessed from the header line. The parse gives the page back every
// SLICE characters, so a file of 100,000 rows never freezes it. No I/O.

const SLICE = 256 * 1024;
const pause = () => new Promise((resolve) => { setTimeout(resolve, 0); });

export async function parseCsv(text) {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const firstLine = source.slice(0, source.search(/\r?\n|$/));
  const delimiter = [",", ";", "\t"].map((d) => [d, firstLine.split(d).length]).sort((a, b) => b[1] - a[1])[0][0];
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < source.length; i += 1) {
    if (i % SLICE === 0 && i) await pause();
    const c = source[i];
    if (quoted) {
      if (c === '"') {
        if (source[i + 1] === '"') { field += '"'; i += 1; } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === delimiter) { row.push(field); field = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && source[i + 1] === "\n") i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || row.length) { row.push(field); rows.push(row); }
  const filled = rows.filter((r) => r.some((v) => v.trim() !== ""));
  return { header: (filled[0] || []).map((h) => h.trim()), rows: filled.slice(1) };
}
