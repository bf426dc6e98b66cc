/** List continue tokens (kube-apiserver's etcd3 form: the list's revision and the key to start after). */
import { kubeErrors } from '../machinery/errors.js';

const CONTINUE_VERSION = 'meta.k8s.io/v1';

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

export function encodeContinue(rv: number, lastKey: string, prefix: string): string {
  const token: ContinueToken = { v: CONTINUE_VERSION, rv, start: `${lastKey.slice(prefix.length)}\u0000` };
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

export function decodeContinue(token: string, prefix: string): { rv: number; after: string } {
  let parsed: ContinueToken;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken;
  } catch {
    throw kubeErrors.badRequest('continue key is not valid: illegal base64 data or not a continue token');
  }
  if (parsed?.v !== CONTINUE_VERSION || typeof parsed.rv !== 'number' || typeof parsed.start !== 'string' || !parsed.start.endsWith('\u0000')) {
    throw kubeErrors.badRequest(`continue key is not valid: server does not recognize this encoded key`);
  }
  const rel = parsed.start.slice(0, -1);
  if (rel.includes('..') || rel.startsWith('/')) throw kubeErrors.badRequest('continue key is not valid: key is not a relative path');
  return { rv: parsed.rv, after: `${prefix}${rel}` };
}

/** The largest resource version: etcd's revisions are int64, kube-apiserver parses them as uint64. */
const MAX_RV = 2n ** 64n - 1n;

export function parseRv(value: string, what = 'resourceVersion'): number {
  if (!/^\d+$/.test(value)) throw kubeErrors.badRequest(`invalid ${what}: ${JSON.stringify(value)} is not a resource version`);
  // Beyond uint64 it is no resource version at all (a 400, as strconv.ParseUint makes it upstream); within it, one
  // newer than the store's is waited for and then refused with 504 ResourceVersionTooLarge, as upstream does.
  if (BigInt(value) > MAX_RV) throw kubeErrors.badRequest(`invalid ${what}: strconv.ParseUint: parsing ${JSON.stringify(value)}: value out of range`);
  return Number(value);
}
