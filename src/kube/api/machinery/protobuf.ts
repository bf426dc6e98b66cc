/**
 * Kubernetes' protobuf encoding (`application/vnd.kubernetes.protobuf`): request bodies, which kubectl's typed
 * clients send: `kubectl create secret|configmap|namespace|serviceaccount`, `kubectl debug` (a Pod),
 * `kubectl auth whoami|can-i` (reviews), `kubectl drain` (Eviction), `kubectl create role|rolebinding|...` (RBAC),
 * `kubectl create deployment` (apps/v1, protobuf-apps.ts), `kubectl create job|cronjob` (batch/v1, protobuf-batch.ts),
 * `kubectl create service` and `kubectl expose` (a Service).
 *
 * It is also how a real kube-apiserver stores core objects in etcd: `decodeStoredProtobuf` reads those of the kinds
 * below whose every field is kept (a Secret written by kube-apiserver through a KMS plugin, say; SPEC X-3).
 *
 * The body is the `k8s\0` magic and a runtime.Unknown envelope ({typeMeta, raw}) whose `raw` is the object's own
 * message. Wire decoding is protobufjs's Reader; the message layouts below are the field numbers and types of
 * Kubernetes' generated.proto for the kinds those commands send, written as data. Decoding yields the object's
 * JSON form, which then goes through the same decoding and validation as a JSON body:
 *
 * - Go structs embedded in another (Volume's VolumeSource, a selector's LocalObjectReference) are inlined, as
 *   in JSON; Time becomes RFC 3339, Quantity its string, IntOrString a number or string, bytes base64;
 * - Go writes non-pointer fields even when they hold the zero value; those zero values are dropped as
 *   `omitempty` drops them in JSON. Pointer fields (flag `p`) are present only when set and keep zero values.
 * - A field number a message here does not list is refused with a 415 that asks for JSON: nothing a client
 *   sends is dropped silently.
 */
import protobuf from 'protobufjs/minimal.js';
import { KubeError } from './errors.js';

const { Reader } = protobuf;
type ReaderT = InstanceType<typeof Reader>;

import { AUTHORIZATION_KINDS, AUTHORIZATION_MESSAGES, type MessageSpec } from './protobuf-authorization.js';
import { APPS_KINDS, APPS_MESSAGES } from './protobuf-apps.js';
import { BATCH_KINDS, BATCH_MESSAGES } from './protobuf-batch.js';

const META: Record<string, MessageSpec> = {
  Unknown: { 1: ['typeMeta', 'TypeMeta'], 2: ['raw', 'bytes'], 3: ['contentEncoding', 'string'], 4: ['contentType', 'string'] },
  TypeMeta: { 1: ['apiVersion', 'string'], 2: ['kind', 'string'] },
  ObjectMeta: {
    1: ['name', 'string'],
    2: ['generateName', 'string'],
    3: ['namespace', 'string'],
    4: ['selfLink', 'string'],
    5: ['uid', 'string'],
    6: ['resourceVersion', 'string'],
    7: ['generation', 'int64'],
    8: ['creationTimestamp', 'Time'],
    9: ['deletionTimestamp', 'Time', 'p'],
    10: ['deletionGracePeriodSeconds', 'int64', 'p'],
    11: ['labels', 'map:string'],
    12: ['annotations', 'map:string'],
    13: ['ownerReferences', 'OwnerReference', 'r'],
    14: ['finalizers', 'string', 'r'],
    17: ['managedFields', 'ManagedFieldsEntry', 'r'],
  },
  OwnerReference: { 5: ['apiVersion', 'string'], 1: ['kind', 'string'], 3: ['name', 'string'], 4: ['uid', 'string'], 6: ['controller', 'bool', 'p'], 7: ['blockOwnerDeletion', 'bool', 'p'] },
  ManagedFieldsEntry: { 1: ['manager', 'string'], 2: ['operation', 'string'], 3: ['apiVersion', 'string'], 4: ['time', 'Time', 'p'], 6: ['fieldsType', 'string'], 7: ['fieldsV1', 'FieldsV1', 'p'], 8: ['subresource', 'string'] },
  FieldsV1: { 1: ['Raw', 'bytes'] },
  Time: { 1: ['seconds', 'int64'], 2: ['nanos', 'int32'] },
  Quantity: { 1: ['string', 'string'] },
  IntOrString: { 1: ['type', 'int64'], 2: ['intVal', 'int32'], 3: ['strVal', 'string'] },
  DeleteOptions: {
    1: ['gracePeriodSeconds', 'int64', 'p'],
    2: ['preconditions', 'Preconditions', 'p'],
    3: ['orphanDependents', 'bool', 'p'],
    4: ['propagationPolicy', 'string', 'p'],
    5: ['dryRun', 'string', 'r'],
    6: ['ignoreStoreReadErrorWithClusterBreakingPotential', 'bool', 'p'],
  },
  Preconditions: { 1: ['uid', 'string', 'p'], 2: ['resourceVersion', 'string', 'p'] },
};

