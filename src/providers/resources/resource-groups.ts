/**
 * Resource groups (Microsoft.Resources/resourceGroups): create/update, show, exists (HEAD), list, patch tags,
 * and delete as a long-running operation that deletes every resource in the group.
 */
import type { Arm } from '../../arm/arm.js';
import { followOperation } from '../../arm/operation-routes.js';
import { KeyedQueue } from '../../util/keyed-queue.js';
import type { ArmAuthorizer, RouteAuthorization } from '../../arm/route-authorization.js';
import { ArmError, armErrors } from '../../arm/errors.js';
import { normalizeLocation, AZURE_LOCATIONS } from '../../arm/locations.js';
import { resourceGroupId, parseResourceId } from '../../arm/resource-id.js';
import type { ResourceGroup } from '../../arm/repository.js';
import type { ArmRequest, ArmResponse } from '../../arm/router.js';
import type { TaskRunner } from '../../runtime/tasks.js';
import { RESOURCES_API_VERSIONS } from './api-versions.js';
import { filterByTag, validateName, validateTags } from './resource-group-validation.js';

const DELETE_TASK = 'resource-group-delete';
/** Azure takes a while to delete even an empty resource group. */
const REALISTIC_DELETE_MS = 15_000;

interface DeletePayload {
  subscriptionId: string;
  resourceGroup: string;
  operationId: string;
}

interface ResourceGroupDeps {
  arm: Arm;
  tasks: TaskRunner;
  authorizer: ArmAuthorizer;
}

type ResourceGroupHandler = (deps: ResourceGroupDeps, req: ArmRequest) => Promise<ArmResponse>;

/** The groups the caller may read, as ARM filters this list (a Reader of one group sees that group only). */
const listGroups: ResourceGroupHandler = async ({ arm, authorizer }, req) => {
  let groups = filterByTag(await arm.resources.listResourceGroups(req.params.subscriptionId!), req.query.get('$filter'));
  const readable = await Promise.all(groups.map((g) => authorizer.allows(req.caller, g.id, RG_READ)));
  groups = groups.filter((_, i) => readable[i]);
  const top = Number(req.query.get('$top') ?? NaN);
  if (Number.isInteger(top) && top > 0) groups = groups.slice(0, top);
  return { status: 200, body: { value: groups } };
};

/** GET shows a group; HEAD answers whether it exists (204 or 404, no body). */
const getGroup: ResourceGroupHandler = async ({ arm }, req) => {
  const rg = await arm.resources.getResourceGroup(req.params.subscriptionId!, req.params.resourceGroupName!);
  if (req.method === 'HEAD') return { status: rg ? 204 : 404 };
  if (!rg) throw armErrors.resourceGroupNotFound(req.params.resourceGroupName!);
  return { status: 200, body: rg.value };
};

/** PUT: creates a group, or updates its tags and managedBy (its location cannot change). */
const createOrUpdate: ResourceGroupHandler = async ({ arm }, req) => {
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
  // Concurrent PUTs of one group are serialized, the last one winning as in ARM: a lost compare-and-swap reads
  // the group again and retries, and only a group that keeps changing under it answers 409.
  return withRetriedWrite(resourceGroupName, async () => {
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
    return res.succeeded ? { status: current ? 200 : 201, body: rg } : undefined;
  });
};

/** Writers of one group in this process, one at a time. */
const groupWriters = new KeyedQueue();

/**
 * Runs a read-check-write of group `name` until its write wins (undefined: it lost a compare-and-swap to another
 * process sharing the store); 409 after a few lost races.
 */
function withRetriedWrite(name: string, attempt: () => Promise<ArmResponse | undefined>): Promise<ArmResponse> {
  return groupWriters.run(name.toLowerCase(), async () => {
    for (let i = 0; i < 5; i++) {
      const done = await attempt();
      if (done) return done;
    }
    throw concurrentUpdate(name);
  });
}

