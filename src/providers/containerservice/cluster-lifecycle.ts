/**
 * The long-running operations of managed clusters and pools (persisted tasks, resumed after a restart) and the
 * hooks other features attach to a cluster's lifecycle (KMS etcd encryption applies its key in `operationStep`).
 */
import type { PoolInput, PoolPlan } from './pool-model.js';
import type { ManagedClusterDoc } from './models.js';

export const OP_TASK = 'aks-operation';
/** How long Azure takes (used at --speed realistic). */
export const TIMING = { controlPlaneMs: 240_000, clusterDeleteMs: 120_000, poolDeleteMs: 30_000 };

/** `cluster-action`: a POST action on a cluster (credential rotation, profile reset) that answers nothing at its end. */
export type OpKind = 'cluster-create' | 'cluster-update' | 'cluster-delete' | 'cluster-stop' | 'cluster-start' | 'pool-put' | 'pool-delete' | 'pool-node-image' | 'cluster-action';

export interface OpPayload {
  opId: string;
  subscriptionId: string;
  clusterId: string;
  uid: string;
  kind: OpKind;
  /** Fleet generations the operation waits for. */
  pools: Array<{ name: string; generation: number }>;
  /** For pool operations: the pool the result is. */
  pool?: string;
  /** Emulated time before which the control plane part is not done. */
  readyAtMs?: number;
}

export interface PoolEvaluation {
  input: PoolInput;
  plan: PoolPlan;
  requestedVersion: string;
  currentVersion: string;
  image: string;
  changed: { reimage: boolean; version: boolean; count: boolean; any: boolean };
}

export type StepOutcome = { done: true; failure?: { code: string; message: string } } | { done: false; retryAfterMs: number };

/**
 * What other features attach to the cluster lifecycle (KMS etcd encryption). Every hook is optional;
 * hooks run in the order they were added.
 */
export interface ClusterHooks {
  /** A step of every cluster create/update operation, run once its pools are done; the operation ends when it is. */
  operationStep?(p: OpPayload, cluster: ManagedClusterDoc): Promise<StepOutcome>;
  /** Adds read-only, computed status to a cluster as clients see it. */
  compose?(doc: ManagedClusterDoc): Promise<ManagedClusterDoc>;
  /** Before a cluster's records are removed. */
  teardown?(doc: ManagedClusterDoc): Promise<void>;
  /** After the Virtual Machine Scale Sets API changed one of the cluster's scale sets behind AKS's back. */
  scaleSetChanged?(cluster: ManagedClusterDoc): Promise<void>;
}
