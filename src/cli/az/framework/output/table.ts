/**
 * `-o table`: knack's _TableOutput rendered like python-tabulate's "simple" format with numparse disabled.
 *
 * Each row is a dict: keys `id`, `type` and `etag` are skipped, so are null values, lists and nested dicts; the
 * first character of each column name is upper-cased; keys are sorted unless a --query or a table transformer
 * produced the rows. A list row becomes Column1..N, a scalar row a `Result` column. Columns are as wide as their
 * widest cell and at least the header plus 2, separated by two spaces, left-aligned, with a dashed rule under the
 * headers and trailing blanks trimmed.
 */
import { AzCliError } from '../errors.js';
import { isPlainObject, pythonStr } from './python-str.js';

const SKIP_KEYS = new Set(['id', 'type', 'etag']);
const MIN_PADDING = 2;

function capitalizeFirst(s: string): string {
  return s ? s[0]!.toUpperCase() + s.slice(1) : s;
}

function tableRow(item: unknown, sortKeys: boolean): Map<string, unknown> {
  const entry = new Map<string, unknown>();
  if (isPlainObject(item)) {
    const keys = sortKeys ? Object.keys(item).sort() : Object.keys(item);
    for (const k of keys) {
      if (SKIP_KEYS.has(k)) continue;
      const v = item[k];
      if (v !== null && v !== undefined && typeof v !== 'object') entry.set(capitalizeFirst(k), v);
    }
  } else if (Array.isArray(item)) {
    item.forEach((v, i) => entry.set(`Column${i + 1}`, v));
  } else {
    entry.set('Result', item);
  }
  return entry;
}

/** python-tabulate(rows, headers="keys", tablefmt="simple", disable_numparse=True). */
export function tabulateSimple(rows: Array<Map<string, unknown>>): string {
  const headers: string[] = [];
  for (const r of rows) for (const k of r.keys()) if (!headers.includes(k)) headers.push(k);
  if (headers.length === 0) return '';
  // tabulate strips surrounding whitespace from every cell (PRESERVE_WHITESPACE is off).
  const cells = rows.map((r) => headers.map((h) => (r.has(h) ? pythonStr(r.get(h)).trim() : '')));
  const widths = headers.map((h, c) => Math.max(h.length + MIN_PADDING, ...cells.map((row) => row[c]!.length)));
  const line = (parts: string[]) => parts.map((p, c) => p.padEnd(widths[c]!)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export function formatTable(result: unknown, opts: { queryActive: boolean; transformer?: (r: unknown) => unknown }): string {
  let data = result;
  try {
    if (opts.transformer && !opts.queryActive) data = opts.transformer(data);
    const list = Array.isArray(data) ? data : [data];
    const sortKeys = !opts.queryActive && !opts.transformer;
    const rows = list.map((item) => tableRow(item, sortKeys));
    // Rows without a single printable column make an empty table: az then prints a blank line.
    return `${rows.length === 0 ? '' : tabulateSimple(rows)}\n`;
  } catch {
    throw new AzCliError('Table output unavailable. Use the --query option to specify an appropriate query. Use --debug for more info.');
  }
}
