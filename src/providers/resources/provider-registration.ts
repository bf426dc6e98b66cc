/**
 * Resource provider registration per subscription (`az provider register/show/list`, SPEC C-8 "refreshes").
 * Registering moves NotRegistered → Registering → Registered after a delay that --speed controls.
 */
import type { Arm } from '../../arm/arm.js';
import { anyRoleInSubscription, subscriptionScope } from '../../arm/route-authorization.js';
import { ArmError, armErrors } from '../../arm/errors.js';
import { EDGE_ZONES } from '../../arm/edge-zones.js';
import { AZURE_LOCATIONS } from '../../arm/locations.js';
import { getJson, putJson } from '../../store/json.js';
import type { ArmRequest } from '../../arm/router.js';
import type { TaskRunner } from '../../runtime/tasks.js';
import { RESOURCES_API_VERSIONS } from './api-versions.js';

export type RegistrationState = 'NotRegistered' | 'Registering' | 'Registered' | 'Unregistering';

interface ProviderState {
  namespace: string;
  registrationState: RegistrationState;
  updatedAt: string;
}

const TASK = 'provider-registration';
const REALISTIC_MS = 30_000;
const stateKey = (sub: string, ns: string) => `/arm/providers/${sub.toLowerCase()}/${ns.toLowerCase()}`;

export class ProviderRegistrations {
  constructor(
    private readonly arm: Arm,
    private readonly tasks: TaskRunner,
  ) {
    tasks.register<{ subscriptionId: string; namespace: string; target: RegistrationState }>(TASK, async ({ payload }) => {
      const key = stateKey(payload.subscriptionId, payload.namespace);
      const cur = await getJson<ProviderState>(this.arm.store, key);
      const settled = payload.target === 'Registered' ? 'Registering' : 'Unregistering';
      if (cur && cur.value.registrationState === settled) {
        await putJson(this.arm.store, key, { ...cur.value, registrationState: payload.target, updatedAt: this.arm.clock.iso() }, { ifModRevision: cur.modRevision });
      }
      return { done: true };
    });
  }

  /** Providers start Registered, as the common ones are on a real subscription, unless changed since. */
  async state(subscriptionId: string, namespace: string): Promise<RegistrationState> {
    return (await getJson<ProviderState>(this.arm.store, stateKey(subscriptionId, namespace)))?.value.registrationState ?? 'Registered';
  }

  /** Throws MissingSubscriptionRegistration unless the namespace is registered (for providers' PUTs). */
  async requireRegistered(subscriptionId: string, namespace: string): Promise<void> {
    const state = await this.state(subscriptionId, namespace);
    if (state === 'Registered') return;
    throw new ArmError(
      409,
      'MissingSubscriptionRegistration',
      `The subscription is not registered to use namespace '${namespace}'. See https://aka.ms/rps-not-found for how to register subscriptions.`,
    );
  }

  async change(subscriptionId: string, namespace: string, target: 'Registered' | 'NotRegistered'): Promise<RegistrationState> {
    const transitional: RegistrationState = target === 'Registered' ? 'Registering' : 'Unregistering';
    const key = stateKey(subscriptionId, namespace);
    const current = await this.state(subscriptionId, namespace);
    if (current === target) return current;
    await putJson(this.arm.store, key, { namespace, registrationState: transitional, updatedAt: this.arm.clock.iso() });
    await this.tasks.enqueue(TASK, `${subscriptionId}:${namespace}`.toLowerCase(), { subscriptionId, namespace, target }, this.arm.speed.delay(REALISTIC_MS));
    return transitional;
  }

  async describe(subscriptionId: string, namespace: string) {
    const ns = this.arm.types.namespace(namespace)!;
    return {
      id: `/subscriptions/${subscriptionId}/providers/${ns.namespace}`,
      namespace: ns.namespace,
      registrationPolicy: 'RegistrationRequired',
      registrationState: await this.state(subscriptionId, ns.namespace),
      resourceTypes: resourceTypesOf(this.arm, ns.namespace),
    };
  }
}

const displayName = (name: string) => AZURE_LOCATIONS.find((l) => l.name === name)?.displayName ?? name;

/**
 * A namespace's resource types as ARM describes them: regions by display name, the api-versions each accepts, and for
 * a type that can be placed in Edge Zones the zones of each of its regions (`locationMappings`).
 */
