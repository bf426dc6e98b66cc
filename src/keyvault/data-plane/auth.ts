/**
 * Who may do what on the data plane, in the order every request goes through it (SPEC V-4, K-5, K-6): the vault
 * exists → a bearer token for Key Vault's audience from the vault's tenant (else 401 with Key Vault's challenge)
 * → a supported api-version → the network rules → the access policy or RBAC decision for the route's operation.
 *
 * The first request of an SDK carries no token and an empty body; the answer is exactly what @azure/keyvault-keys
 * and az expect: 401, `WWW-Authenticate: Bearer authorization="https://login.microsoftonline.com/{tenant}",
 * resource="https://vault.azure.net"` and `{"error":{"code":"Unauthorized","message":"AKV10000: Request is missing
 * a Bearer or PoP token."}}`.
 */
import type { Caller } from '../../identity/authenticate.js';
import { bearerToken, callerFromClaims } from '../../identity/authenticate.js';
import { TokenValidationError, type TokenService } from '../../identity/tokens.js';
import { accessPolicyAllows, checkNetwork, forbiddenByPolicy, forbiddenByRbac, OPERATIONS } from '../access.js';
import { checkKeyVaultApiVersion } from '../api-version.js';
import { KvError } from '../errors.js';
import type { VaultResource } from '../vault-model.js';
import type { OperationDeps } from './deps.js';
import type { RequestContext } from './request.js';

export const VAULT_AUDIENCES = ['https://vault.azure.net', 'https://vault.azure.net/', 'cfa8b339-82a2-471a-a3c9-0fc0be7a4093'];

/** A 401 carries the challenge that tells the client where to get a token for this vault's tenant. */
export type ChallengedError = KvError & { challenge?: string };

function challenge(tenantId: string): string {
  return `Bearer authorization="https://login.microsoftonline.com/${tenantId}", resource="https://vault.azure.net"`;
}

/** The 404 for a vault name nobody holds (no audit event: there is no vault to log to). */
export function vaultNotFoundBody(name: string) {
  return { error: { code: 'VaultNotFound', message: `The vault '${name}' does not exist (Azure's DNS would not resolve ${name}.vault.azure.net).` } };
}

/** The caller of a request's `Authorization` header, or a ChallengedError 401 in Key Vault's words. */
export async function authenticate(tokens: TokenService, authorization: string | undefined, vault: VaultResource): Promise<Caller> {
  const tenantId = vault.properties.tenantId;
  const unauthorized = (message: string) => {
    const e: ChallengedError = new KvError(401, 'Unauthorized', message);
    e.challenge = challenge(tenantId);
    return e;
  };
  const token = bearerToken(authorization);
  if (token === undefined || token === null) throw unauthorized('AKV10000: Request is missing a Bearer or PoP token.');
  try {
    const claims = await tokens.verify(token, VAULT_AUDIENCES);
    if (claims.tid.toLowerCase() !== tenantId.toLowerCase()) {
      throw unauthorized(`AKV10032: Invalid issuer. Expected one of https://sts.windows.net/${tenantId}/, https://login.microsoftonline.com/${tenantId}/v2.0, found https://sts.windows.net/${claims.tid}/.`);
    }
    return callerFromClaims(claims);
  } catch (err) {
    if (!(err instanceof TokenValidationError)) throw err;
    if (err.problem === 'audience') throw unauthorized(`AKV10022: Invalid audience. Expected https://vault.azure.net, found: ${err.audience}.`);
    if (err.problem === 'expired') throw unauthorized('AKV10032: Token expired.');
    throw unauthorized('AKV10012: The access token is not valid: its signature could not be verified.');
  }
}

/**
 * The checks between authentication and the route: the api-version (kept on the context) and the network rules.
 * `address` is the TCP peer ('' through a private endpoint).
 */
export function admit(c: RequestContext, apiVersion: string | null, address: string, viaPrivateEndpointOfThisVault: boolean): void {
  c.apiVersion = checkKeyVaultApiVersion(apiVersion);
  checkNetwork(c.vault, c.caller, address, viaPrivateEndpointOfThisVault);
}

/** SPEC V-4: access policy or RBAC for the request's operation on `keyName` (or the vault). */
export async function authorize(d: Pick<OperationDeps, 'authz'>, c: RequestContext, keyName?: string): Promise<void> {
  if (!c.operation) throw new Error('a data-plane route without an operation asked for authorization');
  const spec = OPERATIONS[c.operation];
  c.audit.op = spec.name;
  if (keyName) c.audit.keyName = keyName;
  if (c.vault.properties.enableRbacAuthorization) {
    const resource = keyName ? `${c.vault.id}/keys/${keyName}` : c.vault.id;
    const grant = await d.authz.grant(c.caller.objectId, resource, spec.dataAction, 'dataAction');
    c.audit.rbac = grant !== undefined;
    if (!grant) throw forbiddenByRbac(c.vault, c.caller, spec.dataAction, resource);
  } else {
    const ok = accessPolicyAllows(c.vault, c.caller, spec.permission);
    c.audit.policyMatch = ok;
    if (!ok) throw forbiddenByPolicy(c.vault, c.caller, spec.permission);
  }
}
