/**
 * `aksemu keyvault create|update|show|list|delete|purge|recover|list-deleted|set-policy|delete-policy`: the Key
 * Vault management plane (Microsoft.KeyVault/vaults, SPEC V-1, K-5, K-9) as az drives it.
 *
 * One deliberate difference from az 2.61+: without --enable-rbac-authorization the vault uses access policies, as
 * the KMS article (and every az before 2.61) expects: its "non-RBAC vault" steps create the vault without the flag
 * and then grant access with `keyvault set-policy`, which an RBAC vault refuses. Pass the flag explicitly to get
 * an RBAC vault.
 */
import { API } from '../api-versions.js';
import { AzCliError, ArgumentUsageError } from '../framework/errors.js';
import type { CommandContext, Session } from '../framework/context.js';
import type { ArgSpec, CommandSpec } from '../framework/spec.js';
import { locationArg, parseTags, resourceGroupArg, tagsArg } from './common-args.js';
import { findResourceGroup, resourceGroupLocation } from './resolve.js';
import { azModel } from './shape.js';

const TYPE = 'Microsoft.KeyVault/vaults';

export const KEY_PERMISSIONS = ['all', 'encrypt', 'decrypt', 'wrapKey', 'unwrapKey', 'sign', 'verify', 'get', 'list', 'create', 'update', 'import', 'delete', 'backup', 'restore', 'recover', 'purge', 'release', 'rotate', 'getrotationpolicy', 'setrotationpolicy'];
export const SECRET_PERMISSIONS = ['all', 'get', 'list', 'set', 'delete', 'backup', 'restore', 'recover', 'purge'];
export const CERTIFICATE_PERMISSIONS = ['all', 'get', 'list', 'delete', 'create', 'import', 'update', 'managecontacts', 'getissuers', 'listissuers', 'setissuers', 'deleteissuers', 'manageissuers', 'recover', 'purge', 'backup', 'restore'];
export const STORAGE_PERMISSIONS = ['all', 'get', 'list', 'delete', 'set', 'update', 'regeneratekey', 'recover', 'purge', 'backup', 'restore', 'setsas', 'listsas', 'getsas', 'deletesas'];

const vaultNameArg: ArgSpec = { dest: 'name', options: ['--name', '-n'], required: true, help: 'Name of the Vault.' };
const optionalRg = resourceGroupArg(false, 'Proceed only if Key Vault belongs to the specified resource group.');
const threeState = (dest: string, option: string, help: string): ArgSpec => ({ dest, options: [option], kind: 'three-state', help });
const networkArgs: ArgSpec[] = [
  { dest: 'bypass', options: ['--bypass'], choices: ['AzureServices', 'None'], help: 'Bypass traffic for space-separated uses.', group: 'Network Rule' },
  { dest: 'defaultAction', options: ['--default-action'], choices: ['Allow', 'Deny'], help: 'Default action to apply when no rule matches.', group: 'Network Rule' },
];
const commonVaultArgs: ArgSpec[] = [
  threeState('enableRbacAuthorization', '--enable-rbac-authorization', 'Property that controls how data actions are authorized. When true, the key vault will use Role Based Access Control (RBAC) for authorization of data actions, and the access policies specified in vault properties will be ignored.'),
  threeState('enablePurgeProtection', '--enable-purge-protection', 'Property specifying whether protection against purge is enabled for this vault. Enabling this functionality is irreversible.'),
  threeState('enabledForDeployment', '--enabled-for-deployment', '[Vault Only] Property to specify whether Azure Virtual Machines are permitted to retrieve certificates stored as secrets from the key vault.'),
  threeState('enabledForDiskEncryption', '--enabled-for-disk-encryption', '[Vault Only] Property to specify whether Azure Disk Encryption is permitted to retrieve secrets from the vault and unwrap keys.'),
  threeState('enabledForTemplateDeployment', '--enabled-for-template-deployment', '[Vault Only] Property to specify whether Azure Resource Manager is permitted to retrieve secrets from the key vault.'),
  { dest: 'publicNetworkAccess', options: ['--public-network-access'], choices: ['Enabled', 'Disabled'], help: 'Control permission for data plane traffic coming from public networks while private endpoint is enabled.' },
];

