/**
 * The AKS examples' world: the identities their requests name, and the cluster (and agent pool) an operation acts
 * on, created from the writable part of the example's own answer where it shows one, else a minimal valid one.
 * Regions named `location1` become eastus; Kubernetes versions long out of support become the instance's default.
 *
 * The instance stands at a date when a Kubernetes minor is in preview (1.36, before its GA), so the upgrade profile
 * examples see upgrades as Azure shows them: a cluster on the newest generally available minor can move to the
 * preview one (isPreview), and its pool, on an older patch, to the control plane's patch.
 */
import { findMinor, isMinorPreview, latestPatch, patchesOf, resolveVersion, supportedMinors } from '../../src/fleet/catalog/kubernetes-versions.js';
import type { ExampleCase } from './corpus.js';
import { identitiesNamed, writable } from './fixtures.js';
import type { Harness, HarnessContext } from './suite.js';
import type { Located } from './swagger.js';

const API = '2026-08-01';
/** A day in the preview of Kubernetes 1.36 (src/fleet/catalog/kubernetes-versions.ts). */
const NOW = new Date('2026-05-20T00:00:00Z');
const UPGRADE_PROFILES = ['ManagedClusters_GetUpgradeProfile', 'AgentPools_GetUpgradeProfile'];
const VERSION_KEYS = /^(kubernetesVersion|orchestratorVersion|currentKubernetesVersion|currentOrchestratorVersion)$/;

/** The harness's own cluster when an example only needs one to exist. */
const MINIMAL_CLUSTER = {
  location: 'eastus',
  identity: { type: 'SystemAssigned' },
  properties: { dnsPrefix: 'conformance', agentPoolProfiles: [{ name: 'confsys', count: 1, vmSize: 'Standard_DS2_v2', osType: 'Linux', mode: 'System' }] },
};
/** A cluster that runs as a service principal (what resetServicePrincipalProfile acts on; AKS refuses it on MSI). */
const SERVICE_PRINCIPAL_CLUSTER = {
  location: 'eastus',
  properties: { ...MINIMAL_CLUSTER.properties, servicePrincipalProfile: { clientId: 'conformance-client', secret: 'conformance-secret' } },
};
const MINIMAL_POOL = { properties: { count: 1, vmSize: 'Standard_DS2_v2', osType: 'Linux', mode: 'User' } };

/** Agent pool PUT examples that change an existing pool (its power state, its settings). */
const POOL_UPDATES: Record<string, 'Running' | 'Stopped'> = { 'AgentPools_Start.json': 'Stopped', 'AgentPools_Stop.json': 'Running', 'AgentPools_Update.json': 'Running' };

/**
 * A prerequisite's pools run one node each (unless they autoscale): the example's own request keeps its counts,
 * while what only has to exist for it stays cheap.
 */
function oneNode(pool: Record<string, any>): Record<string, any> {
  return pool.enableAutoScaling ? pool : { ...pool, count: 1 };
}

function smallCluster(body: any): any {
  const profiles = body?.properties?.agentPoolProfiles;
  return Array.isArray(profiles) ? { ...body, properties: { ...body.properties, agentPoolProfiles: profiles.map(oneNode) } } : body;
}

