/**
 * `aksemu aks encryption status`: what Azure cannot tell its users — how many of a cluster's
 * secrets are stored in plaintext, under which key (key id and version, provider, KMS API) and how many cannot be
 * read any more — computed from the raw store. "Unreadable" is tried, not guessed: every value encrypted under a
 * configured key is read through the cluster's transformers (each distinct DEK or seed costs one plugin Decrypt);
 * values under a key the cluster no longer has configured cannot be read by its API server at all.
 */
import { classify } from '../../../encryption/inspect.js';
import type { ProviderChain } from '../../../encryption/chain.js';
import { parseKeyId } from '../../../kms/key-id.js';
import type { Store } from '../../../store/store.js';
import { clusterPrefix } from '../../../clusters/cluster-registry.js';
import type { KmsClusterState, KmsKeyRecord } from './state.js';

export interface KeyCount {
  provider: string;
  api: 'v1' | 'v2';
  /** The key id (URL) when aksemu knows it from the cluster's history. */
  keyId?: string;
  keyVault?: string;
  keyName?: string;
  keyVersion?: string;
  /** KMS v2 key id (hex SHA-256 of the key id URL). */
  kmsKeyId?: string;
  /** writes: the current write key; read: configured for reads; none: no longer configured. */
  role: 'write' | 'read' | 'none';
  secrets: number;
}

export interface EncryptionStatus {
  cluster: string;
  /** What new secrets are written with. */
  writer: string;
  total: number;
  plaintext: number;
  keys: KeyCount[];
  /** Secrets in a form the current configuration does not write (a migration rewrites them). */
  stale: number;
  unreadable: number;
  /** Up to 50 unreadable secrets, `namespace/name: reason`. */
  unreadableSecrets: string[];
}

function describeKey(rec: KmsKeyRecord | undefined): Pick<KeyCount, 'keyId' | 'keyVault' | 'keyName' | 'keyVersion' | 'kmsKeyId'> {
  if (!rec) return {};
  const k = parseKeyId(rec.kid);
  return { keyId: rec.kid, keyVault: k.vaultName, keyName: k.keyName, keyVersion: k.keyVersion, kmsKeyId: rec.keyIdHash };
}

export async function encryptionStatus(store: Store, clusterId: string, uid: string, state: KmsClusterState | undefined, chain: ProviderChain | undefined): Promise<EncryptionStatus> {
  const prefix = `${clusterPrefix(uid)}/registry/secrets/`;
  const configured = new Map((state?.providers ?? []).map((p, i) => [`${p.api}:${p.name}`, state!.enabled && i === 0 ? ('write' as const) : ('read' as const)]));
  const history = new Map((state?.history ?? []).map((h) => [`${h.api}:${h.name}`, h]));
  const counts = new Map<string, KeyCount>();
  const out: EncryptionStatus = { cluster: clusterId, writer: state?.enabled ? `kms-${state.providers[0]!.api}:${state.providers[0]!.name}` : 'identity', total: 0, plaintext: 0, keys: [], stale: 0, unreadable: 0, unreadableSecrets: [] };
  const unreadable = (key: string, why: string) => {
    out.unreadable++;
    if (out.unreadableSecrets.length < 50) out.unreadableSecrets.push(`${key.slice(prefix.length)}: ${why}`);
  };
  let after: string | undefined;
  for (;;) {
    const page = await store.range(prefix, { limit: 1000, ...(after ? { after } : {}) });
    for (const kv of page.items) {
      out.total++;
      const at = classify(kv.value);
      if (at.kind === 'plaintext') out.plaintext++;
      else if (at.kind === 'other') {
        unreadable(kv.key, `stored with a transformer aksemu does not configure (${at.prefix})`);
        continue;
      } else {
        const id = `${at.kind === 'kms-v1' ? 'v1' : 'v2'}:${at.provider}`;
        let c = counts.get(id);
        if (!c) {
          c = { provider: at.provider, api: at.kind === 'kms-v1' ? 'v1' : 'v2', ...describeKey(history.get(id)), role: configured.get(id) ?? 'none', secrets: 0 };
          counts.set(id, c);
        }
        c.secrets++;
        if (c.role === 'none') {
          unreadable(kv.key, `encrypted with ${at.provider}, a key the cluster no longer has configured`);
          continue;
        }
      }
      if (!chain) continue;
      try {
        const r = await chain.fromStorage(kv.value, kv.key.slice(clusterPrefix(uid).length), { bulk: true });
        if (r.stale) out.stale++;
      } catch (err) {
        unreadable(kv.key, (err as Error).message);
      }
    }
    if (!page.more) break;
    after = page.items[page.items.length - 1]!.key;
  }
  out.keys = [...counts.values()].sort((a, b) => b.secrets - a.secrets);
  return out;
}
