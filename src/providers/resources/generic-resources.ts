/**
 * `GET /subscriptions/S[/resourceGroups/RG]/resources`: every top-level resource, optionally filtered with
 * `$filter=resourceType eq '...'` / `name eq '...'` (az uses it to find a vault's resource group, for example).
 */
import type { Arm } from '../../arm/arm.js';
import type { ArmAuthorizer } from '../../arm/route-authorization.js';
import { ArmError } from '../../arm/errors.js';
import type { ArmResource } from '../../arm/repository.js';
import type { ArmRequest } from '../../arm/router.js';
import { RESOURCES_API_VERSIONS } from './api-versions.js';

interface Filter {
  resourceType?: string;
  name?: string;
}

export function parseResourceFilter(filter: string | null): Filter {
  if (!filter) return {};
  const out: Filter = {};
  for (const clause of filter.split(/\s+and\s+/i)) {
    const m = /^\s*(resourceType|name)\s+eq\s+'([^']*)'\s*$/i.exec(clause);
    if (!m) {
      throw new ArmError(
        400,
        'InvalidFilterInQueryString',
        `Invalid $filter '${filter}': supported clauses are resourceType eq '...' and name eq '...', joined with 'and'.`,
      );
    }
    if (m[1]!.toLowerCase() === 'resourcetype') out.resourceType = m[2]!;
    else out.name = m[2]!;
  }
  return out;
}

function summary(r: ArmResource): Record<string, unknown> {
  const { properties: _properties, ...rest } = r;
  return rest;
}

export function registerGenericResources(arm: Arm, authorizer: ArmAuthorizer): void {
  const handler = async (req: ArmRequest) => {
    const filter = parseResourceFilter(req.query.get('$filter'));
    const rg = req.params.resourceGroupName;
    if (rg) await arm.requireResourceGroup(req.params.subscriptionId!, rg);
    let items = await arm.resources.list(req.params.subscriptionId!, {
      ...(rg ? { resourceGroup: rg } : {}),
      ...(filter.resourceType ? { type: filter.resourceType } : {}),
    });
    if (filter.name) items = items.filter((r) => r.name.toLowerCase() === filter.name!.toLowerCase());
    // Only what the caller may read, as ARM filters this list: `<type>/read` over each resource.
    const readable = await Promise.all(items.map((r) => authorizer.allows(req.caller, r.id, `${r.type}/read`)));
    items = items.filter((_, i) => readable[i]);
    return { status: 200, body: { value: items.map(summary) } };
  };
  const authorization = { anyCaller: 'lists only the resources the caller may read' };
  arm.router.add({ methods: ['GET'], path: '/subscriptions/{subscriptionId}/resources', apiVersions: RESOURCES_API_VERSIONS, authorization, handler });
  arm.router.add({
    methods: ['GET'],
    path: '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/resources',
    apiVersions: RESOURCES_API_VERSIONS,
    authorization,
    handler,
  });
}