/** PATCH: replaces the tags and managedBy given, nothing else. */
const patchGroup: ResourceGroupHandler = async ({ arm }, req) => {
  const { subscriptionId, resourceGroupName } = req.params as Record<string, string>;
  const body = req.json<Record<string, unknown>>() ?? {};
  const tags = validateTags(body.tags);
  return withRetriedWrite(resourceGroupName, async () => {
    const current = await arm.resources.getResourceGroup(subscriptionId, resourceGroupName);
    if (!current) throw armErrors.resourceGroupNotFound(resourceGroupName);
    if (current.value.properties.provisioningState === 'Deleting') throw deletingConflict(resourceGroupName);
    const next: ResourceGroup = {
      ...current.value,
      ...(tags !== undefined ? { tags } : {}),
      ...(typeof body.managedBy === 'string' ? { managedBy: body.managedBy } : {}),
    };
    const res = await arm.resources.putResourceGroup(next, subscriptionId, { ifModRevision: current.modRevision });
    return res.succeeded ? { status: 200, body: next } : undefined;
  });
};

/** DELETE: marks the group Deleting and leaves the work to the delete task (202 with a subscription-level operation). */
const deleteGroup: ResourceGroupHandler = async ({ arm, tasks }, req) => {
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
};

const getOperationResult: ResourceGroupHandler = async ({ arm }, req) => {
  const op = await arm.operations.get(req.params.subscriptionId!, req.params.operationId!);
  if (!op) throw new ArmError(404, 'OperationNotFound', `The operation '${req.params.operationId}' could not be found.`);
  if (op.status === 'InProgress') {
    return { status: 202, headers: { Location: `${req.baseUrl}${req.path}?api-version=${req.apiVersion}`, ...arm.operations.pollHeaders() } };
  }
  return arm.operations.resultResponse(req, op);
};

/** The delete task: deletes every resource in the group, then the group, then finishes the operation. */
async function deleteGroupContents(arm: Arm, { subscriptionId, resourceGroup, operationId }: DeletePayload): Promise<{ done: true }> {
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
}

const GROUP = '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}';

// Azure names these actions in lower case ('resourcegroups') in its AuthorizationFailed messages.
const RG_READ = 'Microsoft.Resources/subscriptions/resourcegroups/read';

/** A group's delete is followed by whoever may read that group. */
const followDelete = (arm: Arm) => followOperation(arm, `'${RG_READ}' over the group the operation deletes`, () => RG_READ);

const routes = (arm: Arm): Array<{ methods: string[]; path: string; authorization: RouteAuthorization; handler: ResourceGroupHandler }> => [
  { methods: ['GET'], path: '/subscriptions/{subscriptionId}/resourcegroups', authorization: { anyCaller: 'lists only the groups the caller may read' }, handler: listGroups },
  { methods: ['GET', 'HEAD'], path: GROUP, authorization: { action: RG_READ }, handler: getGroup },
  { methods: ['PUT'], path: GROUP, authorization: { action: 'Microsoft.Resources/subscriptions/resourcegroups/write' }, handler: createOrUpdate },
  { methods: ['PATCH'], path: GROUP, authorization: { action: 'Microsoft.Resources/subscriptions/resourcegroups/write' }, handler: patchGroup },
  { methods: ['DELETE'], path: GROUP, authorization: { action: 'Microsoft.Resources/subscriptions/resourcegroups/delete' }, handler: deleteGroup },
  { methods: ['GET'], path: '/subscriptions/{subscriptionId}/operationresults/{operationId}', authorization: followDelete(arm), handler: getOperationResult },
];

export function registerResourceGroups(arm: Arm, tasks: TaskRunner, authorizer: ArmAuthorizer): void {
  const deps: ResourceGroupDeps = { arm, tasks, authorizer };
  for (const route of routes(arm)) {
    arm.router.add({
      methods: route.methods,
      path: route.path,
      apiVersions: RESOURCES_API_VERSIONS,
      authorization: route.authorization,
      handler: (req) => route.handler(deps, req),
    });
  }
  tasks.register<DeletePayload>(DELETE_TASK, async ({ payload }) => deleteGroupContents(arm, payload));
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
