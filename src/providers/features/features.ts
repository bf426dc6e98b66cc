/**
 * Microsoft.Features: preview feature registration per subscription (SPEC C-8).
 * `register` answers Registering at once; the state becomes Registered after a delay that --speed controls
 * ("It takes a few minutes for the status to show Registered" in Azure).
 */
import type { Arm } from '../../arm/arm.js';
import { subscriptionScope } from '../../arm/route-authorization.js';
import { ArmError } from '../../arm/errors.js';
import { getJson, listJson, putJson } from '../../store/json.js';
import type { TaskRunner } from '../../runtime/tasks.js';
import { FEATURES_API_VERSIONS } from '../resources/api-versions.js';
import { FEATURE_CATALOG, findFeature, type FeatureDefinition } from './catalog.js';

export type FeatureState = 'NotRegistered' | 'Registering' | 'Registered' | 'Unregistering' | 'Unregistered' | 'Pending';

interface FeatureRecord {
  namespace: string;
  name: string;
  state: FeatureState;
  updatedAt: string;
}

const TASK = 'feature-registration';
const REALISTIC_MS = 90_000;
const featureKey = (sub: string, ns: string, name: string) => `/arm/features/${sub.toLowerCase()}/${ns.toLowerCase()}/${name.toLowerCase()}`;

export class FeatureRegistrations {
  constructor(
    private readonly arm: Arm,
    private readonly tasks: TaskRunner,
  ) {
    tasks.register<{ subscriptionId: string; namespace: string; name: string; target: FeatureState }>(TASK, async ({ payload }) => {
      const key = featureKey(payload.subscriptionId, payload.namespace, payload.name);
      const cur = await getJson<FeatureRecord>(this.arm.store, key);
      const transitional = payload.target === 'Registered' ? 'Registering' : 'Unregistering';
      if (cur?.value.state === transitional) {
        await putJson(this.arm.store, key, { ...cur.value, state: payload.target, updatedAt: this.arm.clock.iso() }, { ifModRevision: cur.modRevision });
      }
      return { done: true };
    });
  }

  async state(subscriptionId: string, namespace: string, name: string): Promise<FeatureState> {
    return (await getJson<FeatureRecord>(this.arm.store, featureKey(subscriptionId, namespace, name)))?.value.state ?? 'NotRegistered';
  }

  async isRegistered(subscriptionId: string, namespace: string, name: string): Promise<boolean> {
    return (await this.state(subscriptionId, namespace, name)) === 'Registered';
  }

  /**
   * For providers: refuses preview behaviour until its feature flag is Registered, with the way out in the message.
   */
  async requireRegistered(subscriptionId: string, namespace: string, name: string, what: string): Promise<void> {
    if (await this.isRegistered(subscriptionId, namespace, name)) return;
    throw new ArmError(
      400,
      'FeatureNotRegistered',
      `${what} is a preview feature: register it with 'az feature register --namespace ${namespace} --name ${name}', wait until 'az feature show' reports Registered, then run 'az provider register --namespace ${namespace}'.`,
    );
  }

  async change(subscriptionId: string, def: FeatureDefinition, target: 'Registered' | 'Unregistered'): Promise<FeatureState> {
    const current = await this.state(subscriptionId, def.namespace, def.name);
    if (current === target || (target === 'Unregistered' && current === 'NotRegistered')) return current;
    const transitional: FeatureState = target === 'Registered' ? 'Registering' : 'Unregistering';
    await putJson(this.arm.store, featureKey(subscriptionId, def.namespace, def.name), {
      namespace: def.namespace,
      name: def.name,
      state: transitional,
      updatedAt: this.arm.clock.iso(),
    });
    await this.tasks.enqueue(
      TASK,
      `${subscriptionId}:${def.namespace}:${def.name}`.toLowerCase(),
      { subscriptionId, namespace: def.namespace, name: def.name, target },
      this.arm.speed.delay(REALISTIC_MS),
    );
    return transitional;
  }

  describe(subscriptionId: string, def: FeatureDefinition, state: FeatureState) {
    return {
      properties: { state },
      id: `/subscriptions/${subscriptionId}/providers/Microsoft.Features/providers/${def.namespace}/features/${def.name}`,
      type: 'Microsoft.Features/providers/features',
      name: `${def.namespace}/${def.name}`,
    };
  }

  async list(subscriptionId: string, namespace?: string) {
    const stored = new Map(
      (await listJson<FeatureRecord>(this.arm.store, `/arm/features/${subscriptionId.toLowerCase()}/`)).map((d) => [
        `${d.value.namespace}/${d.value.name}`.toLowerCase(),
        d.value.state,
      ]),
    );
    return FEATURE_CATALOG.filter((f) => !namespace || f.namespace.toLowerCase() === namespace.toLowerCase()).map((f) =>
      this.describe(subscriptionId, f, stored.get(`${f.namespace}/${f.name}`.toLowerCase()) ?? 'NotRegistered'),
    );
  }
}

function featureNotFound(namespace: string, name: string): ArmError {
  return new ArmError(404, 'FeatureNotFound', `The feature '${name}' could not be found in the namespace '${namespace}'.`);
}

export function registerFeatureRoutes(arm: Arm, features: FeatureRegistrations): void {
  arm.types.declareNamespace('Microsoft.Features');
  const base = '/subscriptions/{subscriptionId}/providers/Microsoft.Features';
  arm.router.add({
    methods: ['GET'],
    path: `${base}/features`,
    apiVersions: FEATURES_API_VERSIONS,
    authorization: { action: 'Microsoft.Features/features/read', scope: subscriptionScope },
    handler: async (req) => ({ status: 200, body: { value: await features.list(req.params.subscriptionId!) } }),
  });
  arm.router.add({
    methods: ['GET'],
    path: `${base}/providers/{namespace}/features`,
    apiVersions: FEATURES_API_VERSIONS,
    authorization: { action: 'Microsoft.Features/providers/features/read', scope: subscriptionScope },
    handler: async (req) => ({ status: 200, body: { value: await features.list(req.params.subscriptionId!, req.params.namespace) } }),
  });
  arm.router.add({
    methods: ['GET'],
    path: `${base}/providers/{namespace}/features/{featureName}`,
    apiVersions: FEATURES_API_VERSIONS,
    authorization: { action: 'Microsoft.Features/providers/features/read', scope: subscriptionScope },
    handler: async (req) => {
      const { subscriptionId, namespace, featureName } = req.params as Record<string, string>;
      const def = findFeature(namespace, featureName);
      if (!def) throw featureNotFound(namespace, featureName);
      return { status: 200, body: features.describe(subscriptionId, def, await features.state(subscriptionId, def.namespace, def.name)) };
    },
  });
  for (const action of ['register', 'unregister'] as const) {
    arm.router.add({
      methods: ['POST'],
      path: `${base}/providers/{namespace}/features/{featureName}/${action}`,
      apiVersions: FEATURES_API_VERSIONS,
      authorization: { action: `Microsoft.Features/providers/features/${action}/action`, scope: subscriptionScope },
      handler: async (req) => {
        const { subscriptionId, namespace, featureName } = req.params as Record<string, string>;
        const def = findFeature(namespace, featureName);
        if (!def) throw featureNotFound(namespace, featureName);
        const state = await features.change(subscriptionId, def, action === 'register' ? 'Registered' : 'Unregistered');
        return { status: 200, body: features.describe(subscriptionId, def, state) };
      },
    });
  }
}
