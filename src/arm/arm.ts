/** The ARM core that resource providers plug into: routes, resource types, resource documents, operations. */
import type { Store } from '../store/store.js';
import type { Clock, Speed } from '../runtime/clock.js';
import { getJson, listJson, putJson } from '../store/json.js';
import { Operations } from './operations.js';
import { ResourceTypeRegistry } from './registry.js';
import { ResourceRepository } from './repository.js';
import { ArmRouter } from './router.js';
import { armErrors } from './errors.js';

export interface Subscription {
  id: string;
  subscriptionId: string;
  tenantId: string;
  displayName: string;
  state: 'Enabled' | 'Disabled' | 'Warned' | 'PastDue' | 'Deleted';
  authorizationSource: 'RoleBased';
  managedByTenants: unknown[];
  subscriptionPolicies: { locationPlacementId: string; quotaId: string; spendingLimit: string };
}

const subscriptionKey = (id: string) => `/arm/subscriptions/${id.toLowerCase()}`;

export class Arm {
  readonly router = new ArmRouter();
  readonly types = new ResourceTypeRegistry();
  readonly resources: ResourceRepository;
  readonly operations: Operations;
  private readonly subscriptionCache = new Map<string, Subscription>();

  constructor(
    readonly store: Store,
    readonly clock: Clock,
    readonly speed: Speed,
  ) {
    this.resources = new ResourceRepository(store);
    this.operations = new Operations(store, clock, speed);
  }

  async createSubscription(sub: Subscription): Promise<void> {
    await putJson(this.store, subscriptionKey(sub.subscriptionId), sub, { ifModRevision: 0 });
  }

  async subscription(id: string): Promise<Subscription | undefined> {
    const cached = this.subscriptionCache.get(id.toLowerCase());
    if (cached) return cached;
    const doc = await getJson<Subscription>(this.store, subscriptionKey(id));
    if (doc) this.subscriptionCache.set(id.toLowerCase(), doc.value);
    return doc?.value;
  }

  async subscriptions(): Promise<Subscription[]> {
    return (await listJson<Subscription>(this.store, '/arm/subscriptions/')).map((d) => d.value);
  }

  /** The resource group or ResourceGroupNotFound (404), as every provider needs before touching a resource. */
  async requireResourceGroup(subscriptionId: string, name: string) {
    const rg = await this.resources.getResourceGroup(subscriptionId, name);
    if (!rg) throw armErrors.resourceGroupNotFound(name);
    return rg.value;
  }
}
