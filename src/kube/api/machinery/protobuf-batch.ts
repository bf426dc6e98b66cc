/**
 * The protobuf message layouts (protobuf.ts) of batch/v1 Jobs and CronJobs (SPEC W-9, W-11): what `kubectl create
 * job` (also `--from=cronjob/...`) and `kubectl create cronjob` send (field numbers of Kubernetes' generated.proto).
 * Their statuses are reset by the server (RESET_BY_SERVER in protobuf.ts).
 */
import type { MessageSpec } from './protobuf-authorization.js';

export const BATCH_MESSAGES: Record<string, MessageSpec> = {
  Job: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'JobSpec'], 3: ['status', 'JobStatus'] },
  JobSpec: {
    1: ['parallelism', 'int32', 'p'],
    2: ['completions', 'int32', 'p'],
    3: ['activeDeadlineSeconds', 'int64', 'p'],
    11: ['podFailurePolicy', 'PodFailurePolicy', 'p'],
    16: ['successPolicy', 'SuccessPolicy', 'p'],
    7: ['backoffLimit', 'int32', 'p'],
    12: ['backoffLimitPerIndex', 'int32', 'p'],
    13: ['maxFailedIndexes', 'int32', 'p'],
    4: ['selector', 'LabelSelector', 'p'],
    5: ['manualSelector', 'bool', 'p'],
    6: ['template', 'PodTemplateSpec'],
    8: ['ttlSecondsAfterFinished', 'int32', 'p'],
    9: ['completionMode', 'string', 'p'],
    10: ['suspend', 'bool', 'p'],
    14: ['podReplacementPolicy', 'string', 'p'],
    15: ['managedBy', 'string', 'p'],
  },
  PodFailurePolicy: { 1: ['rules', 'PodFailurePolicyRule', 'r'] },
  PodFailurePolicyRule: { 1: ['action', 'string'], 2: ['onExitCodes', 'PodFailurePolicyOnExitCodesRequirement', 'p'], 3: ['onPodConditions', 'PodFailurePolicyOnPodConditionsPattern', 'r'] },
  PodFailurePolicyOnExitCodesRequirement: { 1: ['containerName', 'string', 'p'], 2: ['operator', 'string'], 3: ['values', 'int32', 'r'] },
  PodFailurePolicyOnPodConditionsPattern: { 1: ['type', 'string'], 2: ['status', 'string'] },
  SuccessPolicy: { 1: ['rules', 'SuccessPolicyRule', 'r'] },
  SuccessPolicyRule: { 1: ['succeededIndexes', 'string', 'p'], 2: ['succeededCount', 'int32', 'p'] },
  JobTemplateSpec: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'JobSpec'] },
  CronJob: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'CronJobSpec'], 3: ['status', 'CronJobStatus'] },
  CronJobSpec: {
    1: ['schedule', 'string'],
    8: ['timeZone', 'string', 'p'],
    2: ['startingDeadlineSeconds', 'int64', 'p'],
    3: ['concurrencyPolicy', 'string'],
    4: ['suspend', 'bool', 'p'],
    5: ['jobTemplate', 'JobTemplateSpec'],
    6: ['successfulJobsHistoryLimit', 'int32', 'p'],
    7: ['failedJobsHistoryLimit', 'int32', 'p'],
  },
};

export const BATCH_KINDS: Record<string, string> = {
  'batch/v1/Job': 'Job',
  'batch/v1/CronJob': 'CronJob',
};
