/**
 * The Key Vault data plane (SPEC V-2..V-5) at `https://<vault>.vault.azure.net/` — through the proxy — and at
 * the direct address `https://127.0.0.1:PORT/_vault/<vault>/...` (the front door maps the host name onto that
 * prefix). Every request: vault lookup → bearer authentication with Key Vault's 401 challenge → api-version →
 * network rules → access policy or RBAC → the operation → an audit event.
 *
 * The first request of an SDK carries no token and an empty body; the answer is exactly what @azure/keyvault-keys
 * and az expect: 401, `WWW-Authenticate: Bearer authorization="https://login.microsoftonline.com/{tenant}",
 * resource="https://vault.azure.net"` and `{"error":{"code":"Unauthorized","message":"AKV10000: Request is missing
 * a Bearer or PoP token."}}`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../identity/authenticate.js';
import { bearerToken, callerFromClaims } from '../identity/authenticate.js';
import { TokenValidationError, type TokenService } from '../identity/tokens.js';
import type { Clock } from '../runtime/clock.js';
import type { Sealer } from '../secrets/sealer.js';
import { randomHex } from '../util/ids.js';
import type { RoleAssignments } from '../providers/authorization/role-assignments.js';
import { privateEndpointOf } from './private-endpoints.js';
import type { VaultResource } from './vault-model.js';
import type { Vaults } from './vaults.js';
import { accessPolicyAllows, checkNetwork, clientAddress, forbiddenByPolicy, forbiddenByRbac, OPERATIONS, type OperationId } from './access.js';
import { checkKeyVaultApiVersion } from './api-version.js';
import type { AuditEvent, AuditLog } from './audit.js';
import { deletedFields, keyBundle, keyItem, kidOf, vaultBase } from './bundle.js';
import { KvError, kvErrors } from './errors.js';
import {
  checkSignatureInput,
  CURVES,
  defaultKeyOps,
  generateKey,
  importJwk,
  isEncryptionAlgorithm,
  isRsa,
  isSignatureAlgorithm,
  KEY_OPS,
  publicJwk,
  RSA_SIZES,
  rsaDecrypt,
  rsaEncrypt,
  sign,
  verify,
  type Curve,
  type KeyType,
} from './key-crypto.js';
import type { KeyMeta, KeyStore, KeyVersionRecord, LoadedKey } from './key-store.js';
import type { CryptoPool } from './crypto-pool.js';
import type { PrivateExecutor } from './key-crypto.js';

export const VAULT_AUDIENCES = ['https://vault.azure.net', 'https://vault.azure.net/', 'cfa8b339-82a2-471a-a3c9-0fc0be7a4093'];
/** Largest request body the data plane reads (a JWK import of a 4096-bit key is about 4 KB). */
export const MAX_BODY_BYTES = 256 * 1024;
const DAY = 86_400;
const KEY_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const VERSION = /^[0-9a-f]{32}$/i;
const B64 = /^[A-Za-z0-9_\-+/]*={0,2}$/;

export interface DataPlaneDeps {
  vaults: Vaults;
  keys: KeyStore;
  audit: AuditLog;
  authz: RoleAssignments;
  tokens: TokenService;
  sealer: Sealer;
  clock: Clock;
  /** Runs RSA private-key operations (worker threads; inline when absent). */
  pool?: CryptoPool;
}

interface Ctx {
  req: FastifyRequest;
  vault: VaultResource;
  caller: Caller;
  apiVersion: string;
  body: () => Record<string, unknown>;
  /** Filled by the operation for the audit event. */
  audit: { op?: string; keyName?: string; keyVersion?: string; policyMatch?: boolean; rbac?: boolean };
}

interface Result {
  status: number;
  body?: unknown;
}

function challenge(tenantId: string): string {
  return `Bearer authorization="https://login.microsoftonline.com/${tenantId}", resource="https://vault.azure.net"`;
}

function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  reply.code(status).header('x-ms-keyvault-service-version', '1.9.2000.1').header('x-ms-keyvault-region', 'aksemu');
  if (body === undefined) return reply.send();
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
}

export function b64(value: unknown, field: string): Buffer {
  if (typeof value !== 'string') throw kvErrors.badParameter(`The parameter '${field}' is required and must be a base64url string.`);
  if (!B64.test(value)) throw kvErrors.badParameter(`The parameter '${field}' is not valid base64url.`);
  return Buffer.from(value.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), 'base64url');
}

const b64u = (buf: Buffer) => buf.toString('base64url');

function parseTags(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw kvErrors.badParameter("The parameter 'tags' must be an object of strings.");
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 15) throw kvErrors.badParameter('A key can have at most 15 tags.');
  for (const [k, v] of entries) {
    if (typeof v !== 'string' || k.length > 512 || v.length > 256) throw kvErrors.badParameter(`The tag '${k}' must be a string of at most 256 characters (names at most 512).`);
  }
  return value as Record<string, string>;
}

