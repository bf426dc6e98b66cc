/**
 * The volume controllers of one pass (SPEC W-17), simulated as AKS's Azure Disk CSI driver and kube's persistent
 * volume controller would act:
 *
 * - a claim without a storage class gets the default class (retroactive default StorageClass assignment);
 * - a Pending claim binds to an Available volume of its class that fits (capacity and access modes), or else is
 *   provisioned: a PersistentVolume `pvc-<claim uid>` with the claim's request as capacity, the class's driver
 *   (`disk.csi.azure.com` for AKS's disk classes) and a volume handle naming a managed disk in the cluster's node
 *   resource group; a WaitForFirstConsumer class waits until a pod using the claim is scheduled
 *   (`volume.kubernetes.io/selected-node`);
 * - a volume whose claim is gone is deleted (reclaim policy Delete, the disk with it) or Released (Retain);
 * - a claim being deleted keeps `kubernetes.io/pvc-protection` while a pod that is not finished uses it.
 */
import type { Registry } from '../api/registry/registry.js';
import type { Lister } from './informers.js';
import type { PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '../api/machinery/types.js';
import { persistentvolumeclaims as pvcDef, persistentvolumes as pvDef, storageclasses as scDef } from '../resources/index.js';
import { PVC_PROTECTION, storageBytes } from '../resources/persistentvolumeclaims.js';
import { isDefaultClass } from '../resources/storageclasses.js';
import type { ClusterRecord } from '../../clusters/cluster-registry.js';
import { tolerant } from './workload-common.js';

const SELECTED_NODE = 'volume.kubernetes.io/selected-node';

/** The managed disk id of a provisioned volume, in the node resource group AKS names by default. */
export function diskId(cluster: Pick<ClusterRecord, 'armId' | 'fqdn'>, volume: string): string {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerService\/managedClusters\/([^/]+)$/i.exec(cluster.armId);
  const location = /\.hcp\.([^.]+)\./.exec(cluster.fqdn)?.[1] ?? 'eastus';
  const [sub, rg, name] = m ? [m[1], m[2], m[3]] : ['00000000-0000-0000-0000-000000000000', 'rg', 'cluster'];
  return `/subscriptions/${sub}/resourceGroups/MC_${rg}_${name}_${location}/providers/Microsoft.Compute/disks/${volume}`;
}

/** The claims each pod that is not finished uses, as `<ns>/<claim>` → the pods. */
function claimUsers(pods: Pod[]): Map<string, Pod[]> {
  const users = new Map<string, Pod[]>();
  for (const p of pods) {
    if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    for (const v of p.spec?.volumes ?? []) {
      if (!v.persistentVolumeClaim) continue;
      const key = `${p.metadata.namespace}/${v.persistentVolumeClaim.claimName}`;
      users.set(key, [...(users.get(key) ?? []), p]);
    }
  }
  return users;
}

function fits(pv: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  if (pv.status?.phase !== 'Available' || pv.metadata.deletionTimestamp) return false;
  if ((pv.spec?.storageClassName ?? '') !== (claim.spec?.storageClassName ?? '')) return false;
  const ref = pv.spec?.claimRef;
  if (ref && (ref.namespace !== claim.metadata.namespace || ref.name !== claim.metadata.name)) return false;
  if ((storageBytes(pv.spec?.capacity?.storage) ?? 0n) < (storageBytes(claim.spec?.resources?.requests?.storage) ?? 0n)) return false;
  return (claim.spec?.accessModes ?? []).every((m) => (pv.spec?.accessModes ?? []).includes(m));
}

function provisioned(cluster: Pick<ClusterRecord, 'armId' | 'fqdn'>, claim: PersistentVolumeClaim, sc: StorageClass): PersistentVolume {
  const name = `pvc-${claim.metadata.uid}`;
  const request = String(claim.spec?.resources?.requests?.storage ?? '1Gi');
  const gib = Number(((storageBytes(request) ?? 0n) + (1n << 30n) - 1n) / (1n << 30n));
  const file = sc.provisioner === 'file.csi.azure.com';
  return {
    metadata: { name, annotations: { 'pv.kubernetes.io/provisioned-by': sc.provisioner, 'volume.kubernetes.io/provisioner-deletion-secret-name': '', 'volume.kubernetes.io/provisioner-deletion-secret-namespace': '' }, finalizers: ['external-provisioner.volume.kubernetes.io/finalizer', 'kubernetes.io/pv-protection'] },
    spec: {
      accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
      capacity: { storage: request },
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: claim.metadata.name, namespace: claim.metadata.namespace, uid: claim.metadata.uid, resourceVersion: claim.metadata.resourceVersion },
      csi: {
        driver: sc.provisioner,
        volumeHandle: file ? `${name}#${claim.metadata.namespace}` : diskId(cluster, name),
        ...(file ? {} : { fsType: 'ext4' }),
        volumeAttributes: { ...(sc.parameters ?? {}), 'csi.storage.k8s.io/pv/name': name, 'csi.storage.k8s.io/pvc/name': claim.metadata.name!, 'csi.storage.k8s.io/pvc/namespace': claim.metadata.namespace!, requestedsizegib: String(gib) },
      },
      persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
      storageClassName: sc.metadata.name,
      volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
      ...(sc.mountOptions ? { mountOptions: sc.mountOptions } : {}),
    },
  } as PersistentVolume;
}

