/**
 * Reading and writing a vault's keys for the operations: the active or deleted key's meta (404 otherwise), a
 * version with its private key, and new versions appended with compare-and-swap retries (SPEC V-2).
 */
import type { KeyObject } from 'node:crypto';
import { randomHex } from '../../util/ids.js';
import { KvError, kvErrors } from '../errors.js';
import { publicJwk, type KeyType } from '../key-crypto.js';
import type { KeyMeta, KeyVersionRecord, LoadedKey } from '../key-store.js';
import { nowSeconds, type OperationDeps } from './deps.js';
import type { ParsedAttributes, RequestContext } from './request.js';

type MetaEntry = { meta: KeyMeta; modRevision: number };

export const latestOf = (meta: KeyMeta) => meta.versions[meta.versions.length - 1]!;

/** 409 for a write that lost its compare-and-swap; `name` is named when the operation retried first. */
export function changedMeanwhile(name?: string): KvError {
  return new KvError(409, 'Conflict', name === undefined ? 'The key was changed by another request; retry the operation.' : `The key '${name}' was changed by another request; retry the operation.`);
}

/** The active (not deleted) key's meta, or 404. */
export async function activeMeta(d: Pick<OperationDeps, 'keys'>, c: RequestContext, name: string): Promise<MetaEntry> {
  const { meta, modRevision } = await d.keys.meta(c.vault.name, name);
  if (!meta || meta.deleted) throw kvErrors.keyNotFound(name);
  return { meta, modRevision };
}

/** A deleted key's meta; a key past its scheduled purge date is purged on the way (the service does it itself). */
export async function deletedMeta(d: Pick<OperationDeps, 'keys' | 'clock'>, c: RequestContext, name: string): Promise<MetaEntry> {
  const { meta, modRevision } = await d.keys.meta(c.vault.name, name);
  if (!meta?.deleted) throw kvErrors.deletedKeyNotFound(name);
  if (meta.deleted.scheduledPurgeDate <= nowSeconds(d)) {
    await d.keys.purge(c.vault.name, meta.name);
    throw kvErrors.deletedKeyNotFound(name);
  }
  return { meta, modRevision };
}

/** A version of an active key (the latest when `version` is absent) with its unsealed private key. */
export async function loadVersion(d: Pick<OperationDeps, 'keys'>, c: RequestContext, name: string, version: string | undefined): Promise<LoadedKey> {
  const { meta } = await activeMeta(d, c, name);
  const v = version ?? latestOf(meta);
  if (version !== undefined && !meta.versions.some((x) => x.toLowerCase() === version.toLowerCase())) throw kvErrors.keyVersionNotFound(name, version);
  const loaded = await d.keys.load(c.vault.name, meta.name, v);
  if (!loaded) throw kvErrors.keyVersionNotFound(name, v);
  c.audit.keyName = meta.name;
  c.audit.keyVersion = loaded.record.version;
  return loaded;
}

/** The record of a new version of `name` holding `pair`, its private key sealed to its kid. */
export function newVersionRecord(
  d: Pick<OperationDeps, 'keys' | 'clock'>,
  c: RequestContext,
  name: string,
  kty: KeyType,
  pair: { privateKey: KeyObject; publicKey: KeyObject },
  keyOps: string[],
  attrs: ParsedAttributes,
  tags: Record<string, string>,
): KeyVersionRecord {
  const version = randomHex(16);
  const t = nowSeconds(d);
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
    sealedPrivateKey: d.keys.seal(c.vault.name, name, version, pair.privateKey),
  };
}

/** Appends a version to a key (creating the key if absent); refuses names of deleted keys. */
export async function addVersion(d: Pick<OperationDeps, 'keys'>, c: RequestContext, name: string, build: () => Promise<KeyVersionRecord>): Promise<KeyVersionRecord> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const { meta, modRevision } = await d.keys.meta(c.vault.name, name);
    if (meta?.deleted) throw kvErrors.deletedButRecoverable(name);
    const record = await build();
    // Names are case-insensitive: a new version keeps the casing the key was created with (the seal's purpose
    // is the lowercased kid, so it does not depend on casing).
    if (meta) record.name = meta.name;
    const next: KeyMeta = { ...(meta ?? { name }), name: meta?.name ?? name, versions: [...(meta?.versions ?? []), record.version] };
    if (await d.keys.write(c.vault.name, next, modRevision, [record])) return record;
  }
  throw changedMeanwhile(name);
}
