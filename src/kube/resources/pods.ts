/**
 * v1 Pods: what the seeds create and `kubectl get po` shows (SPEC A-2, C-4, K-7). Server-side behaviour follows
 * kube-apiserver: defaulting (restartPolicy, dnsPolicy, schedulerName, imagePullPolicy, ...), the admission
 * plugins a managed cluster runs on create (ServiceAccount: the projected kube-api-access volume;
 * DefaultTolerationSeconds: the not-ready/unreachable tolerations), validation of the fields the seeds use, the
 * update rule (a pod's spec is immutable but for images, activeDeadlineSeconds and added tolerations), and the
 * READY/STATUS/RESTARTS columns computed as kubectl's printer does.
 */
import { kubeErrors, type FieldError } from '../api/machinery/errors.js';
import type { ObjectLookup, ResourceDef } from '../api/machinery/resource.js';
import type { Container, Pod, ServiceAccount } from '../api/machinery/types.js';
import { dns1123Label, validateLabels } from '../api/machinery/validation.js';
import { age } from '../util/age.js';
import { clone, deepEqual } from '../util/deep.js';
import { randomSuffix } from '../util/names.js';
import { AGE_COLUMN, NAME_COLUMN, column, orNone } from './common.js';
import { validatePodScheduling } from './pod-scheduling-validation.js';
import { serviceaccounts } from './serviceaccounts.js';

const SA_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PULL_POLICIES = ['Always', 'Never', 'IfNotPresent'];
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const SELECTOR_OPS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'];

function allContainers(p: Pod): Container[] {
  return [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])];
}

