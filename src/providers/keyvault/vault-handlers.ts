/**
 * The handlers of `Microsoft.KeyVault/vaults` over ARM (SPEC V-1), one per operation: show, create/update (PUT,
 * PATCH, and recovery with `createMode: recover`), delete (soft), list, accessPolicies add/replace/remove, deleted
 * vaults (list, show, purge) and checkNameAvailability. vault-routes.ts maps them onto ARM paths.
 */
import type { Arm } from '../../arm/arm.js';
import { ArmError, armErrors } from '../../arm/errors.js';
import { AZURE_LOCATIONS, normalizeLocation } from '../../arm/locations.js';
import { page } from '../../arm/paging.js';
import { providerResourceId } from '../../arm/resource-id.js';
import type { ArmRequest, ArmResponse } from '../../arm/router.js';
import type { Caller } from '../../identity/authenticate.js';
import { shown } from '../../util/shown.js';
import type { Clock, Speed } from '../../runtime/clock.js';
import type { TaskRunner } from '../../runtime/tasks.js';
import type { RoleAssignments } from '../../authorization/role-assignments.js';
import type { ProviderRegistrations } from '../resources/provider-registration.js';
import {
  applyAccessPolicyChange,
  hsmPoolResourceId,
  KV_NS,
  mergeVaultProperties,
  parseAccessPolicies,
  requireValidVaultName,
  validVaultName,
  VAULT_TYPE,
  type VaultResource,
} from '../../keyvault/vault-model.js';
import type { DeletedVaultRecord, Vaults } from '../../keyvault/vaults.js';

export const PURGE_TASK = 'keyvault-vault-purge';
const DAY_MS = 86_400_000;

export interface PurgePayload {
  name: string;
  subscriptionId?: string;
  operationId?: string;
}

export interface VaultRouteDeps {
  arm: Arm;
  vaults: Vaults;
  authz: RoleAssignments;
  providers: ProviderRegistrations;
  tasks: TaskRunner;
  clock: Clock;
  speed: Speed;
}

export type VaultHandler = (d: VaultRouteDeps, req: ArmRequest) => Promise<ArmResponse>;

function deletedVaultBody(subscriptionId: string, r: DeletedVaultRecord) {
  return {
    id: `/subscriptions/${subscriptionId}/providers/Microsoft.KeyVault/locations/${r.location}/deletedVaults/${r.name}`,
    name: r.name,
    type: 'Microsoft.KeyVault/deletedVaults',
    properties: {
      vaultId: r.vaultId,
      location: r.location,
      deletionDate: r.deletionDate,
      scheduledPurgeDate: r.scheduledPurgeDate,
      tags: r.tags,
      purgeProtectionEnabled: r.purgeProtectionEnabled,
    },
  };
}

function tagsOf(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) throw armErrors.invalidContent('tags must be an object of strings');
  return value as Record<string, string>;
}

/** ARM's systemData for a resource made now by `caller`: a user by its sign-in name, an application by its id. */
function systemDataOf(caller: Caller, now: string) {
  const by = caller.kind === 'user' && caller.upn ? { name: caller.upn, type: 'User' } : { name: caller.appId, type: 'Application' };
  return { createdBy: by.name, createdByType: by.type, createdAt: now, lastModifiedBy: by.name, lastModifiedByType: by.type, lastModifiedAt: now };
}

const idOf = (req: ArmRequest) => providerResourceId(req.params.subscriptionId!, req.params.resourceGroupName!, KV_NS, [['vaults', req.params.vaultName!]]);
const notFound = (req: ArmRequest) => armErrors.resourceNotFound(VAULT_TYPE, req.params.vaultName!, req.params.resourceGroupName!);

/** Soft-deletes a vault and schedules its purge on the emulated clock (the task runner waits in emulator time). */
export async function softDeleteVault(d: VaultRouteDeps, vault: VaultResource): Promise<void> {
  const now = d.clock.nowMs();
  const purgeAt = now + vault.properties.softDeleteRetentionInDays * DAY_MS;
  await d.vaults.softDelete(vault, new Date(now).toISOString(), new Date(purgeAt).toISOString());
  await d.tasks.enqueue<PurgePayload>(PURGE_TASK, vault.name.toLowerCase(), { name: vault.name }, purgeAt - now);
}

async function load(d: VaultRouteDeps, req: ArmRequest) {
  await d.arm.requireResourceGroup(req.params.subscriptionId!, req.params.resourceGroupName!);
  return d.arm.resources.get<VaultResource>(idOf(req));
}

export const getVault: VaultHandler = async (d, req) => {
  const doc = await load(d, req);
  if (!doc) throw notFound(req);
  return { status: 200, body: doc.value };
};

