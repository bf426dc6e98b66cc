/**
 * The kube-system workloads of an AKS cluster, per its configuration, as data (SPEC K-7 and the seeds'
 * `kubectl get po -n kube-system`):
 *
 * - Deployments (pods `<name>-<template hash>-<5 chars>`): coredns (2), coredns-autoscaler (1), metrics-server
 *   (2), and konnectivity-agent (2) unless the cluster uses API Server VNet Integration
 *   (`apiServerAccessProfile.enableVnetIntegration`), which replaces the Konnectivity tunnel;
 * - DaemonSets (pods `<name>-<5 chars>`, one per Linux node, bound by node affinity on metadata.name like the
 *   DaemonSet controller does): kube-proxy, azure-ip-masq-agent, cloud-node-manager, csi-azuredisk-node,
 *   csi-azurefile-node.
 *
 * The AKS KMS plugin runs in the managed control plane, not in kube-system, so KMS adds no pod here.
 *
 * `reconcileSystemPods` is level-triggered: it compares the pods that exist with the desired set and creates or
 * deletes the difference; the scheduler and the kubelets (scheduler.ts, kubelet.ts) take them from there.
 */
import { createHash } from 'node:crypto';
import type { Registry } from '../api/registry/registry.js';
import type { Container, Node, Pod, ServiceAccount, Toleration } from '../api/machinery/types.js';
import { pods as podDef, serviceaccounts as saDef } from '../resources/index.js';
import { kubernetesVersion, type ClusterView } from '../clusters.js';
import { randomSuffix } from '../util/names.js';
import { KubeError } from '../api/machinery/errors.js';
import type { KubeObject } from '../../clusters/stored-object.js';

const NS = 'kube-system';
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

interface Workload {
  name: string;
  kind: 'Deployment' | 'DaemonSet';
  replicas?: number;
  labels: Record<string, string>;
  serviceAccount: string;
  priorityClassName: 'system-cluster-critical' | 'system-node-critical';
  hostNetwork?: boolean;
  containers: Container[];
  tolerations: Toleration[];
}

