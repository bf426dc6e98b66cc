/** Key Vault wire shapes (KeyBundle, KeyItem, DeletedKeyBundle) from the stored records (SPEC V-2). */
import type { VaultResource } from './vault-model.js';
import { recoveryLevel } from './vault-model.js';
import { atLeast } from './api-version.js';
import type { KeyMeta, KeyVersionRecord } from './key-store.js';

export function vaultBase(vaultName: string): string {
  return `https://${vaultName.toLowerCase()}.vault.azure.net/`;
}

export function kidOf(vaultName: string, r: Pick<KeyVersionRecord, 'name' | 'version'>): string {
  return `${vaultBase(vaultName)}keys/${r.name}/${r.version}`;
}

export function attributesOf(vault: VaultResource, r: KeyVersionRecord, apiVersion: string) {
  const a = r.attributes;
  return {
    enabled: a.enabled,
    ...(a.nbf !== undefined ? { nbf: a.nbf } : {}),
    ...(a.exp !== undefined ? { exp: a.exp } : {}),
    created: a.created,
    updated: a.updated,
    recoveryLevel: recoveryLevel(vault.properties),
    recoverableDays: vault.properties.softDeleteRetentionInDays,
    ...(atLeast(apiVersion, '7.3') ? { exportable: a.exportable ?? false } : {}),
  };
}

export function keyBundle(vault: VaultResource, r: KeyVersionRecord, apiVersion: string) {
  return {
    key: { kid: kidOf(vault.name, r), kty: r.kty, key_ops: r.keyOps, ...r.jwk },
    attributes: attributesOf(vault, r, apiVersion),
    tags: r.tags,
  };
}

export function keyItem(vault: VaultResource, r: KeyVersionRecord, apiVersion: string, opts: { withVersion: boolean }) {
  return {
    kid: opts.withVersion ? kidOf(vault.name, r) : `${vaultBase(vault.name)}keys/${r.name}`,
    attributes: attributesOf(vault, r, apiVersion),
    tags: r.tags,
  };
}

export function deletedFields(vault: VaultResource, meta: KeyMeta) {
  return {
    recoveryId: `${vaultBase(vault.name)}deletedkeys/${meta.name}`,
    deletedDate: meta.deleted!.deletedDate,
    scheduledPurgeDate: meta.deleted!.scheduledPurgeDate,
  };
}
