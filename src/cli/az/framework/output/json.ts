/**
 * `-o json`: knack's format_json, i.e. json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False) plus a
 * newline. Keys are sorted at every level, whatever order the service or --query produced.
 */
import { isPlainObject } from './python-str.js';

export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    // Python sorts str keys by code point; for the BMP that is UTF-16 code unit order, JS's default.
    for (const k of Object.keys(value).sort()) out[k] = sortKeysDeep(value[k]);
    return out;
  }
  return value;
}

export function formatJson(result: unknown): string {
  return `${JSON.stringify(sortKeysDeep(result), null, 2)}\n`;
}

const COLORS = { key: '\u001b[94m', string: '\u001b[32m', number: '\u001b[93m', literal: '\u001b[95m', reset: '\u001b[39m' };

/** `-o jsonc`: the same text with ANSI colors (only used when stdout is a terminal, as az does). */
export function formatJsonColor(result: unknown): string {
  const text = formatJson(result);
  return text.replace(/("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/g, (m, str, colon, lit, num) => {
    if (str) return colon ? `${COLORS.key}${str}${COLORS.reset}${colon}` : `${COLORS.string}${str}${COLORS.reset}`;
    if (lit) return `${COLORS.literal}${lit}${COLORS.reset}`;
    if (num) return `${COLORS.number}${num}${COLORS.reset}`;
    return m;
  });
}
