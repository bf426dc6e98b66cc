/**
 * Resource groups (Microsoft.Resources/resourceGroups): create/update, show, exists (HEAD), list, patch tags,
 * and delete as a long-running operation that deletes every resource in the group.
 */
import type { Arm } from '../../arm/arm.js';
import { ArmError, armErrors } from '../../arm/errors.js';
import { normalizeLocation, AZURE_LOCATIONS } from '../../arm/locations.js';
import { resourceGroupId, parseResourceId } from '../../arm/resource-id.js';
import type { ResourceGroup } from '../../arm/repository.js';
import type { ArmRequest } from '../../arm/router.js';
import type { TaskRunner } from '../../runtime/tasks.js';
import { RESOURCES_API_VERSIONS } from './api-versions.js';

const RG_NAME = /^[-\w.()]{1,90}$/u;
const DELETE_TASK = 'resource-group-delete';
/** Azure takes a while to delete even an empty resource group. */
const REALISTIC_DELETE_MS = 15_000;

interface DeletePayload {
  subscriptionId: string;
  resourceGroup: string;
  operationId: string;
}

function validateName(name: string): void {
  if (RG_NAME.test(name) && !name.endsWith('.')) return;
  const invalid = [...new Set([...name].filter((c) => !/[-\w.()]/u.test(c)))].join('');
  throw new ArmError(
    400,
    'InvalidResourceGroup',
    invalid
      ? `The provided resource group name '${name}' has these invalid characters: '${invalid}'. The name can only be a letter, digit, '-', '.', '(', ')' or '_'.`
      : `Resource group name '${name}' is invalid. It must be 1-90 characters of letters, digits, '-', '.', '(', ')' or '_', and must not end with a period.`,
  );
}

function validateTags(tags: unknown): Record<string, string> | undefined {
  if (tags === undefined || tags === null) return undefined;
  if (typeof tags !== 'object' || Array.isArray(tags)) throw armErrors.invalidContent('tags must be an object of strings');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags as Record<string, unknown>)) {
    if (typeof v !== 'string') throw armErrors.invalidContent(`the value of tag '${k}' must be a string`);
    if (k.length > 512 || v.length > 256) {
      throw new ArmError(400, 'InvalidTag', `The tag name '${k}' or its value exceeds the maximum length (512 for names, 256 for values).`);
    }
    out[k] = v;
  }
  if (Object.keys(out).length > 50) throw new ArmError(400, 'InvalidTag', 'A resource can have at most 50 tags.');
  return out;
}

