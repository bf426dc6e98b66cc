/**
 * The protobuf message layouts (protobuf.ts) of the apps/v1 workloads and autoscaling/v1 Scale (SPEC W-4): what
 * `kubectl create deployment` and other typed clients send (field numbers of Kubernetes' generated.proto).
 */
import type { MessageSpec } from './protobuf-authorization.js';

export const APPS_MESSAGES: Record<string, MessageSpec> = {
  PodTemplateSpec: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'PodSpec'] },
  Deployment: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'DeploymentSpec'], 3: ['status', 'DeploymentStatus'] },
  DeploymentSpec: {
    1: ['replicas', 'int32', 'p'],
    2: ['selector', 'LabelSelector', 'p'],
    3: ['template', 'PodTemplateSpec'],
    4: ['strategy', 'DeploymentStrategy'],
    5: ['minReadySeconds', 'int32'],
    6: ['revisionHistoryLimit', 'int32', 'p'],
    7: ['paused', 'bool'],
    9: ['progressDeadlineSeconds', 'int32', 'p'],
  },
  DeploymentStrategy: { 1: ['type', 'string'], 2: ['rollingUpdate', 'RollingUpdateDeployment', 'p'] },
  RollingUpdateDeployment: { 1: ['maxUnavailable', 'IntOrString', 'p'], 2: ['maxSurge', 'IntOrString', 'p'] },
  DeploymentStatus: {
    1: ['observedGeneration', 'int64'],
    2: ['replicas', 'int32'],
    3: ['updatedReplicas', 'int32'],
    7: ['readyReplicas', 'int32'],
    4: ['availableReplicas', 'int32'],
    5: ['unavailableReplicas', 'int32'],
    9: ['terminatingReplicas', 'int32', 'p'],
    6: ['conditions', 'DeploymentCondition', 'r'],
    8: ['collisionCount', 'int32', 'p'],
  },
  DeploymentCondition: { 1: ['type', 'string'], 2: ['status', 'string'], 6: ['lastUpdateTime', 'Time'], 7: ['lastTransitionTime', 'Time'], 4: ['reason', 'string'], 5: ['message', 'string'] },
  ReplicaSet: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'ReplicaSetSpec'], 3: ['status', 'ReplicaSetStatus'] },
  ReplicaSetSpec: { 1: ['replicas', 'int32', 'p'], 4: ['minReadySeconds', 'int32'], 2: ['selector', 'LabelSelector', 'p'], 3: ['template', 'PodTemplateSpec'] },
  ReplicaSetStatus: {
    1: ['replicas', 'int32'],
    2: ['fullyLabeledReplicas', 'int32'],
    4: ['readyReplicas', 'int32'],
    5: ['availableReplicas', 'int32'],
    7: ['terminatingReplicas', 'int32', 'p'],
    3: ['observedGeneration', 'int64'],
    6: ['conditions', 'ReplicaSetCondition', 'r'],
  },
  ReplicaSetCondition: { 1: ['type', 'string'], 2: ['status', 'string'], 3: ['lastTransitionTime', 'Time'], 4: ['reason', 'string'], 5: ['message', 'string'] },
  Scale: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'ScaleSpec'], 3: ['status', 'ScaleStatus'] },
  ScaleSpec: { 1: ['replicas', 'int32'] },
  ScaleStatus: { 1: ['replicas', 'int32'], 2: ['selector', 'string'] },
};

export const APPS_KINDS: Record<string, string> = {
  'apps/v1/Deployment': 'Deployment',
  'apps/v1/ReplicaSet': 'ReplicaSet',
  'autoscaling/v1/Scale': 'Scale',
};