/** The image's tag is `latest` or absent: kubelet pulls it Always (SetDefaults_Container). */
function defaultPullPolicy(image: string | undefined): string {
  if (!image) return 'IfNotPresent';
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const tagAt = image.indexOf(':', lastSlash + 1);
  const tag = tagAt >= 0 ? image.slice(tagAt + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** QoS class from the (defaulted) requests and limits (GetPodQOS). */
export function qosClass(p: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const cs = allContainers(p);
  let any = false;
  let guaranteed = true;
  for (const c of cs) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      if (req[r] !== undefined || lim[r] !== undefined) any = true;
      if (lim[r] === undefined || (req[r] !== undefined && req[r] !== lim[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function defaultContainer(c: Container, hostNetwork: boolean): void {
  c.imagePullPolicy ??= defaultPullPolicy(c.image);
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.resources ??= {};
  if (c.resources.limits) {
    // Requests default to limits (SetDefaults_Pod).
    const requests = { ...(c.resources.requests ?? {}) };
    for (const [k, v] of Object.entries(c.resources.limits)) requests[k] ??= v;
    c.resources.requests = requests;
  }
  for (const port of c.ports ?? []) {
    port.protocol ??= 'TCP';
    if (hostNetwork) port.hostPort ??= port.containerPort;
  }
}

function defaultPod(p: Pod): void {
  p.spec ??= { containers: [] };
  const s = p.spec;
  s.restartPolicy ??= 'Always';
  s.dnsPolicy ??= 'ClusterFirst';
  s.terminationGracePeriodSeconds ??= 30;
  s.securityContext ??= {};
  s.schedulerName ??= 'default-scheduler';
  s.enableServiceLinks ??= true;
  s.priority ??= 0;
  s.preemptionPolicy ??= 'PreemptLowerPriority';
  s.serviceAccountName ??= s.serviceAccount ?? 'default';
  s.serviceAccount = s.serviceAccountName;
  for (const c of s.initContainers ?? []) defaultContainer(c, s.hostNetwork === true);
  for (const c of s.containers ?? []) defaultContainer(c, s.hostNetwork === true);
  for (const v of s.volumes ?? []) {
    if (v.secret) v.secret.defaultMode ??= 420;
    if (v.configMap) v.configMap.defaultMode ??= 420;
    if (v.projected) v.projected.defaultMode ??= 420;
    if (v.downwardAPI) v.downwardAPI.defaultMode ??= 420;
  }
}

/**
 * The ServiceAccount admission plugin's token volume: the projected kube-api-access volume mounted in every container,
 * unless the pod opts out (spec.automountServiceAccountToken false) or leaves it to its service account, which opts
 * out. A missing service account mounts the token as if it existed (kube-apiserver refuses such a pod; here the
 * in-process controllers create pods in a namespace before its `default` account exists).
 */
async function admitServiceAccount(p: Pod, lookup: ObjectLookup): Promise<void> {
  const s = p.spec!;
  if (s.automountServiceAccountToken === undefined) {
    const account = await lookup<ServiceAccount>(serviceaccounts, p.metadata.namespace, s.serviceAccountName ?? 'default');
    if (account?.automountServiceAccountToken === false) return;
  } else if (!s.automountServiceAccountToken) {
    return;
  }
  if (!allContainers(p).some((c) => (c.volumeMounts ?? []).some((m) => m.mountPath === SA_MOUNT_PATH))) {
    const name = `kube-api-access-${randomSuffix(5)}`;
    s.volumes = [
      ...(s.volumes ?? []),
      {
        name,
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
          ],
        },
      },
    ];
    for (const c of allContainers(p)) c.volumeMounts = [...(c.volumeMounts ?? []), { name, readOnly: true, mountPath: SA_MOUNT_PATH }];
  }
}

/** The built-in priority classes (Priority admission resolves spec.priorityClassName to spec.priority). */
const PRIORITY_CLASSES: Record<string, number> = { 'system-node-critical': 2000001000, 'system-cluster-critical': 2000000000 };

/** Admission on create: Priority and DefaultTolerationSeconds (the ServiceAccount's token volume: admitServiceAccount). */
function admitNewPod(p: Pod): void {
  const s = p.spec!;
  if (s.priorityClassName) {
    const priority = PRIORITY_CLASSES[s.priorityClassName];
    if (priority === undefined) {
      throw kubeErrors.forbidden({ group: '', resource: 'pods' }, p.metadata.name ?? '', `no PriorityClass with name ${s.priorityClassName} was found`);
    }
    s.priority = priority;
    if (s.priorityClassName === 'system-node-critical' || s.priorityClassName === 'system-cluster-critical') s.preemptionPolicy ??= 'PreemptLowerPriority';
  }
  const tolerations = s.tolerations ?? [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    const covered = tolerations.some((t) => (t.effect === 'NoExecute' || !t.effect) && (t.key === key || (!t.key && t.operator === 'Exists')));
    if (!covered) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  s.tolerations = tolerations;
}

function validateContainers(list: Container[] | undefined, field: string, volumes: Set<string>, seen: Set<string>, required: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (required && (!list || list.length === 0)) errs.push({ type: 'FieldValueRequired', field });
  (list ?? []).forEach((c, i) => {
    const f = `${field}[${i}]`;
    if (!c.name) errs.push({ type: 'FieldValueRequired', field: `${f}.name` });
    else {
      for (const m of dns1123Label(c.name)) errs.push({ type: 'FieldValueInvalid', field: `${f}.name`, value: c.name, detail: m });
      if (seen.has(c.name)) errs.push({ type: 'FieldValueDuplicate', field: `${f}.name`, value: c.name });
      seen.add(c.name);
    }
    if (!c.image || c.image.trim() === '') errs.push({ type: 'FieldValueRequired', field: `${f}.image` });
    if (c.imagePullPolicy && !PULL_POLICIES.includes(c.imagePullPolicy)) {
      errs.push({ type: 'FieldValueNotSupported', field: `${f}.imagePullPolicy`, value: c.imagePullPolicy, detail: 'supported values: "Always", "IfNotPresent", "Never"' });
    }
    (c.ports ?? []).forEach((p, j) => {
      if (!(p.containerPort >= 1 && p.containerPort <= 65535)) {
        errs.push({ type: 'FieldValueInvalid', field: `${f}.ports[${j}].containerPort`, value: p.containerPort, detail: 'must be between 1 and 65535, inclusive' });
      }
      if (p.protocol && !PROTOCOLS.includes(p.protocol)) {
        errs.push({ type: 'FieldValueNotSupported', field: `${f}.ports[${j}].protocol`, value: p.protocol, detail: 'supported values: "SCTP", "TCP", "UDP"' });
      }
    });
    (c.volumeMounts ?? []).forEach((m, j) => {
      if (!m.name) errs.push({ type: 'FieldValueRequired', field: `${f}.volumeMounts[${j}].name` });
      else if (!volumes.has(m.name)) errs.push({ type: 'FieldValueInvalid', field: `${f}.volumeMounts[${j}].name`, value: m.name, detail: 'not found' });
      if (!m.mountPath) errs.push({ type: 'FieldValueRequired', field: `${f}.volumeMounts[${j}].mountPath` });
    });
    (c.env ?? []).forEach((e, j) => {
      if (!e.name) errs.push({ type: 'FieldValueRequired', field: `${f}.env[${j}].name` });
    });
  });
  return errs;
}

function validateNodeSelectorTerms(terms: Array<{ matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>; matchFields?: Array<{ key: string; operator: string; values?: string[] }> }> | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (terms !== undefined && terms.length === 0) errs.push({ type: 'FieldValueRequired', field, detail: 'must have at least one node selector term' });
  (terms ?? []).forEach((t, i) => {
    for (const [kind, reqs] of [['matchExpressions', t.matchExpressions], ['matchFields', t.matchFields]] as const) {
      (reqs ?? []).forEach((r, j) => {
        const f = `${field}[${i}].${kind}[${j}]`;
        if (!SELECTOR_OPS.includes(r.operator)) {
          errs.push({ type: 'FieldValueInvalid', field: `${f}.operator`, value: r.operator, detail: 'not a valid selector operator' });
          return;
        }
        const n = (r.values ?? []).length;
        if ((r.operator === 'In' || r.operator === 'NotIn') && n === 0) errs.push({ type: 'FieldValueRequired', field: `${f}.values`, detail: 'must be specified when `operator` is \'In\' or \'NotIn\'' });
        if ((r.operator === 'Exists' || r.operator === 'DoesNotExist') && n > 0) errs.push({ type: 'FieldValueForbidden', field: `${f}.values`, detail: 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\'' });
        if ((r.operator === 'Gt' || r.operator === 'Lt') && (n !== 1 || !/^-?\d+$/.test(r.values![0]!))) {
          errs.push({ type: 'FieldValueRequired', field: `${f}.values`, detail: 'must be specified single value when `operator` is \'Lt\' or \'Gt\'' });
        }
        if (kind === 'matchFields' && r.key !== 'metadata.name') {
          errs.push({ type: 'FieldValueInvalid', field: `${f}.key`, value: r.key, detail: 'not a valid field selector key' });
        }
      });
    }
  });
  return errs;
}

function validatePod(p: Pod): FieldError[] {
  const errs: FieldError[] = [];
  const s = p.spec;
  if (!s) return [{ type: 'FieldValueRequired', field: 'spec' }];
  const volumes = new Set<string>();
  (s.volumes ?? []).forEach((v, i) => {
    if (!v.name) errs.push({ type: 'FieldValueRequired', field: `spec.volumes[${i}].name` });
    else {
      for (const m of dns1123Label(v.name)) errs.push({ type: 'FieldValueInvalid', field: `spec.volumes[${i}].name`, value: v.name, detail: m });
      if (volumes.has(v.name)) errs.push({ type: 'FieldValueDuplicate', field: `spec.volumes[${i}].name`, value: v.name });
      volumes.add(v.name);
    }
  });
  const seen = new Set<string>();
  errs.push(...validateContainers(s.containers, 'spec.containers', volumes, seen, true));
  errs.push(...validateContainers(s.initContainers, 'spec.initContainers', volumes, seen, false));
  if (s.restartPolicy && !RESTART_POLICIES.includes(s.restartPolicy)) {
    errs.push({ type: 'FieldValueNotSupported', field: 'spec.restartPolicy', value: s.restartPolicy, detail: 'supported values: "Always", "OnFailure", "Never"' });
  }
  if (s.dnsPolicy && !DNS_POLICIES.includes(s.dnsPolicy)) {
    errs.push({ type: 'FieldValueNotSupported', field: 'spec.dnsPolicy', value: s.dnsPolicy, detail: 'supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"' });
  }
  if (s.terminationGracePeriodSeconds !== undefined && s.terminationGracePeriodSeconds < 0) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.terminationGracePeriodSeconds', value: s.terminationGracePeriodSeconds, detail: 'must be greater than or equal to 0' });
  }
  if (s.activeDeadlineSeconds !== undefined && s.activeDeadlineSeconds <= 0) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.activeDeadlineSeconds', value: s.activeDeadlineSeconds, detail: 'must be between 1 and 2147483647, inclusive' });
  }
  errs.push(...validateLabels(s.nodeSelector, 'spec.nodeSelector'));
  (s.tolerations ?? []).forEach((t, i) => {
    const f = `spec.tolerations[${i}]`;
    if (t.operator && t.operator !== 'Exists' && t.operator !== 'Equal') {
      errs.push({ type: 'FieldValueNotSupported', field: `${f}.operator`, value: t.operator, detail: 'supported values: "Equal", "Exists"' });
    }
    if (t.operator === 'Exists' && t.value) errs.push({ type: 'FieldValueInvalid', field: `${f}.operator`, value: t.value, detail: 'value must be empty when `operator` is \'Exists\'' });
    if (!t.key && t.operator !== 'Exists') errs.push({ type: 'FieldValueInvalid', field: `${f}.operator`, value: t.operator ?? '', detail: 'operator must be Exists when `key` is empty, which means "match all values and all keys"' });
    if (t.effect && !TAINT_EFFECTS.includes(t.effect)) {
      errs.push({ type: 'FieldValueNotSupported', field: `${f}.effect`, value: t.effect, detail: 'supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"' });
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      errs.push({ type: 'FieldValueInvalid', field: `${f}.effect`, value: t.effect ?? '', detail: 'effect must be \'NoExecute\' when `tolerationSeconds` is set' });
    }
  });
  const required = s.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) errs.push(...validateNodeSelectorTerms(required.nodeSelectorTerms, 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms'));
  errs.push(...validatePodScheduling(s));
  return errs;
}

const IMMUTABLE_SPEC_MESSAGE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function validatePodUpdate(p: Pod, old: Pod): FieldError[] {
  const errs: FieldError[] = [];
  const a = clone(p.spec ?? { containers: [] });
  const b = old.spec ?? { containers: [] };
  // Copy over the fields an update may change, then the rest must be identical.
  (a.containers ?? []).forEach((c, i) => {
    const o = b.containers?.[i];
    if (o) c.image = o.image;
  });
  (a.initContainers ?? []).forEach((c, i) => {
    const o = b.initContainers?.[i];
    if (o) c.image = o.image;
  });
  if (b.activeDeadlineSeconds === undefined || (a.activeDeadlineSeconds !== undefined && a.activeDeadlineSeconds <= b.activeDeadlineSeconds)) {
    a.activeDeadlineSeconds = b.activeDeadlineSeconds;
  }
  const oldTolerations = b.tolerations ?? [];
  if (oldTolerations.every((t) => (a.tolerations ?? []).some((n) => deepEqual(n, t)))) a.tolerations = b.tolerations;
  if (a.schedulingGates === undefined || a.schedulingGates.length === 0) a.schedulingGates = b.schedulingGates;
  if (!deepEqual(a, b)) errs.push({ type: 'FieldValueForbidden', field: 'spec', detail: IMMUTABLE_SPEC_MESSAGE });
  return errs;
}

/** READY, STATUS, RESTARTS as kubectl prints a pod (printPod). */
export function podStatusCells(p: Pod, now: Date): { ready: string; status: string; restarts: string } {
  const total = p.spec?.containers?.length ?? 0;
  let ready = 0;
  let restarts = 0;
  let lastRestart: string | undefined;
  let reason: string = p.status?.reason || p.status?.phase || '';
  const statuses = p.status?.containerStatuses ?? [];
  let hasRunning = false;
  const initStatuses = p.status?.initContainerStatuses ?? [];
  let initializing = false;
  initStatuses.forEach((c, i) => {
    restarts += c.restartCount ?? 0;
    if (c.state?.terminated?.exitCode === 0) return;
    if (c.state?.running && p.spec?.initContainers?.[i]?.restartPolicy === 'Always') return;
    initializing = true;
    if (c.state?.terminated) reason = `Init:${c.state.terminated.reason || `ExitCode:${c.state.terminated.exitCode}`}`;
    else if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing') reason = `Init:${c.state.waiting.reason}`;
    else reason = `Init:${i}/${p.spec?.initContainers?.length ?? 0}`;
  });
  if (!initializing) {
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i]!;
      restarts += c.restartCount ?? 0;
      if (c.lastState?.terminated?.finishedAt) lastRestart = c.lastState.terminated.finishedAt;
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
      else if (c.state?.terminated) reason = c.state.terminated.signal ? `Signal:${c.state.terminated.signal}` : `ExitCode:${c.state.terminated.exitCode}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }
  if (p.metadata.deletionTimestamp) reason = p.status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  const restartText = restarts !== 0 && lastRestart ? `${restarts} (${age(lastRestart, now)} ago)` : String(restarts);
  return { ready: `${ready}/${total}`, status: reason, restarts: restartText };
}

export const pods: ResourceDef<Pod> = {
  group: '',
  version: 'v1',
  resource: 'pods',
  singular: 'pod',
  kind: 'Pod',
  namespaced: true,
  shortNames: ['po'],
  categories: ['all'],
  verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: [
    { name: 'attach', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
    { name: 'binding', kind: 'Binding', verbs: ['create'] },
    { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
    { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
    { name: 'log', kind: 'Pod', verbs: ['get'] },
    { name: 'status', kind: 'Pod', verbs: ['get', 'patch', 'update'] },
  ],
  model: 'V1Pod',
  nameFormat: 'subdomain',
  allowCreateOnUpdate: false,
  returnDeletedObject: true,
  hasStatus: true,
  generation: true,
  fieldSelectors: {
    'spec.nodeName': (p) => p.spec?.nodeName ?? '',
    'spec.restartPolicy': (p) => p.spec?.restartPolicy ?? '',
    'spec.schedulerName': (p) => p.spec?.schedulerName ?? '',
    'spec.serviceAccountName': (p) => p.spec?.serviceAccountName ?? '',
    'spec.hostNetwork': (p) => String(p.spec?.hostNetwork ?? false),
    'status.phase': (p) => p.status?.phase ?? '',
    'status.podIP': (p) => p.status?.podIP ?? '',
    'status.nominatedNodeName': (p) => p.status?.nominatedNodeName ?? '',
  },
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    AGE_COLUMN,
    column('IP', 'string', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
    column('Node', 'string', 'NodeName is a request to schedule this pod onto a specific node. If it is non-empty, the scheduler simply schedules this pod onto that node, assuming that it fits resource requirements.', 1),
    column('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.', 1),
    column('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
  ],
  cells: (p, ctx) => {
    const { ready, status, restarts } = podStatusCells(p, ctx.now);
    const gates = p.spec?.readinessGates ?? [];
    const gatesText = gates.length === 0 ? '<none>' : `${gates.filter((g) => (p.status?.conditions ?? []).some((c) => c.type === g.conditionType && c.status === 'True')).length}/${gates.length}`;
    return [p.metadata.name, ready, status, restarts, age(p.metadata.creationTimestamp, ctx.now), orNone(p.status?.podIP), orNone(p.spec?.nodeName), orNone(p.status?.nominatedNodeName), gatesText];
  },
  prepareForCreate: (p) => {
    defaultPod(p);
    admitNewPod(p);
    p.status = { phase: 'Pending', qosClass: qosClass(p) };
  },
  admitCreate: admitServiceAccount,
  prepareForUpdate: (p, old, subresource) => {
    if (subresource === 'status') {
      p.spec = old.spec;
    } else {
      p.status = old.status;
    }
  },
  defaults: (p) => defaultPod(p),
  validate: validatePod,
  validateUpdate: (p, old, subresource) => (subresource === 'status' ? [] : validatePodUpdate(p, old)),
  specOf: (p) => p.spec,
  // A pod on a node is deleted gracefully: its kubelet stops it and then removes it (controllers/kubelet.ts).
  gracePeriod: (p, requested) => {
    // Pods that never reached a node, or have finished, have nothing to stop: deleted at once.
    if (!p.spec?.nodeName || p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded') return 0;
    return requested ?? p.spec?.terminationGracePeriodSeconds ?? 30;
  },
};