export function aksHarness(): Harness {
  let version = '';
  /** The newest generally available patch, and an older patch of its minor (what the upgrade profiles act on). */
  const versions = { newest: '', olderPatch: '' };
  let swaggerFile = '';
  const def = (name: string): Located => ({ schema: { $ref: `#/definitions/${name}` }, file: swaggerFile });

  const clusterPath = (sub: string, group: string, name: string) => `/subscriptions/${sub}/resourceGroups/${group}/providers/Microsoft.ContainerService/managedClusters/${name}`;

  /** The body the prerequisite cluster is created with. */
  function clusterBody(c: ExampleCase, example: ExampleCase['example'], ctx: HarnessContext): unknown {
    const body = example.responses['200']?.body;
    if (['ManagedClusters_Get', 'ManagedClusters_UpdateTags'].includes(c.operationId) && body) return smallCluster(writable(body, def('ManagedCluster'), ctx.swaggers));
    if (c.operationId === 'ManagedClusters_ResetServicePrincipalProfile') return SERVICE_PRINCIPAL_CLUSTER;
    if (UPGRADE_PROFILES.includes(c.operationId)) {
      const pools = MINIMAL_CLUSTER.properties.agentPoolProfiles.map((p) => ({ ...p, orchestratorVersion: versions.olderPatch }));
      return { ...MINIMAL_CLUSTER, properties: { ...MINIMAL_CLUSTER.properties, kubernetesVersion: versions.newest, agentPoolProfiles: pools } };
    }
    return MINIMAL_CLUSTER;
  }

  function poolBody(c: ExampleCase, example: ExampleCase['example'], ctx: HarnessContext): any {
    if (c.operationId === 'AgentPools_GetUpgradeProfile') return { properties: { ...MINIMAL_POOL.properties, orchestratorVersion: versions.olderPatch } };
    const body = example.responses['200']?.body;
    const fromAnswer = c.operationId === 'AgentPools_Get' ? body : c.operationId === 'AgentPools_List' ? body?.value?.[0] : undefined;
    if (fromAnswer) {
      const pool = writable(fromAnswer, def('AgentPool'), ctx.swaggers);
      return { ...pool, properties: oneNode(pool.properties ?? {}) };
    }
    if (POOL_UPDATES[c.file]) {
      // The pool as it was before the example's change: its answer's settings, without the change itself.
      const pool = writable(body ?? { properties: {} }, def('AgentPool'), ctx.swaggers);
      const { powerState: _p, ...props } = { ...MINIMAL_POOL.properties, ...(pool.properties ?? {}) } as Record<string, unknown>;
      return { properties: oneNode(props) };
    }
    return MINIMAL_POOL;
  }

  return {
    now: NOW,
    async start(ctx) {
      const now = ctx.emulator.core.clock.now();
      version = resolveVersion('', now)!.current;
      const ga = supportedMinors(now).filter((m) => !isMinorPreview(m, now));
      const newest = ga[ga.length - 1]!;
      versions.newest = latestPatch(newest, now);
      versions.olderPatch = patchesOf(findMinor(versions.newest)!)[0]!;
    },
    substitute(c, subs) {
      swaggerFile ||= (c.responses.get('200') ?? c.responses.get('default'))?.file ?? '';
      subs.value('location1', 'eastus');
      subs.property(VERSION_KEYS, (v) => (v ? version : v));
      // Node resource groups are the subscription's: each example's own.
      subs.property(/^nodeResourceGroup$/, (v) => `${subs.prefix}-${v}`);
    },
    async prepare(c, example, _subs, ctx) {
      const p = example.parameters;
      const sub = ctx.arm.subscriptionId;
      for (const id of identitiesNamed(p)) await ctx.arm.identity(id.group, id.name);
      if (c.operationId === 'ManagedClusters_List' || c.operationId === 'ManagedClusters_ListByResourceGroup') {
        const item = example.responses['200']?.body?.value?.[0];
        const group = /\/resourceGroups\/([^/]+)/i.exec(item?.id ?? '')?.[1] ?? p.resourceGroupName;
        await ctx.arm.group(group);
        await ctx.arm.ensure('PUT', clusterPath(sub, group, item.name), API, smallCluster(writable(item, def('ManagedCluster'), ctx.swaggers)));
        return;
      }
      if (!p.resourceName || !/\/managedClusters\/\{resourceName\}/.test(c.pathTemplate) || c.operationId === 'ManagedClusters_CreateOrUpdate') return;
      const cluster = clusterPath(sub, p.resourceGroupName, p.resourceName);
      await ctx.arm.ensure('PUT', cluster, API, clusterBody(c, example, ctx));
      const poolName = p.agentPoolName ?? (c.operationId === 'AgentPools_List' ? example.responses['200']?.body?.value?.[0]?.name : undefined);
      if (!poolName || (c.operationId === 'AgentPools_CreateOrUpdate' && !POOL_UPDATES[c.file])) return;
      const pool = `${cluster}/agentPools/${poolName}`;
      const body = poolBody(c, example, ctx);
      await ctx.arm.ensure('PUT', pool, API, body);
      if (POOL_UPDATES[c.file] === 'Stopped') await ctx.arm.ensure('PUT', pool, API, { properties: { ...body.properties, powerState: { code: 'Stopped' } } });
    },
  };
}
