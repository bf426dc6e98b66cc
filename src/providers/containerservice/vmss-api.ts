/**
 * Microsoft.Compute/virtualMachineScaleSets for the scale sets AKS keeps in a cluster's node resource group: the
 * Virtual Machine Scale Sets API a user can call behind AKS's back (`az vmss scale`, `az vmss deallocate`,
 * `az vmss start`, `az vmss list-instances`). Changes go straight to the fleet — the agent pool documents do not
 * change, AKS does not know — which is what makes SPEC K-11 reproducible: scaling a KMS cluster's nodes to zero
 * this way deallocates them and leaves the cluster down for good (kms/service.ts `scaleSetChanged`).
 *
 *   GET   .../virtualMachineScaleSets[/{name}]          the scale sets, sku.capacity as the fleet has it
 *   PUT|PATCH .../virtualMachineScaleSets/{name}        only sku.capacity (0-1000) is applied
 *   POST  .../virtualMachineScaleSets/{name}/deallocate every instance deallocated (Stopped)
 *   POST  .../virtualMachineScaleSets/{name}/start      deallocated instances boot again
 *   GET   .../virtualMachineScaleSets/{name}/virtualMachines   the instances and their power state
 */
import { ArmError, armErrors } from '../../arm/errors.js';
import { resourceKey, type ArmResource } from '../../arm/repository.js';
import { providerResourceId } from '../../arm/resource-id.js';
import type { ArmRequest, ArmResponse } from '../../arm/router.js';
import { clusterRecordKey, type ClusterRecord } from '../../clusters/cluster-registry.js';
import { getJson } from '../../store/json.js';
import type { ManagedClusterDoc } from './models.js';
import type { ContainerService } from './service.js';

export const COMPUTE_NS = 'Microsoft.Compute';
export const VMSS_API_VERSIONS = ['2024-11-01', '2024-07-01', '2024-03-01', '2023-09-01', '2023-07-01', '2023-03-01', '2022-11-01', '2022-08-01', '2022-03-01', '2021-11-01', '2021-07-01', '2021-04-01', '2021-03-01', '2020-12-01', '2020-06-01'];

interface VmssDoc extends ArmResource {
  location: string;
  sku: { name: string; tier: string; capacity: number };
  tags: Record<string, string>;
}

function idOf(req: ArmRequest): string {
  const { subscriptionId, resourceGroupName, vmScaleSetName } = req.params as Record<string, string>;
  return providerResourceId(subscriptionId, resourceGroupName, COMPUTE_NS, [['virtualMachineScaleSets', vmScaleSetName]]);
}

async function load(svc: ContainerService, req: ArmRequest) {
  await svc.deps.arm.requireResourceGroup(req.params.subscriptionId!, req.params.resourceGroupName!);
  const doc = await svc.deps.arm.resources.get<VmssDoc>(idOf(req));
  if (!doc || doc.value.type !== 'Microsoft.Compute/virtualMachineScaleSets') {
    throw armErrors.resourceNotFound('Microsoft.Compute/virtualMachineScaleSets', req.params.vmScaleSetName!, req.params.resourceGroupName!);
  }
  const uid = doc.value.tags['aks-managed-createOperationID']!;
  const pool = doc.value.tags['aks-managed-poolName']!;
  const state = await svc.fleet.pool(uid, pool);
  if (!state) throw armErrors.resourceNotFound('Microsoft.Compute/virtualMachineScaleSets', req.params.vmScaleSetName!, req.params.resourceGroupName!);
  return { doc, uid, pool, state };
}

function view(doc: VmssDoc, capacity: number, powerState: string): VmssDoc {
  return { ...doc, sku: { ...doc.sku, capacity: powerState === 'Stopped' ? doc.sku.capacity : capacity } };
}

async function clusterOf(svc: ContainerService, uid: string): Promise<ManagedClusterDoc | undefined> {
  const rec = await getJson<ClusterRecord>(svc.deps.store, clusterRecordKey(uid));
  return rec ? (await svc.getCluster(rec.value.armId))?.value : undefined;
}

async function notify(svc: ContainerService, uid: string): Promise<void> {
  const cluster = await clusterOf(svc, uid);
  if (!cluster) return;
  for (const h of svc.hooks) if (h.scaleSetChanged) await h.scaleSetChanged(cluster);
}

/** Applies a new capacity / power state to the pool's fleet spec and the VMSS document (not the agent pool). */
async function applyToFleet(svc: ContainerService, loaded: Awaited<ReturnType<typeof load>>, change: { capacity?: number; powerState?: 'Running' | 'Stopped' }): Promise<VmssDoc> {
  const { generation: _g, vmssName: _n, ...spec } = loaded.state.spec;
  const capacity = change.capacity ?? spec.capacity;
  const powerState = change.powerState ?? spec.powerState;
  const doc: VmssDoc = { ...loaded.doc.value, sku: { ...loaded.doc.value.sku, capacity } };
  await svc.fleet.applyPool({ ...spec, capacity, powerState }, [{ type: 'put', key: resourceKey(doc.id), value: Buffer.from(JSON.stringify(doc)) }]);
  await notify(svc, loaded.uid);
  return view(doc, capacity, powerState);
}