function parseKeyOps(value: unknown, kty: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw kvErrors.badParameter("The parameter 'key_ops' must be an array.");
  return value.map((op) => {
    if (typeof op !== 'string' || !KEY_OPS.includes(op)) throw kvErrors.badParameter(`Invalid key operation '${String(op)}'. Valid operations are ${KEY_OPS.join(', ')}.`);
    if (!isRsa(kty) && !['sign', 'verify', 'import', 'export'].includes(op)) throw kvErrors.badParameter(`The key operation '${op}' is not valid for a key of type ${kty}.`);
    return op;
  });
}

function parseTime(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw kvErrors.badParameter(`The attribute '${field}' must be a number of seconds since 1970-01-01.`);
  return Math.floor(value);
}

function parseAttributes(value: unknown): { enabled?: boolean; nbf?: number | undefined; exp?: number | undefined; exportable?: boolean; hasNbf: boolean; hasExp: boolean } {
  if (value === undefined || value === null) return { hasNbf: false, hasExp: false };
  if (typeof value !== 'object' || Array.isArray(value)) throw kvErrors.badParameter("The parameter 'attributes' must be an object.");
  const a = value as Record<string, unknown>;
  if (a.enabled !== undefined && typeof a.enabled !== 'boolean') throw kvErrors.badParameter("The attribute 'enabled' must be a boolean.");
  if (a.exportable !== undefined && a.exportable !== false) throw kvErrors.badParameter('Exportable keys need a release policy, which aksemu does not support.');
  return {
    ...(a.enabled !== undefined ? { enabled: a.enabled as boolean } : {}),
    nbf: parseTime(a.nbf, 'nbf'),
    exp: parseTime(a.exp, 'exp'),
    hasNbf: 'nbf' in a,
    hasExp: 'exp' in a,
  };
}