const CORE: Record<string, MessageSpec> = {
  Secret: { 1: ['metadata', 'ObjectMeta'], 5: ['immutable', 'bool', 'p'], 2: ['data', 'map:bytes'], 4: ['stringData', 'map:string'], 3: ['type', 'string'] },
  ConfigMap: { 1: ['metadata', 'ObjectMeta'], 4: ['immutable', 'bool', 'p'], 2: ['data', 'map:string'], 3: ['binaryData', 'map:bytes'] },
  Namespace: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'NamespaceSpec'], 3: ['status', 'NamespaceStatus'] },
  NamespaceSpec: { 1: ['finalizers', 'string', 'r'] },
  ServiceAccount: { 1: ['metadata', 'ObjectMeta'], 2: ['secrets', 'ObjectReference', 'r'], 3: ['imagePullSecrets', 'LocalObjectReference', 'r'], 4: ['automountServiceAccountToken', 'bool', 'p'] },
  ObjectReference: { 1: ['kind', 'string'], 2: ['namespace', 'string'], 3: ['name', 'string'], 4: ['uid', 'string'], 5: ['apiVersion', 'string'], 6: ['resourceVersion', 'string'], 7: ['fieldPath', 'string'] },
  LocalObjectReference: { 1: ['name', 'string'] },
  Pod: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'PodSpec'], 3: ['status', 'PodStatus'] },
  PodSpec: {
    1: ['volumes', 'Volume', 'r'],
    20: ['initContainers', 'Container', 'r'],
    2: ['containers', 'Container', 'r'],
    34: ['ephemeralContainers', 'EphemeralContainer', 'r'],
    3: ['restartPolicy', 'string'],
    4: ['terminationGracePeriodSeconds', 'int64', 'p'],
    5: ['activeDeadlineSeconds', 'int64', 'p'],
    6: ['dnsPolicy', 'string'],
    7: ['nodeSelector', 'map:string'],
    8: ['serviceAccountName', 'string'],
    9: ['serviceAccount', 'string'],
    21: ['automountServiceAccountToken', 'bool', 'p'],
    10: ['nodeName', 'string'],
    11: ['hostNetwork', 'bool'],
    12: ['hostPID', 'bool'],
    13: ['hostIPC', 'bool'],
    27: ['shareProcessNamespace', 'bool', 'p'],
    14: ['securityContext', 'PodSecurityContext', 'p'],
    15: ['imagePullSecrets', 'LocalObjectReference', 'r'],
    16: ['hostname', 'string'],
    17: ['subdomain', 'string'],
    18: ['affinity', 'Affinity', 'p'],
    19: ['schedulerName', 'string'],
    22: ['tolerations', 'Toleration', 'r'],
    23: ['hostAliases', 'HostAlias', 'r'],
    24: ['priorityClassName', 'string'],
    25: ['priority', 'int32', 'p'],
    26: ['dnsConfig', 'PodDNSConfig', 'p'],
    28: ['readinessGates', 'PodReadinessGate', 'r'],
    29: ['runtimeClassName', 'string', 'p'],
    30: ['enableServiceLinks', 'bool', 'p'],
    31: ['preemptionPolicy', 'string', 'p'],
    32: ['overhead', 'map:Quantity'],
    35: ['setHostnameAsFQDN', 'bool', 'p'],
    36: ['os', 'PodOS', 'p'],
    37: ['hostUsers', 'bool', 'p'],
    38: ['schedulingGates', 'PodSchedulingGate', 'r'],
  },
  Container: {
    1: ['name', 'string'],
    2: ['image', 'string'],
    3: ['command', 'string', 'r'],
    4: ['args', 'string', 'r'],
    5: ['workingDir', 'string'],
    6: ['ports', 'ContainerPort', 'r'],
    19: ['envFrom', 'EnvFromSource', 'r'],
    7: ['env', 'EnvVar', 'r'],
    8: ['resources', 'ResourceRequirements'],
    24: ['restartPolicy', 'string', 'p'],
    9: ['volumeMounts', 'VolumeMount', 'r'],
    10: ['livenessProbe', 'Probe', 'p'],
    11: ['readinessProbe', 'Probe', 'p'],
    22: ['startupProbe', 'Probe', 'p'],
    13: ['terminationMessagePath', 'string'],
    20: ['terminationMessagePolicy', 'string'],
    14: ['imagePullPolicy', 'string'],
    15: ['securityContext', 'SecurityContext', 'p'],
    16: ['stdin', 'bool'],
    17: ['stdinOnce', 'bool'],
    18: ['tty', 'bool'],
  },
  EphemeralContainer: { 1: ['ephemeralContainerCommon', 'Container', 'i'], 2: ['targetContainerName', 'string'] },
  ContainerPort: { 1: ['name', 'string'], 2: ['hostPort', 'int32'], 3: ['containerPort', 'int32'], 4: ['protocol', 'string'], 5: ['hostIP', 'string'] },
  EnvVar: { 1: ['name', 'string'], 2: ['value', 'string'], 3: ['valueFrom', 'EnvVarSource', 'p'] },
  EnvVarSource: { 1: ['fieldRef', 'ObjectFieldSelector', 'p'], 2: ['resourceFieldRef', 'ResourceFieldSelector', 'p'], 3: ['configMapKeyRef', 'ConfigMapKeySelector', 'p'], 4: ['secretKeyRef', 'SecretKeySelector', 'p'] },
  ObjectFieldSelector: { 1: ['apiVersion', 'string'], 2: ['fieldPath', 'string'] },
  ResourceFieldSelector: { 1: ['containerName', 'string'], 2: ['resource', 'string'], 3: ['divisor', 'Quantity'] },
  ConfigMapKeySelector: { 1: ['localObjectReference', 'LocalObjectReference', 'i'], 2: ['key', 'string'], 3: ['optional', 'bool', 'p'] },
  SecretKeySelector: { 1: ['localObjectReference', 'LocalObjectReference', 'i'], 2: ['key', 'string'], 3: ['optional', 'bool', 'p'] },
  EnvFromSource: { 1: ['prefix', 'string'], 2: ['configMapRef', 'ConfigMapEnvSource', 'p'], 3: ['secretRef', 'SecretEnvSource', 'p'] },
  ConfigMapEnvSource: { 1: ['localObjectReference', 'LocalObjectReference', 'i'], 2: ['optional', 'bool', 'p'] },
  SecretEnvSource: { 1: ['localObjectReference', 'LocalObjectReference', 'i'], 2: ['optional', 'bool', 'p'] },
  ResourceRequirements: { 1: ['limits', 'map:Quantity'], 2: ['requests', 'map:Quantity'] },
  VolumeMount: { 1: ['name', 'string'], 2: ['readOnly', 'bool'], 7: ['recursiveReadOnly', 'string', 'p'], 3: ['mountPath', 'string'], 4: ['subPath', 'string'], 5: ['mountPropagation', 'string', 'p'], 6: ['subPathExpr', 'string'] },
  Volume: { 1: ['name', 'string'], 2: ['volumeSource', 'VolumeSource', 'i'] },
  VolumeSource: {
    1: ['hostPath', 'HostPathVolumeSource', 'p'],
    2: ['emptyDir', 'EmptyDirVolumeSource', 'p'],
    6: ['secret', 'SecretVolumeSource', 'p'],
    10: ['persistentVolumeClaim', 'PersistentVolumeClaimVolumeSource', 'p'],
    16: ['downwardAPI', 'DownwardAPIVolumeSource', 'p'],
    19: ['configMap', 'ConfigMapVolumeSource', 'p'],
    26: ['projected', 'ProjectedVolumeSource', 'p'],
  },
  HostPathVolumeSource: { 1: ['path', 'string'], 2: ['type', 'string', 'p'] },
  EmptyDirVolumeSource: { 1: ['medium', 'string'], 2: ['sizeLimit', 'Quantity', 'p'] },
  SecretVolumeSource: { 1: ['secretName', 'string'], 2: ['items', 'KeyToPath', 'r'], 3: ['defaultMode', 'int32', 'p'], 4: ['optional', 'bool', 'p'] },
  ConfigMapVolumeSource: { 1: ['localObjectReference', 'LocalObjectReference', 'i'], 2: ['items', 'KeyToPath', 'r'], 3: ['defaultMode', 'int32', 'p'], 4: ['optional', 'bool', 'p'] },
  PersistentVolumeClaimVolumeSource: { 1: ['claimName', 'string'], 2: ['readOnly', 'bool'] },
  DownwardAPIVolumeSource: { 1: ['items', 'DownwardAPIVolumeFile', 'r'], 2: ['defaultMode', 'int32', 'p'] },
  DownwardAPIVolumeFile: { 1: ['path', 'string'], 2: ['fieldRef', 'ObjectFieldSelector', 'p'], 3: ['resourceFieldRef', 'ResourceFieldSelector', 'p'], 4: ['mode', 'int32', 'p'] },
  ProjectedVolumeSource: { 1: ['sources', 'VolumeProjection', 'r'], 2: ['defaultMode', 'int32', 'p'] },
  VolumeProjection: { 1: ['secret', 'SecretProjection', 'p'], 2: ['downwardAPI', 'DownwardAPIProjection', 'p'], 3: ['configMap', 'ConfigMapProjection', 'p'], 4: ['serviceAccountToken', 'ServiceAccountTokenProjection', 'p'] },
  SecretProjection: { 1: ['localObjectReference', 'LocalObjectReference', 'i'], 2: ['items', 'KeyToPath', 'r'], 4: ['optional', 'bool', 'p'] },
  ConfigMapProjection: { 1: ['localObjectReference', 'LocalObjectReference', 'i'], 2: ['items', 'KeyToPath', 'r'], 4: ['optional', 'bool', 'p'] },
  DownwardAPIProjection: { 1: ['items', 'DownwardAPIVolumeFile', 'r'] },
  ServiceAccountTokenProjection: { 1: ['audience', 'string'], 2: ['expirationSeconds', 'int64', 'p'], 3: ['path', 'string'] },
  KeyToPath: { 1: ['key', 'string'], 2: ['path', 'string'], 3: ['mode', 'int32', 'p'] },
  SecurityContext: {
    1: ['capabilities', 'Capabilities', 'p'],
    2: ['privileged', 'bool', 'p'],
    4: ['runAsUser', 'int64', 'p'],
    8: ['runAsGroup', 'int64', 'p'],
    5: ['runAsNonRoot', 'bool', 'p'],
    6: ['readOnlyRootFilesystem', 'bool', 'p'],
    7: ['allowPrivilegeEscalation', 'bool', 'p'],
    9: ['procMount', 'string', 'p'],
    11: ['seccompProfile', 'SeccompProfile', 'p'],
  },
  Capabilities: { 1: ['add', 'string', 'r'], 2: ['drop', 'string', 'r'] },
  SeccompProfile: { 1: ['type', 'string'], 2: ['localhostProfile', 'string', 'p'] },
  PodSecurityContext: {
    2: ['runAsUser', 'int64', 'p'],
    6: ['runAsGroup', 'int64', 'p'],
    3: ['runAsNonRoot', 'bool', 'p'],
    4: ['supplementalGroups', 'int64', 'r'],
    5: ['fsGroup', 'int64', 'p'],
    9: ['fsGroupChangePolicy', 'string', 'p'],
    10: ['seccompProfile', 'SeccompProfile', 'p'],
  },
  Toleration: { 1: ['key', 'string'], 2: ['operator', 'string'], 3: ['value', 'string'], 4: ['effect', 'string'], 5: ['tolerationSeconds', 'int64', 'p'] },
  Affinity: { 1: ['nodeAffinity', 'NodeAffinity', 'p'] },
  NodeAffinity: { 1: ['requiredDuringSchedulingIgnoredDuringExecution', 'NodeSelector', 'p'], 2: ['preferredDuringSchedulingIgnoredDuringExecution', 'PreferredSchedulingTerm', 'r'] },
  NodeSelector: { 1: ['nodeSelectorTerms', 'NodeSelectorTerm', 'r'] },
  NodeSelectorTerm: { 1: ['matchExpressions', 'NodeSelectorRequirement', 'r'], 2: ['matchFields', 'NodeSelectorRequirement', 'r'] },
  NodeSelectorRequirement: { 1: ['key', 'string'], 2: ['operator', 'string'], 3: ['values', 'string', 'r'] },
  PreferredSchedulingTerm: { 1: ['weight', 'int32'], 2: ['preference', 'NodeSelectorTerm'] },
  HostAlias: { 1: ['ip', 'string'], 2: ['hostnames', 'string', 'r'] },
  PodDNSConfig: { 1: ['nameservers', 'string', 'r'], 2: ['searches', 'string', 'r'], 3: ['options', 'PodDNSConfigOption', 'r'] },
  PodDNSConfigOption: { 1: ['name', 'string'], 2: ['value', 'string', 'p'] },
  PodReadinessGate: { 1: ['conditionType', 'string'] },
  PodSchedulingGate: { 1: ['name', 'string'] },
  PodOS: { 1: ['name', 'string'] },
  Probe: { 1: ['handler', 'ProbeHandler', 'i'], 2: ['initialDelaySeconds', 'int32'], 3: ['timeoutSeconds', 'int32'], 4: ['periodSeconds', 'int32'], 5: ['successThreshold', 'int32'], 6: ['failureThreshold', 'int32'], 7: ['terminationGracePeriodSeconds', 'int64', 'p'] },
  ProbeHandler: { 1: ['exec', 'ExecAction', 'p'], 2: ['httpGet', 'HTTPGetAction', 'p'], 3: ['tcpSocket', 'TCPSocketAction', 'p'] },
  ExecAction: { 1: ['command', 'string', 'r'] },
  HTTPGetAction: { 1: ['path', 'string'], 2: ['port', 'IntOrString'], 3: ['host', 'string'], 4: ['scheme', 'string'] },
  TCPSocketAction: { 1: ['port', 'IntOrString'], 2: ['host', 'string'] },
  Eviction: { 1: ['metadata', 'ObjectMeta'], 2: ['deleteOptions', 'DeleteOptions', 'p'] },
  // policy/v1 (SPEC W-12): `kubectl create poddisruptionbudget`.
  PodDisruptionBudget: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'PodDisruptionBudgetSpec', 'p'], 3: ['status', 'PodDisruptionBudgetStatus', 'p'] },
  PodDisruptionBudgetSpec: { 1: ['minAvailable', 'IntOrString', 'p'], 2: ['selector', 'LabelSelector', 'p'], 3: ['maxUnavailable', 'IntOrString', 'p'], 4: ['unhealthyPodEvictionPolicy', 'string', 'p'] },
  Binding: { 1: ['metadata', 'ObjectMeta'], 2: ['target', 'ObjectReference'] },
  // SPEC W-27: `kubectl create service` and `kubectl expose`.
  Service: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'ServiceSpec'], 3: ['status', 'ServiceStatus'] },
  ServiceSpec: {
    1: ['ports', 'ServicePort', 'r'],
    2: ['selector', 'map:string'],
    3: ['clusterIP', 'string'],
    18: ['clusterIPs', 'string', 'r'],
    4: ['type', 'string'],
    5: ['externalIPs', 'string', 'r'],
    7: ['sessionAffinity', 'string'],
    8: ['loadBalancerIP', 'string'],
    9: ['loadBalancerSourceRanges', 'string', 'r'],
    10: ['externalName', 'string'],
    11: ['externalTrafficPolicy', 'string'],
    12: ['healthCheckNodePort', 'int32'],
    13: ['publishNotReadyAddresses', 'bool'],
    14: ['sessionAffinityConfig', 'SessionAffinityConfig', 'p'],
    19: ['ipFamilies', 'string', 'r'],
    17: ['ipFamilyPolicy', 'string', 'p'],
    20: ['allocateLoadBalancerNodePorts', 'bool', 'p'],
    21: ['loadBalancerClass', 'string', 'p'],
    22: ['internalTrafficPolicy', 'string', 'p'],
    23: ['trafficDistribution', 'string', 'p'],
  },
  ServicePort: { 1: ['name', 'string'], 2: ['protocol', 'string'], 6: ['appProtocol', 'string', 'p'], 3: ['port', 'int32'], 4: ['targetPort', 'IntOrString'], 5: ['nodePort', 'int32'] },
  SessionAffinityConfig: { 1: ['clientIP', 'ClientIPConfig', 'p'] },
  ClientIPConfig: { 1: ['timeoutSeconds', 'int32', 'p'] },
};

