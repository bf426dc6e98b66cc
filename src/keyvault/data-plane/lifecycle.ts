/**
 * The life of a key after creation (SPEC V-2): soft delete, the deleted keys (show, list), recover and purge —
 * with the vault's retention period and purge protection — and backup/restore of a key with all its versions.
 */
import { deletedFields, keyBundle, keyItem, kidOf } from '../bundle.js';
import { KvError, kvErrors } from '../errors.js';
import type { KeyMeta, KeyVersionRecord } from '../key-store.js';
import { authorize } from './auth.js';
import { nowSeconds, type OperationDeps } from './deps.js';
import { activeMeta, changedMeanwhile, deletedMeta, latestOf } from './key-state.js';
import { b64, b64u, pageOf, type OperationResult, type RequestContext } from './request.js';

const DAY = 86_400;
const BACKUP_PURPOSE = 'aksemu/keyvault-key-backup';

export async function deleteKey(d: OperationDeps, c: RequestContext, name: string): Promise<OperationResult> {
  await authorize(d, c, name);
  for (let attempt = 0; attempt < 5; attempt++) {
    const { meta, modRevision } = await activeMeta(d, c, name);
    const latest = await d.keys.version(c.vault.name, meta.name, latestOf(meta));
    const t = nowSeconds(d);
    const next: KeyMeta = { ...meta, deleted: { deletedDate: t, scheduledPurgeDate: t + c.vault.properties.softDeleteRetentionInDays * DAY } };
    c.audit.keyVersion = latest?.version;
    if (await d.keys.write(c.vault.name, next, modRevision)) {
      return { status: 200, body: { ...deletedFields(c.vault, next), ...keyBundle(c.vault, latest!, c.apiVersion) } };
    }
  }
  throw changedMeanwhile(name);
}

export async function getDeletedKey(d: OperationDeps, c: RequestContext, name: string): Promise<OperationResult> {
  await authorize(d, c, name);
  const { meta } = await deletedMeta(d, c, name);
  const latest = (await d.keys.version(c.vault.name, meta.name, latestOf(meta)))!;
  return { status: 200, body: { ...deletedFields(c.vault, meta), ...keyBundle(c.vault, latest, c.apiVersion) } };
}

export async function listDeletedKeys(d: OperationDeps, c: RequestContext): Promise<OperationResult> {
  await authorize(d, c);
  const metas = (await d.keys.listMetas(c.vault.name)).filter((m) => m.deleted && m.deleted.scheduledPurgeDate > nowSeconds(d));
  const items = [];
  for (const m of metas) {
    const r = await d.keys.version(c.vault.name, m.name, latestOf(m));
    if (r) items.push({ ...deletedFields(c.vault, m), ...keyItem(c.vault, r, c.apiVersion, { withVersion: false }) });
  }
  return { status: 200, body: pageOf(c, items, '/deletedkeys') };
}

export async function recoverKey(d: OperationDeps, c: RequestContext, name: string): Promise<OperationResult> {
  await authorize(d, c, name);
  const { meta, modRevision } = await deletedMeta(d, c, name);
  const { deleted: _d, ...rest } = meta;
  if (!(await d.keys.write(c.vault.name, rest, modRevision))) throw changedMeanwhile(name);
  const latest = (await d.keys.version(c.vault.name, meta.name, latestOf(meta)))!;
  return { status: 200, body: keyBundle(c.vault, latest, c.apiVersion) };
}

export async function purgeKey(d: OperationDeps, c: RequestContext, name: string): Promise<OperationResult> {
  await authorize(d, c, name);
  const { meta } = await deletedMeta(d, c, name);
  if (c.vault.properties.enablePurgeProtection) {
    throw new KvError(403, 'Forbidden', 'Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.', 'ForbiddenByPolicy');
  }
  await d.keys.purge(c.vault.name, meta.name);
  return { status: 204 };
}

/** Every version of the key, private keys included, sealed under the master key into one opaque blob. */
export async function backupKey(d: OperationDeps, c: RequestContext, name: string): Promise<OperationResult> {
  await authorize(d, c, name);
  const { meta } = await activeMeta(d, c, name);
  const records = await d.keys.versions(c.vault.name, meta.name);
  const payload = {
    meta: { name: meta.name, versions: meta.versions, ...(meta.rotationPolicy ? { rotationPolicy: meta.rotationPolicy } : {}) },
    versions: records.map((r) => ({ ...r, sealedPrivateKey: '', privateDer: d.keys.unsealDer(c.vault.name, r).toString('base64') })),
  };
  const blob = d.sealer.seal(Buffer.from(JSON.stringify(payload)), BACKUP_PURPOSE);
  return { status: 200, body: { value: b64u(blob) } };
}

/** Restores a backup into a vault that has no key of that name (the name is only known once the blob is open). */
export async function restoreKey(d: OperationDeps, c: RequestContext): Promise<OperationResult> {
  const body = c.body();
  const blob = b64(body.value, 'value');
  let payload: { meta: KeyMeta; versions: Array<KeyVersionRecord & { privateDer: string }> };
  try {
    payload = JSON.parse(d.sealer.unseal(blob, BACKUP_PURPOSE).toString('utf8'));
  } catch {
    throw kvErrors.badParameter('Backup blob contains invalid or corrupt version.');
  }
  await authorize(d, c, payload.meta.name);
  const { meta, modRevision } = await d.keys.meta(c.vault.name, payload.meta.name);
  if (meta?.deleted) throw kvErrors.deletedButRecoverable(payload.meta.name);
  if (meta) throw new KvError(409, 'Conflict', `There is a key with the name ${payload.meta.name} already in the vault; a backup restores only into a vault without it.`);
  const records: KeyVersionRecord[] = payload.versions.map(({ privateDer, ...r }) => {
    const der = Buffer.from(privateDer, 'base64');
    const record = { ...r, sealedPrivateKey: d.sealer.seal(der, `aksemu/keyvault-key/${kidOf(c.vault.name, r).toLowerCase()}`).toString('base64') };
    der.fill(0);
    return record;
  });
  if (!(await d.keys.write(c.vault.name, payload.meta, modRevision, records))) throw changedMeanwhile();
  const latest = records.find((r) => r.version === latestOf(payload.meta))!;
  c.audit.keyVersion = latest.version;
  return { status: 200, body: keyBundle(c.vault, latest, c.apiVersion) };
}
