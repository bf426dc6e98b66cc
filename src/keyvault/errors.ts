/**
 * Key Vault data-plane errors: `{"error":{"code","message","innererror"?}}` with the service's codes (SPEC V-3,
 * V-4, "clear error"): BadParameter 400, Unauthorized 401 (+ the challenge), Forbidden 403 (ForbiddenByPolicy,
 * ForbiddenByRbac, ForbiddenByConnection, ForbiddenByFirewall, KeyDisabled, KeyOperationForbidden...), KeyNotFound
 * 404, Conflict 409.
 */
export class KvError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly innerCode?: string,
  ) {
    super(message);
    this.name = 'KvError';
  }

  toBody(): { error: { code: string; message: string; innererror?: { code: string } } } {
    return { error: { code: this.code, message: this.message, ...(this.innerCode ? { innererror: { code: this.innerCode } } : {}) } };
  }
}

export const kvErrors = {
  badParameter: (message: string) => new KvError(400, 'BadParameter', message),
  keyNotFound: (name: string) =>
    new KvError(
      404,
      'KeyNotFound',
      `A key with (name/id) ${name} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
    ),
  keyVersionNotFound: (name: string, version: string) =>
    new KvError(404, 'KeyNotFound', `A key with (name/id) ${name}/${version} was not found in this key vault. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`),
  deletedKeyNotFound: (name: string) => new KvError(404, 'KeyNotFound', `Deleted Key not found: ${name}`),
  deletedButRecoverable: (name: string) =>
    new KvError(
      409,
      'Conflict',
      `Key ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the key can only be recovered or purged.`,
      'ObjectIsDeletedButRecoverable',
    ),
  operationNotPermitted: (op: string) => new KvError(403, 'Forbidden', `Operation ${op} is not permitted on this key.`, 'KeyOperationForbidden'),
  keyDisabled: (op: string) => new KvError(403, 'Forbidden', `Operation ${op} is not allowed on a disabled key.`, 'KeyDisabled'),
  keyExpired: (op: string) => new KvError(403, 'Forbidden', `Operation ${op} is not allowed on an expired key.`, 'KeyExpired'),
  keyNotYetValid: (op: string) => new KvError(403, 'Forbidden', `Operation ${op} is not allowed on a key that is not yet valid.`, 'KeyNotYetValid'),
};
