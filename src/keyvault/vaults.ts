/**
 * The vault registry shared by the management plane and the data plane (SPEC V-1, V-2).
 *
 *   /arm/resources/<vault id>               the vault's ARM document
 *   /keyvault/names/<name>                   the global name reservation: {vaultId, deleted} (names are unique
 *                                            across resource groups and subscriptions, as in Azure, and stay
 *                                            reserved while the vault is soft-deleted, until it is purged)
 *   /keyvault/deletedvaults/<name>          a soft-deleted vault: when, until when, and the vault as it was
 *   /keyvault/vaults/<name>/...             the vault's keys (keyvault/key-store.ts)
 *
 * Reads for the data plane go through an in-process copy of active vaults, dropped on every write this process
 * makes (the only writer of these keys), so per-request authorization costs no store read.
 */
import type { Arm } from '../arm/arm.js';
import type { Store } from '../store/store.js';
import { encodeJson, getJson, listJson } from '../store/json.js';
import { resourceKey } from '../arm/repository.js';
import type { VaultResource } from './vault-model.js';

export interface NameReservation {
  vaultId: string;
  deleted: boolean;
}

export interface DeletedVaultRecord {
  name: string;
  vaultId: string;
  location: string;
  deletionDate: string;
  scheduledPurgeDate: string;
  purgeProtectionEnabled: boolean;
  tags: Record<string, string>;
  vault: VaultResource;
}

const nameKey = (name: string) => `/keyvault/names/${name.toLowerCase()}`;
const deletedKey = (name: string) => `/keyvault/deletedvaults/${name.toLowerCase()}`;
export const vaultDataPrefix = (name: string) => `/keyvault/vaults/${name.toLowerCase()}/`;

export class Vaults {
  private readonly cache = new Map<string, { vault: VaultResource | undefined }>();
  private readonly listeners = new Set<(name: string) => void>();

  constructor(
    private readonly arm: Arm,
    private readonly store: Store,
  ) {}

  /** Called with the vault name after every change to a vault (the data plane drops its caches). */
  onChange(listener: (name: string) => void): void {
    this.listeners.add(listener);
  }

  private changed(name: string): void {
    this.cache.delete(name.toLowerCase());
    for (const l of this.listeners) l(name.toLowerCase());
  }

  async reservation(name: string): Promise<NameReservation | undefined> {
    return (await getJson<NameReservation>(this.store, nameKey(name)))?.value;
  }

  /** The active vault with this name (any subscription or resource group), or undefined. */
  async byName(name: string): Promise<VaultResource | undefined> {
    const n = name.toLowerCase();
    const hit = this.cache.get(n);
    if (hit) return hit.vault;
    const res = await this.reservation(n);
    const vault = res && !res.deleted ? (await this.arm.resources.get<VaultResource>(res.vaultId))?.value : undefined;
    this.cache.set(n, { vault });
    return vault;
  }

  /** Creates a vault and reserves its name in one transaction; false if the name was taken meanwhile. */
  async create(vault: VaultResource): Promise<boolean> {
    const res = await this.store.txn({
      if: [{ key: nameKey(vault.name), modRevision: 0 }, { key: resourceKey(vault.id), modRevision: 0 }],
      then: [
        { type: 'put', key: nameKey(vault.name), value: encodeJson({ vaultId: vault.id, deleted: false } satisfies NameReservation) },
        { type: 'put', key: resourceKey(vault.id), value: encodeJson(vault) },
      ],
    });
    this.changed(vault.name);
    return res.succeeded;
  }

  async update(vault: VaultResource, ifModRevision: number): Promise<boolean> {
    const res = await this.arm.resources.put(vault, { ifModRevision });
    this.changed(vault.name);
    return res.succeeded;
  }

  /** Soft-deletes a vault: its document moves to the deleted list, its name stays reserved, its keys stay. */
  async softDelete(vault: VaultResource, deletionDate: string, scheduledPurgeDate: string): Promise<DeletedVaultRecord> {
    const record: DeletedVaultRecord = {
      name: vault.name,
      vaultId: vault.id,
      location: vault.location,
      deletionDate,
      scheduledPurgeDate,
      purgeProtectionEnabled: vault.properties.enablePurgeProtection === true,
      tags: vault.tags ?? {},
      vault,
    };
    await this.store.txn({
      then: [
        { type: 'delete', key: resourceKey(vault.id) },
        { type: 'put', key: deletedKey(vault.name), value: encodeJson(record) },
        { type: 'put', key: nameKey(vault.name), value: encodeJson({ vaultId: vault.id, deleted: true } satisfies NameReservation) },
      ],
    });
    this.changed(vault.name);
    return record;
  }

  async deleted(name: string): Promise<DeletedVaultRecord | undefined> {
    return (await getJson<DeletedVaultRecord>(this.store, deletedKey(name)))?.value;
  }

  async listDeleted(): Promise<DeletedVaultRecord[]> {
    return (await listJson<DeletedVaultRecord>(this.store, '/keyvault/deletedvaults/')).map((d) => d.value);
  }

  /** Recovers a soft-deleted vault as it was (createMode: recover). */
  async recover(record: DeletedVaultRecord, vault: VaultResource): Promise<void> {
    await this.store.txn({
      then: [
        { type: 'delete', key: deletedKey(record.name) },
        { type: 'put', key: resourceKey(vault.id), value: encodeJson(vault) },
        { type: 'put', key: nameKey(vault.name), value: encodeJson({ vaultId: vault.id, deleted: false } satisfies NameReservation) },
      ],
    });
    this.changed(vault.name);
  }

  /** Purges a soft-deleted vault: its keys and the name reservation go; the name is free again. */
  async purge(name: string): Promise<void> {
    await this.store.txn({
      then: [
        { type: 'delete', key: deletedKey(name) },
        { type: 'delete', key: nameKey(name) },
        { type: 'deletePrefix', prefix: vaultDataPrefix(name) },
      ],
    });
    this.changed(name);
  }
}