export function registerVmssApi(svc: ContainerService): void {
  const arm = svc.deps.arm;
  arm.types.register({ namespace: COMPUTE_NS, resourceType: 'virtualMachineScaleSets', apiVersions: VMSS_API_VERSIONS });
  const v = arm.types.versionPolicy(COMPUTE_NS, 'virtualMachineScaleSets');
  const base = `/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/${COMPUTE_NS}/virtualMachineScaleSets`;
  const one = `${base}/{vmScaleSetName}`;

  arm.router.add({
    methods: ['GET'],
    path: base,
    apiVersions: v,
    authorization: { action: 'Microsoft.Compute/virtualMachineScaleSets/read' },
    handler: async (req): Promise<ArmResponse> => {
      await arm.requireResourceGroup(req.params.subscriptionId!, req.params.resourceGroupName!);
      const docs = (await arm.resources.list(req.params.subscriptionId!, { resourceGroup: req.params.resourceGroupName!, type: 'Microsoft.Compute/virtualMachineScaleSets' })) as VmssDoc[];
      const value: VmssDoc[] = [];
      for (const d of docs) {
        const st = await svc.fleet.pool(d.tags['aks-managed-createOperationID']!, d.tags['aks-managed-poolName']!);
        value.push(st ? view(d, st.spec.capacity, st.spec.powerState) : d);
      }
      return { status: 200, body: { value } };
    },
  });
  arm.router.add({
    methods: ['GET'],
    path: one,
    apiVersions: v,
    authorization: { action: 'Microsoft.Compute/virtualMachineScaleSets/read' },
    handler: async (req) => {
      const l = await load(svc, req);
      return { status: 200, body: view(l.doc.value, l.state.spec.capacity, l.state.spec.powerState) };
    },
  });
  arm.router.add({
    methods: ['PUT', 'PATCH'],
    path: one,
    apiVersions: v,
    authorization: { action: 'Microsoft.Compute/virtualMachineScaleSets/write' },
    handler: async (req) => {
      const l = await load(svc, req);
      const body = req.json<Record<string, unknown>>();
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw armErrors.invalidContent('The request body must be a virtual machine scale set JSON object');
      const sku = body.sku as { capacity?: unknown } | undefined;
      if (sku?.capacity === undefined) return { status: 200, body: view(l.doc.value, l.state.spec.capacity, l.state.spec.powerState) };
      const capacity = sku.capacity;
      if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 0 || capacity > 1000) {
        throw new ArmError(400, 'InvalidParameter', `The value ${JSON.stringify(capacity)} of parameter 'sku.capacity' is invalid: it must be an integer from 0 to 1000.`, 'sku.capacity');
      }
      return { status: 200, body: await applyToFleet(svc, l, { capacity }) };
    },
  });
  arm.router.add({
    methods: ['POST'],
    path: `${one}/deallocate`,
    apiVersions: v,
    authorization: { action: 'Microsoft.Compute/virtualMachineScaleSets/deallocate/action' },
    handler: async (req) => {
      const l = await load(svc, req);
      const body = req.json<{ instanceIds?: unknown }>() ?? {};
      if (Array.isArray(body?.instanceIds) && body.instanceIds.length > 0) {
        throw new ArmError(400, 'InvalidParameter', 'aksemu deallocates whole scale sets only: leave instanceIds out.', 'instanceIds');
      }
      await applyToFleet(svc, l, { powerState: 'Stopped' });
      return { status: 200 };
    },
  });
  arm.router.add({
    methods: ['POST'],
    path: `${one}/start`,
    apiVersions: v,
    authorization: { action: 'Microsoft.Compute/virtualMachineScaleSets/start/action' },
    handler: async (req) => {
      const l = await load(svc, req);
      await applyToFleet(svc, l, { powerState: 'Running' });
      return { status: 200 };
    },
  });
  arm.router.add({
    methods: ['GET'],
    path: `${one}/virtualMachines`,
    apiVersions: v,
    authorization: { action: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/read' },
    handler: async (req) => {
      const l = await load(svc, req);
      const instances = await svc.fleet.instances(l.uid, l.pool);
      return {
        status: 200,
        body: {
          value: instances.map((i) => ({
            id: `${l.doc.value.id}/virtualMachines/${i.instanceId}`,
            name: `${l.doc.value.name}_${i.instanceId}`,
            type: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines',
            instanceId: String(i.instanceId),
            location: l.doc.value.location,
            properties: {
              provisioningState: i.state === 'Failed' ? 'Failed' : i.state === 'Running' || i.state === 'Deallocated' ? 'Succeeded' : 'Updating',
              osProfile: { computerName: i.name },
              instanceView: { statuses: [{ code: `PowerState/${i.state === 'Deallocated' ? 'deallocated' : 'running'}` }] },
            },
          })),
        },
      };
    },
  });
}