export const vaultPath = (sub: string, rg: string, name: string) => `/subscriptions/${sub}/resourceGroups/${encodeURIComponent(rg)}/providers/${TYPE}/${encodeURIComponent(name)}`;

/** az's vault output: the Vault model (properties stay nested). */
export const vaultOutput = (v: unknown) => azModel(v);

/** A vault's resource group: the one given, else looked up by name in the subscription (az's validator). */
export async function vaultResourceGroup(s: Session, name: string, resourceGroup: string | undefined): Promise<string> {
  if (resourceGroup !== undefined) return resourceGroup;
  const rg = await findResourceGroup(s, TYPE, name);
  if (!rg) throw new AzCliError(`The Vault '${name}' not found within subscription.`);
  return rg;
}

/**
 * The object id of the signed-in account, as az finds it: Graph's /me (a user); when that fails (an app-only token
 * has no "me") the account by its name, a user's sign-in name or a service principal's appId.
 */
async function currentObjectId(s: Session): Promise<string> {
  const me = await s.graph.get<{ id?: string }>('/v1.0/me', [400, 403, 404]);
  if (me.status === 200 && me.body?.id) return me.body.id;
  const c = s.credentials;
  const id = c.kind === 'user' ? await objectIdByUpn(s, c.username) : await objectIdBySpn(s, c.clientId);
  if (!id) {
    throw new AzCliError('Cannot create vault.\nUnable to query active directory for information about the current user.\nYou may try the --no-self-perms flag to create a vault without permissions.');
  }
  return id;
}

/** az's _get_object_id_by_spn: servicePrincipals?$filter=servicePrincipalNames/any(c:c eq 'SPN'). */
async function objectIdBySpn(s: Session, spn: string): Promise<string | undefined> {
  const filter = encodeURIComponent(`servicePrincipalNames/any(c:c eq '${spn}')`);
  const sp = await s.graph.get<{ value?: Array<{ id: string }> }>(`/v1.0/servicePrincipals?$filter=${filter}`);
  return sp.body?.value?.[0]?.id;
}

/** az's _get_object_id_by_upn: users?$filter=userPrincipalName eq 'UPN'. */
async function objectIdByUpn(s: Session, upn: string): Promise<string | undefined> {
  const filter = encodeURIComponent(`userPrincipalName eq '${upn}'`);
  const users = await s.graph.get<{ value?: Array<{ id: string }> }>(`/v1.0/users?$filter=${filter}`);
  return users.body?.value?.[0]?.id;
}

function networkAcls(a: Record<string, any>): Record<string, unknown> {
  return { bypass: a.bypass ?? 'AzureServices', defaultAction: a.defaultAction ?? 'Allow', ipRules: [], virtualNetworkRules: [] };
}

async function putVault(ctx: CommandContext, s: Session, rg: string, name: string, body: unknown): Promise<unknown> {
  const result = await s.arm.lro('PUT', vaultPath(s.subscriptionId, rg, name), { apiVersion: API.keyVaultVaults, body, noWait: ctx.noWait, progress: ctx.progress() });
  return result === undefined ? undefined : vaultOutput(result);
}

/** az's _object_id_args_helper: --object-id as given, --spn / --upn resolved through Graph. */
async function principalObjectId(ctx: CommandContext, s: Session, a: Record<string, any>): Promise<string> {
  if (a.objectId) return a.objectId;
  const id = a.spn ? await objectIdBySpn(s, a.spn) : await objectIdByUpn(s, a.upn);
  if (!id) {
    ctx.warn(a.spn ? `Unable to find user with spn '${a.spn}'` : `Unable to find user with upn '${a.upn}'`);
    throw new AzCliError('Unable to get object id from principal name.');
  }
  return id;
}