export function registerResourceGroups(arm: Arm, tasks: TaskRunner): void {
  const base = '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}';

  arm.router.add({
    methods: ['GET'],
    path: '/subscriptions/{subscriptionId}/resourcegroups',
    apiVersions: RESOURCES_API_VERSIONS,
    handler: async (req) => {
      let groups = await arm.resources.listResourceGroups(req.params.subscriptionId!);
      const filter = req.query.get('$filter');
      if (filter) {
        const m = /^\s*tagName\s+eq\s+'([^']*)'(?:\s+and\s+tagValue\s+eq\s+'([^']*)')?\s*$/i.exec(filter);
        if (!m) throw new ArmError(400, 'InvalidFilterInQueryString', `The $filter '${filter}' is not supported. Supported: tagName eq 'name' [and tagValue eq 'value'].`);
        groups = groups.filter((g) => g.tags && m[1]! in g.tags && (m[2] === undefined || g.tags[m[1]!] === m[2]));
      }
      const top = Number(req.query.get('$top') ?? NaN);
      if (Number.isInteger(top) && top > 0) groups = groups.slice(0, top);
      return { status: 200, body: { value: groups } };
    },
  });

  arm.router.add({
    methods: ['GET', 'HEAD'],
    path: base,
    apiVersions: RESOURCES_API_VERSIONS,
    handler: async (req) => {
      const rg = await arm.resources.getResourceGroup(req.params.subscriptionId!, req.params.resourceGroupName!);
      if (req.method === 'HEAD') return { status: rg ? 204 : 404 };
      if (!rg) throw armErrors.resourceGroupNotFound(req.params.resourceGroupName!);
      return { status: 200, body: rg.value };
    },
  });

  arm.router.add({
    methods: ['PUT'],
    path: base,
    apiVersions: RESOURCES_API_VERSIONS,
    handler: async (req) => createOrUpdate(arm, req),
  });

  arm.router.add({
    methods: ['PATCH'],
    path: base,
    apiVersions: RESOURCES_API_VERSIONS,
    handler: async (req) => {
      const { subscriptionId, resourceGroupName } = req.params as Record<string, string>;
      const body = req.json<Record<string, unknown>>() ?? {};
      const current = await arm.resources.getResourceGroup(subscriptionId, resourceGroupName);
      if (!current) throw armErrors.resourceGroupNotFound(resourceGroupName);
      if (current.value.properties.provisioningState === 'Deleting') throw deletingConflict(resourceGroupName);
      const tags = validateTags(body.tags);
      const next: ResourceGroup = {
        ...current.value,
        ...(tags !== undefined ? { tags } : {}),
        ...(typeof body.managedBy === 'string' ? { managedBy: body.managedBy } : {}),
      };
      const res = await arm.resources.putResourceGroup(next, subscriptionId, { ifModRevision: current.modRevision });
      if (!res.succeeded) throw concurrentUpdate(resourceGroupName);
      return { status: 200, body: next };
    },
  });

  arm.router.add({
    methods: ['DELETE'],
    path: base,
    apiVersions: RESOURCES_API_VERSIONS,
    handler: async (req) => {
      const { subscriptionId, resourceGroupName } = req.params as Record<string, string>;
      const current = await arm.resources.getResourceGroup(subscriptionId, resourceGroupName);
      if (!current) throw armErrors.resourceGroupNotFound(resourceGroupName);
      const op = await arm.operations.create({
        subscriptionId,
        namespace: 'Microsoft.Resources',
        location: current.value.location,
        resourceId: current.value.id,
      });
      const deleting: ResourceGroup = { ...current.value, properties: { provisioningState: 'Deleting' } };
      const res = await arm.resources.putResourceGroup(deleting, subscriptionId, { ifModRevision: current.modRevision });
      if (!res.succeeded) throw concurrentUpdate(resourceGroupName);
      await tasks.enqueue<DeletePayload>(
        DELETE_TASK,
        op.id,
        { subscriptionId, resourceGroup: current.value.name, operationId: op.id },
        arm.speed.delay(REALISTIC_DELETE_MS),
      );
      // ARM answers a resource group delete with a subscription-level operation result URL.
      const location = `${req.baseUrl}/subscriptions/${subscriptionId}/operationresults/${op.id}?api-version=${req.apiVersion}`;
      return { status: 202, headers: { Location: location, ...arm.operations.pollHeaders() } };
    },
  });

  arm.router.add({
    methods: ['GET'],
    path: '/subscriptions/{subscriptionId}/operationresults/{operationId}',
    apiVersions: RESOURCES_API_VERSIONS,
    handler: async (req) => {
      const op = await arm.operations.get(req.params.subscriptionId!, req.params.operationId!);
      if (!op) throw new ArmError(404, 'OperationNotFound', `The operation '${req.params.operationId}' could not be found.`);
      if (op.status === 'InProgress') {
        return { status: 202, headers: { Location: `${req.baseUrl}${req.path}?api-version=${req.apiVersion}`, ...arm.operations.pollHeaders() } };
      }
      return arm.operations.resultResponse(req, op);
    },
  });

  tasks.register<DeletePayload>(DELETE_TASK, async ({ payload }) => {
    const { subscriptionId, resourceGroup, operationId } = payload;
    // Each resource goes through its provider's delete hook (idempotent: a resumed task simply finds fewer).
    for (const resource of await arm.resources.list(subscriptionId, { resourceGroup })) {
      const parsed = parseResourceId(resource.id);
      const reg = parsed?.namespace ? arm.types.type(parsed.namespace, parsed.types.join('/')) : undefined;
      if (reg?.onResourceGroupDelete) await reg.onResourceGroupDelete(resource.id);
      await arm.resources.delete(resource.id);
    }
    await arm.resources.deleteResourceGroup(subscriptionId, resourceGroup);
    await arm.operations.finish({ subscriptionId, id: operationId }, { status: 'Succeeded', result: { status: 200 } });
    return { done: true };
  });
}

async function createOrUpdate(arm: Arm, req: ArmRequest) {
  const { subscriptionId, resourceGroupName } = req.params as Record<string, string>;
  validateName(resourceGroupName);
  const body = req.json<Record<string, unknown>>();
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw armErrors.invalidContent('The request body must be a JSON object with a location');
  }
  if (typeof body.location !== 'string' || body.location.trim() === '') throw armErrors.missingProperty('location');
  const location = normalizeLocation(body.location);
  if (!location) {
    throw new ArmError(
      400,
      'LocationNotAvailableForResourceGroup',
      `The provided location '${body.location}' is not available for resource group. List of available regions is '${AZURE_LOCATIONS.map((l) => l.name).join(',')}'.`,
    );
  }
  const tags = validateTags(body.tags);
  const current = await arm.resources.getResourceGroup(subscriptionId, resourceGroupName);
  if (current) {
    if (current.value.properties.provisioningState === 'Deleting') throw deletingConflict(current.value.name);
    if (current.value.location !== location) {
      throw new ArmError(
        409,
        'InvalidResourceGroupLocation',
        `Invalid resource group location '${body.location}'. The Resource group already exists in location '${current.value.location}'.`,
      );
    }
  }
  const rg: ResourceGroup = {
    id: resourceGroupId(subscriptionId, current?.value.name ?? resourceGroupName),
    name: current?.value.name ?? resourceGroupName,
    type: 'Microsoft.Resources/resourceGroups',
    location,
    ...(tags !== undefined ? { tags } : current?.value.tags ? { tags: current.value.tags } : {}),
    ...(typeof body.managedBy === 'string' ? { managedBy: body.managedBy } : current?.value.managedBy ? { managedBy: current.value.managedBy } : {}),
    properties: { provisioningState: 'Succeeded' },
  };
  const res = await arm.resources.putResourceGroup(rg, subscriptionId, { ifModRevision: current?.modRevision ?? 0 });
  if (!res.succeeded) throw concurrentUpdate(resourceGroupName);
  return { status: current ? 200 : 201, body: rg };
}

function deletingConflict(name: string): ArmError {
  return new ArmError(
    409,
    'ResourceGroupBeingDeleted',
    `The resource group '${name}' is in deprovisioning state and cannot perform this operation.`,
  );
}

function concurrentUpdate(name: string): ArmError {
  return new ArmError(409, 'Conflict', `The resource group '${name}' was changed by another request; retry the operation.`);
}
