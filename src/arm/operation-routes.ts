/**
 * The status and result URLs that 201/202 answers point to, for every provider namespace:
 *   GET /subscriptions/S/providers/NS/locations/LOC/operations/ID        (Azure-AsyncOperation)
 *   GET /subscriptions/S/providers/NS/locations/LOC/operationresults/ID  (Location)
 * Any api-version is accepted (real providers accept older ones here too), but one is required.
 */
import type { Arm } from './arm.js';
import { ArmError } from './errors.js';
import type { RouteAuthorization } from './route-authorization.js';
import type { ArmRequest } from './router.js';

/**
 * The authorization of an operation's status or result URL: `action(req)` over the resource the operation acts on,
 * as whoever may act on the resource may follow its operation (a Contributor of one resource group polls its own
 * cluster's creation). An unknown operation is checked over the subscription: a caller without a role learns
 * nothing from a 404.
 */
export function followOperation(arm: Arm, rule: string, action: (req: ArmRequest) => string): RouteAuthorization {
  return {
    custom: rule,
    check: async (req, authorizer) => {
      const op = await arm.operations.get(req.params.subscriptionId!, req.params.operationId!);
      await authorizer.requireAction(req.caller, op?.resourceId ?? `/subscriptions/${req.params.subscriptionId}`, action(req));
    },
  };
}

export function registerOperationRoutes(arm: Arm): void {
  const anyVersion = () => undefined;
  const find = async (sub: string, id: string) => {
    const op = await arm.operations.get(sub, id);
    if (!op) throw new ArmError(404, 'OperationNotFound', `The operation '${id}' could not be found.`);
    return op;
  };
  const authorization = followOperation(
    arm,
    "'<namespace>/locations/operations/read' over the resource the operation acts on",
    (req) => `${req.params.namespace}/locations/operations/read`,
  );
  arm.router.add({
    methods: ['GET'],
    path: '/subscriptions/{subscriptionId}/providers/{namespace}/locations/{location}/operations/{operationId}',
    apiVersions: anyVersion,
    authorization,
    handler: async (req) => arm.operations.statusResponse(await find(req.params.subscriptionId!, req.params.operationId!)),
  });
  arm.router.add({
    methods: ['GET'],
    path: '/subscriptions/{subscriptionId}/providers/{namespace}/locations/{location}/operationresults/{operationId}',
    apiVersions: anyVersion,
    authorization,
    handler: async (req) => arm.operations.resultResponse(req, await find(req.params.subscriptionId!, req.params.operationId!)),
  });
}