const principalArgs: ArgSpec[] = [
  { dest: 'objectId', options: ['--object-id'], help: 'A GUID that identifies the principal that will receive permissions.' },
  { dest: 'spn', options: ['--spn'], help: 'Name of a service principal that will receive permissions.' },
  { dest: 'upn', options: ['--upn'], help: 'Name of a user principal that will receive permissions.' },
  { dest: 'applicationId', options: ['--application-id'], help: 'Application ID of the client making request on behalf of a principal. Exposed for compound identity using on-behalf-of authentication flow.' },
];

function requireOnePrincipal(a: Record<string, any>): void {
  if ([a.objectId, a.spn, a.upn].filter((v) => v).length !== 1) throw new ArgumentUsageError('specify exactly one: --object-id, --spn, --upn');
}

const perm = (dest: string, option: string, choices: string[], what: string): ArgSpec => ({
  dest,
  options: [option],
  kind: 'list',
  allowEmpty: true,
  choices,
  metavar: 'PERM',
  group: 'Permission',
  help: `Space-separated list of ${what} permissions to assign.`,
});

const distinct = (xs: string[] | undefined) => (xs === undefined ? undefined : [...new Set(xs)]);

export const keyvaultCommands: CommandSpec[] = [
  {
    path: 'keyvault create',
    summary: 'Create a Vault.',
    args: [
      { ...vaultNameArg },
      resourceGroupArg(),
      locationArg(),
      { dest: 'sku', options: ['--sku'], help: 'Required. SKU details. Allowed values for Vault: premium, standard. Default: standard.' },
      { dest: 'retentionDays', options: ['--retention-days'], default: '90', help: 'Soft delete data retention days. It accepts >=7 and <=90.' },
      threeState('noSelfPerms', '--no-self-perms', "[Vault Only] Don't add permissions for the current user/service principal in the new vault."),
      ...commonVaultArgs,
      ...networkArgs,
      tagsArg(),
    ],
    noWait: true,
    examples: [
      { name: 'Create a key vault with network ACLs specified (use --network-acls to specify IP and VNet rules by using a JSON string).', text: 'az keyvault create --location westus2 --name MyKeyVault --resource-group MyResourceGroup --network-acls "{\\"ip\\": [\\"1.2.3.4\\", \\"2.3.4.0/24\\"], \\"vnet\\": [\\"vnet_name_1/subnet_name1\\", \\"vnet_name_2/subnet_name2\\", \\"/subscriptions/000000-0000-0000/resourceGroups/MyResourceGroup/providers/Microsoft.Network/virtualNetworks/MyVNet/subnets/MySubnet\\"]}"' },
      { name: 'Create a key vault. (autogenerated)', text: 'az keyvault create --location westus2 --name MyKeyVault --resource-group MyResourceGroup' },
    ],
    async run(ctx, a) {
      const s = await ctx.session();
      const existing = await s.arm.tryGet(vaultPath(s.subscriptionId, a.resourceGroup, a.name), API.keyVaultVaults);
      if (existing) throw new AzCliError(`The specified vault: ${a.name} already exists`);
      const retention = Number(a.retentionDays);
      if (!Number.isInteger(retention)) throw new AzCliError(`invalid literal for int() with base 10: '${a.retentionDays}'`);
      const rbac = a.enableRbacAuthorization ?? false;
      const location = a.location ?? (await resourceGroupLocation(s, a.resourceGroup));
      let accessPolicies: unknown[] = [];
      if (!a.noSelfPerms && !rbac) {
        accessPolicies = [
          { tenantId: s.tenantId, objectId: await currentObjectId(s), permissions: { keys: ['all'], secrets: ['all'], certificates: ['all'], storage: ['all'] } },
        ];
      }
      const body = {
        location,
        ...(a.tags !== undefined ? { tags: parseTags(a.tags) } : {}),
        properties: {
          tenantId: s.tenantId,
          sku: { family: 'A', name: a.sku ?? 'standard' },
          accessPolicies,
          enableRbacAuthorization: rbac,
          softDeleteRetentionInDays: retention,
          networkAcls: networkAcls(a),
          ...(a.enabledForDeployment !== undefined ? { enabledForDeployment: a.enabledForDeployment } : {}),
          ...(a.enabledForDiskEncryption !== undefined ? { enabledForDiskEncryption: a.enabledForDiskEncryption } : {}),
          ...(a.enabledForTemplateDeployment !== undefined ? { enabledForTemplateDeployment: a.enabledForTemplateDeployment } : {}),
          ...(a.enablePurgeProtection !== undefined ? { enablePurgeProtection: a.enablePurgeProtection } : {}),
          ...(a.publicNetworkAccess !== undefined ? { publicNetworkAccess: a.publicNetworkAccess } : {}),
        },
      };
      return putVault(ctx, s, a.resourceGroup, a.name, body);
    },
  },
  {
    path: 'keyvault update',
    summary: 'Update the properties of a Vault.',
    args: [
      { ...vaultNameArg },
      optionalRg,
      { dest: 'retentionDays', options: ['--retention-days'], help: 'Soft delete data retention days. It accepts >=7 and <=90.' },
      ...commonVaultArgs,
      ...networkArgs,
      tagsArg(),
    ],
    noWait: true,
    examples: [{ name: 'Update the properties of a Vault. (autogenerated)', text: 'az keyvault update --enabled-for-disk-encryption true --name MyKeyVault --resource-group MyResourceGroup' }],
    async run(ctx, a) {
      const s = await ctx.session();
      const rg = await vaultResourceGroup(s, a.name, a.resourceGroup);
      const vault = await s.arm.get(vaultPath(s.subscriptionId, rg, a.name), API.keyVaultVaults);
      const p = { ...(vault.properties ?? {}) };
      for (const k of ['enableRbacAuthorization', 'enablePurgeProtection', 'enabledForDeployment', 'enabledForDiskEncryption', 'enabledForTemplateDeployment', 'publicNetworkAccess']) {
        if (a[k] !== undefined) p[k] = a[k];
      }
      if (a.retentionDays !== undefined) p.softDeleteRetentionInDays = Number(a.retentionDays);
      if (a.bypass !== undefined || a.defaultAction !== undefined) {
        p.networkAcls = { ...(p.networkAcls ?? networkAcls({})), ...(a.bypass !== undefined ? { bypass: a.bypass } : {}), ...(a.defaultAction !== undefined ? { defaultAction: a.defaultAction } : {}) };
      }
      const body = { location: vault.location, tags: a.tags !== undefined ? parseTags(a.tags) : vault.tags, properties: p };
      return putVault(ctx, s, rg, a.name, body);
    },
  },
  {
    path: 'keyvault show',
    summary: 'Show details of a Vault.',
    args: [{ ...vaultNameArg }, optionalRg],
    async run(ctx, a) {
      const s = await ctx.session();
      const rg = await vaultResourceGroup(s, a.name, a.resourceGroup);
      return vaultOutput(await s.arm.get(vaultPath(s.subscriptionId, rg, a.name), API.keyVaultVaults));
    },
  },
  {
    path: 'keyvault list',
    summary: 'List Vaults within a subscription or resource group.',
    args: [resourceGroupArg(false), { dest: 'resourceType', options: ['--resource-type'], help: 'When --resource-type is not present the command will list all Vaults and HSMs. Possible values for --resource-type are vault and hsm.' }],
    async run(ctx, a) {
      const s = await ctx.session();
      if (a.resourceType !== undefined && String(a.resourceType).toLowerCase() === 'hsm') return [];
      const path = a.resourceGroup !== undefined
        ? `/subscriptions/${s.subscriptionId}/resourceGroups/${encodeURIComponent(a.resourceGroup)}/providers/${TYPE}`
        : `/subscriptions/${s.subscriptionId}/providers/${TYPE}`;
      return (await s.arm.list(path, API.keyVaultVaults)).map(vaultOutput);
    },
  },
  {
    path: 'keyvault delete',
    summary: 'Delete a Vault.',
    args: [{ ...vaultNameArg }, optionalRg],
    async run(ctx, a) {
      const s = await ctx.session();
      const rg = await vaultResourceGroup(s, a.name, a.resourceGroup);
      await s.arm.call('DELETE', vaultPath(s.subscriptionId, rg, a.name), { apiVersion: API.keyVaultVaults });
      return undefined;
    },
  },
  {
    path: 'keyvault list-deleted',
    summary: 'Get information about the deleted Vaults in a subscription.',
    args: [{ dest: 'resourceType', options: ['--resource-type'], help: 'vault or hsm.' }],
    async run(ctx) {
      const s = await ctx.session();
      return (await s.arm.list(`/subscriptions/${s.subscriptionId}/providers/Microsoft.KeyVault/deletedVaults`, API.keyVaultVaults)).map((v) => azModel(v));
    },
  },
  {
    path: 'keyvault purge',
    summary: 'Permanently delete the specified Vault.',
    args: [{ ...vaultNameArg }, { dest: 'location', options: ['--location', '-l'], help: 'Location of the deleted Vault.' }],
    noWait: true,
    async run(ctx, a) {
      const s = await ctx.session();
      const location = a.location ?? (await deletedVaultLocation(s, a.name));
      await s.arm.lro('POST', `/subscriptions/${s.subscriptionId}/providers/Microsoft.KeyVault/locations/${encodeURIComponent(location)}/deletedVaults/${encodeURIComponent(a.name)}/purge`, {
        apiVersion: API.keyVaultVaults,
        noWait: ctx.noWait,
        progress: ctx.progress(),
      });
      return undefined;
    },
  },
  {
    path: 'keyvault recover',
    summary: 'Recover a Vault.',
    args: [{ ...vaultNameArg }, resourceGroupArg(false, 'Resource group of the deleted Vault.'), { dest: 'location', options: ['--location', '-l'], help: 'Location of the deleted Vault.' }],
    noWait: true,
    async run(ctx, a) {
      const s = await ctx.session();
      const list = await s.arm.list<{ name: string; properties: { vaultId: string; location: string } }>(`/subscriptions/${s.subscriptionId}/providers/Microsoft.KeyVault/deletedVaults`, API.keyVaultVaults);
      const deleted = list.find((d) => d.name.toLowerCase() === String(a.name).toLowerCase());
      if (!deleted) throw new AzCliError(`No deleted Vault or HSM was found with name ${a.name}`);
      const rg = a.resourceGroup ?? deleted.properties.vaultId.split('/')[4]!;
      const body = { location: a.location ?? deleted.properties.location, properties: { tenantId: s.tenantId, sku: { family: 'A', name: 'standard' }, createMode: 'recover' } };
      return putVault(ctx, s, rg, a.name, body);
    },
  },
  {
    path: 'keyvault set-policy',
    summary: 'Update security policy settings for a Key Vault.',
    args: [
      { ...vaultNameArg },
      optionalRg,
      ...principalArgs,
      perm('keyPermissions', '--key-permissions', KEY_PERMISSIONS, 'key'),
      perm('secretPermissions', '--secret-permissions', SECRET_PERMISSIONS, 'secret'),
      perm('certificatePermissions', '--certificate-permissions', CERTIFICATE_PERMISSIONS, 'certificate'),
      perm('storagePermissions', '--storage-permissions', STORAGE_PERMISSIONS, 'storage'),
    ],
    noWait: true,
    examples: [
      { name: 'Assign key permissions `get`, `list`, `import` and secret permissions `backup`, `restore` to an object id.', text: 'az keyvault set-policy -n MyVault --key-permissions get list import --secret-permissions backup restore --object-id {GUID}' },
    ],
    async run(ctx, a) {
      requireOnePrincipal(a);
      if ([a.keyPermissions, a.secretPermissions, a.certificatePermissions, a.storagePermissions].every((p) => p === undefined)) {
        throw new ArgumentUsageError('specify at least one: --key-permissions, --secret-permissions, --certificate-permissions --storage-permissions');
      }
      const s = await ctx.session();
      const objectId = await principalObjectId(ctx, s, a);
      const rg = await vaultResourceGroup(s, a.name, a.resourceGroup);
      const vault = await s.arm.get(vaultPath(s.subscriptionId, rg, a.name), API.keyVaultVaults);
      const p = vault.properties ?? {};
      if (p.enableRbacAuthorization) throw new AzCliError("Cannot set policies to a vault with '--enable-rbac-authorization' specified");
      const policies: any[] = [...(p.accessPolicies ?? [])];
      const appId = String(a.applicationId ?? '').toLowerCase();
      const existing = policies.find(
        (x) => String(x.objectId).toLowerCase() === objectId.toLowerCase() && String(x.applicationId ?? '').toLowerCase() === appId && String(x.tenantId).toLowerCase() === String(p.tenantId).toLowerCase(),
      );
      const given = {
        keys: distinct(a.keyPermissions),
        secrets: distinct(a.secretPermissions),
        certificates: distinct(a.certificatePermissions),
        storage: distinct(a.storagePermissions),
      };
      if (existing) {
        const prev = existing.permissions ?? {};
        existing.permissions = {
          keys: given.keys ?? prev.keys,
          secrets: given.secrets ?? prev.secrets,
          certificates: given.certificates ?? prev.certificates,
          storage: given.storage ?? prev.storage,
        };
      } else {
        const permissions: Record<string, string[]> = {};
        for (const [k, v] of Object.entries(given)) if (v !== undefined) permissions[k] = v;
        policies.push({ tenantId: p.tenantId, objectId, ...(a.applicationId ? { applicationId: a.applicationId } : {}), permissions });
      }
      return putVault(ctx, s, rg, a.name, { location: vault.location, tags: vault.tags, properties: { ...p, accessPolicies: policies } });
    },
  },
  {
    path: 'keyvault delete-policy',
    summary: 'Delete security policy settings for a Key Vault.',
    args: [{ ...vaultNameArg }, optionalRg, ...principalArgs],
    noWait: true,
    async run(ctx, a) {
      requireOnePrincipal(a);
      const s = await ctx.session();
      const objectId = await principalObjectId(ctx, s, a);
      const rg = await vaultResourceGroup(s, a.name, a.resourceGroup);
      const vault = await s.arm.get(vaultPath(s.subscriptionId, rg, a.name), API.keyVaultVaults);
      const p = vault.properties ?? {};
      if (p.enableRbacAuthorization) throw new AzCliError("Cannot delete policies to a vault with '--enable-rbac-authorization' specified");
      const appId = String(a.applicationId ?? '').toLowerCase();
      const before: any[] = p.accessPolicies ?? [];
      const after = before.filter((x) => !(String(x.objectId).toLowerCase() === objectId.toLowerCase() && String(x.applicationId ?? '').toLowerCase() === appId));
      if (after.length === before.length) throw new AzCliError('No matching policies found');
      return putVault(ctx, s, rg, a.name, { location: vault.location, tags: vault.tags, properties: { ...p, accessPolicies: after } });
    },
  },
];

async function deletedVaultLocation(s: Session, name: string): Promise<string> {
  const list = await s.arm.list<{ name: string; properties?: { location?: string } }>(`/subscriptions/${s.subscriptionId}/providers/Microsoft.KeyVault/deletedVaults`, API.keyVaultVaults);
  const hit = list.find((d) => d.name.toLowerCase() === name.toLowerCase());
  if (!hit?.properties?.location) throw new AzCliError(`No deleted Vault or HSM was found with name ${name}`);
  return hit.properties.location;
}