const CRITICAL_ADDON: Toleration[] = [
  { key: 'CriticalAddonsOnly', operator: 'Exists' },
  { key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoSchedule' },
];
const EVERYTHING: Toleration[] = [{ operator: 'Exists' }];

function container(name: string, image: string, cpu: string, memory: string, limitMemory?: string): Container {
  return {
    name,
    image,
    resources: { requests: { cpu, memory }, ...(limitMemory ? { limits: { memory: limitMemory } } : {}) },
  };
}

/** The workloads a cluster with this ARM document runs in kube-system. */
export function desiredWorkloads(cluster: ClusterView): Workload[] {
  const v = kubernetesVersion(cluster.config).gitVersion;
  const list: Workload[] = [
    {
      name: 'coredns',
      kind: 'Deployment',
      replicas: 2,
      labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', version: 'v20' },
      serviceAccount: 'coredns',
      priorityClassName: 'system-cluster-critical',
      containers: [container('coredns', 'mcr.microsoft.com/oss/v2/kubernetes/coredns:v1.11.3-8', '100m', '70Mi', '500Mi')],
      tolerations: CRITICAL_ADDON,
    },
    {
      name: 'coredns-autoscaler',
      kind: 'Deployment',
      replicas: 1,
      labels: { 'k8s-app': 'coredns-autoscaler' },
      serviceAccount: 'coredns-autoscaler',
      priorityClassName: 'system-cluster-critical',
      containers: [container('autoscaler', 'mcr.microsoft.com/oss/v2/kubernetes/autoscaler/cluster-proportional-autoscaler:v1.8.11-5', '20m', '10Mi', '500Mi')],
      tolerations: CRITICAL_ADDON,
    },
    {
      name: 'metrics-server',
      kind: 'Deployment',
      replicas: 2,
      labels: { 'k8s-app': 'metrics-server' },
      serviceAccount: 'metrics-server',
      priorityClassName: 'system-cluster-critical',
      containers: [
        container('metrics-server-vpa', 'mcr.microsoft.com/oss/v2/kubernetes/autoscaler/addon-resizer:v1.8.22-2', '5m', '25Mi', '100Mi'),
        container('metrics-server', 'mcr.microsoft.com/oss/v2/kubernetes/metrics-server:v0.7.2-3', '150m', '100Mi', '2000Mi'),
      ],
      tolerations: CRITICAL_ADDON,
    },
  ];
  // SPEC K-7: the Konnectivity agent runs unless API Server VNet Integration replaces the tunnel.
  if (!cluster.config.vnetIntegration) {
    list.push({
      name: 'konnectivity-agent',
      kind: 'Deployment',
      replicas: 2,
      labels: { app: 'konnectivity-agent', component: 'tunnel' },
      serviceAccount: 'konnectivity-agent',
      priorityClassName: 'system-cluster-critical',
      containers: [container('konnectivity-agent', 'mcr.microsoft.com/oss/kubernetes/apiserver-network-proxy/agent:v0.30.3-hotfix.20240819', '20m', '20Mi', '1Gi')],
      tolerations: CRITICAL_ADDON,
    });
  }
  list.push(
    {
      name: 'kube-proxy',
      kind: 'DaemonSet',
      labels: { component: 'kube-proxy', tier: 'node' },
      serviceAccount: 'kube-proxy',
      priorityClassName: 'system-node-critical',
      hostNetwork: true,
      containers: [container('kube-proxy', `mcr.microsoft.com/oss/kubernetes/kube-proxy:${v}`, '100m', '')],
      tolerations: EVERYTHING,
    },
    {
      name: 'azure-ip-masq-agent',
      kind: 'DaemonSet',
      labels: { 'k8s-app': 'azure-ip-masq-agent', tier: 'node' },
      serviceAccount: 'azure-ip-masq-agent',
      priorityClassName: 'system-node-critical',
      hostNetwork: true,
      containers: [container('azure-ip-masq-agent', 'mcr.microsoft.com/oss/v2/kubernetes/ip-masq-agent:v0.1.15-2', '100m', '50Mi', '250Mi')],
      tolerations: EVERYTHING,
    },
    {
      name: 'cloud-node-manager',
      kind: 'DaemonSet',
      labels: { 'k8s-app': 'cloud-node-manager' },
      serviceAccount: 'cloud-node-manager',
      priorityClassName: 'system-node-critical',
      hostNetwork: true,
      containers: [container('cloud-node-manager', 'mcr.microsoft.com/oss/kubernetes/azure-cloud-node-manager:v1.32.5', '50m', '50Mi', '512Mi')],
      tolerations: EVERYTHING,
    },
    {
      name: 'csi-azuredisk-node',
      kind: 'DaemonSet',
      labels: { app: 'csi-azuredisk-node' },
      serviceAccount: 'csi-azuredisk-node-sa',
      priorityClassName: 'system-node-critical',
      hostNetwork: true,
      containers: [
        container('liveness-probe', 'mcr.microsoft.com/oss/v2/kubernetes-csi/livenessprobe:v2.15.0', '10m', '20Mi', '100Mi'),
        container('node-driver-registrar', 'mcr.microsoft.com/oss/v2/kubernetes-csi/csi-node-driver-registrar:v2.13.0', '10m', '20Mi', '100Mi'),
        container('azuredisk', 'mcr.microsoft.com/oss/v2/kubernetes-csi/azuredisk-csi:v1.31.5', '10m', '20Mi', '6Gi'),
      ],
      tolerations: EVERYTHING,
    },
    {
      name: 'csi-azurefile-node',
      kind: 'DaemonSet',
      labels: { app: 'csi-azurefile-node' },
      serviceAccount: 'csi-azurefile-node-sa',
      priorityClassName: 'system-node-critical',
      hostNetwork: true,
      containers: [
        container('liveness-probe', 'mcr.microsoft.com/oss/v2/kubernetes-csi/livenessprobe:v2.15.0', '10m', '20Mi', '100Mi'),
        container('node-driver-registrar', 'mcr.microsoft.com/oss/v2/kubernetes-csi/csi-node-driver-registrar:v2.13.0', '10m', '20Mi', '100Mi'),
        container('azurefile', 'mcr.microsoft.com/oss/v2/kubernetes-csi/azurefile-csi:v1.31.4', '10m', '20Mi', '600Mi'),
      ],
      tolerations: EVERYTHING,
    },
  );
  for (const w of list) for (const c of w.containers) if (c.resources?.requests?.memory === '') delete c.resources.requests.memory;
  return list;
}

function hash(...parts: string[]): Buffer {
  return createHash('sha256').update(parts.join('\u0000')).digest();
}

/** A stable pod-template-hash for a workload of a cluster (10 characters of the safe alphabet). */
function templateHash(clusterUid: string, w: Workload): string {
  const h = hash(clusterUid, w.name, JSON.stringify(w.containers));
  return [...h.subarray(0, 10)].map((b) => SAFE[b % SAFE.length]).join('');
}

/** A stable uid for a workload's owner object (the ReplicaSet or DaemonSet the pods point to). */
/** Whether an owner reference names one of the emulated add-on workloads (they have no stored object). */
export function isSystemWorkloadOwner(clusterUid: string, ref: { name: string; uid: string }): boolean {
  return ref.uid === ownerUid(clusterUid, ref.name);
}

function ownerUid(clusterUid: string, name: string): string {
  const h = hash(clusterUid, 'owner', name).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function owner(clusterUid: string, w: Workload) {
  const rsName = w.kind === 'Deployment' ? `${w.name}-${templateHash(clusterUid, w)}` : w.name;
  return {
    apiVersion: 'apps/v1',
    kind: w.kind === 'Deployment' ? 'ReplicaSet' : 'DaemonSet',
    name: rsName,
    uid: ownerUid(clusterUid, rsName),
    controller: true,
    blockOwnerDeletion: true,
  };
}

function podFor(clusterUid: string, w: Workload, node: string | undefined): Pod {
  const ref = owner(clusterUid, w);
  const labels = { ...w.labels, ...(w.kind === 'Deployment' ? { 'pod-template-hash': templateHash(clusterUid, w) } : { 'controller-revision-hash': templateHash(clusterUid, w).slice(0, 8), 'pod-template-generation': '1' }) };
  const spec: Pod['spec'] = {
    containers: structuredClone(w.containers),
    serviceAccountName: w.serviceAccount,
    priorityClassName: w.priorityClassName,
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    tolerations: structuredClone(w.tolerations),
    ...(w.hostNetwork ? { hostNetwork: true } : {}),
  };
  if (w.kind === 'Deployment') {
    // AKS prefers system node pools for its add-ons.
    spec.affinity = {
      nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: 'kubernetes.azure.com/mode', operator: 'In', values: ['system'] }] } }] },
    };
  }
  if (node) {
    // The DaemonSet controller pins each pod to its node through node affinity on the node's name.
    spec.affinity = {
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] } },
    };
  }
  const name = w.kind === 'Deployment' ? `${ref.name}-${randomSuffix(5)}` : `${w.name}-${randomSuffix(5)}`;
  return { metadata: { name, namespace: NS, labels, ownerReferences: [ref] }, spec };
}

