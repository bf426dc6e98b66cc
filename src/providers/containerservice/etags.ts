/**
 * Optimistic concurrency on managed clusters and agent pools, as AKS does it (SPEC C-12): each carries an `eTag`
 * that changes with every change a client makes (the cluster's at the top level, a pool's in its properties and in
 * the cluster's agentPoolProfiles), and a PUT, PATCH or DELETE with `If-Match` / `If-None-Match` proceeds only
 * when the current eTag satisfies them; otherwise 412 PreconditionFailed and nothing changes.
 */
import { ArmError } from '../../arm/errors.js';
import type { ArmRequest } from '../../arm/router.js';
import { newGuid } from '../../util/ids.js';

export function newETag(): string {
  return newGuid();
}

/** The entity tags a header lists (`"a", W/"b"` or `*`). */
function listed(header: string | string[] | undefined): string[] | undefined {
  if (header === undefined) return undefined;
  const raw = Array.isArray(header) ? header.join(',') : header;
  const tags = raw
    .split(',')
    .map((t) => t.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1'))
    .filter((t) => t !== '');
  return tags.length > 0 ? tags : undefined;
}

function preconditionFailed(message: string): ArmError {
  return new ArmError(412, 'PreconditionFailed', message);
}

/**
 * Checks a request's If-Match / If-None-Match against the current eTag of `what` (undefined: it does not exist).
 * Throws the 412 AKS answers when a condition does not hold.
 */
export function requirePreconditions(req: Pick<ArmRequest, 'headers'>, current: string | undefined, what: string): void {
  const ifMatch = listed(req.headers['if-match']);
  if (ifMatch) {
    const matches = current !== undefined && (ifMatch.includes('*') || ifMatch.includes(current));
    if (!matches) {
      throw preconditionFailed(
        current === undefined
          ? `Operation is not allowed: the request's If-Match header requires ${what} to exist, and it does not.`
          : `Operation is not allowed: the request's If-Match header (${ifMatch.join(', ')}) does not match the current eTag '${current}' of ${what}. Read it again and retry with its current eTag.`,
      );
    }
  }
  const ifNoneMatch = listed(req.headers['if-none-match']);
  if (ifNoneMatch && current !== undefined && (ifNoneMatch.includes('*') || ifNoneMatch.includes(current))) {
    throw preconditionFailed(
      ifNoneMatch.includes('*')
        ? `Operation is not allowed: the request's If-None-Match header '*' requires that ${what} does not exist, and it does.`
        : `Operation is not allowed: the request's If-None-Match header matches the current eTag '${current}' of ${what}.`,
    );
  }
}
