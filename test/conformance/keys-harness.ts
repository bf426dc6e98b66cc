/**
 * The Key Vault keys examples' world: a vault of the example's own (premium, an access policy that lets the
 * instance's principal do everything with keys), the keys an operation acts on (live, deleted, or backed up),
 * and what only the instance's keys can make: their versions, ciphertexts and signatures, which replace Azure's.
 * Requests go to the vault's direct address (`/_vault/<name>`) with a Key Vault token.
 */
import { getToken } from '../../testkit/http.js';
import { call } from './client.js';
import { objectIdOf } from './fixtures.js';
import type { Harness, HarnessContext } from './suite.js';

const DATA_API = '7.5';
const VAULT_API = '2025-05-01';
const KEY_OPERATIONS = ['DeleteKey', 'GetKey', 'UpdateKey', 'BackupKey', 'RotateKey', 'GetKeyVersions', 'GetKeyRotationPolicy', 'UpdateKeyRotationPolicy', 'encrypt', 'decrypt', 'wrapKey', 'unwrapKey', 'sign', 'verify', 'release', 'GetKeyAttestation'];
const DELETED_OPERATIONS = ['GetDeletedKey', 'PurgeDeletedKey', 'RecoverDeletedKey'];

interface Vault {
  base: string;
  token: string;
}

async function kv(vault: Vault, method: string, path: string, body?: unknown): Promise<any> {
  const r = await call(`${vault.base}/${path}${path.includes('?') ? '&' : '?'}api-version=${DATA_API}`, {
    method,
    headers: { authorization: `Bearer ${vault.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (r.status >= 300) throw new Error(`setup ${method} ${path} answered ${r.status}: ${r.text.slice(0, 300)}`);
  return r.text ? r.json() : undefined;
}

/**
 * A key like the one the example shows (its type and curve or size, its tags and the attributes a client sets):
 * returns its version.
 */
async function createKey(vault: Vault, name: string, bundle: any, alg?: string): Promise<string> {
  const shown = bundle?.key;
  const kty = String(shown?.kty ?? (alg?.startsWith('ES') ? 'EC' : 'RSA'));
  const ec = kty.startsWith('EC');
  const curve = shown?.crv ?? (alg === 'ES384' ? 'P-384' : alg === 'ES512' ? 'P-521' : alg === 'ES256K' ? 'P-256K' : 'P-256');
  const bits = typeof shown?.n === 'string' ? Math.round((Buffer.from(shown.n, 'base64url').length * 8) / 1024) * 1024 : 2048;
  const attributes = Object.fromEntries(Object.entries(bundle?.attributes ?? {}).filter(([k]) => ['enabled', 'nbf', 'exp'].includes(k)));
  const created = await kv(vault, 'POST', `keys/${name}/create`, {
    ...(ec ? { kty, crv: curve } : { kty, key_size: Math.max(2048, bits) }),
    ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
    ...(bundle?.tags ? { tags: bundle.tags } : {}),
  });
  return String(created.key.kid).split('/').pop()!;
}

export function keysHarness(): Harness {
  let tenant = '';
  let principal = '';
  let vaultToken = '';
  let count = 0;

  async function newVault(ctx: HarnessContext, group: string): Promise<Vault> {
    const name = `ck${count++}${Math.random().toString(36).slice(2, 8)}`;
    await ctx.arm.ensure('PUT', `/subscriptions/${ctx.arm.subscriptionId}/resourceGroups/${group}/providers/Microsoft.KeyVault/vaults/${name}`, VAULT_API, {
      location: 'eastus',
      properties: { tenantId: tenant, sku: { family: 'A', name: 'premium' }, accessPolicies: [{ tenantId: tenant, objectId: principal, permissions: { keys: ['all'] } }] },
    });
    return { base: `${ctx.emulator.url}/_vault/${name}`, token: vaultToken };
  }

  return {
    async start(ctx) {
      tenant = ctx.emulator.env.AZURE_TENANT_ID!;
      principal = objectIdOf(ctx.arm.token);
      vaultToken = await getToken(ctx.emulator.url, ctx.emulator.env, 'https://vault.azure.net/.default');
      await ctx.arm.group('keys-conformance');
    },
    parameters(c) {
      // The verify example swaps its fields: the digest it signs is in `value`, the signature in `digest`.
      if (c.operationId !== 'verify') return undefined;
      const { value, digest, ...rest } = c.example.parameters.parameters;
      return { parameters: { ...rest, digest: value, value: digest } };
    },
    substitute(c, subs) {
      // Azure's page tokens mean nothing here: the first page is asked for.
      for (const name of ['$skiptoken']) if (typeof c.example.parameters[name] === 'string') subs.value(c.example.parameters[name], undefined);
    },
    async prepare(c, example, subs, ctx) {
      const vault = await newVault(ctx, 'keys-conformance');
      const target = { base: vault.base, token: vault.token };
      const p = example.parameters;
      const shown = example.responses['200']?.body;
      const name = p['key-name'] as string | undefined;
      const alg = p.parameters?.alg as string | undefined;
      let paged = false;
      if (name && KEY_OPERATIONS.includes(c.operationId)) {
        const version = await createKey(vault, name, shown, alg);
        if (typeof p['key-version'] === 'string') subs.value(c.example.parameters['key-version'], version);
        if (c.operationId === 'GetKeyVersions') {
          await createKey(vault, name, shown, alg);
          paged = true;
        }
        if (c.operationId === 'GetKeyRotationPolicy' && shown) {
          await kv(vault, 'PUT', `keys/${name}/rotationpolicy`, { lifetimeActions: shown.lifetimeActions, attributes: { expiryTime: shown.attributes?.expiryTime } });
        }
        const input = c.example.parameters.parameters;
        if (c.operationId === 'decrypt' || c.operationId === 'unwrapKey') {
          // What the instance's key makes of a plaintext stands in for Azure's ciphertext.
          const op = c.operationId === 'decrypt' ? 'encrypt' : 'wrapkey';
          const made = await kv(vault, 'POST', `keys/${name}/${version}/${op}`, { alg, value: Buffer.from('conformance plaintext').toString('base64url') });
          subs.value(input.value, made.value);
        }
        if (c.operationId === 'verify') {
          const signed = await kv(vault, 'POST', `keys/${name}/${version}/sign`, { alg, value: input.value });
          subs.value(input.digest, signed.value);
        }
      }
      if (name && DELETED_OPERATIONS.includes(c.operationId)) {
        await createKey(vault, name, shown);
        await kv(vault, 'DELETE', `keys/${name}`);
      }
      if (c.operationId === 'RestoreKey') {
        const keyName = String(shown?.key?.kid ?? 'restored/').split('/')[4] ?? 'restored';
        await createKey(vault, keyName, shown);
        const backup = await kv(vault, 'POST', `keys/${keyName}/backup`);
        await kv(vault, 'DELETE', `keys/${keyName}`);
        await kv(vault, 'DELETE', `deletedkeys/${keyName}`);
        subs.value(c.example.parameters.parameters.value, backup.value);
      }
      if (c.operationId === 'GetKeys' || c.operationId === 'GetDeletedKeys') {
        const item = shown?.value?.[0];
        const listed = String(item?.kid ?? 'listed').split('/')[4] ?? 'listed';
        for (const keyName of [listed, `${listed}-second`]) {
          await createKey(vault, keyName, undefined);
          if (c.operationId === 'GetDeletedKeys') await kv(vault, 'DELETE', `keys/${keyName}`);
        }
        paged = Number(p.maxresults) === 1;
      }
      return { target, paged };
    },
  };
}