const MESSAGES: Record<string, MessageSpec> = { ...META, ...CORE, ...AUTHORIZATION_MESSAGES, ...APPS_MESSAGES, ...BATCH_MESSAGES };

/**
 * Messages read over and answered as empty: a pod's, namespace's, Service's, disruption budget's, Job's or CronJob's status,
 * which the server resets on create (what a client sends there never takes effect, as with kube-apiserver).
 */
const RESET_BY_SERVER = new Set(['PodStatus', 'NamespaceStatus', 'PodDisruptionBudgetStatus', 'JobStatus', 'CronJobStatus', 'ServiceStatus']);
for (const m of RESET_BY_SERVER) MESSAGES[m] = {};

/** Kinds (by apiVersion and kind) whose protobuf bodies can be decoded, and their messages. */
const KINDS: Record<string, string> = {
  'v1/Secret': 'Secret',
  'v1/ConfigMap': 'ConfigMap',
  'v1/Namespace': 'Namespace',
  'v1/ServiceAccount': 'ServiceAccount',
  'v1/Pod': 'Pod',
  'v1/Service': 'Service',
  'v1/Binding': 'Binding',
  'v1/DeleteOptions': 'DeleteOptions',
  'meta.k8s.io/v1/DeleteOptions': 'DeleteOptions',
  'policy/v1/Eviction': 'Eviction',
  'policy/v1/PodDisruptionBudget': 'PodDisruptionBudget',
  ...AUTHORIZATION_KINDS,
  ...APPS_KINDS,
  ...BATCH_KINDS,
};

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