async function write(d: VaultRouteDeps, req: ArmRequest, mode: 'put' | 'patch'): Promise<ArmResponse> {
  const { vaults } = d;
  const { subscriptionId, resourceGroupName, vaultName } = req.params as Record<string, string>;
  const current = await load(d, req);
  if (mode === 'patch' && !current) throw notFound(req);
  requireValidVaultName(vaultName);
  const body = req.json<Record<string, unknown>>();
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw armErrors.invalidContent('The request body must be a JSON object');
  const props = (body.properties ?? {}) as Record<string, unknown>;
  if (typeof props !== 'object' || Array.isArray(props)) throw armErrors.invalidContent("'properties' must be an object");
  const id = current?.value.id ?? idOf(req);
  await d.providers.requireRegistered(subscriptionId, KV_NS);
  const tags = tagsOf(body.tags);

  let location = current?.value.location;
  if (mode === 'put') {
    if (typeof body.location !== 'string' || body.location.trim() === '') throw armErrors.missingProperty('location');
    const loc = normalizeLocation(body.location);
    if (!loc) {
      throw new ArmError(400, 'LocationNotAvailableForResourceType', `The provided location '${body.location}' is not available for resource type '${VAULT_TYPE}'. List of available regions for the resource type is '${AZURE_LOCATIONS.map((l) => l.name).join(',')}'.`);
    }
    if (current && current.value.location !== loc) {
      throw new ArmError(400, 'InvalidResourceLocation', `The resource '${vaultName}' already exists in location '${current.value.location}' in resource group '${resourceGroupName}'. A resource with the same name cannot be created in location '${loc}'. Please select a new resource name.`);
    }
    location = loc;
  }

  // createMode: recover brings a soft-deleted vault back (SPEC V-1).
  if (!current && props.createMode === 'recover') {
    const record = await vaults.deleted(vaultName);
    if (!record) throw new ArmError(404, 'ResourceNotFound', `The vault '${vaultName}' was not found in the deleted vaults; there is nothing to recover.`);
    if (record.vaultId.toLowerCase() !== id.toLowerCase()) {
      throw new ArmError(400, 'BadRequest', `The deleted vault '${vaultName}' belongs to '${record.vaultId}'; it can only be recovered there.`);
    }
    const recovered: VaultResource = { ...record.vault, ...(tags ? { tags } : {}) };
    await vaults.recover(record, recovered);
    await d.tasks.cancel(PURGE_TASK, vaultName.toLowerCase());
    return { status: 200, body: recovered };
  }
  if (props.createMode !== undefined && props.createMode !== 'default' && props.createMode !== 'recover') {
    throw new ArmError(400, 'BadRequest', `Invalid value found at properties.createMode: '${shown(props.createMode)}'. Allowed values are default, recover.`);
  }

  const merged = mergeVaultProperties(vaultName, props, current?.value.properties, mode);
  const properties = { ...merged, hsmPoolResourceId: hsmPoolResourceId(location!, merged.sku.name) };
  if (current) {
    const next: VaultResource = { ...current.value, ...(tags !== undefined ? { tags } : {}), properties };
    if (!(await vaults.update(next, current.modRevision))) throw new ArmError(409, 'Conflict', `The vault '${vaultName}' was changed by another request; retry the operation.`);
    return { status: 200, body: next };
  }

  // Global name uniqueness, including soft-deleted vaults (SPEC V-1).
  const reservation = await vaults.reservation(vaultName);
  if (reservation?.deleted) {
    throw new ArmError(409, 'ConflictError', 'A vault with the same name already exists in deleted state. You need to either recover or purge existing key vault. Follow this link https://go.microsoft.com/fwlink/?linkid=2149745 for more information on soft delete.');
  }
  const taken = () =>
    new ArmError(409, 'VaultAlreadyExists', `The vault name '${vaultName}' is already in use. Vault names are globally unique so it is possible that the name is already taken. If you are sure that the vault name was not taken then it is possible that a vault with the same name was recently deleted but not purged after being placed in a recoverable state. If the vault is in a recoverable state then the vault will need to be purged before reusing the name. For more information on VaultAlreadyExists, soft delete and purging a vault follow this link https://go.microsoft.com/fwlink/?linkid=2147740.`);
  if (reservation) throw taken();
  const now = d.clock.iso();
  const vault: VaultResource = {
    id,
    name: vaultName,
    type: VAULT_TYPE,
    location: location!,
    tags: tags ?? {},
    systemData: systemDataOf(req.caller, now),
    properties,
  };
  if (!(await vaults.create(vault))) throw taken();
  return { status: 200, body: vault };
}

export const putVault: VaultHandler = (d, req) => write(d, req, 'put');
export const patchVault: VaultHandler = (d, req) => write(d, req, 'patch');

export const deleteVault: VaultHandler = async (d, req) => {
  const doc = await load(d, req);
  if (!doc) return { status: 204 };
  // SPEC K-8: deleting the vault of a KMS cluster is unsupported; it goes to the soft-deleted list.
  await softDeleteVault(d, doc.value);
  return { status: 200 };
};

