/**
 * `aksemu keyvault key create|show|list|list-versions|rotate|delete|recover|purge|show-deleted`: keys in the Key
 * Vault data plane (SPEC V-2), through the vault's REST API at /_vault/<vault>/ (https://<vault>.vault.azure.net/).
 *
 * Output is what az prints for azure-keyvault-keys' KeyVaultKey: `key` (the JSON web key, binary fields in
 * standard base64, camelCase names), `attributes` (times as ISO-8601 with +00:00), `managed`, `releasePolicy`,
 * `tags`; the seed reads `key.kid` from it.
 */
import { AzCliError } from '../framework/errors.js';
import type { CommandContext } from '../framework/context.js';
import type { ArgSpec, CommandSpec } from '../framework/spec.js';
import { parseTags, tagsArg } from './common-args.js';

const JWK_FIELDS = ['kid', 'kty', 'key_ops', 'n', 'e', 'd', 'dp', 'dq', 'qi', 'p', 'q', 'k', 't', 'crv', 'x', 'y'] as const;
const BINARY_FIELDS = new Set(['n', 'e', 'd', 'dp', 'dq', 'qi', 'p', 'q', 'k', 't', 'x', 'y']);

/** Unix seconds → what Python's datetime.isoformat() prints for a UTC time. */
export function isoFromUnix(seconds: unknown): string | null {
  if (typeof seconds !== 'number') return null;
  const iso = new Date(seconds * 1000).toISOString();
  const ms = iso.slice(20, 23);
  return `${iso.slice(0, 19)}${ms === '000' ? '' : `.${ms}000`}+00:00`;
}

function attributesOutput(a: Record<string, any> | undefined): Record<string, unknown> {
  const x = a ?? {};
  return {
    created: isoFromUnix(x.created),
    enabled: x.enabled ?? null,
    expires: isoFromUnix(x.exp),
    exportable: x.exportable ?? null,
    hsmPlatform: x.hsmPlatform ?? null,
    notBefore: isoFromUnix(x.nbf),
    recoverableDays: x.recoverableDays ?? null,
    recoveryLevel: x.recoveryLevel ?? null,
    updated: isoFromUnix(x.updated),
  };
}

function jwkOutput(key: Record<string, any> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of JWK_FIELDS) {
    const v = key?.[f];
    const name = f === 'key_ops' ? 'keyOps' : f;
    out[name] = v === undefined ? null : BINARY_FIELDS.has(f) && typeof v === 'string' ? Buffer.from(v, 'base64url').toString('base64') : v;
  }
  return out;
}

/** A KeyBundle as az prints it (transform_key_output). */
export function keyOutput(bundle: Record<string, any>): Record<string, unknown> {
  return {
    attributes: attributesOutput(bundle.attributes),
    key: jwkOutput(bundle.key),
    managed: bundle.managed ?? null,
    releasePolicy: bundle.release_policy ?? null,
    tags: bundle.tags ?? null,
  };
}

function nameFromKid(kid: string): string | null {
  const parts = new URL(kid).pathname.split('/').filter(Boolean);
  return parts[1] ?? null;
}

/** A KeyItem as az prints KeyProperties in lists. */
function keyItemOutput(item: Record<string, any>): Record<string, unknown> {
  return { attributes: attributesOutput(item.attributes), kid: item.kid, managed: item.managed ?? null, name: nameFromKid(item.kid), tags: item.tags ?? null };
}

function deletedKeyOutput(bundle: Record<string, any>): Record<string, unknown> {
  return {
    ...keyOutput(bundle),
    deletedDate: isoFromUnix(bundle.deletedDate),
    name: bundle.key?.kid ? nameFromKid(bundle.key.kid) : null,
    recoveryId: bundle.recoveryId ?? null,
    scheduledPurgeDate: isoFromUnix(bundle.scheduledPurgeDate),
  };
}

const vaultNameArg: ArgSpec = { dest: 'vaultName', options: ['--vault-name'], help: 'Name of the Key Vault. Required if --id is not specified.' };
const keyNameArg: ArgSpec = { dest: 'name', options: ['--name', '-n'], help: 'Name of the key. Required if --id is not specified.' };
const idArg: ArgSpec = { dest: 'id', options: ['--id'], help: 'Id of the key. If specified all other \'Id\' arguments should be omitted.' };
const hsmArg: ArgSpec = { dest: 'hsmName', options: ['--hsm-name'], help: 'Name of the HSM. (--hsm-name and --vault-name are mutually exclusive, please specify just one of them)' };

interface KeyRef {
  vault: string;
  name: string;
  version?: string;
}

