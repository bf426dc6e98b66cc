/**
 * Wire models of the objects this API serves, typed from @kubernetes/client-node so field names cannot drift
 * (docs/architecture.md, "wire models"). client-node's classes carry `Date` for timestamps and `IntOrString` helpers;
 * on the wire those are strings, so `Wire<T>` maps them to their JSON form.
 */
import type {
  CoreV1Event,
  V1ConfigMap,
  V1Container,
  V1Lease,
  V1Namespace,
  V1Node,
  V1NodeSelectorRequirement,
  V1NodeSelectorTerm,
  V1ObjectMeta,
  V1Pod,
  V1PodCondition,
  V1Secret,
  V1Service,
  V1ServiceAccount,
  V1Role,
  V1RoleBinding,
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1Taint,
  V1Deployment,
  V1ReplicaSet,
  V1ControllerRevision,
  V1DaemonSet,
  V1LabelSelector,
  V1PodTemplate,
  V1PodTemplateSpec,
  V1Toleration,
  V1PodDisruptionBudget,
  V1Job,
  V1CronJob,
  V1StatefulSet,
  V1PersistentVolumeClaim,
  V1PersistentVolume,
  V1StorageClass,
  V1PodAffinityTerm,
  V1TopologySpreadConstraint,
} from '@kubernetes/client-node';

export type Wire<T> = T extends Date
  ? string
  : T extends Array<infer U>
    ? Array<Wire<U>>
    : T extends (...args: never[]) => unknown
      ? never
      : T extends object
        ? { -readonly [K in keyof T as T[K] extends (...args: never[]) => unknown ? never : K]: Wire<T[K]> }
        : T;

export type ObjectMeta = Wire<V1ObjectMeta>;
export type Pod = Wire<V1Pod> & { metadata: ObjectMeta };
export type Container = Wire<V1Container>;
export type PodCondition = Wire<V1PodCondition>;
export type Node = Wire<V1Node> & { metadata: ObjectMeta };
export type Taint = Wire<V1Taint>;
export type Toleration = Wire<V1Toleration>;
export type NodeSelectorTerm = Wire<V1NodeSelectorTerm>;
export type NodeSelectorRequirement = Wire<V1NodeSelectorRequirement>;
export type Secret = Wire<V1Secret> & { metadata: ObjectMeta; stringData?: Record<string, string> };
export type ConfigMap = Wire<V1ConfigMap> & { metadata: ObjectMeta };
export type Namespace = Wire<V1Namespace> & { metadata: ObjectMeta };
export type ServiceAccount = Wire<V1ServiceAccount> & { metadata: ObjectMeta };
export type Service = Wire<V1Service> & { metadata: ObjectMeta };
export type Event = Wire<CoreV1Event> & { metadata: ObjectMeta };
export type Lease = Wire<V1Lease> & { metadata: ObjectMeta };

export type Role = Wire<V1Role> & { metadata: ObjectMeta };
export type RoleBinding = Wire<V1RoleBinding> & { metadata: ObjectMeta };
export type ClusterRole = Wire<V1ClusterRole> & { metadata: ObjectMeta };
export type ClusterRoleBinding = Wire<V1ClusterRoleBinding> & { metadata: ObjectMeta };

export type Deployment = Wire<V1Deployment> & { metadata: ObjectMeta };
export type ReplicaSet = Wire<V1ReplicaSet> & { metadata: ObjectMeta };
export type LabelSelector = Wire<V1LabelSelector>;
export type PodAffinityTerm = Wire<V1PodAffinityTerm>;
export type TopologySpreadConstraint = Wire<V1TopologySpreadConstraint>;
export type PodTemplateSpec = Wire<V1PodTemplateSpec>;
export type PodTemplate = Wire<V1PodTemplate> & { metadata: ObjectMeta };
export type ControllerRevision = Wire<V1ControllerRevision> & { metadata: ObjectMeta };
export type PodDisruptionBudget = Wire<V1PodDisruptionBudget> & { metadata: ObjectMeta };
export type DaemonSet = Wire<V1DaemonSet> & { metadata: ObjectMeta };
export type Job = Wire<V1Job> & { metadata: ObjectMeta };
export type CronJob = Wire<V1CronJob> & { metadata: ObjectMeta };
export type StatefulSet = Wire<V1StatefulSet> & { metadata: ObjectMeta };
export type PersistentVolumeClaim = Wire<V1PersistentVolumeClaim> & { metadata: ObjectMeta };
export type PersistentVolume = Wire<V1PersistentVolume> & { metadata: ObjectMeta };
export type StorageClass = Wire<V1StorageClass> & { metadata: ObjectMeta };