export const listVaults: VaultHandler = async (d, req) => {
  const rg = req.params.resourceGroupName;
  if (rg) await d.arm.requireResourceGroup(req.params.subscriptionId!, rg);
  const items = await d.arm.resources.list(req.params.subscriptionId!, { ...(rg ? { resourceGroup: rg } : {}), type: VAULT_TYPE });
  return { status: 200, body: page(items, req) };
};

export const changeAccessPolicies: VaultHandler = async (d, req) => {
  const kind = req.params.operationKind!.toLowerCase();
  if (kind !== 'add' && kind !== 'replace' && kind !== 'remove') {
    throw new ArmError(400, 'BadRequest', `Invalid operation kind '${req.params.operationKind}'. Allowed values are add, replace, remove.`);
  }
  const doc = await load(d, req);
  if (!doc) throw notFound(req);
  const body = req.json<{ properties?: { accessPolicies?: unknown } }>();
  const changes = parseAccessPolicies(body?.properties?.accessPolicies, 'properties.accessPolicies');
  if (changes.length === 0) throw new ArmError(400, 'BadRequest', 'The parameter properties.accessPolicies must name at least one access policy.');
  const next: VaultResource = { ...doc.value, properties: { ...doc.value.properties, accessPolicies: applyAccessPolicyChange(doc.value.properties.accessPolicies, kind, changes) } };
  if (!(await d.vaults.update(next, doc.modRevision))) throw new ArmError(409, 'Conflict', 'The vault was changed by another request; retry the operation.');
  return {
    status: 200,
    body: { id: `${doc.value.id}/accessPolicies/${kind}`, name: kind, type: 'Microsoft.KeyVault/vaults/accessPolicies', location: doc.value.location, properties: { accessPolicies: next.properties.accessPolicies } },
  };
};

export const listDeletedVaults: VaultHandler = async (d, req) => {
  const sub = req.params.subscriptionId!.toLowerCase();
  const items = (await d.vaults.listDeleted()).filter((r) => r.vaultId.toLowerCase().startsWith(`/subscriptions/${sub}/`));
  return { status: 200, body: page(items.map((r) => deletedVaultBody(req.params.subscriptionId!, r)), req) };
};

async function findDeleted(d: VaultRouteDeps, req: ArmRequest): Promise<DeletedVaultRecord> {
  const r = await d.vaults.deleted(req.params.vaultName!);
  const sub = req.params.subscriptionId!.toLowerCase();
  if (!r || !r.vaultId.toLowerCase().startsWith(`/subscriptions/${sub}/`) || r.location !== normalizeLocation(req.params.location!)) {
    throw new ArmError(404, 'ResourceNotFound', `The Resource 'Microsoft.KeyVault/deletedVaults/${req.params.vaultName}' under location '${req.params.location}' was not found.`);
  }
  return r;
}

export const getDeletedVault: VaultHandler = async (d, req) => ({ status: 200, body: deletedVaultBody(req.params.subscriptionId!, await findDeleted(d, req)) });

export const purgeDeletedVault: VaultHandler = async (d, req) => {
  const r = await findDeleted(d, req);
  if (r.purgeProtectionEnabled && d.clock.nowMs() < Date.parse(r.scheduledPurgeDate)) {
    throw new ArmError(
      409,
      'Conflict',
      `The vault '${r.name}' has purge protection enabled and cannot be purged before its scheduled purge date ${r.scheduledPurgeDate}; Key Vault purges it automatically then.`,
    );
  }
  const op = await d.arm.operations.create({ subscriptionId: req.params.subscriptionId!, namespace: KV_NS, location: r.location, resourceId: r.vaultId });
  await d.tasks.enqueue<PurgePayload>(PURGE_TASK, r.name.toLowerCase(), { name: r.name, subscriptionId: req.params.subscriptionId!, operationId: op.id }, d.speed.delay(10_000));
  return { status: 202, headers: d.arm.operations.headers(req, op) };
};

export const checkNameAvailability: VaultHandler = async (d, req) => {
  const body = req.json<{ name?: unknown; type?: unknown }>();
  if (typeof body?.name !== 'string') throw armErrors.missingProperty('name');
  if (body.type !== undefined && (typeof body.type !== 'string' || body.type.toLowerCase() !== VAULT_TYPE.toLowerCase())) {
    throw new ArmError(400, 'BadRequest', `Invalid value found at type: '${shown(body.type)}'. Allowed value is ${VAULT_TYPE}.`);
  }
  if (!validVaultName(body.name)) {
    return { status: 200, body: { nameAvailable: false, reason: 'AccountNameInvalid', message: `Vault name '${body.name}' is invalid. A vault's name must be between 3-24 alphanumeric characters. The name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens.` } };
  }
  const taken = await d.vaults.reservation(body.name);
  return {
    status: 200,
    body: taken ? { nameAvailable: false, reason: 'AlreadyExists', message: `The vault name '${body.name}' is already in use.` } : { nameAvailable: true },
  };
};