/** az's validate_vault_or_hsm and the key id parser: a vault and key name, from --vault-name/--name or --id. */
function keyRef(a: Record<string, any>, { allowId, needName = true }: { allowId: boolean; needName?: boolean }): KeyRef {
  if (a.hsmName !== undefined) throw new AzCliError('Managed HSMs are not emulated by aksemu: use --vault-name.');
  if (allowId && a.id !== undefined) {
    if (a.vaultName !== undefined) throw new AzCliError('--vault-name and --id are mutually exclusive.');
    let url: URL;
    try {
      url = new URL(String(a.id));
    } catch {
      throw new AzCliError('Invalid id for Vault or HSM.');
    }
    const m = /^([a-z0-9-]{3,24})\.vault\.azure\.net$/i.exec(url.hostname);
    const parts = url.pathname.split('/').filter(Boolean);
    if (!m || parts[0] !== 'keys' || !parts[1]) throw new AzCliError(`Invalid key id: ${a.id}`);
    return { vault: m[1]!, name: parts[1], ...(parts[2] ? { version: parts[2] } : {}) };
  }
  if (a.vaultName === undefined) throw new AzCliError('Please specify --vault-name or --hsm-name.');
  if (needName && a.name === undefined) throw new AzCliError('argument --name/-n: expected one argument', 2);
  return { vault: a.vaultName, name: a.name, ...(a.version !== undefined ? { version: a.version } : {}) };
}

const enc = encodeURIComponent;

async function vaultOf(ctx: CommandContext, name: string) {
  return (await ctx.session()).vault(name);
}

