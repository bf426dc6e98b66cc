/**
 * `Microsoft.ManagedIdentity/userAssignedIdentities` (SPEC I-1, K-4): create/update/show/list/delete.
 *
 * Each identity is also a principal of the directory (type ManagedIdentity, with its resource id), so the token
 * endpoint can issue tokens for it (`xms_mirid` carries the resource id) and role assignments / access policies can
 * name its principalId. `clientId` is the principal's appId, `principalId` its object id.
 */
import type { Arm } from '../../arm/arm.js';
import { ArmError, armErrors } from '../../arm/errors.js';
import { AZURE_LOCATIONS, normalizeLocation } from '../../arm/locations.js';
import type { ArmResource } from '../../arm/repository.js';
import { providerResourceId } from '../../arm/resource-id.js';
import type { ArmRequest, ArmResponse } from '../../arm/router.js';
import type { Directory } from '../../identity/directory.js';
import type { ProviderRegistrations } from '../resources/provider-registration.js';
import type { RoleAssignments } from '../../authorization/role-assignments.js';

export const MSI_NS = 'Microsoft.ManagedIdentity';
export const IDENTITY_TYPE = 'Microsoft.ManagedIdentity/userAssignedIdentities';
export const MSI_API_VERSIONS = [
  '2025-05-31-preview', '2025-01-31-preview', '2024-11-30', '2023-07-31-preview', '2023-01-31', '2022-01-31-preview', '2021-09-30-preview',
  '2018-11-30', '2015-08-31-preview',
];
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/;

export interface IdentityResource extends ArmResource {
  location: string;
  properties: { tenantId: string; principalId: string; clientId: string; isolationScope?: string };
}

function validateTags(tags: unknown): Record<string, string> | undefined {
  if (tags === undefined || tags === null) return undefined;
  if (typeof tags !== 'object' || Array.isArray(tags) || Object.values(tags).some((v) => typeof v !== 'string')) {
    throw armErrors.invalidContent('tags must be an object of strings');
  }
  return tags as Record<string, string>;
}

/**
 * The regional isolation a request asks for, if any (`properties.isolationScope`, None or Regional): taken on
 * create, on a PUT over an existing identity and on PATCH alike (SPEC I-1, P-4).
 */
function isolationScopeOf(body: Record<string, unknown>): 'None' | 'Regional' | undefined {
  const props = body.properties;
  if (props === undefined || props === null) return undefined;
  if (typeof props !== 'object' || Array.isArray(props)) throw armErrors.invalidContent('properties must be a JSON object');
  const value = (props as Record<string, unknown>).isolationScope;
  if (value === undefined || value === null) return undefined;
  const found = ['None', 'Regional'].find((v) => typeof value === 'string' && v.toLowerCase() === value.toLowerCase());
  if (!found) throw armErrors.invalidParameter('properties.isolationScope', `The value '${String(value)}' of properties.isolationScope is invalid. Allowed values: None, Regional.`);
  return found as 'None' | 'Regional';
}

/** What a GET answers at an api-version (isolationScope appeared in 2024-11-30). */
function view(r: IdentityResource, apiVersion: string): IdentityResource {
  const { isolationScope, ...props } = r.properties;
  return { ...r, properties: apiVersion >= '2024-11-30' ? { ...props, isolationScope: isolationScope ?? 'None' } : props };
}