function daemonNode(p: Pod): string | undefined {
  return p.spec?.nodeName ?? p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0]?.matchFields?.[0]?.values?.[0];
}

function isLinux(n: Node): boolean {
  return (n.metadata.labels?.['kubernetes.io/os'] ?? n.status?.nodeInfo?.operatingSystem ?? 'linux') === 'linux';
}

async function ignoreConflicts(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (err instanceof KubeError && (err.code === 409 || err.code === 404)) return;
    throw err;
  }
}

/** Creates and deletes kube-system pods (and their service accounts) until they match the desired workloads. */
export async function reconcileSystemPods(registry: Registry, cluster: ClusterView, nodes: Node[], pods: Pod[]): Promise<void> {
  const uid = cluster.record.uid;
  const workloads = desiredWorkloads(cluster);
  const systemPods = pods.filter((p) => p.metadata.namespace === NS);
  const existingSas = new Set((await registry.list<ServiceAccount>(saDef, NS)).items.map((s) => s.metadata.name));
  for (const w of workloads) {
    if (!existingSas.has(w.serviceAccount)) {
      await ignoreConflicts(registry.create(saDef, NS, { metadata: { name: w.serviceAccount, namespace: NS, labels: { 'addonmanager.kubernetes.io/mode': 'Reconcile' } } } as ServiceAccount));
    }
  }
  const known = new Set<string>();
  for (const w of workloads) {
    const ref = owner(uid, w);
    known.add(ref.uid);
    const mine = systemPods.filter((p) => (p.metadata.ownerReferences ?? []).some((o) => o.uid === ref.uid) && !p.metadata.deletionTimestamp);
    if (w.kind === 'Deployment') {
      for (let i = mine.length; i < (w.replicas ?? 1); i++) await ignoreConflicts(registry.create(podDef, NS, podFor(uid, w, undefined)));
      for (const extra of mine.slice(w.replicas ?? 1)) await ignoreConflicts(registry.delete(podDef, NS, extra.metadata.name!, { preconditions: { uid: extra.metadata.uid! } }));
    } else {
      const wanted = new Set(nodes.filter(isLinux).filter((n) => !n.metadata.deletionTimestamp).map((n) => n.metadata.name!));
      const covered = new Set<string>();
      for (const p of mine) {
        const node = daemonNode(p);
        if (!node || !wanted.has(node) || covered.has(node)) {
          await ignoreConflicts(registry.delete(podDef, NS, p.metadata.name!, { preconditions: { uid: p.metadata.uid! } }));
        } else covered.add(node);
      }
      for (const node of wanted) if (!covered.has(node)) await ignoreConflicts(registry.create(podDef, NS, podFor(uid, w, node)));
    }
  }
  // Workloads the configuration no longer has (e.g. konnectivity-agent after enabling VNet Integration).
  for (const p of systemPods) {
    const refs = p.metadata.ownerReferences ?? [];
    const isSystem = refs.some((o) => o.kind === 'ReplicaSet' || o.kind === 'DaemonSet') && refs.every((o) => o.uid !== undefined);
    const ours = refs.some((o) => o.uid === ownerUid(uid, o.name));
    if (isSystem && ours && !refs.some((o) => known.has(o.uid)) && !p.metadata.deletionTimestamp) {
      await ignoreConflicts(registry.delete(podDef, NS, p.metadata.name!, { preconditions: { uid: p.metadata.uid! } }));
    }
  }
}

export type { KubeObject };
