/**
 * The status and result URLs that 201/202 answers point to, for every provider namespace:
 *   GET /subscriptions/S/providers/NS/locations/LOC/operations/ID        (Azure-AsyncOperation)
 *   GET /subscriptions/S/providers/NS/locations/LOC/operationresults/ID  (Location)
 * Any api-version is accepted (real providers accept older ones here too), but one is required.
 */
import type { Arm } from './arm.js';
import { ArmError } from './errors.js';

export function registerOperationRoutes(arm: Arm): void {
  const anyVersion = () => undefined;
  const find = async (sub: string, id: string) => {
    const op = await arm.operations.get(sub, id);
    if (!op) throw new ArmError(404, 'OperationNotFound', `The operation '${id}' could not be found.`);
    return op;
  };
  arm.router.add({
    methods: ['GET'],
    path: '/subscriptions/{subscriptionId}/providers/{namespace}/locations/{location}/operations/{operationId}',
    apiVersions: anyVersion,
    handler: async (req) => arm.operations.statusResponse(await find(req.params.subscriptionId!, req.params.operationId!)),
  });
  arm.router.add({
    methods: ['GET'],
    path: '/subscriptions/{subscriptionId}/providers/{namespace}/locations/{location}/operationresults/{operationId}',
    apiVersions: anyVersion,
    handler: async (req) => arm.operations.resultResponse(req, await find(req.params.subscriptionId!, req.params.operationId!)),
  });
}