async function bind(registry: Registry, claim: PersistentVolumeClaim, pv: PersistentVolume, annotations: Record<string, string>): Promise<void> {
  let volume = pv;
  if (!pv.spec?.claimRef) {
    const claimRef = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: claim.metadata.name, namespace: claim.metadata.namespace, uid: claim.metadata.uid, resourceVersion: claim.metadata.resourceVersion };
    const stored = await tolerant(registry.update<PersistentVolume>(pvDef, undefined, pv.metadata.name!, { ...pv, spec: { ...pv.spec, claimRef } }));
    if (!stored) return;
    volume = stored.obj;
  }
  if (volume.status?.phase !== 'Bound') {
    if (!(await tolerant(registry.update(pvDef, undefined, pv.metadata.name!, { ...volume, status: { phase: 'Bound' } }, { subresource: 'status' })))) return;
  }
  const next = { ...claim, metadata: { ...claim.metadata, annotations: { ...(claim.metadata.annotations ?? {}), ...annotations, 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' } }, spec: { ...claim.spec, volumeName: pv.metadata.name } };
  const stored = await tolerant(registry.update<PersistentVolumeClaim>(pvcDef, claim.metadata.namespace, claim.metadata.name!, next));
  if (!stored) return;
  const status = { phase: 'Bound', accessModes: volume.spec?.accessModes, capacity: volume.spec?.capacity };
  await tolerant(registry.update(pvcDef, claim.metadata.namespace, claim.metadata.name!, { ...stored.obj, status }, { subresource: 'status' }));
}

async function reconcileClaim(registry: Registry, cluster: Pick<ClusterRecord, 'armId' | 'fqdn'>, claim: PersistentVolumeClaim, ctx: { volumes: PersistentVolume[]; classes: StorageClass[]; users: Map<string, Pod[]> }): Promise<void> {
  const key = `${claim.metadata.namespace}/${claim.metadata.name}`;
  const m = claim.metadata;
  if (m.deletionTimestamp) {
    if ((m.finalizers ?? []).includes(PVC_PROTECTION) && !ctx.users.has(key)) {
      await tolerant(registry.update(pvcDef, m.namespace, m.name!, { ...claim, metadata: { ...m, finalizers: (m.finalizers ?? []).filter((f) => f !== PVC_PROTECTION) } }));
    }
    return;
  }
  if (claim.status?.phase === 'Bound') return;
  const className = claim.spec?.storageClassName;
  const fallback = ctx.classes.find(isDefaultClass);
  if (className === undefined && fallback) {
    await tolerant(registry.update(pvcDef, m.namespace, m.name!, { ...claim, spec: { ...claim.spec, storageClassName: fallback.metadata.name } }));
    return;
  }
  const named = claim.spec?.volumeName;
  const existing = ctx.volumes.find((pv) => (named ? pv.metadata.name === named : fits(pv, claim)));
  if (existing) return bind(registry, claim, existing, {});
  if (named || !className) return;
  const sc = ctx.classes.find((c) => c.metadata.name === className);
  if (!sc) return;
  const annotations: Record<string, string> = { 'volume.beta.kubernetes.io/storage-provisioner': sc.provisioner, 'volume.kubernetes.io/storage-provisioner': sc.provisioner };
  if (sc.volumeBindingMode === 'WaitForFirstConsumer') {
    const node = (ctx.users.get(key) ?? []).find((p) => p.spec?.nodeName)?.spec?.nodeName;
    if (!node) return;
    annotations[SELECTED_NODE] = node;
  }
  const pv = ctx.volumes.find((v) => v.metadata.name === `pvc-${m.uid}`) ?? (await tolerant(registry.create<PersistentVolume>(pvDef, undefined, provisioned(cluster, claim, sc))));
  if (pv) await bind(registry, claim, pv, annotations);
}

/** A volume whose claim is gone: deleted with its disk (Delete) or Released (Retain); a new one is Available. */
async function reconcileVolume(registry: Registry, pv: PersistentVolume, claims: PersistentVolumeClaim[]): Promise<void> {
  if (pv.metadata.deletionTimestamp) {
    // The provisioner deletes the disk, and nothing binds a volume being deleted: the finalizers go.
    if ((pv.metadata.finalizers ?? []).length > 0) await tolerant(registry.update(pvDef, undefined, pv.metadata.name!, { ...pv, metadata: { ...pv.metadata, finalizers: [] } }));
    return;
  }
  const ref = pv.spec?.claimRef;
  if (!ref) {
    if (pv.status?.phase === 'Pending') await tolerant(registry.update(pvDef, undefined, pv.metadata.name!, { ...pv, status: { phase: 'Available' } }, { subresource: 'status' }));
    return;
  }
  const claim = claims.find((c) => c.metadata.namespace === ref.namespace && c.metadata.name === ref.name && (!ref.uid || c.metadata.uid === ref.uid));
  if (claim) {
    if (pv.status?.phase === 'Pending' && !ref.uid) await tolerant(registry.update(pvDef, undefined, pv.metadata.name!, { ...pv, status: { phase: 'Available' } }, { subresource: 'status' }));
    return;
  }
  if (!ref.uid) return;
  if (pv.spec?.persistentVolumeReclaimPolicy === 'Delete') {
    await tolerant(registry.delete(pvDef, undefined, pv.metadata.name!, { preconditions: { uid: pv.metadata.uid! } }));
  } else if (pv.status?.phase !== 'Released') {
    await tolerant(registry.update(pvDef, undefined, pv.metadata.name!, { ...pv, status: { phase: 'Released' } }, { subresource: 'status' }));
  }
}

/** One pass over the claims and volumes of a cluster. */
export async function reconcileVolumes(registry: Registry, lister: Lister, cluster: Pick<ClusterRecord, 'armId' | 'fqdn'>, pods: Pod[]): Promise<void> {
  const claims = await lister.list<PersistentVolumeClaim>(pvcDef);
  const volumes = await lister.list<PersistentVolume>(pvDef);
  if (claims.length === 0 && volumes.length === 0) return;
  const classes = await lister.list<StorageClass>(scDef);
  const ctx = { volumes, classes, users: claimUsers(pods) };
  for (const claim of claims) await reconcileClaim(registry, cluster, claim, ctx);
  for (const pv of volumes) await reconcileVolume(registry, pv, claims);
}