function epoch(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new AzCliError(`argument ${option}: invalid datetime_type value: '${value}'`, 2);
  return Math.floor(ms / 1000);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const keyvaultKeyCommands: CommandSpec[] = [
  {
    path: 'keyvault key create',
    summary: 'Create a new key, stores it, then returns key parameters and attributes to the client.',
    subscription: false,
    args: [
      { ...keyNameArg, required: true },
      vaultNameArg,
      hsmArg,
      { dest: 'kty', options: ['--kty'], choices: ['EC', 'EC-HSM', 'RSA', 'RSA-HSM', 'oct', 'oct-HSM'], help: 'The type of key to create. For valid values, see: https://docs.microsoft.com/rest/api/keyvault/keys/create-key/create-key#jsonwebkeytype' },
      { dest: 'size', options: ['--size'], kind: 'int', help: 'The key size in bits. For example: 2048, 3072, or 4096 for RSA. 128, 192, or 256 for oct.' },
      { dest: 'curve', options: ['--curve'], choices: ['P-256', 'P-384', 'P-521', 'P-256K'], help: 'Elliptic curve name. For valid values, see: https://docs.microsoft.com/rest/api/keyvault/keys/create-key/create-key#jsonwebkeycurvename' },
      { dest: 'ops', options: ['--ops'], kind: 'list', choices: ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey', 'import', 'export'], help: 'Space-separated list of permitted JSON web key operations.' },
      { dest: 'protection', options: ['--protection', '-p'], choices: ['hsm', 'software'], help: 'Specifies the type of key protection.' },
      { dest: 'disabled', options: ['--disabled'], kind: 'three-state', help: 'Create key in disabled state.' },
      { dest: 'expires', options: ['--expires'], help: 'Expiration UTC datetime (Y-m-d\'T\'H:M:S\'Z\').' },
      { dest: 'notBefore', options: ['--not-before'], help: 'Key not usable before the provided UTC datetime (Y-m-d\'T\'H:M:S\'Z\').' },
      { dest: 'exportable', options: ['--exportable'], kind: 'three-state', help: 'Whether the private key can be exported. To create key with release policy, "exportable" must be true and caller must have "export" permission.' },
      tagsArg(),
    ],
    examples: [{ name: 'Create a new key.', text: 'az keyvault key create --name MyKeyName --vault-name MyKeyVault' }],
    async run(ctx, a) {
      const ref = keyRef(a, { allowId: false });
      const kty = a.kty ?? (a.protection === 'hsm' ? 'RSA-HSM' : 'RSA');
      const exp = epoch(a.expires, '--expires');
      const nbf = epoch(a.notBefore, '--not-before');
      const body = {
        kty,
        ...(a.size !== undefined ? { key_size: a.size } : {}),
        ...(a.curve !== undefined ? { crv: a.curve } : {}),
        ...(a.ops !== undefined ? { key_ops: a.ops } : {}),
        attributes: { enabled: !a.disabled, ...(exp !== undefined ? { exp } : {}), ...(nbf !== undefined ? { nbf } : {}), ...(a.exportable !== undefined ? { exportable: a.exportable } : {}) },
        ...(a.tags !== undefined ? { tags: parseTags(a.tags) } : {}),
      };
      const v = await vaultOf(ctx, ref.vault);
      return keyOutput((await v.call('POST', `/keys/${enc(ref.name)}/create`, body)).json() ?? {});
    },
  },
  {
    path: 'keyvault key show',
    summary: "Get a key's attributes and, if it's an asymmetric key, its public material.",
    subscription: false,
    args: [keyNameArg, vaultNameArg, hsmArg, idArg, { dest: 'version', options: ['--version', '-v'], help: 'The key version. If omitted, uses the latest version.' }],
    examples: [{ name: 'Get a key.', text: "az keyvault key show --name MyKeyName --vault-name MyKeyVault --query 'key.kid' -o tsv" }],
    async run(ctx, a) {
      const ref = keyRef(a, { allowId: true });
      const v = await vaultOf(ctx, ref.vault);
      return keyOutput((await v.call('GET', `/keys/${enc(ref.name)}${ref.version ? `/${enc(ref.version)}` : ''}`)).json() ?? {});
    },
  },
  {
    path: 'keyvault key list',
    summary: 'List identifiers and properties of keys in a vault.',
    subscription: false,
    args: [vaultNameArg, hsmArg, { dest: 'maxresults', options: ['--maxresults'], kind: 'int', help: 'Maximum number of results to return in a page. If not specified, the service will return up to 25 results.' }, { dest: 'includeManaged', options: ['--include-managed'], kind: 'three-state', help: 'Include managed keys.' }],
    async run(ctx, a) {
      const ref = keyRef(a, { allowId: false, needName: false });
      const v = await vaultOf(ctx, ref.vault);
      let items = (await v.list('/keys')).map(keyItemOutput);
      if (!a.includeManaged) items = items.filter((i) => !i.managed);
      return a.maxresults !== undefined ? items.slice(0, a.maxresults) : items;
    },
  },
  {
    path: 'keyvault key list-versions',
    summary: 'List the identifiers and properties of a key\'s versions.',
    subscription: false,
    args: [keyNameArg, vaultNameArg, hsmArg, idArg, { dest: 'maxresults', options: ['--maxresults'], kind: 'int', help: 'Maximum number of results to return in a page.' }],
    async run(ctx, a) {
      const ref = keyRef(a, { allowId: true });
      const v = await vaultOf(ctx, ref.vault);
      const items = (await v.list(`/keys/${enc(ref.name)}/versions`)).map(keyItemOutput);
      return a.maxresults !== undefined ? items.slice(0, a.maxresults) : items;
    },
  },
  {
    path: 'keyvault key rotate',
    summary: 'Rotate the key based on the key policy by generating a new version of the key.',
    subscription: false,
    args: [keyNameArg, vaultNameArg, hsmArg, idArg],
    async run(ctx, a) {
      const ref = keyRef(a, { allowId: true });
      const v = await vaultOf(ctx, ref.vault);
      return keyOutput((await v.call('POST', `/keys/${enc(ref.name)}/rotate`, {})).json() ?? {});
    },
  },
  {
    path: 'keyvault key delete',
    summary: 'Delete a key of any type from storage in Vault or HSM.',
    subscription: false,
    args: [keyNameArg, vaultNameArg, hsmArg, idArg],
    async run(ctx, a) {
      const ref = keyRef(a, { allowId: true });
      const v = await vaultOf(ctx, ref.vault);
      return deletedKeyOutput((await v.call('DELETE', `/keys/${enc(ref.name)}`)).json() ?? {});
    },
  },
  {
    path: 'keyvault key show-deleted',
    summary: 'Get the public part of a deleted key.',
    subscription: false,
    args: [keyNameArg, vaultNameArg, hsmArg, idArg],
    async run(ctx, a) {
      const ref = keyRef(a, { allowId: true });
      const v = await vaultOf(ctx, ref.vault);
      return deletedKeyOutput((await v.call('GET', `/deletedkeys/${enc(ref.name)}`)).json() ?? {});
    },
  },
  {
    path: 'keyvault key recover',
    summary: 'Recover the deleted key to its latest version.',
    subscription: false,
    args: [keyNameArg, vaultNameArg, hsmArg, idArg],
    async run(ctx, a) {
      const ref = keyRef(a, { allowId: true });
      const v = await vaultOf(ctx, ref.vault);
      const recovered = (await v.call('POST', `/deletedkeys/${enc(ref.name)}/recover`)).json() ?? {};
      // The SDK's recover poller waits until the key answers again.
      for (let i = 0; i < 100; i++) {
        const res = await v.call('GET', `/keys/${enc(ref.name)}`, undefined, [404]);
        if (res.status === 200) return keyOutput(res.json() ?? recovered);
        await sleep(100);
      }
      return keyOutput(recovered);
    },
  },
  {
    path: 'keyvault key purge',
    summary: 'Permanently delete the specified key.',
    subscription: false,
    args: [keyNameArg, vaultNameArg, hsmArg, idArg],
    async run(ctx, a) {
      const ref = keyRef(a, { allowId: true });
      const v = await vaultOf(ctx, ref.vault);
      await v.call('DELETE', `/deletedkeys/${enc(ref.name)}`);
      return undefined;
    },
  },
];
