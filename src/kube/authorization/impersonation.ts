/**
 * User impersonation (`kubectl --as`, `--as-group`, `--as-uid`; the Impersonate-* headers), as kube-apiserver's
 * impersonation filter does it (SPEC Z-3): each impersonated attribute needs the `impersonate` verb on
 * `users`, `groups`, `serviceaccounts` (for `system:serviceaccount:<ns>:<name>`), `uids` or `userextras/<key>`
 * (authentication.k8s.io), and the request then runs as the impersonated user, authenticated groups added.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { kubeErrors } from '../api/machinery/errors.js';
import type { UserInfo } from '../auth.js';
import { forbidden, type Authorizer, type ResourceAttributes } from './attributes.js';

const SERVICE_ACCOUNT = /^system:serviceaccount:([^:]+):([^:]+)$/;

function values(headers: IncomingHttpHeaders, name: string): string[] {
  const v = headers[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : String(v).split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
}

/** The user a request acts as: `user` itself when it impersonates no one; throws 403 (or 400) otherwise. */
export async function impersonate(authz: Authorizer, user: UserInfo, headers: IncomingHttpHeaders): Promise<UserInfo> {
  const as = values(headers, 'impersonate-user')[0];
  const groups = values(headers, 'impersonate-group');
  const uid = values(headers, 'impersonate-uid')[0];
  const extraKeys = Object.keys(headers).filter((h) => h.startsWith('impersonate-extra-'));
  if (as === undefined) {
    if (groups.length > 0 || uid !== undefined || extraKeys.length > 0) throw kubeErrors.badRequest('requested Impersonate-Group, Impersonate-Extra or Impersonate-Uid without impersonating a user');
    return user;
  }
  const check = async (a: Omit<ResourceAttributes, 'resourceRequest' | 'verb' | 'subresource' | 'apiVersion'>) => {
    const attrs: ResourceAttributes = { resourceRequest: true, verb: 'impersonate', subresource: '', apiVersion: 'v1', ...a };
    const d = await authz.authorize(user, attrs);
    if (!d.allowed) throw forbidden(user.username, attrs, d.reason);
  };
  const sa = SERVICE_ACCOUNT.exec(as);
  if (sa) await check({ apiGroup: '', resource: 'serviceaccounts', namespace: sa[1]!, name: sa[2]! });
  else await check({ apiGroup: '', resource: 'users', namespace: '', name: as });
  for (const g of groups) await check({ apiGroup: '', resource: 'groups', namespace: '', name: g });
  if (uid !== undefined) await check({ apiGroup: 'authentication.k8s.io', resource: 'uids', namespace: '', name: uid });
  const extra: Record<string, string[]> = {};
  for (const h of extraKeys) {
    const key = decodeURIComponent(h.slice('impersonate-extra-'.length));
    for (const v of values(headers, h)) await check({ apiGroup: 'authentication.k8s.io', resource: `userextras/${key}`, namespace: '', name: v });
    extra[key] = values(headers, h);
  }
  const impliedGroups = sa ? ['system:serviceaccounts', `system:serviceaccounts:${sa[1]}`] : [];
  const all = [...groups, ...impliedGroups];
  if (as !== 'system:anonymous' && !all.includes('system:authenticated')) all.push('system:authenticated');
  return { username: as, uid: uid ?? '', groups: all, extra };
}
