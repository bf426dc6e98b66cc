/**
 * Keys of a vault in the store (SPEC V-2; "key material at rest is sealed").
 *
 *   /keyvault/vaults/<vault>/keys/<name>                 KeyMeta: versions in creation order, soft-delete state,
 *                                                         rotation policy
 *   /keyvault/vaults/<vault>/keyversions/<name>/<ver>    KeyVersionRecord: public JWK, attributes, tags, and the
 *                                                         private key as PKCS#8 DER sealed with AES-256-GCM under the
 *                                                         master key, the purpose binding it to its kid
 *
 * Names are case-insensitive (stored lowercased, displayed as created). The private key never appears in clear in
 * any stored value. Unsealed keys are kept as KeyObjects in an in-process cache (bounded), invalidated by every
 * write through this class, so a crypto operation costs no store read and no AES/ASN.1 work after the first.
 */
import type { KeyObject } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import type { Sealer } from '../secrets/sealer.js';
import { encodeJson, getJson, listJson } from '../store/json.js';
import type { Store, TxnOp } from '../store/store.js';
import { privateKeyFromDer, privateKeyToDer, type KeyType } from './key-crypto.js';

export interface KeyAttributesRecord {
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
  exportable?: boolean;
}

export interface KeyVersionRecord {
  name: string;
  version: string;
  kty: KeyType;
  keyOps: string[];
  /** Public members only (n, e / crv, x, y). */
  jwk: { n?: string; e?: string; crv?: string; x?: string; y?: string };
  attributes: KeyAttributesRecord;
  tags: Record<string, string>;
  /** base64 of Sealer.seal(PKCS#8 DER, purpose(kid)). */
  sealedPrivateKey: string;
}

export interface RotationPolicyRecord {
  lifetimeActions: unknown[];
  attributes: { expiryTime?: string; created: number; updated: number };
}

export interface KeyMeta {
  name: string;
  versions: string[];
  deleted?: { deletedDate: number; scheduledPurgeDate: number };
  rotationPolicy?: RotationPolicyRecord;
}

export interface LoadedKey {
  record: KeyVersionRecord;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export const sealPurpose = (kid: string) => `aksemu/keyvault-key/${kid.toLowerCase()}`;
const metaKey = (vault: string, name: string) => `/keyvault/vaults/${vault.toLowerCase()}/keys/${name.toLowerCase()}`;
const versionKey = (vault: string, name: string, version: string) => `/keyvault/vaults/${vault.toLowerCase()}/keyversions/${name.toLowerCase()}/${version.toLowerCase()}`;
const versionPrefix = (vault: string, name: string) => `/keyvault/vaults/${vault.toLowerCase()}/keyversions/${name.toLowerCase()}/`;

export class KeyStore {
  private readonly loaded = new Map<string, LoadedKey>();
  private readonly metas = new Map<string, { meta: KeyMeta | undefined; modRevision: number }>();

  constructor(
    private readonly store: Store,
    private readonly sealer: Sealer,
  ) {}

  kid(vault: string, name: string, version: string): string {
    return `https://${vault.toLowerCase()}.vault.azure.net/keys/${name}/${version}`;
  }

  /** Forgets everything cached for a vault (after a vault is deleted, recovered or purged). */
  dropVault(vault: string): void {
    const p = `${vault.toLowerCase()}/`;
    for (const k of [...this.loaded.keys()]) if (k.startsWith(p)) this.loaded.delete(k);
    for (const k of [...this.metas.keys()]) if (k.startsWith(p)) this.metas.delete(k);
  }

  private cacheId(vault: string, name: string, version = ''): string {
    return `${vault.toLowerCase()}/${name.toLowerCase()}/${version.toLowerCase()}`;
  }

