/**
 * `-o tsv`: knack's _TsvOutput. One line per item of a list result (or one line for a single result); a dict
 * becomes its values separated by tabs, in key order (sorted, except for dicts built by --query, which keep their
 * order), a nested list becomes its length, a nested dict an empty field; a top-level boolean is lowercase.
 */
import { isPlainObject, pythonStr } from './python-str.js';

function field(value: unknown): string {
  if (Array.isArray(value)) return String(value.length);
  if (isPlainObject(value)) return '';
  return pythonStr(value);
}

export function formatTsv(result: unknown, keepsOrder: (obj: object) => boolean): string {
  const rows = Array.isArray(result) ? result : [result];
  let out = '';
  for (const row of rows) {
    if (isPlainObject(row)) {
      const keys = keepsOrder(row) ? Object.keys(row) : Object.keys(row).sort();
      out += keys.map((k) => field(row[k])).join('\t');
    } else if (Array.isArray(row)) {
      out += row.map(field).join('\t');
    } else if (typeof row === 'boolean') {
      out += row ? 'true' : 'false';
    } else {
      out += field(row);
    }
    out += '\n';
  }
  return out;
}