class ProtobufError extends Error {}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  const l = v as { low: number; high: number };
  return Number(BigInt.asIntN(64, (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0)));
}

const WIRE: Record<string, number> = { string: 2, bytes: 2, bool: 0, int32: 0, int64: 0 };

function readScalar(r: ReaderT, type: string): unknown {
  switch (type) {
    case 'string':
      return r.string();
    case 'bytes':
      return Buffer.from(r.bytes());
    case 'bool':
      return r.bool();
    case 'int32':
      return r.int32();
    case 'int64':
      return toNumber(r.int64());
    default:
      throw new ProtobufError(`unsupported scalar ${type}`);
  }
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false || (Buffer.isBuffer(v) && v.length === 0);
}

/** Reads one map entry (key = 1, value = 2). */
function readMapEntry(r: ReaderT, end: number, valueType: string, path: string): [string, unknown] {
  let key = '';
  let value: unknown;
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field === 1) key = r.string();
    else if (field === 2) value = MESSAGES[valueType] ? readMessage(r, r.uint32(), valueType, `${path}[${key}]`) : readScalar(r, valueType);
    else r.skipType(tag & 7);
  }
  if (value === undefined) value = MESSAGES[valueType] ? {} : valueType === 'bytes' ? Buffer.alloc(0) : '';
  return [key, value];
}