export function registerDataPlane(app: FastifyInstance, deps: DataPlaneDeps): void {
  const now = () => Math.floor(deps.clock.nowMs() / 1000);

  const authenticate = async (req: FastifyRequest, vault: VaultResource): Promise<Caller> => {
    const tenantId = vault.properties.tenantId;
    const unauthorized = (message: string) => {
      const e = new KvError(401, 'Unauthorized', message);
      (e as KvError & { challenge?: string }).challenge = challenge(tenantId);
      return e;
    };
    const token = bearerToken(req.headers.authorization);
    if (token === undefined || token === null) throw unauthorized('AKV10000: Request is missing a Bearer or PoP token.');
    try {
      const claims = await deps.tokens.verify(token, VAULT_AUDIENCES);
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
  };

  /** SPEC V-4: network, then access policy or RBAC, for operation `op` on `keyName` (or the vault). */
  const authorize = async (c: Ctx, op: OperationId, keyName?: string): Promise<void> => {
    const spec = OPERATIONS[op];
    c.audit.op = spec.name;
    if (keyName) c.audit.keyName = keyName;
    if (c.vault.properties.enableRbacAuthorization) {
      const resource = keyName ? `${c.vault.id}/keys/${keyName}` : c.vault.id;
      const grant = await deps.authz.grant(c.caller.objectId, resource, spec.dataAction, 'dataAction');
      c.audit.rbac = grant !== undefined;
      if (!grant) throw forbiddenByRbac(c.vault, c.caller, spec.dataAction, resource);
    } else {
      const ok = accessPolicyAllows(c.vault, c.caller, spec.permission);
      c.audit.policyMatch = ok;
      if (!ok) throw forbiddenByPolicy(c.vault, c.caller, spec.permission);
    }
  };

  const requireName = (name: string) => {
    if (!KEY_NAME.test(name)) throw kvErrors.badParameter(`The key name '${name}' is invalid: it must be 1-127 characters of letters, digits and hyphens.`);
  };

  /** The active (not deleted) key's meta, or 404. */
  const activeMeta = async (c: Ctx, name: string): Promise<{ meta: KeyMeta; modRevision: number }> => {
    const { meta, modRevision } = await deps.keys.meta(c.vault.name, name);
    if (!meta || meta.deleted) throw kvErrors.keyNotFound(name);
    return { meta, modRevision };
  };

  const latestOf = (meta: KeyMeta) => meta.versions[meta.versions.length - 1]!;

  const loadVersion = async (c: Ctx, name: string, version: string | undefined): Promise<LoadedKey> => {
    const { meta } = await activeMeta(c, name);
    const v = version ?? latestOf(meta);
    if (version !== undefined && !meta.versions.some((x) => x.toLowerCase() === version.toLowerCase())) throw kvErrors.keyVersionNotFound(name, version);
    const loaded = await deps.keys.load(c.vault.name, meta.name, v);
    if (!loaded) throw kvErrors.keyVersionNotFound(name, v);
    c.audit.keyName = meta.name;
    c.audit.keyVersion = loaded.record.version;
    return loaded;
  };

  const newVersionRecord = async (
    c: Ctx,
    name: string,
    kty: KeyType,
    pair: { privateKey: import('node:crypto').KeyObject; publicKey: import('node:crypto').KeyObject },
    keyOps: string[],
    attrs: ReturnType<typeof parseAttributes>,
    tags: Record<string, string>,
  ): Promise<KeyVersionRecord> => {
    const version = randomHex(16);
    const t = now();
    return {
      name,
      version,
      kty,
      keyOps,
      jwk: publicJwk(pair.publicKey),
      attributes: {
        enabled: attrs.enabled ?? true,
        ...(attrs.nbf !== undefined ? { nbf: attrs.nbf } : {}),
        ...(attrs.exp !== undefined ? { exp: attrs.exp } : {}),
        created: t,
        updated: t,
        exportable: false,
      },
      tags,
      sealedPrivateKey: deps.keys.seal(c.vault.name, name, version, pair.privateKey),
    };
  };

  /** Appends a version to a key (creating the key if absent); refuses names of deleted keys. */
  const addVersion = async (c: Ctx, name: string, build: () => Promise<KeyVersionRecord>): Promise<KeyVersionRecord> => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const { meta, modRevision } = await deps.keys.meta(c.vault.name, name);
      if (meta?.deleted) throw kvErrors.deletedButRecoverable(name);
      const record = await build();
      // Names are case-insensitive: a new version keeps the casing the key was created with (the seal's purpose
      // is the lowercased kid, so it does not depend on casing).
      if (meta) record.name = meta.name;
      const next: KeyMeta = { ...(meta ?? { name }), name: meta?.name ?? name, versions: [...(meta?.versions ?? []), record.version] };
      if (await deps.keys.write(c.vault.name, next, modRevision, [record])) return record;
    }
    throw new KvError(409, 'Conflict', `The key '${name}' was changed by another request; retry the operation.`);
  };

  const createKey = async (c: Ctx, name: string): Promise<Result> => {
    requireName(name);
    await authorize(c, 'create', name);
    const body = c.body();
    if (body.release_policy !== undefined && body.release_policy !== null) throw kvErrors.badParameter('Key release policies (secure key release) are not supported by aksemu.');
    const kty = body.kty;
    if (kty === undefined) throw kvErrors.badParameter("Property 'kty' is required.");
    if (typeof kty !== 'string' || !['RSA', 'RSA-HSM', 'EC', 'EC-HSM'].includes(kty)) {
      throw kvErrors.badParameter(`The key type '${String(kty)}' is not supported by a vault. Supported: RSA, RSA-HSM, EC, EC-HSM (oct keys exist only in managed HSMs).`);
    }
    if (kty.endsWith('-HSM') && c.vault.properties.sku.name !== 'premium') {
      throw kvErrors.badParameter(`HSM-protected keys (kty ${kty}) need a Premium vault; the vault '${c.vault.name}' is Standard.`);
    }
    let size: number | undefined;
    let curve: Curve | undefined;
    if (isRsa(kty)) {
      if (body.crv !== undefined) throw kvErrors.badParameter(`The parameter 'crv' is not valid for a key of type ${kty}.`);
      size = body.key_size === undefined || body.key_size === null ? 2048 : (body.key_size as number);
      if (!RSA_SIZES.includes(size)) throw kvErrors.badParameter(`The key size ${String(body.key_size)} is not supported for RSA keys. Supported sizes: 2048, 3072, 4096.`);
      if (body.public_exponent !== undefined && body.public_exponent !== null && body.public_exponent !== 65537) {
        throw kvErrors.badParameter('Only the public exponent 65537 is supported.');
      }
    } else {
      curve = (body.crv ?? 'P-256') as Curve;
      if (!CURVES.includes(curve)) throw kvErrors.badParameter(`The curve '${String(body.crv)}' is not supported. Supported curves: ${CURVES.join(', ')}.`);
      if (body.key_size !== undefined && body.key_size !== null) throw kvErrors.badParameter(`The parameter 'key_size' is not valid for a key of type ${kty}.`);
    }
    const keyOps = parseKeyOps(body.key_ops, kty) ?? defaultKeyOps(kty as KeyType);
    const attrs = parseAttributes(body.attributes);
    const tags = parseTags(body.tags) ?? {};
    const record = await addVersion(c, name, async () =>
      newVersionRecord(c, name, kty as KeyType, await generateKey(kty as KeyType, { ...(size ? { size } : {}), ...(curve ? { curve } : {}) }), keyOps, attrs, tags),
    );
    c.audit.keyVersion = record.version;
    return { status: 200, body: keyBundle(c.vault, record, c.apiVersion) };
  };

  const importKey = async (c: Ctx, name: string): Promise<Result> => {
    requireName(name);
    await authorize(c, 'import', name);
    const body = c.body();
    const key = body.key as Record<string, unknown> | undefined;
    if (!key || typeof key !== 'object') throw kvErrors.badParameter("Property 'key' is required.");
    const kty = String(key.kty);
    const pair = importJwk(key);
    const hsm = body.Hsm === true || kty.endsWith('-HSM');
    if (hsm && c.vault.properties.sku.name !== 'premium') throw kvErrors.badParameter(`HSM-protected keys need a Premium vault; the vault '${c.vault.name}' is Standard.`);
    const storedKty: KeyType = isRsa(kty) ? (hsm ? 'RSA-HSM' : 'RSA') : hsm ? 'EC-HSM' : 'EC';
    const keyOps = parseKeyOps(key.key_ops, storedKty) ?? defaultKeyOps(storedKty);
    const attrs = parseAttributes(body.attributes);
    const tags = parseTags(body.tags) ?? {};
    const record = await addVersion(c, name, async () => newVersionRecord(c, name, storedKty, pair, keyOps, attrs, tags));
    c.audit.keyVersion = record.version;
    return { status: 200, body: keyBundle(c.vault, record, c.apiVersion) };
  };

  const getKey = async (c: Ctx, name: string, version?: string): Promise<Result> => {
    await authorize(c, 'get', name);
    const loaded = await loadVersion(c, name, version);
    return { status: 200, body: keyBundle(c.vault, loaded.record, c.apiVersion) };
  };

  const updateKey = async (c: Ctx, name: string, version?: string): Promise<Result> => {
    await authorize(c, 'update', name);
    const body = c.body();
    for (let attempt = 0; attempt < 5; attempt++) {
      const { meta, modRevision } = await activeMeta(c, name);
      const v = version ?? latestOf(meta);
      if (!meta.versions.some((x) => x.toLowerCase() === v.toLowerCase())) throw kvErrors.keyVersionNotFound(name, v);
      const current = await deps.keys.version(c.vault.name, meta.name, v);
      if (!current) throw kvErrors.keyVersionNotFound(name, v);
      const attrs = parseAttributes(body.attributes);
      const keyOps = parseKeyOps(body.key_ops, current.kty);
      const tags = parseTags(body.tags);
      const next: KeyVersionRecord = {
        ...current,
        ...(keyOps ? { keyOps } : {}),
        ...(tags ? { tags } : {}),
        attributes: {
          ...current.attributes,
          ...(attrs.enabled !== undefined ? { enabled: attrs.enabled } : {}),
          updated: now(),
        },
      };
      if (attrs.hasNbf) {
        if (attrs.nbf === undefined) delete next.attributes.nbf;
        else next.attributes.nbf = attrs.nbf;
      }
      if (attrs.hasExp) {
        if (attrs.exp === undefined) delete next.attributes.exp;
        else next.attributes.exp = attrs.exp;
      }
      c.audit.keyVersion = current.version;
      if (await deps.keys.write(c.vault.name, meta, modRevision, [next])) return { status: 200, body: keyBundle(c.vault, next, c.apiVersion) };
    }
    throw new KvError(409, 'Conflict', `The key '${name}' was changed by another request; retry the operation.`);
  };

  const pageOf = <T>(c: Ctx, items: T[], path: string): { value: T[]; nextLink: string | null } => {
    const q = new URL(c.req.url, 'https://x').searchParams;
    const maxRaw = q.get('maxresults');
    const max = maxRaw === null ? 25 : Number(maxRaw);
    if (!Number.isInteger(max) || max < 1 || max > 25) throw kvErrors.badParameter(`The parameter 'maxresults' must be an integer from 1 to 25, not '${maxRaw}'.`);
    const skip = q.get('$skiptoken');
    let start = 0;
    if (skip) {
      start = Number(Buffer.from(skip, 'base64url').toString('utf8'));
      if (!Number.isInteger(start) || start < 0) throw kvErrors.badParameter('The $skiptoken is not valid.');
    }
    const page = items.slice(start, start + max);
    const more = start + max < items.length;
    const host = c.req.headers.host ?? '';
    const base = /\.vault\.azure\.net(:\d+)?$/i.test(host) ? `https://${host}` : `https://${host}/_vault/${c.vault.name.toLowerCase()}`;
    const nextLink = more ? `${base}${path}?api-version=${c.apiVersion}&$skiptoken=${Buffer.from(String(start + max)).toString('base64url')}&maxresults=${max}` : null;
    return { value: page, nextLink };
  };

  const listKeys = async (c: Ctx): Promise<Result> => {
    await authorize(c, 'list');
    const metas = (await deps.keys.listMetas(c.vault.name)).filter((m) => !m.deleted).sort((a, b) => a.name.localeCompare(b.name));
    const items = [];
    for (const m of metas) {
      const r = await deps.keys.version(c.vault.name, m.name, latestOf(m));
      if (r) items.push(keyItem(c.vault, r, c.apiVersion, { withVersion: false }));
    }
    return { status: 200, body: pageOf(c, items, '/keys') };
  };

  const listVersions = async (c: Ctx, name: string): Promise<Result> => {
    await authorize(c, 'listVersions', name);
    const { meta } = await activeMeta(c, name);
    const records = await deps.keys.versions(c.vault.name, meta.name);
    const order = new Map(meta.versions.map((v, i) => [v, i]));
    records.sort((a, b) => (order.get(a.version) ?? 0) - (order.get(b.version) ?? 0));
    return { status: 200, body: pageOf(c, records.map((r) => keyItem(c.vault, r, c.apiVersion, { withVersion: true })), `/keys/${meta.name}/versions`) };
  };

  const deleteKey = async (c: Ctx, name: string): Promise<Result> => {
    await authorize(c, 'delete', name);
    for (let attempt = 0; attempt < 5; attempt++) {
      const { meta, modRevision } = await activeMeta(c, name);
      const latest = await deps.keys.version(c.vault.name, meta.name, latestOf(meta));
      const t = now();
      const next: KeyMeta = { ...meta, deleted: { deletedDate: t, scheduledPurgeDate: t + c.vault.properties.softDeleteRetentionInDays * DAY } };
      c.audit.keyVersion = latest?.version;
      if (await deps.keys.write(c.vault.name, next, modRevision)) {
        return { status: 200, body: { ...deletedFields(c.vault, next), ...keyBundle(c.vault, latest!, c.apiVersion) } };
      }
    }
    throw new KvError(409, 'Conflict', `The key '${name}' was changed by another request; retry the operation.`);
  };

  /** A deleted key's meta; a key past its scheduled purge date is purged on the way (the service does it itself). */
  const deletedMeta = async (c: Ctx, name: string): Promise<{ meta: KeyMeta; modRevision: number }> => {
    const { meta, modRevision } = await deps.keys.meta(c.vault.name, name);
    if (!meta?.deleted) throw kvErrors.deletedKeyNotFound(name);
    if (meta.deleted.scheduledPurgeDate <= now()) {
      await deps.keys.purge(c.vault.name, meta.name);
      throw kvErrors.deletedKeyNotFound(name);
    }
    return { meta, modRevision };
  };

  const getDeleted = async (c: Ctx, name: string): Promise<Result> => {
    await authorize(c, 'getDeleted', name);
    const { meta } = await deletedMeta(c, name);
    const latest = (await deps.keys.version(c.vault.name, meta.name, latestOf(meta)))!;
    return { status: 200, body: { ...deletedFields(c.vault, meta), ...keyBundle(c.vault, latest, c.apiVersion) } };
  };

  const listDeleted = async (c: Ctx): Promise<Result> => {
    await authorize(c, 'listDeleted');
    const metas = (await deps.keys.listMetas(c.vault.name)).filter((m) => m.deleted && m.deleted.scheduledPurgeDate > now());
    const items = [];
    for (const m of metas) {
      const r = await deps.keys.version(c.vault.name, m.name, latestOf(m));
      if (r) items.push({ ...deletedFields(c.vault, m), ...keyItem(c.vault, r, c.apiVersion, { withVersion: false }) });
    }
    return { status: 200, body: pageOf(c, items, '/deletedkeys') };
  };

  const recoverKey = async (c: Ctx, name: string): Promise<Result> => {
    await authorize(c, 'recover', name);
    const { meta, modRevision } = await deletedMeta(c, name);
    const { deleted: _d, ...rest } = meta;
    if (!(await deps.keys.write(c.vault.name, rest, modRevision))) throw new KvError(409, 'Conflict', `The key '${name}' was changed by another request; retry the operation.`);
    const latest = (await deps.keys.version(c.vault.name, meta.name, latestOf(meta)))!;
    return { status: 200, body: keyBundle(c.vault, latest, c.apiVersion) };
  };

  const purgeKey = async (c: Ctx, name: string): Promise<Result> => {
    await authorize(c, 'purge', name);
    const { meta } = await deletedMeta(c, name);
    if (c.vault.properties.enablePurgeProtection) {
      throw new KvError(403, 'Forbidden', 'Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.', 'ForbiddenByPolicy');
    }
    await deps.keys.purge(c.vault.name, meta.name);
    return { status: 204 };
  };

  const rotateKey = async (c: Ctx, name: string): Promise<Result> => {
    await authorize(c, 'rotate', name);
    const { meta } = await activeMeta(c, name);
    const latest = (await deps.keys.version(c.vault.name, meta.name, latestOf(meta)))!;
    const size = isRsa(latest.kty) ? Buffer.from(latest.jwk.n!, 'base64url').length * 8 : undefined;
    const record = await addVersion(c, meta.name, async () =>
      newVersionRecord(c, meta.name, latest.kty, await generateKey(latest.kty, { ...(size ? { size } : {}), ...(latest.jwk.crv ? { curve: latest.jwk.crv as Curve } : {}) }), latest.keyOps, { hasNbf: false, hasExp: false }, latest.tags),
    );
    c.audit.keyVersion = record.version;
    return { status: 200, body: keyBundle(c.vault, record, c.apiVersion) };
  };

  const rotationPolicyBody = (c: Ctx, meta: KeyMeta) => {
    const p = meta.rotationPolicy;
    return {
      id: `${vaultBase(c.vault.name)}keys/${meta.name}/rotationpolicy`,
      lifetimeActions: p?.lifetimeActions ?? [{ trigger: { timeBeforeExpiry: 'P30D' }, action: { type: 'Notify' } }],
      attributes: p?.attributes ?? null,
    };
  };

  const rotationPolicy = async (c: Ctx, name: string, method: string): Promise<Result> => {
    await authorize(c, method === 'GET' ? 'getRotationPolicy' : 'setRotationPolicy', name);
    const { meta, modRevision } = await activeMeta(c, name);
    if (method === 'GET') return { status: 200, body: rotationPolicyBody(c, meta) };
    const body = c.body();
    const actions = body.lifetimeActions ?? [];
    if (!Array.isArray(actions)) throw kvErrors.badParameter("The parameter 'lifetimeActions' must be an array.");
    for (const a of actions as Array<Record<string, unknown>>) {
      const type = String((a?.action as { type?: unknown } | undefined)?.type ?? '').toLowerCase();
      if (type !== 'rotate' && type !== 'notify') throw kvErrors.badParameter("Each lifetime action needs action.type 'Rotate' or 'Notify'.");
    }
    const attrs = (body.attributes ?? {}) as { expiryTime?: unknown };
    if (attrs.expiryTime !== undefined && (typeof attrs.expiryTime !== 'string' || !/^P/.test(attrs.expiryTime))) throw kvErrors.badParameter("The attribute 'expiryTime' must be an ISO-8601 duration such as P90D.");
    const t = now();
    const next: KeyMeta = {
      ...meta,
      rotationPolicy: {
        lifetimeActions: actions,
        attributes: { ...(typeof attrs.expiryTime === 'string' ? { expiryTime: attrs.expiryTime } : {}), created: meta.rotationPolicy?.attributes.created ?? t, updated: t },
      },
    };
    if (!(await deps.keys.write(c.vault.name, next, modRevision))) throw new KvError(409, 'Conflict', 'The key was changed by another request; retry the operation.');
    return { status: 200, body: rotationPolicyBody(c, next) };
  };

  const BACKUP_PURPOSE = 'aksemu/keyvault-key-backup';
  const backupKey = async (c: Ctx, name: string): Promise<Result> => {
    await authorize(c, 'backup', name);
    const { meta } = await activeMeta(c, name);
    const records = await deps.keys.versions(c.vault.name, meta.name);
    const payload = {
      meta: { name: meta.name, versions: meta.versions, ...(meta.rotationPolicy ? { rotationPolicy: meta.rotationPolicy } : {}) },
      versions: records.map((r) => ({ ...r, sealedPrivateKey: '', privateDer: deps.keys.unsealDer(c.vault.name, r).toString('base64') })),
    };
    const blob = deps.sealer.seal(Buffer.from(JSON.stringify(payload)), BACKUP_PURPOSE);
    return { status: 200, body: { value: b64u(blob) } };
  };

  const restoreKey = async (c: Ctx): Promise<Result> => {
    const body = c.body();
    const blob = b64(body.value, 'value');
    let payload: { meta: KeyMeta; versions: Array<KeyVersionRecord & { privateDer: string }> };
    try {
      payload = JSON.parse(deps.sealer.unseal(blob, BACKUP_PURPOSE).toString('utf8'));
    } catch {
      throw kvErrors.badParameter('Backup blob contains invalid or corrupt version.');
    }
    await authorize(c, 'restore', payload.meta.name);
    const { meta, modRevision } = await deps.keys.meta(c.vault.name, payload.meta.name);
    if (meta?.deleted) throw kvErrors.deletedButRecoverable(payload.meta.name);
    if (meta) throw new KvError(409, 'Conflict', `There is a key with the name ${payload.meta.name} already in the vault; a backup restores only into a vault without it.`);
    const records: KeyVersionRecord[] = payload.versions.map(({ privateDer, ...r }) => {
      const der = Buffer.from(privateDer, 'base64');
      const record = { ...r, sealedPrivateKey: deps.sealer.seal(der, `aksemu/keyvault-key/${kidOf(c.vault.name, r).toLowerCase()}`).toString('base64') };
      der.fill(0);
      return record;
    });
    if (!(await deps.keys.write(c.vault.name, payload.meta, modRevision, records))) throw new KvError(409, 'Conflict', 'The key was changed by another request; retry the operation.');
    const latest = records.find((r) => r.version === latestOf(payload.meta))!;
    c.audit.keyVersion = latest.version;
    return { status: 200, body: keyBundle(c.vault, latest, c.apiVersion) };
  };

  /** encrypt/decrypt/wrapkey/unwrapkey/sign/verify (SPEC V-3). */
  const cryptoOp = async (c: Ctx, name: string, version: string | undefined, op: 'encrypt' | 'decrypt' | 'wrapkey' | 'unwrapkey' | 'sign' | 'verify'): Promise<Result> => {
    await authorize(c, op, name);
    const body = c.body();
    const key = await loadVersion(c, name, version);
    const r = key.record;
    const alg = body.alg;
    if (alg === undefined || alg === null) throw kvErrors.badParameter("Property 'alg' is required.");
    if (typeof alg !== 'string') throw kvErrors.badParameter("Property 'alg' must be a string.");
    const opName = op === 'wrapkey' ? 'wrapKey' : op === 'unwrapkey' ? 'unwrapKey' : op;
    // verify carries the digest in `digest` and the signature in `value`; every other operation its input in `value`.
    const value = op === 'verify' ? b64(body.digest, 'digest') : b64(body.value, 'value');
    // Key state (Key Vault's keys overview): disabled keys refuse private-key operations; outside nbf/exp only
    // decrypt, unwrap and verify still work.
    const privateOp = op === 'decrypt' || op === 'unwrapkey' || op === 'sign';
    if (!r.attributes.enabled && privateOp) throw kvErrors.keyDisabled(opName);
    const t = now();
    if (op === 'encrypt' || op === 'wrapkey' || op === 'sign') {
      if (r.attributes.exp !== undefined && t >= r.attributes.exp) throw kvErrors.keyExpired(opName);
      if (r.attributes.nbf !== undefined && t < r.attributes.nbf) throw kvErrors.keyNotYetValid(opName);
    }
    if (!r.keyOps.includes(opName)) throw kvErrors.operationNotPermitted(opName);
    const kid = kidOf(c.vault.name, r);
    const pool = deps.pool;
    const exec: PrivateExecutor | undefined = pool ? (spec, data, inline) => pool.run(kid, key.privateKey, spec, data, inline) : undefined;
    if (op === 'sign' || op === 'verify') {
      if (!isSignatureAlgorithm(alg)) throw kvErrors.badParameter(`Invalid algorithm '${alg}' for ${opName}. Supported: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512.`);
      checkSignatureInput(alg, r.kty, r.jwk.crv, value);
      if (op === 'sign') return { status: 200, body: { kid, value: b64u(await sign(alg, key.privateKey, value, exec)) } };
      const signature = b64(body.value, 'value');
      return { status: 200, body: { value: await verify(alg, key.publicKey, value, signature) } };
    }
    if (!isEncryptionAlgorithm(alg)) {
      throw kvErrors.badParameter(`Invalid algorithm '${alg}' for ${opName}. Supported for RSA keys: RSA-OAEP-256, RSA-OAEP, RSA1_5.`);
    }
    if (!isRsa(r.kty)) throw kvErrors.badParameter(`The operation ${opName} is not supported by a key of type ${r.kty}.`);
    if (body.iv !== undefined || body.aad !== undefined || body.tag !== undefined) {
      throw kvErrors.badParameter(`The parameters iv, aad and tag apply to AES algorithms only, not to ${alg}.`);
    }
    const out = op === 'encrypt' || op === 'wrapkey' ? rsaEncrypt(alg, key.publicKey, value) : await rsaDecrypt(alg, key.privateKey, value, exec);
    return { status: 200, body: { kid, value: b64u(out) } };
  };

  const CRYPTO_OPS = new Set(['encrypt', 'decrypt', 'wrapkey', 'unwrapkey', 'sign', 'verify']);

  /** Path → operation. Literal segments are case-insensitive; key names and versions are matched as given. */
  const route = async (c: Ctx, method: string, seg: string[]): Promise<Result> => {
    const lower = seg.map((s) => s.toLowerCase());
    const notAllowed = () => new KvError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`);
    if (lower[0] === 'keys') {
      if (seg.length === 1) {
        if (method === 'GET') return listKeys(c);
        throw notAllowed();
      }
      const name = seg[1]!;
      if (seg.length === 2) {
        if (name.toLowerCase() === 'restore' && method === 'POST') return restoreKey(c);
        if (method === 'GET') return getKey(c, name);
        if (method === 'PUT') return importKey(c, name);
        if (method === 'DELETE') return deleteKey(c, name);
        if (method === 'PATCH') return updateKey(c, name);
        throw notAllowed();
      }
      if (seg.length === 3) {
        const third = lower[2]!;
        if (third === 'create' && method === 'POST') return createKey(c, name);
        if (third === 'versions' && method === 'GET') return listVersions(c, name);
        if (third === 'rotate' && method === 'POST') return rotateKey(c, name);
        if (third === 'backup' && method === 'POST') return backupKey(c, name);
        if (third === 'rotationpolicy' && (method === 'GET' || method === 'PUT')) return rotationPolicy(c, name, method);
        if (CRYPTO_OPS.has(third) && method === 'POST') return cryptoOp(c, name, undefined, third as 'encrypt');
        if (VERSION.test(seg[2]!)) {
          if (method === 'GET') return getKey(c, name, seg[2]!);
          if (method === 'PATCH') return updateKey(c, name, seg[2]!);
          throw notAllowed();
        }
        if (method === 'GET' || method === 'PATCH') throw kvErrors.keyVersionNotFound(name, seg[2]!);
      }
      if (seg.length === 4 && CRYPTO_OPS.has(lower[3]!) && method === 'POST') {
        if (!VERSION.test(seg[2]!)) throw kvErrors.keyVersionNotFound(name, seg[2]!);
        return cryptoOp(c, name, seg[2]!, lower[3] as 'encrypt');
      }
    }
    if (lower[0] === 'deletedkeys') {
      if (seg.length === 1 && method === 'GET') return listDeleted(c);
      if (seg.length === 2 && method === 'GET') return getDeleted(c, seg[1]!);
      if (seg.length === 2 && method === 'DELETE') return purgeKey(c, seg[1]!);
      if (seg.length === 3 && lower[2] === 'recover' && method === 'POST') return recoverKey(c, seg[1]!);
    }
    throw new KvError(404, 'NotFound', `The resource '/${seg.join('/')}' does not exist in Key Vault (aksemu serves keys and deletedkeys).`);
  };

  app.register(async (scope) => {
    scope.route({
      method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      url: '/_vault/:vault/*',
      bodyLimit: MAX_BODY_BYTES,
      handler: async (req, reply) => handle(req, reply),
    });
    scope.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/_vault/:vault', handler: async (req, reply) => handle(req, reply) });
    scope.setErrorHandler(async (err, req, reply) => {
      const e = err as { statusCode?: number; code?: string; message: string };
      if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || e.statusCode === 413) {
        return send(reply, 400, kvErrors.badParameter(`The request body is too large: Key Vault requests are at most ${MAX_BODY_BYTES} bytes here.`).toBody());
      }
      if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return send(reply, e.statusCode, kvErrors.badParameter(e.message).toBody());
      req.log.error({ err }, 'unhandled error in the Key Vault data plane');
      return send(reply, 500, { error: { code: 'InternalServerError', message: `Internal error; request id ${req.id}.` } });
    });
  });

  const handle = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const started = process.hrtime.bigint();
    const params = req.params as { vault: string; '*'?: string };
    const url = new URL(req.url, 'https://x');
    const vault = await deps.vaults.byName(params.vault);
    if (!vault) {
      return send(reply, 404, { error: { code: 'VaultNotFound', message: `The vault '${params.vault}' does not exist (Azure's DNS would not resolve ${params.vault}.vault.azure.net).` } });
    }
    let caller: Caller;
    try {
      caller = await authenticate(req, vault);
    } catch (err) {
      if (err instanceof KvError) {
        const ch = (err as KvError & { challenge?: string }).challenge;
        if (ch) reply.header('WWW-Authenticate', ch);
        return send(reply, err.status, err.toBody());
      }
      throw err;
    }
    const segments = url.pathname
      .split('/')
      .slice(3)
      .filter((s) => s.length > 0)
      .map((s) => {
        try {
          return decodeURIComponent(s);
        } catch {
          return s;
        }
      });
    const c: Ctx = {
      req,
      vault,
      caller,
      apiVersion: '',
      audit: {},
      body: () => {
        const raw = Buffer.isBuffer(req.body) ? req.body : undefined;
        if (!raw || raw.length === 0) throw kvErrors.badParameter('The request body is required and must be a JSON object.');
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw.toString('utf8'));
        } catch {
          throw kvErrors.badParameter('The request body is not valid JSON.');
        }
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw kvErrors.badParameter('The request body must be a JSON object.');
        return parsed as Record<string, unknown>;
      },
    };
    const pe = privateEndpointOf(req.raw.socket);
    const address = pe ? '' : clientAddress(req.raw.socket.remoteAddress);
    let status = 500;
    let result: Result | undefined;
    let error: KvError | undefined;
    try {
      c.apiVersion = checkKeyVaultApiVersion(url.searchParams.get('api-version'));
      checkNetwork(vault, caller, address, pe !== undefined && pe.vaultName === vault.name.toLowerCase());
      result = await route(c, req.method.toUpperCase(), segments);
      status = result.status;
    } catch (err) {
      if (!(err instanceof KvError)) throw err;
      error = err;
      status = err.status;
    }
    const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
    const event: AuditEvent = {
      time: new Date(deps.clock.nowMs()).toISOString(),
      resourceId: vault.id,
      vaultName: vault.name.toLowerCase(),
      operationName: c.audit.op ?? 'VaultRequest',
      operationVersion: c.apiVersion || (url.searchParams.get('api-version') ?? ''),
      category: 'AuditEvent',
      resultType: status < 400 ? 'Success' : 'Failure',
      resultSignature: error ? (error.innerCode ?? error.code) : status === 204 ? 'NoContent' : 'OK',
      ...(error ? { resultDescription: error.message.split('\r\n')[0]! } : {}),
      httpStatusCode: status,
      durationMs: Math.round(durationMs * 1000) / 1000,
      callerIpAddress: address || (pe ? `privateEndpoint:${pe.name}` : ''),
      correlationId: req.id,
      identity: { claim: { oid: caller.objectId, appid: caller.appId, tid: caller.tenantId } },
      ...(c.audit.keyName ? { keyName: c.audit.keyName } : {}),
      ...(c.audit.keyVersion ? { keyVersion: c.audit.keyVersion, keyId: kidOf(vault.name, { name: c.audit.keyName!, version: c.audit.keyVersion }) } : {}),
      properties: {
        requestUri: `${vaultBase(vault.name).slice(0, -1)}${url.pathname.replace(/^\/_vault\/[^/]+/, '')}${url.search}`,
        ...(typeof req.headers['user-agent'] === 'string' ? { clientInfo: req.headers['user-agent'] } : {}),
        ...(c.audit.policyMatch !== undefined ? { isAccessPolicyMatch: c.audit.policyMatch } : {}),
        ...(c.audit.rbac !== undefined ? { isRbacAuthorized: c.audit.rbac } : {}),
        ...(pe ? { privateEndpoint: pe.id } : {}),
      },
    };
    deps.audit.record(event);
    return send(reply, status, error ? error.toBody() : result!.body);
  };
}
