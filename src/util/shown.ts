/**
 * A value from a request as an error message quotes it (SPEC R-4): a string as it is, anything else as JSON.
 * Never `String(v)` or `${v}` on parsed input: a JSON object with a "toString" key (or an array holding one) makes
 * both throw, which turned a 400 into a 500.
 */
export function shown(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? 'undefined';
  } catch {
    return '(a value too deep to show)';
  }
}