/** Converts the special messages to their JSON form. */
function special(type: string, msg: Record<string, unknown>): unknown {
  switch (type) {
    case 'Time': {
      const seconds = Number(msg.seconds ?? 0);
      if (seconds <= -62135596800) return undefined; // Go's zero time: null in JSON
      return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
    case 'Quantity':
      return msg.string ?? '0';
    case 'ExtraValue':
      return msg.items ?? [];
    case 'IntOrString':
      return Number(msg.type ?? 0) === 1 ? (msg.strVal ?? '') : (msg.intVal ?? 0);
    case 'FieldsV1': {
      // Raw is bytes, which the message's JSON form already holds as base64.
      const raw = typeof msg.Raw === 'string' ? Buffer.from(msg.Raw, 'base64') : (msg.Raw as Buffer | undefined);
      try {
        return raw && raw.length > 0 ? JSON.parse(raw.toString('utf8')) : {};
      } catch {
        throw new ProtobufError('fieldsV1 does not hold JSON');
      }
    }
    default:
      return msg;
  }
}

function readMessage(r: ReaderT, length: number, type: string, path: string): unknown {
  const spec = MESSAGES[type];
  if (!spec) throw new ProtobufError(`aksemu cannot decode a ${type} (at ${path || 'the top level'}) from protobuf`);
  const end = r.pos + length;
  if (RESET_BY_SERVER.has(type)) {
    r.pos = end;
    return {};
  }
  const out: Record<string, unknown> = {};
  while (r.pos < end) {
    const tag = r.uint32();
    const num = tag >>> 3;
    const wire = tag & 7;
    if (num === 0) throw new ProtobufError(`illegal tag 0 (wire type ${wire})`);
    const f = spec[num];
    if (!f) throw new ProtobufError(`aksemu cannot decode field ${num} of ${type}${path ? ` (at ${path})` : ''} from protobuf`);
    const [name, ftype, flags = ''] = f;
    const childPath = path ? `${path}.${name}` : name;
    if (ftype.startsWith('map:')) {
      if (wire !== 2) throw new ProtobufError(`field ${childPath} has wire type ${wire}, expected 2`);
      const len = r.uint32();
      const [k, v] = readMapEntry(r, r.pos + len, ftype.slice(4), childPath);
      const map = (out[name] ??= {}) as Record<string, unknown>;
      map[k] = special(ftype.slice(4), v as Record<string, unknown>);
      continue;
    }
    let value: unknown;
    if (MESSAGES[ftype]) {
      if (wire !== 2) throw new ProtobufError(`field ${childPath} has wire type ${wire}, expected 2`);
      value = special(ftype, readMessage(r, r.uint32(), ftype, childPath) as Record<string, unknown>);
    } else {
      const expected = WIRE[ftype];
      if (flags.includes('r') && wire === 2 && expected === 0) {
        // A packed repeated scalar.
        const len = r.uint32();
        const stop = r.pos + len;
        const arr = (out[name] ??= []) as unknown[];
        while (r.pos < stop) arr.push(readScalar(r, ftype));
        continue;
      }
      if (wire !== expected) throw new ProtobufError(`field ${childPath} has wire type ${wire}, expected ${expected}`);
      value = readScalar(r, ftype);
    }
    if (flags.includes('r')) ((out[name] ??= []) as unknown[]).push(value);
    else out[name] = value;
  }
  return toJson(out, spec);
}

/** Applies inlining, omitempty and bytes → base64 to a decoded message. */
function toJson(msg: Record<string, unknown>, spec: MessageSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, ftype, flags = ''] of Object.values(spec)) {
    if (!(name in msg)) continue;
    let v = msg[name];
    if (v === undefined) continue;
    if (flags.includes('i')) {
      Object.assign(out, v as Record<string, unknown>);
      continue;
    }
    if (ftype === 'bytes') v = (v as Buffer).toString('base64');
    if (ftype === 'map:bytes') v = Object.fromEntries(Object.entries(v as Record<string, Buffer>).map(([k, b]) => [k, (b as Buffer).toString('base64')]));
    if (flags.includes('r') && ftype === 'bytes') v = (v as Buffer[]).map((b) => b.toString('base64'));
    const pointer = flags.includes('p');
    if (!pointer && !MESSAGES[ftype] && !flags.includes('r') && !ftype.startsWith('map:') && isZero(msg[name])) continue;
    if ((flags.includes('r') || ftype.startsWith('map:')) && (Array.isArray(v) ? v.length === 0 : Object.keys(v as object).length === 0)) continue;
    out[name] = v;
  }
  return out;
}