function resourceTypesOf(arm: Arm, namespace: string) {
  return arm.types.namespace(namespace)!.types.map((t) => {
    const regions = t.locations ?? AZURE_LOCATIONS.map((l) => l.name);
    const mappings = t.edgeZones
      ? regions
          .map((r) => ({ location: displayName(r), type: 'EdgeZone', extendedLocations: EDGE_ZONES.filter((z) => z.parent === r).map((z) => z.name) }))
          .filter((m) => m.extendedLocations.length > 0)
      : [];
    return {
      resourceType: t.resourceType,
      locations: regions.map(displayName),
      apiVersions: t.apiVersions,
      ...(mappings.length > 0 ? { locationMappings: mappings } : {}),
      capabilities: 'None',
    };
  });
}

/**
 * `$expand=resourceTypes/aliases` asks for Azure Policy's aliases of each type: aksemu emulates no Azure Policy, so
 * it has none to show, and says so rather than answer without them.
 */
function refusePolicyAliases(req: ArmRequest): void {
  const expand = req.query.get('$expand');
  if (expand && /aliases/i.test(expand)) {
    throw new ArmError(400, 'InvalidParameter', `The $expand value '${expand}' asks for Azure Policy aliases, which aksemu does not emulate: leave out $expand.`, '$expand');
  }
}

export function registerProviderRoutes(arm: Arm, providers: ProviderRegistrations): void {
  const known = (ns: string) => {
    const found = arm.types.namespace(ns);
    if (!found) throw armErrors.invalidNamespace(ns);
    return found.namespace;
  };
  arm.router.add({
    methods: ['GET'],
    path: '/subscriptions/{subscriptionId}/providers',
    apiVersions: RESOURCES_API_VERSIONS,
    authorization: anyRoleInSubscription,
    handler: async (req) => {
      refusePolicyAliases(req);
      return { status: 200, body: { value: await Promise.all(arm.types.all().map((ns) => providers.describe(req.params.subscriptionId!, ns.namespace))) } };
    },
  });
  arm.router.add({
    methods: ['GET'],
    path: '/subscriptions/{subscriptionId}/providers/{namespace}',
    apiVersions: RESOURCES_API_VERSIONS,
    authorization: anyRoleInSubscription,
    handler: async (req) => {
      refusePolicyAliases(req);
      return { status: 200, body: await providers.describe(req.params.subscriptionId!, known(req.params.namespace!)) };
    },
  });
  // The provider's resource types alone, and the provider at the tenant (no registration there: every account may read it).
  arm.router.add({
    methods: ['GET'],
    path: '/subscriptions/{subscriptionId}/providers/{namespace}/resourceTypes',
    apiVersions: RESOURCES_API_VERSIONS,
    authorization: anyRoleInSubscription,
    handler: async (req) => ({ status: 200, body: { value: resourceTypesOf(arm, known(req.params.namespace!)) } }),
  });
  arm.router.add({
    methods: ['GET'],
    path: '/providers/{namespace}',
    apiVersions: RESOURCES_API_VERSIONS,
    authorization: { anyCaller: 'a provider at the tenant, readable by every account of the tenant' },
    handler: async (req) => {
      refusePolicyAliases(req);
      const ns = known(req.params.namespace!);
      return { status: 200, body: { id: `/providers/${ns}`, namespace: ns, resourceTypes: resourceTypesOf(arm, ns) } };
    },
  });
  for (const action of ['register', 'unregister'] as const) {
    arm.router.add({
      methods: ['POST'],
      path: `/subscriptions/{subscriptionId}/providers/{namespace}/${action}`,
      apiVersions: RESOURCES_API_VERSIONS,
      // Azure's `*/register/action`: `Microsoft.ContainerService/register/action` over the subscription.
      authorization: { action: (req) => `${req.params.namespace}/${action}/action`, scope: subscriptionScope },
      handler: async (req) => {
        const ns = known(req.params.namespace!);
        await providers.change(req.params.subscriptionId!, ns, action === 'register' ? 'Registered' : 'NotRegistered');
        return { status: 200, body: await providers.describe(req.params.subscriptionId!, ns) };
      },
    });
  }
}