export function registerIdentityRoutes(arm: Arm, directory: Directory, providers: ProviderRegistrations, authz: RoleAssignments): void {
  arm.types.register({
    namespace: MSI_NS,
    resourceType: 'userAssignedIdentities',
    apiVersions: MSI_API_VERSIONS,
    onResourceGroupDelete: async (id) => {
      const doc = await arm.resources.get<IdentityResource>(id);
      if (doc) await directory.deletePrincipal(doc.value.properties.clientId);
    },
  });
  const versions = arm.types.versionPolicy(MSI_NS, 'userAssignedIdentities');
  const base = '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/Microsoft.ManagedIdentity/userAssignedIdentities';
  const idOf = (req: ArmRequest) => providerResourceId(req.params.subscriptionId!, req.params.resourceGroupName!, MSI_NS, [['userAssignedIdentities', req.params.name!]]);
  const notFound = (req: ArmRequest) => armErrors.resourceNotFound(IDENTITY_TYPE, req.params.name!, req.params.resourceGroupName!);

  const get = async (req: ArmRequest): Promise<ArmResponse> => {
    await arm.requireResourceGroup(req.params.subscriptionId!, req.params.resourceGroupName!);
    const doc = await arm.resources.get<IdentityResource>(idOf(req));
    if (!doc) throw notFound(req);
    return { status: 200, body: view(doc.value, req.apiVersion) };
  };

  const put = async (req: ArmRequest): Promise<ArmResponse> => {
    const { subscriptionId, resourceGroupName, name } = req.params as Record<string, string>;
    const rg = await arm.requireResourceGroup(subscriptionId, resourceGroupName);
    if (!NAME.test(name)) {
      throw new ArmError(
        400,
        'InvalidResourceName',
        `Resource name '${name}' is invalid. The name can be 3-128 characters long, can contain only letters, numbers, hyphens and underscores, and must start with a letter or a number.`,
      );
    }
    const body = req.json<Record<string, unknown>>();
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw armErrors.invalidContent('The request body must be a JSON object with a location');
    if (typeof body.location !== 'string' || body.location.trim() === '') throw armErrors.missingProperty('location');
    const location = normalizeLocation(body.location);
    if (!location) {
      throw new ArmError(400, 'LocationNotAvailableForResourceType', `The provided location '${body.location}' is not available for resource type '${IDENTITY_TYPE}'. List of available regions for the resource type is '${AZURE_LOCATIONS.map((l) => l.name).join(',')}'.`);
    }
    const tags = validateTags(body.tags);
    const isolation = isolationScopeOf(body);
    await providers.requireRegistered(subscriptionId, MSI_NS);
    const id = idOf(req);
    const current = await arm.resources.get<IdentityResource>(id);
    if (current) {
      if (current.value.location !== location) {
        throw new ArmError(400, 'InvalidResourceLocation', `The resource '${current.value.name}' already exists in location '${current.value.location}' in resource group '${rg.name}'. A resource with the same name cannot be created in location '${location}'. Please select a new resource name.`);
      }
      const next: IdentityResource = {
        ...current.value,
        ...(tags !== undefined ? { tags } : {}),
        ...(isolation ? { properties: { ...current.value.properties, isolationScope: isolation } } : {}),
      };
      const res = await arm.resources.put(next, { ifModRevision: current.modRevision });
      if (!res.succeeded) throw new ArmError(409, 'Conflict', `The identity '${name}' was changed by another request; retry the operation.`);
      return { status: 200, body: view(next, req.apiVersion) };
    }
    const principal = await directory.createPrincipal({ displayName: name, type: 'ManagedIdentity', resourceId: id });
    const resource: IdentityResource = {
      id,
      name,
      type: IDENTITY_TYPE,
      location,
      tags: tags ?? {},
      properties: {
        tenantId: principal.tenantId,
        principalId: principal.objectId,
        clientId: principal.appId,
        ...(isolation ? { isolationScope: isolation } : {}),
      },
    };
    const res = await arm.resources.put(resource, { ifModRevision: 0 });
    if (!res.succeeded) {
      await directory.deletePrincipal(principal.appId);
      throw new ArmError(409, 'Conflict', `The identity '${name}' was created by another request; retry the operation.`);
    }
    return { status: 201, body: view(resource, req.apiVersion) };
  };

  const patch = async (req: ArmRequest): Promise<ArmResponse> => {
    await arm.requireResourceGroup(req.params.subscriptionId!, req.params.resourceGroupName!);
    const current = await arm.resources.get<IdentityResource>(idOf(req));
    if (!current) throw notFound(req);
    const body = req.json<Record<string, unknown>>() ?? {};
    const tags = validateTags(body.tags);
    const isolation = isolationScopeOf(body);
    const next: IdentityResource = {
      ...current.value,
      ...(tags !== undefined ? { tags } : {}),
      ...(isolation ? { properties: { ...current.value.properties, isolationScope: isolation } } : {}),
    };
    const res = await arm.resources.put(next, { ifModRevision: current.modRevision });
    if (!res.succeeded) throw new ArmError(409, 'Conflict', 'The identity was changed by another request; retry the operation.');
    return { status: 200, body: view(next, req.apiVersion) };
  };

  const del = async (req: ArmRequest): Promise<ArmResponse> => {
    await arm.requireResourceGroup(req.params.subscriptionId!, req.params.resourceGroupName!);
    const current = await arm.resources.get<IdentityResource>(idOf(req));
    if (!current) return { status: 204 };
    // SPEC K-8: deleting the identity of a KMS cluster is unsupported; the principal simply ceases to exist.
    await directory.deletePrincipal(current.value.properties.clientId);
    await arm.resources.delete(current.value.id);
    return { status: 200 };
  };

  const list = async (req: ArmRequest): Promise<ArmResponse> => {
    const rg = req.params.resourceGroupName;
    if (rg) await arm.requireResourceGroup(req.params.subscriptionId!, rg);
    const items = (await arm.resources.list(req.params.subscriptionId!, { ...(rg ? { resourceGroup: rg } : {}), type: IDENTITY_TYPE })) as IdentityResource[];
    return { status: 200, body: { value: items.map((i) => view(i, req.apiVersion)) } };
  };

  arm.router.add({ methods: ['GET'], path: `${base}/{name}`, apiVersions: versions, authorization: { action: 'Microsoft.ManagedIdentity/userAssignedIdentities/read' }, handler: get });
  arm.router.add({ methods: ['PUT'], path: `${base}/{name}`, apiVersions: versions, authorization: { action: 'Microsoft.ManagedIdentity/userAssignedIdentities/write' }, handler: put });
  arm.router.add({ methods: ['PATCH'], path: `${base}/{name}`, apiVersions: versions, authorization: { action: 'Microsoft.ManagedIdentity/userAssignedIdentities/write' }, handler: patch });
  arm.router.add({ methods: ['DELETE'], path: `${base}/{name}`, apiVersions: versions, authorization: { action: 'Microsoft.ManagedIdentity/userAssignedIdentities/delete' }, handler: del });
  arm.router.add({ methods: ['GET'], path: base, apiVersions: versions, authorization: { action: 'Microsoft.ManagedIdentity/userAssignedIdentities/read' }, handler: list });
  arm.router.add({ methods: ['GET'], path: '/subscriptions/{subscriptionId}/providers/Microsoft.ManagedIdentity/userAssignedIdentities', apiVersions: versions, authorization: { action: 'Microsoft.ManagedIdentity/userAssignedIdentities/read' }, handler: list });
}