  async meta(vault: string, name: string): Promise<{ meta: KeyMeta | undefined; modRevision: number }> {
    const id = this.cacheId(vault, name);
    const hit = this.metas.get(id);
    if (hit) return hit;
    const doc = await getJson<KeyMeta>(this.store, metaKey(vault, name));
    const entry = { meta: doc?.value, modRevision: doc?.modRevision ?? 0 };
    this.metas.set(id, entry);
    return entry;
  }

  async listMetas(vault: string): Promise<KeyMeta[]> {
    return (await listJson<KeyMeta>(this.store, `/keyvault/vaults/${vault.toLowerCase()}/keys/`)).map((d) => d.value);
  }

  async version(vault: string, name: string, version: string): Promise<KeyVersionRecord | undefined> {
    const cached = this.loaded.get(this.cacheId(vault, name, version));
    if (cached) return cached.record;
    return (await getJson<KeyVersionRecord>(this.store, versionKey(vault, name, version)))?.value;
  }

  async versions(vault: string, name: string): Promise<KeyVersionRecord[]> {
    return (await listJson<KeyVersionRecord>(this.store, versionPrefix(vault, name))).map((d) => d.value);
  }

  /** The key version with its unsealed private key (cached). */
  async load(vault: string, name: string, version: string): Promise<LoadedKey | undefined> {
    const id = this.cacheId(vault, name, version);
    const hit = this.loaded.get(id);
    if (hit) return hit;
    const record = (await getJson<KeyVersionRecord>(this.store, versionKey(vault, name, version)))?.value;
    if (!record) return undefined;
    const der = this.sealer.unseal(Buffer.from(record.sealedPrivateKey, 'base64'), sealPurpose(this.kid(vault, record.name, record.version)));
    const privateKey = privateKeyFromDer(der);
    der.fill(0);
    const loaded: LoadedKey = { record, privateKey, publicKey: createPublicKey(privateKey) };
    if (this.loaded.size > 4096) this.loaded.clear();
    this.loaded.set(id, loaded);
    return loaded;
  }

  /** Seals a private key for a version (the record's sealedPrivateKey). */
  seal(vault: string, name: string, version: string, privateKey: KeyObject): string {
    const der = privateKeyToDer(privateKey);
    const sealed = this.sealer.seal(der, sealPurpose(this.kid(vault, name, version))).toString('base64');
    der.fill(0);
    return sealed;
  }

  /** Unseals a version's private key as DER (for backups, which seal it again). */
  unsealDer(vault: string, record: KeyVersionRecord): Buffer {
    return this.sealer.unseal(Buffer.from(record.sealedPrivateKey, 'base64'), sealPurpose(this.kid(vault, record.name, record.version)));
  }

  /**
   * Writes a meta document (compare-and-swap on `ifMetaRevision`) together with version records, in one
   * transaction. Returns false when the meta changed meanwhile.
   */
  async write(vault: string, meta: KeyMeta, ifMetaRevision: number, versions: KeyVersionRecord[] = [], extra: TxnOp[] = []): Promise<boolean> {
    const res = await this.store.txn({
      if: [{ key: metaKey(vault, meta.name), modRevision: ifMetaRevision }],
      then: [
        { type: 'put', key: metaKey(vault, meta.name), value: encodeJson(meta) },
        ...versions.map((v): TxnOp => ({ type: 'put', key: versionKey(vault, v.name, v.version), value: encodeJson(v) })),
        ...extra,
      ],
    });
    this.invalidate(vault, meta.name);
    return res.succeeded;
  }

  async purge(vault: string, name: string): Promise<void> {
    await this.store.txn({ then: [{ type: 'delete', key: metaKey(vault, name) }, { type: 'deletePrefix', prefix: versionPrefix(vault, name) }] });
    this.invalidate(vault, name);
  }

  private invalidate(vault: string, name: string): void {
    const p = this.cacheId(vault, name);
    this.metas.delete(p);
    for (const k of [...this.loaded.keys()]) if (k.startsWith(p)) this.loaded.delete(k);
  }
}
