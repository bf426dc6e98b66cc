/**
 * Paged ARM lists: a list operation that takes `$top` answers at most that many items and a `nextLink` that carries
 * on where the page ended, with an opaque `$skiptoken` (the position), as resource providers do (SPEC V-1, P-4).
 * A list without `$top` is one page.
 */
import { ArmError } from './errors.js';
import type { ArmRequest } from './router.js';

function badParameter(name: string, value: string, why: string): ArmError {
  return new ArmError(400, 'InvalidParameter', `The value '${value}' of query parameter '${name}' is invalid: ${why}.`, name);
}

/** The position a `$skiptoken` of ours stands for. */
function offsetOf(token: string | null): number {
  if (token === null) return 0;
  try {
    const o = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown }).o;
    if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return o;
  } catch {
    /* not one of ours */
  }
  throw badParameter('$skiptoken', token, 'it is not a token of a previous page of this list');
}

export function page<T>(items: T[], req: Pick<ArmRequest, 'query' | 'baseUrl' | 'path'>, topParameter = '$top'): { value: T[]; nextLink?: string } {
  const rawTop = req.query.get(topParameter);
  const start = offsetOf(req.query.get('$skiptoken'));
  if (rawTop === null) return { value: items.slice(start) };
  const top = Number(rawTop);
  if (!Number.isInteger(top) || top < 1) throw badParameter(topParameter, rawTop, 'it must be a positive integer');
  const value = items.slice(start, start + top);
  if (start + top >= items.length) return { value };
  const next = new URLSearchParams(req.query);
  next.set('$skiptoken', Buffer.from(JSON.stringify({ o: start + top })).toString('base64url'));
  // Written as ARM writes it: `$top` and `$skiptoken` with their dollar signs, values encoded.
  const query = [...next].map(([k, v]) => `${encodeURIComponent(k).replace(/^%24/, '$')}=${encodeURIComponent(v)}`).join('&');
  return { value, nextLink: `${req.baseUrl}${req.path}?${query}` };
}