/**
 * Decodes a protobuf body into the object's JSON form (with apiVersion and kind from its envelope). Throws a 400
 * for a malformed body and a 415 for a kind or field aksemu does not decode.
 */
export function decodeProtobufBody(body: Buffer, accepted: readonly string[]): Record<string, unknown> {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new KubeError(400, 'BadRequest', 'provided object is not a protobuf message: the k8s\\x00 prefix is missing');
  }
  const refuse = (why: string) =>
    new KubeError(415, 'UnsupportedMediaType', `${why}; send this object as JSON (accepted media types include: ${accepted.join(', ')})`);
  let envelope: Record<string, unknown>;
  try {
    const r = Reader.create(body.subarray(MAGIC.length));
    envelope = readMessage(r, r.len, 'Unknown', '') as Record<string, unknown>;
  } catch (err) {
    throw new KubeError(400, 'BadRequest', `the protobuf envelope could not be decoded: ${(err as Error).message}`);
  }
  const tm = (envelope.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const key = `${tm.apiVersion ?? ''}/${tm.kind ?? ''}`;
  const type = KINDS[key];
  if (!type) throw refuse(`aksemu does not decode ${tm.kind || 'objects without a kind'} (${tm.apiVersion || 'no apiVersion'}) from protobuf`);
  const raw = envelope.raw ? Buffer.from(envelope.raw as string, 'base64') : Buffer.alloc(0);
  try {
    const r = Reader.create(raw);
    const obj = readMessage(r, r.len, type, '') as Record<string, unknown>;
    return { apiVersion: tm.apiVersion, kind: tm.kind, ...obj };
  } catch (err) {
    if (err instanceof ProtobufError && err.message.startsWith('aksemu cannot decode')) throw refuse(err.message);
    throw new KubeError(400, 'BadRequest', `${tm.kind} in version "${(tm.apiVersion ?? '').split('/').pop()}" cannot be handled as a ${tm.kind}: proto: ${(err as Error).message}`);
  }
}

/** Whether stored bytes are an object in Kubernetes' protobuf encoding (kube-apiserver's storage media type). */
export function isProtobufObject(bytes: Buffer): boolean {
  return bytes.length >= MAGIC.length && bytes.subarray(0, MAGIC.length).equals(MAGIC);
}

/** Kinds a stored protobuf object may be read as: none of their fields is dropped (no status is reset). */
const STORED_KINDS = new Set(['v1/Secret', 'v1/ConfigMap', 'v1/ServiceAccount']);

/**
 * An object a real kube-apiserver stored (`k8s\0` + runtime.Unknown) as its JSON form, for the kinds whose every
 * field this decoder keeps; anything else throws, and the read fails as kube-apiserver's does with bytes it cannot
 * decode.
 */
export function decodeStoredProtobuf(bytes: Buffer): Record<string, unknown> {
  const obj = decodeProtobufBody(bytes, ['application/json']);
  const key = `${String(obj.apiVersion ?? '')}/${String(obj.kind ?? '')}`;
  if (!STORED_KINDS.has(key)) throw new Error(`aksemu does not read ${String(obj.kind ?? 'objects')} stored as protobuf`);
  return obj;
}
